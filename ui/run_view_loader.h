// Fills the run views (loss plot, routing heatmap, clustering) from a sessions
// store: the whole run on load(), then only what is new on refresh() — the one
// path for a saved run and a live one (call refresh() whenever the recorder
// reports a commit). Reads on the GUI thread; every query is indexed by run.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>
#include <cstdint>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "tensorpoly/sessions/store.h"
#include "ui/loss_plot_view.h"
#include "ui/task_selection.h"

namespace tensorpoly::ui {

class ClusterView;
class RoutingHeatmapView;

// Train loss per task (task -1 in the store: the mean) and eval loss as markers; the
// held-out tasks' few-shot evaluations as their curves after training (step = training's
// last step + the few-shot step).
// Live deltas: only train points after `after_train_step` and evaluations after
// `after_eval_step` (-1: all); the two advance separately, since evaluations are rarer.
LossSeriesData lossSeriesFromStore(const sessions::Store& store, const sessions::RunRef& run,
                                   int64_t after_train_step = -1, int64_t after_eval_step = -1);

// How many points the last load()/refresh() read from the store.
struct LoaderReadCounts {
  size_t train_points = 0;  // per-task and mean train losses
  size_t eval_points = 0;   // evaluation rows
};

class RunViewLoader : public QObject {
  Q_OBJECT

 public:
  // Opens its own read-only connection to `database_path` (WAL readers never block
  // the recorder). Throws sessions::StoreError.
  RunViewLoader(const QString& database_path, const sessions::RunRef& run,
                QObject* parent = nullptr);
  // Uses a store the caller keeps alive.
  RunViewLoader(std::shared_ptr<sessions::Store> store, const sessions::RunRef& run,
                QObject* parent = nullptr);

  void setLossPlot(LossPlotView* view);
  void setRoutingHeatmap(RoutingHeatmapView* view);
  void setClusterView(ClusterView* view);

  const TaskLabels& tasks() const { return tasks_; }
  const sessions::RunRef& run() const { return run_; }
  const LoaderReadCounts& lastReadCounts() const { return read_counts_; }

 public Q_SLOTS:
  // Reads the whole run into every attached view.
  void load();
  // Reads only what was committed since the last load()/refresh().
  void refresh();

 private:
  void loadStep(int64_t step);
  void updateClusters(int64_t step);
  // The routing steps, then RoutingHeatmapModel::kAdaptedStep when the run has routing
  // after few-shot adaptation.
  std::vector<int64_t> snapshotSteps() const;
  static int64_t lastTrainingStep(const std::vector<int64_t>& steps);  // -1: none

  std::shared_ptr<sessions::Store> store_;
  sessions::RunRef run_;
  TaskLabels tasks_;
  int64_t last_train_step_ = -1;                    // the last train-loss step read
  int64_t last_eval_step_ = -1;                     // the last evaluated step read
  std::set<std::pair<int, int64_t>> heldout_read_;  // (task, step) of held-out points read
  LoaderReadCounts read_counts_;
  int64_t last_routing_step_ = -1;
  int64_t clustered_step_ = -1;
  QPointer<LossPlotView> loss_;
  QPointer<RoutingHeatmapView> heatmap_;
  QPointer<ClusterView> clusters_;
};

}  // namespace tensorpoly::ui
