// The SQLite store of runs (DESIGN.md, "Sessions"): opening (with migrations and
// checks that never modify a bad file), queries for the UI and the CLI, editing
// (rename, notes, delete), other machines' files attached read-only, export/import.
//
// A Store is one SQLite connection. Use it from one thread at a time (the GUI
// thread, a loader thread); the Recorder writes through its own connection, and
// because the file is in WAL mode a Store reading while a run is recorded sees
// only committed transactions, and new rows on its next query.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensorpoly/events.h"
#include "tensorpoly/routing.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tensorpoly::sessions {

// Any failure to open, read or write a store; the message names the file.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The store is locked by another connection (SQLITE_BUSY / SQLITE_LOCKED past the
// connection's busy timeout): the same operation may succeed later.
class StoreBusyError : public StoreError {
 public:
  using StoreError::StoreError;
};

enum class OpenMode { kReadWrite, kReadOnly };

// The local database is "main"; an attached one is called by the name given to
// Store::attach(). Run ids are per database.
inline constexpr const char* kMainDatabase = "main";

// Which run, in which database. Converts implicitly from a plain id (local run).
struct RunRef {
  RunRef(int64_t run_id) : id(run_id) {}  // NOLINT(google-explicit-constructor)
  RunRef(std::string database_name, int64_t run_id)
      : database(std::move(database_name)), id(run_id) {}
  std::string database = kMainDatabase;
  int64_t id = 0;
};

struct RunSummary {
  int64_t id = 0;
  std::string name;
  std::string status;  // run_status_name(): running, finished, interrupted, ...
  std::string method;
  int64_t last_step = 0;  // last step whose metrics are committed
  int64_t total_steps = 0;
  std::string created_at;   // ISO 8601, UTC
  std::string finished_at;  // ISO 8601, UTC; empty while running
  std::string device;
  std::string notes;
  std::string database = kMainDatabase;  // "main" or the attach() name
  std::string source;                    // the file the run lives in
  std::string study;                     // the study it belongs to; "" when none

  RunRef ref() const { return RunRef(database, id); }
};

// A run of a study (tensorpoly-run study): which of the study's methods and seeds it is.
struct StudyRun {
  RunSummary run;
  std::string method;  // the study's name for the method (a preset name, e.g. lora-matched)
  uint64_t seed = 0;
};

// Everything about a run except its series: what `tensorpoly-run show` prints.
struct RunDetails {
  RunSummary summary;
  std::string config_json;
  std::string app_version;
  std::string torch_version;
  uint64_t seed = 0;
  int64_t start_step = 0;
  std::string message;  // RunEnded::message (error text, ...)
  ParameterCounts parameters;
  std::vector<TaskInfo> tasks;  // by index
};

// Case-insensitive substring filters; empty fields match everything.
struct RunFilter {
  std::string text = {};  // matches name, method, status, notes or study
  std::string name = {};
  std::string method = {};
  std::string status = {};
  std::string database = {};  // only this database ("main" or an attach() name)
};

// One metric series: (name, split, task); task = -1 when not per task.
struct SeriesKey {
  std::string name;
  std::string split;
  int task = -1;
  bool operator<(const SeriesKey& other) const;
  bool operator==(const SeriesKey& other) const;
};

struct MetricSeries {
  SeriesKey key;
  std::vector<int64_t> steps;  // increasing
  std::vector<double> values;
  std::vector<double> wall_time_s;
};

struct SeriesQuery {
  std::string name = {};         // required, e.g. "loss"
  std::string split = {};        // required, e.g. "train"
  std::optional<int> task = {};  // unset: every task (and -1); -1: the non-task series
  int64_t after_step = -1;       // only steps > after_step (live deltas)
  // 0: every point. Otherwise at most this many points per series: the step range
  // is cut into max_points / 2 buckets and each keeps its minimum and maximum
  // value (in step order), so spikes survive; the first and last points are kept.
  size_t max_points = 0;
};

// The last value of each series of a run (the "final metrics").
struct MetricValue {
  SeriesKey key;
  int64_t step = 0;
  double value = 0.0;
};

struct RoutingAtStep {
  int64_t step = -1;                  // the snapshot's step; -1 when the run has none
  std::vector<RoutingMatrix> layers;  // in the order they were recorded
};

struct EvaluationRow {
  int64_t step = 0;
  std::string split;
  int task = 0;
  std::string task_name;
  double loss = 0.0;
  double exact_match = -1.0;  // -1 when not measured
  double accuracy = -1.0;     // -1 when not measured
  int64_t n_examples = 0;
  double wall_time_s = 0.0;
};

class Store {
 public:
  // Opens the store at `path`. kReadWrite creates the file when missing and brings
  // its schema up to date (PRAGMA user_version migrations), and marks runs left
  // "running" by a writer that is gone as "interrupted". The file is first read
  // through a read-only connection: one that is not SQLite, is truncated, has a
  // newer schema, or is another program's SQLite database (user_version 0 with
  // tables of its own) is refused with a StoreError naming the file; and when
  // opening it would write (switch to WAL, migrate, mark interrupted runs), PRAGMA
  // quick_check (integrity_check before a migration) must pass first, so a damaged
  // file is refused untouched, whatever its journal mode. A file that is not
  // writable is opened read-only instead (read_only() is true and notice() says
  // why); kReadOnly never writes (SQLITE_OPEN_READONLY).
  static Store open(const std::string& path, OpenMode mode = OpenMode::kReadWrite);

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  const std::string& path() const { return path_; }
  bool read_only() const { return read_only_; }
  const std::string& notice() const { return notice_; }  // e.g. why it is read-only
  int schema_version() const;
  // PRAGMA integrity_check of the main database: "ok" or the problems found.
  std::string integrity_check() const;

  // --- Runs -------------------------------------------------------------------
  // Runs of the main database and of every attached one, newest first per database.
  std::vector<RunSummary> list_runs(const RunFilter& filter = {}) const;
  std::optional<RunSummary> run_summary(const RunRef& run) const;
  RunDetails run_details(const RunRef& run) const;  // throws when there is no such run
  std::vector<TaskInfo> tasks(const RunRef& run) const;
  std::vector<CheckpointSaved> checkpoints(const RunRef& run) const;

  // Edits (main database only; attached ones are read-only).
  void rename_run(int64_t run_id, const std::string& name);
  void set_notes(int64_t run_id, const std::string& notes);
  void delete_run(int64_t run_id);  // the run and all its rows, one transaction

  // --- Metrics ----------------------------------------------------------------
  std::vector<SeriesKey> metric_keys(const RunRef& run) const;  // sorted
  std::vector<std::string> metric_names(const RunRef& run) const;
  std::vector<std::string> metric_splits(const RunRef& run) const;
  // One series per task matching the query, sorted by key.
  std::vector<MetricSeries> metric_series(const RunRef& run, const SeriesQuery& query) const;
  std::vector<MetricValue> final_metrics(const RunRef& run) const;

  // --- Routing ----------------------------------------------------------------
  std::vector<int64_t> routing_steps(const RunRef& run) const;
  // The snapshot whose step is nearest `step` (the earlier one on a tie).
  RoutingAtStep routing_nearest(const RunRef& run, int64_t step) const;
  // The routing after few-shot adaptation (each held-out task's row as its own
  // adaptation learned it; step = the training step it followed); step -1 when none.
  RoutingAtStep adapted_routing(const RunRef& run) const;

  // --- Studies (main database) -------------------------------------------------
  std::vector<std::string> study_names() const;  // sorted
  // The study's runs, by method, seed and run id (a combination that was interrupted
  // and run again has several runs; their status tells them apart).
  std::vector<StudyRun> study_runs(const std::string& study) const;
  // Makes run `run_id` (which must exist) a run of `study` as `method` and `seed`.
  void add_study_run(int64_t run_id, const std::string& study, const std::string& method,
                     uint64_t seed);

  // --- Evaluation -------------------------------------------------------------
  std::vector<std::string> evaluation_splits(const RunRef& run) const;
  std::vector<int64_t> evaluation_steps(const RunRef& run, const std::string& split) const;
  // Rows for one split ("" = every split) and one step (nullopt = every step),
  // ordered by split, step, task. `after_step` keeps only rows with step > after_step
  // (live deltas: pass the last step already read); nullopt keeps every row.
  std::vector<EvaluationRow> evaluations(const RunRef& run, const std::string& split = {},
                                         std::optional<int64_t> step = std::nullopt,
                                         std::optional<int64_t> after_step = std::nullopt) const;
  // The rows of the last evaluated step of each split.
  std::vector<EvaluationRow> final_evaluations(const RunRef& run) const;

  // --- Many machines ----------------------------------------------------------
  // Attaches another store file read-only under `name` ([A-Za-z_][A-Za-z0-9_]*; empty:
  // "db1", "db2", ...) and returns the name. Its runs then appear in list_runs() and
  // every query accepts RunRef(name, id). Throws on a bad or newer-schema file.
  std::string attach(const std::string& path, const std::string& name = {});
  void detach(const std::string& name);
  std::map<std::string, std::string> attached() const;  // name -> file

  // Writes the run, with all its rows, to a new self-contained store file at
  // `out_path` (which must not exist). The run keeps its id there.
  void export_run(const RunRef& run, const std::string& out_path) const;
  // Copies every run of the store file at `path` into the main database, each
  // with a new id, all in one transaction. Returns the new ids. Every row of the file
  // is validated first (status, steps, routing shapes; StoreError naming the file and
  // row). A run already present (same name, method, creation time, config, seed and
  // steps: imported before) is not copied again; its id here goes to `present`.
  std::vector<int64_t> import_runs(const std::string& path,
                                   std::vector<int64_t>* present = nullptr);
  // The checks of import_runs on the file at `path` alone, read-only: run them before
  // opening the target so that a bad file leaves the target untouched.
  static void check_import_source(const std::string& path);

  sqlite3* handle() const { return db_; }

 private:
  struct Statements;
  Store(sqlite3* db, std::string path, bool read_only);
  sqlite3_stmt* prepare(const std::string& sql) const;  // cached, reset on return
  std::string database_file(const std::string& database) const;
  void require_writable(const char* what) const;

  sqlite3* db_ = nullptr;
  std::string path_;
  bool read_only_ = false;
  std::string notice_;
  std::map<std::string, std::string> attached_;  // name -> path
  std::unique_ptr<Statements> statements_;
};

}  // namespace tensorpoly::sessions
