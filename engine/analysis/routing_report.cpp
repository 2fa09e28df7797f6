// One routing snapshot analysed end to end, and written as JSON.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "tensorpoly/analysis.h"

namespace tensorpoly::analysis {

namespace {

constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

// Dense integer ids for strings, in order of first appearance.
class Dictionary {
 public:
  int id(const std::string& text) {
    return ids_.emplace(text, static_cast<int>(ids_.size())).first->second;
  }
  size_t size() const { return ids_.size(); }

 private:
  std::map<std::string, int> ids_;
};

using Json = nlohmann::ordered_json;  // keys in the order written

Json number_or_null(double value) { return std::isfinite(value) ? Json(value) : Json(nullptr); }

}  // namespace

RoutingReport analyze_routing(const std::vector<RoutingMatrix>& routing,
                              const std::vector<TaskInfo>& tasks, const ReportOptions& options) {
  RoutingReport report;
  const TaskVectors selected = task_vectors(routing, options.layers);
  const Matrix& vectors = selected.vectors;
  const int64_t n = vectors.rows;
  report.layers = selected.layers;
  report.dims = vectors.cols;
  report.linkage = options.linkage;
  report.distance = options.linkage == Linkage::kWard ? Distance::kEuclidean : options.distance;

  report.similarity = similarity_matrix(vectors, Similarity::kCosine, options.threads);
  const std::vector<double> distances =
      report.distance == Distance::kCosine
          ? distances_from_similarity(report.similarity)
          : pairwise_distances(vectors, report.distance, options.threads);
  report.merges = linkage(distances, n, report.linkage);
  report.leaf_order = leaf_order(report.merges);

  // Ground truth, where every task has it.
  const bool families_known = static_cast<int64_t>(tasks.size()) >= n &&
                              std::all_of(tasks.begin(), tasks.begin() + n,
                                          [](const TaskInfo& t) { return !t.family.empty(); });
  const bool skills_known = static_cast<int64_t>(tasks.size()) >= n &&
                            std::all_of(tasks.begin(), tasks.begin() + n,
                                        [](const TaskInfo& t) { return !t.skills.empty(); });
  std::vector<int> families;
  Dictionary family_ids;
  if (families_known) {
    for (int64_t i = 0; i < n; ++i)
      families.push_back(family_ids.id(tasks[static_cast<size_t>(i)].family));
  }

  report.clusters = options.clusters;
  if (report.clusters <= 0) {
    report.clusters = families_known
                          ? static_cast<int>(family_ids.size())
                          : std::max(1, static_cast<int>(std::lround(std::sqrt(n / 2.0))));
  }
  report.cluster_labels = cut_into_clusters(report.merges, report.clusters);
  report.threshold = options.threshold;
  if (options.threshold >= 0.0)
    report.threshold_labels = cut_at_distance(report.merges, options.threshold);

  report.ari_vs_families =
      families_known ? adjusted_rand_index(families, report.cluster_labels) : kUnknown;
  report.nmi_vs_families =
      families_known ? normalized_mutual_information(families, report.cluster_labels) : kUnknown;
  report.spearman_similarity_vs_skill_overlap = kUnknown;
  if (skills_known && n >= 3) {
    Dictionary skill_ids;
    std::vector<std::vector<int>> skills(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      for (const std::string& skill : tasks[static_cast<size_t>(i)].skills) {
        skills[static_cast<size_t>(i)].push_back(skill_ids.id(skill));
      }
    }
    report.spearman_similarity_vs_skill_overlap =
        similarity_vs_skill_overlap(report.similarity, skills);
  }
  report.entropy = routing_entropy(routing, options.layers);
  report.skill_usage = skill_usage(routing, options.layers);
  return report;
}

std::string report_json(const RoutingReport& report, const std::vector<TaskInfo>& tasks,
                        int indent) {
  using json = Json;
  const auto n = static_cast<int64_t>(report.leaf_order.size());
  auto task_name = [&](int64_t i) {
    return i < static_cast<int64_t>(tasks.size()) && !tasks[static_cast<size_t>(i)].name.empty()
               ? tasks[static_cast<size_t>(i)].name
               : "task " + std::to_string(i);
  };
  auto members = [&](const std::vector<int>& labels) {
    std::map<int, json> by_label;
    for (int64_t i : report.leaf_order)
      by_label[labels[static_cast<size_t>(i)]].push_back(task_name(i));
    json list = json::array();
    for (auto& [label, names] : by_label) list.push_back({{"label", label}, {"tasks", names}});
    return list;
  };

  json out;
  out["tasks"] = json::array();
  for (int64_t i = 0; i < n; ++i) {
    json task = {{"index", i}, {"name", task_name(i)}};
    if (i < static_cast<int64_t>(tasks.size())) {
      task["family"] = tasks[static_cast<size_t>(i)].family;
      task["skills"] = tasks[static_cast<size_t>(i)].skills;
    }
    out["tasks"].push_back(task);
  }
  out["layers"] = report.layers;
  out["dims"] = report.dims;
  out["distance"] = distance_name(report.distance);
  out["linkage"] = linkage_name(report.linkage);
  json merges = json::array();
  for (const Merge& merge : report.merges) {
    merges.push_back({merge.left, merge.right, merge.distance, merge.size});
  }
  out["merges"] = merges;
  out["leaf_order"] = report.leaf_order;
  out["clusters"] = {{"k", report.clusters},
                     {"labels", report.cluster_labels},
                     {"members", members(report.cluster_labels)}};
  if (!report.threshold_labels.empty()) {
    out["clusters_at_distance"] = {{"threshold", report.threshold},
                                   {"labels", report.threshold_labels},
                                   {"members", members(report.threshold_labels)}};
  }
  out["agreement"] = {
      {"ari_vs_families", number_or_null(report.ari_vs_families)},
      {"nmi_vs_families", number_or_null(report.nmi_vs_families)},
      {"spearman_cosine_vs_jaccard", number_or_null(report.spearman_similarity_vs_skill_overlap)}};
  json per_layer = json::object();
  json usage = json::object();
  for (size_t l = 0; l < report.entropy.layers.size(); ++l) {
    per_layer[report.entropy.layers[l]] = report.entropy.per_layer[l];
    std::vector<double> row(report.skill_usage.per_layer_skill.row(static_cast<int64_t>(l)),
                            report.skill_usage.per_layer_skill.row(static_cast<int64_t>(l)) +
                                report.skill_usage.per_layer_skill.cols);
    usage[report.skill_usage.layers[l]] = row;
  }
  out["entropy"] = {
      {"unit", "nats"}, {"per_task", report.entropy.per_task}, {"per_layer", per_layer}};
  out["skill_usage"] = usage;
  return out.dump(indent);
}

}  // namespace tensorpoly::analysis
