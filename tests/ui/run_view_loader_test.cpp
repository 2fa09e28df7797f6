// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/run_view_loader.h"

#include <gtest/gtest.h>

#include <QTest>
#include <filesystem>

#include "tensorpoly/sessions/recorder.h"
#include "ui/cluster_view.h"
#include "ui/qcustomplot_include.h"
#include "ui/routing_heatmap_view.h"
#include "ui/ui_test_support.h"

namespace tensorpoly::ui {
namespace {

StepMetrics step(int64_t s) {
  StepMetrics metrics;
  metrics.step = s;
  metrics.wall_time_s = 0.1 * static_cast<double>(s);
  metrics.metrics = {{0, "train", "loss", 2.0 - 0.1 * static_cast<double>(s)},
                     {1, "train", "loss", 3.0 - 0.1 * static_cast<double>(s)},
                     {-1, "train", "loss", 2.5 - 0.1 * static_cast<double>(s)},
                     {-1, "train", "lr", 0.001}};
  return metrics;
}

RoutingSnapshot snapshot(int64_t s, float a) {
  return {s,
          {testing::skillsMatrix("encoder.block.0.layer.0.SelfAttention.q", 2, 2,
                                 {a, 1.0f - a, 1.0f - a, a})}};
}

// A run recorded through the real Recorder, then drawn by the views through the
// loader: the same path a saved run and a live run take.
TEST(RunViewLoader, FillsTheViewsFromTheStoreThenOnlyWhatIsNew) {
  testing::ensureApplication();
  const QString path = testing::tempPath("loader.sqlite");
  sessions::Recorder recorder(path.toStdString());
  RunStarted started;
  started.name = "loader";
  started.method = "poly";
  started.total_steps = 10;
  started.tasks = {{0, "copy", "identity", {}, "train"}, {1, "reverse", "order", {}, "train"}};
  recorder.on_run_started(started);
  for (int64_t s = 0; s < 5; ++s) recorder.on_step(step(s));
  recorder.on_eval({2, 0.2, "eval", {{0, 1.25, 0.5, -1.0, 8}, {1, 2.25, 0.25, -1.0, 8}}});
  recorder.on_routing(snapshot(0, 0.5f));
  recorder.on_routing(snapshot(4, 0.75f));
  recorder.flush();

  LossPlotView loss;
  RoutingHeatmapView heatmap;
  ClusterView clusters;
  RunViewLoader loader(path, recorder.run_id());
  loader.setLossPlot(&loss);
  loader.setRoutingHeatmap(&heatmap);
  loader.setClusterView(&clusters);
  loader.load();

  ASSERT_EQ(loss.taskCount(), 2);
  EXPECT_EQ(loss.trainGraph(1)->dataCount(), 5);
  EXPECT_EQ(loss.meanGraph()->dataCount(), 5);
  EXPECT_DOUBLE_EQ(loss.meanGraph()->data()->at(4)->value, 2.1);  // the recorded mean
  ASSERT_EQ(heatmap.currentStep(), 4);
  heatmap.resize(600, 400);
  heatmap.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&heatmap));
  heatmap.redrawNow();
  heatmap.plot()->replot(QCustomPlot::rpImmediateRefresh);
  EXPECT_NEAR(heatmap.cellAt(heatmap.pixelOf(1, 1)).value, 0.75, 1e-6);
  EXPECT_TRUE(heatmap.hoverText(heatmap.pixelOf(1, 1)).contains(QStringLiteral("reverse")));
  EXPECT_EQ(clusters.leafOrder().size(), 2u);
  EXPECT_TRUE(clusters.agreementText().contains(QStringLiteral("ARI")));

  // Scrubbing back asks the loader, which answers from the store.
  heatmap.setCurrentStep(0);
  heatmap.redrawNow();
  heatmap.plot()->replot(QCustomPlot::rpImmediateRefresh);
  EXPECT_NEAR(heatmap.cellAt(heatmap.pixelOf(1, 1)).value, 0.5, 1e-6);
  heatmap.setCurrentStep(4);

  // The run goes on: refresh() appends only the new rows, the heatmap follows.
  for (int64_t s = 5; s < 8; ++s) recorder.on_step(step(s));
  recorder.on_routing(snapshot(7, 0.9f));
  recorder.flush();
  loader.refresh();
  EXPECT_EQ(loss.trainGraph(0)->dataCount(), 8);
  EXPECT_EQ(loss.trainGraph(1)->dataCount(), 8);
  EXPECT_EQ(heatmap.currentStep(), 7);
  loader.refresh();  // nothing new: nothing added
  EXPECT_EQ(loss.trainGraph(0)->dataCount(), 8);
  recorder.close();
}

// Live refresh reads only the delta: train rows after the last train step and
// evaluations after the last evaluated step, each tracked on its own.
TEST(RunViewLoader, RefreshReadsOnlyTheRowsCommittedSinceTheLastRead) {
  testing::ensureApplication();
  const QString path = testing::tempPath("loader-delta.sqlite");
  sessions::Recorder recorder(path.toStdString());
  RunStarted started;
  started.name = "delta";
  started.method = "poly";
  started.total_steps = 20;
  started.tasks = {{0, "copy", "identity", {}, "train"}, {1, "reverse", "order", {}, "train"}};
  recorder.on_run_started(started);
  for (int64_t s = 0; s < 5; ++s) recorder.on_step(step(s));
  recorder.on_eval({2, 0.2, "eval", {{0, 1.25, 0.5, -1.0, 8}, {1, 2.25, 0.25, -1.0, 8}}});
  recorder.flush();

  LossPlotView loss;
  RunViewLoader loader(path, recorder.run_id());
  loader.setLossPlot(&loss);
  loader.load();
  // Steps 0..4: two tasks and the mean; one evaluation of two tasks.
  EXPECT_EQ(loader.lastReadCounts().train_points, 15u);
  EXPECT_EQ(loader.lastReadCounts().eval_points, 2u);

  // Three more steps and no evaluation: the eval position (step 2) lags the train one
  // (step 4), yet the train steps 3 and 4 are not read again.
  for (int64_t s = 5; s < 8; ++s) recorder.on_step(step(s));
  recorder.flush();
  loader.refresh();
  EXPECT_EQ(loader.lastReadCounts().train_points, 9u);
  EXPECT_EQ(loader.lastReadCounts().eval_points, 0u);
  EXPECT_EQ(loss.trainGraph(0)->dataCount(), 8);
  EXPECT_EQ(loss.meanGraph()->dataCount(), 8);

  // A new evaluation: only its rows are read, the one at step 2 is not read again.
  recorder.on_step(step(8));
  recorder.on_eval({8, 0.8, "eval", {{0, 1.0, 0.5, -1.0, 8}, {1, 2.0, 0.25, -1.0, 8}}});
  recorder.flush();
  loader.refresh();
  EXPECT_EQ(loader.lastReadCounts().train_points, 3u);
  EXPECT_EQ(loader.lastReadCounts().eval_points, 2u);

  loader.refresh();  // nothing new: nothing read
  EXPECT_EQ(loader.lastReadCounts().train_points, 0u);
  EXPECT_EQ(loader.lastReadCounts().eval_points, 0u);
  EXPECT_EQ(loss.trainGraph(1)->dataCount(), 9);
  recorder.close();
}

TEST(LossSeriesFromStore, TrainAndEvalDeltasStartAfterTheirOwnSteps) {
  testing::ensureApplication();
  const QString path = testing::tempPath("loss-series.sqlite");
  sessions::Recorder recorder(path.toStdString());
  RunStarted started;
  started.name = "series";
  started.tasks = {{0, "copy", "", {}, "train"}, {1, "reverse", "", {}, "train"}};
  recorder.on_run_started(started);
  for (int64_t s = 0; s < 6; ++s) recorder.on_step(step(s));
  recorder.on_eval({1, 0.1, "eval", {{0, 1.5, -1.0, -1.0, 8}, {1, 2.5, -1.0, -1.0, 8}}});
  recorder.on_eval({4, 0.4, "eval", {{0, 1.0, -1.0, -1.0, 8}, {1, 2.0, -1.0, -1.0, 8}}});
  recorder.flush();
  auto store = sessions::Store::open(path.toStdString(), sessions::OpenMode::kReadOnly);
  const LossSeriesData all = lossSeriesFromStore(store, recorder.run_id());
  EXPECT_EQ(all.train[0].size(), 6u);
  EXPECT_EQ(all.eval[1].size(), 2u);
  const LossSeriesData delta = lossSeriesFromStore(store, recorder.run_id(), 3, 1);
  ASSERT_EQ(delta.train[0].size(), 2u);
  EXPECT_EQ(delta.train[0].front().step, 4);
  EXPECT_EQ(delta.mean.size(), 2u);
  ASSERT_EQ(delta.eval[1].size(), 1u);
  EXPECT_EQ(delta.eval[1].front().step, 4);
  EXPECT_DOUBLE_EQ(delta.eval[1].front().value, 2.0);
  recorder.close();
}

}  // namespace
}  // namespace tensorpoly::ui
