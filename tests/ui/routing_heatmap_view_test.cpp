// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/routing_heatmap_view.h"

#include <gtest/gtest.h>

#include <QComboBox>
#include <QSignalSpy>
#include <QTest>

#include "ui/qcustomplot_include.h"
#include "ui/ui_test_support.h"

namespace tensorpoly::ui {
namespace {

const std::string kLayer = "encoder.block.0.layer.0.SelfAttention.q";

// Four tasks of two interleaved families over four skills: family "a" routes to
// skills 0/1, family "b" to skills 2/3, and nobody uses skill 3 much... except
// that task "b2" routes uniformly.
std::vector<RoutingMatrix> fourTasks() {
  return {testing::skillsMatrix(kLayer, 4, 4,
                                {0.70f, 0.25f, 0.04f, 0.01f,    // a1
                                 0.05f, 0.10f, 0.83f, 0.02f,    // b1
                                 0.60f, 0.35f, 0.04f, 0.01f,    // a2
                                 0.25f, 0.25f, 0.25f, 0.25f}),  // b2 (uniform)
          testing::skillsMatrix("decoder.block.1.layer.2.DenseReluDense.wo", 4, 4,
                                {0.5f, 0.5f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.5f, 0.5f, 0.0f,
                                 0.0f, 0.25f, 0.25f, 0.25f, 0.25f})};
}

TaskLabels fourLabels() { return {{"a1", "a"}, {"b1", "b"}, {"a2", "a"}, {"b2", "b"}}; }

class RoutingHeatmapViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::ensureApplication();
    view.resize(900, 600);
    view.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
  }
  void showStep(int64_t step, const std::vector<RoutingMatrix>& routing) {
    view.setRouting(step, routing, fourLabels());
    view.redrawNow();
    view.plot()->replot(QCustomPlot::rpImmediateRefresh);
  }
  testing::ApplicationGuard application_;
  RoutingHeatmapView view;
};

TEST_F(RoutingHeatmapViewTest, HoverTextOfAKnownCellShowsTaskSkillLayerAndValue) {
  showStep(100, fourTasks());
  view.setLayer(QString::fromStdString(kLayer));
  view.redrawNow();
  view.plot()->replot(QCustomPlot::rpImmediateRefresh);
  const QPoint pixel = view.pixelOf(/*task=*/1, /*skill=*/2);
  ASSERT_GE(pixel.x(), 0);
  const RoutingHeatmapView::Cell cell = view.cellAt(pixel);
  EXPECT_EQ(cell.task, 1);
  EXPECT_EQ(cell.skill, 2);
  EXPECT_NEAR(cell.value, 0.83, 1e-6);
  const QString text = view.hoverText(pixel);
  EXPECT_TRUE(text.contains(QStringLiteral("b1"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("skill 2"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QString::fromStdString(kLayer))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("0.8300"))) << text.toStdString();
}

TEST_F(RoutingHeatmapViewTest, MeanOverLayersIsTheDefault) {
  showStep(100, fourTasks());
  EXPECT_TRUE(view.layer().isEmpty());
  const RoutingHeatmapView::Cell cell = view.cellAt(view.pixelOf(1, 2));
  EXPECT_NEAR(cell.value, (0.83 + 1.0) / 2, 1e-6);
  EXPECT_TRUE(view.hoverText(view.pixelOf(1, 2)).contains(QStringLiteral("mean over 2 layers")));
}

TEST_F(RoutingHeatmapViewTest, SortByClusterOrderReordersRows) {
  showStep(100, fourTasks());
  EXPECT_EQ(view.rowOrder(), (std::vector<int>{0, 1, 2, 3}));
  view.setRowOrder(RoutingHeatmapView::RowOrder::kCluster);
  view.redrawNow();
  const std::vector<int> rows = view.rowOrder();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_NE(rows, (std::vector<int>{0, 1, 2, 3}));
  // The two "a" tasks are neighbours in the dendrogram order.
  const auto a1 = std::find(rows.begin(), rows.end(), 0) - rows.begin();
  const auto a2 = std::find(rows.begin(), rows.end(), 2) - rows.begin();
  EXPECT_EQ(std::abs(a1 - a2), 1);
  // The hover follows the new row order.
  view.plot()->replot(QCustomPlot::rpImmediateRefresh);
  EXPECT_EQ(view.cellAt(view.pixelOf(2, 0)).task, 2);
  view.setRowOrder(RoutingHeatmapView::RowOrder::kFamily);
  view.redrawNow();
  EXPECT_EQ(view.rowOrder(), (std::vector<int>{0, 2, 1, 3}));
  view.setRowOrder(RoutingHeatmapView::RowOrder::kName);
  view.redrawNow();
  EXPECT_EQ(view.rowOrder(), (std::vector<int>{0, 2, 1, 3}));  // a1 a2 b1 b2
}

TEST_F(RoutingHeatmapViewTest, FlagsCollapsedSkillsAndNearUniformTasks) {
  view.setLayer(QString::fromStdString(kLayer));
  showStep(100, fourTasks());
  const RoutingHeatmapView::Flags flags = view.flags();
  // Skill 3: at most 0.25 (task b2, uniform) -> used by b2; nobody else. Not collapsed.
  EXPECT_TRUE(flags.collapsed_skills.empty());
  EXPECT_EQ(flags.uniform_tasks, std::vector<int>{3});
  // Without the uniform task, skill 3 (<= 0.02 < 0.25/4) is collapsed.
  auto routing = fourTasks();
  for (int s = 0; s < 4; ++s) routing[0].values[12 + s] = (s == 0 ? 0.9f : 0.1f / 3);
  showStep(200, routing);
  view.setCurrentStep(200);
  view.redrawNow();
  EXPECT_EQ(view.flags().collapsed_skills, std::vector<int>{3});
  EXPECT_TRUE(view.flags().uniform_tasks.empty());
}

TEST_F(RoutingHeatmapViewTest, StepSliderFollowsTheLiveRunAndAsksTheOwner) {
  QSignalSpy requests(&view, &RoutingHeatmapView::requestStep);
  view.setTasks(fourLabels());
  view.setSnapshots({10, 20});
  EXPECT_EQ(view.currentStep(), 20);
  ASSERT_EQ(requests.count(), 1);
  EXPECT_EQ(requests.takeFirst().at(0).toLongLong(), 20);
  view.setRouting(20, fourTasks());
  view.setSnapshots({10, 20, 30});  // at the end: follows
  EXPECT_EQ(view.currentStep(), 30);
  view.setCurrentStep(10);
  view.setSnapshots({10, 20, 30, 40});  // scrubbed back: stays
  EXPECT_EQ(view.currentStep(), 10);
}

TEST_F(RoutingHeatmapViewTest, DiffModeShowsTheChangeSinceAnEarlierStep) {
  view.setLayer(QString::fromStdString(kLayer));
  auto later = fourTasks();
  later[0].values[1 * 4 + 2] = 0.93f;  // b1, skill 2: 0.83 -> 0.93
  showStep(10, fourTasks());
  showStep(20, later);
  view.setCurrentStep(20);
  view.setDiffMode(true, 10);
  view.redrawNow();
  view.plot()->replot(QCustomPlot::rpImmediateRefresh);
  const QPoint pixel = view.pixelOf(1, 2);
  EXPECT_NEAR(view.cellAt(pixel).value, 0.10, 1e-6);
  const QString text = view.hoverText(pixel);
  EXPECT_TRUE(text.contains(QStringLiteral("0.9300"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("since step 10"))) << text.toStdString();
}

TEST_F(RoutingHeatmapViewTest, OrdersSideBySideWithOneScale) {
  RoutingMatrix orders;
  orders.layer = kLayer;
  orders.kind = RoutingKind::kOrders;
  orders.shape = {2, 4, 4};
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 16; ++i)
      orders.values.push_back(b == 0 ? 0.25f : (i % 4 == 1 ? 0.7f : 0.1f));
  showStep(5, {orders});
  view.setBlock(-1);
  view.redrawNow();
  view.plot()->replot(QCustomPlot::rpImmediateRefresh);
  EXPECT_EQ(view.plot()->axisRectCount(), 2);
  const QPoint pixel = view.pixelOf(3, 1, /*block=*/1);
  ASSERT_GE(pixel.x(), 0);
  const QString text = view.hoverText(pixel);
  EXPECT_TRUE(text.contains(QStringLiteral("order 2"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("0.7000"))) << text.toStdString();
  view.setBlock(0);
  view.redrawNow();
  EXPECT_EQ(view.plot()->axisRectCount(), 1);
}

TEST_F(RoutingHeatmapViewTest, ClickingARowHighlightsTheTaskInTheSharedSelection) {
  TaskSelection shared;
  view.setSelection(&shared);
  showStep(100, fourTasks());
  QTest::mouseClick(view.plot(), Qt::LeftButton, Qt::NoModifier, view.pixelOf(2, 1));
  EXPECT_EQ(shared.highlightedTask(), 2);
}

TEST_F(RoutingHeatmapViewTest, ClusterOrderIsCachedPerStepAndLayerUntilItsRoutingChanges) {
  showStep(100, fourTasks());
  view.setRowOrder(RoutingHeatmapView::RowOrder::kCluster);
  view.redrawNow();
  const std::vector<int> rows = view.rowOrder();
  EXPECT_EQ(view.clusterOrderComputations(), 1);
  // Redraws (a hover, a highlight, a live snapshot elsewhere) reuse the order.
  view.redrawNow();
  view.redrawNow();
  EXPECT_EQ(view.clusterOrderComputations(), 1);
  EXPECT_EQ(view.rowOrder(), rows);
  // Another layer has its own order; coming back to the first reuses it.
  view.setLayer(QString::fromStdString(kLayer));
  view.redrawNow();
  EXPECT_EQ(view.clusterOrderComputations(), 2);
  view.setLayer(QString());
  view.redrawNow();
  EXPECT_EQ(view.clusterOrderComputations(), 2);
  EXPECT_EQ(view.rowOrder(), rows);
  // New routing for the step invalidates its order: now a1 routes like b1.
  auto changed = fourTasks();
  for (RoutingMatrix& layer : changed)
    for (int s = 0; s < 4; ++s) layer.values[static_cast<size_t>(s)] = layer.values[4 + s];
  showStep(100, changed);
  EXPECT_EQ(view.clusterOrderComputations(), 3);
  const std::vector<int> new_rows = view.rowOrder();
  const auto a1 = std::find(new_rows.begin(), new_rows.end(), 0) - new_rows.begin();
  const auto b1 = std::find(new_rows.begin(), new_rows.end(), 1) - new_rows.begin();
  EXPECT_EQ(std::abs(a1 - b1), 1);
  // Other tasks (another run) invalidate every order.
  view.setTasks({{"p", "a"}, {"q", "b"}, {"r", "a"}, {"s", "b"}});
  view.redrawNow();
  EXPECT_EQ(view.clusterOrderComputations(), 4);
}

TEST_F(RoutingHeatmapViewTest, EmbeddedModeHidesTheLayerAndStepControlsAndReportsChanges) {
  showStep(100, fourTasks());
  EXPECT_FALSE(view.layerCombo()->isHidden());
  EXPECT_FALSE(view.stepControls()->isHidden());
  view.setEmbedded(true);
  EXPECT_TRUE(view.layerCombo()->isHidden());
  EXPECT_TRUE(view.stepControls()->isHidden());
  QSignalSpy layers(&view, &RoutingHeatmapView::layerChanged);
  view.setLayer(QString::fromStdString(kLayer));
  view.setLayer(QString::fromStdString(kLayer));  // unchanged: no signal
  ASSERT_EQ(layers.count(), 1);
  EXPECT_EQ(layers.takeFirst().at(0).toString(), QString::fromStdString(kLayer));
  QSignalSpy blocks(&view, &RoutingHeatmapView::blockChanged);
  view.setBlock(-1);
  EXPECT_EQ(blocks.count(), 1);
  view.setEmbedded(false);
  EXPECT_FALSE(view.layerCombo()->isHidden());
  EXPECT_FALSE(view.stepControls()->isHidden());
}

TEST_F(RoutingHeatmapViewTest, GivesTheSharedSelectionTheTaskNames) {
  TaskSelection shared;
  view.setSelection(&shared);
  showStep(100, fourTasks());
  EXPECT_EQ(shared.taskCount(), 4);
  EXPECT_EQ(shared.taskName(2), QStringLiteral("a2"));
  EXPECT_EQ(shared.indexOfTask(QStringLiteral("b2")), 3);
}

}  // namespace
}  // namespace tensorpoly::ui
