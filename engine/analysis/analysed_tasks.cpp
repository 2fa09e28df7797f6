// Which tasks an analysis of routing uses (training tasks by default), their routing rows,
// the modifier labels of the families layout, and the agreement of a clustering with
// each planted factor.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "tensorpoly/analysis.h"

namespace tensorpoly::analysis {

std::vector<int> analysed_tasks(int64_t n_rows, const std::vector<TaskInfo>& tasks,
                                bool include_heldout) {
  std::vector<int> selected;
  for (int64_t row = 0; row < n_rows; ++row) {
    const bool known = row < static_cast<int64_t>(tasks.size());
    if (include_heldout || !known || tasks[static_cast<size_t>(row)].split != "heldout") {
      selected.push_back(static_cast<int>(row));
    }
  }
  return selected;
}

std::vector<RoutingMatrix> select_tasks(const std::vector<RoutingMatrix>& routing,
                                        const std::vector<int>& tasks) {
  std::vector<RoutingMatrix> selected;
  selected.reserve(routing.size());
  for (const RoutingMatrix& matrix : routing) {
    if (matrix.shape.size() < 2) {
      throw std::invalid_argument("select_tasks: layer '" + matrix.layer + "' has no task axis");
    }
    const int64_t n_tasks = matrix.n_tasks();
    const int64_t n_skills = matrix.n_skills();
    const int64_t n_blocks = matrix.n_blocks();
    int64_t count = 0;
    if (n_blocks < 0 || n_tasks < 0 || n_skills < 0 ||
        __builtin_mul_overflow(n_blocks, n_tasks, &count) ||
        __builtin_mul_overflow(count, n_skills, &count) ||
        static_cast<uint64_t>(count) != matrix.values.size()) {
      throw std::invalid_argument("select_tasks: layer '" + matrix.layer +
                                  "': the shape does not fit its values");
    }
    RoutingMatrix out = matrix;
    out.shape[out.shape.size() - 2] = static_cast<int64_t>(tasks.size());
    out.values.clear();
    out.values.reserve(static_cast<size_t>(n_blocks) * tasks.size() *
                       static_cast<size_t>(n_skills));
    for (int64_t block = 0; block < n_blocks; ++block) {
      for (int task : tasks) {
        if (task < 0 || task >= n_tasks) {
          throw std::invalid_argument("select_tasks: task " + std::to_string(task) +
                                      " is not a row of layer '" + matrix.layer + "' (" +
                                      std::to_string(n_tasks) + " tasks)");
        }
        const auto begin = matrix.values.begin() + (block * n_tasks + task) * n_skills;
        out.values.insert(out.values.end(), begin, begin + n_skills);
      }
    }
    selected.push_back(std::move(out));
  }
  return selected;
}

int default_cluster_count(const std::vector<TaskInfo>& tasks) {
  std::set<std::string> families;
  bool all_known = !tasks.empty();
  for (const TaskInfo& task : tasks) {
    all_known = all_known && !task.family.empty();
    families.insert(task.family);
  }
  if (all_known) return static_cast<int>(families.size());
  return std::max(
      1, static_cast<int>(std::lround(std::sqrt(static_cast<double>(tasks.size()) / 2.0))));
}

std::string modifier_label(const TaskInfo& task) {
  if (task.family.empty()) return {};
  std::string label;
  for (const std::string& skill : task.skills) {
    if (skill != task.family) label += (label.empty() ? "" : "+") + skill;
  }
  return label.empty() ? "(none)" : label;
}

namespace {

constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

// Dense integer labels of the tasks by `label_of`, in order of first appearance; empty
// when some task has none.
template <typename LabelOf>
std::vector<int> labels_of(const std::vector<TaskInfo>& tasks, LabelOf label_of) {
  std::map<std::string, int> ids;
  std::vector<int> labels;
  for (const TaskInfo& task : tasks) {
    const std::string label = label_of(task);
    if (label.empty()) return {};
    labels.push_back(ids.emplace(label, static_cast<int>(ids.size())).first->second);
  }
  return labels;
}

}  // namespace

Agreement agreement_with_ground_truth(const Matrix& similarity,
                                      const std::vector<int>& cluster_labels,
                                      const std::vector<TaskInfo>& tasks, int permutations,
                                      uint64_t permutation_seed) {
  Agreement agreement;
  agreement.permutations = permutations;
  agreement.permutation_seed = permutation_seed;
  const std::vector<int> families =
      labels_of(tasks, [](const TaskInfo& task) { return task.family; });
  const std::vector<int> modifiers = labels_of(tasks, modifier_label);
  agreement.ari_vs_families =
      families.empty() ? kUnknown : adjusted_rand_index(families, cluster_labels);
  agreement.nmi_vs_families =
      families.empty() ? kUnknown : normalized_mutual_information(families, cluster_labels);
  agreement.ari_vs_modifiers =
      modifiers.empty() ? kUnknown : adjusted_rand_index(modifiers, cluster_labels);
  agreement.nmi_vs_modifiers =
      modifiers.empty() ? kUnknown : normalized_mutual_information(modifiers, cluster_labels);
  agreement.spearman_similarity_vs_skill_overlap = kUnknown;
  agreement.spearman_p_value = kUnknown;
  const bool skills_known = std::all_of(tasks.begin(), tasks.end(),
                                        [](const TaskInfo& task) { return !task.skills.empty(); });
  if (!skills_known || tasks.size() < 3) return agreement;
  std::map<std::string, int> skill_ids;
  std::vector<std::vector<int>> skills;
  skills.reserve(tasks.size());
  for (const TaskInfo& task : tasks) {
    std::vector<int> ids;
    ids.reserve(task.skills.size());
    for (const std::string& skill : task.skills) {
      ids.push_back(skill_ids.emplace(skill, static_cast<int>(skill_ids.size())).first->second);
    }
    skills.push_back(std::move(ids));
  }
  agreement.spearman_similarity_vs_skill_overlap = similarity_vs_skill_overlap(similarity, skills);
  agreement.spearman_p_value =
      skill_overlap_p_value(similarity, skills, permutations, permutation_seed);
  return agreement;
}

}  // namespace tensorpoly::analysis
