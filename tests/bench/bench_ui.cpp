// Responsiveness of the run views (issue 7): redraw/replot times with an
// offscreen QApplication and real, shown widgets.
//   bench_ui --benchmark_filter=. (QT_QPA_PLATFORM defaults to offscreen here)
// Targets: a 1,000-task × 64-skill heatmap redraws in < 50 ms; a loss plot with
// 200 tasks × 10,000 points each replots in < 30 ms.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <benchmark/benchmark.h>

#include <QApplication>
#include <QElapsedTimer>
#include <cmath>
#include <memory>
#include <random>

#include "ui/loss_plot_view.h"
#include "ui/qcustomplot_include.h"
#include "ui/routing_heatmap_view.h"

namespace {

using tensorpoly::RoutingKind;
using tensorpoly::RoutingMatrix;
using tensorpoly::ui::LossIncrement;
using tensorpoly::ui::LossPlotView;
using tensorpoly::ui::LossSeriesData;
using tensorpoly::ui::RoutingHeatmapView;
using tensorpoly::ui::TaskLabels;

TaskLabels labels(int n_tasks, int n_families) {
  TaskLabels tasks;
  for (int t = 0; t < n_tasks; ++t)
    tasks.push_back(
        {QStringLiteral("task-%1").arg(t), QStringLiteral("family-%1").arg(t % n_families)});
  return tasks;
}

std::vector<RoutingMatrix> randomRouting(int n_layers, int n_tasks, int n_skills, unsigned seed) {
  std::mt19937 rng(seed);
  std::gamma_distribution<float> gamma(0.3f, 1.0f);  // peaked, Dirichlet-like rows
  std::vector<RoutingMatrix> layers;
  for (int l = 0; l < n_layers; ++l) {
    RoutingMatrix matrix;
    matrix.layer = "encoder.block." + std::to_string(l) + ".layer.0.SelfAttention.q";
    matrix.kind = RoutingKind::kSkills;
    matrix.shape = {n_tasks, n_skills};
    matrix.values.resize(static_cast<size_t>(n_tasks) * n_skills);
    for (int t = 0; t < n_tasks; ++t) {
      float total = 0.0f;
      for (int s = 0; s < n_skills; ++s)
        total += matrix.values[t * n_skills + s] = gamma(rng) + 1e-6f;
      for (int s = 0; s < n_skills; ++s) matrix.values[t * n_skills + s] /= total;
    }
    layers.push_back(std::move(matrix));
  }
  return layers;
}

// Full redraw of what the user sees after a step change: recompute the shown
// matrix (and flags, row order), refill the colour map, replot immediately.
// by_cluster: rows in dendrogram order computed here (no external order); the order
// is computed once before the loop and then comes from the view's cache, as in a
// redraw for a hover, a highlight or a resize (cluster_computations stays 1).
void BM_HeatmapRedraw(benchmark::State& state) {
  const int n_tasks = static_cast<int>(state.range(0));
  const int n_skills = static_cast<int>(state.range(1));
  const int n_layers = static_cast<int>(state.range(2));
  RoutingHeatmapView view;
  view.resize(1280, 900);
  view.show();
  view.setRouting(1000, randomRouting(n_layers, n_tasks, n_skills, 1), labels(n_tasks, 8));
  view.setRowOrder(state.range(4) != 0   ? RoutingHeatmapView::RowOrder::kCluster
                   : state.range(3) != 0 ? RoutingHeatmapView::RowOrder::kFamily
                                         : RoutingHeatmapView::RowOrder::kIndex);
  view.redrawNow();
  view.plot()->replot(QCustomPlot::rpImmediateRefresh);
  for (auto _ : state) {
    view.redrawNow();
    view.plot()->replot(QCustomPlot::rpImmediateRefresh);
  }
  state.counters["replot_ms"] = view.plot()->replotTime(true);
  state.counters["cluster_computations"] = view.clusterOrderComputations();
}
BENCHMARK(BM_HeatmapRedraw)
    ->ArgNames({"tasks", "skills", "layers", "by_family", "by_cluster"})
    ->Args({1000, 64, 1, 0, 0})
    ->Args({1000, 64, 1, 1, 0})
    ->Args({1000, 64, 1, 0, 1})
    ->Args({1000, 64, 24, 0, 0})  // the mean over 24 layers
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The first redraw in cluster order at a new step (or after new routing for it):
// average linkage over 1,000 tasks, then the redraw; what the cache saves afterwards.
void BM_HeatmapClusterOrderAtNewStep(benchmark::State& state) {
  RoutingHeatmapView view;
  view.resize(1280, 900);
  view.show();
  const auto routing = randomRouting(1, 1000, 64, 4);
  view.setRouting(1000, routing, labels(1000, 8));
  view.setRowOrder(RoutingHeatmapView::RowOrder::kCluster);
  for (auto _ : state) {
    view.setRouting(1000, routing);  // new data for the step: its order is recomputed
    view.redrawNow();
    view.plot()->replot(QCustomPlot::rpImmediateRefresh);
  }
  state.counters["cluster_computations"] = view.clusterOrderComputations();
}
BENCHMARK(BM_HeatmapClusterOrderAtNewStep)->Unit(benchmark::kMillisecond)->UseRealTime();

// Replot alone (e.g. hover highlight, a resize): the colour map image is cached.
void BM_HeatmapReplot(benchmark::State& state) {
  RoutingHeatmapView view;
  view.resize(1280, 900);
  view.show();
  view.setRouting(1000, randomRouting(1, 1000, 64, 2), labels(1000, 8));
  view.redrawNow();
  view.plot()->replot(QCustomPlot::rpImmediateRefresh);
  for (auto _ : state) view.plot()->replot(QCustomPlot::rpImmediateRefresh);
  state.counters["replot_ms"] = view.plot()->replotTime(true);
}
BENCHMARK(BM_HeatmapReplot)->Unit(benchmark::kMillisecond)->UseRealTime();

LossSeriesData lossData(int n_tasks, int n_points) {
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0.0, 0.05);
  LossSeriesData data;
  data.tasks = labels(n_tasks, 10);
  data.train.resize(static_cast<size_t>(n_tasks));
  data.eval.resize(static_cast<size_t>(n_tasks));
  for (int t = 0; t < n_tasks; ++t) {
    auto& series = data.train[static_cast<size_t>(t)];
    series.reserve(static_cast<size_t>(n_points));
    for (int s = 0; s < n_points; ++s)
      series.push_back({s, 0.05 * s, 0.5 + 3.0 * std::exp(-s / 2000.0) + 0.01 * t + noise(rng)});
    for (int s = 0; s < n_points; s += 1000)
      data.eval[static_cast<size_t>(t)].push_back({s, 0.05 * s, 1.0});
  }
  return data;
}

void BM_LossReplot(benchmark::State& state) {
  const int n_tasks = static_cast<int>(state.range(0));
  const int n_points = static_cast<int>(state.range(1));
  LossPlotView view;
  view.resize(1280, 800);
  view.show();
  view.setSeries(lossData(n_tasks, n_points));
  if (state.range(2) != 0) view.selection()->setHighlightedTask(7);
  view.plot()->replot(QCustomPlot::rpImmediateRefresh);
  for (auto _ : state) view.plot()->replot(QCustomPlot::rpImmediateRefresh);
  state.counters["replot_ms"] = view.plot()->replotTime(true);
  state.counters["points"] = static_cast<double>(n_tasks) * n_points;
}
BENCHMARK(BM_LossReplot)
    ->ArgNames({"tasks", "points", "highlight"})
    ->Args({200, 10000, 0})
    ->Args({200, 10000, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// A live step: one new point per task appended, then the replot.
void BM_LossAppendStepAndReplot(benchmark::State& state) {
  LossPlotView view;
  view.resize(1280, 800);
  view.show();
  view.setSeries(lossData(200, 10000));
  int64_t step = 10000;
  std::vector<LossIncrement> increments(200);
  double append_ms = 0, rescale_ms = 0;
  QElapsedTimer timer;
  for (auto _ : state) {
    for (int t = 0; t < 200; ++t)
      increments[static_cast<size_t>(t)] = {t, false, {step, 0.05 * step, 0.6}};
    ++step;
    timer.start();
    view.appendPoints(increments);
    append_ms += static_cast<double>(timer.nsecsElapsed()) / 1e6;
    timer.start();
    view.plot()->rescaleAxes(true);
    rescale_ms += static_cast<double>(timer.nsecsElapsed()) / 1e6;
    view.plot()->replot(QCustomPlot::rpImmediateRefresh);
  }
  // Where the time goes: per iteration, the rest is the replot.
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["append_ms"] = append_ms / iterations;
  state.counters["rescale_ms"] = rescale_ms / iterations;
  state.counters["replot_ms"] = view.plot()->replotTime(true);
}
BENCHMARK(BM_LossAppendStepAndReplot)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
