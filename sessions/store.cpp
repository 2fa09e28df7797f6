// Store: opening (checks, migrations, interrupted runs), runs and their edits.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/sessions/store.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <utility>

#include "run_lock.h"
#include "store_internal.h"
#include "tensorpoly/sessions/schema.h"
#include "transaction.h"

namespace tensorpoly::sessions {

using detail::for_each_row;
using detail::read_first_row;
using detail::read_rows;
using detail::Statement;

namespace {

const char* const kInterruptedMessage =
    "the process recording this run stopped without ending it (crash, kill or power loss)";

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return needle.empty() || lower(haystack).find(lower(needle)) != std::string::npos;
}

// Copies the whole file into an in-memory database so that an older read-only file
// can be upgraded and read without touching it.
sqlite3* copy_into_memory(sqlite3* file_db, const std::string& path) {
  sqlite3* memory = detail::open_connection(":memory:", false);
  sqlite3_backup* backup = sqlite3_backup_init(memory, "main", file_db, "main");
  if (!backup) {
    const std::string message = sqlite3_errmsg(memory);
    sqlite3_close(memory);
    throw StoreError(path + ": cannot copy into memory: " + message);
  }
  sqlite3_backup_step(backup, -1);
  if (sqlite3_backup_finish(backup) != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(memory);
    sqlite3_close(memory);
    throw StoreError(path + ": cannot copy into memory: " + message);
  }
  return memory;
}

}  // namespace

namespace detail {

std::vector<int64_t> dead_runs(sqlite3* db, const std::string& path) {
  std::vector<int64_t> dead;
  Statement running(db, path, "SELECT id FROM runs WHERE status = 'running'");
  for_each_row(running, [&](const Statement& row) {
    if (!run_lock_held(path, row.int64(0))) dead.push_back(row.int64(0));
  });
  return dead;
}

void mark_interrupted_runs(sqlite3* db, const std::string& path, const std::vector<int64_t>& dead) {
  if (dead.empty()) return;
  Transaction transaction(db, path);
  Statement mark(db, path,
                 "UPDATE runs SET status = 'interrupted', message = ?1,"
                 " finished_at = CASE WHEN finished_at = '' THEN ?2 ELSE finished_at END"
                 " WHERE id = ?3 AND status = 'running'");
  for (int64_t id : dead) {
    // Checked again inside the write transaction: a Recorder takes its lock before
    // it commits the run row, so a run we can see with a free lock has no writer.
    if (run_lock_held(path, id)) continue;
    mark.bind_text(1, kInterruptedMessage).bind_text(2, utc_now()).bind_int64(3, id).run();
  }
  transaction.commit();
}

void mark_interrupted_runs(sqlite3* db, const std::string& path) {
  mark_interrupted_runs(db, path, dead_runs(db, path));
}

}  // namespace detail

namespace {

const char* const kLeftUntouched = "; the file was left untouched";

// A file with user_version 0 is either empty (a store is created in it) or another
// program's database: its tables are not ours, so it is refused rather than switched
// to WAL with our tables added beside its own.
void refuse_foreign_file(sqlite3* probe, const std::string& path) {
  Statement objects(probe, path,
                    "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' "
                    "ESCAPE '\\' ORDER BY type DESC, name");
  std::string found;
  int count = 0;
  for_each_row(objects, [&](const Statement& row) {
    if (++count <= 5) {
      found += std::string(found.empty() ? "" : ", ") + row.text(0) + " '" + row.text(1) + "'";
    }
  });
  if (count == 0) return;
  if (count > 5) found += " and " + std::to_string(count - 5) + " more";
  throw StoreError(path +
                   ": is a SQLite database but not a TensorPoly store (user_version 0, and it "
                   "holds " +
                   found + "); open or create a store file of its own" + kLeftUntouched);
}

std::string journal_mode(sqlite3* probe, const std::string& path) {
  Statement journal(probe, path, "PRAGMA journal_mode");
  return read_first_row(journal, [](const Statement& row) { return lower(row.text(0)); })
      .value_or(std::string());
}

// PRAGMA quick_check or integrity_check on the probe; refuses a damaged file.
void require_intact(sqlite3* probe, const std::string& path, const std::string& check) {
  std::string problems;
  try {
    Statement rows(probe, path, "PRAGMA main." + check);
    for_each_row(rows, [&](const Statement& row) {
      problems += (problems.empty() ? "" : "; ") + row.text(0);
    });
  } catch (const StoreError& error) {
    problems = error.what();
  }
  if (problems != "ok") {
    throw StoreError(path + ": damaged (" + check + ": " + problems.substr(0, 300) +
                     "); not opening it for writing" + kLeftUntouched);
  }
}

// The tables of a store at this build's schema version: those the migrations create
// in an empty database.
const std::vector<std::string>& expected_tables() {
  static const std::vector<std::string> tables = [] {
    sqlite3* memory = detail::open_connection(":memory:", false);
    std::vector<std::string> names;
    try {
      migrate(memory, ":memory:");
      Statement rows(
          memory, ":memory:", "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
      names = read_rows(rows, [](const Statement& row) { return row.text(0); });
    } catch (...) {
      sqlite3_close(memory);
      throw;
    }
    sqlite3_close(memory);
    return names;
  }();
  return tables;
}

// A file at this build's version that lacks one of its tables was damaged or edited
// by hand: refused before anything writes to it.
void require_tables(sqlite3* probe, const std::string& path) {
  Statement rows(probe, path, "SELECT name FROM main.sqlite_master WHERE type = 'table'");
  const auto present = read_rows(rows, [](const Statement& row) { return row.text(0); });
  std::string missing;
  for (const std::string& table : expected_tables()) {
    if (std::find(present.begin(), present.end(), table) == present.end()) {
      missing += (missing.empty() ? "'" : ", '") + table + "'";
    }
  }
  if (!missing.empty()) {
    throw StoreError(path + ": schema version " + std::to_string(kSchemaVersion) +
                     " but the table(s) " + missing + " are missing; not a usable store" +
                     kLeftUntouched);
  }
}

// What Store::open learns through its read-only probe connection.
struct Inspection {
  int version = 0;
  std::vector<int64_t> dead;  // runs left "running" without a writer
};

// Refuses a newer or foreign file; for a read-write open also finds the dead runs
// and, when opening will write to the file, checks the file first.
Inspection inspect(sqlite3* probe, const std::string& path, bool read_only) {
  Inspection found;
  found.version = detail::read_schema_version(probe, path);
  if (found.version > kSchemaVersion) {
    throw StoreError(path + ": schema version " + std::to_string(found.version) +
                     " is newer than this build supports (" + std::to_string(kSchemaVersion) +
                     "); open it with a newer TensorPoly Studio" + kLeftUntouched);
  }
  if (found.version == 0) refuse_foreign_file(probe, path);
  if (found.version == kSchemaVersion) require_tables(probe, path);
  if (read_only) return found;
  const bool migrates = found.version < kSchemaVersion;
  if (found.version >= 1) {
    try {
      found.dead = detail::dead_runs(probe, path);
    } catch (const StoreError&) {
      require_intact(probe, path, "quick_check");  // names the damage
      throw;
    }
  }
  if (migrates || !found.dead.empty() || journal_mode(probe, path) != "wal") {
    // The full integrity_check before a migration (once per file and version);
    // the cheaper quick_check before the other writes.
    require_intact(probe, path, migrates && found.version > 0 ? "integrity_check" : "quick_check");
  }
  return found;
}

}  // namespace

Store Store::open(const std::string& path, OpenMode mode) {
  const detail::FileCheck file = detail::check_store_file(path);
  bool read_only = mode == OpenMode::kReadOnly;
  std::string notice;
  if (!read_only && file.exists && !file.writable) {
    read_only = true;
    notice = path +
             ": the file is not writable; opened read-only (runs cannot be recorded, "
             "renamed or deleted)";
  }
  if (read_only && !file.exists) throw StoreError(path + ": cannot open: no such file");

  // Look at the file through a read-only connection before anything may write to it.
  // There decide whether a read-write open would write (switch the file to WAL,
  // migrate it, mark interrupted runs) and, if so, check the file first, so that a
  // damaged file is refused as it is instead of being written to.
  Inspection found;
  sqlite3* probe = nullptr;
  if (file.exists) {
    probe = detail::open_connection(path, true);
    try {
      found = inspect(probe, path, read_only);
    } catch (...) {
      sqlite3_close(probe);
      throw;
    }
  }
  const int version = found.version;

  if (read_only) {
    sqlite3* db = probe;
    if (version < kSchemaVersion) {
      // An older file we may not write: upgrade a copy in memory.
      try {
        db = copy_into_memory(probe, path);
      } catch (...) {
        sqlite3_close(probe);
        throw;
      }
      sqlite3_close(probe);
      Store store(db, path, true);
      migrate(db, path);
      store.notice_ = (notice.empty() ? path + ": opened read-only" : notice) +
                      "; schema version " + std::to_string(version) +
                      " was upgraded in memory only";
      return store;
    }
    Store store(db, path, true);
    store.notice_ = notice;
    return store;
  }
  sqlite3_close(probe);

  sqlite3* db = detail::open_connection(path, false);
  Store store(db, path, false);
  // Migrated first: a migration that fails rolls back and leaves the journal mode as
  // it was.
  if (version < kSchemaVersion) migrate(db, path);
  detail::exec(db, path, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  // Only the runs the probe found dead (checked again inside the transaction): a run
  // whose writer died since then is marked by the next open, after its own check.
  detail::mark_interrupted_runs(db, path, found.dead);
  return store;
}

Store::Store(sqlite3* db, std::string path, bool read_only)
    : db_(db),
      path_(std::move(path)),
      read_only_(read_only),
      statements_(std::make_unique<Statements>()) {}

Store::Store(Store&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      read_only_(other.read_only_),
      notice_(std::move(other.notice_)),
      attached_(std::move(other.attached_)),
      statements_(std::move(other.statements_)) {}

Store& Store::operator=(Store&& other) noexcept {
  if (this != &other) {
    statements_.reset();
    sqlite3_close(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    read_only_ = other.read_only_;
    notice_ = std::move(other.notice_);
    attached_ = std::move(other.attached_);
    statements_ = std::move(other.statements_);
  }
  return *this;
}

Store::~Store() {
  statements_.reset();  // finalize before closing
  sqlite3_close(db_);
}

sqlite3_stmt* Store::prepare(const std::string& sql) const {
  auto& cache = statements_->statements;
  auto found = cache.find(sql);
  if (found != cache.end()) return found->second;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
      SQLITE_OK) {
    detail::fail(db_, path_, "cannot prepare '" + sql.substr(0, 80) + "'");
  }
  cache.emplace(sql, stmt);
  return stmt;
}

std::string Store::database_file(const std::string& database) const {
  if (database == kMainDatabase) return path_;
  auto found = attached_.find(database);
  if (found == attached_.end()) {
    throw StoreError(path_ + ": no attached database named '" + database + "'");
  }
  return found->second;
}

void Store::require_writable(const char* what) const {
  if (read_only_) throw StoreError(path_ + ": opened read-only, cannot " + what);
}

int Store::schema_version() const { return detail::user_version(db_, path_); }

std::string Store::integrity_check() const {
  Statement check(db_, path_, "PRAGMA main.integrity_check");
  std::string result;
  for_each_row(check, [&](const Statement& row) {
    if (!result.empty()) result += "\n";
    result += row.text(0);
  });
  return result;
}

// --- Runs ---------------------------------------------------------------------

namespace {

// SELECT of RunSummary's columns (read_summary) from the runs of `database`, as "r".
std::string summary_select(const std::string& database) {
  const std::string schema = detail::quoted(database);
  return "SELECT id, name, status, method, last_step, total_steps, created_at, finished_at,"
         " device, notes, (SELECT study FROM " +
         schema + ".study_runs s WHERE s.run_id = r.id) FROM " + schema + ".runs r";
}

RunSummary read_summary(const Statement& row, const std::string& database,
                        const std::string& file) {
  RunSummary run;
  run.id = row.int64(0);
  run.name = row.text(1);
  run.status = row.text(2);
  run.method = row.text(3);
  run.last_step = row.int64(4);
  run.total_steps = row.int64(5);
  run.created_at = row.text(6);
  run.finished_at = row.text(7);
  run.device = row.text(8);
  run.notes = row.text(9);
  run.study = row.is_null(10) ? std::string() : row.text(10);
  run.database = database;
  run.source = file;
  // A run whose writer is gone reads as interrupted even where we may not write that
  // down (read-only files, other machines' files).
  if (run.status == "running" && !detail::run_lock_held(file, run.id)) run.status = "interrupted";
  return run;
}

bool matches(const RunSummary& run, const RunFilter& filter) {
  if (!contains(run.name, filter.name) || !contains(run.method, filter.method) ||
      !contains(run.status, filter.status)) {
    return false;
  }
  return filter.text.empty() || contains(run.name, filter.text) ||
         contains(run.method, filter.text) || contains(run.status, filter.text) ||
         contains(run.notes, filter.text) || contains(run.study, filter.text);
}

}  // namespace

std::vector<RunSummary> Store::list_runs(const RunFilter& filter) const {
  std::vector<std::string> databases = {kMainDatabase};
  for (const auto& entry : attached_) databases.push_back(entry.first);
  std::vector<RunSummary> runs;
  for (const auto& database : databases) {
    if (!filter.database.empty() && filter.database != database) continue;
    const std::string file = database_file(database);
    Statement rows(db_, path_, prepare(summary_select(database) + " ORDER BY id DESC"));
    for_each_row(rows, [&](const Statement& row) {
      RunSummary run = read_summary(row, database, file);
      if (matches(run, filter)) runs.push_back(std::move(run));
    });
  }
  return runs;
}

std::optional<RunSummary> Store::run_summary(const RunRef& run) const {
  const std::string file = database_file(run.database);
  Statement row(db_, path_, prepare(summary_select(run.database) + " WHERE id = ?1"));
  row.bind_int64(1, run.id);
  return read_first_row(
      row, [&](const Statement& found) { return read_summary(found, run.database, file); });
}

RunDetails Store::run_details(const RunRef& run) const {
  auto summary = run_summary(run);
  if (!summary) {
    throw StoreError(database_file(run.database) + ": no run " + std::to_string(run.id));
  }
  RunDetails details;
  details.summary = std::move(*summary);
  Statement row(db_, path_,
                prepare("SELECT config_json, app_version, torch_version, seed, start_step, message,"
                        " params_total, params_trainable, params_router, params_per_task FROM " +
                        detail::quoted(run.database) + ".runs WHERE id = ?1"));
  row.bind_int64(1, run.id);
  for_each_row(row, [&](const Statement& found) {  // one row: by primary key
    details.config_json = found.text(0);
    details.app_version = found.text(1);
    details.torch_version = found.text(2);
    details.seed = static_cast<uint64_t>(found.int64(3));
    details.start_step = found.int64(4);
    details.message = found.text(5);
    details.parameters.total = found.int64(6);
    details.parameters.trainable = found.int64(7);
    details.parameters.router = found.int64(8);
    details.parameters.per_task = found.int64(9);
  });
  details.tasks = tasks(run);
  return details;
}

std::vector<TaskInfo> Store::tasks(const RunRef& run) const {
  const std::string file = database_file(run.database);
  Statement rows(
      db_, path_,
      prepare("SELECT task_index, name, family, skills_json, split FROM " +
              detail::quoted(run.database) + ".tasks WHERE run_id = ?1 ORDER BY task_index"));
  rows.bind_int64(1, run.id);
  return read_rows(rows, [&](const Statement& row) {
    TaskInfo task;
    task.index = static_cast<int>(row.int64(0));
    task.name = row.text(1);
    task.family = row.text(2);
    const auto skills = nlohmann::json::parse(row.text(3), nullptr, false);
    if (!skills.is_array()) {
      throw StoreError(file + ": run " + std::to_string(run.id) + ", task " +
                       std::to_string(task.index) + ": skills_json is not a JSON array");
    }
    for (const auto& skill : skills) {
      if (skill.is_string()) task.skills.push_back(skill.get<std::string>());
    }
    task.split = row.text(4);
    return task;
  });
}

std::vector<CheckpointSaved> Store::checkpoints(const RunRef& run) const {
  database_file(run.database);
  Statement rows(db_, path_,
                 prepare("SELECT step, path FROM " + detail::quoted(run.database) +
                         ".checkpoints WHERE run_id = ?1 ORDER BY step"));
  rows.bind_int64(1, run.id);
  return read_rows(rows, [](const Statement& row) {
    return CheckpointSaved{row.int64(0), row.text(1)};
  });
}

void Store::rename_run(int64_t run_id, const std::string& name) {
  require_writable("rename a run");
  Statement update(db_, path_, prepare("UPDATE runs SET name = ?1 WHERE id = ?2"));
  update.bind_text(1, name).bind_int64(2, run_id).run();
  if (sqlite3_changes(db_) != 1) throw StoreError(path_ + ": no run " + std::to_string(run_id));
}

void Store::set_notes(int64_t run_id, const std::string& notes) {
  require_writable("edit notes");
  Statement update(db_, path_, prepare("UPDATE runs SET notes = ?1 WHERE id = ?2"));
  update.bind_text(1, notes).bind_int64(2, run_id).run();
  if (sqlite3_changes(db_) != 1) throw StoreError(path_ + ": no run " + std::to_string(run_id));
}

void Store::delete_run(int64_t run_id) {
  require_writable("delete a run");
  const auto run = run_summary(run_id);
  if (!run) throw StoreError(path_ + ": no run " + std::to_string(run_id));
  if (run->status == "running") {
    throw StoreError(path_ + ": run " + std::to_string(run_id) +
                     " is being recorded; stop it before deleting it");
  }
  detail::Transaction transaction(db_, path_);
  for (const char* table : {"tasks", "metrics", "routing", "evaluations", "checkpoints",
                            "adapted_routing", "study_runs"}) {
    Statement remove(db_, path_,
                     prepare(std::string("DELETE FROM ") + table + " WHERE run_id = ?1"));
    remove.bind_int64(1, run_id).run();
  }
  Statement remove(db_, path_, prepare("DELETE FROM runs WHERE id = ?1"));
  remove.bind_int64(1, run_id).run();
  transaction.commit();
}

}  // namespace tensorpoly::sessions
