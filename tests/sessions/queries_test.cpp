// Store queries for the UI: filters, downsampling that keeps extremes, edits.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>

#include "sessions/session_test_util.h"
#include "tensorpoly/sessions/recorder.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::sessions {
namespace {

using testing::sample_routing;
using testing::sample_run;
using testing::sample_step;
using testing::temp_path;

int64_t record(Recorder& recorder, const std::string& name, const std::string& method,
               RunStatus status, int steps) {
  RunStarted run = sample_run(name);
  run.method = method;
  recorder.on_run_started(run);
  for (int step = 1; step <= steps; ++step) recorder.on_step(sample_step(step));
  recorder.on_routing(sample_routing(steps));
  EvalResult eval;
  eval.step = steps;
  eval.tasks.push_back({0, 1.0, 0.5, -1.0, 10});
  recorder.on_eval(eval);
  recorder.on_checkpoint({steps, "ckpt"});
  recorder.on_run_ended({status, steps, ""});
  return recorder.run_id();
}

int64_t count_rows(Store& store, const std::string& table, int64_t run_id) {
  sqlite3_stmt* stmt = nullptr;
  const std::string column = table == "runs" ? "id" : "run_id";
  sqlite3_prepare_v2(store.handle(),
                     ("SELECT count(*) FROM " + table + " WHERE " + column + " = ?").c_str(), -1,
                     &stmt, nullptr);
  sqlite3_bind_int64(stmt, 1, run_id);
  sqlite3_step(stmt);
  const int64_t count = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  return count;
}

TEST(Queries, FiltersRunsByNameMethodStatusAndText) {
  const auto path = temp_path("filter");
  {
    Recorder recorder(path.string());
    record(recorder, "Alpha sweep", "poly", RunStatus::kFinished, 3);
    record(recorder, "beta", "tensorpoly2", RunStatus::kDiverged, 3);
    record(recorder, "gamma ALPHA", "lora", RunStatus::kStopped, 3);
  }
  auto store = Store::open(path.string());
  auto names = [&](const RunFilter& filter) {
    std::vector<std::string> result;
    for (const auto& run : store.list_runs(filter)) result.push_back(run.name);
    return result;
  };
  EXPECT_EQ(names({}), (std::vector<std::string>{"gamma ALPHA", "beta", "Alpha sweep"}));
  EXPECT_EQ(names({"", "alpha"}), (std::vector<std::string>{"gamma ALPHA", "Alpha sweep"}));
  EXPECT_EQ(names({"", "", "POLY"}), (std::vector<std::string>{"beta", "Alpha sweep"}));
  EXPECT_EQ(names({"", "", "", "diverg"}), (std::vector<std::string>{"beta"}));
  EXPECT_EQ(names({"lora"}), (std::vector<std::string>{"gamma ALPHA"}));
  EXPECT_EQ(names({"stopped"}), (std::vector<std::string>{"gamma ALPHA"}));
  store.set_notes(2, "the good one");
  EXPECT_EQ(names({"GOOD"}), (std::vector<std::string>{"beta"}));
  EXPECT_TRUE(names({"nothing like it"}).empty());
  const auto runs = store.list_runs();
  EXPECT_EQ(runs[0].database, "main");
  EXPECT_EQ(runs[0].source, path.string());
}

TEST(Queries, DownsamplingKeepsExtremesFirstAndLast) {
  const auto path = temp_path("downsample");
  Recorder recorder(path.string());
  recorder.on_run_started(sample_run());
  for (int64_t step = 0; step < 10000; ++step) {
    StepMetrics metrics;
    metrics.step = step;
    double value = std::sin(static_cast<double>(step) * 0.01);
    if (step == 4321) value = 50.0;   // a spike
    if (step == 7777) value = -50.0;  // a dip
    metrics.metrics.push_back({-1, "train", "loss", value});
    recorder.on_step(metrics);
  }
  recorder.flush();
  auto store = Store::open(path.string(), OpenMode::kReadOnly);
  const auto full = store.metric_series(recorder.run_id(), {"loss", "train", -1});
  ASSERT_EQ(full.at(0).steps.size(), 10000u);
  for (size_t max_points : {100u, 11u, 4u, 2u, 1u}) {
    SCOPED_TRACE(max_points);
    SeriesQuery query{"loss", "train", -1};
    query.max_points = max_points;
    const auto series = store.metric_series(recorder.run_id(), query).at(0);
    ASSERT_LE(series.steps.size(), max_points);
    ASSERT_EQ(series.values.size(), series.steps.size());
    EXPECT_TRUE(std::is_sorted(series.steps.begin(), series.steps.end()));
    EXPECT_EQ(series.steps.back(), 9999);
    if (max_points >= 2) {
      EXPECT_EQ(series.steps.front(), 0);
    }
    if (max_points >= 4) {
      EXPECT_EQ(*std::max_element(series.values.begin(), series.values.end()), 50.0);
      EXPECT_EQ(*std::min_element(series.values.begin(), series.values.end()), -50.0);
    }
    for (size_t i = 0; i < series.steps.size(); ++i) {  // real points, not averages
      EXPECT_EQ(series.values[i], full[0].values[static_cast<size_t>(series.steps[i])]);
    }
  }
  SeriesQuery query{"loss", "train", -1};
  query.max_points = 100;
  const auto series = store.metric_series(recorder.run_id(), query).at(0);
  EXPECT_GE(series.steps.size(), 90u);  // most buckets contribute two points
}

TEST(Queries, RenameNotesAndDeleteWithAllRows) {
  const auto path = temp_path("edit");
  int64_t keep = 0, remove = 0;
  {
    Recorder recorder(path.string());
    keep = record(recorder, "keep", "poly", RunStatus::kFinished, 20);
    remove = record(recorder, "remove", "poly", RunStatus::kFinished, 20);
  }
  auto store = Store::open(path.string());
  store.rename_run(keep, "kept and renamed");
  store.set_notes(keep, "notes\nwith two lines");
  EXPECT_EQ(store.run_summary(keep)->name, "kept and renamed");
  EXPECT_EQ(store.run_summary(keep)->notes, "notes\nwith two lines");
  EXPECT_THROW(store.rename_run(999, "x"), StoreError);
  EXPECT_THROW(store.delete_run(999), StoreError);

  const char* tables[] = {"runs", "tasks", "metrics", "routing", "evaluations", "checkpoints"};
  for (const char* table : tables) EXPECT_GT(count_rows(store, table, remove), 0) << table;
  store.delete_run(remove);
  for (const char* table : tables) {
    EXPECT_EQ(count_rows(store, table, remove), 0) << table;
    EXPECT_GT(count_rows(store, table, keep), 0) << table;
  }
  EXPECT_EQ(store.list_runs().size(), 1u);
  EXPECT_FALSE(store.run_summary(remove));
  EXPECT_THROW(store.run_details(remove), StoreError);
}

TEST(Queries, EvaluationsAfterAStepReturnOnlyLaterRows) {
  const auto path = temp_path("eval-after");
  Recorder recorder(path.string());
  recorder.on_run_started(sample_run());
  const int64_t id = recorder.run_id();
  auto eval_at = [&](int64_t step, const std::string& split) {
    EvalResult eval;
    eval.step = step;
    eval.split = split;
    for (int task = 0; task < 3; ++task) {
      eval.tasks.push_back({task, static_cast<double>(step) + task, -1.0, -1.0, 8});
    }
    recorder.on_eval(eval);
  };
  for (int64_t step : {0, 50, 100}) eval_at(step, "eval");
  eval_at(100, "heldout");
  recorder.flush();

  auto store = Store::open(path.string(), OpenMode::kReadOnly);
  auto steps_of = [](const std::vector<EvaluationRow>& rows) {
    std::vector<int64_t> steps;
    for (const auto& row : rows) steps.push_back(row.step);
    return steps;
  };
  // Default: every row, step 0 included.
  EXPECT_EQ(steps_of(store.evaluations(id, "eval")),
            (std::vector<int64_t>{0, 0, 0, 50, 50, 50, 100, 100, 100}));
  EXPECT_EQ(steps_of(store.evaluations(id, "eval", std::nullopt, 0)),
            (std::vector<int64_t>{50, 50, 50, 100, 100, 100}));
  EXPECT_EQ(steps_of(store.evaluations(id, "eval", std::nullopt, 50)),
            (std::vector<int64_t>{100, 100, 100}));
  EXPECT_TRUE(store.evaluations(id, "eval", std::nullopt, 100).empty());
  // Every split, strictly after the step; combined with an exact step.
  const auto later = store.evaluations(id, "", std::nullopt, 99);
  ASSERT_EQ(later.size(), 6u);
  EXPECT_EQ(later[0].split, "eval");
  EXPECT_EQ(later[3].split, "heldout");
  EXPECT_DOUBLE_EQ(later[4].loss, 101.0);
  EXPECT_EQ(store.evaluations(id, "eval", 50, 0).size(), 3u);
  EXPECT_TRUE(store.evaluations(id, "eval", 50, 50).empty());

  // Live deltas: a reader that passes its last step sees exactly the new rows.
  eval_at(150, "eval");
  recorder.flush();
  EXPECT_EQ(steps_of(store.evaluations(id, "eval", std::nullopt, 100)),
            (std::vector<int64_t>{150, 150, 150}));
}

// The shape of a stored routing matrix comes from the file: one whose element count
// overflows 64 bits must not pass for an empty matrix.
TEST(Queries, RoutingWhoseShapeDoesNotMatchItsBytesIsAnErrorNamingTheFile) {
  const auto path = temp_path("routing-shape");
  int64_t id = 0;
  {
    Recorder recorder(path.string());
    id = record(recorder, "shaped", "poly", RunStatus::kFinished, 3);
  }
  auto store = Store::open(path.string());
  auto set_layer0 = [&](const std::string& shape, const std::string& data) {
    testing::raw_exec(store.handle(), "UPDATE routing SET shape = '" + shape + "', data = " + data +
                                          " WHERE layer_index = 0");
  };
  set_layer0("[4294967296, 4294967296]", "x''");  // 2^64 elements: wraps to 0
  std::string message = testing::error_of([&] { store.routing_nearest(id, 3); });
  EXPECT_EQ(message.rfind(path.string() + ": run " + std::to_string(id), 0), 0u) << message;
  EXPECT_NE(message.find("0 bytes of values for shape [4294967296, 4294967296]"), std::string::npos)
      << message;
  set_layer0("[2, 3]", "x'0000803f'");  // one float for six
  message = testing::error_of([&] { store.routing_nearest(id, 3); });
  EXPECT_NE(message.find("4 bytes of values for shape [2, 3]"), std::string::npos) << message;
  set_layer0("[4294967296, 0]", "x''");  // no elements, none stored
  const auto routing = store.routing_nearest(id, 3);
  ASSERT_EQ(routing.layers.size(), 2u);
  EXPECT_EQ(routing.layers[0].shape, (std::vector<int64_t>{4294967296, 0}));
  EXPECT_TRUE(routing.layers[0].values.empty());
}

}  // namespace
}  // namespace tensorpoly::sessions
