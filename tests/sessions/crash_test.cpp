// Crash safety: a child process records a run and is killed with SIGKILL mid-run.
// Everything it reported as committed must be there, whole, and the run must read
// as "interrupted". Run it in a loop: --gtest_filter=Recorder.SurvivesSigkill
// --gtest_repeat=20.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sessions/session_test_util.h"
#include "tensorpoly/sessions/recorder.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::sessions {
namespace {

using namespace std::chrono_literals;

constexpr int kTasks = 8;

StepMetrics crash_step(int64_t step) {
  StepMetrics metrics = testing::sample_step(step, kTasks);
  metrics.metrics.push_back({-1, "train", "tokens_per_s", 1000.0 + static_cast<double>(step)});
  return metrics;
}

// The child: records as fast as it can and reports each committed step on `fd`.
[[noreturn]] void record_until_killed(const std::string& path, int fd) {
  try {
    RecorderOptions options;
    options.flush_interval = 5ms;
    options.flush_rows = 2000;
    options.on_committed = [fd](int64_t, int64_t step) {
      if (::write(fd, &step, sizeof step) != sizeof step) ::_exit(4);
    };
    Recorder recorder(path, options);
    recorder.on_run_started(testing::sample_run("crash", kTasks));
    for (int64_t step = 1; step < 100000000; ++step) {
      recorder.on_step(crash_step(step));
      if (step % 20 == 0) {
        EvalResult eval;
        eval.step = step;
        for (int task = 0; task < kTasks; ++task) eval.tasks.push_back({task, 1.0, 0.5, 0.5, 16});
        recorder.on_eval(eval);
      }
      if (step % 50 == 0) recorder.on_routing(testing::sample_routing(step, kTasks));
    }
  } catch (...) {
    ::_exit(3);
  }
  ::_exit(0);
}

TEST(Recorder, SurvivesSigkill) {
  const auto path = testing::temp_path("sigkill");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    record_until_killed(path.string(), fds[1]);
  }
  ::close(fds[1]);

  // Wait until a good number of steps are committed, then kill mid-stream.
  int64_t reported = -1;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (reported < 500 && std::chrono::steady_clock::now() < deadline) {
    pollfd poll_fd{fds[0], POLLIN, 0};
    if (::poll(&poll_fd, 1, 1000) <= 0) continue;
    int64_t step = 0;
    if (::read(fds[0], &step, sizeof step) != sizeof step) break;
    reported = std::max(reported, step);
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child ended by itself, status " << status;
  // Steps the child reported before it died.
  int64_t step = 0;
  while (::read(fds[0], &step, sizeof step) == sizeof step) reported = std::max(reported, step);
  ::close(fds[0]);
  ASSERT_GE(reported, 500) << "the child did not commit enough steps in time";

  auto store = Store::open(path.string());
  EXPECT_EQ(store.integrity_check(), "ok");
  const auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  const int64_t id = runs[0].id;
  EXPECT_EQ(runs[0].status, "interrupted");
  EXPECT_FALSE(runs[0].finished_at.empty());
  EXPECT_GE(runs[0].last_step, reported);

  // Every reported step is there with exact values; the last committed step is whole
  // (all series end at the same step), so no step is half-written.
  const int64_t last = runs[0].last_step;
  const auto loss = store.metric_series(id, {"loss", "train", std::nullopt});
  ASSERT_EQ(loss.size(), static_cast<size_t>(kTasks + 1));
  for (const auto& series : loss) {
    ASSERT_EQ(series.steps.size(), static_cast<size_t>(last)) << "task " << series.key.task;
    for (size_t i = 0; i < series.steps.size(); ++i) {
      ASSERT_EQ(series.steps[i], static_cast<int64_t>(i + 1));
      ASSERT_EQ(series.values[i], testing::sample_loss(series.steps[i], series.key.task));
    }
  }
  for (const char* name : {"lr", "tokens_per_s"}) {
    const auto series = store.metric_series(id, {name, "train", -1});
    ASSERT_EQ(series.size(), 1u);
    EXPECT_EQ(series[0].steps.size(), static_cast<size_t>(last)) << name;
  }
  // Evaluations and routing snapshots: whole, none beyond the last step, and every one
  // queued before the last committed step's metrics is there (the one of the last step
  // itself may have missed the final transaction: it is queued after that step).
  const auto eval_steps = store.evaluation_steps(id, "eval");
  for (const auto& eval_step : eval_steps) {
    EXPECT_LE(eval_step, last);
    EXPECT_EQ(store.evaluations(id, "eval", eval_step).size(), static_cast<size_t>(kTasks));
  }
  EXPECT_EQ(eval_steps.size() - (!eval_steps.empty() && eval_steps.back() == last ? 1 : 0),
            static_cast<size_t>((last - 1) / 20));
  const auto snapshot_steps = store.routing_steps(id);
  for (const auto& snapshot_step : snapshot_steps) {
    EXPECT_LE(snapshot_step, last);
    EXPECT_EQ(store.routing_nearest(id, snapshot_step).layers.size(), 2u);
  }
  EXPECT_EQ(
      snapshot_steps.size() - (!snapshot_steps.empty() && snapshot_steps.back() == last ? 1 : 0),
      static_cast<size_t>((last - 1) / 50));
}

}  // namespace
}  // namespace tensorpoly::sessions
