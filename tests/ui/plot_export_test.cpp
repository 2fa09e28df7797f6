// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/plot_export.h"

#include <gtest/gtest.h>

#include <QStandardItemModel>
#include <QTableView>
#include <QTest>

#include "ui/cluster_view.h"
#include "ui/loss_plot_view.h"
#include "ui/qcustomplot_include.h"
#include "ui/routing_heatmap_view.h"
#include "ui/ui_test_support.h"

namespace tensorpoly::ui {
namespace {

using testing::readAll;
using testing::tempPath;

void expectPng(const QString& path) {
  const QByteArray bytes = readAll(path);
  ASSERT_GT(bytes.size(), 100) << path.toStdString();
  EXPECT_TRUE(bytes.startsWith("\x89PNG")) << path.toStdString();
}

void expectPdf(const QString& path) {
  const QByteArray bytes = readAll(path);
  ASSERT_GT(bytes.size(), 100) << path.toStdString();
  EXPECT_TRUE(bytes.startsWith("%PDF")) << path.toStdString();
}

QStringList csvLines(const QString& path) {
  return QString::fromUtf8(readAll(path)).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

TEST(PlotExport, ModelToCsvQuotesAsRfc4180) {
  testing::ensureApplication();
  QStandardItemModel model(2, 3);
  model.setHorizontalHeaderLabels({"task", "note", "value"});
  model.setItem(0, 0, new QStandardItem("plain"));
  model.setItem(0, 1, new QStandardItem("a, b"));
  auto* number = new QStandardItem;
  number->setData(0.125, Qt::DisplayRole);
  model.setItem(0, 2, number);
  model.setItem(1, 0, new QStandardItem("say \"hi\""));
  model.setItem(1, 1, new QStandardItem("two\nlines"));
  model.setItem(1, 2, new QStandardItem("3"));
  const QString path = tempPath("model.csv");
  ASSERT_EQ(exportModelCsv(&model, path), QString());
  EXPECT_EQ(QString::fromUtf8(readAll(path)),
            QStringLiteral(
                "task,note,value\nplain,\"a, b\",0.125\n\"say \"\"hi\"\"\",\"two\nlines\",3\n"));
  QTableView table;
  table.setModel(&model);
  const QString table_path = tempPath("table.csv");
  ASSERT_EQ(exportTableCsv(&table, table_path), QString());
  EXPECT_EQ(readAll(table_path), readAll(path));
}

TEST(PlotExport, PlotToPngAndPdfAndErrors) {
  testing::ensureApplication();
  QCustomPlot plot;
  plot.resize(400, 300);
  plot.addGraph()->setData({0, 1, 2}, {1, 0, 2});
  plot.rescaleAxes();
  const QString png = tempPath("plot.png"), pdf = tempPath("plot.pdf");
  ASSERT_EQ(exportPlot(&plot, png), QString());
  ASSERT_EQ(exportPlot(&plot, pdf), QString());
  expectPng(png);
  expectPdf(pdf);
  EXPECT_TRUE(exportPlot(&plot, tempPath("plot.bmpx")).contains(QStringLiteral(".png or .pdf")));
  const QString missing_dir = tempPath("no-such-dir") + QStringLiteral("/x.csv");
  QStandardItemModel model;
  EXPECT_TRUE(exportModelCsv(&model, missing_dir).contains(missing_dir));
}

TEST(PlotExport, EveryViewExportsPngPdfAndCsv) {
  testing::ensureApplication();
  LossPlotView loss;
  LossSeriesData series;
  series.tasks = {{"t0", "f"}, {"t1", "g"}};
  series.train = {{{0, 0.0, 2.0}, {10, 1.0, 1.5}}, {{0, 0.0, 3.0}, {10, 1.0, 2.5}}};
  loss.setSeries(series);
  RoutingHeatmapView heatmap;
  const auto layer = testing::skillsMatrix("encoder.block.0.layer.0.SelfAttention.q", 2, 3,
                                           {0.6f, 0.3f, 0.1f, 0.2f, 0.2f, 0.6f});
  heatmap.setRouting(5, {layer}, series.tasks);
  ClusterView clusters;
  clusters.setRouting({layer}, series.tasks);
  for (QWidget* widget : std::initializer_list<QWidget*>{&loss, &heatmap, &clusters}) {
    widget->resize(700, 500);
    widget->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(widget));
  }
  const auto exportAll = [](const std::string& name, auto& view) {
    const QString png = tempPath(name + ".png"), pdf = tempPath(name + ".pdf"),
                  csv = tempPath(name + ".csv");
    ASSERT_EQ(view.exportTo(png), QString()) << name;
    ASSERT_EQ(view.exportTo(pdf), QString()) << name;
    ASSERT_EQ(view.exportTo(csv), QString()) << name;
    expectPng(png);
    expectPdf(pdf);
    EXPECT_GE(csvLines(csv).size(), 2) << name;
  };
  exportAll("loss", loss);
  exportAll("heatmap", heatmap);
  exportAll("clusters", clusters);

  const QString loss_csv = tempPath("loss-rows.csv");
  ASSERT_EQ(loss.exportTo(loss_csv), QString());
  const QStringList loss_lines = csvLines(loss_csv);
  EXPECT_EQ(loss_lines.front(), QStringLiteral("task,family,split,step,wall_time_s,loss,smoothed"));
  EXPECT_TRUE(loss_lines.contains(QStringLiteral("t1,g,train,10,1,2.5,2.5")));  // unsmoothed
  EXPECT_EQ(loss_lines.size(), 1 + 4 + 2);  // header, 4 task points, 2 mean points

  const QString heatmap_csv = tempPath("heatmap-rows.csv");
  ASSERT_EQ(heatmap.exportTo(heatmap_csv), QString());
  EXPECT_EQ(csvLines(heatmap_csv), (QStringList{"task,family,split,skill_0,skill_1,skill_2",
                                                "t0,f,1,0.600000024,0.300000012,0.100000001",
                                                "t1,g,1,0.200000003,0.200000003,0.600000024"}));

  const QString assignments = tempPath("assignments.csv");
  ASSERT_EQ(clusters.exportAssignments(assignments), QString());
  EXPECT_EQ(csvLines(assignments).front(),
            QStringLiteral("task,family,cluster,dendrogram_position"));
  EXPECT_EQ(csvLines(assignments).size(), 3);
}

}  // namespace
}  // namespace tensorpoly::ui
