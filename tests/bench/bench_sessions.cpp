// Speed of the sessions store (issue 5, "Speed"): metric rows inserted through the
// Recorder, a 1,000,000-row run's series loaded, 10,000 runs listed.
//   cmake --build build --target bench_sessions && build/tests/bench/bench_sessions
// Targets: >= 200,000 rows/s inserted; series of 1M rows < 1 s; 10k runs listed < 100 ms;
// the engine never waits more than a few ms in one on_step (max_on_step_ms).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "tensorpoly/sessions/recorder.h"
#include "tensorpoly/sessions/store.h"

namespace {

using namespace tensorpoly;

// CPU seconds of the whole process, writer thread included: on a shared, loaded
// machine wall time measures the neighbours as much as the store.
double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

std::filesystem::path bench_path(const std::string& name) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("tensorpoly-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / (name + ".sqlite");
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  return path;
}

RunStarted bench_run(int n_tasks) {
  RunStarted run;
  run.name = "bench";
  run.method = "tensorpoly2";
  run.config_json = "{}";
  for (int task = 0; task < n_tasks; ++task) {
    run.tasks.push_back({task, "task" + std::to_string(task), "", {}, "train"});
  }
  return run;
}

// A step as the trainer emits it: per-task loss for n_tasks tasks plus mean loss,
// lr and tokens/s.
StepMetrics bench_step(int64_t step, int n_tasks) {
  StepMetrics metrics;
  metrics.step = step;
  metrics.wall_time_s = 0.001 * static_cast<double>(step);
  for (int task = 0; task < n_tasks; ++task) {
    metrics.metrics.push_back({task, "train", "loss", 1.0 / static_cast<double>(step + task + 1)});
  }
  metrics.metrics.push_back({-1, "train", "loss", 0.5});
  metrics.metrics.push_back({-1, "train", "lr", 1e-3});
  metrics.metrics.push_back({-1, "train", "tokens_per_s", 12345.0});
  return metrics;
}

// Rows per second from the engine's call to the committed transaction (flush included),
// and how long the engine waits: the slowest single on_step call (max_on_step_ms, the
// "never blocks the engine for more than a few ms" of issue 5) and the mean one.
void BM_RecorderInsertMetrics(benchmark::State& state) {
  using Clock = std::chrono::steady_clock;
  const int n_tasks = static_cast<int>(state.range(0));
  const int64_t steps = 200000 / (n_tasks + 3);
  int64_t rows = 0;
  double cpu_seconds = 0.0;
  Clock::duration slowest_call{0};
  Clock::duration all_calls{0};
  int64_t calls = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const auto path = bench_path("insert");
    // Built outside the timed call, as the trainer builds its metrics before emitting.
    std::vector<StepMetrics> events;
    events.reserve(static_cast<size_t>(steps));
    for (int64_t step = 1; step <= steps; ++step) events.push_back(bench_step(step, n_tasks));
    state.ResumeTiming();
    const double cpu_start = process_cpu_seconds();
    sessions::Recorder recorder(path.string());
    recorder.on_run_started(bench_run(n_tasks));
    for (const StepMetrics& event : events) {
      const auto before = Clock::now();
      recorder.on_step(event);
      const auto took = Clock::now() - before;
      slowest_call = std::max(slowest_call, took);
      all_calls += took;
      ++calls;
    }
    recorder.on_run_ended({RunStatus::kFinished, steps, ""});
    cpu_seconds += process_cpu_seconds() - cpu_start;
    rows += steps * (n_tasks + 3);
  }
  state.SetItemsProcessed(rows);
  state.counters["rows_per_cpu_s"] = static_cast<double>(rows) / cpu_seconds;
  state.counters["rows"] = static_cast<double>(rows) / static_cast<double>(state.iterations());
  state.counters["max_on_step_ms"] =
      std::chrono::duration<double, std::milli>(slowest_call).count();
  state.counters["mean_on_step_us"] =
      std::chrono::duration<double, std::micro>(all_calls).count() / static_cast<double>(calls);
}
BENCHMARK(BM_RecorderInsertMetrics)->Arg(7)->Arg(37)->Unit(benchmark::kMillisecond)->UseRealTime();

// A run with 1,000,000 metric rows: 10 per-task loss series of 100,000 steps.
const std::filesystem::path& million_row_store() {
  static const std::filesystem::path path = [] {
    const auto file = bench_path("million");
    sessions::Recorder recorder(file.string());
    recorder.on_run_started(bench_run(10));
    for (int64_t step = 1; step <= 100000; ++step) {
      StepMetrics metrics;
      metrics.step = step;
      for (int task = 0; task < 10; ++task) {
        metrics.metrics.push_back({task, "train", "loss", 1.0 / static_cast<double>(step + task)});
      }
      recorder.on_step(metrics);
    }
    recorder.on_run_ended({RunStatus::kFinished, 100000, ""});
    return file;
  }();
  return path;
}

void BM_LoadSeriesOfAMillionRowRun(benchmark::State& state) {
  auto store = sessions::Store::open(million_row_store().string(), sessions::OpenMode::kReadOnly);
  sessions::SeriesQuery query{"loss", "train", std::nullopt};
  query.max_points = static_cast<size_t>(state.range(0));
  size_t points = 0;
  const double cpu_start = process_cpu_seconds();
  for (auto _ : state) {
    const auto series = store.metric_series(1, query);
    points = 0;
    for (const auto& one : series) points += one.steps.size();
    benchmark::DoNotOptimize(points);
  }
  state.counters["process_cpu_ms"] =
      1e3 * (process_cpu_seconds() - cpu_start) / static_cast<double>(state.iterations());
  state.counters["points"] = static_cast<double>(points);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1000000);
}
BENCHMARK(BM_LoadSeriesOfAMillionRowRun)->Arg(0)->Arg(2000)->Unit(benchmark::kMillisecond);

void BM_ListTenThousandRuns(benchmark::State& state) {
  const auto path = bench_path("ten-thousand");
  {
    auto store = sessions::Store::open(path.string());
    sqlite3_exec(store.handle(),
                 "BEGIN;"
                 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)"
                 " INSERT INTO runs (name, status, method, last_step, total_steps, device, notes)"
                 " SELECT 'run ' || i, CASE i % 3 WHEN 0 THEN 'finished' WHEN 1 THEN 'stopped'"
                 " ELSE 'diverged' END, 'tensorpoly2', i, 10000, 'cpu', 'some notes' FROM n;"
                 "COMMIT;",
                 nullptr, nullptr, nullptr);
  }
  auto store = sessions::Store::open(path.string(), sessions::OpenMode::kReadOnly);
  size_t count = 0;
  for (auto _ : state) {
    count = store.list_runs().size();
    benchmark::DoNotOptimize(count);
  }
  state.counters["runs"] = static_cast<double>(count);
}
BENCHMARK(BM_ListTenThousandRuns)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
