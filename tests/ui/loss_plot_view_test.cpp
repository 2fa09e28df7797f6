// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/loss_plot_view.h"

#include <gtest/gtest.h>

#include <QListWidget>
#include <QSlider>
#include <QTest>
#include <cmath>
#include <map>

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

// The CSV's "smoothed" column is the EMA the plot draws at the slider setting.
TEST_F(LossPlotViewTest, CsvExportWritesTheSmoothedValueAtTheSliderSetting) {
  const auto exportRows = [&] {
    const QString path = testing::tempPath("loss-smoothed.csv");
    EXPECT_EQ(view.exportTo(path), QString());
    const QStringList lines =
        QString::fromUtf8(testing::readAll(path)).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    EXPECT_EQ(lines.value(0), QStringLiteral("task,family,split,step,wall_time_s,loss,smoothed"));
    std::map<std::pair<QString, QString>, std::vector<QStringList>> rows;  // (task, split)
    for (int i = 1; i < lines.size(); ++i) {
      const QStringList fields = lines[i].split(QLatin1Char(','));
      EXPECT_EQ(fields.size(), 7) << lines[i].toStdString();
      rows[{fields.value(0), fields.value(2)}].push_back(fields);
    }
    return rows;
  };
  using Rows = std::map<std::pair<QString, QString>, std::vector<QStringList>>;
  const auto of = [](Rows& rows, const char* task, const char* split) -> std::vector<QStringList>& {
    return rows[std::make_pair(QString::fromLatin1(task), QString::fromLatin1(split))];
  };
  // Raw (slider at 0): the smoothed column repeats the loss.
  auto rows = exportRows();
  ASSERT_EQ(of(rows, "upper", "train").size(), 10u);
  for (const QStringList& row : of(rows, "upper", "train")) EXPECT_EQ(row[6], row[5]);

  auto* slider = view.findChild<QSlider*>();
  ASSERT_NE(slider, nullptr);
  slider->setValue(50);
  ASSERT_DOUBLE_EQ(view.smoothing(), 0.5);
  rows = exportRows();
  const auto& reverse = of(rows, "reverse", "train");
  ASSERT_EQ(reverse.size(), 10u);
  const double x0 = 1.0 + 1.0, x1 = 1.0 + 1.0 / 11;
  EXPECT_NEAR(reverse[0][6].toDouble(), x0, 1e-8);
  EXPECT_NEAR(reverse[1][6].toDouble(), (0.25 * x0 + 0.5 * x1) / 0.75, 1e-8);
  EXPECT_NEAR(reverse[1][5].toDouble(), x1, 1e-8);  // the loss column stays raw
  // Every train point (and the mean) agrees with the drawn graph.
  for (int task = 0; task < 3; ++task) {
    const auto& series =
        rows[std::make_pair(view.trainGraph(task)->name(), QStringLiteral("train"))];
    ASSERT_EQ(static_cast<int>(series.size()), view.trainGraph(task)->dataCount());
    for (size_t i = 0; i < series.size(); ++i)
      EXPECT_NEAR(series[i][6].toDouble(),
                  view.trainGraph(task)->data()->at(static_cast<int>(i))->value, 1e-8);
  }
  const auto& mean = of(rows, "mean", "train");
  ASSERT_EQ(static_cast<int>(mean.size()), view.meanGraph()->dataCount());
  for (size_t i = 0; i < mean.size(); ++i)
    EXPECT_NEAR(mean[i][6].toDouble(), view.meanGraph()->data()->at(static_cast<int>(i))->value,
                1e-8);
  // Eval markers are not smoothed.
  const auto& rotate_eval = of(rows, "rotate", "eval");
  ASSERT_EQ(rotate_eval.size(), 1u);
  EXPECT_EQ(rotate_eval[0][5], QStringLiteral("4"));
  EXPECT_TRUE(rotate_eval[0][6].isEmpty());
}

// Families are coloured consistently: tasks of a family share its hue, families
// differ, and a task's legend swatch is the colour of its curve.
TEST_F(LossPlotViewTest, FamiliesShareAHueAndTheLegendMatchesThePen) {
  // threeTasks(): reverse (order), upper (case), rotate (order).
  const FamilyPalette palette(threeTasks().tasks);
  const double order_hue = palette.familyColor("order").hsvHueF();
  const double case_hue = palette.familyColor("case").hsvHueF();
  EXPECT_GT(std::abs(order_hue - case_hue), 0.05);
  const auto hueOfPen = [&](int task) { return view.trainGraph(task)->pen().color().hsvHueF(); };
  EXPECT_NEAR(hueOfPen(0), order_hue, 0.01);
  EXPECT_NEAR(hueOfPen(2), order_hue, 0.01);
  EXPECT_NEAR(hueOfPen(1), case_hue, 0.01);
  // Two tasks of one family are still told apart (lightness).
  EXPECT_NE(view.trainGraph(0)->pen().color(), view.trainGraph(2)->pen().color());
  for (int task = 0; task < 3; ++task) {
    const QImage swatch = view.legend()->item(task)->icon().pixmap(12, 12).toImage();
    EXPECT_EQ(QColor(swatch.pixel(6, 6)).rgb(), view.trainGraph(task)->pen().color().rgb()) << task;
    EXPECT_EQ(view.trainGraph(task)->pen().color(), palette.taskColor(task)) << task;
  }
  // The same tasks in another view (or another run) get the same colours.
  LossPlotView other;
  other.setSeries(threeTasks());
  for (int task = 0; task < 3; ++task)
    EXPECT_EQ(other.trainGraph(task)->pen().color(), view.trainGraph(task)->pen().color());
}

}  // namespace
}  // namespace tensorpoly::ui
