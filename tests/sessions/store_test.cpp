// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/sessions/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

namespace tensorpoly::sessions {
namespace {

std::filesystem::path temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "tensorpoly-tests";
  std::filesystem::create_directories(dir);
  auto path = dir / (name + "-" + std::to_string(::getpid()) + ".sqlite");
  std::filesystem::remove(path);
  return path;
}

TEST(Store, CreatesSchemaAndListsNoRuns) {
  const auto path = temp_path("empty");
  auto store = Store::open(path.string());
  EXPECT_GE(store.schema_version(), 1);
  EXPECT_TRUE(store.list_runs().empty());
}

TEST(Store, RefusesAFileThatIsNotSqliteAndLeavesItAlone) {
  const auto path = temp_path("not-sqlite");
  {
    std::ofstream out(path);
    out << "this is not a database, just some text that is long enough to have a header\n";
  }
  const auto size = std::filesystem::file_size(path);
  try {
    Store::open(path.string());
    FAIL() << "opened a text file";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find(path.string()), std::string::npos) << error.what();
  }
  EXPECT_EQ(std::filesystem::file_size(path), size);
}

}  // namespace
}  // namespace tensorpoly::sessions
