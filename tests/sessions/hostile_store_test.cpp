// Stores as a hostile user or a bad day hands them over: a store reached through a
// link, a store file edited by hand or damaged and then imported, a table missing, and
// another connection holding the store locked while a run is recorded.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "sessions/session_test_util.h"
#include "support/file_size_limit.h"
#include "tensorpoly/sessions/recorder.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::sessions {
namespace {

using namespace std::chrono_literals;
using testing::Connection;
using testing::error_of;
using testing::file_state;
using testing::query_int64;
using testing::raw_exec;
using testing::sample_routing;
using testing::sample_run;
using testing::sample_step;
using testing::temp_path;

int64_t record_run(const std::filesystem::path& path, const std::string& name, int steps = 3) {
  Recorder recorder(path.string());
  recorder.on_run_started(sample_run(name));
  for (int step = 1; step <= steps; ++step) recorder.on_step(sample_step(step));
  recorder.on_routing(sample_routing(steps));
  recorder.on_run_ended({RunStatus::kFinished, steps, ""});
  return recorder.run_id();
}

std::string journal_mode(const std::filesystem::path& path) {
  Connection db(path);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db.get(), "PRAGMA journal_mode", -1, &stmt, nullptr);
  std::string mode;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    mode = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  return mode;
}

// A store file holding one finished run, exported (rollback journal, no -wal).
std::filesystem::path exported_run(const std::string& name, int steps = 3) {
  const auto source = temp_path(name + "-source");
  const int64_t id = record_run(source, name, steps);
  const auto exported = temp_path(name + "-exported");
  Store::open(source.string(), OpenMode::kReadOnly).export_run(id, exported.string());
  return exported;
}

TEST(RunLock, ALiveRunReadThroughASymlinkOrAnotherPathIsRunningAndCannotBeDeleted) {
  const auto path = temp_path("linked");
  const auto symlink = temp_path("linked-symlink");
  Recorder recorder(path.string());
  recorder.on_run_started(sample_run());
  recorder.on_step(sample_step(1));
  recorder.flush();
  std::filesystem::create_symlink(path, symlink);
  const std::filesystem::path dotted = path.parent_path() / "." / path.filename();
  for (const auto& name : {path, symlink, dotted}) {
    auto store = Store::open(name.string());  // read-write: marks dead runs interrupted
    EXPECT_EQ(store.run_summary(recorder.run_id())->status, "running") << name;
    EXPECT_NE(error_of([&] { store.delete_run(recorder.run_id()); }).find("being recorded"),
              std::string::npos)
        << name;
  }
  recorder.on_run_ended({RunStatus::kFinished, 1, ""});
  EXPECT_EQ(Store::open(symlink.string()).run_summary(recorder.run_id())->status, "finished");
}

TEST(RunLock, AHardLinkedStoreIsRefusedByEveryNameSayingWhy) {
  // SQLite names the write-ahead log after the path: two names, two logs. Refused
  // rather than shown stale or "interrupted".
  const auto path = temp_path("hard");
  const auto hardlink = temp_path("hard-link");
  record_run(path, "linked");
  std::filesystem::create_hard_link(path, hardlink);
  for (const auto& name : {path, hardlink}) {
    for (const OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
      const std::string message = error_of([&] { Store::open(name.string(), mode); });
      EXPECT_NE(message.find("2 hard links"), std::string::npos) << message;
    }
  }
  std::filesystem::remove(hardlink);
  EXPECT_EQ(Store::open(path.string()).list_runs().size(), 1u);
}

TEST(RunLock, ARunWhoseWriterIsGoneIsInterruptedWhateverNameOpensIt) {
  const auto path = temp_path("gone");
  const auto symlink = temp_path("gone-symlink");
  int64_t id = 0;
  {
    Recorder recorder(path.string());
    recorder.on_run_started(sample_run());
    id = recorder.run_id();
    recorder.close();  // leaves the run "running" without a writer
  }
  std::filesystem::create_symlink(path, symlink);
  EXPECT_EQ(Store::open(symlink.string()).run_summary(id)->status, "interrupted");
}

TEST(Import, ARoutingShapeWhoseElementCountWrapsIsRefusedNamingTheFileAndImportsNothing) {
  const auto exported = exported_run("wrapping");
  // 2^32 x 2^32 = 2^64 values: the product wraps to 0, which the empty blob matches.
  raw_exec(exported, "UPDATE routing SET shape = '[4294967296,4294967296]', data = x''");
  const auto target = temp_path("wrapping-target");
  record_run(target, "here");
  auto store = Store::open(target.string());
  const std::string message = error_of([&] { store.import_runs(exported.string()); });
  EXPECT_NE(message.find(exported.string()), std::string::npos) << message;
  EXPECT_NE(message.find("4294967296"), std::string::npos) << message;
  EXPECT_EQ(store.list_runs().size(), 1u);
  EXPECT_NE(error_of([&] { Store::check_import_source(exported.string()); }), "");
}

TEST(Import, ARoutingShapeThatDoesNotFitItsKindIsRefused) {
  const auto exported = exported_run("rank");
  // Twelve floats fit a [3, 4] "skills" layer, but an "orders" layer needs rank 3.
  raw_exec(exported, "UPDATE routing SET kind = 'orders', shape = '[3,4]', data = zeroblob(48)");
  const std::string message = error_of([&] { Store::check_import_source(exported.string()); });
  EXPECT_NE(message.find("needs a shape of rank 3"), std::string::npos) << message;
  EXPECT_NE(message.find(exported.string()), std::string::npos) << message;
}

TEST(Import, ABogusStatusOrANegativeStepIsRefusedNamingTheRun) {
  const auto bogus = exported_run("bogus");
  raw_exec(bogus, "UPDATE runs SET status = 'bogus'");
  std::string message = error_of([&] { Store::check_import_source(bogus.string()); });
  EXPECT_NE(message.find("unknown run status 'bogus'"), std::string::npos) << message;
  EXPECT_NE(message.find(": run "), std::string::npos) << message;

  const auto negative = exported_run("negative");
  raw_exec(negative, "UPDATE runs SET last_step = -5");
  message = error_of([&] { Store::check_import_source(negative.string()); });
  EXPECT_NE(message.find("last_step -5 is negative"), std::string::npos) << message;

  const auto metrics = exported_run("negative-metrics");
  raw_exec(metrics, "UPDATE metrics SET step = -step");
  message = error_of([&] { Store::check_import_source(metrics.string()); });
  EXPECT_NE(message.find("table metrics"), std::string::npos) << message;
}

TEST(Import, TheSameFileImportedTwiceAddsItsRunsOnce) {
  const auto exported = exported_run("twice");
  const auto target = temp_path("twice-target");
  auto store = Store::open(target.string());
  std::vector<int64_t> present;
  const auto first = store.import_runs(exported.string(), &present);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(present.empty());
  const auto second = store.import_runs(exported.string(), &present);
  EXPECT_TRUE(second.empty());
  EXPECT_EQ(present, first);
  EXPECT_EQ(store.list_runs().size(), 1u);
  // Another run of the same name is not mistaken for it.
  EXPECT_EQ(store.import_runs(exported_run("twice", 4).string()).size(), 1u);
}

TEST(Import, ARunStillRunningInTheFileIsImportedOnceToo) {
  const auto source = temp_path("running-source");
  Recorder recorder(source.string());
  recorder.on_run_started(sample_run("live"));
  recorder.on_step(sample_step(1));
  recorder.flush();
  const auto exported = temp_path("running-exported");
  Store::open(source.string(), OpenMode::kReadOnly)
      .export_run(recorder.run_id(), exported.string());
  const auto target = temp_path("running-target");
  auto store = Store::open(target.string());
  ASSERT_EQ(store.import_runs(exported.string()).size(), 1u);
  EXPECT_EQ(store.list_runs().at(0).status, "interrupted");
  EXPECT_TRUE(store.import_runs(exported.string()).empty());
  recorder.on_run_ended({RunStatus::kFinished, 1, ""});
}

TEST(Import, AnEmptyFileIsRefusedBeforeTheTargetIsTouched) {
  const auto empty = temp_path("empty-source");
  { std::ofstream(empty.string()) << ""; }
  const std::string message = error_of([&] { Store::check_import_source(empty.string()); });
  EXPECT_NE(message.find(empty.string()), std::string::npos) << message;
}

TEST(StoreOpen, AStoreMissingATableIsRefusedBeforeItIsSwitchedToWal) {
  const auto path = exported_run("missing-table");  // rollback journal
  raw_exec(path, "DROP TABLE evaluations");
  ASSERT_EQ(journal_mode(path), "delete");
  const auto before = file_state(path);
  const std::string message = error_of([&] { Store::open(path.string()); });
  EXPECT_NE(message.find("'evaluations'"), std::string::npos) << message;
  EXPECT_EQ(journal_mode(path), "delete");
  EXPECT_TRUE(file_state(path) == before);
}

// Holds the store's write lock from another connection for `hold`.
std::thread hold_exclusive(const std::filesystem::path& path, std::chrono::milliseconds hold,
                           std::atomic<bool>& held) {
  return std::thread([path, hold, &held] {
    Connection other(path);
    raw_exec(other.get(), "BEGIN EXCLUSIVE");
    held = true;
    std::this_thread::sleep_for(hold);
    raw_exec(other.get(), "COMMIT");
  });
}

TEST(Recorder, ALockHeldLongerThanTheBusyTimeoutLosesNoRow) {
  const auto path = temp_path("locked-long");
  Recorder recorder(path.string());
  recorder.on_run_started(sample_run());
  std::atomic<bool> held{false};
  // 6.5 s: longer than one try's 5 s busy timeout, within the 120 s retry time.
  std::thread locker = hold_exclusive(path, 6500ms, held);
  while (!held) std::this_thread::sleep_for(1ms);
  for (int step = 1; step <= 50; ++step) recorder.on_step(sample_step(step));
  recorder.on_run_ended({RunStatus::kFinished, 50, ""});
  locker.join();
  EXPECT_EQ(query_int64(path, "SELECT count(*) FROM metrics"), 50 * 5);
  auto store = Store::open(path.string());
  EXPECT_EQ(store.run_summary(recorder.run_id())->status, "finished");
  EXPECT_EQ(store.run_summary(recorder.run_id())->last_step, 50);
}

TEST(Recorder, ALockHeldPastTheRetryTimeEndsTheRunFailedWithTheReasonNotAsACrash) {
  const auto path = temp_path("locked-too-long");
  RecorderOptions options;
  options.busy_retry = 500ms;
  Recorder recorder(path.string(), options);
  recorder.on_run_started(sample_run());
  std::atomic<bool> held{false};
  std::thread locker = hold_exclusive(path, 6500ms, held);
  while (!held) std::this_thread::sleep_for(1ms);
  recorder.on_step(sample_step(1));
  const std::string error = error_of([&] { recorder.flush(); });
  EXPECT_NE(error.find("locked"), std::string::npos) << error;
  EXPECT_EQ(recorder.failure(), error);
  EXPECT_THROW(recorder.on_step(sample_step(2)), StoreError);  // the engine stops on it
  locker.join();
  // What the trainer does with the exception: ends the run failed with its message.
  recorder.on_run_ended({RunStatus::kFailed, 1, error});
  EXPECT_THROW(recorder.close(), StoreError);  // the caller still learns of it
  auto store = Store::open(path.string());
  const auto details = store.run_details(recorder.run_id());
  EXPECT_EQ(details.summary.status, "failed");
  EXPECT_EQ(details.message, error);
}

uint64_t size_or_zero(const std::filesystem::path& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : size;
}

TEST(Recorder, AFullDiskEndsTheRunFailedWithTheReasonNotAsACrash) {
  const auto path = temp_path("full-disk");
  Recorder recorder(path.string());
  recorder.on_run_started(sample_run());
  recorder.on_step(sample_step(1));
  recorder.flush();
  std::string error;
  {
    auto wal = path;
    wal += "-wal";
    const tensorpoly::testing::FileSizeLimit limit(std::max(size_or_zero(path), size_or_zero(wal)) +
                                                   32 * 1024);
    for (int step = 2; step <= 5000 && error.empty(); ++step) {
      try {
        recorder.on_step(sample_step(step));
        recorder.flush();  // one transaction a step: the log grows until the disk is full
      } catch (const StoreError& failure) {
        error = failure.what();
      }
    }
    ASSERT_NE(error, "") << "the store never filled the disk";
    // What the trainer does with the exception, with the disk still full.
    recorder.on_run_ended({RunStatus::kFailed, 1, error});
  }
  EXPECT_THROW(recorder.close(), StoreError);  // the caller still learns of it
  auto store = Store::open(path.string());     // would mark a run without its end interrupted
  const auto details = store.run_details(recorder.run_id());
  EXPECT_EQ(details.summary.status, "failed");
  EXPECT_EQ(details.message, error);
  EXPECT_EQ(store.integrity_check(), "ok");
}

TEST(StoreOpen, AStoreLockedByAnotherProgramIsReportedAsLockedNotAsUnreadable) {
  const auto path = exported_run("locked-open");  // rollback journal: a lock stops readers
  std::atomic<bool> held{false};
  // Longer than the connection's 5 s busy timeout.
  std::thread locker = hold_exclusive(path, 7000ms, held);
  while (!held) std::this_thread::sleep_for(1ms);
  std::string message;
  bool busy = false;
  try {
    Store::open(path.string(), OpenMode::kReadOnly);
  } catch (const StoreBusyError& error) {
    busy = true;
    message = error.what();
  } catch (const StoreError& error) {
    message = error.what();
  }
  locker.join();
  EXPECT_TRUE(busy) << message;
  EXPECT_NE(message.find("holds the store locked"), std::string::npos) << message;
  EXPECT_EQ(message.find("not a readable store"), std::string::npos) << message;
  EXPECT_EQ(Store::open(path.string(), OpenMode::kReadOnly).list_runs().size(), 1u);
}

}  // namespace
}  // namespace tensorpoly::sessions
