// Run browser: every run of the open store and of the stores attached to it,
// with a filter (name, method, status, notes, study), rename, notes, delete (asked
// for confirmation) and "compare" for two or more selected runs. Runs of a study
// (tensorpoly-run study) are listed together, and "Compare study" compares all of them.
// Reads and edits through a sessions::Store owned by the window (GUI thread).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>
#include <vector>

#include "tensorpoly/sessions/store.h"

class QLineEdit;
class QPushButton;
class QTableWidget;
class QLabel;

namespace tensorpoly::ui {

class RunBrowser : public QWidget {
  Q_OBJECT

 public:
  enum Column {
    kId,
    kName,
    kStatus,
    kMethod,
    kStudy,
    kLastStep,
    kCreated,
    kDatabase,
    kNotes,
    kColumnCount
  };

  explicit RunBrowser(QWidget* parent = nullptr);

  // The store to list (not owned); nullptr shows nothing.
  void setStore(sessions::Store* store);
  // Re-reads the list, keeping the selection; emits nothing.
  void reload();

  QTableWidget* table() const { return table_; }
  QLineEdit* filterEdit() const { return filter_edit_; }
  QPushButton* compareButton() const { return compare_button_; }
  QPushButton* compareStudyButton() const { return compare_study_button_; }
  // Selects every listed run of the study of the (first) selected run and asks to
  // compare them; false when that run belongs to no study.
  bool compareStudy();
  std::vector<sessions::RunRef> selectedRuns() const;
  void selectRuns(const std::vector<sessions::RunRef>& runs);
  // The run of a table row.
  sessions::RunRef runAt(int row) const;
  int rowOf(const sessions::RunRef& run) const;

  // Edits of runs of the main database; each returns "" or the reason it failed.
  QString renameRun(const sessions::RunRef& run, const QString& name);
  QString setNotes(const sessions::RunRef& run, const QString& notes);
  // With ask = true, a QMessageBox asks first; returns "cancelled" when declined.
  QString deleteRuns(const std::vector<sessions::RunRef>& runs, bool ask = true);

 Q_SIGNALS:
  // The current run changed (click, keyboard); the window shows it.
  void runActivated(const tensorpoly::sessions::RunRef& run);
  void compareRequested(const std::vector<tensorpoly::sessions::RunRef>& runs);
  void attachRequested();
  // Runs were renamed, annotated or deleted.
  void runsEdited();

 private:
  void onSelectionChanged();
  void askRename();
  void askNotes();
  void showError(const QString& error);

  sessions::Store* store_ = nullptr;
  QLineEdit* filter_edit_ = nullptr;
  QTableWidget* table_ = nullptr;
  QPushButton* rename_button_ = nullptr;
  QPushButton* notes_button_ = nullptr;
  QPushButton* delete_button_ = nullptr;
  QPushButton* compare_button_ = nullptr;
  QPushButton* compare_study_button_ = nullptr;
  QPushButton* attach_button_ = nullptr;
  QLabel* count_label_ = nullptr;
  bool reloading_ = false;
};

}  // namespace tensorpoly::ui
