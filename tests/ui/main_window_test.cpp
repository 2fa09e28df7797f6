// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/main_window.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <QApplication>
#include <QTableWidget>
#include <QTest>
#include <filesystem>

#include "tensorpoly/sessions/store.h"

namespace tensorpoly::ui {
namespace {

TEST(MainWindow, ListsTheRunsOfItsDatabase) {
  static int argc = 1;
  static char name[] = "test_ui";
  static char* argv[] = {name, nullptr};
  static QApplication app(argc, argv);
  const auto path = std::filesystem::temp_directory_path() /
                    ("tensorpoly-ui-" + std::to_string(::getpid()) + ".sqlite");
  std::filesystem::remove(path);
  {
    auto store = sessions::Store::open(path.string());
    ASSERT_EQ(sqlite3_exec(store.handle(),
                           "INSERT INTO runs(name, status, method, last_step) "
                           "VALUES ('first', 'finished', 'lora', 100),"
                           "       ('second', 'interrupted', 'tensorpoly-1', 42)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
  }
  MainWindow window(QString::fromStdString(path.string()));
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  QTableWidget* table = window.runTable();
  ASSERT_EQ(table->rowCount(), 2);
  EXPECT_EQ(table->item(0, 1)->text(), QStringLiteral("second"));
  EXPECT_EQ(table->item(0, 2)->text(), QStringLiteral("interrupted"));
  EXPECT_EQ(table->item(1, 3)->text(), QStringLiteral("lora"));
}

}  // namespace
}  // namespace tensorpoly::ui
