// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/task_selection.h"

#include <algorithm>

namespace tensorpoly::ui {

TaskLabels taskLabels(const std::vector<TaskInfo>& tasks) {
  TaskLabels labels;
  labels.reserve(tasks.size());
  for (const TaskInfo& task : tasks) {
    QStringList skills;
    for (const std::string& skill : task.skills) skills << QString::fromStdString(skill);
    labels.push_back({QString::fromStdString(task.name), QString::fromStdString(task.family),
                      QString::fromStdString(task.split), skills});
  }
  return labels;
}

std::vector<TaskInfo> taskInfos(const TaskLabels& tasks) {
  std::vector<TaskInfo> infos;
  infos.reserve(tasks.size());
  for (const TaskLabel& task : tasks) {
    TaskInfo info;
    info.index = static_cast<int>(infos.size());
    info.name = task.name.toStdString();
    info.family = task.family.toStdString();
    info.split = task.split.toStdString();
    for (const QString& skill : task.skills) info.skills.push_back(skill.toStdString());
    infos.push_back(std::move(info));
  }
  return infos;
}

bool hasFamilies(const TaskLabels& tasks) {
  return std::any_of(tasks.begin(), tasks.end(),
                     [](const TaskLabel& task) { return !task.family.isEmpty(); });
}

TaskSelection::TaskSelection(QObject* parent) : QObject(parent) {}

void TaskSelection::setTaskCount(int n_tasks) {
  if (std::max(0, n_tasks) == visible_.size()) return;
  names_.clear();
  visible_ = QVector<bool>(std::max(0, n_tasks), true);
  highlighted_ = -1;
  Q_EMIT taskCountChanged(visible_.size());
  Q_EMIT visibilityChanged();
  Q_EMIT highlightedTaskChanged(-1);
}

void TaskSelection::setTasks(const TaskLabels& tasks) {
  QStringList names;
  names.reserve(static_cast<int>(tasks.size()));
  for (const TaskLabel& task : tasks) names << task.name;
  if (names.size() == visible_.size() && (names_.isEmpty() || names_ == names)) {
    names_ = names;  // the same tasks: keep what is highlighted and hidden
    return;
  }
  names_ = names;
  visible_ = QVector<bool>(names.size(), true);
  highlighted_ = -1;
  Q_EMIT taskCountChanged(visible_.size());
  Q_EMIT visibilityChanged();
  Q_EMIT highlightedTaskChanged(-1);
}

QString TaskSelection::taskName(int task) const {
  return task >= 0 && task < names_.size() ? names_[task] : QString();
}

int TaskSelection::indexOfTask(const QString& name) const {
  return name.isEmpty() ? -1 : static_cast<int>(names_.indexOf(name));
}

bool TaskSelection::isVisible(int task) const {
  // Tasks the selection does not know yet (a view fed before the count was set) are shown.
  return task < 0 || task >= visible_.size() || visible_[task];
}

void TaskSelection::toggleHighlight(int task) {
  setHighlightedTask(task == highlighted_ ? -1 : task);
}

void TaskSelection::setHighlightedTask(int task) {
  if (task < -1 || task >= visible_.size()) task = -1;
  if (task == highlighted_) return;
  highlighted_ = task;
  Q_EMIT highlightedTaskChanged(task);
}

void TaskSelection::setTaskVisible(int task, bool visible) {
  if (task < 0 || task >= visible_.size() || visible_[task] == visible) return;
  visible_[task] = visible;
  Q_EMIT visibilityChanged();
}

void TaskSelection::setAllVisible(bool visible) {
  bool changed = false;
  for (bool& v : visible_) {
    changed |= v != visible;
    v = visible;
  }
  if (changed) Q_EMIT visibilityChanged();
}

}  // namespace tensorpoly::ui
