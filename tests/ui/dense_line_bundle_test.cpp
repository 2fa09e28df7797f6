// The per-task loss rasteriser: its pixel-column summaries against a direct
// computation, the pixels it paints, and the value range it reports to axis rescales.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/dense_line_bundle.h"

#include <gtest/gtest.h>

#include <QTest>
#include <climits>
#include <cmath>
#include <limits>
#include <random>

#include "ui/ui_test_support.h"

namespace tensorpoly::ui {
namespace {

using Column = DenseLineBundle::Column;

// Sorted random keys in [0, 1000], values in [-2, 2], one NaN (a gap) in the middle.
QSharedPointer<QCPGraphDataContainer> randomSeries(unsigned seed, int n_points) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> key(0.0, 1000.0), value(-2.0, 2.0);
  QVector<QCPGraphData> points;
  for (int i = 0; i < n_points; ++i) points.append(QCPGraphData(key(rng), value(rng)));
  std::sort(points.begin(), points.end(), qcpLessThanSortKey<QCPGraphData>);
  points[n_points / 2].value = std::numeric_limits<double>::quiet_NaN();
  auto data = QSharedPointer<QCPGraphDataContainer>::create();
  data->set(points, /*alreadySorted=*/true);
  return data;
}

// What the summaries should be, the slow way: the points in the key range plus one on
// each side, grouped by the pixel column QCPAxis puts them in.
std::vector<Column> directSummary(const QCPGraphDataContainer& data, const QCPAxis& key_axis) {
  const QCPRange range = key_axis.range();
  const double left = key_axis.axisRect()->rect().left();
  std::vector<Column> columns;
  bool open = false;
  Column current;
  for (auto it = data.findBegin(range.lower, true); it != data.findEnd(range.upper, true); ++it) {
    if (std::isnan(it->value)) {
      if (open) columns.push_back(current);
      open = false;
      columns.push_back({INT_MIN, 0, 0, 0, 0});
      continue;
    }
    const int column = static_cast<int>(std::floor(key_axis.coordToPixel(it->key) - left));
    if (open && column == current.column) {
      current.min = std::min(current.min, it->value);
      current.max = std::max(current.max, it->value);
      current.last = it->value;
      continue;
    }
    if (open) columns.push_back(current);
    current = {column, it->value, it->value, it->value, it->value};
    open = true;
  }
  if (open) columns.push_back(current);
  return columns;
}

class DenseLineBundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::ensureApplication();
    plot.resize(400, 300);
    bundle = new DenseLineBundle(plot.xAxis, plot.yAxis);
    std::vector<DenseLineBundle::Series> series;
    for (unsigned seed = 1; seed <= 3; ++seed) {
      DenseLineBundle::Series one;
      one.data = randomSeries(seed, 20000);
      one.color = QColor::fromHsv(static_cast<int>(seed) * 100, 255, 200);
      series.push_back(std::move(one));
    }
    bundle->setSeries(std::move(series));
    plot.xAxis->setRange(100, 900);
    plot.yAxis->setRange(-3, 3);
    plot.replot(QCustomPlot::rpImmediateRefresh);
  }

  static void expectSameColumns(const std::vector<Column>& actual,
                                const std::vector<Column>& expected) {
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
      SCOPED_TRACE(i);
      EXPECT_EQ(actual[i].column, expected[i].column);
      EXPECT_EQ(actual[i].first, expected[i].first);
      EXPECT_EQ(actual[i].min, expected[i].min);
      EXPECT_EQ(actual[i].max, expected[i].max);
      EXPECT_EQ(actual[i].last, expected[i].last);
    }
  }

  testing::ApplicationGuard application_;
  QCustomPlot plot;
  DenseLineBundle* bundle = nullptr;  // owned by the plot
};

TEST_F(DenseLineBundleTest, ColumnSummariesMatchADirectComputation) {
  for (const auto& s : bundle->series())
    expectSameColumns(s.columns, directSummary(*s.data, *plot.xAxis));
  // Many points per column, and the NaN (at a key near 500) shows as a gap.
  const auto& columns = bundle->series()[0].columns;
  EXPECT_GT(columns.size(), 100u);
  EXPECT_LT(columns.size(), 1000u);
  EXPECT_EQ(std::count_if(columns.begin(), columns.end(),
                          [](const Column& c) { return c.column == INT_MIN; }),
            1);
  // A new key range re-summarises every series.
  plot.xAxis->setRange(-50, 333.3);
  plot.replot(QCustomPlot::rpImmediateRefresh);
  for (const auto& s : bundle->series())
    expectSameColumns(s.columns, directSummary(*s.data, *plot.xAxis));
}

TEST_F(DenseLineBundleTest, PaintsEachColumnFromItsMinimumToItsMaximum) {
  const QImage image = plot.toPixmap(400, 300).toImage();
  const QRect rect = plot.axisRect()->rect();
  const auto& s = bundle->series()[2];  // drawn last: on top
  int checked = 0;
  constexpr int kTicks = 6;  // the axes' ticks reach 5 px into the rectangle
  for (const Column& c : s.columns) {
    if (c.column < kTicks || c.column >= rect.width() - kTicks) continue;
    const int x = rect.left() + c.column;
    for (double value : {c.min, c.max}) {
      const int y = static_cast<int>(std::lround(plot.yAxis->coordToPixel(value)));
      if (y < rect.top() + kTicks || y > rect.bottom() - kTicks) continue;
      EXPECT_EQ(QColor(image.pixel(x, y)).rgb(), s.color.rgb()) << "column " << c.column;
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

TEST_F(DenseLineBundleTest, ValueRangeFollowsAppendedPointsAndReplacedData) {
  bool found = false;
  const QCPRange initial = bundle->getValueRange(found, QCP::sdBoth, QCPRange());
  ASSERT_TRUE(found);
  EXPECT_GE(initial.lower, -2.0);
  EXPECT_LE(initial.upper, 2.0);
  EXPECT_LT(initial.lower, -1.9);

  // An appended point beyond the range widens it, also after a replot with a new key
  // range (which re-summarises the columns but keeps the data's range).
  bundle->series()[1].data->add(QCPGraphData(1001, 7.5));
  bundle->appended(1, 7.5);
  plot.xAxis->setRange(0, 1001);
  plot.replot(QCustomPlot::rpImmediateRefresh);
  EXPECT_EQ(bundle->getValueRange(found, QCP::sdBoth, QCPRange()).upper, 7.5);
  // The positive domain ignores negative appended values.
  const QCPRange positive = bundle->getValueRange(found, QCP::sdPositive, QCPRange());
  bundle->series()[0].data->add(QCPGraphData(1002, -9.0));
  bundle->appended(0, -9.0);
  EXPECT_EQ(bundle->getValueRange(found, QCP::sdPositive, QCPRange()).lower, positive.lower);
  EXPECT_EQ(bundle->getValueRange(found, QCP::sdBoth, QCPRange()).lower, -9.0);

  // Replaced data: invalidate() drops the cached range.
  for (size_t i = 0; i < bundle->series().size(); ++i) {
    QVector<QCPGraphData> points{{0, 0.25}, {1, 0.5}};
    bundle->series()[i].data->set(points, true);
    bundle->invalidate(i);
  }
  const QCPRange replaced = bundle->getValueRange(found, QCP::sdBoth, QCPRange());
  EXPECT_EQ(replaced.lower, 0.25);
  EXPECT_EQ(replaced.upper, 0.5);
  // A key-restricted query scans the points in that key range.
  const QCPRange restricted = bundle->getValueRange(found, QCP::sdBoth, QCPRange(0.5, 2));
  EXPECT_EQ(restricted.lower, 0.5);
  EXPECT_EQ(restricted.upper, 0.5);
}

}  // namespace
}  // namespace tensorpoly::ui
