// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/main_window.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QTableWidget>
#include <QTest>
#include <filesystem>

#include "studio_test_support.h"
#include "tensorpoly/runtime.h"
#include "tensorpoly/sessions/store.h"
#include "ui/comparison_view.h"
#include "ui/experiment_form.h"
#include "ui/loss_plot_view.h"
#include "ui/qcustomplot_include.h"
#include "ui/routing_heatmap_view.h"
#include "ui/run_browser.h"
#include "ui/run_controls.h"
#include "ui/task_selection.h"

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
  const QStringList names = {"experimentDock", "runControlsDock", "lossDock",      "routingDock",
                             "clusterDock",    "runsDock",        "comparisonDock"};
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

// The default layout fits a common laptop screen (1280 x 800, less a panel bar): every
// dock's minimum size adds up to less than the screen, so the window opens inside it.
TEST(MainWindow, DefaultLayoutFitsA1280By800Screen) {
  testing::ensureApplication();
  MainWindow window(testing::tempPath("fits.sqlite"));
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  std::string docks;
  for (const char* name : {"experimentDock", "runControlsDock", "lossDock", "comparisonDock",
                           "routingDock", "clusterDock", "runsDock"}) {
    const QSize hint = window.dock(name)->minimumSizeHint();
    docks += std::string(" ") + name + "=" + std::to_string(hint.width()) + "x" +
             std::to_string(hint.height());
  }
  const QSize minimum = window.minimumSizeHint();
  EXPECT_LE(minimum.width(), 1280) << "docks:" << docks;
  EXPECT_LE(minimum.height(), 760) << "docks:" << docks;
}

TEST(MainWindow, HasTheStandardShortcuts) {
  testing::ensureApplication();
  MainWindow window(testing::tempPath("shortcuts.sqlite"));
  const std::pair<const char*, const char*> expected[] = {{"actionNew", "Ctrl+N"},
                                                          {"actionOpen", "Ctrl+O"},
                                                          {"actionRun", "Ctrl+R"},
                                                          {"actionExport", "Ctrl+E"},
                                                          {"actionQuit", "Ctrl+Q"}};
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
  ASSERT_EQ(window.compareRuns({sessions::RunRef(first_id), sessions::RunRef(second_id)}),
            QString());
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
  for (const QString name :
       {"main_window", "experiment", "run_controls", "loss", "routing", "clustering", "runs"}) {
    EXPECT_GT(QFileInfo(folder + "/" + name + ".png").size(), 1000) << name.toStdString();
  }
}

// Closing the window saves its layout, the form's config and the database; the
// next window (as the app opens it, with settings) restores all three.
TEST(MainWindow, RemembersLayoutLastConfigAndLastDatabase) {
  testing::ensureApplication();
  testing::ScopedTestSettings settings;
  const QString database = testing::tempPath("remembered.sqlite");
  const int64_t default_steps = ExperimentForm::presetConfig("default").train.steps;
  ASSERT_NE(default_steps, 321);
  {
    MainWindowOptions options;
    options.database_path = database;
    options.use_settings = true;
    MainWindow window(options);
    window.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
    window.dock("clusterDock")->close();
    auto* steps = qobject_cast<QLineEdit*>(window.experimentForm()->fieldWidget("train.steps"));
    ASSERT_NE(steps, nullptr);
    steps->setText("321");
    ASSERT_TRUE(window.experimentForm()->isValid());
    window.close();
  }
  EXPECT_EQ(QSettings().value("sessions/lastDatabase").toString(), database);
  {
    MainWindowOptions options;  // no --db: the last database
    options.use_settings = true;
    MainWindow window(options);
    window.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
    EXPECT_EQ(window.databasePath(), database);
    EXPECT_FALSE(window.dock("clusterDock")->isVisible());
    EXPECT_TRUE(window.dock("lossDock")->isVisible());
    EXPECT_TRUE(window.dock("experimentDock")->isVisible());
    EXPECT_EQ(window.experimentForm()->config().train.steps, 321);
  }
  // Without settings (tests, --screenshot-dir) nothing is restored.
  MainWindow plain(testing::tempPath("plain.sqlite"));
  EXPECT_EQ(plain.experimentForm()->config().train.steps, default_steps);
  EXPECT_FALSE(plain.dock("clusterDock")->isHidden());
}

TEST(MainWindow, StatusBarShowsTheDeviceAndTheDatabase) {
  testing::ensureApplication();
  const QString first = testing::tempPath("status-first.sqlite");
  MainWindow window(first);
  auto* device = window.findChild<QLabel*>("deviceLabel");
  auto* database = window.findChild<QLabel*>("databaseLabel");
  ASSERT_NE(device, nullptr);
  ASSERT_NE(database, nullptr);
  const RuntimeInfo runtime = runtime_info();
  EXPECT_EQ(device->text(),
            runtime.cuda_available
                ? QStringLiteral("Device: cuda (%1 GPU(s))").arg(runtime.cuda_device_count)
                : QStringLiteral("Device: cpu"));
  EXPECT_EQ(database->text(), QStringLiteral("Database: ") + first);

  const QString second = testing::tempPath("status-second.sqlite");
  ASSERT_EQ(window.openDatabase(second), QString());
  EXPECT_EQ(database->text(), QStringLiteral("Database: ") + second);
  const QString other = testing::tempPath("status-attached.sqlite");
  testing::recordRun(other, testing::FakeRun{});
  ASSERT_EQ(window.attachDatabase(other), QString());
  EXPECT_TRUE(database->text().endsWith(" + 1 attached")) << database->text().toStdString();

  // A store that is not writable: said in the status bar, and Run says why it is off.
  const QString locked = testing::tempPath("status-locked.sqlite");
  testing::recordRun(locked, testing::FakeRun{});
  ASSERT_EQ(::chmod(locked.toLocal8Bit().constData(), 0444), 0);
  ASSERT_EQ(window.openDatabase(locked), QString());
  EXPECT_TRUE(database->text().contains("(read-only)")) << database->text().toStdString();
  EXPECT_TRUE(database->toolTip().contains("not writable")) << database->toolTip().toStdString();
  ASSERT_TRUE(window.experimentForm()->isValid());
  QPushButton* run = window.runControls()->runButton();
  EXPECT_FALSE(run->isEnabled());
  EXPECT_FALSE(window.action("actionRun")->isEnabled());
  EXPECT_TRUE(run->toolTip().contains("read-only")) << run->toolTip().toStdString();
  EXPECT_TRUE(run->toolTip().contains(locked)) << run->toolTip().toStdString();
  EXPECT_NE(window.startRun(), QString());
  ::chmod(locked.toLocal8Bit().constData(), 0644);
  ASSERT_EQ(window.openDatabase(second), QString());
  EXPECT_TRUE(run->isEnabled());
}

TEST(MainWindow, AttachingADatabaseListsItsRunsBesideTheLocalOnes) {
  testing::ensureApplication();
  const QString local = testing::tempPath("attach-local.sqlite");
  testing::FakeRun run;
  run.name = "local run";
  testing::recordRun(local, run);
  const QString remote = testing::tempPath("attach-remote.sqlite");
  run.name = "remote run";
  run.n_tasks = 5;
  const int64_t remote_id = testing::recordRun(remote, run);

  MainWindow window(local);
  QTableWidget* table = window.runTable();
  ASSERT_EQ(table->rowCount(), 1);
  ASSERT_EQ(window.attachDatabase(remote), QString());
  ASSERT_EQ(table->rowCount(), 2);
  int remote_row = -1;
  for (int row = 0; row < table->rowCount(); ++row) {
    if (table->item(row, RunBrowser::kName)->text() == "remote run") remote_row = row;
  }
  ASSERT_GE(remote_row, 0);
  const sessions::RunRef ref = window.runBrowser()->runAt(remote_row);
  EXPECT_NE(ref.database, sessions::kMainDatabase);
  EXPECT_EQ(ref.id, remote_id);
  EXPECT_EQ(table->item(remote_row, RunBrowser::kDatabase)->text().toStdString(), ref.database);
  // The attached run opens in the views like a local one.
  window.showRun(ref);
  EXPECT_EQ(window.lossPlot()->taskCount(), 5);
  EXPECT_NE(window.attachDatabase(testing::tempPath("missing-dir") + "/no.sqlite"), QString());
}

// Clicking a task in the heatmap highlights it in every view of the window: the
// loss legend selects that task's row and its curve is drawn on top.
TEST(MainWindow, ClickingATaskInTheHeatmapHighlightsItInTheLossLegend) {
  testing::ensureApplication();
  const QString database = testing::tempPath("highlight.sqlite");
  const int64_t id = testing::recordRun(database, testing::FakeRun{});
  MainWindow window(database);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  window.showRun(sessions::RunRef(id));
  RoutingHeatmapView* heatmap = window.routingHeatmap();
  window.dock("routingDock")->raise();
  QTest::qWait(100);  // the dock lays out; the heatmap's queued redraw runs
  heatmap->redrawNow();
  const QPoint cell = heatmap->pixelOf(/*task=*/1, /*skill=*/2);
  ASSERT_NE(cell, QPoint(-1, -1));
  ASSERT_EQ(heatmap->cellAt(cell).task, 1)
      << "pixel " << cell.x() << "," << cell.y() << " in a plot of " << heatmap->plot()->width()
      << "x" << heatmap->plot()->height() << (heatmap->isVisible() ? " (visible)" : " (hidden)");
  QListWidget* legend = window.lossPlot()->legend();
  ASSERT_EQ(legend->count(), 3);
  EXPECT_TRUE(legend->selectedItems().isEmpty());

  QTest::mouseClick(heatmap->plot(), Qt::LeftButton, Qt::NoModifier, cell);
  EXPECT_EQ(heatmap->selection()->highlightedTask(), 1);
  ASSERT_EQ(legend->selectedItems().size(), 1);
  EXPECT_EQ(legend->row(legend->selectedItems().front()), 1);
  EXPECT_EQ(window.lossPlot()->selection(), heatmap->selection());  // one shared selection
  EXPECT_GT(window.lossPlot()->trainGraph(1)->pen().widthF(),
            window.lossPlot()->trainGraph(0)->pen().widthF());

  // Clicking it again clears the highlight everywhere.
  QTest::mouseClick(heatmap->plot(), Qt::LeftButton, Qt::NoModifier, cell);
  EXPECT_EQ(heatmap->selection()->highlightedTask(), -1);
  EXPECT_TRUE(legend->selectedItems().isEmpty());
}

}  // namespace
}  // namespace tensorpoly::ui
