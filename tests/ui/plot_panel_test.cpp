// The plot panel every plotting view shares: plot set-up, export menu, hover
// read-out and clicks, on its own and inside the views.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/plot_panel.h"

#include <gtest/gtest.h>

#include <QAction>
#include <QLabel>
#include <QMenu>
#include <QMouseEvent>
#include <QSignalSpy>
#include <QTest>
#include <QToolButton>
#include <QVBoxLayout>

#include "ui/cluster_view.h"
#include "ui/loss_plot_view.h"
#include "ui/qcustomplot_include.h"
#include "ui/routing_heatmap_view.h"
#include "ui/ui_test_support.h"

namespace tensorpoly::ui {
namespace {

using testing::readAll;
using testing::tempPath;

void moveMouse(QWidget* widget, const QPoint& pos) {
  QMouseEvent event(QEvent::MouseMove, QPointF(pos), QPointF(widget->mapToGlobal(pos)),
                    Qt::NoButton, Qt::NoButton, Qt::NoModifier);
  QCoreApplication::sendEvent(widget, &event);
}

QStringList actionTexts(const QMenu* menu) {
  QStringList texts;
  for (const QAction* action : menu->actions()) texts << action->text();
  return texts;
}

// A panel in a window of its own, as a view would hold it.
class PlotPanelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    owner.resize(500, 400);
    auto* layout = new QVBoxLayout(&owner);
    layout->addWidget(panel->exportButton());
    layout->addWidget(panel->plot(), 1);
    layout->addWidget(panel->readout());
    panel->plot()->addGraph()->setData({0, 1, 2}, {1, 0, 2});
    panel->plot()->rescaleAxes();
    owner.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&owner));
  }
  testing::ApplicationGuard application_;
  QWidget owner;
  PlotPanel* panel = new PlotPanel(&owner, {QSize(200, 150)});
};

TEST(PlotPanelSetup, ConfiguresThePlotOnceForEveryView) {
  testing::ensureApplication();
  QWidget owner;
  const PlotPanel line(&owner, {QSize(260, 180), /*range_interaction=*/true});
  QCustomPlot* plot = line.plot();
  EXPECT_EQ(plot->parentWidget(), &owner);
  EXPECT_TRUE(plot->notAntialiasedElements().testFlag(QCP::aePlottables));
  EXPECT_FALSE(plot->autoAddPlottableToLegend());
  EXPECT_TRUE(plot->hasMouseTracking());
  EXPECT_EQ(plot->minimumSize(), QSize(260, 180));
  EXPECT_TRUE(plot->interactions().testFlag(QCP::iRangeDrag));
  EXPECT_TRUE(plot->interactions().testFlag(QCP::iRangeZoom));
  EXPECT_TRUE(plot->plottingHints().testFlag(QCP::phFastPolylines));
  EXPECT_EQ(plot->axisRectCount(), 1);
  EXPECT_EQ(line.exportButton()->text(), QStringLiteral("Export"));
  EXPECT_EQ(line.exportButton()->menu(), line.exportMenu());
  EXPECT_TRUE(line.readout()->wordWrap());

  const PlotPanel heatmap(&owner, {QSize(), false, /*empty_layout=*/true, /*plot_legend=*/true});
  EXPECT_EQ(heatmap.plot()->axisRectCount(), 0);
  EXPECT_EQ(heatmap.plot()->interactions(), QCP::Interactions());
  EXPECT_TRUE(heatmap.plot()->autoAddPlottableToLegend());
}

TEST_F(PlotPanelTest, ExportMenuActionsWriteTheirFiles) {
  const QString png = tempPath("panel.png"), csv = tempPath("panel.csv");
  int tables_written = 0;
  panel->addExport({QStringLiteral("plot"),
                    {QStringLiteral("png"), QStringLiteral("pdf")},
                    [this](const QString& path) { return panel->exportImage(path); }});
  panel->addExport({QStringLiteral("table"),
                    {QStringLiteral("csv")},
                    [&](const QString& path) {
                      QFile file(path);
                      if (!file.open(QIODevice::WriteOnly)) return QStringLiteral("cannot write");
                      file.write("a,b\n1,2\n");
                      ++tables_written;
                      return QString();
                    }},
                   PlotPanel::ExportPlace::kMenuOnly);
  EXPECT_EQ(actionTexts(panel->exportMenu()),
            (QStringList{QStringLiteral("Export plot…"), QStringLiteral("Export table…")}));
  ASSERT_EQ(panel->exportTargets().size(), 2);
  ASSERT_EQ(panel->plotExportTargets().size(), 1);  // the table is not on the plot's menu
  EXPECT_EQ(panel->plotExportTargets().front().label, QStringLiteral("plot"));

  QStringList asked;
  panel->setPathChooser([&](const ExportTarget& target) {
    asked << target.label;
    return target.label == QLatin1String("plot") ? png : csv;
  });
  panel->exportMenu()->actions().at(0)->trigger();
  panel->exportMenu()->actions().at(1)->trigger();
  EXPECT_EQ(asked, (QStringList{QStringLiteral("plot"), QStringLiteral("table")}));
  EXPECT_TRUE(readAll(png).startsWith("\x89PNG"));
  EXPECT_EQ(readAll(csv), QByteArray("a,b\n1,2\n"));
  EXPECT_EQ(tables_written, 1);

  // Cancelling (an empty path) writes nothing.
  panel->setPathChooser([](const ExportTarget&) { return QString(); });
  panel->exportMenu()->actions().at(1)->trigger();
  EXPECT_EQ(tables_written, 1);
  // The image export names the file when the suffix is wrong.
  EXPECT_TRUE(panel->exportImage(tempPath("panel.bmpx")).contains(QStringLiteral(".png or .pdf")));
}

TEST_F(PlotPanelTest, HoverReadOutAppearsAtAPositionAndIsCleared) {
  panel->setHoverText([](const QPoint& pos) {
    return pos.x() < 100 ? QStringLiteral("at %1,%2").arg(pos.x()).arg(pos.y()) : QString();
  });
  moveMouse(panel->plot(), QPoint(50, 60));
  EXPECT_EQ(panel->readout()->text(), QStringLiteral("at 50,60"));
  EXPECT_EQ(panel->hoverReadout(), QStringLiteral("at 50,60"));
  moveMouse(panel->plot(), QPoint(150, 60));  // over nothing
  EXPECT_TRUE(panel->readout()->text().isEmpty());
  EXPECT_EQ(panel->showHoverAt(QPoint(10, 20)), QStringLiteral("at 10,20"));
  EXPECT_EQ(panel->readout()->text(), QStringLiteral("at 10,20"));
  panel->clearHover();
  EXPECT_TRUE(panel->readout()->text().isEmpty());
}

TEST_F(PlotPanelTest, LeftClicksOnThePlotAreReportedWithTheirPosition) {
  QSignalSpy clicks(panel, &PlotPanel::clicked);
  QTest::mouseClick(panel->plot(), Qt::LeftButton, Qt::NoModifier, QPoint(40, 30));
  ASSERT_EQ(clicks.count(), 1);
  EXPECT_EQ(clicks.takeFirst().at(0).toPoint(), QPoint(40, 30));
  QTest::mouseClick(panel->plot(), Qt::MiddleButton, Qt::NoModifier, QPoint(40, 30));
  EXPECT_EQ(clicks.count(), 0);
}

TEST(PlotPanelInViews, EachRunViewShowsItsHoverTextThroughThePanel) {
  testing::ensureApplication();
  const auto layer = testing::skillsMatrix("encoder.block.0.layer.0.SelfAttention.q", 2, 3,
                                           {0.6f, 0.3f, 0.1f, 0.2f, 0.2f, 0.6f});
  const TaskLabels tasks = {{"t0", "f"}, {"t1", "g"}};
  RoutingHeatmapView heatmap;
  heatmap.setRouting(5, {layer}, tasks);
  ClusterView clusters;
  clusters.setRouting({layer}, tasks);
  LossPlotView loss;
  LossSeriesData series;
  series.tasks = tasks;
  series.train = {{{0, 0.0, 2.0}, {10, 1.0, 1.5}}, {{0, 0.0, 3.0}, {10, 1.0, 2.5}}};
  loss.setSeries(series);
  for (QWidget* widget : std::initializer_list<QWidget*>{&heatmap, &clusters, &loss}) {
    widget->resize(700, 500);
    widget->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(widget));
  }
  heatmap.redrawNow();
  heatmap.plot()->replot(QCustomPlot::rpImmediateRefresh);
  clusters.plot()->replot(QCustomPlot::rpImmediateRefresh);
  loss.plot()->replot(QCustomPlot::rpImmediateRefresh);

  EXPECT_EQ(heatmap.plotPanel()->plot(), heatmap.plot());
  moveMouse(heatmap.plot(), heatmap.pixelOf(1, 2));
  EXPECT_TRUE(heatmap.plotPanel()->hoverReadout().contains(QStringLiteral("t1")))
      << heatmap.plotPanel()->hoverReadout().toStdString();
  EXPECT_EQ(heatmap.plotPanel()->hoverReadout(), heatmap.hoverText(heatmap.pixelOf(1, 2)));

  moveMouse(clusters.plot(), clusters.pixelOf(0, 1));
  EXPECT_TRUE(clusters.plotPanel()->hoverReadout().contains(QStringLiteral("similarity")))
      << clusters.plotPanel()->hoverReadout().toStdString();

  const QCPGraph* graph = loss.trainGraph(1);
  const QPoint point = graph->coordsToPixels(10, 2.5).toPoint();
  moveMouse(loss.plot(), point);
  EXPECT_TRUE(loss.plotPanel()->hoverReadout().contains(QStringLiteral("t1")))
      << loss.plotPanel()->hoverReadout().toStdString();
  loss.clear();
  EXPECT_TRUE(loss.plotPanel()->hoverReadout().isEmpty());

  // The export menus are the views' own targets.
  EXPECT_EQ(
      actionTexts(heatmap.plotPanel()->exportMenu()),
      (QStringList{QStringLiteral("Export heatmap…"), QStringLiteral("Export routing table…")}));
  EXPECT_EQ(clusters.plotPanel()->exportTargets().size(), 3);
  EXPECT_EQ(clusters.plotPanel()->plotExportTargets().size(), 2);  // not the cluster table
  EXPECT_EQ(loss.plotPanel()->exportTargets().size(), 2);
}

}  // namespace
}  // namespace tensorpoly::ui
