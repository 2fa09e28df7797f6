// What the tabs of the comparison share: the compared runs (ComparedRun), the
// interface each tab implements (ComparisonPage), and the one rule for reading the
// store while comparing (readFromStore): a store error is shown beside the run it
// concerns, anything else is a failure and propagates.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <QWidget>
#include <utility>
#include <vector>

#include "tensorpoly/config_diff.h"
#include "tensorpoly/events.h"
#include "tensorpoly/sessions/store.h"
#include "ui/plot_export.h"

class QLabel;

namespace tensorpoly::ui {

// One run of a comparison, as read once when the comparison opens.
struct ComparedRun {
  sessions::RunRef ref{0};
  QString label;                // "12 name", or "db1:12 name" for an attached store
  std::vector<TaskInfo> tasks;  // by index
  FlatConfig config;            // its config, flattened to dotted keys
  QString study;                // the study it belongs to; empty when none
  QString method;               // its method in the study (a preset name); empty when none
};

// The study every run of `runs` belongs to (all in one database, each with its method);
// empty otherwise.
QString commonStudy(const std::vector<ComparedRun>& runs);

// The index of the task called `name` in `run`; -1 when it has none (or name is "").
int taskIndexOf(const ComparedRun& run, const QString& name);
// The run's task names by task index ("" where an index has no name).
std::vector<std::string> taskNamesByIndex(const ComparedRun& run);

// Runs `read()`. A sessions::StoreError (the run's rows cannot be read: a damaged row,
// a database no longer attached) is caught and its message returned, so the page shows
// that run without this data and says why. Every other exception is a bug or an
// exhausted machine, not missing data, and propagates. Returns "" when `read` succeeds.
template <typename Read>
QString readFromStore(Read&& read) {
  try {
    std::forward<Read>(read)();
  } catch (const sessions::StoreError& error) {
    return QString::fromStdString(error.what());
  }
  return {};
}

// A label that lists what could not be read, one "run: message" line each; hidden
// while there is nothing to say.
QLabel* newProblemLabel(const QString& object_name);
void showProblems(QLabel* label, const QStringList& problems);

// One tab of the comparison (Hotspot's ResultsPage hosts a page per tab the same way).
class ComparisonPage : public QWidget {
  Q_OBJECT

 public:
  using QWidget::QWidget;

  // Shows `runs` (two or more), reading what else it needs from `store`, which must
  // outlive the page or be replaced by clear().
  virtual void setRuns(sessions::Store* store, const std::vector<ComparedRun>& runs) = 0;
  virtual void clear() = 0;
  // What File ▸ Export… writes while this tab is shown.
  virtual QList<ExportTarget> exportTargets() const = 0;
};

}  // namespace tensorpoly::ui
