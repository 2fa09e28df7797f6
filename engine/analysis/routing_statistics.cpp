// Routing entropy per task and layer, and how much weight each skill receives.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cmath>

#include "layer_selection.h"
#include "tensorpoly/analysis.h"

namespace tensorpoly::analysis {

namespace {

// Entropy (nats) of one task's weights over skills, renormalised to sum 1.
// Zero weights contribute nothing (0 log 0 = 0); an all-zero row has none.
double entropy_of(const float* weights, int64_t n_skills) {
  double total = 0.0;
  for (int64_t skill = 0; skill < n_skills; ++skill) total += weights[skill];
  if (!(total > 0.0)) return 0.0;
  double entropy = 0.0;
  for (int64_t skill = 0; skill < n_skills; ++skill) {
    const double p = weights[skill] / total;
    if (p > 0.0) entropy -= p * std::log(p);
  }
  return entropy;
}

}  // namespace

RoutingEntropy routing_entropy(const std::vector<RoutingMatrix>& routing,
                               const LayerSelection& selection) {
  const std::vector<size_t> selected = detail::select_layers(routing, selection);
  const int64_t n_tasks = routing[selected.front()].n_tasks();
  const auto n_layers = static_cast<int64_t>(selected.size());
  RoutingEntropy result;
  result.per_layer_task = Matrix(n_layers, n_tasks);
  result.per_task.assign(static_cast<size_t>(n_tasks), 0.0);
  result.per_layer.assign(static_cast<size_t>(n_layers), 0.0);
  for (int64_t position = 0; position < n_layers; ++position) {
    const RoutingMatrix& matrix = routing[selected[static_cast<size_t>(position)]];
    result.layers.push_back(matrix.layer);
    for (int64_t task = 0; task < n_tasks; ++task) {
      double sum = 0.0;
      for (int64_t block = 0; block < matrix.n_blocks(); ++block) {
        sum += entropy_of(matrix.values.data() + (block * n_tasks + task) * matrix.n_skills(),
                          matrix.n_skills());
      }
      const double entropy = sum / static_cast<double>(matrix.n_blocks());
      result.per_layer_task.at(position, task) = entropy;
      result.per_task[static_cast<size_t>(task)] += entropy / static_cast<double>(n_layers);
      result.per_layer[static_cast<size_t>(position)] += entropy / static_cast<double>(n_tasks);
    }
  }
  return result;
}

SkillUsage skill_usage(const std::vector<RoutingMatrix>& routing, const LayerSelection& selection) {
  const std::vector<size_t> selected = detail::select_layers(routing, selection);
  int64_t max_skills = 0;
  for (size_t index : selected) max_skills = std::max(max_skills, routing[index].n_skills());
  SkillUsage result;
  // Layers may differ in their number of skills; missing skills read 0.
  result.per_layer_skill = Matrix(static_cast<int64_t>(selected.size()), max_skills);
  for (size_t position = 0; position < selected.size(); ++position) {
    const RoutingMatrix& matrix = routing[selected[position]];
    result.layers.push_back(matrix.layer);
    const int64_t n_skills = matrix.n_skills();
    for (size_t value = 0; value < matrix.values.size(); ++value) {
      result.per_layer_skill.at(static_cast<int64_t>(position),
                                static_cast<int64_t>(value) % n_skills) += matrix.values[value];
    }
  }
  return result;
}

}  // namespace tensorpoly::analysis
