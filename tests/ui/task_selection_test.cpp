// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/task_selection.h"

#include <gtest/gtest.h>

#include <QSignalSpy>

namespace tensorpoly::ui {
namespace {

TEST(TaskSelection, KnowsTaskNamesAndKeepsItsStateForTheSameTasks) {
  TaskSelection selection;
  selection.setTaskCount(3);  // a view that only knows the count came first
  selection.setHighlightedTask(1);
  selection.setTaskVisible(2, false);
  EXPECT_EQ(selection.taskName(1), QString());
  EXPECT_EQ(selection.indexOfTask(QStringLiteral("b")), -1);

  // Names for the known count are adopted without a reset.
  selection.setTasks({{"a", {}}, {"b", {}}, {"c", {}}});
  EXPECT_EQ(selection.highlightedTask(), 1);
  EXPECT_FALSE(selection.isVisible(2));
  EXPECT_EQ(selection.taskName(1), QStringLiteral("b"));
  EXPECT_EQ(selection.indexOfTask(QStringLiteral("c")), 2);
  EXPECT_EQ(selection.indexOfTask(QString()), -1);
  // The same tasks again (another view of the run): still no reset.
  selection.setTasks({{"a", {}}, {"b", {}}, {"c", {}}});
  EXPECT_EQ(selection.highlightedTask(), 1);
  // A count-only caller with the same count keeps the names.
  selection.setTaskCount(3);
  EXPECT_EQ(selection.taskName(0), QStringLiteral("a"));
}

TEST(TaskSelection, OtherTasksWithTheSameCountReset) {
  TaskSelection selection;
  selection.setTasks({{"a", {}}, {"b", {}}});
  selection.setHighlightedTask(0);
  selection.setTaskVisible(1, false);
  QSignalSpy highlight(&selection, &TaskSelection::highlightedTaskChanged);
  selection.setTasks({{"x", {}}, {"y", {}}});  // another run
  EXPECT_EQ(selection.highlightedTask(), -1);
  EXPECT_TRUE(selection.isVisible(1));
  EXPECT_EQ(highlight.count(), 1);
  EXPECT_EQ(selection.indexOfTask(QStringLiteral("a")), -1);
  EXPECT_EQ(selection.indexOfTask(QStringLiteral("y")), 1);
  // A different count clears the names it can no longer vouch for.
  selection.setTaskCount(4);
  EXPECT_EQ(selection.taskName(0), QString());
}

}  // namespace
}  // namespace tensorpoly::ui
