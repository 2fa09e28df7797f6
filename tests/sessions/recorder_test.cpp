// Recorder: a whole run stored and read back, live readers, back-pressure, liveness.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/sessions/recorder.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "sessions/session_test_util.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::sessions {
namespace {

using namespace std::chrono_literals;
using testing::sample_loss;
using testing::sample_routing;
using testing::sample_run;
using testing::sample_step;
using testing::temp_path;

TEST(Recorder, StoresAWholeRun) {
  const auto path = temp_path("whole-run");
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> notifications;
  RecorderOptions options;
  options.on_committed = [&](int64_t run, int64_t step) {
    std::lock_guard<std::mutex> lock(mutex);
    notifications.emplace_back(run, step);
  };
  Recorder recorder(path.string(), options);
  EXPECT_EQ(recorder.run_id(), 0);
  recorder.on_run_started(sample_run("whole"));
  const int64_t id = recorder.run_id();
  EXPECT_GT(id, 0);
  {
    // The run row and its tasks are committed when on_run_started returns.
    auto reader = Store::open(path.string(), OpenMode::kReadOnly);
    const auto runs = reader.list_runs();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].status, "running");
    EXPECT_EQ(reader.tasks(id).size(), 3u);
  }
  for (int64_t step = 1; step <= 100; ++step) {
    recorder.on_step(sample_step(step));
    if (step % 50 == 0) {
      EvalResult eval;
      eval.step = step;
      eval.wall_time_s = 1.5;
      for (int task = 0; task < 3; ++task) {
        eval.tasks.push_back(
            {task, 0.5 / static_cast<double>(step) + task, task == 1 ? -1.0 : 0.25, 0.75, 32});
      }
      recorder.on_eval(eval);
      EvalResult heldout = eval;
      heldout.split = "heldout";
      heldout.tasks.resize(1);
      recorder.on_eval(heldout);
      recorder.on_routing(sample_routing(step));
      recorder.on_checkpoint({step, "/tmp/ckpt-" + std::to_string(step) + ".pt"});
    }
  }
  StepMetrics nan_step;
  nan_step.step = 101;
  nan_step.metrics.push_back({-1, "train", "grad_norm", std::nan("")});
  recorder.on_step(nan_step);
  recorder.on_run_ended({RunStatus::kDiverged, 101, "loss is NaN"});
  EXPECT_EQ(recorder.committed_step(), 101);

  auto store = Store::open(path.string());
  const RunDetails details = store.run_details(id);
  EXPECT_EQ(details.summary.name, "whole");
  EXPECT_EQ(details.summary.status, "diverged");
  EXPECT_EQ(details.summary.method, "tensorpoly2");
  EXPECT_EQ(details.summary.last_step, 101);
  EXPECT_EQ(details.summary.total_steps, 1000);
  EXPECT_EQ(details.summary.device, "cpu");
  EXPECT_FALSE(details.summary.created_at.empty());
  EXPECT_FALSE(details.summary.finished_at.empty());
  EXPECT_EQ(details.message, "loss is NaN");
  EXPECT_EQ(details.config_json, sample_run().config_json);
  EXPECT_EQ(details.app_version, "0.1.0");
  EXPECT_EQ(details.torch_version, "1.13.1");
  EXPECT_EQ(details.seed, 7u);
  EXPECT_EQ(details.parameters.total, 1000000);
  EXPECT_EQ(details.parameters.trainable, 5000);
  EXPECT_EQ(details.parameters.router, 240);
  EXPECT_EQ(details.parameters.per_task, 1700);
  ASSERT_EQ(details.tasks.size(), 3u);
  EXPECT_EQ(details.tasks[1].name, "task1");
  EXPECT_EQ(details.tasks[1].family, "odd");
  EXPECT_EQ(details.tasks[1].skills, (std::vector<std::string>{"reverse", "upper1"}));
  EXPECT_EQ(details.tasks[2].split, "heldout");

  // Series.
  const auto keys = store.metric_keys(id);
  ASSERT_EQ(keys.size(), 6u);  // grad_norm, loss x4, lr
  EXPECT_EQ(store.metric_names(id), (std::vector<std::string>{"grad_norm", "loss", "lr"}));
  EXPECT_EQ(store.metric_splits(id), (std::vector<std::string>{"train"}));
  const auto loss = store.metric_series(id, {"loss", "train", std::nullopt});
  ASSERT_EQ(loss.size(), 4u);
  EXPECT_EQ(loss[0].key.task, -1);
  for (const auto& series : loss) {
    ASSERT_EQ(series.steps.size(), 100u);
    for (size_t i = 0; i < 100; ++i) {
      EXPECT_EQ(series.steps[i], static_cast<int64_t>(i + 1));
      EXPECT_EQ(series.values[i], sample_loss(series.steps[i], series.key.task));
      EXPECT_DOUBLE_EQ(series.wall_time_s[i], 0.01 * static_cast<double>(i + 1));
    }
  }
  const auto task2 = store.metric_series(id, {"loss", "train", 2, 90});
  ASSERT_EQ(task2.size(), 1u);
  EXPECT_EQ(task2[0].steps, (std::vector<int64_t>{91, 92, 93, 94, 95, 96, 97, 98, 99, 100}));
  const auto grad = store.metric_series(id, {"grad_norm", "train", -1});
  ASSERT_EQ(grad.size(), 1u);
  EXPECT_TRUE(std::isnan(grad[0].values.at(0)));
  const auto finals = store.final_metrics(id);
  ASSERT_EQ(finals.size(), 6u);
  EXPECT_EQ(finals[1].key, (SeriesKey{"loss", "train", -1}));
  EXPECT_EQ(finals[1].step, 100);
  EXPECT_EQ(finals[1].value, sample_loss(100, -1));

  // Evaluations.
  EXPECT_EQ(store.evaluation_splits(id), (std::vector<std::string>{"eval", "heldout"}));
  EXPECT_EQ(store.evaluation_steps(id, "eval"), (std::vector<int64_t>{50, 100}));
  const auto all = store.evaluations(id);
  EXPECT_EQ(all.size(), 8u);
  const auto at50 = store.evaluations(id, "eval", 50);
  ASSERT_EQ(at50.size(), 3u);
  EXPECT_EQ(at50[1].task_name, "task1");
  EXPECT_DOUBLE_EQ(at50[1].loss, 0.01 + 1);
  EXPECT_EQ(at50[1].exact_match, -1.0);
  EXPECT_EQ(at50[0].exact_match, 0.25);
  EXPECT_EQ(at50[0].accuracy, 0.75);
  EXPECT_EQ(at50[0].n_examples, 32);
  const auto finals_eval = store.final_evaluations(id);
  ASSERT_EQ(finals_eval.size(), 4u);
  for (const auto& row : finals_eval) EXPECT_EQ(row.step, 100);

  // Routing.
  EXPECT_EQ(store.routing_steps(id), (std::vector<int64_t>{50, 100}));
  const RoutingAtStep routing = store.routing_nearest(id, 70);
  EXPECT_EQ(routing.step, 50);
  const RoutingSnapshot expected = sample_routing(50);
  ASSERT_EQ(routing.layers.size(), 2u);
  for (size_t layer = 0; layer < 2; ++layer) {
    EXPECT_EQ(routing.layers[layer].layer, expected.layers[layer].layer);
    EXPECT_EQ(routing.layers[layer].kind, expected.layers[layer].kind);
    EXPECT_EQ(routing.layers[layer].shape, expected.layers[layer].shape);
    EXPECT_EQ(routing.layers[layer].values, expected.layers[layer].values);
  }
  EXPECT_EQ(store.routing_nearest(id, 75).step, 50);  // a tie picks the earlier
  EXPECT_EQ(store.routing_nearest(id, 76).step, 100);
  EXPECT_EQ(store.routing_nearest(id, -5).step, 50);
  EXPECT_EQ(store.routing_nearest(id, 5000).step, 100);
  EXPECT_EQ(store.routing_nearest(id + 1, 5).step, -1);

  // Checkpoints.
  const auto checkpoints = store.checkpoints(id);
  ASSERT_EQ(checkpoints.size(), 2u);
  EXPECT_EQ(checkpoints[1].step, 100);
  EXPECT_EQ(checkpoints[1].path, "/tmp/ckpt-100.pt");

  // Notifications: increasing steps of this run, ending with the last one.
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_FALSE(notifications.empty());
  for (size_t i = 0; i < notifications.size(); ++i) {
    EXPECT_EQ(notifications[i].first, id);
    if (i) {
      EXPECT_GT(notifications[i].second, notifications[i - 1].second);
    }
  }
  EXPECT_EQ(notifications.back().second, 101);
}

TEST(Recorder, LiveReaderSeesOnlyCommittedRowsThenNewOnes) {
  const auto path = temp_path("live");
  RecorderOptions options;
  options.flush_interval = 60s;  // nothing is committed until flush()
  options.flush_rows = 1000000;
  Recorder recorder(path.string(), options);
  recorder.on_run_started(sample_run());
  auto reader = Store::open(path.string());
  const int64_t id = recorder.run_id();
  for (int step = 1; step <= 20; ++step) recorder.on_step(sample_step(step));
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(reader.metric_series(id, {"loss", "train", 0}).empty());
  EXPECT_EQ(reader.run_summary(id)->last_step, 0);
  recorder.flush();
  auto series = reader.metric_series(id, {"loss", "train", 0});
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].steps.size(), 20u);
  EXPECT_EQ(reader.run_summary(id)->last_step, 20);
  for (int step = 21; step <= 30; ++step) recorder.on_step(sample_step(step));
  recorder.flush();
  series = reader.metric_series(id, {"loss", "train", 0, 20});
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].steps.front(), 21);
  EXPECT_EQ(series[0].steps.back(), 30);
  // A run whose writer is alive stays "running", even for a new read-write open.
  EXPECT_EQ(Store::open(path.string()).run_summary(id)->status, "running");
  EXPECT_EQ(reader.list_runs()[0].status, "running");
  EXPECT_THROW(reader.delete_run(id), StoreError);
  recorder.on_run_ended({RunStatus::kStopped, 30, "stopped by the user"});
  EXPECT_EQ(reader.run_summary(id)->status, "stopped");
}

TEST(Recorder, CommitsWithinTheFlushIntervalWithoutBeingAsked) {
  const auto path = temp_path("interval");
  RecorderOptions options;
  options.flush_interval = 100ms;
  Recorder recorder(path.string(), options);
  recorder.on_run_started(sample_run());
  recorder.on_step(sample_step(1));
  auto reader = Store::open(path.string(), OpenMode::kReadOnly);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (reader.run_summary(recorder.run_id())->last_step < 1 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(reader.run_summary(recorder.run_id())->last_step, 1);
  EXPECT_EQ(recorder.committed_step(), 1);
}

// The row trigger on its own: the interval is far away and nobody calls flush(), so
// only "flush_rows rows are waiting" can commit.
TEST(Recorder, CommitsOnceFlushRowsAreWaitingWithoutBeingAsked) {
  const auto path = temp_path("rows");
  RecorderOptions options;
  options.flush_interval = 60s;
  options.flush_rows = 50;
  Recorder recorder(path.string(), options);
  recorder.on_run_started(sample_run());
  const int64_t id = recorder.run_id();
  auto reader = Store::open(path.string(), OpenMode::kReadOnly);
  auto committed_rows = [&] {
    size_t rows = 0;
    for (const auto& series : reader.metric_series(id, {"loss", "train", std::nullopt})) {
      rows += series.steps.size();
    }
    return rows;
  };
  // sample_step has 5 rows (3 tasks, the mean loss, lr): 9 steps are 45 rows, below 50.
  for (int step = 1; step <= 9; ++step) recorder.on_step(sample_step(step));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(committed_rows(), 0u) << "committed before flush_rows rows were waiting";
  EXPECT_EQ(recorder.committed_step(), -1);
  recorder.on_step(sample_step(10));  // 50 rows waiting
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (reader.run_summary(id)->last_step < 10 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(reader.run_summary(id)->last_step, 10);
  EXPECT_EQ(committed_rows(), 40u);  // the 4 loss series of steps 1..10; lr is its own
  EXPECT_EQ(reader.metric_series(id, {"lr", "train", -1}).at(0).steps.size(), 10u);
  EXPECT_EQ(recorder.committed_step(), 10);
}

// An event before on_run_started belongs to no run: it is refused, not stored under
// run 0 where nobody would ever find it.
TEST(Recorder, EventsBeforeTheRunStartedAreAnError) {
  const auto path = temp_path("no-run");
  Recorder recorder(path.string());
  auto message_of = [](auto&& call) -> std::string {
    try {
      call();
    } catch (const std::logic_error& error) {
      return error.what();
    }
    return {};
  };
  EvalResult eval;
  eval.tasks.push_back({0, 1.0, -1.0, -1.0, 4});
  const std::vector<std::pair<std::string, std::function<void()>>> calls = {
      {"on_step", [&] { recorder.on_step(sample_step(1)); }},
      {"on_eval", [&] { recorder.on_eval(eval); }},
      {"on_routing", [&] { recorder.on_routing(sample_routing(1)); }},
      {"on_checkpoint",
       [&] {
         recorder.on_checkpoint({1, "/tmp/ckpt-1.pt"});
       }},
  };
  for (const auto& [name, call] : calls) {
    const std::string message = message_of(call);
    EXPECT_NE(message.find(name + " before on_run_started"), std::string::npos) << message;
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  }
  // A run that failed before it started (Experiment::run when the trainer cannot be
  // built) is reported by RunEnded alone: there is no run row to end, nothing to store.
  EXPECT_NO_THROW(recorder.on_run_ended({RunStatus::kFailed, 0, "cannot build the trainer"}));
  recorder.flush();
  EXPECT_EQ(recorder.run_id(), 0);
  // Nothing was queued: the next run gets exactly its own rows.
  recorder.on_run_started(sample_run());
  recorder.on_step(sample_step(1));
  recorder.on_run_ended({RunStatus::kFinished, 1, ""});
  auto store = Store::open(path.string(), OpenMode::kReadOnly);
  ASSERT_EQ(store.list_runs().size(), 1u);
  EXPECT_EQ(store.run_summary(recorder.run_id())->status, "finished");
  for (const char* table : {"metrics", "evaluations", "routing", "checkpoints"}) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(
        store.handle(),
        (std::string("SELECT count(*) FROM ") + table + " WHERE run_id <> ?1").c_str(), -1, &stmt,
        nullptr);
    sqlite3_bind_int64(stmt, 1, recorder.run_id());
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int64(stmt, 0), 0) << table;
    sqlite3_finalize(stmt);
  }
}

TEST(Recorder, BackPressureDropsNothing) {
  const auto path = temp_path("pressure");
  RecorderOptions options;
  options.flush_rows = 16;
  options.queue_capacity = 16;  // the producer waits for the writer most of the time
  Recorder recorder(path.string(), options);
  recorder.on_run_started(sample_run());
  for (int step = 1; step <= 5000; ++step) recorder.on_step(sample_step(step));
  recorder.on_run_ended({RunStatus::kFinished, 5000, ""});
  auto store = Store::open(path.string());
  const auto series = store.metric_series(recorder.run_id(), {"loss", "train", std::nullopt});
  ASSERT_EQ(series.size(), 4u);
  for (const auto& one : series) EXPECT_EQ(one.steps.size(), 5000u);
}

TEST(Recorder, SeveralRunsInSequenceGetTheirOwnIds) {
  const auto path = temp_path("sequence");
  Recorder recorder(path.string());
  recorder.on_run_started(sample_run("first"));
  const int64_t first = recorder.run_id();
  recorder.on_step(sample_step(1));
  recorder.on_run_ended({RunStatus::kFinished, 1, ""});
  recorder.on_run_started(sample_run("second"));
  const int64_t second = recorder.run_id();
  EXPECT_NE(first, second);
  recorder.on_step(sample_step(1));
  recorder.on_step(sample_step(2));
  recorder.close();  // without on_run_ended: the run stays "running" with no writer
  auto store = Store::open(path.string());
  EXPECT_EQ(store.run_summary(first)->status, "finished");
  EXPECT_EQ(store.run_summary(second)->status, "interrupted");
  EXPECT_EQ(store.run_summary(second)->last_step, 2);
  EXPECT_NE(store.run_details(second).message.find("stopped without ending"), std::string::npos);
}

}  // namespace
}  // namespace tensorpoly::sessions
