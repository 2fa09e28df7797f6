// One routing snapshot analysed end to end, and written as JSON.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "tensorpoly/analysis.h"

namespace tensorpoly::analysis {

namespace {

using Json = nlohmann::ordered_json;  // keys in the order written

Json number_or_null(double value) { return std::isfinite(value) ? Json(value) : Json(nullptr); }

}  // namespace

RoutingReport analyze_routing(const std::vector<RoutingMatrix>& all_routing,
                              const std::vector<TaskInfo>& all_tasks,
                              const ReportOptions& options) {
  RoutingReport report;
  const int64_t n_rows = all_routing.empty() ? 0 : all_routing.front().n_tasks();
  report.tasks = analysed_tasks(n_rows, all_tasks, options.include_heldout);
  for (int64_t row = 0, next = 0; row < n_rows; ++row) {
    if (next < static_cast<int64_t>(report.tasks.size()) && report.tasks[next] == row) {
      ++next;
    } else {
      report.heldout_tasks.push_back(static_cast<int>(row));
    }
  }
  const std::vector<RoutingMatrix> routing = select_tasks(all_routing, report.tasks);
  // Ground truth of the analysed tasks; rows without TaskInfo have none.
  std::vector<TaskInfo> tasks;
  for (int task : report.tasks) {
    tasks.push_back(static_cast<size_t>(task) < all_tasks.size() ? all_tasks[task] : TaskInfo{});
  }
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

  report.clusters = options.clusters > 0 ? options.clusters : default_cluster_count(tasks);
  report.cluster_labels = cut_into_clusters(report.merges, report.clusters);
  report.threshold = options.threshold;
  if (options.threshold >= 0.0)
    report.threshold_labels = cut_at_distance(report.merges, options.threshold);
  report.agreement = agreement_with_ground_truth(report.similarity, report.cluster_labels, tasks,
                                                 options.permutations, options.permutation_seed);
  report.entropy = routing_entropy(routing, options.layers);
  report.skill_usage = skill_usage(routing, options.layers);
  return report;
}

std::string analysed_tasks_text(size_t n_analysed, size_t n_left_out) {
  std::string text = std::to_string(n_analysed) + (n_left_out > 0 ? " training" : "") +
                     (n_analysed == 1 ? " task" : " tasks");
  if (n_left_out > 0) {
    text += " (" + std::to_string(n_left_out) + " held-out " +
            (n_left_out == 1 ? "task" : "tasks") + " left out)";
  }
  return text;
}

std::string report_json(const RoutingReport& report, const std::vector<TaskInfo>& tasks,
                        int indent) {
  using json = Json;
  // Report positions to the run's task indices.
  auto run_task = [&](int64_t position) {
    return static_cast<size_t>(position) < report.tasks.size()
               ? static_cast<int64_t>(report.tasks[static_cast<size_t>(position)])
               : position;
  };
  auto task_name = [&](int64_t i) {
    return i < static_cast<int64_t>(tasks.size()) && !tasks[static_cast<size_t>(i)].name.empty()
               ? tasks[static_cast<size_t>(i)].name
               : "task " + std::to_string(i);
  };
  auto members = [&](const std::vector<int>& labels) {
    std::map<int, json> by_label;
    for (int64_t i : report.leaf_order)
      by_label[labels[static_cast<size_t>(i)]].push_back(task_name(run_task(i)));
    json list = json::array();
    for (auto& [label, names] : by_label) list.push_back({{"label", label}, {"tasks", names}});
    return list;
  };

  auto task_json = [&](int64_t index) {
    json task = {{"index", index}, {"name", task_name(index)}};
    if (index < static_cast<int64_t>(tasks.size())) {
      const TaskInfo& info = tasks[static_cast<size_t>(index)];
      task["family"] = info.family;
      task["skills"] = info.skills;
      task["split"] = info.split;
    }
    return task;
  };
  json out;
  out["computed_on"] = analysed_tasks_text(report.tasks.size(), report.heldout_tasks.size());
  out["clustered_tasks"] = json::array();
  for (int task : report.tasks) out["clustered_tasks"].push_back(task_json(task));
  out["heldout_tasks"] = json::array();
  for (int task : report.heldout_tasks) out["heldout_tasks"].push_back(task_json(task));
  out["layers"] = report.layers;
  out["dims"] = report.dims;
  out["distance"] = distance_name(report.distance);
  out["linkage"] = linkage_name(report.linkage);
  json merges = json::array();
  for (const Merge& merge : report.merges) {
    merges.push_back({merge.left, merge.right, merge.distance, merge.size});
  }
  out["merges"] = merges;
  json leaves = json::array();
  for (int64_t position : report.leaf_order) leaves.push_back(run_task(position));
  out["leaf_order"] = leaves;
  out["clusters"] = {{"k", report.clusters},
                     {"labels", report.cluster_labels},
                     {"members", members(report.cluster_labels)}};
  if (!report.threshold_labels.empty()) {
    out["clusters_at_distance"] = {{"threshold", report.threshold},
                                   {"labels", report.threshold_labels},
                                   {"members", members(report.threshold_labels)}};
  }
  const Agreement& agreement = report.agreement;
  out["agreement"] = {{"ari_vs_families", number_or_null(agreement.ari_vs_families)},
                      {"nmi_vs_families", number_or_null(agreement.nmi_vs_families)},
                      {"ari_vs_modifiers", number_or_null(agreement.ari_vs_modifiers)},
                      {"nmi_vs_modifiers", number_or_null(agreement.nmi_vs_modifiers)},
                      {"spearman_cosine_vs_jaccard",
                       number_or_null(agreement.spearman_similarity_vs_skill_overlap)},
                      {"spearman_p_value", number_or_null(agreement.spearman_p_value)},
                      {"permutations", agreement.permutations},
                      {"permutation_seed", agreement.permutation_seed}};
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
