// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/run_browser.h"

#include <gtest/gtest.h>

#include <QApplication>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QTableWidget>
#include <QTimer>

#include "studio_test_support.h"

namespace tensorpoly::ui {
namespace {

// Answers the next QMessageBox with `button` once it shows.
void answerNextMessageBox(QMessageBox::StandardButton button) {
  QTimer::singleShot(50, [button] {
    for (QWidget* widget : QApplication::topLevelWidgets()) {
      if (auto* box = qobject_cast<QMessageBox*>(widget); box && box->isVisible()) {
        box->button(button)->click();
        return;
      }
    }
    answerNextMessageBox(button);
  });
}

TEST(RunBrowser, FiltersRenamesAnnotatesAndDeletesWithConfirmation) {
  testing::ensureApplication();
  const QString database = testing::tempPath("browser.sqlite");
  testing::FakeRun run;
  run.steps = 10;
  run.name = "alpha";
  const int64_t alpha = testing::recordRun(database, run);
  run.name = "beta";
  run.config.adapter.method = "poly";
  const int64_t beta = testing::recordRun(database, run);

  auto store = sessions::Store::open(database.toStdString());
  RunBrowser browser;
  browser.setStore(&store);
  ASSERT_EQ(browser.table()->rowCount(), 2);

  browser.filterEdit()->setText("BET");  // case-insensitive, on the name
  ASSERT_EQ(browser.table()->rowCount(), 1);
  EXPECT_EQ(browser.table()->item(0, RunBrowser::kName)->text(), "beta");
  browser.filterEdit()->clear();
  ASSERT_EQ(browser.table()->rowCount(), 2);

  EXPECT_EQ(browser.renameRun(sessions::RunRef(alpha), "alpha (baseline)"), QString());
  EXPECT_EQ(store.run_summary(sessions::RunRef(alpha))->name, "alpha (baseline)");
  EXPECT_EQ(browser.table()->item(browser.rowOf(alpha), RunBrowser::kName)->text(),
            "alpha (baseline)");
  EXPECT_FALSE(browser.renameRun(sessions::RunRef(alpha), "  ").isEmpty());
  EXPECT_EQ(browser.setNotes(sessions::RunRef(beta), "lr too high?"), QString());
  EXPECT_EQ(store.run_summary(sessions::RunRef(beta))->notes, "lr too high?");
  browser.filterEdit()->setText("too high");
  ASSERT_EQ(browser.table()->rowCount(), 1);
  browser.filterEdit()->clear();

  // Two selected runs enable Compare, which hands them over.
  browser.selectRuns({sessions::RunRef(alpha), sessions::RunRef(beta)});
  EXPECT_TRUE(browser.compareButton()->isEnabled());
  std::vector<sessions::RunRef> compared;
  QObject::connect(&browser, &RunBrowser::compareRequested,
                   [&](const std::vector<sessions::RunRef>& runs) { compared = runs; });
  browser.compareButton()->click();
  EXPECT_EQ(compared.size(), 2u);

  // Delete asks first: Cancel keeps the run, Yes removes it.
  answerNextMessageBox(QMessageBox::Cancel);
  EXPECT_EQ(browser.deleteRuns({sessions::RunRef(beta)}), "cancelled");
  EXPECT_TRUE(store.run_summary(sessions::RunRef(beta)).has_value());
  answerNextMessageBox(QMessageBox::Yes);
  EXPECT_EQ(browser.deleteRuns({sessions::RunRef(beta)}), QString());
  EXPECT_FALSE(store.run_summary(sessions::RunRef(beta)).has_value());
  EXPECT_EQ(browser.table()->rowCount(), 1);
}

TEST(RunBrowser, ListsAttachedDatabasesReadOnly) {
  testing::ensureApplication();
  const QString local = testing::tempPath("local.sqlite");
  const QString other = testing::tempPath("other.sqlite");
  testing::FakeRun run;
  run.steps = 5;
  run.name = "here";
  testing::recordRun(local, run);
  run.name = "there";
  const int64_t there = testing::recordRun(other, run);
  auto store = sessions::Store::open(local.toStdString());
  const std::string name = store.attach(other.toStdString(), "cluster");
  RunBrowser browser;
  browser.setStore(&store);
  ASSERT_EQ(browser.table()->rowCount(), 2);
  const int row = browser.rowOf(sessions::RunRef(name, there));
  ASSERT_GE(row, 0);
  EXPECT_EQ(browser.table()->item(row, RunBrowser::kDatabase)->text(), "cluster");
  EXPECT_FALSE(browser.renameRun(sessions::RunRef(name, there), "x").isEmpty());
}

// A reload (the window does one a second during a live run) keeps the selection
// and emits nothing; choosing a run is what activates it.
TEST(RunBrowser, ReloadKeepsTheSelectionWithoutActivatingItAgain) {
  testing::ensureApplication();
  const QString database = testing::tempPath("browser-reload.sqlite");
  testing::FakeRun run;
  run.steps = 5;
  const int64_t first = testing::recordRun(database, run);
  testing::recordRun(database, run);
  auto store = sessions::Store::open(database.toStdString());
  RunBrowser browser;
  browser.setStore(&store);
  std::vector<int64_t> activated;
  QObject::connect(&browser, &RunBrowser::runActivated,
                   [&](const sessions::RunRef& ref) { activated.push_back(ref.id); });
  browser.selectRuns({sessions::RunRef(first)});
  ASSERT_EQ(activated, std::vector<int64_t>{first});
  browser.reload();
  browser.reload();
  EXPECT_EQ(activated, std::vector<int64_t>{first});
  ASSERT_EQ(browser.selectedRuns().size(), 1u);
  EXPECT_EQ(browser.selectedRuns().front().id, first);
  browser.table()->selectRow(browser.rowOf(sessions::RunRef(first)) == 0 ? 1 : 0);  // a click
  ASSERT_EQ(activated.size(), 2u);
  EXPECT_NE(activated.back(), first);
}

}  // namespace
}  // namespace tensorpoly::ui
