// tensorpoly-run against a hostile user and a bad day: a dropped ssh session, a store
// another program holds locked, refused imports that must leave the target as it was,
// contradictory options, and text that is not UTF-8. Each exits with the code --help
// states.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "app/cli_test_util.h"
#include "tensorpoly/sessions/recorder.h"
#include "tensorpoly/sessions/store.h"
#include "test_paths.h"

namespace {

using namespace std::chrono_literals;
using tensorpoly::app::testing::CliResult;
using tensorpoly::app::testing::quote;
using tensorpoly::app::testing::run_cli;
using tensorpoly::app::testing::run_command;
using tensorpoly::app::testing::temp_store;

std::string scratch(const std::string& name) {
  return std::string(TENSORPOLY_BINARY_DIR) + "/test-tmp/hostile-cli-" + name + "-" +
         std::to_string(::getpid());
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Runs `sql` on a connection of the test's own; returns the first column of the first
// row as text ("" when none).
std::string query(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  std::string value;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0)) {
    value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

// Holds the store's write lock from another connection from when it returns, for `hold`
// or, when `hold` is zero, until it is destroyed.
class ExclusiveLock {
 public:
  ExclusiveLock(const std::filesystem::path& path, std::chrono::milliseconds hold) {
    thread_ = std::thread([this, path, hold] {
      sqlite3* db = nullptr;
      sqlite3_open(path.c_str(), &db);
      sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr);
      held_ = true;
      const auto until = std::chrono::steady_clock::now() + hold;
      while (!release_ && (hold.count() == 0 || std::chrono::steady_clock::now() < until)) {
        std::this_thread::sleep_for(10ms);
      }
      sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
      sqlite3_close(db);
    });
    while (!held_) std::this_thread::sleep_for(1ms);
  }
  ~ExclusiveLock() {
    release_ = true;
    thread_.join();
  }
  ExclusiveLock(const ExclusiveLock&) = delete;
  ExclusiveLock& operator=(const ExclusiveLock&) = delete;

 private:
  std::atomic<bool> held_{false};
  std::atomic<bool> release_{false};
  std::thread thread_;
};

std::filesystem::path empty_store(const std::string& name) {
  const auto path = temp_store(name);
  tensorpoly::sessions::Store::open(path.string());
  return path;
}

TEST(HostileCli, SighupStopsTheRunWithACheckpointLikeSigterm) {
  // SIGHUP once the run is training, after its first evaluation (on a busy machine that
  // may take many seconds), or when the program has already ended.
  const std::string log = scratch("hup.log");
  const CliResult result =
      run_command("'" + std::string(TENSORPOLY_RUN_EXE) +
                  "' train --preset tiny --no-db train.steps=1000000 train.eval_every=0 "
                  "train.checkpoint_dir=" +
                  scratch("hup") + " >'" + log + "' 2>&1 & pid=$!; until grep -q '^eval ' '" + log +
                  "' || ! kill -0 $pid 2>/dev/null; do sleep 0.2; done; kill -HUP $pid; wait $pid; "
                  "status=$?; cat '" +
                  log + "'; exit $status");
  EXPECT_EQ(result.exit_code, 4) << result.all;
  EXPECT_TRUE(contains(result.all, "run stopped at step")) << result.all;
  EXPECT_TRUE(contains(result.all, "checkpoint at step")) << result.all;
}

TEST(HostileCli, AStoreLockedLongerThanTheBusyTimeoutLosesNothing) {
  const auto db = empty_store("locked-7s");
  CliResult result;
  {
    const ExclusiveLock lock(db, 7000ms);  // past one try's 5 s busy timeout
    result = run_cli("train --preset tiny --db " + quote(db) +
                     " train.checkpoint_dir=" + scratch("locked-7s"));
  }
  EXPECT_EQ(result.exit_code, 0) << result.all;
  EXPECT_EQ(query(db, "SELECT status FROM runs"), "finished");
  EXPECT_EQ(query(db, "SELECT max(step) FROM metrics"), "6");
}

TEST(HostileCli, AStoreLockedPastTheWaitExitsFiveNamingTheLock) {
  const auto db = empty_store("locked-long");
  CliResult result;
  {
    const ExclusiveLock lock(db, 0ms);  // for as long as the run lasts
    result = run_cli("train --preset tiny --store-wait 1 --db " + quote(db) +
                     " train.checkpoint_dir=" + scratch("locked-long"));
  }
  EXPECT_EQ(result.exit_code, 5) << result.all;
  EXPECT_TRUE(contains(result.err, "locked")) << result.all;
  EXPECT_NE(query(db, "SELECT status FROM runs"), "running");
}

TEST(HostileCli, ARefusedImportLeavesTheTargetAsItWas) {
  const auto target = empty_store("import-target");
  ASSERT_EQ(query(target, "PRAGMA journal_mode=DELETE"), "delete");
  const auto empty = temp_store("empty-source");
  { std::ofstream(empty.string()) << ""; }
  const CliResult result = run_cli("import " + quote(empty) + " --db " + quote(target));
  EXPECT_EQ(result.exit_code, 5) << result.all;
  EXPECT_TRUE(contains(result.err, empty.string())) << result.all;
  EXPECT_EQ(query(target, "PRAGMA journal_mode"), "delete");  // not switched to WAL
}

TEST(HostileCli, ImportingTheSameFileTwiceAddsItsRunsOnce) {
  const auto source = temp_store("twice-source");
  {
    tensorpoly::sessions::Recorder recorder(source.string());
    tensorpoly::RunStarted run;
    run.name = "once";
    recorder.on_run_started(run);
    recorder.on_run_ended({tensorpoly::RunStatus::kFinished, 0, ""});
  }
  const auto target = temp_store("twice-target");
  ASSERT_EQ(run_cli("import " + quote(source) + " --db " + quote(target)).exit_code, 0);
  const CliResult again = run_cli("import " + quote(source) + " --db " + quote(target));
  EXPECT_EQ(again.exit_code, 0) << again.all;
  EXPECT_TRUE(contains(again.out, "imported 0 run(s)")) << again.out;
  EXPECT_TRUE(contains(again.out, "already there")) << again.out;
  EXPECT_EQ(query(target, "SELECT count(*) FROM runs"), "1");
}

TEST(HostileCli, ContradictoryOrUnboundedOptionsExitTwoNamingThem) {
  const std::string db = temp_store("contradictions").string();
  CliResult result = run_cli("train --preset tiny --no-db --db '" + db + "'");
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_TRUE(contains(result.err, "--no-db")) << result.all;
  result = run_cli("train --preset tiny --no-db --threads 2 threads=3");
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_TRUE(contains(result.err, "threads=3")) << result.all;
  result = run_cli("train --preset tiny --no-db threads=10000");
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_TRUE(contains(result.err, "threads")) << result.all;
  result = run_cli("train --preset tiny --no-db --threads 10000");
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_FALSE(std::filesystem::exists(db));
}

TEST(HostileCli, BadResumeCheckpointsAndDataExitTwoAndStoreNoRun) {
  const auto db = empty_store("bad-inputs");
  const std::string directory = scratch("a-directory");
  std::filesystem::create_directories(directory);
  CliResult result =
      run_cli("train --preset tiny --db " + quote(db) + " train.resume_from=" + directory);
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_TRUE(contains(result.err, "is a directory")) << result.all;
  const std::string garbage = scratch("garbage.pt");
  { std::ofstream(garbage) << "not a checkpoint at all"; }
  result = run_cli("train --preset tiny --db " + quote(db) + " train.resume_from=" + garbage);
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_TRUE(contains(result.err, garbage)) << result.all;
  result = run_cli("train --config " + directory + " --no-db");
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_TRUE(contains(result.err, "is a directory")) << result.all;
  EXPECT_EQ(query(db, "SELECT count(*) FROM runs"), "0");
}

TEST(HostileCli, NamesThatAreNotUtf8StillGiveValidJson) {
  const auto db = temp_store("latin1");
  {
    tensorpoly::sessions::Recorder recorder(db.string());
    tensorpoly::RunStarted run;
    run.name = "caf\xe9 \xff";  // Latin-1 bytes, as another program may have stored
    recorder.on_run_started(run);
    recorder.on_run_ended({tensorpoly::RunStatus::kFinished, 0, ""});
  }
  for (const std::string command : {"runs --json", "show --json --run 1"}) {
    const CliResult result = run_cli(command + " --db " + quote(db));
    EXPECT_EQ(result.exit_code, 0) << command << ": " << result.all;
    const auto parsed = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << command << ": " << result.out;
    EXPECT_TRUE(contains(result.out, "caf\xef\xbf\xbd")) << result.out;  // U+FFFD
  }
}

// A JSONL experiment over `lines`; `validation_ratio` 0 leaves it without validation data.
std::string jsonl_experiment(const std::string& name, const std::vector<std::string>& lines,
                             double validation_ratio) {
  const std::string dir = scratch(name);
  std::filesystem::create_directories(dir);
  {
    std::ofstream data(dir + "/train.jsonl");
    for (const std::string& line : lines) data << line << "\n";
  }
  nlohmann::json suite = {{"kind", "jsonl"}, {"train", dir + "/train.jsonl"}};
  if (validation_ratio > 0) suite["validation_ratio"] = validation_ratio;
  const nlohmann::json config = {
      {"device", "cpu"},
      {"threads", 1},
      {"suite", suite},
      {"train", {{"steps", 2}, {"batch_size", 2}, {"checkpoint_dir", dir + "/ckpt"}}},
      {"base", {{"pretrain_steps", 0}, {"copy_steps", 0}}},
      {"adapter", {{"method", "lora"}, {"rank", 2}}}};
  std::ofstream(dir + "/config.json") << config.dump(2);
  return dir + "/config.json";
}

const char* const kCopy = R"({"task": "copy", "input": "ab", "target": "ab"})";

TEST(HostileCli, AJsonlSuiteWithoutValidationDataExitsTwoInsteadOfReportingLossZero) {
  const std::string config = jsonl_experiment("no-validation", {kCopy, kCopy}, 0.0);
  const CliResult result = run_cli("train --no-db --config " + config);
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_TRUE(contains(result.err, "validation")) << result.all;
  EXPECT_FALSE(contains(result.all, "mean loss 0")) << result.all;
}

TEST(HostileCli, ANumberBeyondDoubleRangeInJsonlNamesTheFileAndLine) {
  const std::string config =
      jsonl_experiment("huge-number", {kCopy, R"({"task": "copy", "x": 1e400})", kCopy}, 0.5);
  const CliResult result = run_cli("train --no-db --config " + config);
  EXPECT_EQ(result.exit_code, 2) << result.all;
  const std::string data = std::filesystem::path(config).parent_path().string() + "/train.jsonl";
  EXPECT_TRUE(contains(result.err, data + ":2:")) << result.all;
  EXPECT_FALSE(contains(result.err, "json.exception")) << result.all;
}

}  // namespace
