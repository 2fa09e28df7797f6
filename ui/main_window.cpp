// The main window: its panels and their layout, settings, the status bar, and the
// life of a run (start, live refreshes, end) and of the open database. Menus are in
// main_window_actions.cpp, export and screenshots in main_window_export.cpp.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QLabel>
#include <QMessageBox>
#include <QScreen>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableWidget>
#include <algorithm>

#include "tensorpoly/runtime.h"
#include "ui/cluster_view.h"
#include "ui/comparison_view.h"
#include "ui/engine_controller.h"
#include "ui/experiment_form.h"
#include "ui/loss_plot_view.h"
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

  createPanels();
  defaultLayout();
  default_state_ = saveState();
  createMenus();
  createStatusBar();
  connectPanels();

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

void MainWindow::createPanels() {
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
  for (const DockSpec& spec : kDocks) {
    auto* dock_widget = new QDockWidget(tr(spec.title), this);
    dock_widget->setObjectName(QLatin1String(spec.object_name));
    dock_widget->setWidget(panelWidget(spec.dock));
    dock_widget->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable |
                             QDockWidget::DockWidgetFloatable);
    addDockWidget(spec.area, dock_widget);
    docks_ << dock_widget;
  }
}

QWidget* MainWindow::panelWidget(Dock which) const {
  switch (which) {
    case Dock::kExperiment:
      return form_;
    case Dock::kRunControls:
      return run_controls_;
    case Dock::kLoss:
      return loss_view_;
    case Dock::kComparison:
      return comparison_view_;
    case Dock::kRouting:
      return heatmap_view_;
    case Dock::kCluster:
      return cluster_view_;
    case Dock::kRuns:
      return run_browser_;
  }
  return nullptr;
}

void MainWindow::createStatusBar() {
  device_label_ = new QLabel(this);
  device_label_->setObjectName(QStringLiteral("deviceLabel"));
  database_label_ = new QLabel(this);
  database_label_->setObjectName(QStringLiteral("databaseLabel"));
  statusBar()->addPermanentWidget(device_label_);
  statusBar()->addPermanentWidget(database_label_);
  const RuntimeInfo runtime = runtime_info();
  device_text_ = runtime.cuda_available ? tr("cuda (%n GPU(s))", nullptr, runtime.cuda_device_count)
                                        : QStringLiteral("cpu");
}

void MainWindow::connectPanels() {
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
}

void MainWindow::defaultLayout() {
  for (QDockWidget* dock_widget : docks_) {
    dock_widget->setFloating(false);
    dock_widget->show();
  }
  QDockWidget* experiment = dock(Dock::kExperiment);
  QDockWidget* controls = dock(Dock::kRunControls);
  QDockWidget* loss = dock(Dock::kLoss);
  QDockWidget* routing = dock(Dock::kRouting);
  QDockWidget* runs = dock(Dock::kRuns);
  addDockWidget(Qt::LeftDockWidgetArea, experiment);
  splitDockWidget(experiment, controls, Qt::Vertical);
  addDockWidget(Qt::RightDockWidgetArea, loss);
  splitDockWidget(loss, routing, Qt::Horizontal);
  tabifyDockWidget(loss, dock(Dock::kComparison));
  tabifyDockWidget(routing, dock(Dock::kCluster));
  addDockWidget(Qt::BottomDockWidgetArea, runs);
  loss->raise();
  routing->raise();
  resizeDocks({experiment, loss, routing}, {430, 500, 500}, Qt::Horizontal);
  resizeDocks({experiment, controls}, {600, 160}, Qt::Vertical);
  resizeDocks({loss, runs}, {600, 220}, Qt::Vertical);
}

QDockWidget* MainWindow::dock(const QString& name) const {
  for (QDockWidget* dock_widget : docks_) {
    if (dock_widget->objectName() == name) return dock_widget;
  }
  return nullptr;
}

QDockWidget* MainWindow::dock(Dock which) const {
  return docks_.value(static_cast<qsizetype>(which), nullptr);
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
    QDockWidget* comparison = dock(Dock::kComparison);
    comparison->show();
    comparison->raise();
  }
  return error;
}

}  // namespace tensorpoly::ui
