// Store: metric series (with extreme-keeping downsampling), routing snapshots and
// evaluation tables — the queries the UI draws from, for live and saved runs alike.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <tuple>

#include "store_internal.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::sessions {

using detail::for_each_row;
using detail::read_first_row;
using detail::read_routing_matrix;
using detail::read_rows;
using detail::Statement;

bool SeriesKey::operator<(const SeriesKey& other) const {
  return std::tie(name, split, task) < std::tie(other.name, other.split, other.task);
}

bool SeriesKey::operator==(const SeriesKey& other) const {
  return std::tie(name, split, task) == std::tie(other.name, other.split, other.task);
}

namespace {

// Keeps the first and last points and, in (max_points - 2) / 2 equal step ranges
// between them, the minimum and the maximum value (in step order).
void downsample(MetricSeries& series, size_t max_points) {
  const size_t n = series.steps.size();
  if (max_points == 0 || n <= max_points) return;
  std::vector<size_t> keep;
  if (max_points == 1) {
    keep.push_back(n - 1);
  } else {
    const size_t buckets = (max_points - 2) / 2;
    keep.push_back(0);
    const double first = static_cast<double>(series.steps.front());
    const double span = static_cast<double>(series.steps.back()) - first;
    size_t i = 1;
    for (size_t bucket = 0; bucket < buckets && i < n - 1; ++bucket) {
      const double end =
          first + span * static_cast<double>(bucket + 1) / static_cast<double>(buckets);
      size_t lowest = n, highest = n, start = i;
      for (; i < n - 1 && (bucket + 1 == buckets || static_cast<double>(series.steps[i]) < end);
           ++i) {
        const double value = series.values[i];
        if (std::isnan(value)) continue;
        if (lowest == n || value < series.values[lowest]) lowest = i;
        if (highest == n || value > series.values[highest]) highest = i;
      }
      if (i == start) continue;  // empty bucket
      if (lowest == n) {         // only NaN in this bucket: keep one
        keep.push_back(start);
        continue;
      }
      keep.push_back(std::min(lowest, highest));
      if (lowest != highest) keep.push_back(std::max(lowest, highest));
    }
    keep.push_back(n - 1);
  }
  MetricSeries out;
  out.key = series.key;
  for (size_t index : keep) {
    out.steps.push_back(series.steps[index]);
    out.values.push_back(series.values[index]);
    out.wall_time_s.push_back(series.wall_time_s[index]);
  }
  series = std::move(out);
}

}  // namespace

namespace detail {

RoutingMatrix read_routing_matrix(const Statement& row, const std::string& snapshot) {
  RoutingMatrix matrix;
  matrix.layer = row.text(0);
  const std::string where = snapshot + ", layer '" + matrix.layer + "'";
  try {
    matrix.kind = parse_routing_kind(row.text(1));
  } catch (const std::exception& error) {
    throw StoreError(where + ": " + error.what());
  }
  const std::string shape_text = row.text(2);
  const auto shape = nlohmann::json::parse(shape_text, nullptr, false);
  if (!shape.is_array()) throw StoreError(where + ": shape is not a JSON array");
  const auto* data = sqlite3_column_blob(row.get(), 3);
  const auto bytes = static_cast<size_t>(sqlite3_column_bytes(row.get(), 3));
  const size_t stored = bytes / sizeof(float);
  const bool valid = std::all_of(shape.begin(), shape.end(), [](const nlohmann::json& extent) {
    return extent.is_number_integer() && extent.get<int64_t>() >= 0;
  });
  if (!valid) throw StoreError(where + ": bad shape " + shape_text);
  size_t count = 1;
  bool empty = false, too_large = false;
  for (const auto& extent : shape) {
    matrix.shape.push_back(extent.get<int64_t>());
    const auto size = static_cast<uint64_t>(matrix.shape.back());
    if (size == 0) {
      empty = true;
    } else if (too_large || count > stored / size) {
      too_large = true;  // more values than stored: a mismatch, found before it overflows
    } else {
      count *= static_cast<size_t>(size);
    }
  }
  if (empty) count = 0;
  if ((too_large && !empty) || bytes != count * sizeof(float)) {
    throw StoreError(where + ": " + std::to_string(bytes) + " bytes of values for shape " +
                     shape_text);
  }
  matrix.values.resize(count);
  if (bytes) std::memcpy(matrix.values.data(), data, bytes);
  return matrix;
}

}  // namespace detail

std::vector<SeriesKey> Store::metric_keys(const RunRef& run) const {
  database_file(run.database);
  const std::string table = detail::quoted(run.database) + ".metrics";
  // Hop from key to key along the primary key instead of scanning every step.
  Statement first(db_, path_,
                  prepare("SELECT name, split, task FROM " + table +
                          " WHERE run_id = ?1 ORDER BY name, split, task LIMIT 1"));
  first.bind_int64(1, run.id);
  std::vector<SeriesKey> keys;
  auto read_key = [](const Statement& row) {
    return SeriesKey{row.text(0), row.text(1), static_cast<int>(row.int64(2))};
  };
  Statement next(db_, path_,
                 prepare("SELECT name, split, task FROM " + table +
                         " WHERE run_id = ?1 AND (name, split, task) > (?2, ?3, ?4)"
                         " ORDER BY name, split, task LIMIT 1"));
  for (auto key = read_first_row(first, read_key); key; key = read_first_row(next, read_key)) {
    keys.push_back(std::move(*key));
    const SeriesKey& last = keys.back();
    next.bind_int64(1, run.id).bind_text(2, last.name).bind_text(3, last.split);
    next.bind_int64(4, last.task);
  }
  return keys;
}

std::vector<std::string> Store::metric_names(const RunRef& run) const {
  std::vector<std::string> names;
  for (const auto& key : metric_keys(run)) {
    if (names.empty() || names.back() != key.name) names.push_back(key.name);
  }
  return names;
}

std::vector<std::string> Store::metric_splits(const RunRef& run) const {
  std::vector<std::string> splits;
  for (const auto& key : metric_keys(run)) splits.push_back(key.split);
  std::sort(splits.begin(), splits.end());
  splits.erase(std::unique(splits.begin(), splits.end()), splits.end());
  return splits;
}

std::vector<MetricSeries> Store::metric_series(const RunRef& run, const SeriesQuery& query) const {
  database_file(run.database);
  std::string sql = "SELECT task, step, value, wall_time_s FROM " + detail::quoted(run.database) +
                    ".metrics WHERE run_id = ?1 AND name = ?2 AND split = ?3 AND step > ?4";
  if (query.task) sql += " AND task = ?5";
  sql += " ORDER BY task, step";
  Statement rows(db_, path_, prepare(sql));
  rows.bind_int64(1, run.id).bind_text(2, query.name).bind_text(3, query.split);
  rows.bind_int64(4, query.after_step);
  if (query.task) rows.bind_int64(5, *query.task);
  std::vector<MetricSeries> result;
  for_each_row(rows, [&](const Statement& row) {
    const int task = static_cast<int>(row.int64(0));
    if (result.empty() || result.back().key.task != task) {
      result.push_back(MetricSeries{SeriesKey{query.name, query.split, task}, {}, {}, {}});
    }
    MetricSeries& series = result.back();
    series.steps.push_back(row.int64(1));
    series.values.push_back(row.real(2));
    series.wall_time_s.push_back(row.real(3));
  });
  for (auto& series : result) downsample(series, query.max_points);
  return result;
}

std::vector<MetricValue> Store::final_metrics(const RunRef& run) const {
  std::vector<MetricValue> result;
  Statement last(db_, path_,
                 prepare("SELECT step, value FROM " + detail::quoted(run.database) +
                         ".metrics WHERE run_id = ?1 AND name = ?2 AND split = ?3 AND task = ?4"
                         " ORDER BY step DESC LIMIT 1"));
  for (const auto& key : metric_keys(run)) {
    last.bind_int64(1, run.id).bind_text(2, key.name).bind_text(3, key.split);
    last.bind_int64(4, key.task);
    const auto value = read_first_row(last, [&](const Statement& row) {
      return MetricValue{key, row.int64(0), row.real(1)};
    });
    if (value) result.push_back(*value);
  }
  return result;
}

// --- Routing -------------------------------------------------------------------

std::vector<int64_t> Store::routing_steps(const RunRef& run) const {
  database_file(run.database);
  Statement rows(db_, path_,
                 prepare("SELECT DISTINCT step FROM " + detail::quoted(run.database) +
                         ".routing WHERE run_id = ?1 ORDER BY step"));
  rows.bind_int64(1, run.id);
  return read_rows(rows, [](const Statement& row) { return row.int64(0); });
}

RoutingAtStep Store::routing_nearest(const RunRef& run, int64_t step) const {
  const std::string file = database_file(run.database);
  const std::string table = detail::quoted(run.database) + ".routing";
  auto probe = [&](const std::string& sql) -> std::optional<int64_t> {
    Statement row(db_, path_, prepare(sql));
    row.bind_int64(1, run.id).bind_int64(2, step);
    // max()/min() over no rows is one row holding NULL.
    return read_first_row(row,
                          [](const Statement& found) {
                            return found.is_null(0) ? std::nullopt
                                                    : std::optional<int64_t>(found.int64(0));
                          })
        .value_or(std::nullopt);
  };
  const auto before = probe("SELECT max(step) FROM " + table + " WHERE run_id = ?1 AND step <= ?2");
  const auto after = probe("SELECT min(step) FROM " + table + " WHERE run_id = ?1 AND step >= ?2");
  RoutingAtStep result;
  if (!before && !after) return result;
  if (before && after) {
    result.step = (step - *before <= *after - step) ? *before : *after;
  } else {
    result.step = before ? *before : *after;
  }
  Statement rows(db_, path_,
                 prepare("SELECT layer, kind, shape, data FROM " + table +
                         " WHERE run_id = ?1 AND step = ?2 ORDER BY layer_index"));
  rows.bind_int64(1, run.id).bind_int64(2, result.step);
  const std::string where =
      file + ": run " + std::to_string(run.id) + ", routing at step " + std::to_string(result.step);
  result.layers =
      read_rows(rows, [&](const Statement& row) { return read_routing_matrix(row, where); });
  return result;
}

RoutingAtStep Store::adapted_routing(const RunRef& run) const {
  const std::string file = database_file(run.database);
  Statement rows(
      db_, path_,
      prepare("SELECT layer, kind, shape, data, step FROM " + detail::quoted(run.database) +
              ".adapted_routing WHERE run_id = ?1 ORDER BY layer_index"));
  rows.bind_int64(1, run.id);
  const std::string where = file + ": run " + std::to_string(run.id) + ", adapted routing";
  RoutingAtStep result;
  for_each_row(rows, [&](const Statement& row) {
    result.step = row.int64(4);
    result.layers.push_back(read_routing_matrix(row, where));
  });
  return result;
}

// --- Evaluation ------------------------------------------------------------------

std::vector<std::string> Store::evaluation_splits(const RunRef& run) const {
  database_file(run.database);
  Statement rows(db_, path_,
                 prepare("SELECT DISTINCT split FROM " + detail::quoted(run.database) +
                         ".evaluations WHERE run_id = ?1 ORDER BY split"));
  rows.bind_int64(1, run.id);
  return read_rows(rows, [](const Statement& row) { return row.text(0); });
}

std::vector<int64_t> Store::evaluation_steps(const RunRef& run, const std::string& split) const {
  database_file(run.database);
  Statement rows(db_, path_,
                 prepare("SELECT DISTINCT step FROM " + detail::quoted(run.database) +
                         ".evaluations WHERE run_id = ?1 AND split = ?2 ORDER BY step"));
  rows.bind_int64(1, run.id).bind_text(2, split);
  return read_rows(rows, [](const Statement& row) { return row.int64(0); });
}

std::vector<EvaluationRow> Store::evaluations(const RunRef& run, const std::string& split,
                                              std::optional<int64_t> step,
                                              std::optional<int64_t> after_step) const {
  database_file(run.database);
  const std::string schema = detail::quoted(run.database);
  std::string sql =
      "SELECT e.step, e.split, e.task, coalesce(t.name, ''), e.loss, e.exact_match, e.accuracy,"
      " e.n_examples, e.wall_time_s FROM " +
      schema + ".evaluations e LEFT JOIN " + schema +
      ".tasks t ON t.run_id = e.run_id AND t.task_index = e.task WHERE e.run_id = ?1";
  if (!split.empty()) sql += " AND e.split = ?2";
  if (step) sql += " AND e.step = ?3";
  if (after_step) sql += " AND e.step > ?4";
  sql += " ORDER BY e.split, e.step, e.task";
  Statement rows(db_, path_, prepare(sql));
  rows.bind_int64(1, run.id);
  if (!split.empty()) rows.bind_text(2, split);
  if (step) rows.bind_int64(3, *step);
  if (after_step) rows.bind_int64(4, *after_step);
  return read_rows(rows, [](const Statement& row) {
    EvaluationRow evaluation;
    evaluation.step = row.int64(0);
    evaluation.split = row.text(1);
    evaluation.task = static_cast<int>(row.int64(2));
    evaluation.task_name = row.text(3);
    evaluation.loss = row.real(4);
    evaluation.exact_match = row.real(5);
    evaluation.accuracy = row.real(6);
    evaluation.n_examples = row.int64(7);
    evaluation.wall_time_s = row.real(8);
    return evaluation;
  });
}

std::vector<EvaluationRow> Store::final_evaluations(const RunRef& run) const {
  std::vector<EvaluationRow> result;
  for (const auto& split : evaluation_splits(run)) {
    const auto steps = evaluation_steps(run, split);
    if (steps.empty()) continue;
    auto rows = evaluations(run, split, steps.back());
    result.insert(result.end(), rows.begin(), rows.end());
  }
  return result;
}

}  // namespace tensorpoly::sessions
