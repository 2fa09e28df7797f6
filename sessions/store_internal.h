// Pieces shared by the files that implement Store (not part of the public API).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sqlite_util.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::sessions::detail {

// Prepared statements of one connection, by SQL text; finalized together.
struct StatementCache {
  std::map<std::string, sqlite3_stmt*> statements;
  void clear() {
    for (auto& entry : statements) sqlite3_finalize(entry.second);
    statements.clear();
  }
  ~StatementCache() { clear(); }
};

// The columns of each table apart from the run id, in the order export/import copy them.
extern const char* const kRunColumns;  // runs, without id

// Copies run `source_id` with all its rows from schema `from` to schema `to` of `db`
// (inside the caller's transaction). keep_id: the run keeps its id, else it gets a
// new one. Returns the id in `to`.
int64_t copy_run(sqlite3* db, const std::string& path, const std::string& from,
                 const std::string& to, int64_t source_id, bool keep_id);

// One row of "SELECT layer, kind, shape, data FROM routing": the matrix, its shape
// checked against the bytes stored (overflow-safe: the shape comes from the file).
// Throws StoreError naming `snapshot` (file, run and step) and the layer.
RoutingMatrix read_routing_matrix(const Statement& row, const std::string& snapshot);

// Runs of the main database left "running" whose writer is gone (their lock is free).
std::vector<int64_t> dead_runs(sqlite3* db, const std::string& path);
// Marks those of `dead` still "running" with a free lock as "interrupted", in one
// transaction; the second form marks every dead run.
void mark_interrupted_runs(sqlite3* db, const std::string& path, const std::vector<int64_t>& dead);
void mark_interrupted_runs(sqlite3* db, const std::string& path);

}  // namespace tensorpoly::sessions::detail

namespace tensorpoly::sessions {
struct Store::Statements : detail::StatementCache {};
}  // namespace tensorpoly::sessions
