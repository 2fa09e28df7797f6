// Store: schema, migrations from every earlier version, and bad input that must be
// refused without touching the file.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/sessions/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "sessions/session_test_util.h"
#include "tensorpoly/sessions/recorder.h"
#include "tensorpoly/sessions/schema.h"

namespace tensorpoly::sessions {
namespace {

using testing::error_of;
using testing::file_state;
using testing::raw_exec;
using testing::temp_path;

TEST(Store, CreatesSchemaAndListsNoRuns) {
  const auto path = temp_path("empty");
  auto store = Store::open(path.string());
  EXPECT_EQ(store.schema_version(), kSchemaVersion);
  EXPECT_TRUE(store.list_runs().empty());
  EXPECT_EQ(store.integrity_check(), "ok");
  EXPECT_FALSE(store.read_only());
}

// The very SQL of schema version 1, as shipped, with a run in it.
TEST(Migration, OpensAVersion1FileWithARun) {
  const auto path = temp_path("v1");
  raw_exec(path,
           "CREATE TABLE runs ("
           "  id INTEGER PRIMARY KEY,"
           "  name TEXT NOT NULL,"
           "  status TEXT NOT NULL,"
           "  method TEXT NOT NULL DEFAULT '',"
           "  last_step INTEGER NOT NULL DEFAULT 0,"
           "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
           "  config_json TEXT NOT NULL DEFAULT '{}');"
           "PRAGMA user_version = 1;"
           "INSERT INTO runs (id, name, status, method, last_step, created_at, config_json) "
           "VALUES (4, 'old run', 'finished', 'poly', 250, '2024-01-02T03:04:05Z', '{\"a\":1}');");
  auto store = Store::open(path.string());
  EXPECT_EQ(store.schema_version(), kSchemaVersion);
  const auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].id, 4);
  EXPECT_EQ(runs[0].name, "old run");
  EXPECT_EQ(runs[0].status, "finished");
  EXPECT_EQ(runs[0].method, "poly");
  EXPECT_EQ(runs[0].last_step, 250);
  EXPECT_EQ(runs[0].created_at, "2024-01-02T03:04:05Z");
  const RunDetails details = store.run_details(4);
  EXPECT_EQ(details.config_json, "{\"a\":1}");
  EXPECT_EQ(details.summary.notes, "");
  EXPECT_TRUE(details.tasks.empty());
  EXPECT_TRUE(store.metric_keys(4).empty());
  // The upgraded file takes new runs.
  store.set_notes(4, "kept from v1");
  EXPECT_EQ(store.run_details(4).summary.notes, "kept from v1");
  EXPECT_EQ(store.integrity_check(), "ok");
}

TEST(Migration, EveryEarlierVersionReachesTheLatest) {
  for (int version = 0; version < kSchemaVersion; ++version) {
    SCOPED_TRACE("from version " + std::to_string(version));
    const auto path = temp_path("from-v" + std::to_string(version));
    {
      sqlite3* db = nullptr;
      ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
      migrate(db, path.string(), version);
      if (version >= 1) {
        ASSERT_EQ(sqlite3_exec(db, "INSERT INTO runs (name, status) VALUES ('r', 'stopped')",
                               nullptr, nullptr, nullptr),
                  SQLITE_OK);
      }
      sqlite3_close(db);
    }
    auto store = Store::open(path.string());
    EXPECT_EQ(store.schema_version(), kSchemaVersion);
    EXPECT_EQ(store.list_runs().size(), version >= 1 ? 1u : 0u);
    // Every table of the latest version is usable.
    Recorder recorder(path.string());
    recorder.on_run_started(testing::sample_run());
    recorder.on_step(testing::sample_step(1));
    recorder.on_run_ended({RunStatus::kFinished, 1, ""});
    EXPECT_EQ(store.list_runs().size(), version >= 1 ? 2u : 1u);
    EXPECT_EQ(store.metric_keys(recorder.run_id()).size(), 5u);
  }
}

TEST(Migration, OlderReadOnlyFileIsUpgradedInMemoryOnly) {
  const auto path = temp_path("v1-readonly");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    migrate(db, path.string(), 1);
    sqlite3_exec(db, "INSERT INTO runs (name, status) VALUES ('r', 'finished')", nullptr, nullptr,
                 nullptr);
    sqlite3_close(db);
  }
  const auto before = file_state(path);
  {
    auto store = Store::open(path.string(), OpenMode::kReadOnly);
    EXPECT_TRUE(store.read_only());
    EXPECT_EQ(store.schema_version(), kSchemaVersion);
    EXPECT_NE(store.notice().find("upgraded in memory"), std::string::npos) << store.notice();
    ASSERT_EQ(store.list_runs().size(), 1u);
    EXPECT_TRUE(store.tasks(store.list_runs()[0].id).empty());
  }
  EXPECT_TRUE(file_state(path) == before);
}

// --- Bad input ------------------------------------------------------------------

TEST(BadInput, RefusesAFileThatIsNotSqliteAndLeavesItAlone) {
  const auto path = temp_path("not-sqlite");
  {
    std::ofstream out(path);
    out << "this is not a database, just some text that is long enough to have a header\n"
        << std::string(200, 'x');
  }
  const auto before = file_state(path);
  for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
    const std::string message = error_of([&] { Store::open(path.string(), mode); });
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("not a SQLite database"), std::string::npos) << message;
  }
  EXPECT_TRUE(file_state(path) == before);
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal"));
}

enum class Journal { kDelete, kWal };

// A store with one finished run and one run left "running" (which a read-write open
// would otherwise want to mark as interrupted), everything in the main file: in
// rollback-journal mode (kDelete) or, as the Recorder leaves it, in WAL mode.
std::filesystem::path make_store_with_runs(const std::string& name,
                                           Journal journal = Journal::kDelete) {
  const auto path = temp_path(name);
  {
    Recorder recorder(path.string());
    recorder.on_run_started(testing::sample_run("done"));
    for (int step = 1; step <= 300; ++step) recorder.on_step(testing::sample_step(step));
    recorder.on_run_ended({RunStatus::kFinished, 300, ""});
  }
  {
    auto store = Store::open(path.string());
    const std::string sql =
        "INSERT INTO runs (name, status) VALUES ('left running', 'running');"
        "PRAGMA wal_checkpoint(TRUNCATE);" +
        std::string(journal == Journal::kDelete ? "PRAGMA journal_mode=DELETE;" : "");
    sqlite3_exec(store.handle(), sql.c_str(), nullptr, nullptr, nullptr);
  }
  // Closing the last connection checkpointed and removed the -wal: the main file
  // holds every row, and in WAL mode its header says so.
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal"));
  EXPECT_EQ(testing::file_bytes(path).at(18), journal == Journal::kWal ? 2 : 1);
  return path;
}

// Overwrites `count` pages from page number `first` (1-based) with garbage.
void overwrite_pages(const std::filesystem::path& path, int64_t first, int64_t count) {
  constexpr int64_t kPageSize = 4096;
  const auto size = static_cast<int64_t>(std::filesystem::file_size(path));
  const int64_t end = std::min(size, (first - 1 + count) * kPageSize);
  ASSERT_LT((first - 1) * kPageSize, end) << path << " has no page " << first;
  std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
  file.seekp((first - 1) * kPageSize);
  const std::string garbage(static_cast<size_t>(end - (first - 1) * kPageSize), '\xA5');
  file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
}

// The root page of `table`, read with a connection of its own.
int64_t root_page(const std::filesystem::path& path, const std::string& table) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT rootpage FROM sqlite_master WHERE name = ?1", -1, &stmt, nullptr);
  sqlite3_bind_text(stmt, 1, table.c_str(), -1, SQLITE_TRANSIENT);
  const int64_t page = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return page;
}

// Nothing written beside the file either: no -wal with frames in it waiting to be
// checkpointed into the file by the next connection.
void expect_no_pending_wal(const std::filesystem::path& path) {
  const std::string wal = path.string() + "-wal";
  if (std::filesystem::exists(wal)) {
    EXPECT_EQ(std::filesystem::file_size(wal), 0u) << wal;
  }
}

TEST(BadInput, RefusesATruncatedFileAndLeavesItAlone) {
  const auto path = make_store_with_runs("truncated");
  const auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 8192u);
  std::filesystem::resize_file(path, size / 2 + 100);  // not even whole pages
  auto before = file_state(path);
  std::string message = error_of([&] { Store::open(path.string()); });
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  EXPECT_TRUE(file_state(path) == before);
  // Whole pages, but fewer than the header counts.
  std::filesystem::resize_file(path, 4096 * 2);
  before = file_state(path);
  message = error_of([&] { Store::open(path.string()); });
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  EXPECT_TRUE(file_state(path) == before);
}

void expect_corrupted_pages_give_an_error(Journal journal) {
  const auto path = make_store_with_runs("corrupted", journal);
  overwrite_pages(path, 2, 1 << 20);  // every page after the first: b-tree pages of the tables
  const auto before = file_state(path);
  for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
    const std::string message = error_of([&] {
      auto store = Store::open(path.string(), mode);
      store.list_runs();
      store.metric_keys(1);
    });
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_TRUE(message.find("malformed") != std::string::npos ||
                message.find("damaged") != std::string::npos)
        << message;
  }
  EXPECT_TRUE(file_state(path) == before);
  expect_no_pending_wal(path);
}

TEST(BadInput, CorruptedPagesGiveAnErrorAndTheFileIsNotModified) {
  expect_corrupted_pages_give_an_error(Journal::kDelete);
}

TEST(BadInput, CorruptedPagesOfAWalStoreGiveAnErrorAndTheFileIsNotModified) {
  expect_corrupted_pages_give_an_error(Journal::kWal);
}

// Only the metrics table is damaged: the runs table still reads, so a read-write open
// that did not check the file first would mark the dead run "interrupted" (a write).
void expect_damaged_table_refused_before_any_write(Journal journal) {
  const auto path = make_store_with_runs("damaged-metrics", journal);
  const int64_t metrics_root = root_page(path, "metrics");
  ASSERT_GT(metrics_root, 1);
  overwrite_pages(path, metrics_root, 1);
  const auto before = file_state(path);
  const std::string message = error_of([&] { Store::open(path.string()); });
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("damaged"), std::string::npos) << message;
  EXPECT_NE(message.find("left untouched"), std::string::npos) << message;
  EXPECT_THROW(Recorder(path.string()), StoreError);
  // Read-only, what is intact still reads; the damage is an error naming the file.
  {
    auto store = Store::open(path.string(), OpenMode::kReadOnly);
    const auto runs = store.list_runs();
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[0].status, "interrupted");  // shown so, not written down
    const std::string read_error = error_of([&] { store.metric_keys(runs[1].id); });
    EXPECT_NE(read_error.find(path.string()), std::string::npos) << read_error;
    EXPECT_NE(read_error.find("malformed"), std::string::npos) << read_error;
  }
  EXPECT_TRUE(file_state(path) == before);
  expect_no_pending_wal(path);
}

TEST(BadInput, DamagedTableIsRefusedBeforeMarkingInterruptedRuns) {
  expect_damaged_table_refused_before_any_write(Journal::kDelete);
}

TEST(BadInput, DamagedTableOfAWalStoreIsRefusedBeforeMarkingInterruptedRuns) {
  expect_damaged_table_refused_before_any_write(Journal::kWal);
}

TEST(BadInput, NewerSchemaIsRefusedAndLeftAlone) {
  const auto path = temp_path("newer");
  { Store::open(path.string()); }
  raw_exec(path, "PRAGMA journal_mode=DELETE; PRAGMA user_version = 99;");
  const auto before = file_state(path);
  for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
    const std::string message = error_of([&] { Store::open(path.string(), mode); });
    EXPECT_NE(message.find("schema version 99 is newer"), std::string::npos) << message;
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  }
  EXPECT_TRUE(file_state(path) == before);
}

void expect_read_only_file_opened_read_only(Journal journal) {
  const auto path = make_store_with_runs("readonly", journal);
  ::chmod(path.c_str(), 0444);
  const auto before = file_state(path);
  {
    auto store = Store::open(path.string());  // asked for read-write
    EXPECT_TRUE(store.read_only());
    EXPECT_NE(store.notice().find("not writable"), std::string::npos) << store.notice();
    const auto runs = store.list_runs();
    ASSERT_EQ(runs.size(), 2u);
    // Shown as interrupted (its writer is gone), though not written down.
    EXPECT_EQ(runs[0].status, "interrupted");
    EXPECT_EQ(runs[1].status, "finished");
    EXPECT_EQ(store.metric_series(runs[1].id, {"loss", "train", 0}).at(0).steps.size(), 300u);
    EXPECT_NE(error_of([&] { store.rename_run(runs[1].id, "x"); }).find("read-only"),
              std::string::npos);
    EXPECT_NE(error_of([&] { store.delete_run(runs[1].id); }).find("read-only"), std::string::npos);
    EXPECT_THROW(Recorder(path.string()), StoreError);
  }
  EXPECT_TRUE(file_state(path) == before);
  expect_no_pending_wal(path);
  ::chmod(path.c_str(), 0644);
}

TEST(BadInput, ReadOnlyFileIsOpenedReadOnlyWithAMessage) {
  expect_read_only_file_opened_read_only(Journal::kDelete);
}

TEST(BadInput, ReadOnlyWalFileIsOpenedReadOnlyWithAMessage) {
  expect_read_only_file_opened_read_only(Journal::kWal);
}

// Another program's SQLite file (user_version 0, tables of its own) is not adopted:
// no switch to WAL, none of our tables added, in either journal mode.
TEST(BadInput, ForeignSqliteFileIsRefusedAndLeftAlone) {
  for (Journal journal : {Journal::kDelete, Journal::kWal}) {
    SCOPED_TRACE(journal == Journal::kWal ? "wal" : "delete");
    const auto path = temp_path("foreign");
    raw_exec(path, std::string(journal == Journal::kWal ? "PRAGMA journal_mode=WAL;" : "") +
                       "CREATE TABLE people (name TEXT, born INTEGER);"
                       "CREATE INDEX people_by_name ON people (name);"
                       "INSERT INTO people VALUES ('Ada', 1815), ('Alan', 1912);");
    ASSERT_FALSE(std::filesystem::exists(path.string() + "-wal"));
    const auto before = file_state(path);
    for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
      const std::string message = error_of([&] { Store::open(path.string(), mode); });
      EXPECT_NE(message.find(path.string()), std::string::npos) << message;
      EXPECT_NE(message.find("not a TensorPoly store"), std::string::npos) << message;
      EXPECT_NE(message.find("people"), std::string::npos) << message;
      EXPECT_NE(message.find("left untouched"), std::string::npos) << message;
    }
    EXPECT_THROW(Recorder(path.string()), StoreError);
    const auto other = temp_path("foreign-host");
    auto host = Store::open(other.string());
    EXPECT_NE(error_of([&] { host.attach(path.string()); }).find("not a TensorPoly store"),
              std::string::npos);
    EXPECT_NE(error_of([&] { host.import_runs(path.string()); }).find("not a TensorPoly store"),
              std::string::npos);
    EXPECT_TRUE(file_state(path) == before);
    expect_no_pending_wal(path);
    if (journal == Journal::kDelete) {
      EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal"));
    }
  }
}

// An empty SQLite file (no tables yet) is still a fine place to create a store.
TEST(Store, AnEmptySqliteFileBecomesAStore) {
  const auto path = temp_path("empty-sqlite");
  raw_exec(path, "CREATE TABLE scratch (x); DROP TABLE scratch;");
  auto store = Store::open(path.string());
  EXPECT_EQ(store.schema_version(), kSchemaVersion);
  EXPECT_TRUE(store.list_runs().empty());
}

TEST(BadInput, ADirectoryOrAMissingFileIsAClearError) {
  const auto dir = temp_path("dir");
  std::filesystem::create_directories(dir);
  EXPECT_NE(error_of([&] { Store::open(dir.string()); }).find("is a directory"), std::string::npos);
  const auto missing = temp_path("missing");
  EXPECT_NE(
      error_of([&] { Store::open(missing.string(), OpenMode::kReadOnly); }).find("no such file"),
      std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(missing));
}

}  // namespace
}  // namespace tensorpoly::sessions
