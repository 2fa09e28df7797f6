// The store's schema and its numbered forward migrations (PRAGMA user_version).
//   1: runs (id, name, status, method, last_step, created_at, config_json)
//   2: runs gains finished_at, versions, device, seed, notes, steps, parameter counts,
//      message; tables tasks, metrics, routing, evaluations, checkpoints.
//   3: tables adapted_routing (routing after few-shot adaptation) and study_runs (run ->
//      study, method, seed).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>

struct sqlite3;

namespace tensorpoly::sessions {

inline constexpr int kSchemaVersion = 3;

// Applies migrations user_version+1 .. target on the main database of `db`, each in
// its own transaction. Throws StoreError (naming `path`) on failure or when the file
// is newer than target. Store::open calls it with kSchemaVersion; tests use it to
// build files of every earlier version.
void migrate(sqlite3* db, const std::string& path, int target = kSchemaVersion);

}  // namespace tensorpoly::sessions
