// The data behind the routing heatmap, without widgets: a bounded cache of
// routing snapshots by step, what is shown (one layer or the mean over layers, at
// the current step or as its difference from a reference step), the row order
// (task index, name, family, or dendrogram leaf order cached per step, layer and
// block) and the collapsed-skill / near-uniform-task flags of the shown routing
// (tensorpoly::analysis::routing_flags, over the tasks the router was trained on). QtCore only: it
// runs and is tested without a QApplication. SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QStringList>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include "tensorpoly/analysis.h"
#include "tensorpoly/routing.h"
#include "ui/task_selection.h"

namespace tensorpoly::ui {

class RoutingHeatmapModel {
 public:
  enum class RowOrder { kIndex, kName, kFamily, kCluster };
  static constexpr int kCacheSize = 16;  // snapshots (and cluster orders) kept in memory
  // The "step" of the routing after few-shot adaptation (each held-out task's row as its
  // own adaptation learned it), listed after every training step.
  static constexpr int64_t kAdaptedStep = std::numeric_limits<int64_t>::max();

  // What the heatmap draws, [blocks][tasks][skills].
  struct Shown {
    RoutingKind kind = RoutingKind::kSkills;
    analysis::RoutingWeights base;  // the current step
    std::vector<double> values;     // base, or base minus the reference step in diff mode
    int mean_of_layers = 0;         // layers averaged; 0 when one layer is chosen

    int blocks() const { return static_cast<int>(base.n_blocks); }
    int tasks() const { return static_cast<int>(base.n_tasks); }
    int skills() const { return static_cast<int>(base.n_skills); }
    double value(int block, int task, int skill) const {
      return values[(static_cast<size_t>(block) * tasks() + task) * skills() + skill];
    }
  };

  // The run's tasks. Returns whether a name or family changed; then every cached
  // cluster order is dropped (another run).
  bool setTasks(const TaskLabels& tasks);
  const TaskLabels& tasks() const { return tasks_; }
  QString taskName(int task) const;    // the name, or the index when unknown
  QString taskFamily(int task) const;  // "" when unknown

  // The steps that have a snapshot (sorted here).
  void setSteps(std::vector<int64_t> steps);
  const std::vector<int64_t>& steps() const { return steps_; }
  // Whether the current step is the last one (or there is none): a live run's new
  // last step should become the current one.
  bool followsLastStep() const;
  // Caches the routing of `step` (adding it to the steps), drops that step's cluster
  // orders, takes it as the current step when there is none, and evicts the cached
  // snapshot farthest from the current step beyond kCacheSize (never the current or
  // the reference step).
  void setRouting(int64_t step, const std::vector<RoutingMatrix>& layers);
  bool hasRouting(int64_t step) const { return cache_.count(step) > 0; }
  int cachedSnapshots() const { return static_cast<int>(cache_.size()); }
  // Forgets snapshots, steps, tasks, the diff and the external cluster order; keeps
  // the layer, block and row order choices.
  void clear();

  void setCurrentStep(int64_t step) { current_step_ = step; }
  int64_t currentStep() const { return current_step_; }
  // reference_step < 0: the first step.
  void setDiff(bool on, int64_t reference_step);
  bool isDiff() const { return diff_; }
  int64_t referenceStep() const { return reference_step_; }
  // Whether new routing for `step` changes what is shown.
  bool shows(int64_t step) const;

  // A full layer name, or "" for the mean over the layers shaped like the first.
  void setLayer(const QString& layer) { layer_ = layer; }
  const QString& layer() const { return layer_; }
  // The layers of the current step (else of the last cached one).
  QStringList layers() const;
  // Order/split index, or -1 (or out of range) for all of them.
  void setBlock(int block) { block_ = block; }
  int block() const { return block_; }
  void setRowOrder(RowOrder order) { row_order_ = order; }
  RowOrder rowOrder() const { return row_order_; }
  // Leaf order from a clustering elsewhere; used while it covers every task.
  void setExternalClusterOrder(const std::vector<int64_t>& leaf_order);
  // The heading and the entry of a layer in a layer menu grouped by stack and block:
  // "encoder.block.3.layer.0.SelfAttention.q" -> ("encoder · block 3", "SelfAttention.q");
  // ("other", layer) for names of another form.
  static std::pair<QString, QString> layerGroup(const QString& layer);

  // Recomputes what is shown, its flags and the rows of the tasks `is_visible`
  // accepts. Nothing is shown when the current (or, in diff mode, the reference)
  // step is not cached or the chosen layer is missing; problem() says why when the
  // routing itself is malformed.
  void update(const std::function<bool(int task)>& is_visible);
  bool hasShown() const { return has_shown_; }
  const Shown& shown() const { return shown_; }
  QString problem() const { return problem_; }
  // The blocks drawn: block() when it exists, else all of them.
  std::vector<int> shownBlocks() const;
  // Visible tasks top to bottom, and each task's row (-1: hidden).
  const std::vector<int>& rows() const { return rows_; }
  int rowOfTask(int task) const;
  const analysis::RoutingFlags& flags() const { return flags_; }
  bool isUniformTask(int task) const;
  bool isCollapsedSkill(int skill) const;
  // How often a cluster row order was computed (the cache's effect, for tests).
  int clusterOrderComputations() const { return cluster_computations_; }

 private:
  using ClusterKey = std::tuple<int64_t, QString, int>;  // step, layer, block (-1: all)

  // The chosen layer or the mean at `step`; false when it is not available.
  bool compute(int64_t step, Shown* shown);
  void updateRows(const std::function<bool(int)>& is_visible);
  std::vector<int64_t> clusterOrder();
  void evictCache();
  void forgetClusterOrders(int64_t step);

  TaskLabels tasks_;
  std::vector<int64_t> steps_;
  std::map<int64_t, std::vector<RoutingMatrix>> cache_;
  int64_t current_step_ = -1;
  int64_t reference_step_ = -1;
  bool diff_ = false;
  QString layer_;
  int block_ = 0;
  RowOrder row_order_ = RowOrder::kIndex;
  std::vector<int64_t> external_cluster_order_;
  std::map<ClusterKey, std::vector<int64_t>> cluster_orders_;
  int cluster_computations_ = 0;

  Shown shown_;
  bool has_shown_ = false;
  QString problem_;
  std::vector<int> rows_;
  std::vector<int> row_of_task_;
  analysis::RoutingFlags flags_;
};

}  // namespace tensorpoly::ui
