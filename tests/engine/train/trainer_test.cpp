// The trainer: schedule, exact resume, divergence detection, stop and pause from another
// thread, per-task losses.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "engine/train/test_support.h"
#include "tensorpoly/experiment.h"
#include "train/checkpointing.h"
#include "train/schedule.h"
#include "train/trainer.h"

namespace tensorpoly {
namespace {

using testing::RecordingSink;
using testing::temporary_directory;
using testing::tiny_config;

TEST(Schedule, LinearWarmupThenLinearDecay) {
  // 100 steps, 6 % warm-up: steps 0..5 ramp 1/6 .. 1, then decay to 1/94 at the last step.
  EXPECT_NEAR(train::linear_warmup_decay(0, 100, 0.06), 1.0 / 6, 1e-12);
  EXPECT_NEAR(train::linear_warmup_decay(5, 100, 0.06), 1.0, 1e-12);
  EXPECT_NEAR(train::linear_warmup_decay(6, 100, 0.06), 1.0, 1e-12);
  EXPECT_NEAR(train::linear_warmup_decay(53, 100, 0.06), 47.0 / 94, 1e-12);
  EXPECT_NEAR(train::linear_warmup_decay(99, 100, 0.06), 1.0 / 94, 1e-12);
  EXPECT_NEAR(train::linear_warmup_decay(0, 100, 0.0), 1.0, 1e-12);
}

TEST(Trainer, ReportsPerTaskLossesEveryStep) {
  RecordingSink sink;
  Experiment experiment(tiny_config(temporary_directory("per-task")));
  const RunEnded ended = experiment.run(sink);
  ASSERT_EQ(ended.status, RunStatus::kFinished) << ended.message;
  ASSERT_EQ(sink.steps.size(), 6u);
  for (const auto& step : sink.steps) {
    int per_task = 0;
    bool has_lr = false, has_rate = false;
    for (const auto& metric : step.metrics) {
      if (metric.task >= 0 && metric.name == "loss") {
        ++per_task;
        EXPECT_LT(metric.task, 4);  // training tasks come first; the held-out one is 4
        EXPECT_TRUE(std::isfinite(metric.value));
      }
      has_lr |= metric.name == "lr";
      has_rate |= metric.name == "tokens_per_s";
    }
    EXPECT_GE(per_task, 1);
    EXPECT_TRUE(has_lr && has_rate);
  }
  // Evaluation at step 0 and at the end; a routing snapshot at both; a final checkpoint.
  ASSERT_EQ(sink.evals.size(), 2u);
  EXPECT_EQ(sink.evals.front().step, 0);
  EXPECT_EQ(sink.evals.back().step, 6);
  EXPECT_EQ(sink.evals.back().tasks.size(), 4u);
  EXPECT_GE(sink.evals.back().tasks[0].exact_match, 0.0);
  ASSERT_EQ(sink.routing.size(), 2u);
  EXPECT_FALSE(sink.routing.back().layers.empty());
  ASSERT_EQ(sink.checkpoints.size(), 1u);
  EXPECT_EQ(sink.order.front(), "started");
  EXPECT_EQ(sink.order.back(), "ended");
}

// 2N steps in one go versus N steps, a checkpoint, and N more steps resumed from it: the
// per-step losses agree (relaxed-Bernoulli routing on, so the routing noise must resume too).
TEST(Trainer, ResumeEqualsUninterruptedRun) {
  const std::string dir = temporary_directory("resume");
  ExperimentConfig config = tiny_config(dir + "/full");
  config.adapter.relaxed_bernoulli = true;
  config.train.checkpoint_every = 3;
  RecordingSink full;
  ASSERT_EQ(Experiment(config).run(full).status, RunStatus::kFinished);
  const std::string checkpoint = train::checkpoint_path(dir + "/full", 3);

  ExperimentConfig resumed_config = config;
  resumed_config.train.checkpoint_dir = dir + "/resumed";
  resumed_config.train.resume_from = checkpoint;
  RecordingSink resumed;
  const RunEnded ended = Experiment(resumed_config).run(resumed);
  ASSERT_EQ(ended.status, RunStatus::kFinished) << ended.message;
  ASSERT_EQ(resumed.started.size(), 1u);
  EXPECT_EQ(resumed.started[0].start_step, 3);

  const auto a = full.losses();
  const auto b = resumed.losses();
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 3u);
  for (size_t i = 0; i < b.size(); ++i) {
    EXPECT_EQ(b[i].first, a[i + 3].first);
    EXPECT_NEAR(b[i].second, a[i + 3].second, 1e-6) << "step " << b[i].first;
  }
}

TEST(Trainer, HugeLearningRateEndsTheRunAsDiverged) {
  ExperimentConfig config = tiny_config(temporary_directory("diverge"));
  config.train.steps = 30;
  config.train.warmup_fraction = 0.0;
  config.train.max_grad_norm = 0.0;
  config.train.adapter_learning_rate = 1e30;
  config.train.router_learning_rate = 1e30;
  RecordingSink sink;
  const RunEnded ended = Experiment(config).run(sink);
  ASSERT_EQ(ended.status, RunStatus::kDiverged) << ended.message;
  EXPECT_LT(ended.step, 30);
  EXPECT_NE(ended.message.find("step " + std::to_string(ended.step + 1)), std::string::npos)
      << ended.message;
  EXPECT_EQ(sink.ended.size(), 1u);
}

TEST(Trainer, NaNInAWeightIsNamed) {
  train::Trainer trainer(tiny_config(temporary_directory("nan")));
  ASSERT_TRUE(trainer.prepare(nullptr, nullptr));
  const std::string name = "encoder.block.0.layer.0.SelfAttention.q.weight";
  {
    torch::NoGradGuard no_grad;
    auto* weight = trainer.model().named_parameters().find(name);
    ASSERT_NE(weight, nullptr);
    weight->view({-1})[0] = std::nan("");
  }
  const train::StepResult result = trainer.train_step(1);
  EXPECT_NE(result.divergence.find("step 1"), std::string::npos) << result.divergence;
  EXPECT_NE(result.divergence.find(name), std::string::npos) << result.divergence;
}

TEST(Trainer, StopFromAnotherThreadTakesEffectWithinOneStep) {
  ExperimentConfig config = tiny_config(temporary_directory("stop"));
  config.train.steps = 100000;
  Experiment experiment(config);
  RecordingSink sink;
  RunEnded ended;
  std::thread engine([&] { ended = experiment.run(sink); });
  while (sink.last_step.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const int64_t requested_at = sink.last_step.load();
  experiment.stop();
  engine.join();
  EXPECT_EQ(ended.status, RunStatus::kStopped);
  EXPECT_LE(ended.step, requested_at + 1);
  ASSERT_FALSE(sink.checkpoints.empty());  // a checkpoint on stop
  EXPECT_EQ(sink.checkpoints.back().step, ended.step);
  EXPECT_EQ(sink.order.back(), "ended");
}

TEST(Trainer, PauseHoldsTheRunAndResumeContinuesIt) {
  ExperimentConfig config = tiny_config(temporary_directory("pause"));
  config.train.steps = 100000;
  Experiment experiment(config);
  RecordingSink sink;
  RunEnded ended;
  std::thread engine([&] { ended = experiment.run(sink); });
  while (sink.last_step.load() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  experiment.pause();
  EXPECT_TRUE(experiment.is_paused());
  const int64_t paused_at = sink.last_step.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int64_t during_pause = sink.last_step.load();
  EXPECT_LE(during_pause, paused_at + 1);  // at most the step in flight finished
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(sink.last_step.load(), during_pause);
  experiment.resume();
  while (sink.last_step.load() < during_pause + 2) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  experiment.stop();
  engine.join();
  EXPECT_EQ(ended.status, RunStatus::kStopped);
  EXPECT_GE(ended.step, during_pause + 2);
}

TEST(Trainer, StopWhilePausedEndsTheRun) {
  ExperimentConfig config = tiny_config(temporary_directory("stop-paused"));
  config.train.steps = 100000;
  Experiment experiment(config);
  experiment.pause();  // before the run starts: it waits before step 1
  RecordingSink sink;
  RunEnded ended;
  std::thread engine([&] { ended = experiment.run(sink); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  experiment.stop();
  engine.join();
  EXPECT_EQ(ended.status, RunStatus::kStopped);
  EXPECT_EQ(ended.step, 0);
  EXPECT_TRUE(sink.steps.empty());
}

}  // namespace
}  // namespace tensorpoly
