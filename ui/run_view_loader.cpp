// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/run_view_loader.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "ui/cluster_view.h"
#include "ui/routing_heatmap_view.h"

namespace tensorpoly::ui {
namespace {

std::vector<LossPoint> toPoints(const sessions::MetricSeries& series) {
  std::vector<LossPoint> points(series.steps.size());
  for (size_t i = 0; i < points.size(); ++i)
    points[i] = {series.steps[i], series.wall_time_s[i], series.values[i]};
  return points;
}

struct HeldoutPoint {
  int task = 0;
  LossPoint point;
};

// Few-shot evaluations of the held-out tasks, placed after training on the run's step axis
// (training's last step + the few-shot step), each task's in step order.
std::vector<HeldoutPoint> heldoutPoints(const sessions::Store& store, const sessions::RunRef& run) {
  std::vector<HeldoutPoint> points;
  const std::vector<sessions::EvaluationRow> rows = store.evaluations(run, "heldout");
  if (rows.empty()) return points;
  const auto summary = store.run_summary(run);
  const int64_t offset = summary ? summary->total_steps : 0;
  for (const sessions::EvaluationRow& row : rows) {
    if (row.task >= 0) points.push_back({row.task, {offset + row.step, row.wall_time_s, row.loss}});
  }
  std::stable_sort(points.begin(), points.end(), [](const HeldoutPoint& a, const HeldoutPoint& b) {
    return a.task != b.task ? a.task < b.task : a.point.step < b.point.step;
  });
  return points;
}

LossSeriesData readLossSeries(const sessions::Store& store, const sessions::RunRef& run,
                              TaskLabels tasks, int64_t after_train_step, int64_t after_eval_step) {
  LossSeriesData data;
  data.tasks = std::move(tasks);
  const size_t n_tasks = data.tasks.size();
  data.train.resize(n_tasks);
  data.eval.resize(n_tasks);
  sessions::SeriesQuery query;
  query.name = "loss";
  query.split = "train";
  query.after_step = after_train_step;
  for (const sessions::MetricSeries& series : store.metric_series(run, query)) {
    if (series.key.task < 0)
      data.mean = toPoints(series);
    else if (static_cast<size_t>(series.key.task) < n_tasks)
      data.train[static_cast<size_t>(series.key.task)] = toPoints(series);
  }
  // Evaluations after the last evaluated step read (all of them when -1).
  const std::vector<sessions::EvaluationRow> rows =
      after_eval_step < 0 ? store.evaluations(run, "eval")
                          : store.evaluations(run, "eval", std::nullopt, after_eval_step);
  for (const sessions::EvaluationRow& row : rows) {
    if (row.task < 0 || static_cast<size_t>(row.task) >= n_tasks) continue;
    data.eval[static_cast<size_t>(row.task)].push_back({row.step, row.wall_time_s, row.loss});
  }
  return data;
}

// Adds the held-out curves to `data` (their own tasks' eval series).
void addHeldoutPoints(LossSeriesData* data, const std::vector<HeldoutPoint>& points) {
  for (const HeldoutPoint& point : points)
    if (static_cast<size_t>(point.task) < data->eval.size())
      data->eval[static_cast<size_t>(point.task)].push_back(point.point);
}

}  // namespace

LossSeriesData lossSeriesFromStore(const sessions::Store& store, const sessions::RunRef& run,
                                   int64_t after_train_step, int64_t after_eval_step) {
  LossSeriesData data =
      readLossSeries(store, run, taskLabels(store.tasks(run)), after_train_step, after_eval_step);
  if (after_eval_step < 0) addHeldoutPoints(&data, heldoutPoints(store, run));
  return data;
}

RunViewLoader::RunViewLoader(const QString& database_path, const sessions::RunRef& run,
                             QObject* parent)
    : RunViewLoader(std::make_shared<sessions::Store>(sessions::Store::open(
                        database_path.toStdString(), sessions::OpenMode::kReadOnly)),
                    run, parent) {}

RunViewLoader::RunViewLoader(std::shared_ptr<sessions::Store> store, const sessions::RunRef& run,
                             QObject* parent)
    : QObject(parent), store_(std::move(store)), run_(run) {}

void RunViewLoader::setLossPlot(LossPlotView* view) { loss_ = view; }

void RunViewLoader::setRoutingHeatmap(RoutingHeatmapView* view) {
  if (heatmap_) disconnect(heatmap_, nullptr, this, nullptr);
  heatmap_ = view;
  if (heatmap_)
    connect(heatmap_, &RoutingHeatmapView::requestStep, this,
            [this](qint64 step) { loadStep(step); });
}

void RunViewLoader::setClusterView(ClusterView* view) { clusters_ = view; }

void RunViewLoader::load() {
  tasks_ = taskLabels(store_->tasks(run_));
  last_train_step_ = last_eval_step_ = last_routing_step_ = clustered_step_ = -1;
  heldout_read_.clear();
  read_counts_ = {};
  if (loss_) {
    LossSeriesData data = readLossSeries(*store_, run_, tasks_, -1, -1);
    for (const auto& series : data.train) {
      read_counts_.train_points += series.size();
      if (!series.empty()) last_train_step_ = std::max(last_train_step_, series.back().step);
    }
    read_counts_.train_points += data.mean.size();
    if (!data.mean.empty()) last_train_step_ = std::max(last_train_step_, data.mean.back().step);
    for (const auto& series : data.eval) {
      read_counts_.eval_points += series.size();
      if (!series.empty()) last_eval_step_ = std::max(last_eval_step_, series.back().step);
    }
    // The held-out curves have an axis of their own (after training): tracked apart.
    const std::vector<HeldoutPoint> heldout = heldoutPoints(*store_, run_);
    addHeldoutPoints(&data, heldout);
    for (const HeldoutPoint& point : heldout) heldout_read_.insert({point.task, point.point.step});
    read_counts_.eval_points += heldout.size();
    loss_->setSeries(data);
  }
  const std::vector<int64_t> steps = snapshotSteps();
  if (!steps.empty()) last_routing_step_ = steps.back();
  if (heatmap_) {
    heatmap_->clear();
    heatmap_->setTasks(tasks_);
    heatmap_->setSnapshots(steps);  // asks for the last step through requestStep
  }
  if (clusters_) {
    clusters_->clear();
    if (lastTrainingStep(steps) >= 0) updateClusters(lastTrainingStep(steps));
  }
}

void RunViewLoader::refresh() {
  if (tasks_.empty()) {
    load();
    return;
  }
  read_counts_ = {};
  if (loss_) {
    // Train and eval positions advance separately, so neither re-reads the other's rows.
    const LossSeriesData delta =
        readLossSeries(*store_, run_, tasks_, last_train_step_, last_eval_step_);
    std::vector<LossIncrement> increments;
    const auto add = [&](int task, bool eval, const std::vector<LossPoint>& points, int64_t* last) {
      for (const LossPoint& point : points) {
        increments.push_back({task, eval, point});
        *last = std::max(*last, point.step);
      }
      (eval ? read_counts_.eval_points : read_counts_.train_points) += points.size();
    };
    for (size_t task = 0; task < delta.train.size(); ++task)
      add(static_cast<int>(task), false, delta.train[task], &last_train_step_);
    add(-1, false, delta.mean, &last_train_step_);
    for (size_t task = 0; task < delta.eval.size(); ++task)
      add(static_cast<int>(task), true, delta.eval[task], &last_eval_step_);
    for (const HeldoutPoint& point : heldoutPoints(*store_, run_)) {
      if (!heldout_read_.insert({point.task, point.point.step}).second) continue;
      increments.push_back({point.task, true, point.point});
      ++read_counts_.eval_points;
    }
    if (!increments.empty()) loss_->appendPoints(increments);
  }
  const std::vector<int64_t> steps = snapshotSteps();
  if (!steps.empty() && steps.back() > last_routing_step_) {
    last_routing_step_ = steps.back();
    if (heatmap_) heatmap_->setSnapshots(steps);
    if (clusters_) updateClusters(lastTrainingStep(steps));
  }
}

std::vector<int64_t> RunViewLoader::snapshotSteps() const {
  std::vector<int64_t> steps = store_->routing_steps(run_);
  if (store_->adapted_routing(run_).step >= 0) steps.push_back(RoutingHeatmapModel::kAdaptedStep);
  return steps;
}

int64_t RunViewLoader::lastTrainingStep(const std::vector<int64_t>& steps) {
  for (auto it = steps.rbegin(); it != steps.rend(); ++it)
    if (*it != RoutingHeatmapModel::kAdaptedStep) return *it;
  return -1;
}

void RunViewLoader::loadStep(int64_t step) {
  if (!heatmap_) return;
  sessions::RoutingAtStep routing = step == RoutingHeatmapModel::kAdaptedStep
                                        ? store_->adapted_routing(run_)
                                        : store_->routing_nearest(run_, step);
  if (routing.step < 0) return;
  // The view asked for `step`; answer under that step even if the nearest differs.
  heatmap_->setRouting(step, routing.layers);
}

void RunViewLoader::updateClusters(int64_t step) {
  if (!clusters_ || step == clustered_step_) return;
  const sessions::RoutingAtStep routing = store_->routing_nearest(run_, step);
  if (routing.step < 0) return;
  clustered_step_ = step;
  clusters_->setRouting(routing.layers, tasks_, routing.step);
}

}  // namespace tensorpoly::ui
