// The trainer: schedule, event intervals, clipping, exact resume, divergence detection,
// stop and pause from another thread (also during an evaluation), per-task losses, the
// RunStarted event.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/trainer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/train/test_support.h"
#include "model/checkpoint.h"
#include "tensorpoly/experiment.h"
#include "train/checkpointing.h"
#include "train/schedule.h"

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

// A checkpoint continues only the training that wrote it: another seed, another base model
// or a training-relevant field is refused with the field named; where the checkpoints go
// and how often the run evaluates may change.
TEST(Trainer, ResumeRefusesACheckpointOfDifferentTrainingNamingTheField) {
  const std::string dir = temporary_directory("resume-refused");
  ExperimentConfig config = tiny_config(dir + "/first");
  config.train.steps = 2;
  RecordingSink first;
  ASSERT_EQ(Experiment(config).run(first).status, RunStatus::kFinished);
  ExperimentConfig resumed = config;
  resumed.train.resume_from = train::checkpoint_path(dir + "/first", 2);
  resumed.train.checkpoint_dir = dir + "/resumed";
  auto refusal = [](const ExperimentConfig& changed) {
    train::Trainer trainer(changed);
    try {
      trainer.prepare(nullptr, nullptr);
    } catch (const std::runtime_error& error) {
      return std::string(error.what());
    }
    return std::string();
  };

  ExperimentConfig harmless = resumed;  // where and how often things are written
  harmless.name = "renamed";
  harmless.train.eval_every = 1;
  harmless.train.routing_every = 1;
  harmless.few_shot.steps = 3;
  EXPECT_EQ(refusal(harmless), "");

  ExperimentConfig steps = resumed;
  steps.train.steps = 4;  // another learning-rate schedule
  const std::string steps_message = refusal(steps);
  EXPECT_EQ(steps_message.rfind("train.resume_from: checkpoint '", 0), 0u) << steps_message;
  EXPECT_NE(steps_message.find("train.steps = 2 there, 4 here"), std::string::npos)
      << steps_message;

  ExperimentConfig rate = resumed;
  rate.train.router_learning_rate = 0.5;
  rate.suite.synthetic.alphabet = "abcdeg";
  const std::string rate_message = refusal(rate);
  EXPECT_NE(rate_message.find("train.router_learning_rate"), std::string::npos) << rate_message;
  EXPECT_NE(rate_message.find("suite.alphabet"), std::string::npos) << rate_message;

  ExperimentConfig seed = resumed;
  seed.seed = 8;
  EXPECT_NE(refusal(seed).find("was written with seed 7, this run has seed 8"), std::string::npos);

  // Another base model: the checkpoint was trained on random base weights.
  ExperimentConfig base = resumed;
  base.base.checkpoint = dir + "/base.pt";
  model::save_checkpoint(*train::make_random_model(config), base.base.checkpoint);
  const std::string base_message = refusal(base);
  EXPECT_NE(base_message.find("was trained on the base model random weights, this run's base "
                              "model is '" +
                              base.base.checkpoint + "'"),
            std::string::npos)
      << base_message;
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
    const auto parameters = trainer.model().named_parameters();  // find() points into it
    const torch::Tensor* weight = parameters.find(name);
    ASSERT_NE(weight, nullptr);
    weight->view({-1})[0] = std::nan("");
  }
  const train::StepResult result = trainer.train_step(1);
  EXPECT_NE(result.divergence.find("step 1"), std::string::npos) << result.divergence;
  EXPECT_NE(result.divergence.find(name), std::string::npos) << result.divergence;
}

// The steps after which an event of `kind` arrived (the number of StepMetrics before it).
std::vector<int64_t> steps_of(const RecordingSink& sink, const std::string& kind) {
  std::vector<int64_t> steps;
  int64_t step = 0;
  for (const auto& event : sink.order) {
    if (event == "step") ++step;
    if (event == kind) steps.push_back(step);
  }
  return steps;
}

TEST(Trainer, EventsArriveAtTheirIntervalsAndAtTheEnd) {
  ExperimentConfig config = tiny_config(temporary_directory("intervals"));
  config.train.eval_every = 2;
  config.train.routing_every = 4;
  config.train.checkpoint_every = 3;
  RecordingSink sink;
  const RunEnded ended = Experiment(config).run(sink);
  ASSERT_EQ(ended.status, RunStatus::kFinished) << ended.message;
  const std::vector<int64_t> evals = {0, 2, 4, 6}, routing = {0, 4, 6}, checkpoints = {3, 6};
  EXPECT_EQ(sink.eval_steps("eval"), evals);
  EXPECT_EQ(steps_of(sink, "eval"), evals);  // each right after its step's metrics
  std::vector<int64_t> routing_steps, checkpoint_steps;
  for (const auto& snapshot : sink.routing) routing_steps.push_back(snapshot.step);
  for (const auto& checkpoint : sink.checkpoints) checkpoint_steps.push_back(checkpoint.step);
  EXPECT_EQ(routing_steps, routing);
  EXPECT_EQ(steps_of(sink, "routing"), routing);
  EXPECT_EQ(checkpoint_steps, checkpoints);
  EXPECT_EQ(steps_of(sink, "checkpoint"), checkpoints);
  for (const auto& checkpoint : sink.checkpoints) {
    EXPECT_EQ(checkpoint.path,
              train::checkpoint_path(config.train.checkpoint_dir, checkpoint.step));
  }
}

TEST(Trainer, ClipsTheGradientToMaxGradNorm) {
  ExperimentConfig config = tiny_config(temporary_directory("clip"));
  config.train.max_grad_norm = 1e-3;
  train::Trainer clipped(config);
  ASSERT_TRUE(clipped.prepare(nullptr, nullptr));
  const train::StepResult result = clipped.train_step(1);
  ASSERT_TRUE(result.divergence.empty()) << result.divergence;
  ASSERT_GT(result.grad_norm, 1e-2) << "the test needs a gradient well above the limit";
  EXPECT_NEAR(result.clipped_grad_norm, 1e-3, 1e-8);
  // The gradients the optimiser stepped with (still held until the next step) have the
  // clipped norm.
  auto held_norm = [](const train::Trainer& trainer) {
    double squares = 0.0;
    for (const auto& group : trainer.parameter_groups()) {
      for (const auto& parameter : group.parameters) {
        if (parameter.grad().defined()) squares += parameter.grad().pow(2).sum().item<double>();
      }
    }
    return std::sqrt(squares);
  };
  EXPECT_NEAR(held_norm(clipped), 1e-3, 1e-6);

  config.train.max_grad_norm = 0.0;  // off: the same step keeps its full gradient
  config.train.checkpoint_dir = temporary_directory("clip-off");
  train::Trainer unclipped(config);
  ASSERT_TRUE(unclipped.prepare(nullptr, nullptr));
  const train::StepResult full = unclipped.train_step(1);
  EXPECT_NEAR(full.grad_norm, result.grad_norm, 1e-5 * result.grad_norm);
  EXPECT_DOUBLE_EQ(full.clipped_grad_norm, full.grad_norm);
  EXPECT_NEAR(held_norm(unclipped), full.grad_norm, 1e-4 * full.grad_norm);
}

TEST(Trainer, NaNGradientNamesItsTensorAndUpdatesNothing) {
  train::Trainer trainer(tiny_config(temporary_directory("nan-grad")));
  ASSERT_TRUE(trainer.prepare(nullptr, nullptr));
  const train::ParameterGroup& routers = trainer.parameter_groups().at(1);
  ASSERT_EQ(routers.name, "routers");
  const std::string name = routers.parameter_names.at(0);
  torch::Tensor poisoned = routers.parameters.at(0);
  poisoned.register_hook(
      [](const torch::Tensor& grad) { return torch::full_like(grad, std::nan("")); });
  std::map<std::string, torch::Tensor> before;
  for (const auto& item : trainer.model().named_parameters()) {
    before[item.key()] = item.value().detach().clone();
  }
  const train::StepResult result = trainer.train_step(1);
  EXPECT_TRUE(std::isfinite(result.loss));
  EXPECT_NE(result.divergence.find("step 1"), std::string::npos) << result.divergence;
  EXPECT_NE(result.divergence.find("gradient"), std::string::npos) << result.divergence;
  EXPECT_NE(result.divergence.find("'" + name + "'"), std::string::npos) << result.divergence;
  for (const auto& item : trainer.model().named_parameters()) {
    EXPECT_TRUE(torch::equal(before.at(item.key()), item.value())) << item.key() << " moved";
  }
}

TEST(Trainer, NaNLossWithFiniteWeightsNamesTheLoss) {
  train::Trainer trainer(tiny_config(temporary_directory("nan-loss")));
  ASSERT_TRUE(trainer.prepare(nullptr, nullptr));
  {
    // Finite but huge output weights: the logits overflow to +-inf, the loss to NaN.
    torch::NoGradGuard no_grad;
    // Keep the dictionary alive: find() points into it.
    const auto parameters = trainer.model().named_parameters();
    const torch::Tensor* weight = parameters.find("lm_head.weight");
    ASSERT_NE(weight, nullptr);
    weight->clamp_(-1.0, 1.0).mul_(3e38);
    ASSERT_TRUE(torch::isfinite(*weight).all().item<bool>());
  }
  const train::StepResult result = trainer.train_step(1);
  ASSERT_FALSE(std::isfinite(result.loss));
  EXPECT_NE(result.divergence.find("step 1"), std::string::npos) << result.divergence;
  EXPECT_NE(result.divergence.find("tensor 'loss'"), std::string::npos) << result.divergence;
  EXPECT_NE(result.divergence.find("every parameter is finite"), std::string::npos)
      << result.divergence;
}

TEST(Trainer, StopDuringEvaluationEndsTheRunAsStopped) {
  ExperimentConfig config = tiny_config(temporary_directory("stop-eval"));
  config.train.eval_every = 2;
  Experiment experiment(config);
  RecordingSink sink;
  // Requested after step 2's metrics, i.e. while step 2's evaluation is about to run.
  sink.on_step_hook = [&](const StepMetrics& metrics) {
    if (metrics.step == 2) experiment.stop();
  };
  const RunEnded ended = experiment.run(sink);
  EXPECT_EQ(ended.status, RunStatus::kStopped);
  EXPECT_EQ(ended.step, 2);
  EXPECT_NE(ended.message.find("evaluation"), std::string::npos) << ended.message;
  EXPECT_EQ(sink.eval_steps("eval"), std::vector<int64_t>{0});  // step 2's was abandoned
  ASSERT_FALSE(sink.checkpoints.empty());
  EXPECT_EQ(sink.checkpoints.back().step, 2);  // a checkpoint on stop
  EXPECT_EQ(sink.order.back(), "ended");
}

TEST(Trainer, PauseHoldsARunningEvaluation) {
  ExperimentConfig config = tiny_config(temporary_directory("pause-eval"));
  config.train.steps = 4;
  config.train.eval_every = 2;
  Experiment experiment(config);
  RecordingSink sink;
  std::atomic<bool> paused{false};
  std::atomic<int> evals_seen{0};
  sink.on_step_hook = [&](const StepMetrics& metrics) {
    if (metrics.step != 2) return;
    experiment.pause();
    paused = true;
  };
  sink.on_eval_hook = [&](const EvalResult&) { ++evals_seen; };
  RunEnded ended;
  std::thread engine([&] { ended = experiment.run(sink); });
  while (!paused.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(evals_seen.load(), 1);  // step 0's; step 2's waits for resume
  EXPECT_EQ(sink.last_step.load(), 2);
  experiment.resume();
  engine.join();
  EXPECT_EQ(ended.status, RunStatus::kFinished) << ended.message;
  EXPECT_EQ(sink.eval_steps("eval"), (std::vector<int64_t>{0, 2, 4}));
}

TEST(Trainer, RunStartedCarriesTasksParameterCountsAndDevice) {
  const ExperimentConfig config = tiny_config(temporary_directory("run-started"));
  train::Trainer trainer(config);
  RecordingSink sink;
  train::RunControl control;
  ASSERT_EQ(trainer.run(sink, control).status, RunStatus::kFinished);
  ASSERT_EQ(sink.started.size(), 1u);
  EXPECT_EQ(sink.order.front(), "started");
  const RunStarted& started = sink.started[0];
  EXPECT_EQ(started.name, "tiny");
  EXPECT_EQ(started.method, "tensorpoly-1");
  EXPECT_EQ(started.device, "cpu");
  EXPECT_EQ(started.seed, 7u);
  EXPECT_EQ(started.total_steps, 6);
  EXPECT_EQ(started.start_step, 0);
  EXPECT_FALSE(started.torch_version.empty());
  EXPECT_FALSE(started.app_version.empty());
  EXPECT_EQ(to_json(config_from_json_text(started.config_json)), to_json(trainer.config()));

  // Tasks with their ground truth: the "families" layout gives each a family label and
  // its primitives; the held-out task comes last.
  ASSERT_EQ(started.tasks.size(), 5u);
  for (size_t i = 0; i < started.tasks.size(); ++i) {
    const TaskInfo& task = started.tasks[i];
    EXPECT_EQ(task.index, static_cast<int>(i));
    EXPECT_FALSE(task.name.empty()) << i;
    EXPECT_FALSE(task.family.empty()) << task.name;
    EXPECT_FALSE(task.skills.empty()) << task.name;
    EXPECT_EQ(task.split, i < 4 ? "train" : "heldout") << task.name;
    EXPECT_NE(std::find(task.skills.begin(), task.skills.end(), task.family), task.skills.end())
        << task.name << ": the family is one of its primitives";
  }

  // Parameter counts, estimated before the model exists, agree with the built model.
  const ParameterCounts& counts = started.parameters;
  EXPECT_GT(counts.total, counts.trainable);
  EXPECT_GT(counts.trainable, counts.router);
  EXPECT_GT(counts.router, 0);
  EXPECT_GT(counts.per_task, 0);
  const ParameterCounts built = trainer.parameter_counts();
  EXPECT_EQ(counts.total, built.total);
  EXPECT_EQ(counts.trainable, built.trainable);
  EXPECT_EQ(counts.router, built.router);
  EXPECT_EQ(counts.per_task, built.per_task);
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
  // Held: at most the step in flight finishes (a tiny step takes milliseconds, so a pause
  // that did not hold would run on by many steps). No bound on how long that step takes:
  // on a loaded machine it may finish at any time.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const int64_t during_pause = sink.last_step.load();
  EXPECT_LE(during_pause, paused_at + 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_LE(sink.last_step.load(), paused_at + 1);  // still held
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
