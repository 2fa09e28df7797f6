// Small RAII helpers over the SQLite C API, internal to the sessions library.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tensorpoly::sessions::detail {

[[noreturn]] void fail(sqlite3* db, const std::string& path, const std::string& what);
void exec(sqlite3* db, const std::string& path, const std::string& sql);
int user_version(sqlite3* db, const std::string& path, const std::string& database = "main");
std::string utc_now();                              // ISO 8601, seconds
std::string quoted(const std::string& identifier);  // "identifier"
std::string file_uri(const std::string& path, bool read_only);
std::string errno_text(int error);  // strerror(), thread-safe

// A prepared statement, either borrowed from a cache (reset on destruction) or owned
// (finalized on destruction). Column and bind indexes follow SQLite: bind from 1,
// columns from 0. `path` names the file in error messages; the statement keeps its own
// copy, so it stays valid when the caller's string (a moved Store's path) does not.
// Read rows with for_each_row / read_rows / read_first_row below; a const Statement&
// is a row: only the column getters are const.
class Statement {
 public:
  Statement(sqlite3* db, std::string path, const std::string& sql);  // owned
  Statement(sqlite3* db, std::string path, sqlite3_stmt* cached);    // borrowed
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind_int64(int index, int64_t value);
  Statement& bind_double(int index, double value);  // NaN is stored as NULL
  Statement& bind_text(int index, const std::string& value);
  // Without a copy: `value` must outlive the next step() (hot insert paths).
  Statement& bind_text_static(int index, const std::string& value);
  Statement& bind_blob(int index, const void* data, size_t bytes);

  bool step();   // true: a row is ready; false: done; throws on error
  void run();    // steps to the end, ignoring rows, then reset() (also on error)
  void reset();  // ready to be bound and stepped again; clears the bindings

  int64_t int64(int column) const;
  double real(int column) const;  // NULL reads back as NaN
  std::string text(int column) const;
  std::vector<unsigned char> blob(int column) const;
  bool is_null(int column) const;

  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3* db_;
  std::string path_;
  sqlite3_stmt* stmt_ = nullptr;
  bool owned_;
};

// Resets a statement when it leaves scope, however it leaves.
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& statement) : statement_(statement) {}
  ~ResetOnExit() { statement_.reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& statement_;
};

// The query loop, written once: steps the bound `statement` to the end and calls
// fn(row) for each result row (fn reads the columns). The statement is reset
// afterwards, also when fn or a step throws, so it can be bound again at once.
template <typename Fn>
void for_each_row(Statement& statement, Fn&& fn) {
  ResetOnExit reset(statement);
  while (statement.step()) fn(std::as_const(statement));
}

// Every result row, each turned into a value by read(row).
template <typename Read>
auto read_rows(Statement& statement, Read&& read) {
  std::vector<std::decay_t<decltype(read(std::as_const(statement)))>> rows;
  for_each_row(statement, [&](const Statement& row) { rows.push_back(read(row)); });
  return rows;
}

// The first result row turned into a value by read(row), or nullopt when there is
// none. The statement is reset afterwards (any further rows are not read).
template <typename Read>
auto read_first_row(Statement& statement, Read&& read)
    -> std::optional<std::decay_t<decltype(read(std::as_const(statement)))>> {
  ResetOnExit reset(statement);
  if (!statement.step()) return std::nullopt;
  return read(std::as_const(statement));
}

}  // namespace tensorpoly::sessions::detail

namespace tensorpoly::sessions::detail {

// What Store::open learns about a file before SQLite touches it.
struct FileCheck {
  bool exists = false;
  bool writable = true;  // for root too: a file without any write permission bit is not
};

// Refuses (StoreError naming the file) a path that is a directory, unreadable, not
// SQLite (no "SQLite format 3" header), visibly truncated (smaller than its header
// says, or not a whole number of pages) or hard-linked under another name (SQLite keeps
// its write-ahead log beside the name a file is opened by, so two names of one store
// would each see a log of their own). Never writes.
FileCheck check_store_file(const std::string& path);

// This process's descriptor of the file at `path` (its device and inode), opened once
// and kept: closing any descriptor of a file drops every POSIX lock the process holds
// on it, SQLite's own included, so code outside SQLite reads a store file and locks
// bytes of it (sessions/run_lock.h) only through these. A descriptor of a file that
// was deleted meanwhile is replaced. Returns -1 with errno set when the file cannot be
// opened (read-only, or read-write when `writable`).
int process_descriptor(const std::string& path, bool writable);

// Opens a connection (URI filenames enabled, busy timeout set); throws StoreError.
sqlite3* open_connection(const std::string& path, bool read_only);

// "SELECT count(*) FROM sqlite_schema" and the schema version: throws StoreError when
// SQLite cannot read the file as a database.
int read_schema_version(sqlite3* db, const std::string& path, const std::string& database = "main");

}  // namespace tensorpoly::sessions::detail
