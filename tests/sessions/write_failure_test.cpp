// Every write path of the store, made to fail inside its transaction by a real
// SQLite error (a trigger that raises): nothing of it is kept, no transaction is left
// open, and another connection can take the write lock at once.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "sessions/session_test_util.h"
#include "tensorpoly/sessions/recorder.h"
#include "tensorpoly/sessions/schema.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::sessions {
namespace {

using testing::allow;
using testing::Connection;
using testing::error_of;
using testing::kRefusedByTheTest;
using testing::query_int64;
using testing::raw_exec;
using testing::refuse;
using testing::sample_routing;
using testing::sample_run;
using testing::sample_step;
using testing::temp_path;
using testing::write_lock_free;

const char* const kRunTables[] = {"tasks", "metrics", "routing", "evaluations", "checkpoints"};

int64_t record_run(const std::filesystem::path& path, const std::string& name, int steps = 4) {
  Recorder recorder(path.string());
  recorder.on_run_started(sample_run(name));
  for (int step = 1; step <= steps; ++step) recorder.on_step(sample_step(step));
  recorder.on_routing(sample_routing(steps));
  EvalResult eval;
  eval.step = steps;
  eval.tasks.push_back({0, 0.5, 1.0, -1.0, 8});
  recorder.on_eval(eval);
  recorder.on_checkpoint({steps, "/ckpt"});
  recorder.on_run_ended({RunStatus::kFinished, steps, ""});
  return recorder.run_id();
}

// Rows of every table, as one comparable list (runs first).
std::vector<int64_t> row_counts(const std::filesystem::path& path) {
  std::vector<int64_t> counts = {query_int64(path, "SELECT count(*) FROM runs")};
  for (const char* table : kRunTables) {
    counts.push_back(query_int64(path, std::string("SELECT count(*) FROM ") + table));
  }
  return counts;
}

bool in_transaction(const Store& store) { return sqlite3_get_autocommit(store.handle()) == 0; }

void expect_refused(const std::string& message, const std::filesystem::path& path) {
  EXPECT_NE(message.find(kRefusedByTheTest), std::string::npos) << message;
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
}

TEST(WriteFailure, RunCreationThatFailsLeavesNoRunAndNoLock) {
  const auto path = temp_path("fail-start");
  Store::open(path.string());
  refuse(path, "INSERT", "tasks");  // after the run row was inserted
  Recorder recorder(path.string());
  expect_refused(error_of([&] { recorder.on_run_started(sample_run()); }), path);
  EXPECT_EQ(recorder.run_id(), 0);
  EXPECT_TRUE(write_lock_free(path));  // while the Recorder's connection is open
  EXPECT_EQ(query_int64(path, "SELECT count(*) FROM runs"), 0);
  // The same connection is not stuck inside a transaction: it records the next run.
  allow(path, "INSERT", "tasks");
  recorder.on_run_started(sample_run());
  recorder.on_step(sample_step(1));
  recorder.on_run_ended({RunStatus::kFinished, 1, ""});
  EXPECT_EQ(query_int64(path, "SELECT count(*) FROM metrics"), 5);
}

TEST(WriteFailure, FlushThatFailsWritesNothingOfTheBatchAndLeavesNoLock) {
  const auto path = temp_path("fail-flush");
  Recorder recorder(path.string());
  recorder.on_run_started(sample_run());
  refuse(path, "INSERT", "evaluations");  // after the batch's metrics were inserted
  recorder.on_step(sample_step(1));
  recorder.on_step(sample_step(2));
  EvalResult eval;
  eval.step = 2;
  eval.tasks.push_back({0, 0.5, 1.0, -1.0, 8});
  recorder.on_eval(eval);
  expect_refused(error_of([&] { recorder.flush(); }), path);
  EXPECT_TRUE(write_lock_free(path));  // while the Recorder's connection is open
  EXPECT_EQ(query_int64(path, "SELECT count(*) FROM metrics"), 0);
  EXPECT_EQ(query_int64(path, "SELECT last_step FROM runs"), 0);
  EXPECT_EQ(recorder.committed_step(), -1);
  // As documented, a Recorder whose writer failed refuses further events.
  EXPECT_THROW(recorder.on_step(sample_step(3)), StoreError);
}

TEST(WriteFailure, RenameAndNotesThatFailLeaveNoOpenTransaction) {
  const auto path = temp_path("fail-edit");
  const int64_t id = record_run(path, "kept");
  auto store = Store::open(path.string());
  refuse(path, "UPDATE", "runs");
  expect_refused(error_of([&] { store.rename_run(id, "new name"); }), path);
  EXPECT_FALSE(in_transaction(store));
  EXPECT_TRUE(write_lock_free(path));
  expect_refused(error_of([&] { store.set_notes(id, "new notes"); }), path);
  EXPECT_FALSE(in_transaction(store));
  EXPECT_TRUE(write_lock_free(path));
  EXPECT_EQ(store.run_summary(id)->name, "kept");
  EXPECT_EQ(store.run_summary(id)->notes, "");
}

TEST(WriteFailure, DeleteThatFailsKeepsEveryRowAndLeavesNoOpenTransaction) {
  const auto path = temp_path("fail-delete");
  const int64_t id = record_run(path, "kept");
  auto store = Store::open(path.string());
  const auto before = row_counts(path);
  refuse(path, "DELETE", "runs");  // the run row goes last, after all its other rows
  expect_refused(error_of([&] { store.delete_run(id); }), path);
  EXPECT_FALSE(in_transaction(store));
  EXPECT_TRUE(write_lock_free(path));
  EXPECT_EQ(row_counts(path), before);
  allow(path, "DELETE", "runs");
  store.delete_run(id);
  EXPECT_EQ(row_counts(path), std::vector<int64_t>(6, 0));
}

TEST(WriteFailure, ImportThatFailsAddsNothingAndLeavesNoOpenTransaction) {
  const auto target = temp_path("fail-import-target");
  const auto source = temp_path("fail-import-source");
  record_run(target, "here");
  record_run(source, "there 1");
  record_run(source, "there 2");
  auto store = Store::open(target.string());
  const auto before = row_counts(target);
  refuse(target, "INSERT", "checkpoints");  // the last table copied
  expect_refused(error_of([&] { store.import_runs(source.string()); }), target);
  EXPECT_FALSE(in_transaction(store));
  EXPECT_TRUE(write_lock_free(target));
  EXPECT_EQ(row_counts(target), before);
  EXPECT_TRUE(store.attached().empty());
  EXPECT_EQ(query_int64(store.handle(),
                        "SELECT count(*) FROM pragma_database_list"
                        " WHERE name = 'import_source'"),
            0);
  allow(target, "INSERT", "checkpoints");
  EXPECT_EQ(store.import_runs(source.string()).size(), 2u);
  EXPECT_EQ(store.list_runs().size(), 3u);
}

TEST(WriteFailure, ExportThatFailsRemovesTheFileAndLeavesTheSourceUnlocked) {
  const auto source = temp_path("fail-export-source");
  const int64_t id = record_run(source, "exported");
  // A checkpoint row the export's own (NOT NULL) table refuses, half-way through the
  // copy: the run, its tasks, metrics, routing and evaluations are copied first.
  raw_exec(source,
           "DROP TABLE checkpoints;"
           "CREATE TABLE checkpoints (run_id INTEGER NOT NULL, step INTEGER NOT NULL, path TEXT,"
           " PRIMARY KEY (run_id, step)) WITHOUT ROWID;"
           "INSERT INTO checkpoints VALUES (" +
               std::to_string(id) + ", 4, NULL);");
  auto store = Store::open(source.string());
  const auto out = temp_path("fail-export-out");
  const std::string message = error_of([&] { store.export_run(id, out.string()); });
  EXPECT_NE(message.find(out.string()), std::string::npos) << message;
  EXPECT_NE(message.find("NOT NULL constraint failed: checkpoints.path"), std::string::npos)
      << message;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    EXPECT_FALSE(std::filesystem::exists(out.string() + suffix)) << suffix;
  }
  EXPECT_FALSE(in_transaction(store));
  EXPECT_TRUE(write_lock_free(source));
}

// Migration 2 creates a table "tasks": a version-1 file that already has one fails
// half-way through the migration (after runs gained its new columns).
TEST(WriteFailure, MigrationThatFailsKeepsTheOldVersionAndLeavesNoOpenTransaction) {
  const auto path = temp_path("fail-migrate");
  Connection db(path);
  migrate(db.get(), path.string(), 1);
  raw_exec(db.get(),
           "INSERT INTO runs (name, status) VALUES ('old', 'finished');"
           "CREATE TABLE tasks (anything TEXT);");
  const std::string message = error_of([&] { migrate(db.get(), path.string()); });
  EXPECT_NE(message.find("migrating to schema version 2"), std::string::npos) << message;
  EXPECT_NE(message.find("already exists"), std::string::npos) << message;
  EXPECT_NE(sqlite3_get_autocommit(db.get()), 0);
  EXPECT_TRUE(write_lock_free(path));
  EXPECT_EQ(query_int64(db.get(), "PRAGMA user_version"), 1);
  EXPECT_EQ(query_int64(db.get(), "SELECT count(*) FROM pragma_table_info('runs')"), 7);
  // Store::open runs the same migration: refused the same way, the file left at 1.
  EXPECT_NE(error_of([&] { Store::open(path.string()); }).find("migrating to schema version 2"),
            std::string::npos);
  EXPECT_TRUE(write_lock_free(path));
  EXPECT_EQ(query_int64(path, "PRAGMA user_version"), 1);
}

// A run left "running" without a writer is marked "interrupted" by a read-write open.
TEST(WriteFailure, MarkingInterruptedRunsThatFailsLeavesTheFileUnlocked) {
  const auto path = temp_path("fail-interrupted");
  Store::open(path.string());
  raw_exec(path, "INSERT INTO runs (name, status) VALUES ('left running', 'running')");
  refuse(path, "UPDATE", "runs");
  expect_refused(error_of([&] { Store::open(path.string()); }), path);
  EXPECT_TRUE(write_lock_free(path));
  EXPECT_EQ(query_int64(path, "SELECT count(*) FROM runs WHERE status = 'running'"), 1);
  allow(path, "UPDATE", "runs");
  auto store = Store::open(path.string());
  EXPECT_EQ(store.list_runs().at(0).status, "interrupted");
}

// The file a Store names in its errors moves with it.
TEST(WriteFailure, AMovedStoreStillNamesItsFile) {
  const auto path = temp_path("moved");
  const auto other_path = temp_path("moved-over");
  const int64_t id = record_run(path, "moved");
  refuse(path, "UPDATE", "runs");
  auto opened = Store::open(path.string());
  Store moved(std::move(opened));
  expect_refused(error_of([&] { moved.rename_run(id, "x"); }), path);
  auto other = Store::open(other_path.string());
  other = std::move(moved);
  EXPECT_EQ(other.path(), path.string());
  expect_refused(error_of([&] { other.set_notes(id, "x"); }), path);
  const std::string missing = error_of([&] { other.run_details(id + 100); });
  EXPECT_EQ(missing.rfind(path.string() + ": no run", 0), 0u) << missing;
  EXPECT_FALSE(in_transaction(other));
}

}  // namespace
}  // namespace tensorpoly::sessions
