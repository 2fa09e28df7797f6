// tensorpoly-run diff: the config fields in which stored runs differ.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "app/cli_test_util.h"
#include "tensorpoly/sessions/recorder.h"

namespace {

using namespace tensorpoly;

using app::testing::quote;
using app::testing::run_cli;
using app::testing::temp_store;

// A finished run with no steps whose config is `config_json`.
int64_t record(const std::filesystem::path& path, const std::string& name,
               const std::string& config_json) {
  sessions::Recorder recorder(path.string());
  RunStarted run;
  run.name = name;
  run.method = "poly";
  run.config_json = config_json;
  run.total_steps = 0;
  recorder.on_run_started(run);
  recorder.on_run_ended({RunStatus::kFinished, 0, ""});
  return recorder.run_id();
}

TEST(DiffCli, ListsOnlyTheConfigFieldsThatDiffer) {
  const auto db = temp_store("diff");
  const int64_t a =
      record(db, "first", R"({"adapter": {"rank": 16, "method": "poly"}, "seed": 1})");
  const int64_t b = record(db, "second", R"({"adapter": {"rank": 4, "method": "poly"}, "seed": 1,
                                            "train": {"steps": 10}})");
  const std::string runs = " --run " + std::to_string(a) + " --run " + std::to_string(b);
  const auto table = run_cli("diff --db " + quote(db) + runs);
  ASSERT_EQ(table.exit_code, 0) << table.all;
  EXPECT_NE(table.out.find("2 field(s) differ"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("1 first"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("2 second"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("adapter.rank  16"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("train.steps   (absent)"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("adapter.method"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("seed"), std::string::npos) << table.out;

  const auto json = run_cli("diff --json --db " + quote(db) + runs);
  ASSERT_EQ(json.exit_code, 0) << json.all;
  const auto out = nlohmann::json::parse(json.out);
  ASSERT_EQ(out["runs"].size(), 2u);
  EXPECT_EQ(out["runs"][1]["name"], "second");
  ASSERT_EQ(out["differences"].size(), 2u);
  EXPECT_EQ(out["differences"][0]["key"], "adapter.rank");
  EXPECT_EQ(out["differences"][0]["values"], nlohmann::json::array({16, 4}));
  EXPECT_EQ(out["differences"][1]["key"], "train.steps");
  EXPECT_EQ(out["differences"][1]["values"], nlohmann::json::array({nullptr, 10}));
}

TEST(DiffCli, BadRunsAndDamagedConfigsHaveClearMessagesAndExitCodes) {
  const auto db = temp_store("diff-errors");
  const int64_t a = record(db, "only", R"({"seed": 1})");
  const std::string first = " --run " + std::to_string(a);
  auto result = run_cli("diff --db " + quote(db) + first);
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_NE(result.all.find("two or more runs"), std::string::npos) << result.all;
  result = run_cli("diff --db " + quote(db) + first + " --run x");
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_NE(result.all.find("--run expects a run id (a positive integer), got 'x'"),
            std::string::npos)
      << result.all;
  result = run_cli("diff --db " + quote(db) + first + " --run 99");
  EXPECT_EQ(result.exit_code, 5) << result.all;
  EXPECT_NE(result.all.find("no run 99"), std::string::npos) << result.all;

  const int64_t b = record(db, "damaged", R"({"seed": 2})");
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.string().c_str(), &handle), SQLITE_OK);
  const std::string sql =
      "UPDATE runs SET config_json = '{\"seed\": ' WHERE id = " + std::to_string(b);
  ASSERT_EQ(sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(handle);
  result = run_cli("diff --db " + quote(db) + first + " --run " + std::to_string(b));
  EXPECT_EQ(result.exit_code, 5) << result.all;
  EXPECT_NE(result.all.find(db.string() + ": run " + std::to_string(b) + ": config JSON: "),
            std::string::npos)
      << result.all;
}

}  // namespace
