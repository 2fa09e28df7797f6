// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/loss_plot_view.h"

#include <gtest/gtest.h>

#include <QListWidget>
#include <QTest>

#include "ui/qcustomplot_include.h"
#include "ui/ui_test_support.h"

namespace tensorpoly::ui {
namespace {

// Three tasks, two families; task t has loss 1/(t+1) + 1/(step+1) at steps 0, 10, ..., 90.
LossSeriesData threeTasks() {
  LossSeriesData data;
  data.tasks = {{"reverse", "order"}, {"upper", "case"}, {"rotate", "order"}};
  data.train.resize(3);
  data.eval.resize(3);
  for (int task = 0; task < 3; ++task) {
    for (int64_t step = 0; step < 100; step += 10)
      data.train[task].push_back({step, 0.5 * static_cast<double>(step),
                                  1.0 / (task + 1) + 1.0 / (static_cast<double>(step) + 1)});
    data.eval[task].push_back({50, 25.0, 2.0 + task});
  }
  return data;
}

class LossPlotViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::ensureApplication();
    view.resize(900, 600);
    view.setSeries(threeTasks());
    view.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
    view.plot()->replot(QCustomPlot::rpImmediateRefresh);
  }
  testing::ApplicationGuard application_;
  LossPlotView view;
};

TEST_F(LossPlotViewTest, OneSeriesPerTaskWithSortedData) {
  ASSERT_EQ(view.taskCount(), 3);
  for (int task = 0; task < 3; ++task) {
    QCPGraph* graph = view.trainGraph(task);
    ASSERT_NE(graph, nullptr);
    EXPECT_EQ(graph->dataCount(), 10);
    EXPECT_TRUE(graph->adaptiveSampling());
    EXPECT_FALSE(graph->antialiased());
  }
  // The mean over tasks at step 0: mean of 1/(t+1) + 1.
  ASSERT_EQ(view.meanGraph()->dataCount(), 10);
  EXPECT_NEAR(view.meanGraph()->data()->at(0)->value, (1.0 + 0.5 + 1.0 / 3) / 3 + 1.0, 1e-12);
}

TEST_F(LossPlotViewTest, TogglingATaskInTheLegendHidesItsSeries) {
  ASSERT_EQ(view.legend()->count(), 3);
  // A point of task 1's curve, away from the others: drawn in its colour.
  const QPoint pixel = view.trainGraph(1)->coordsToPixels(80, 0.5 + 1.0 / 81).toPoint();
  const auto colorAt = [&] { return view.plot()->toPixmap().toImage().pixel(pixel); };
  ASSERT_EQ(view.selection()->highlightedTask(), -1);  // showing the view highlights nothing
  const QRgb task_color = view.trainGraph(1)->pen().color().rgb();
  EXPECT_EQ(colorAt(), task_color);
  view.legend()->item(1)->setCheckState(Qt::Unchecked);
  EXPECT_FALSE(view.isSeriesShown(1));
  EXPECT_TRUE(view.isSeriesShown(0));
  EXPECT_TRUE(view.isSeriesShown(2));
  EXPECT_FALSE(view.selection()->isVisible(1));
  EXPECT_NE(colorAt(), task_color);
  EXPECT_TRUE(view.hoverText(pixel).isEmpty() || !view.hoverText(pixel).contains("upper"));
  view.legend()->item(1)->setCheckState(Qt::Checked);
  EXPECT_TRUE(view.isSeriesShown(1));
  EXPECT_EQ(colorAt(), task_color);
}

TEST_F(LossPlotViewTest, SharedSelectionHidesAndHighlightsInEveryView) {
  TaskSelection shared;
  LossPlotView other;
  other.setSeries(threeTasks());
  view.setSelection(&shared);
  other.setSelection(&shared);
  other.legend()->item(2)->setCheckState(Qt::Unchecked);
  EXPECT_FALSE(view.isSeriesShown(2));
  EXPECT_EQ(view.legend()->item(2)->checkState(), Qt::Unchecked);
  other.legend()->setCurrentRow(0);  // selecting a legend row highlights the task
  EXPECT_EQ(shared.highlightedTask(), 0);
  EXPECT_EQ(view.legend()->currentRow(), 0);
  EXPECT_GT(view.trainGraph(0)->pen().widthF(), view.trainGraph(1)->pen().widthF());
  EXPECT_TRUE(view.trainGraph(0)->visible());  // drawn on its own, on top
  EXPECT_TRUE(view.isSeriesShown(1));
}

TEST_F(LossPlotViewTest, HoverReadsOutTaskStepAndValue) {
  // Task 2 ("rotate") at step 40; its curve is the lowest at the right.
  QCPGraph* graph = view.trainGraph(2);
  const double value = 1.0 / 3 + 1.0 / 41;
  const QPoint pixel = graph->coordsToPixels(40, value).toPoint();
  const QString text = view.hoverText(pixel);
  EXPECT_TRUE(text.contains(QStringLiteral("rotate"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("step 40"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QString::number(value, 'g', 5))) << text.toStdString();
  EXPECT_EQ(view.taskAt(pixel), 2);
  // Far from every point: no read-out.
  EXPECT_TRUE(view.hoverText(QPoint(2, 2)).isEmpty());
}

TEST_F(LossPlotViewTest, EvalResultsAreMarkersOnTheirOwnSeries) {
  const QPoint pixel = view.trainGraph(1)->coordsToPixels(50, 3.0).toPoint();
  const QString text = view.hoverText(pixel);
  EXPECT_TRUE(text.contains(QStringLiteral("upper"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("eval"))) << text.toStdString();
  view.setShowEval(false);
  EXPECT_TRUE(view.hoverText(pixel).isEmpty() ||
              !view.hoverText(pixel).contains(QStringLiteral("eval")));
}

TEST_F(LossPlotViewTest, SmoothingIsADebiasedEma) {
  view.setSmoothing(0.5);
  const auto& data = *view.trainGraph(0)->data();
  const double x0 = 1.0 + 1.0, x1 = 1.0 + 1.0 / 11;
  EXPECT_NEAR(data.at(0)->value, x0, 1e-12);  // the first point is not pulled to 0
  EXPECT_NEAR(data.at(1)->value, (0.25 * x0 + 0.5 * x1) / 0.75, 1e-12);
  view.setSmoothing(0.0);
  EXPECT_NEAR(view.trainGraph(0)->data()->at(1)->value, x1, 1e-12);
}

TEST_F(LossPlotViewTest, WallTimeAxisAndLogScale) {
  view.setXAxis(LossPlotView::XAxis::kWallTime);
  EXPECT_DOUBLE_EQ(view.trainGraph(0)->data()->at(3)->key, 15.0);  // step 30 at 15 s
  view.setLogScale(true);
  EXPECT_EQ(view.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
  view.setXAxis(LossPlotView::XAxis::kStep);
  EXPECT_DOUBLE_EQ(view.trainGraph(0)->data()->at(3)->key, 30.0);
}

TEST_F(LossPlotViewTest, LiveIncrementsAppendAndUpdateTheMean) {
  view.appendPoints({{0, false, {100, 50.0, 1.0}},
                     {1, false, {100, 50.0, 2.0}},
                     {2, false, {100, 50.0, 3.0}},
                     {1, true, {100, 50.0, 4.0}}});
  EXPECT_EQ(view.trainGraph(1)->dataCount(), 11);
  QTest::qWait(80);  // the coalescing replot timer refills the mean
  ASSERT_EQ(view.meanGraph()->dataCount(), 11);
  EXPECT_NEAR((view.meanGraph()->data()->constEnd() - 1)->value, 2.0, 1e-12);
}

}  // namespace
}  // namespace tensorpoly::ui
