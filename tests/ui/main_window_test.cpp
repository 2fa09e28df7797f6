// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/main_window.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QFileInfo>
#include <QTableWidget>
#include <QTest>
#include <filesystem>

#include "studio_test_support.h"
#include "tensorpoly/sessions/store.h"
#include "ui/comparison_view.h"
#include "ui/experiment_form.h"
#include "ui/loss_plot_view.h"
#include "ui/qcustomplot_include.h"
#include "ui/routing_heatmap_view.h"
#include "ui/run_browser.h"

namespace tensorpoly::ui {
namespace {

TEST(MainWindow, ListsTheRunsOfItsDatabase) {
  testing::ensureApplication();
  const QString path = testing::tempPath("main-window.sqlite");
  {
    auto store = sessions::Store::open(path.toStdString());
    ASSERT_EQ(sqlite3_exec(store.handle(),
                           "INSERT INTO runs(name, status, method, last_step) "
                           "VALUES ('first', 'finished', 'lora', 100),"
                           "       ('second', 'interrupted', 'tensorpoly-1', 42)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
  }
  MainWindow window(path);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  EXPECT_EQ(window.windowTitle(), QStringLiteral("TensorPoly Studio"));
  QTableWidget* table = window.runTable();
  ASSERT_EQ(table->rowCount(), 2);
  EXPECT_EQ(table->item(0, 1)->text(), QStringLiteral("second"));
  EXPECT_EQ(table->item(0, 2)->text(), QStringLiteral("interrupted"));
  EXPECT_EQ(table->item(1, 3)->text(), QStringLiteral("lora"));
}

TEST(MainWindow, PanelsAreClosableAndTheViewMenuReopensThem) {
  testing::ensureApplication();
  MainWindow window(testing::tempPath("docks.sqlite"));
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  const QStringList names = {"experimentDock", "runControlsDock", "lossDock", "routingDock",
                             "clusterDock", "runsDock", "comparisonDock"};
  for (const QString& name : names) {
    QDockWidget* dock = window.dock(name);
    ASSERT_NE(dock, nullptr) << name.toStdString();
    EXPECT_TRUE(dock->features() & QDockWidget::DockWidgetClosable);
    QAction* toggle = window.findChild<QAction*>(QStringLiteral("toggle_") + name);
    ASSERT_NE(toggle, nullptr);
    dock->close();
    EXPECT_FALSE(dock->isVisible());
    EXPECT_FALSE(toggle->isChecked());
    toggle->trigger();
    EXPECT_TRUE(dock->isVisible()) << name.toStdString();
  }
  // The layout round-trips through saveState/restoreState.
  window.dock("clusterDock")->close();
  const QByteArray state = window.saveState();
  window.dock("clusterDock")->show();
  ASSERT_TRUE(window.restoreState(state));
  EXPECT_FALSE(window.dock("clusterDock")->isVisible());
}

TEST(MainWindow, HasTheStandardShortcuts) {
  testing::ensureApplication();
  MainWindow window(testing::tempPath("shortcuts.sqlite"));
  const std::pair<const char*, const char*> expected[] = {
      {"actionNew", "Ctrl+N"}, {"actionOpen", "Ctrl+O"}, {"actionRun", "Ctrl+R"},
      {"actionExport", "Ctrl+E"}, {"actionQuit", "Ctrl+Q"}};
  for (const auto& [name, keys] : expected) {
    QAction* action = window.action(QString::fromLatin1(name));
    ASSERT_NE(action, nullptr) << name;
    EXPECT_EQ(action->shortcut(), QKeySequence(QString::fromLatin1(keys))) << name;
  }
  ASSERT_NE(window.action("actionPause"), nullptr);
  ASSERT_NE(window.action("actionStop"), nullptr);
  EXPECT_FALSE(window.action("actionPause")->isEnabled());  // nothing runs yet
}

TEST(MainWindow, OpensTheBuiltInDefaultExperiment) {
  testing::ensureApplication();
  MainWindow window(testing::tempPath("default.sqlite"));
  const ExperimentConfig expected = ExperimentForm::presetConfig("default");
  EXPECT_EQ(window.experimentForm()->config().name, expected.name);
  EXPECT_EQ(to_json_text(window.experimentForm()->config()), to_json_text(expected));
}

TEST(MainWindow, ExportsPlotsToPngAndPdfAndTablesToCsv) {
  testing::ensureApplication();
  const QString database = testing::tempPath("export.sqlite");
  testing::FakeRun first;
  first.name = "first";
  const int64_t first_id = testing::recordRun(database, first);
  testing::FakeRun second = first;
  second.name = "second";
  second.config.adapter.rank = 8;
  second.loss_offset = 0.3;
  const int64_t second_id = testing::recordRun(database, second);

  MainWindow window(database);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  window.showRun(sessions::RunRef(first_id));
  ASSERT_EQ(window.lossPlot()->taskCount(), 3);
  ASSERT_EQ(window.compareRuns({sessions::RunRef(first_id), sessions::RunRef(second_id)}), QString());
  QTest::qWait(100);

  const auto exported = [&](const QString& view, const QString& suffix) {
    const QString path = testing::tempPath(("export-" + view + "." + suffix).toStdString());
    const QString error = window.exportView(view, path);
    EXPECT_TRUE(error.isEmpty()) << error.toStdString();
    return QFileInfo(path).size();
  };
  for (const QString view : {"loss", "routing", "clustering"}) {
    EXPECT_GT(exported(view, "png"), 1000) << view.toStdString();
    EXPECT_GT(exported(view, "pdf"), 500) << view.toStdString();
    EXPECT_GT(exported(view, "csv"), 20) << view.toStdString();
  }
  EXPECT_GT(exported("runs", "csv"), 20);
  const QByteArray runs_csv = testing::readAll([&] {
    const QString path = testing::tempPath("runs.csv");
    window.exportView("runs", path);
    return path;
  }());
  EXPECT_TRUE(runs_csv.contains("first"));
  EXPECT_TRUE(runs_csv.contains("second"));

  ComparisonView* comparison = window.comparisonView();
  comparison->tabs()->setCurrentIndex(0);
  EXPECT_GT(exported("comparison", "png"), 1000);
  EXPECT_GT(exported("comparison", "pdf"), 500);
  comparison->tabs()->setCurrentIndex(1);
  EXPECT_GT(exported("comparison", "csv"), 10);

  // A run's config as JSON.
  const QString config_path = testing::tempPath("run-config.json");
  ASSERT_EQ(window.exportRunConfig(sessions::RunRef(second_id), config_path), QString());
  const ExperimentConfig read_back = config_from_file(config_path.toStdString());
  EXPECT_EQ(read_back.adapter.rank, 8);
}

TEST(MainWindow, ScreenshotsEveryPanel) {
  testing::ensureApplication();
  const QString database = testing::tempPath("shots.sqlite");
  const int64_t id = testing::recordRun(database, testing::FakeRun{});
  MainWindow window(database);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  window.showRun(sessions::RunRef(id));
  const QString folder = testing::tempPath("shots");
  ASSERT_EQ(window.saveScreenshots(folder), QString());
  for (const QString name : {"main_window", "experiment", "run_controls", "loss", "routing",
                             "clustering", "runs"}) {
    EXPECT_GT(QFileInfo(folder + "/" + name + ".png").size(), 1000) << name.toStdString();
  }
}

}  // namespace
}  // namespace tensorpoly::ui
