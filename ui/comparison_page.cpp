// What the tabs of the comparison share.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/comparison_page.h"

#include <QLabel>

namespace tensorpoly::ui {

int taskIndexOf(const ComparedRun& run, const QString& name) {
  if (name.isEmpty()) return -1;
  for (const TaskInfo& task : run.tasks)
    if (QString::fromStdString(task.name) == name) return task.index;
  return -1;
}

std::vector<std::string> taskNamesByIndex(const ComparedRun& run) {
  std::vector<std::string> names;
  for (const TaskInfo& task : run.tasks) {
    if (task.index < 0) continue;
    if (static_cast<size_t>(task.index) >= names.size())
      names.resize(static_cast<size_t>(task.index) + 1);
    names[static_cast<size_t>(task.index)] = task.name;
  }
  return names;
}

QString commonStudy(const std::vector<ComparedRun>& runs) {
  if (runs.empty()) return {};
  for (const ComparedRun& run : runs) {
    if (run.study.isEmpty() || run.method.isEmpty() || run.study != runs.front().study ||
        run.ref.database != runs.front().ref.database)
      return {};
  }
  return runs.front().study;
}

QLabel* newProblemLabel(const QString& object_name) {
  auto* label = new QLabel;
  label->setObjectName(object_name);
  label->setWordWrap(true);
  label->setTextInteractionFlags(Qt::TextSelectableByMouse);
  label->setStyleSheet(QStringLiteral("color: #c0392b;"));
  label->hide();
  return label;
}

void showProblems(QLabel* label, const QStringList& problems) {
  label->setText(problems.join(QLatin1Char('\n')));
  label->setVisible(!problems.isEmpty());
}

}  // namespace tensorpoly::ui
