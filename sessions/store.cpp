// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/sessions/store.h"

#include <sqlite3.h>

#include <utility>

namespace tensorpoly::sessions {
namespace {

constexpr int kSchemaVersion = 1;

[[noreturn]] void fail(sqlite3* db, const std::string& path, const std::string& what) {
  throw StoreError(path + ": " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

void exec(sqlite3* db, const std::string& path, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw StoreError(path + ": " + message);
  }
}

int user_version(sqlite3* db, const std::string& path) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) != SQLITE_OK) {
    fail(db, path, "cannot read the schema version");
  }
  int version = 0;
  if (sqlite3_step(stmt) == SQLITE_ROW) version = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  return version;
}

void migrate(sqlite3* db, const std::string& path) {
  const int version = user_version(db, path);
  if (version > kSchemaVersion) {
    throw StoreError(path + ": schema version " + std::to_string(version) +
                     " is newer than this build supports (" + std::to_string(kSchemaVersion) +
                     "); open it with a newer TensorPoly Studio");
  }
  if (version < 1) {
    exec(db, path,
         "BEGIN;"
         "CREATE TABLE runs ("
         "  id INTEGER PRIMARY KEY,"
         "  name TEXT NOT NULL,"
         "  status TEXT NOT NULL,"
         "  method TEXT NOT NULL DEFAULT '',"
         "  last_step INTEGER NOT NULL DEFAULT 0,"
         "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
         "  config_json TEXT NOT NULL DEFAULT '{}');"
         "PRAGMA user_version = 1;"
         "COMMIT;");
  }
}

}  // namespace

Store Store::open(const std::string& path, OpenMode mode) {
  sqlite3* db = nullptr;
  const bool read_only = mode == OpenMode::kReadOnly;
  const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string message = path + ": cannot open: " + (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    throw StoreError(message);
  }
  Store store(db, path, read_only);
  sqlite3_busy_timeout(db, 5000);
  if (!read_only) {
    exec(db, path, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    migrate(db, path);
  }
  return store;
}

Store::Store(sqlite3* db, std::string path, bool read_only)
    : db_(db), path_(std::move(path)), read_only_(read_only) {}

Store::Store(Store&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      read_only_(other.read_only_) {}

Store& Store::operator=(Store&& other) noexcept {
  if (this != &other) {
    sqlite3_close(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    read_only_ = other.read_only_;
  }
  return *this;
}

Store::~Store() { sqlite3_close(db_); }

int Store::schema_version() const { return user_version(db_, path_); }

std::vector<RunSummary> Store::list_runs() const {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT id, name, status, method, last_step, created_at FROM runs "
                         "ORDER BY id DESC",
                         -1, &stmt, nullptr) != SQLITE_OK) {
    fail(db_, path_, "cannot list runs");
  }
  auto text = [stmt](int column) {
    const auto* value = sqlite3_column_text(stmt, column);
    return value ? std::string(reinterpret_cast<const char*>(value)) : std::string();
  };
  std::vector<RunSummary> runs;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    RunSummary run;
    run.id = sqlite3_column_int64(stmt, 0);
    run.name = text(1);
    run.status = text(2);
    run.method = text(3);
    run.last_step = sqlite3_column_int64(stmt, 4);
    run.created_at = text(5);
    runs.push_back(std::move(run));
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) fail(db_, path_, "cannot list runs");
  return runs;
}

}  // namespace tensorpoly::sessions
