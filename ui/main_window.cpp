// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/main_window.h"

#include <QDir>
#include <QHeaderView>
#include <QLabel>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableWidget>

#include "tensorpoly/sessions/store.h"

namespace tensorpoly::ui {

QString defaultDatabasePath() {
  const QString folder = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
  QDir().mkpath(folder);
  return folder + QStringLiteral("/sessions.sqlite");
}

MainWindow::MainWindow(const QString& database_path, QWidget* parent)
    : QMainWindow(parent), database_path_(database_path) {
  setWindowTitle(QStringLiteral("TensorPoly Studio"));
  setObjectName(QStringLiteral("MainWindow"));
  run_table_ = new QTableWidget(this);
  run_table_->setObjectName(QStringLiteral("runTable"));
  run_table_->setColumnCount(6);
  run_table_->setHorizontalHeaderLabels(
      {tr("Id"), tr("Name"), tr("Status"), tr("Method"), tr("Last step"), tr("Created")});
  run_table_->horizontalHeader()->setStretchLastSection(true);
  run_table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  run_table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  setCentralWidget(run_table_);
  database_label_ = new QLabel(this);
  statusBar()->addPermanentWidget(database_label_);
  resize(1100, 700);
  reloadRuns();
}

void MainWindow::reloadRuns() {
  database_label_->setText(tr("Database: %1").arg(database_path_));
  try {
    const auto store = sessions::Store::open(database_path_.toStdString());
    const auto runs = store.list_runs();
    run_table_->setRowCount(static_cast<int>(runs.size()));
    for (int row = 0; row < static_cast<int>(runs.size()); ++row) {
      const auto& run = runs[static_cast<size_t>(row)];
      const QStringList cells = {QString::number(run.id),
                                 QString::fromStdString(run.name),
                                 QString::fromStdString(run.status),
                                 QString::fromStdString(run.method),
                                 QString::number(run.last_step),
                                 QString::fromStdString(run.created_at)};
      for (int column = 0; column < cells.size(); ++column) {
        run_table_->setItem(row, column, new QTableWidgetItem(cells[column]));
      }
    }
    statusBar()->showMessage(tr("%n run(s)", nullptr, static_cast<int>(runs.size())));
  } catch (const sessions::StoreError& error) {
    run_table_->setRowCount(0);
    statusBar()->showMessage(QString::fromStdString(error.what()));
  }
}

}  // namespace tensorpoly::ui
