// The studio's main window.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QMainWindow>
#include <QString>

class QTableWidget;
class QLabel;

namespace tensorpoly::ui {

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(const QString& database_path, QWidget* parent = nullptr);

  QString databasePath() const { return database_path_; }
  // Re-reads the run list from the store.
  void reloadRuns();
  QTableWidget* runTable() const { return run_table_; }

 private:
  QString database_path_;
  QTableWidget* run_table_ = nullptr;
  QLabel* database_label_ = nullptr;
};

// The default store: <AppDataLocation>/sessions.sqlite.
QString defaultDatabasePath();

}  // namespace tensorpoly::ui
