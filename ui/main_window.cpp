// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QTimer>
#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "tensorpoly/runtime.h"
#include "ui/cluster_view.h"
#include "ui/comparison_view.h"
#include "ui/engine_controller.h"
#include "ui/experiment_form.h"
#include "ui/loss_plot_view.h"
#include "ui/plot_export.h"
#include "ui/routing_heatmap_view.h"
#include "ui/run_browser.h"
#include "ui/run_controls.h"
#include "ui/run_view_loader.h"
#include "ui/task_selection.h"

namespace tensorpoly::ui {

namespace {

// Settings keys.
const char* const kGeometryKey = "window/geometry";
const char* const kStateKey = "window/state";
const char* const kConfigKey = "experiment/lastConfig";
const char* const kDatabaseKey = "sessions/lastDatabase";

// Dock object name -> the view name used by exportView() and the screenshot files.
const std::map<QString, QString>& viewNames() {
  static const std::map<QString, QString> names = {
      {QStringLiteral("experimentDock"), QStringLiteral("experiment")},
      {QStringLiteral("runControlsDock"), QStringLiteral("run_controls")},
      {QStringLiteral("lossDock"), QStringLiteral("loss")},
      {QStringLiteral("routingDock"), QStringLiteral("routing")},
      {QStringLiteral("clusterDock"), QStringLiteral("clustering")},
      {QStringLiteral("runsDock"), QStringLiteral("runs")},
      {QStringLiteral("comparisonDock"), QStringLiteral("comparison")}};
  return names;
}

// Lets queued replots and short single-shot timers run (grabs, exports).
void settle(int milliseconds) {
  QEventLoop loop;
  QTimer::singleShot(milliseconds, &loop, &QEventLoop::quit);
  loop.exec();
}

}  // namespace

QString defaultDatabasePath() {
  const QString folder = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
  QDir().mkpath(folder);
  return folder + QStringLiteral("/sessions.sqlite");
}

MainWindow::MainWindow(const QString& database_path, QWidget* parent) : QMainWindow(parent) {
  MainWindowOptions options;
  options.database_path = database_path;
  init(options);
}

MainWindow::MainWindow(const MainWindowOptions& options, QWidget* parent) : QMainWindow(parent) {
  init(options);
}

MainWindow::~MainWindow() {
  // The engine thread writes through the controller; stop it before the views go.
  delete engine_;
  engine_ = nullptr;
}

void MainWindow::init(const MainWindowOptions& options) {
  setWindowTitle(QStringLiteral("TensorPoly Studio"));
  setObjectName(QStringLiteral("MainWindow"));
  use_settings_ = options.use_settings;
  setDockNestingEnabled(true);

  engine_ = new EngineController(this);
  selection_ = new TaskSelection(this);
  form_ = new ExperimentForm;
  // Narrower docks still work (rows wrap, the field column scrolls); below this the
  // labels would take most of the width.
  form_->setMinimumWidth(320);
  run_controls_ = new RunControls;
  loss_view_ = new LossPlotView;
  loss_view_->setSelection(selection_);
  heatmap_view_ = new RoutingHeatmapView;
  heatmap_view_->setSelection(selection_);
  cluster_view_ = new ClusterView;
  cluster_view_->setSelection(selection_);
  run_browser_ = new RunBrowser;
  comparison_view_ = new ComparisonView;
  comparison_view_->setTaskSelection(selection_);

  addPanel(QStringLiteral("experimentDock"), tr("Experiment"), form_, Qt::LeftDockWidgetArea);
  addPanel(QStringLiteral("runControlsDock"), tr("Run controls"), run_controls_,
           Qt::LeftDockWidgetArea);
  addPanel(QStringLiteral("lossDock"), tr("Loss"), loss_view_, Qt::RightDockWidgetArea);
  addPanel(QStringLiteral("comparisonDock"), tr("Comparison"), comparison_view_,
           Qt::RightDockWidgetArea);
  addPanel(QStringLiteral("routingDock"), tr("Routing"), heatmap_view_, Qt::RightDockWidgetArea);
  addPanel(QStringLiteral("clusterDock"), tr("Clustering"), cluster_view_, Qt::RightDockWidgetArea);
  addPanel(QStringLiteral("runsDock"), tr("Runs"), run_browser_, Qt::BottomDockWidgetArea);
  defaultLayout();
  default_state_ = saveState();

  createMenus();
  device_label_ = new QLabel(this);
  device_label_->setObjectName(QStringLiteral("deviceLabel"));
  database_label_ = new QLabel(this);
  database_label_->setObjectName(QStringLiteral("databaseLabel"));
  statusBar()->addPermanentWidget(device_label_);
  statusBar()->addPermanentWidget(database_label_);
  {
    const RuntimeInfo runtime = runtime_info();
    device_text_ = runtime.cuda_available
                       ? tr("cuda (%n GPU(s))", nullptr, runtime.cuda_device_count)
                       : QStringLiteral("cpu");
  }

  connect(form_, &ExperimentForm::validityChanged, this,
          [this](bool valid, const QString& problem) {
            form_valid_ = valid;
            form_problem_ = problem;
            updateRunnable();
          });
  connect(run_controls_, &RunControls::runRequested, this, [this] {
    const QString error = startRun();
    if (!error.isEmpty()) statusBar()->showMessage(error, 10000);
  });
  connect(run_controls_, &RunControls::pauseRequested, engine_, &EngineController::pause);
  connect(run_controls_, &RunControls::resumeRequested, engine_, &EngineController::resume);
  connect(run_controls_, &RunControls::stopRequested, engine_, &EngineController::stop);
  connect(engine_, &EngineController::runStarted, this, &MainWindow::onRunStarted);
  connect(engine_, &EngineController::progress, run_controls_, &RunControls::onProgress);
  connect(engine_, &EngineController::stageProgress, run_controls_, &RunControls::onStageProgress);
  connect(engine_, &EngineController::pausedChanged, run_controls_, &RunControls::onPausedChanged);
  connect(engine_, &EngineController::pausedChanged, this, [this](bool paused) {
    action(QStringLiteral("actionPause"))->setText(paused ? tr("&Resume") : tr("&Pause"));
  });
  connect(engine_, &EngineController::runAdvanced, this, &MainWindow::onRunAdvanced);
  connect(engine_, &EngineController::runEnded, this, &MainWindow::onRunEnded);
  connect(run_browser_, &RunBrowser::runActivated, this, &MainWindow::showRun);
  connect(run_browser_, &RunBrowser::compareRequested, this,
          [this](const std::vector<sessions::RunRef>& runs) {
            const QString error = compareRuns(runs);
            if (!error.isEmpty()) statusBar()->showMessage(error, 10000);
          });
  connect(run_browser_, &RunBrowser::attachRequested, this, [this] {
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Attach a database (read-only)"), {},
                                     tr("TensorPoly stores (*.sqlite *.db);;All files (*)"));
    if (path.isEmpty()) return;
    const QString error = attachDatabase(path);
    if (!error.isEmpty()) QMessageBox::warning(this, tr("Attach database"), error);
  });
  connect(run_browser_, &RunBrowser::runsEdited, this, [this] {
    if (shown_run_.id > 0 && store_ && !store_->run_summary(shown_run_)) {
      shown_run_ = sessions::RunRef(0);
      delete loader_;
      loader_ = nullptr;
      loss_view_->clear();
      heatmap_view_->clear();
      cluster_view_->clear();
    }
  });
  connect(cluster_view_, &ClusterView::clusterOrderChanged, heatmap_view_,
          &RoutingHeatmapView::setClusterOrder);
  connect(qApp, &QApplication::focusChanged, this, [this](QWidget*, QWidget* now) {
    for (QWidget* widget = now; widget; widget = widget->parentWidget()) {
      if (auto* dock_widget = qobject_cast<QDockWidget*>(widget)) {
        last_active_dock_ = dock_widget;
        return;
      }
    }
  });

  // 1400 x 900, or less on a smaller screen (never wider than what it can show).
  const QRect available = screen() ? screen()->availableGeometry() : QRect(0, 0, 1400, 900);
  resize(std::min(1400, available.width() * 19 / 20), std::min(900, available.height() * 19 / 20));
  QString database = options.database_path;
  if (database.isEmpty() && use_settings_) database = QSettings().value(kDatabaseKey).toString();
  if (database.isEmpty()) database = defaultDatabasePath();
  const QString error = openDatabase(database);
  if (!error.isEmpty()) statusBar()->showMessage(error);
  restoreSettings(options);
  updateRunnable();
}

QDockWidget* MainWindow::addPanel(const QString& name, const QString& title, QWidget* widget,
                                  Qt::DockWidgetArea area) {
  auto* dock_widget = new QDockWidget(title, this);
  dock_widget->setObjectName(name);
  dock_widget->setWidget(widget);
  dock_widget->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable |
                           QDockWidget::DockWidgetFloatable);
  addDockWidget(area, dock_widget);
  docks_ << dock_widget;
  return dock_widget;
}

void MainWindow::defaultLayout() {
  for (QDockWidget* dock_widget : docks_) {
    dock_widget->setFloating(false);
    dock_widget->show();
  }
  QDockWidget* experiment = dock(QStringLiteral("experimentDock"));
  QDockWidget* controls = dock(QStringLiteral("runControlsDock"));
  QDockWidget* loss = dock(QStringLiteral("lossDock"));
  QDockWidget* comparison = dock(QStringLiteral("comparisonDock"));
  QDockWidget* routing = dock(QStringLiteral("routingDock"));
  QDockWidget* cluster = dock(QStringLiteral("clusterDock"));
  QDockWidget* runs = dock(QStringLiteral("runsDock"));
  addDockWidget(Qt::LeftDockWidgetArea, experiment);
  splitDockWidget(experiment, controls, Qt::Vertical);
  addDockWidget(Qt::RightDockWidgetArea, loss);
  splitDockWidget(loss, routing, Qt::Horizontal);
  tabifyDockWidget(loss, comparison);
  tabifyDockWidget(routing, cluster);
  addDockWidget(Qt::BottomDockWidgetArea, runs);
  loss->raise();
  routing->raise();
  resizeDocks({experiment, loss, routing}, {430, 500, 500}, Qt::Horizontal);
  resizeDocks({experiment, controls}, {600, 160}, Qt::Vertical);
  resizeDocks({loss, runs}, {600, 220}, Qt::Vertical);
}

void MainWindow::createMenus() {
  const auto make = [this](const QString& name, const QString& text, const QKeySequence& shortcut) {
    auto* created = new QAction(text, this);
    created->setObjectName(name);
    if (!shortcut.isEmpty()) created->setShortcut(shortcut);
    return created;
  };
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* new_action =
      make(QStringLiteral("actionNew"), tr("&New experiment"), QKeySequence(tr("Ctrl+N")));
  connect(new_action, &QAction::triggered, this, &MainWindow::newExperiment);
  QAction* open_action =
      make(QStringLiteral("actionOpen"), tr("&Open database…"), QKeySequence(tr("Ctrl+O")));
  connect(open_action, &QAction::triggered, this, [this] {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Open database"), QFileInfo(database_path_).absolutePath(),
        tr("TensorPoly stores (*.sqlite *.db);;All files (*)"), nullptr,
        QFileDialog::DontConfirmOverwrite);
    if (path.isEmpty()) return;
    const QString error = openDatabase(path);
    if (!error.isEmpty()) QMessageBox::warning(this, tr("Open database"), error);
  });
  QAction* attach_action = make(QStringLiteral("actionAttach"), tr("&Attach database…"), {});
  connect(attach_action, &QAction::triggered, run_browser_, &RunBrowser::attachRequested);
  QAction* load_config = make(QStringLiteral("actionLoadConfig"), tr("&Load config…"), {});
  connect(load_config, &QAction::triggered, this, [this] {
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Load config"), {}, tr("JSON (*.json)"));
    if (path.isEmpty()) return;
    const QString error = form_->loadFile(path);
    if (!error.isEmpty()) QMessageBox::warning(this, tr("Load config"), error);
  });
  QAction* save_config =
      make(QStringLiteral("actionSaveConfig"), tr("&Save config as…"), QKeySequence(tr("Ctrl+S")));
  connect(save_config, &QAction::triggered, this, [this] {
    QString path = QFileDialog::getSaveFileName(this, tr("Save config"), {}, tr("JSON (*.json)"));
    if (path.isEmpty()) return;
    if (!path.endsWith(QStringLiteral(".json"))) path += QStringLiteral(".json");
    const QString error = form_->saveFile(path);
    if (!error.isEmpty()) QMessageBox::warning(this, tr("Save config"), error);
  });
  QAction* export_action =
      make(QStringLiteral("actionExport"), tr("&Export…"), QKeySequence(tr("Ctrl+E")));
  connect(export_action, &QAction::triggered, this, &MainWindow::exportCurrentView);
  QAction* export_config =
      make(QStringLiteral("actionExportRunConfig"), tr("Export run &config…"), {});
  connect(export_config, &QAction::triggered, this, &MainWindow::exportSelectedRunConfig);
  QAction* quit_action =
      make(QStringLiteral("actionQuit"), tr("&Quit"), QKeySequence(tr("Ctrl+Q")));
  connect(quit_action, &QAction::triggered, this, &QMainWindow::close);
  file->addActions({new_action, open_action, attach_action});
  file->addSeparator();
  file->addActions({load_config, save_config});
  file->addSeparator();
  file->addActions({export_action, export_config});
  file->addSeparator();
  file->addAction(quit_action);

  QMenu* run = menuBar()->addMenu(tr("&Run"));
  QAction* run_action = make(QStringLiteral("actionRun"), tr("&Run"), QKeySequence(tr("Ctrl+R")));
  connect(run_action, &QAction::triggered, this, [this] {
    const QString error = startRun();
    if (!error.isEmpty()) statusBar()->showMessage(error, 10000);
  });
  QAction* pause_action =
      make(QStringLiteral("actionPause"), tr("&Pause"), QKeySequence(tr("Ctrl+P")));
  connect(pause_action, &QAction::triggered, this, [this] {
    if (engine_->isPaused()) {
      engine_->resume();
    } else {
      engine_->pause();
    }
  });
  QAction* stop_action =
      make(QStringLiteral("actionStop"), tr("&Stop"), QKeySequence(tr("Ctrl+.")));
  connect(stop_action, &QAction::triggered, engine_, &EngineController::stop);
  QAction* compare_action = make(QStringLiteral("actionCompare"), tr("&Compare selected runs"), {});
  connect(compare_action, &QAction::triggered, this, [this] {
    const QString error = compareRuns(run_browser_->selectedRuns());
    if (!error.isEmpty()) statusBar()->showMessage(error, 10000);
  });
  run->addActions({run_action, pause_action, stop_action});
  run->addSeparator();
  run->addAction(compare_action);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  for (QDockWidget* dock_widget : docks_) {
    QAction* toggle = dock_widget->toggleViewAction();
    toggle->setObjectName(QStringLiteral("toggle_") + dock_widget->objectName());
    view->addAction(toggle);
  }
  view->addSeparator();
  QAction* reset_layout = make(QStringLiteral("actionResetLayout"), tr("Reset &layout"), {});
  connect(reset_layout, &QAction::triggered, this, [this] { restoreState(default_state_); });
  view->addAction(reset_layout);

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  QAction* about = make(QStringLiteral("actionAbout"), tr("&About TensorPoly Studio"), {});
  connect(about, &QAction::triggered, this, [this] {
    QMessageBox::about(
        this, tr("About TensorPoly Studio"),
        tr("<b>TensorPoly Studio</b> %1<br>Modular multi-task learning with tensor-product "
           "adapters (Su et al., TMLR 2024).<br>GPL-3.0-or-later.")
            .arg(QCoreApplication::applicationVersion()));
  });
  help->addAction(about);
}

QDockWidget* MainWindow::dock(const QString& name) const {
  for (QDockWidget* dock_widget : docks_) {
    if (dock_widget->objectName() == name) return dock_widget;
  }
  return nullptr;
}

QAction* MainWindow::action(const QString& name) const { return findChild<QAction*>(name); }

QTableWidget* MainWindow::runTable() const { return run_browser_->table(); }

void MainWindow::restoreSettings(const MainWindowOptions& options) {
  QSettings settings;
  if (use_settings_) {
    restoreGeometry(settings.value(kGeometryKey).toByteArray());
    restoreState(settings.value(kStateKey).toByteArray());
  }
  // The form: --config FILE, else the last config, else the built-in default experiment.
  if (!options.config_path.isEmpty()) {
    const QString error = form_->loadFile(options.config_path);
    if (error.isEmpty()) return;
    statusBar()->showMessage(error);
  } else if (use_settings_) {
    const QString last = settings.value(kConfigKey).toString();
    if (!last.isEmpty()) {
      try {
        form_->setConfig(config_from_json_text(last.toStdString()));
        return;
      } catch (const std::exception&) {
        // Saved by another version and no longer valid: start from the default.
      }
    }
  }
  newExperiment();
}

void MainWindow::saveSettings() {
  if (!use_settings_) return;
  QSettings settings;
  settings.setValue(kGeometryKey, saveGeometry());
  settings.setValue(kStateKey, saveState());
  settings.setValue(kConfigKey, form_->configJson());
  settings.setValue(kDatabaseKey, database_path_);
}

void MainWindow::newExperiment() {
  const QString error = form_->loadPreset(QStringLiteral("default"));
  if (!error.isEmpty()) statusBar()->showMessage(error, 10000);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (engine_ && engine_->isRunning()) {
    // The run is stored as "stopped" with everything it committed.
    engine_->stop();
    engine_->waitForFinished(30000);
  }
  saveSettings();
  event->accept();
}

QString MainWindow::openDatabase(const QString& path) {
  if (engine_->isRunning() && path != database_path_) {
    return tr("A run is recording into %1; stop it before opening another database.")
        .arg(database_path_);
  }
  comparison_view_->clear();
  run_browser_->setStore(nullptr);
  delete loader_;
  loader_ = nullptr;
  shown_run_ = sessions::RunRef(0);
  loss_view_->clear();
  heatmap_view_->clear();
  cluster_view_->clear();
  database_path_ = path;
  QString error;
  try {
    store_ = std::make_shared<sessions::Store>(sessions::Store::open(path.toStdString()));
  } catch (const std::exception& e) {
    store_.reset();
    error = QString::fromStdString(e.what());
  }
  run_browser_->setStore(store_.get());
  updateStatus();
  updateRunnable();
  return error;
}

QString MainWindow::attachDatabase(const QString& path) {
  if (!store_) return tr("No database is open.");
  try {
    store_->attach(path.toStdString());
  } catch (const std::exception& e) {
    return QString::fromStdString(e.what());
  }
  reloadRuns();
  updateStatus();
  return {};
}

void MainWindow::reloadRuns() { run_browser_->reload(); }

void MainWindow::updateStatus() {
  device_label_->setText(tr("Device: %1").arg(device_text_));
  QString database = tr("Database: %1").arg(database_path_);
  if (!store_) {
    database += tr(" (not open)");
  } else {
    if (store_->read_only()) database += tr(" (read-only)");
    const auto attached = store_->attached();
    if (!attached.empty())
      database += tr(" + %n attached", nullptr, static_cast<int>(attached.size()));
  }
  database_label_->setText(database);
  database_label_->setToolTip(store_ ? QString::fromStdString(store_->notice()) : QString());
}

void MainWindow::updateRunnable() {
  const bool running = engine_->isRunning();
  const bool can_run = form_valid_ && !running && store_ && !store_->read_only();
  QString reason;
  if (running) reason = tr("A run is in progress; one run at a time.");
  if (!form_valid_) reason = tr("Fix the form first: %1").arg(form_problem_);
  if (store_ && store_->read_only()) {
    const QString notice = QString::fromStdString(store_->notice());
    reason = tr("The database %1 is read-only, so a run cannot be recorded there%2. "
                "Open a writable database (File ▸ Open database…).")
                 .arg(database_path_,
                      notice.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(notice));
  }
  if (!store_) reason = tr("No database is open.");
  run_controls_->setRunnable(can_run, reason);
  if (QAction* run = action(QStringLiteral("actionRun"))) {
    run->setEnabled(can_run);
    run->setStatusTip(can_run ? tr("Start training the experiment of the form") : reason);
  }
  if (QAction* pause = action(QStringLiteral("actionPause"))) pause->setEnabled(running);
  if (QAction* stop = action(QStringLiteral("actionStop"))) stop->setEnabled(running);
}

QString MainWindow::startRun() {
  if (!form_->isValid())
    return tr("The experiment form is not valid: %1").arg(form_->problems().value(0));
  if (!store_) return tr("No database is open.");
  const ExperimentConfig config = form_->config();
  if (use_settings_) QSettings().setValue(kConfigKey, form_->configJson());
  run_controls_->onRunStarting();
  const QString error = engine_->start(config, database_path_);
  if (!error.isEmpty()) {
    run_controls_->onRunEnded(0, QStringLiteral("failed"), 0, error);
  }
  updateRunnable();
  return error;
}

void MainWindow::onRunStarted(qint64 run_id, qint64 total_steps, const QString& device) {
  device_text_ = device;
  updateStatus();
  run_controls_->onRunStarted(run_id, total_steps);
  reloadRuns();
  showRun(sessions::RunRef(run_id));
  run_browser_->selectRuns({sessions::RunRef(run_id)});
  updateRunnable();
  statusBar()->showMessage(tr("Run %1 started on %2").arg(run_id).arg(device), 5000);
}

void MainWindow::recordRefresh(qint64 nanoseconds) {
  const double milliseconds = static_cast<double>(nanoseconds) * 1e-6;
  ++refresh_stats_.count;
  refresh_stats_.total_ms += milliseconds;
  refresh_stats_.max_ms = std::max(refresh_stats_.max_ms, milliseconds);
}

void MainWindow::onRunAdvanced(qint64 run_id, qint64 /*last_step*/) {
  QElapsedTimer clock;
  clock.start();
  if (shown_run_.database == sessions::kMainDatabase && shown_run_.id == run_id) loadRun(true);
  // The browser's "last step" column: a cheap query, at most about once a second.
  if (!since_runs_reload_.isValid() || since_runs_reload_.elapsed() > 1000) {
    reloadRuns();
    since_runs_reload_.start();
  }
  recordRefresh(clock.nsecsElapsed());
}

void MainWindow::onRunEnded(qint64 run_id, const QString& status, qint64 step,
                            const QString& message) {
  QElapsedTimer clock;
  clock.start();
  run_controls_->onRunEnded(run_id, status, step, message);
  reloadRuns();
  if (shown_run_.database == sessions::kMainDatabase && shown_run_.id == run_id) loadRun(true);
  updateRunnable();
  action(QStringLiteral("actionPause"))->setText(tr("&Pause"));
  statusBar()->showMessage(tr("Run %1 %2 at step %3").arg(run_id).arg(status).arg(step), 10000);
  recordRefresh(clock.nsecsElapsed());
}

void MainWindow::showRun(const sessions::RunRef& run) {
  QElapsedTimer clock;
  clock.start();
  const bool same = run.database == shown_run_.database && run.id == shown_run_.id;
  shown_run_ = run;
  loadRun(/*incremental=*/same);
  recordRefresh(clock.nsecsElapsed());
}

void MainWindow::loadRun(bool incremental) {
  if (!store_ || shown_run_.id <= 0) return;
  try {
    if (!loader_ || !incremental) {
      delete loader_;
      loader_ = new RunViewLoader(store_, shown_run_, this);
      loader_->setLossPlot(loss_view_);
      loader_->setRoutingHeatmap(heatmap_view_);
      loader_->setClusterView(cluster_view_);
      loader_->load();
    } else {
      loader_->refresh();
    }
  } catch (const std::exception& error) {
    statusBar()->showMessage(QString::fromStdString(error.what()), 10000);
  }
}

QString MainWindow::compareRuns(const std::vector<sessions::RunRef>& runs) {
  const QString error = comparison_view_->setRuns(store_.get(), runs);
  if (error.isEmpty()) {
    QDockWidget* comparison = dock(QStringLiteral("comparisonDock"));
    comparison->show();
    comparison->raise();
  }
  return error;
}

QString MainWindow::viewOfFocus() const {
  if (last_active_dock_) {
    const auto found = viewNames().find(last_active_dock_->objectName());
    if (found != viewNames().end() && found->second != QLatin1String("experiment") &&
        found->second != QLatin1String("run_controls")) {
      return found->second;
    }
  }
  // Otherwise the visible plot: the comparison when it is on top, else the loss plot.
  QDockWidget* comparison = dock(QStringLiteral("comparisonDock"));
  if (comparison->isVisible() && !comparison->visibleRegion().isEmpty() &&
      comparison_view_->runCount() > 0) {
    return QStringLiteral("comparison");
  }
  return QStringLiteral("loss");
}

QString MainWindow::exportView(const QString& view, const QString& path) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (view == QLatin1String("loss")) return loss_view_->exportTo(path);
  if (view == QLatin1String("routing")) return heatmap_view_->exportTo(path);
  if (view == QLatin1String("clustering")) return cluster_view_->exportTo(path);
  if (view == QLatin1String("runs")) {
    if (suffix != QLatin1String("csv")) return tr("%1: the run list exports to .csv").arg(path);
    return exportModelCsv(runTable()->model(), path);
  }
  if (view == QLatin1String("comparison")) {
    for (const ExportTarget& target : comparison_view_->exportTargets()) {
      if (target.suffixes.contains(suffix)) return target.write(path);
    }
    return tr("%1: the current comparison tab does not export to .%2").arg(path, suffix);
  }
  return tr("Unknown view '%1'").arg(view);
}

void MainWindow::exportCurrentView() {
  const QString view = viewOfFocus();
  if (view == QLatin1String("comparison")) {
    const QList<ExportTarget> targets = comparison_view_->exportTargets();
    if (!targets.isEmpty()) exportWithDialog(this, targets.front());
    return;
  }
  ExportTarget target;
  target.label = view;
  target.suffixes =
      view == QLatin1String("runs")
          ? QStringList{QStringLiteral("csv")}
          : QStringList{QStringLiteral("png"), QStringLiteral("pdf"), QStringLiteral("csv")};
  target.write = [this, view](const QString& path) { return exportView(view, path); };
  exportWithDialog(this, target);
}

QString MainWindow::exportRunConfig(const sessions::RunRef& run, const QString& path) {
  if (!store_) return tr("No database is open.");
  try {
    const sessions::RunDetails details = store_->run_details(run);
    std::ofstream out(path.toStdString());
    if (!out) return tr("%1: cannot write the file").arg(path);
    out << nlohmann::json::parse(details.config_json).dump(2) << '\n';
    out.close();
    if (!out) return tr("%1: write failed").arg(path);
  } catch (const std::exception& error) {
    return QString::fromStdString(error.what());
  }
  return {};
}

void MainWindow::exportSelectedRunConfig() {
  std::vector<sessions::RunRef> runs = run_browser_->selectedRuns();
  if (runs.empty() && shown_run_.id > 0) runs.push_back(shown_run_);
  if (runs.empty()) {
    QMessageBox::information(this, tr("Export run config"), tr("Select a run first."));
    return;
  }
  const QString path = QFileDialog::getSaveFileName(
      this, tr("Export run config"), QStringLiteral("run-%1.json").arg(runs.front().id),
      tr("JSON (*.json)"));
  if (path.isEmpty()) return;
  const QString error = exportRunConfig(runs.front(), path);
  if (!error.isEmpty()) QMessageBox::warning(this, tr("Export run config"), error);
}

QString MainWindow::saveScreenshots(const QString& folder) {
  if (!QDir().mkpath(folder)) return tr("%1: cannot create the folder").arg(folder);
  settle(300);
  QStringList failed;
  const auto save = [&](QWidget* widget, const QString& name) {
    const QString path = QDir(folder).filePath(name + QStringLiteral(".png"));
    if (!widget->grab().save(path)) failed << path;
  };
  const bool comparing = comparison_view_->runCount() > 0;
  for (QDockWidget* dock_widget : docks_) {
    if (!dock_widget->isVisible()) continue;
    if (comparing && dock_widget == dock(QStringLiteral("comparisonDock")))
      continue;  // per tab below
    dock_widget->raise();
    settle(200);
    save(dock_widget->widget(), viewNames().at(dock_widget->objectName()));
  }
  if (comparison_view_->runCount() > 0) {
    dock(QStringLiteral("comparisonDock"))->raise();
    const QStringList tabs = {QStringLiteral("curves"), QStringLiteral("config_diff"),
                              QStringLiteral("final_metrics"), QStringLiteral("routing")};
    for (int index = 0; index < comparison_view_->tabs()->count() && index < tabs.size(); ++index) {
      comparison_view_->tabs()->setCurrentIndex(index);
      settle(250);
      save(comparison_view_, QStringLiteral("comparison_") + tabs[index]);
    }
    comparison_view_->tabs()->setCurrentIndex(0);
  }
  // The whole window last, with the run's own views on top.
  dock(QStringLiteral("lossDock"))->raise();
  dock(QStringLiteral("routingDock"))->raise();
  settle(250);
  save(this, QStringLiteral("main_window"));
  return failed.isEmpty() ? QString()
                          : tr("could not write %1").arg(failed.join(QStringLiteral(", ")));
}

}  // namespace tensorpoly::ui
