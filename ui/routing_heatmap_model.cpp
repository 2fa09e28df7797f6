// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/routing_heatmap_model.h"

#include <QRegularExpression>
#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <utility>

namespace tensorpoly::ui {

// "encoder.block.3.layer.0.SelfAttention.q" -> ("encoder · block 3", "SelfAttention.q").
std::pair<QString, QString> RoutingHeatmapModel::layerGroup(const QString& layer) {
  static const QRegularExpression pattern(
      QStringLiteral(R"(^(encoder|decoder)\.block\.(\d+)\.(?:layer\.\d+\.)?(.*)$)"));
  const auto match = pattern.match(layer);
  if (!match.hasMatch()) return {QStringLiteral("other"), layer};
  return {QStringLiteral("%1 · block %2").arg(match.captured(1), match.captured(2)),
          match.captured(3)};
}

bool RoutingHeatmapModel::setTasks(const TaskLabels& tasks) {
  const bool changed = tasks.size() != tasks_.size() ||
                       !std::equal(tasks.begin(), tasks.end(), tasks_.begin(),
                                   [](const TaskLabel& a, const TaskLabel& b) {
                                     return a.name == b.name && a.family == b.family;
                                   });
  tasks_ = tasks;
  if (changed) cluster_orders_.clear();
  return changed;
}

QString RoutingHeatmapModel::taskName(int task) const {
  return task >= 0 && task < static_cast<int>(tasks_.size())
             ? tasks_[static_cast<size_t>(task)].name
             : QString::number(task);
}

QString RoutingHeatmapModel::taskFamily(int task) const {
  return task >= 0 && task < static_cast<int>(tasks_.size())
             ? tasks_[static_cast<size_t>(task)].family
             : QString();
}

void RoutingHeatmapModel::setSteps(std::vector<int64_t> steps) {
  steps_ = std::move(steps);
  std::sort(steps_.begin(), steps_.end());
}

bool RoutingHeatmapModel::followsLastStep() const {
  return current_step_ < 0 || steps_.empty() || current_step_ >= steps_.back();
}

void RoutingHeatmapModel::setRouting(int64_t step, const std::vector<RoutingMatrix>& layers) {
  cache_[step] = layers;
  forgetClusterOrders(step);  // new data for this step
  if (current_step_ < 0) current_step_ = step;
  if (!std::binary_search(steps_.begin(), steps_.end(), step))
    steps_.insert(std::upper_bound(steps_.begin(), steps_.end(), step), step);
  evictCache();
}

void RoutingHeatmapModel::evictCache() {
  while (static_cast<int>(cache_.size()) > kCacheSize) {
    // Drop the snapshot farthest from the current step that is not in use.
    auto victim = cache_.end();
    int64_t worst = -1;
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
      if (it->first == current_step_ || it->first == reference_step_) continue;
      const int64_t distance = std::abs(it->first - current_step_);
      if (distance > worst) {
        worst = distance;
        victim = it;
      }
    }
    if (victim == cache_.end()) return;
    forgetClusterOrders(victim->first);
    cache_.erase(victim);
  }
}

void RoutingHeatmapModel::clear() {
  cache_.clear();
  cluster_orders_.clear();
  steps_.clear();
  tasks_.clear();
  current_step_ = reference_step_ = -1;
  diff_ = false;
  external_cluster_order_.clear();
}

void RoutingHeatmapModel::setDiff(bool on, int64_t reference_step) {
  diff_ = on;
  if (reference_step < 0 && !steps_.empty()) reference_step = steps_.front();
  reference_step_ = reference_step;
}

bool RoutingHeatmapModel::shows(int64_t step) const {
  return step == current_step_ || (diff_ && step == reference_step_);
}

QStringList RoutingHeatmapModel::layers() const {
  QStringList names;
  const auto it = cache_.find(current_step_);
  const auto& source = it != cache_.end() ? it->second
                       : cache_.empty()   ? std::vector<RoutingMatrix>{}
                                          : cache_.rbegin()->second;
  for (const RoutingMatrix& matrix : source) names << QString::fromStdString(matrix.layer);
  return names;
}

void RoutingHeatmapModel::setExternalClusterOrder(const std::vector<int64_t>& leaf_order) {
  external_cluster_order_ = leaf_order;
}

bool RoutingHeatmapModel::compute(int64_t step, Shown* shown) {
  const auto it = cache_.find(step);
  if (it == cache_.end() || it->second.empty()) return false;
  const std::vector<RoutingMatrix>& layers = it->second;
  std::vector<const RoutingMatrix*> used;
  for (const RoutingMatrix& matrix : layers) {
    const bool wanted = layer_.isEmpty() ? matrix.shape == layers.front().shape &&
                                               matrix.kind == layers.front().kind
                                         : QString::fromStdString(matrix.layer) == layer_;
    if (wanted) used.push_back(&matrix);
  }
  if (used.empty()) return false;
  try {
    shown->kind = used.front()->kind;
    shown->base = analysis::routing_weights(*used.front());
    for (size_t i = 1; i < used.size(); ++i) {
      const analysis::RoutingWeights next = analysis::routing_weights(*used[i]);
      for (size_t v = 0; v < next.values.size(); ++v) shown->base.values[v] += next.values[v];
    }
  } catch (const std::invalid_argument& error) {
    problem_ = QString::fromStdString(error.what());
    return false;
  }
  const double scale = 1.0 / static_cast<double>(used.size());
  for (double& v : shown->base.values) v *= scale;
  shown->mean_of_layers = layer_.isEmpty() ? static_cast<int>(used.size()) : 0;
  return true;
}

void RoutingHeatmapModel::update(const std::function<bool(int)>& is_visible) {
  has_shown_ = false;
  problem_.clear();
  flags_ = {};
  Shown shown;
  Shown reference;
  const bool available = compute(current_step_, &shown) &&
                         (!diff_ || (compute(reference_step_, &reference) &&
                                     reference.base.values.size() == shown.base.values.size()));
  if (available) {
    shown.values = shown.base.values;
    if (diff_)
      for (size_t i = 0; i < shown.values.size(); ++i) shown.values[i] -= reference.base.values[i];
    shown_ = std::move(shown);
    has_shown_ = true;
    const int block = block_ >= 0 && block_ < shown_.blocks() ? block_ : -1;
    // Over the tasks the router was trained on: held-out rows that never trained are
    // near-uniform by construction (without task labels: every row).
    const std::vector<int> trained = analysis::analysed_tasks(
        shown_.base.n_tasks,
        static_cast<int64_t>(tasks_.size()) == shown_.base.n_tasks ? taskInfos(tasks_)
                                                                   : std::vector<TaskInfo>{},
        false);
    flags_ = analysis::routing_flags(shown_.base, block, trained);
  }
  updateRows(is_visible);
}

std::vector<int> RoutingHeatmapModel::shownBlocks() const {
  if (!has_shown_) return {};
  if (block_ >= 0 && block_ < shown_.blocks()) return {block_};
  std::vector<int> all(static_cast<size_t>(shown_.blocks()));
  std::iota(all.begin(), all.end(), 0);
  return all;
}

void RoutingHeatmapModel::updateRows(const std::function<bool(int)>& is_visible) {
  rows_.clear();
  const int n_tasks = has_shown_ ? shown_.tasks() : 0;
  for (int task = 0; task < n_tasks; ++task)
    if (is_visible(task)) rows_.push_back(task);
  const auto by_name = [this](int a, int b) {
    return taskName(a).localeAwareCompare(taskName(b)) < 0;
  };
  switch (row_order_) {
    case RowOrder::kIndex:
      break;
    case RowOrder::kName:
      std::stable_sort(rows_.begin(), rows_.end(), by_name);
      break;
    case RowOrder::kFamily:
      std::stable_sort(rows_.begin(), rows_.end(), [&](int a, int b) {
        const int by_family = taskFamily(a).localeAwareCompare(taskFamily(b));
        return by_family != 0 ? by_family < 0 : by_name(a, b);
      });
      break;
    case RowOrder::kCluster: {
      std::vector<int64_t> order = external_cluster_order_;
      if (order.size() != static_cast<size_t>(n_tasks) && n_tasks > 1) order = clusterOrder();
      std::vector<int> position(static_cast<size_t>(n_tasks), n_tasks);
      for (size_t i = 0; i < order.size(); ++i)
        if (order[i] >= 0 && order[i] < n_tasks)
          position[static_cast<size_t>(order[i])] = static_cast<int>(i);
      std::stable_sort(rows_.begin(), rows_.end(), [&](int a, int b) {
        return position[static_cast<size_t>(a)] < position[static_cast<size_t>(b)];
      });
      break;
    }
  }
  row_of_task_.assign(static_cast<size_t>(n_tasks), -1);
  for (size_t row = 0; row < rows_.size(); ++row)
    row_of_task_[static_cast<size_t>(rows_[row])] = static_cast<int>(row);
}

int RoutingHeatmapModel::rowOfTask(int task) const {
  return task >= 0 && task < static_cast<int>(row_of_task_.size())
             ? row_of_task_[static_cast<size_t>(task)]
             : -1;
}

bool RoutingHeatmapModel::isUniformTask(int task) const {
  return std::binary_search(flags_.uniform_tasks.begin(), flags_.uniform_tasks.end(), task);
}

bool RoutingHeatmapModel::isCollapsedSkill(int skill) const {
  return std::binary_search(flags_.collapsed_skills.begin(), flags_.collapsed_skills.end(), skill);
}

std::vector<int64_t> RoutingHeatmapModel::clusterOrder() {
  // The shown blocks (one order/split, or all of them) at the current step.
  const std::vector<int> blocks = shownBlocks();
  const ClusterKey key{current_step_, layer_, blocks.size() == 1 ? blocks.front() : -1};
  const auto cached = cluster_orders_.find(key);
  if (cached != cluster_orders_.end()) return cached->second;
  ++cluster_computations_;
  // Average linkage on the cosine distance of the shown routing (current step).
  const int n_tasks = shown_.tasks();
  const int n_skills = shown_.skills();
  const auto n_blocks = static_cast<int64_t>(blocks.size());
  analysis::Matrix vectors(n_tasks, n_blocks * n_skills);
  for (int64_t b = 0; b < n_blocks; ++b)
    for (int t = 0; t < n_tasks; ++t)
      for (int s = 0; s < n_skills; ++s)
        vectors.at(t, b * n_skills + s) = shown_.base.at(blocks[static_cast<size_t>(b)], t, s);
  std::vector<int64_t> order;
  try {
    order = analysis::leaf_order(analysis::linkage(vectors, analysis::Linkage::kAverage));
  } catch (const std::invalid_argument&) {  // an all-zero row: cosine is undefined
    order = analysis::leaf_order(
        analysis::linkage(vectors, analysis::Linkage::kAverage, analysis::Distance::kEuclidean));
  }
  // Bounded like the snapshot cache: a long scrub must not keep every order.
  if (static_cast<int>(cluster_orders_.size()) >= kCacheSize) cluster_orders_.clear();
  cluster_orders_.emplace(key, order);
  return order;
}

void RoutingHeatmapModel::forgetClusterOrders(int64_t step) {
  for (auto it = cluster_orders_.begin(); it != cluster_orders_.end();)
    it = std::get<0>(it->first) == step ? cluster_orders_.erase(it) : std::next(it);
}

}  // namespace tensorpoly::ui
