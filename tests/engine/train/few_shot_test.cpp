// Few-shot adaptation to held-out tasks after multi-task training (issue 4 §3): only the
// held-out tasks' router rows move, skills and base stay bit-identical, held-out
// evaluations arrive on their own step axis, and the adapted weights are checkpointed.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "engine/train/test_support.h"
#include "train/checkpointing.h"
#include "train/trainer.h"

namespace tensorpoly {
namespace {

using testing::RecordingSink;
using testing::temporary_directory;
using testing::tiny_config;

using Snapshot = std::map<std::string, torch::Tensor>;

ExperimentConfig few_shot_config(const std::string& checkpoint_dir) {
  ExperimentConfig config = tiny_config(checkpoint_dir);
  // A couple of training steps first: the LoRA B factors start at zero, and until they
  // move the routing has no gradient at all.
  config.train.steps = 2;
  config.few_shot.steps = 5;
  config.few_shot.eval_every = 2;
  config.few_shot.batch_size = 4;
  return config;
}

Snapshot snapshot(train::Trainer& trainer) {
  Snapshot values;
  for (const auto& item : trainer.model().named_parameters()) {
    values[item.key()] = item.value().detach().clone();
  }
  return values;
}

bool is_router(const std::string& name) {
  const std::string suffix = "module_logits";
  return name.size() >= suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Runs `trainer` and returns the parameters as they were just before adaptation (taken
// when the few-shot step-0 evaluation arrives).
Snapshot run_and_capture(train::Trainer& trainer, RecordingSink& sink, train::RunControl& control,
                         RunEnded& ended) {
  Snapshot before;
  sink.on_eval_hook = [&](const EvalResult& event) {
    if (event.split == "heldout" && event.step == 0) before = snapshot(trainer);
  };
  ended = trainer.run(sink, control);
  return before;
}

TEST(FewShot, AdaptsOnlyTheHeldOutRouterRowsAndReportsItsOwnSteps) {
  const std::string dir = temporary_directory("few-shot");
  const ExperimentConfig config = few_shot_config(dir);
  train::Trainer trainer(config);
  RecordingSink sink;
  train::RunControl control;
  RunEnded ended;
  const Snapshot before = run_and_capture(trainer, sink, control, ended);
  ASSERT_EQ(ended.status, RunStatus::kFinished) << ended.message;
  EXPECT_EQ(ended.step, 2);
  ASSERT_FALSE(before.empty()) << "no held-out evaluation before adaptation";
  ASSERT_EQ(trainer.heldout_tasks(), std::vector<int>{4});

  int routers = 0;
  for (const auto& item : trainer.model().named_parameters()) {
    const std::string& name = item.key();
    const torch::Tensor& old_value = before.at(name);
    const torch::Tensor new_value = item.value().detach();
    if (!is_router(name)) {
      EXPECT_TRUE(torch::equal(old_value, new_value)) << name << " moved";
      continue;
    }
    ++routers;
    ASSERT_EQ(old_value.size(0), 5) << name;  // one row per task
    for (int64_t task = 0; task < old_value.size(0); ++task) {
      const bool same = torch::equal(old_value[task], new_value[task]);
      if (task == 4) {
        EXPECT_FALSE(same) << name << ": the held-out row did not adapt";
      } else {
        EXPECT_TRUE(same) << name << ": training task " << task << "'s row moved";
      }
    }
  }
  EXPECT_GT(routers, 0);
  // Training's trainable set is back (adaptation froze the adapters only meanwhile).
  for (const auto& group : trainer.parameter_groups()) {
    for (const auto& parameter : group.parameters) EXPECT_TRUE(parameter.requires_grad());
  }

  // Held-out evaluations: before adaptation, every 2 few-shot steps, and the last step,
  // on the few-shot axis; the training evaluations keep the run's steps.
  EXPECT_EQ(sink.eval_steps("heldout"), (std::vector<int64_t>{0, 2, 4, 5}));
  EXPECT_EQ(sink.eval_steps("eval"), (std::vector<int64_t>{0, 2}));
  for (const auto& eval : sink.evals) {
    if (eval.split != "heldout") continue;
    ASSERT_EQ(eval.tasks.size(), 1u);
    EXPECT_EQ(eval.tasks[0].task, 4);
    EXPECT_EQ(eval.tasks[0].n_examples, config.suite.synthetic.n_validation);
    EXPECT_TRUE(std::isfinite(eval.tasks[0].loss));
    EXPECT_GE(eval.tasks[0].exact_match, 0.0);
  }
  ASSERT_EQ(sink.evals.size(), 6u);
  for (size_t i = 0; i < sink.evals.size(); ++i) {  // training first, then adaptation
    EXPECT_EQ(sink.evals[i].split, i < 2 ? "eval" : "heldout") << i;
  }
  EXPECT_NE(sink.evals[2].tasks[0].loss, sink.evals.back().tasks[0].loss)
      << "adaptation changed nothing the evaluation sees";
  EXPECT_EQ(sink.order.back(), "ended");

  // The adapted weights are checkpointed beside the training checkpoints, which stay the
  // ones to resume from.
  const std::string adapted = train::few_shot_checkpoint_path(dir, 2);
  ASSERT_TRUE(std::filesystem::exists(adapted));
  EXPECT_EQ(train::latest_checkpoint(dir), train::checkpoint_path(dir, 2));
  bool reported = false;
  for (const auto& progress : sink.progress) {
    reported |= progress.stage == "few_shot" && progress.message.find(adapted) != std::string::npos;
  }
  EXPECT_TRUE(reported) << "no progress message names " << adapted;
  train::Trainer reloaded(config);
  ASSERT_TRUE(reloaded.prepare(nullptr, nullptr));
  const train::CheckpointInfo info =
      train::load_training_checkpoint(adapted, reloaded.model(), nullptr);
  EXPECT_EQ(info.step, 2);
  const auto adapted_parameters = trainer.model().named_parameters();
  for (const auto& item : reloaded.model().named_parameters()) {
    EXPECT_TRUE(torch::equal(item.value(), adapted_parameters[item.key()])) << item.key();
  }
}

TEST(FewShot, TrainAdaptersAlsoMovesTheAdaptersButNeverTheBase) {
  ExperimentConfig config = few_shot_config(temporary_directory("few-shot-adapters"));
  config.few_shot.train_adapters = true;
  train::Trainer trainer(config);
  RecordingSink sink;
  train::RunControl control;
  RunEnded ended;
  const Snapshot before = run_and_capture(trainer, sink, control, ended);
  ASSERT_EQ(ended.status, RunStatus::kFinished) << ended.message;
  ASSERT_FALSE(before.empty());
  std::set<std::string> adapter_names;
  for (const auto& group : trainer.parameter_groups()) {
    if (group.name == "adapters") {
      adapter_names.insert(group.parameter_names.begin(), group.parameter_names.end());
    }
  }
  ASSERT_FALSE(adapter_names.empty());
  int adapters_moved = 0;
  for (const auto& item : trainer.model().named_parameters()) {
    const std::string& name = item.key();
    const torch::Tensor new_value = item.value().detach();
    if (adapter_names.count(name)) {
      adapters_moved += torch::equal(before.at(name), new_value) ? 0 : 1;
    } else if (is_router(name)) {
      for (int64_t task = 0; task < 4; ++task) {
        EXPECT_TRUE(torch::equal(before.at(name)[task], new_value[task])) << name << " " << task;
      }
    } else {
      EXPECT_TRUE(torch::equal(before.at(name), new_value)) << "base weight " << name << " moved";
    }
  }
  EXPECT_GT(adapters_moved, 0);
}

TEST(FewShot, StopDuringAdaptationEndsTheRunAsStopped) {
  const std::string dir = temporary_directory("few-shot-stop");
  train::Trainer trainer(few_shot_config(dir));
  RecordingSink sink;
  train::RunControl control;
  sink.on_eval_hook = [&](const EvalResult& event) {
    if (event.split == "heldout") control.request_stop();
  };
  const RunEnded ended = trainer.run(sink, control);
  EXPECT_EQ(ended.status, RunStatus::kStopped);
  EXPECT_NE(ended.message.find("few-shot"), std::string::npos) << ended.message;
  EXPECT_EQ(ended.step, 2);
  EXPECT_EQ(sink.eval_steps("heldout"), std::vector<int64_t>{0});
  EXPECT_FALSE(std::filesystem::exists(train::few_shot_checkpoint_path(dir, 2)));
  EXPECT_EQ(sink.order.back(), "ended");
}

// The default preset and the per-method ones adapt to the held-out tasks, cheaply; the
// router-less methods can only adapt their adapters.
TEST(FewShot, DefaultAndMethodPresetsEnableIt) {
  for (const char* name :
       {"default", "tensorpoly-1", "tensorpoly-2", "poly", "mhr", "lora", "tlora"}) {
    const ExperimentConfig config = load_preset(name);
    EXPECT_GE(config.few_shot.steps, 100) << name;
    EXPECT_LE(config.few_shot.steps, 200) << name;
    EXPECT_GT(config.few_shot.eval_every, 0) << name;
    EXPECT_GT(config.suite.synthetic.n_heldout, 0) << name;
    EXPECT_EQ(config.few_shot.train_adapters, !is_routed_method(config.adapter.method)) << name;
  }
}

}  // namespace
}  // namespace tensorpoly
