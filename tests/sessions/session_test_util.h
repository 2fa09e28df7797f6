// Helpers shared by the sessions tests: fresh temporary store paths, a sample run,
// plain SQLite connections of the test's own (to look at a file from outside the
// library, and to make a real write fail with a trigger).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensorpoly/events.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::sessions::testing {

// A path in a per-process temporary folder; the file and its -wal/-shm/locks removed.
inline std::filesystem::path temp_path(const std::string& name) {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::temp_directory_path() /
             ("tensorpoly-sessions-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / (name + "-" + std::to_string(counter++) + ".sqlite");
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().string().rfind(path.string(), 0) == 0) std::filesystem::remove(entry.path());
  }
  return path;
}

inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Size, bytes and modification time: to prove a file was not touched.
struct FileState {
  std::string bytes;
  int64_t mtime_ns = 0;
  bool operator==(const FileState& other) const {
    return bytes == other.bytes && mtime_ns == other.mtime_ns;
  }
};

inline FileState file_state(const std::filesystem::path& path) {
  struct stat info {};
  ::stat(path.c_str(), &info);
  return {file_bytes(path), int64_t{info.st_mtim.tv_sec} * 1000000000 + info.st_mtim.tv_nsec};
}

inline RunStarted sample_run(const std::string& name = "sample", int n_tasks = 3) {
  RunStarted run;
  run.name = name;
  run.method = "tensorpoly2";
  run.config_json = R"({"method":"tensorpoly2","seed":7})";
  run.device = "cpu";
  run.app_version = "0.1.0";
  run.torch_version = "1.13.1";
  run.seed = 7;
  run.total_steps = 1000;
  run.parameters = {1000000, 5000, 240, 1700};
  for (int task = 0; task < n_tasks; ++task) {
    TaskInfo info;
    info.index = task;
    info.name = "task" + std::to_string(task);
    info.family = task % 2 ? "odd" : "even";
    info.skills = {"reverse", "upper" + std::to_string(task)};
    info.split = task + 1 == n_tasks ? "heldout" : "train";
    run.tasks.push_back(info);
  }
  return run;
}

// Deterministic metric value of (step, task), so tests can check every row.
inline double sample_loss(int64_t step, int task) {
  return 1.0 / static_cast<double>(step + 1) + 0.01 * task;
}

inline StepMetrics sample_step(int64_t step, int n_tasks = 3) {
  StepMetrics metrics;
  metrics.step = step;
  metrics.wall_time_s = 0.01 * static_cast<double>(step);
  for (int task = 0; task < n_tasks; ++task) {
    metrics.metrics.push_back({task, "train", "loss", sample_loss(step, task)});
  }
  metrics.metrics.push_back({-1, "train", "loss", sample_loss(step, -1)});
  metrics.metrics.push_back({-1, "train", "lr", 1e-3});
  return metrics;
}

inline RoutingSnapshot sample_routing(int64_t step, int n_tasks = 3) {
  RoutingSnapshot snapshot;
  snapshot.step = step;
  for (int layer = 0; layer < 2; ++layer) {
    RoutingMatrix matrix;
    matrix.layer = "encoder.block." + std::to_string(layer) + ".layer.0.SelfAttention.q";
    matrix.kind = layer == 0 ? RoutingKind::kSkills : RoutingKind::kOrders;
    matrix.shape =
        layer == 0 ? std::vector<int64_t>{n_tasks, 4} : std::vector<int64_t>{2, n_tasks, 4};
    const size_t count = layer == 0 ? size_t(n_tasks) * 4 : size_t(2 * n_tasks) * 4;
    for (size_t i = 0; i < count; ++i) {
      matrix.values.push_back(static_cast<float>(step) + static_cast<float>(i) * 0.25f);
    }
    snapshot.layers.push_back(matrix);
  }
  return snapshot;
}

// The message of the StoreError that f() throws; empty when it throws none.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const StoreError& error) {
    return error.what();
  }
  return {};
}

// A SQLite connection of the test's own to a file: how another process sees it.
class Connection {
 public:
  explicit Connection(const std::filesystem::path& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
      const std::string message = sqlite3_errmsg(db_);
      sqlite3_close(db_);
      throw std::runtime_error(path.string() + ": " + message);
    }
  }
  ~Connection() { sqlite3_close(db_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

inline void raw_exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  ASSERT_EQ(rc, SQLITE_OK) << message << " in: " << sql;
}

inline void raw_exec(const std::filesystem::path& path, const std::string& sql) {
  Connection db(path);
  raw_exec(db.get(), sql);
}

// The first column of the first row of `sql` (a count, a version, ...).
inline int64_t query_int64(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    throw std::runtime_error(std::string(sqlite3_errmsg(db)) + " in: " + sql);
  }
  const int64_t value = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
  sqlite3_finalize(stmt);
  return value;
}

inline int64_t query_int64(const std::filesystem::path& path, const std::string& sql) {
  Connection db(path);
  return query_int64(db.get(), sql);
}

// True when another connection can take the file's write lock at once (no waiting):
// nobody holds a write transaction open on it.
inline bool write_lock_free(const std::filesystem::path& path) {
  Connection other(path);
  sqlite3_busy_timeout(other.get(), 0);
  const bool free =
      sqlite3_exec(other.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
  if (free) sqlite3_exec(other.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  return free;
}

inline const char* const kRefusedByTheTest = "refused by the test";

// Makes every `event` ("INSERT", "UPDATE", "DELETE") on `table` fail inside SQLite, as
// a real failing write: RAISE(ABORT) fails the statement and leaves the transaction
// open, which is what a forgotten rollback would keep.
inline void refuse(sqlite3* db, const std::string& event, const std::string& table) {
  raw_exec(db, "CREATE TRIGGER refuse_" + event + "_" + table + " BEFORE " + event + " ON " +
                   table + " BEGIN SELECT RAISE(ABORT, '" + kRefusedByTheTest + "'); END");
}

inline void refuse(const std::filesystem::path& path, const std::string& event,
                   const std::string& table) {
  Connection db(path);
  refuse(db.get(), event, table);
}

inline void allow(const std::filesystem::path& path, const std::string& event,
                  const std::string& table) {
  raw_exec(path, "DROP TRIGGER refuse_" + event + "_" + table);
}

}  // namespace tensorpoly::sessions::testing
