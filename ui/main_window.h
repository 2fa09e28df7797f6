// The studio's main window: dockable, closable panels (experiment form, run
// controls, loss plot, routing heatmap, clustering, run browser, comparison)
// that the View menu reopens; layout, last config and last database remembered
// with QSettings; the standard menus and shortcuts; a status bar with the device
// and the database. Shows one run at a time — a live one or a stored one,
// through the same store queries (the store is the single source of data).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QElapsedTimer>
#include <QKeySequence>
#include <QMainWindow>
#include <QPointer>
#include <QString>
#include <memory>

#include "tensorpoly/sessions/store.h"
#include "ui/main_window_docks.h"

class QAction;
class QDockWidget;
class QLabel;
class QTableWidget;

namespace tensorpoly::ui {

class ClusterView;
class ComparisonView;
class EngineController;
class ExperimentForm;
class LossPlotView;
class RoutingHeatmapView;
class RunBrowser;
class RunControls;
class RunViewLoader;
class TaskSelection;

struct MainWindowOptions {
  QString database_path;      // the store to open
  QString config_path;        // a config JSON for the form; empty: last config or default preset
  bool use_settings = false;  // restore/save layout, last config and database (QSettings)
};

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(const QString& database_path, QWidget* parent = nullptr);
  explicit MainWindow(const MainWindowOptions& options, QWidget* parent = nullptr);
  ~MainWindow() override;

  QString databasePath() const { return database_path_; }
  // Re-reads the run list from the store.
  void reloadRuns();
  QTableWidget* runTable() const;

  // Opens (creating if needed) another store; "" or the error.
  QString openDatabase(const QString& path);
  QString attachDatabase(const QString& path);
  sessions::Store* store() const { return store_.get(); }

  // Shows a stored (or live) run in the loss plot, heatmap and clustering.
  void showRun(const sessions::RunRef& run);
  int64_t shownRunId() const { return shown_run_.id; }
  QString compareRuns(const std::vector<sessions::RunRef>& runs);

  // Starts the form's experiment on the engine thread; "" or why not.
  QString startRun();
  // File ▸ Export… for a given view ("loss", "routing", "clustering", "runs",
  // "comparison") to `path` (.png/.pdf for plots, .csv for tables); "" or the error.
  QString exportView(const QString& view, const QString& path);
  // The config of a stored run as JSON; "" or the error.
  QString exportRunConfig(const sessions::RunRef& run, const QString& path);
  // Grabs every panel (and the whole window) to PNG files in `folder`; "" or the error.
  QString saveScreenshots(const QString& folder);

  ExperimentForm* experimentForm() const { return form_; }
  RunControls* runControls() const { return run_controls_; }
  EngineController* engine() const { return engine_; }
  LossPlotView* lossPlot() const { return loss_view_; }
  RoutingHeatmapView* routingHeatmap() const { return heatmap_view_; }
  ClusterView* clusterView() const { return cluster_view_; }
  RunBrowser* runBrowser() const { return run_browser_; }
  ComparisonView* comparisonView() const { return comparison_view_; }
  // By object name (kDocks in main_window_docks.h): experimentDock, runControlsDock,
  // lossDock, comparisonDock, routingDock, clusterDock, runsDock.
  QDockWidget* dock(const QString& name) const;
  QList<QDockWidget*> docks() const { return docks_; }
  QAction* action(const QString& name) const;

  // GUI-thread time of the window's refreshes from the store (each live-run
  // notification, the end of a run, each run shown): the responsiveness budget is
  // spent here, so tests and benchmarks read it.
  struct RefreshStats {
    int count = 0;
    double max_ms = 0.0;
    double total_ms = 0.0;
  };
  RefreshStats refreshStats() const { return refresh_stats_; }
  void resetRefreshStats() { refresh_stats_ = {}; }

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void init(const MainWindowOptions& options);
  // One dock per row of kDocks (main_window_docks.h), in its order.
  void createPanels();
  QWidget* panelWidget(Dock which) const;
  QDockWidget* dock(Dock which) const;
  void createStatusBar();
  void connectPanels();
  void defaultLayout();
  // main_window_actions.cpp: the menu bar and its named actions.
  QAction* newAction(const QString& name, const QString& text, const QKeySequence& shortcut = {});
  void createMenus();
  void createFileMenu();
  void createRunMenu();
  void createViewMenu();
  void createHelpMenu();
  void restoreSettings(const MainWindowOptions& options);
  void saveSettings();
  void updateStatus();
  void newExperiment();
  // main_window_export.cpp: File ▸ Export… and the screenshots.
  void exportCurrentView();
  void exportSelectedRunConfig();
  // The exportable panel File ▸ Export… writes: the last one with focus, else the
  // comparison when it is on top, else the loss plot.
  Dock viewOfFocus() const;
  void onRunAdvanced(qint64 run_id, qint64 last_step);
  void onRunStarted(qint64 run_id, qint64 total_steps, const QString& device);
  void onRunEnded(qint64 run_id, const QString& status, qint64 step, const QString& message);
  // Fills the views through RunViewLoader: the whole run, or only what is new.
  void loadRun(bool incremental);
  void updateRunnable();
  void recordRefresh(qint64 nanoseconds);

  QString database_path_;
  std::shared_ptr<sessions::Store> store_;
  RunViewLoader* loader_ = nullptr;  // fills the views from the store for shown_run_
  bool use_settings_ = false;
  QByteArray default_state_;

  EngineController* engine_ = nullptr;
  ExperimentForm* form_ = nullptr;
  RunControls* run_controls_ = nullptr;
  TaskSelection* selection_ = nullptr;
  LossPlotView* loss_view_ = nullptr;
  RoutingHeatmapView* heatmap_view_ = nullptr;
  ClusterView* cluster_view_ = nullptr;
  RunBrowser* run_browser_ = nullptr;
  ComparisonView* comparison_view_ = nullptr;
  QList<QDockWidget*> docks_;
  QPointer<QDockWidget> last_active_dock_;
  QLabel* device_label_ = nullptr;
  QLabel* database_label_ = nullptr;
  QString device_text_;

  // The run the views show, and how far they have read it (live deltas).
  sessions::RunRef shown_run_{0};
  bool form_valid_ = false;
  QString form_problem_;
  // When the run list was last re-read during a live run (its "last step" column).
  QElapsedTimer since_runs_reload_;
  RefreshStats refresh_stats_;
};

// The default store: <AppDataLocation>/sessions.sqlite.
QString defaultDatabasePath();

}  // namespace tensorpoly::ui
