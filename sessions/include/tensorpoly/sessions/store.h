// The SQLite store of runs (DESIGN.md, "Sessions").
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;

namespace tensorpoly::sessions {

// Any failure to open, read or write a store; the message names the file.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class OpenMode { kReadWrite, kReadOnly };

struct RunSummary {
  int64_t id = 0;
  std::string name;
  std::string status;        // run_status_name(): running, finished, interrupted, ...
  std::string method;
  int64_t last_step = 0;
  std::string created_at;    // ISO 8601, UTC
};

class Store {
 public:
  // Opens (creating if needed, read-write) the store at `path` and brings its
  // schema up to date. Throws StoreError naming the file on any failure.
  static Store open(const std::string& path, OpenMode mode = OpenMode::kReadWrite);

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  const std::string& path() const { return path_; }
  bool read_only() const { return read_only_; }
  int schema_version() const;

  std::vector<RunSummary> list_runs() const;

  sqlite3* handle() const { return db_; }

 private:
  Store(sqlite3* db, std::string path, bool read_only);
  sqlite3* db_ = nullptr;
  std::string path_;
  bool read_only_ = false;
};

}  // namespace tensorpoly::sessions
