// The task the user is looking at, shared by every view of a run: clicking a
// task in the loss plot, a heatmap row or a cluster highlights it everywhere,
// and hiding a task in one legend hides it in every view that draws tasks.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector>
#include <vector>

#include "tensorpoly/events.h"

namespace tensorpoly::ui {

// What every view needs to know about a task: its name and, when known, its family, its
// skills (ground-truth primitives) and its split.
struct TaskLabel {
  QString name;
  QString family;                           // empty when unknown
  QString split = QStringLiteral("train");  // "train" or "heldout"
  QStringList skills = {};                  // empty when unknown
};
using TaskLabels = std::vector<TaskLabel>;

TaskLabels taskLabels(const std::vector<TaskInfo>& tasks);
// The inverse, for the engine's analysis (index = position in `tasks`).
std::vector<TaskInfo> taskInfos(const TaskLabels& tasks);
// True when at least one task has a family.
bool hasFamilies(const TaskLabels& tasks);

class TaskSelection : public QObject {
  Q_OBJECT

 public:
  explicit TaskSelection(QObject* parent = nullptr);

  // Resets to `n_tasks` visible tasks and no highlight; no-op when the count is unchanged, so
  // several views fed the same run can each call it.
  void setTaskCount(int n_tasks);
  int taskCount() const { return visible_.size(); }
  // Sets the count and the tasks' names, so that views of other runs (the comparison)
  // can map a highlight by name. Resets like setTaskCount when the count changes or
  // when different names were known (another run); adopting names for the known
  // count keeps the state.
  void setTasks(const TaskLabels& tasks);
  // "" when the names are not known.
  QString taskName(int task) const;
  // The first task called `name`; -1 when there is none (or the names are unknown).
  int indexOfTask(const QString& name) const;

  // -1 when no task is highlighted.
  int highlightedTask() const { return highlighted_; }
  bool isVisible(int task) const;
  const QVector<bool>& visibility() const { return visible_; }

 public Q_SLOTS:
  // Highlighting the highlighted task again clears the highlight (a toggle).
  void toggleHighlight(int task);
  void setHighlightedTask(int task);
  void setTaskVisible(int task, bool visible);
  void setAllVisible(bool visible);

 Q_SIGNALS:
  void highlightedTaskChanged(int task);
  void visibilityChanged();
  void taskCountChanged(int n_tasks);

 private:
  int highlighted_ = -1;
  QVector<bool> visible_;
  QStringList names_;  // empty, or one per task
};

}  // namespace tensorpoly::ui
