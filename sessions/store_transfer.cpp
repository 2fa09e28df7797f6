// Store across machines: other store files attached read-only, runs exported to a
// self-contained file and imported with new ids.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <filesystem>
#include <optional>
#include <regex>
#include <stdexcept>
#include <utility>

#include "store_internal.h"
#include "tensorpoly/limits.h"
#include "tensorpoly/sessions/schema.h"
#include "tensorpoly/sessions/store.h"
#include "transaction.h"

namespace tensorpoly::sessions {

using detail::Statement;

namespace detail {

const char* const kRunColumns =
    "name, status, method, last_step, created_at, config_json, finished_at, app_version,"
    " torch_version, device, seed, notes, total_steps, start_step, params_total,"
    " params_trainable, params_router, params_per_task, message";

namespace {

struct RunTable {
  const char* name;
  const char* columns;  // without run_id
};

const RunTable kRunTables[] = {
    {"tasks", "task_index, name, family, skills_json, split"},
    {"metrics", "name, split, task, step, value, wall_time_s"},
    {"routing", "step, layer_index, layer, kind, shape, data"},
    {"evaluations", "split, step, task, loss, exact_match, accuracy, n_examples, wall_time_s"},
    {"checkpoints", "step, path"},
    {"adapted_routing", "step, layer_index, layer, kind, shape, data"},
    {"study_runs", "study, method, seed"},
};

// Copies the rows of run ?2 in `table` of schema `source` to run ?1 in schema `target`.
std::string copy_rows_sql(const RunTable& table, const std::string& source,
                          const std::string& target) {
  return "INSERT INTO " + target + "." + table.name + " (run_id, " + table.columns +
         ") SELECT ?1, " + table.columns + " FROM " + source + "." + table.name +
         " WHERE run_id = ?2";
}

}  // namespace

int64_t copy_run(sqlite3* db, const std::string& path, const std::string& from,
                 const std::string& to, int64_t source_id, bool keep_id) {
  const std::string source = quoted(from), target = quoted(to);
  int64_t target_id = source_id;
  if (keep_id) {
    Statement insert(db, path,
                     "INSERT INTO " + target + ".runs (id, " + kRunColumns + ") SELECT id, " +
                         kRunColumns + " FROM " + source + ".runs WHERE id = ?1");
    insert.bind_int64(1, source_id).run();
  } else {
    Statement insert(db, path,
                     "INSERT INTO " + target + ".runs (" + kRunColumns + ") SELECT " + kRunColumns +
                         " FROM " + source + ".runs WHERE id = ?1");
    insert.bind_int64(1, source_id).run();
    target_id = sqlite3_last_insert_rowid(db);
  }
  if (sqlite3_changes(db) != 1) {
    throw StoreError(path + ": no run " + std::to_string(source_id) + " to copy");
  }
  for (const auto& table : kRunTables) {
    Statement insert(db, path, copy_rows_sql(table, source, target));
    insert.bind_int64(1, target_id).bind_int64(2, source_id).run();
  }
  return target_id;
}

}  // namespace detail

namespace {

bool same_file(const std::string& a, const std::string& b) {
  std::error_code error;
  return std::filesystem::equivalent(a, b, error) && !error;
}

// Refuses a file whose schema `schema` on `db` is not this build's version.
void require_current_version(sqlite3* db, const std::string& file, const std::string& schema) {
  const int version = detail::read_schema_version(db, file, schema);
  if (version == 0) {
    throw StoreError(file +
                     ": is not a TensorPoly store (user_version 0: an empty database or "
                     "another program's)");
  }
  if (version != kSchemaVersion) {
    throw StoreError(file + ": schema version " + std::to_string(version) +
                     (version > kSchemaVersion
                          ? " is newer than this build supports; use a newer TensorPoly Studio"
                          : " is older than " + std::to_string(kSchemaVersion) +
                                "; open it once read-write with this version to upgrade it"));
  }
}

// Attaches `file` read-only as `name` on `db` and checks its schema version.
void attach_read_only(sqlite3* db, const std::string& path, const std::string& file,
                      const std::string& name) {
  const detail::FileCheck check = detail::check_store_file(file);
  if (!check.exists) throw StoreError(file + ": cannot attach: no such file");
  {
    Statement attach(db, path, "ATTACH DATABASE ?1 AS " + detail::quoted(name));
    attach.bind_text(1, detail::file_uri(file, true));
    try {
      attach.run();
    } catch (const StoreError& error) {
      throw StoreError(file + ": cannot attach: " + error.what());
    }
  }
  try {
    require_current_version(db, file, name);
  } catch (...) {
    sqlite3_exec(db, ("DETACH DATABASE " + detail::quoted(name)).c_str(), nullptr, nullptr,
                 nullptr);
    throw;
  }
}

// The number of rows a query counts (its first column).
int64_t count_rows(sqlite3* db, const std::string& file, const std::string& sql) {
  Statement count(db, file, sql);
  return detail::read_first_row(count, [](const Statement& row) { return row.int64(0); })
      .value_or(0);
}

// Every row of schema `schema` (a store file being imported, named `file`) is checked
// before anything is copied: the file's integrity, each run's status and steps, the
// steps and counts of its rows, and each routing matrix's shape against its kind and
// its bytes. Throws StoreError naming `file` and the row.
void validate_import_source(sqlite3* db, const std::string& file, const std::string& schema) {
  const std::string s = detail::quoted(schema);
  {
    Statement check(db, file, "PRAGMA " + s + ".quick_check");
    std::string problems;
    detail::for_each_row(check, [&](const Statement& row) {
      problems += (problems.empty() ? "" : "; ") + row.text(0);
    });
    if (problems != "ok") {
      throw StoreError(file + ": damaged (quick_check: " + problems.substr(0, 300) +
                       "); nothing was imported");
    }
  }
  Statement runs(db, file,
                 "SELECT id, status, last_step, total_steps, start_step FROM " + s + ".runs");
  detail::for_each_row(runs, [&](const Statement& row) {
    const std::string where = file + ": run " + std::to_string(row.int64(0));
    try {
      parse_run_status(row.text(1));
    } catch (const std::invalid_argument& error) {
      throw StoreError(where + ": " + error.what());
    }
    const char* const columns[] = {"last_step", "total_steps", "start_step"};
    for (int column = 0; column < 3; ++column) {
      if (row.int64(2 + column) < 0) {
        throw StoreError(where + ": " + columns[column] + " " +
                         std::to_string(row.int64(2 + column)) + " is negative");
      }
    }
  });
  const std::pair<const char*, const char*> negative[] = {
      {"tasks", "task_index < 0"},
      {"metrics", "step < 0"},
      {"evaluations", "step < 0 OR n_examples < 0"},
      {"checkpoints", "step < 0"},
      {"routing", "step < 0 OR layer_index < 0"},
  };
  for (const auto& [table, condition] : negative) {
    const int64_t bad =
        count_rows(db, file, "SELECT count(*) FROM " + s + "." + table + " WHERE " + condition);
    if (bad > 0) {
      throw StoreError(file + ": " + std::to_string(bad) + " row(s) of table " + table + " with " +
                       condition + "; nothing was imported");
    }
  }
  Statement routing(db, file,
                    "SELECT layer, kind, shape, data, run_id, step FROM " + s + ".routing");
  detail::for_each_row(routing, [&](const Statement& row) {
    const std::string where = file + ": run " + std::to_string(row.int64(4)) +
                              ", routing at step " + std::to_string(row.int64(5));
    const RoutingMatrix matrix = detail::read_routing_matrix(row, where);
    try {
      check_routing_matrix(matrix);
    } catch (const std::invalid_argument& error) {
      throw StoreError(where + ": " + error.what());
    }
  });
}

// The id in main of the same run as run `source_id` of schema `schema`, imported before:
// same name, method, creation time, config, seed, steps and end, and the same metric
// rows (their count, and the sum of their values and wall times). A run that was still "running" in
// the file was marked interrupted when it was imported, which gave it an end time.
std::optional<int64_t> imported_before(sqlite3* db, const std::string& path,
                                       const std::string& schema, int64_t source_id) {
  const std::string s = detail::quoted(schema);
  Statement same(db, path,
                 "SELECT m.id FROM main.runs m, " + s +
                     ".runs r WHERE r.id = ?1 AND m.name = r.name AND m.method = r.method"
                     " AND m.created_at = r.created_at AND m.config_json = r.config_json"
                     " AND m.seed = r.seed AND m.total_steps = r.total_steps"
                     " AND m.start_step = r.start_step AND m.last_step = r.last_step"
                     " AND (m.finished_at = r.finished_at OR"
                     "      (r.status = 'running' AND m.status = 'interrupted'))"
                     " AND (SELECT count(*) FROM main.metrics WHERE run_id = m.id) ="
                     "     (SELECT count(*) FROM " +
                     s +
                     ".metrics WHERE run_id = r.id)"
                     " AND (SELECT total(value) FROM main.metrics WHERE run_id = m.id) ="
                     "     (SELECT total(value) FROM " +
                     s +
                     ".metrics WHERE run_id = r.id)"
                     " LIMIT 1");
  same.bind_int64(1, source_id);
  return detail::read_first_row(same, [](const Statement& row) { return row.int64(0); });
}

}  // namespace

std::string Store::attach(const std::string& path, const std::string& name) {
  std::string alias = name;
  if (alias.empty()) {
    for (int n = 1; alias.empty() || attached_.count(alias); ++n) alias = "db" + std::to_string(n);
  }
  static const std::regex identifier("[A-Za-z_][A-Za-z0-9_]*");
  if (!std::regex_match(alias, identifier) || alias == "main" || alias == "temp") {
    throw StoreError(path + ": cannot attach as '" + alias +
                     "': the name must be an identifier other than main and temp");
  }
  if (attached_.count(alias)) {
    throw StoreError(path + ": cannot attach as '" + alias + "': that name is taken by " +
                     attached_.at(alias));
  }
  if (same_file(path, path_)) throw StoreError(path + ": is already open as the main database");
  for (const auto& entry : attached_) {
    if (same_file(path, entry.second)) {
      throw StoreError(path + ": is already attached as '" + entry.first + "'");
    }
  }
  attach_read_only(db_, path_, path, alias);
  attached_[alias] = path;
  return alias;
}

void Store::detach(const std::string& name) {
  if (!attached_.count(name))
    throw StoreError(path_ + ": no attached database named '" + name + "'");
  statements_->clear();  // statements may refer to its tables
  detail::exec(db_, path_, "DETACH DATABASE " + detail::quoted(name));
  attached_.erase(name);
}

std::map<std::string, std::string> Store::attached() const { return attached_; }

void Store::export_run(const RunRef& run, const std::string& out_path) const {
  const std::string source = database_file(run.database);
  if (!run_summary(run)) throw StoreError(source + ": no run " + std::to_string(run.id));
  if (std::filesystem::exists(out_path)) {
    throw StoreError(out_path + ": already exists; choose a new file to export to");
  }
  try {
    Store out = Store::open(out_path);
    attach_read_only(out.db_, out_path, source, "source");
    {
      detail::Transaction transaction(out.db_, out_path);
      detail::copy_run(out.db_, out_path, "source", "main", run.id, true);
      transaction.commit();
    }
    detail::exec(out.db_, out_path, "DETACH DATABASE source");
    // One file, no -wal beside it: easy to copy to another machine.
    detail::exec(out.db_, out_path, "PRAGMA journal_mode=DELETE");
  } catch (...) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::error_code ignored;
      std::filesystem::remove(out_path + suffix, ignored);
    }
    throw;
  }
}

void Store::check_import_source(const std::string& path) {
  const detail::FileCheck check = detail::check_store_file(path);
  if (!check.exists) throw StoreError(path + ": cannot import: no such file");
  sqlite3* db = detail::open_connection(path, true);
  try {
    require_current_version(db, path, "main");
    validate_import_source(db, path, "main");
  } catch (...) {
    sqlite3_close(db);
    throw;
  }
  sqlite3_close(db);
}

std::vector<int64_t> Store::import_runs(const std::string& path, std::vector<int64_t>* present) {
  require_writable("import runs");
  if (same_file(path, path_)) throw StoreError(path + ": cannot import a store into itself");
  statements_->clear();
  attach_read_only(db_, path_, path, "import_source");
  std::vector<int64_t> ids;
  try {
    validate_import_source(db_, path, "import_source");
    Statement rows(db_, path, "SELECT id FROM import_source.runs ORDER BY id");
    const auto source_ids =
        detail::read_rows(rows, [](const Statement& row) { return row.int64(0); });
    detail::Transaction transaction(db_, path_);
    for (int64_t id : source_ids) {
      if (const auto existing = imported_before(db_, path_, "import_source", id)) {
        if (present) present->push_back(*existing);
        continue;
      }
      ids.push_back(detail::copy_run(db_, path_, "import_source", "main", id, false));
    }
    transaction.commit();
  } catch (...) {
    sqlite3_exec(db_, "DETACH DATABASE import_source", nullptr, nullptr, nullptr);
    throw;
  }
  detail::exec(db_, path_, "DETACH DATABASE import_source");
  // A run exported while it was recorded has no writer here.
  detail::mark_interrupted_runs(db_, path_);
  return ids;
}

}  // namespace tensorpoly::sessions
