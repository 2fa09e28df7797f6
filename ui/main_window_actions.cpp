// The main window's menu bar: File, Run, View (one toggle per panel of kDocks, and the
// layout reset) and Help, each action named so that tests and shortcuts find it.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <QAction>
#include <QCoreApplication>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>

#include "ui/engine_controller.h"
#include "ui/experiment_form.h"
#include "ui/main_window.h"
#include "ui/run_browser.h"

namespace tensorpoly::ui {

QAction* MainWindow::newAction(const QString& name, const QString& text,
                               const QKeySequence& shortcut) {
  auto* created = new QAction(text, this);
  created->setObjectName(name);
  if (!shortcut.isEmpty()) created->setShortcut(shortcut);
  return created;
}

void MainWindow::createMenus() {
  createFileMenu();
  createRunMenu();
  createViewMenu();
  createHelpMenu();
}

void MainWindow::createFileMenu() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* new_action =
      newAction(QStringLiteral("actionNew"), tr("&New experiment"), QKeySequence(tr("Ctrl+N")));
  connect(new_action, &QAction::triggered, this, &MainWindow::newExperiment);
  QAction* open_action =
      newAction(QStringLiteral("actionOpen"), tr("&Open database…"), QKeySequence(tr("Ctrl+O")));
  connect(open_action, &QAction::triggered, this, [this] {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Open database"), QFileInfo(database_path_).absolutePath(),
        tr("TensorPoly stores (*.sqlite *.db);;All files (*)"), nullptr,
        QFileDialog::DontConfirmOverwrite);
    if (path.isEmpty()) return;
    const QString error = openDatabase(path);
    if (!error.isEmpty()) QMessageBox::warning(this, tr("Open database"), error);
  });
  QAction* attach_action = newAction(QStringLiteral("actionAttach"), tr("&Attach database…"));
  connect(attach_action, &QAction::triggered, run_browser_, &RunBrowser::attachRequested);
  QAction* load_config = newAction(QStringLiteral("actionLoadConfig"), tr("&Load config…"));
  connect(load_config, &QAction::triggered, this, [this] {
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Load config"), {}, tr("JSON (*.json)"));
    if (path.isEmpty()) return;
    const QString error = form_->loadFile(path);
    if (!error.isEmpty()) QMessageBox::warning(this, tr("Load config"), error);
  });
  QAction* save_config = newAction(QStringLiteral("actionSaveConfig"), tr("&Save config as…"),
                                   QKeySequence(tr("Ctrl+S")));
  connect(save_config, &QAction::triggered, this, [this] {
    QString path = QFileDialog::getSaveFileName(this, tr("Save config"), {}, tr("JSON (*.json)"));
    if (path.isEmpty()) return;
    if (!path.endsWith(QStringLiteral(".json"))) path += QStringLiteral(".json");
    const QString error = form_->saveFile(path);
    if (!error.isEmpty()) QMessageBox::warning(this, tr("Save config"), error);
  });
  QAction* export_action =
      newAction(QStringLiteral("actionExport"), tr("&Export…"), QKeySequence(tr("Ctrl+E")));
  connect(export_action, &QAction::triggered, this, &MainWindow::exportCurrentView);
  QAction* export_config =
      newAction(QStringLiteral("actionExportRunConfig"), tr("Export run &config…"));
  connect(export_config, &QAction::triggered, this, &MainWindow::exportSelectedRunConfig);
  QAction* quit_action =
      newAction(QStringLiteral("actionQuit"), tr("&Quit"), QKeySequence(tr("Ctrl+Q")));
  connect(quit_action, &QAction::triggered, this, &QMainWindow::close);
  file->addActions({new_action, open_action, attach_action});
  file->addSeparator();
  file->addActions({load_config, save_config});
  file->addSeparator();
  file->addActions({export_action, export_config});
  file->addSeparator();
  file->addAction(quit_action);
}

void MainWindow::createRunMenu() {
  QMenu* run = menuBar()->addMenu(tr("&Run"));
  QAction* run_action =
      newAction(QStringLiteral("actionRun"), tr("&Run"), QKeySequence(tr("Ctrl+R")));
  connect(run_action, &QAction::triggered, this, [this] {
    const QString error = startRun();
    if (!error.isEmpty()) statusBar()->showMessage(error, 10000);
  });
  QAction* pause_action =
      newAction(QStringLiteral("actionPause"), tr("&Pause"), QKeySequence(tr("Ctrl+P")));
  connect(pause_action, &QAction::triggered, this, [this] {
    if (engine_->isPaused()) {
      engine_->resume();
    } else {
      engine_->pause();
    }
  });
  QAction* stop_action =
      newAction(QStringLiteral("actionStop"), tr("&Stop"), QKeySequence(tr("Ctrl+.")));
  connect(stop_action, &QAction::triggered, engine_, &EngineController::stop);
  QAction* compare_action =
      newAction(QStringLiteral("actionCompare"), tr("&Compare selected runs"));
  connect(compare_action, &QAction::triggered, this, [this] {
    const QString error = compareRuns(run_browser_->selectedRuns());
    if (!error.isEmpty()) statusBar()->showMessage(error, 10000);
  });
  run->addActions({run_action, pause_action, stop_action});
  run->addSeparator();
  run->addAction(compare_action);
}

void MainWindow::createViewMenu() {
  QMenu* view = menuBar()->addMenu(tr("&View"));
  for (const DockSpec& spec : kDocks) {
    QAction* toggle = dock(spec.dock)->toggleViewAction();
    toggle->setObjectName(QStringLiteral("toggle_") + QLatin1String(spec.object_name));
    view->addAction(toggle);
  }
  view->addSeparator();
  QAction* reset_layout = newAction(QStringLiteral("actionResetLayout"), tr("Reset &layout"));
  connect(reset_layout, &QAction::triggered, this, [this] { restoreState(default_state_); });
  view->addAction(reset_layout);
}

void MainWindow::createHelpMenu() {
  QMenu* help = menuBar()->addMenu(tr("&Help"));
  QAction* about = newAction(QStringLiteral("actionAbout"), tr("&About TensorPoly Studio"));
  connect(about, &QAction::triggered, this, [this] {
    QMessageBox::about(
        this, tr("About TensorPoly Studio"),
        tr("<b>TensorPoly Studio</b> %1<br>Modular multi-task learning with tensor-product "
           "adapters (Su et al., TMLR 2024).<br>GPL-3.0-or-later.")
            .arg(QCoreApplication::applicationVersion()));
  });
  help->addAction(about);
}

}  // namespace tensorpoly::ui
