// Numbered forward migrations of the store (see tensorpoly/sessions/schema.h).
// Never edit a migration once released: add the next one.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/sessions/schema.h"

#include "sqlite_util.h"
#include "tensorpoly/sessions/store.h"
#include "transaction.h"

namespace tensorpoly::sessions {
namespace {

// Migration N brings a file from version N-1 to version N.
const char* const kMigrations[] = {
    // 1: the first store: a list of runs.
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  method TEXT NOT NULL DEFAULT '',"
    "  last_step INTEGER NOT NULL DEFAULT 0,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    "  config_json TEXT NOT NULL DEFAULT '{}');",

    // 2: everything a run records. Series tables are clustered on the keys they are
    // read by (WITHOUT ROWID), so a series is one contiguous range scan.
    "ALTER TABLE runs ADD COLUMN finished_at TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE runs ADD COLUMN app_version TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE runs ADD COLUMN torch_version TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE runs ADD COLUMN device TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE runs ADD COLUMN seed INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE runs ADD COLUMN total_steps INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN start_step INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN params_total INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN params_trainable INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN params_router INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN params_per_task INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN message TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE tasks ("
    "  run_id INTEGER NOT NULL,"
    "  task_index INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  family TEXT NOT NULL DEFAULT '',"
    "  skills_json TEXT NOT NULL DEFAULT '[]',"
    "  split TEXT NOT NULL DEFAULT 'train',"
    "  PRIMARY KEY (run_id, task_index)) WITHOUT ROWID;"
    "CREATE TABLE metrics ("
    "  run_id INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  split TEXT NOT NULL,"
    "  task INTEGER NOT NULL,"  // -1: not per task
    "  step INTEGER NOT NULL,"
    "  value REAL,"  // NULL: NaN
    "  wall_time_s REAL NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (run_id, name, split, task, step)) WITHOUT ROWID;"
    "CREATE TABLE routing ("
    "  run_id INTEGER NOT NULL,"
    "  step INTEGER NOT NULL,"
    "  layer_index INTEGER NOT NULL,"
    "  layer TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"   // routing_kind_name()
    "  shape TEXT NOT NULL,"  // JSON array of int64
    "  data BLOB NOT NULL,"   // float32, little-endian, row-major
    "  UNIQUE (run_id, step, layer_index));"
    "CREATE TABLE evaluations ("
    "  run_id INTEGER NOT NULL,"
    "  split TEXT NOT NULL,"
    "  step INTEGER NOT NULL,"
    "  task INTEGER NOT NULL,"
    "  loss REAL,"
    "  exact_match REAL,"
    "  accuracy REAL,"
    "  n_examples INTEGER NOT NULL DEFAULT 0,"
    "  wall_time_s REAL NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (run_id, split, step, task)) WITHOUT ROWID;"
    "CREATE TABLE checkpoints ("
    "  run_id INTEGER NOT NULL,"
    "  step INTEGER NOT NULL,"
    "  path TEXT NOT NULL,"
    "  PRIMARY KEY (run_id, step)) WITHOUT ROWID;",

    // 3: the routing after few-shot adaptation (one snapshot per run: each held-out
    // task's row as its own adaptation learned it; `step` is the training step it
    // followed), and studies: which runs form a named study, as which method and seed.
    "CREATE TABLE adapted_routing ("
    "  run_id INTEGER NOT NULL,"
    "  step INTEGER NOT NULL,"
    "  layer_index INTEGER NOT NULL,"
    "  layer TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  shape TEXT NOT NULL,"
    "  data BLOB NOT NULL,"
    "  UNIQUE (run_id, layer_index));"
    "CREATE TABLE study_runs ("
    "  run_id INTEGER PRIMARY KEY,"  // a run belongs to at most one study
    "  study TEXT NOT NULL,"
    "  method TEXT NOT NULL,"  // the study's name for the method: a preset name
    "  seed INTEGER NOT NULL);"
    "CREATE INDEX study_runs_by_study ON study_runs (study, method, seed);",
};

constexpr int kLatest = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);
static_assert(kLatest == kSchemaVersion, "kSchemaVersion must name the last migration");

}  // namespace

void migrate(sqlite3* db, const std::string& path, int target) {
  if (target < 0 || target > kSchemaVersion) {
    throw StoreError(path + ": no schema version " + std::to_string(target));
  }
  const int version = detail::user_version(db, path);
  if (version > target) {
    throw StoreError(path + ": schema version " + std::to_string(version) +
                     " is newer than this build supports (" + std::to_string(target) +
                     "); open it with a newer TensorPoly Studio");
  }
  for (int next = version + 1; next <= target; ++next) {
    try {
      detail::Transaction transaction(db, path);
      // Another process may have migrated the file meanwhile.
      if (detail::user_version(db, path) < next) {
        detail::exec(db, path, kMigrations[next - 1]);
        detail::exec(db, path, "PRAGMA user_version = " + std::to_string(next));
      }
      transaction.commit();
    } catch (const StoreError& error) {  // rolled back when `transaction` left its scope
      throw StoreError(std::string(error.what()) + " (migrating to schema version " +
                       std::to_string(next) + ")");
    }
  }
}

}  // namespace tensorpoly::sessions
