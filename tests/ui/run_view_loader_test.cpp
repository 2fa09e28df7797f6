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

}  // namespace
}  // namespace tensorpoly::ui
