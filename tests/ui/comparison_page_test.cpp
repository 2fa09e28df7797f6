// The comparison's one rule for reading the store: a store error is a message shown
// beside the run, any other failure propagates instead of passing for missing data.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/comparison_page.h"

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>

namespace tensorpoly::ui {
namespace {

TEST(ComparisonStoreRead, AStoreErrorIsReturnedAsItsMessage) {
  const QString message =
      readFromStore([] { throw sessions::StoreError("runs.sqlite: no attached database"); });
  EXPECT_EQ(message, QStringLiteral("runs.sqlite: no attached database"));
  bool ran = false;
  EXPECT_EQ(readFromStore([&] { ran = true; }), QString());
  EXPECT_TRUE(ran);
}

TEST(ComparisonStoreRead, AnyOtherFailurePropagatesInsteadOfPassingForMissingData) {
  EXPECT_THROW(readFromStore([] { throw std::logic_error("a bug"); }), std::logic_error);
  EXPECT_THROW(readFromStore([] { throw std::invalid_argument("bad shape"); }),
               std::invalid_argument);
  EXPECT_THROW(readFromStore([] { throw std::bad_alloc(); }), std::bad_alloc);
}

TEST(ComparisonRuns, TasksAreFoundByName) {
  ComparedRun run;
  TaskInfo copy;
  copy.index = 2;
  copy.name = "copy";
  TaskInfo reverse;
  reverse.index = 0;
  reverse.name = "reverse";
  run.tasks = {copy, reverse};
  EXPECT_EQ(taskIndexOf(run, "copy"), 2);
  EXPECT_EQ(taskIndexOf(run, "reverse"), 0);
  EXPECT_EQ(taskIndexOf(run, "upper"), -1);
  EXPECT_EQ(taskIndexOf(run, ""), -1);
  EXPECT_EQ(taskNamesByIndex(run), (std::vector<std::string>{"reverse", "", "copy"}));
}

}  // namespace
}  // namespace tensorpoly::ui
