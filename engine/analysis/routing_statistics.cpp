// Routing entropy per task and layer, how much weight each skill receives, and
// the flags for collapsed skills and near-uniform tasks (one normalisation and
// one entropy for all three).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "layer_selection.h"
#include "tensorpoly/analysis.h"

namespace tensorpoly::analysis {

namespace {

// Each skill's share of one task's weights (renormalised to sum 1), the one
// normalisation behind the entropy and the flags. Negative or NaN weights count
// as 0 (std::max(0.0, NaN) is 0); a row with no positive weight has no share.
template <typename Weight>
void skill_shares(const Weight* weights, int64_t n_skills, std::vector<double>* shares) {
  shares->assign(static_cast<size_t>(n_skills), 0.0);
  double total = 0.0;
  for (int64_t skill = 0; skill < n_skills; ++skill)
    total += std::max(0.0, static_cast<double>(weights[skill]));
  if (!(total > 0.0)) return;
  for (int64_t skill = 0; skill < n_skills; ++skill)
    (*shares)[static_cast<size_t>(skill)] =
        std::max(0.0, static_cast<double>(weights[skill])) / total;
}

// Entropy (nats) of shares that sum to 1 (or are all 0); 0 log 0 = 0.
double entropy_of(const std::vector<double>& shares) {
  double entropy = 0.0;
  for (const double p : shares)
    if (p > 0.0) entropy -= p * std::log(p);
  return entropy;
}

// n_blocks * n_tasks * n_skills without overflow; -1 when it does not fit.
int64_t weight_count(const RoutingWeights& weights) {
  int64_t count = 0;
  if (__builtin_mul_overflow(weights.n_blocks, weights.n_tasks, &count) ||
      __builtin_mul_overflow(count, weights.n_skills, &count))
    return -1;
  return count;
}

void validate_weights(const RoutingWeights& weights, int64_t block) {
  const std::string shape = "[" + std::to_string(weights.n_blocks) + ", " +
                            std::to_string(weights.n_tasks) + ", " +
                            std::to_string(weights.n_skills) + "]";
  if (weights.n_blocks <= 0 || weights.n_tasks <= 0 || weights.n_skills <= 0)
    throw std::invalid_argument("routing weights: shape " + shape + " has an empty axis");
  const int64_t count = weight_count(weights);
  if (count < 0 || static_cast<uint64_t>(count) != weights.values.size())
    throw std::invalid_argument("routing weights: shape " + shape + " does not fit its " +
                                std::to_string(weights.values.size()) + " values");
  if (block < -1 || block >= weights.n_blocks)
    throw std::invalid_argument("routing weights: no block " + std::to_string(block) +
                                " in shape " + shape);
}

}  // namespace

RoutingEntropy routing_entropy(const std::vector<RoutingMatrix>& routing,
                               const LayerSelection& selection) {
  const std::vector<size_t> selected = detail::select_layers(routing, selection);
  const int64_t n_tasks = routing[selected.front()].n_tasks();
  const auto n_layers = static_cast<int64_t>(selected.size());
  RoutingEntropy result;
  std::vector<double> shares;
  result.per_layer_task = Matrix(n_layers, n_tasks);
  result.per_task.assign(static_cast<size_t>(n_tasks), 0.0);
  result.per_layer.assign(static_cast<size_t>(n_layers), 0.0);
  for (int64_t position = 0; position < n_layers; ++position) {
    const RoutingMatrix& matrix = routing[selected[static_cast<size_t>(position)]];
    result.layers.push_back(matrix.layer);
    for (int64_t task = 0; task < n_tasks; ++task) {
      double sum = 0.0;
      for (int64_t block = 0; block < matrix.n_blocks(); ++block) {
        skill_shares(matrix.values.data() + (block * n_tasks + task) * matrix.n_skills(),
                     matrix.n_skills(), &shares);
        sum += entropy_of(shares);
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

RoutingWeights routing_weights(const RoutingMatrix& matrix) {
  detail::validate_routing_matrix(matrix);
  RoutingWeights weights;
  weights.n_blocks = matrix.n_blocks();
  weights.n_tasks = matrix.n_tasks();
  weights.n_skills = matrix.n_skills();
  weights.values.assign(matrix.values.begin(), matrix.values.end());
  return weights;
}

RoutingFlags routing_flags(const RoutingWeights& weights, int64_t block) {
  validate_weights(weights, block);
  std::vector<int64_t> blocks;
  for (int64_t b = 0; b < weights.n_blocks; ++b)
    if (block < 0 || b == block) blocks.push_back(b);
  const int64_t n_skills = weights.n_skills;
  // Kept as the ratio of each block, then averaged, so that a task at the
  // threshold lands on the same side as it always did.
  const double log_skills = std::log(static_cast<double>(n_skills));
  RoutingFlags flags;
  std::vector<bool> used(static_cast<size_t>(n_skills), false);
  std::vector<double> shares;
  for (int64_t task = 0; task < weights.n_tasks; ++task) {
    double entropy_ratio = 0.0;
    for (const int64_t b : blocks) {
      skill_shares(weights.values.data() + (b * weights.n_tasks + task) * n_skills, n_skills,
                   &shares);
      for (int64_t skill = 0; skill < n_skills; ++skill)
        if (shares[static_cast<size_t>(skill)] >= kCollapsedSkillShare / n_skills)
          used[static_cast<size_t>(skill)] = true;
      entropy_ratio += n_skills > 1 ? entropy_of(shares) / log_skills : 1.0;
    }
    if (n_skills > 1 && entropy_ratio / static_cast<double>(blocks.size()) >= kUniformEntropyRatio)
      flags.uniform_tasks.push_back(static_cast<int>(task));
  }
  for (int64_t skill = 0; skill < n_skills; ++skill)
    if (!used[static_cast<size_t>(skill)])
      flags.collapsed_skills.push_back(static_cast<int>(skill));
  return flags;
}

RoutingFlags routing_flags(const RoutingMatrix& matrix, int64_t block) {
  return routing_flags(routing_weights(matrix), block);
}

RoutingFlags routing_flags(const RoutingWeights& weights, int64_t block,
                           const std::vector<int>& tasks) {
  validate_weights(weights, block);
  RoutingWeights selected;
  selected.n_blocks = weights.n_blocks;
  selected.n_tasks = static_cast<int64_t>(tasks.size());
  selected.n_skills = weights.n_skills;
  for (int64_t b = 0; b < weights.n_blocks; ++b) {
    for (const int task : tasks) {
      if (task < 0 || task >= weights.n_tasks) {
        throw std::invalid_argument("routing flags: task " + std::to_string(task) +
                                    " is not a row of the routing (" +
                                    std::to_string(weights.n_tasks) + " tasks)");
      }
      const auto row = weights.values.begin() + (b * weights.n_tasks + task) * weights.n_skills;
      selected.values.insert(selected.values.end(), row, row + weights.n_skills);
    }
  }
  if (tasks.empty()) return {};
  RoutingFlags flags = routing_flags(selected, block);
  for (int& task : flags.uniform_tasks) task = tasks[static_cast<size_t>(task)];
  return flags;
}

}  // namespace tensorpoly::analysis
