// Few-shot adaptation to held-out tasks after multi-task training, one protocol for every
// method: each held-out task on its own, from the trained weights, evaluated before and
// after; routed methods learn the task's router row (and by default the adapters), dense
// ones their adapters, router-only is the explicit ablation; the adapted routing and
// weights are kept and the trained weights are back in place afterwards.
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

// Two held-out tasks (4 and 5), so that their adaptations can be told apart.
ExperimentConfig few_shot_config(const std::string& checkpoint_dir) {
  ExperimentConfig config = tiny_config(checkpoint_dir);
  config.suite.synthetic.n_heldout = 2;
  // A couple of training steps first: the LoRA B factors start at zero, and until they
  // move the routing has no gradient at all.
  config.train.steps = 2;
  config.few_shot.steps = 5;
  config.few_shot.k = 6;
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

Snapshot load_snapshot(const ExperimentConfig& config, const std::string& checkpoint) {
  train::Trainer reloaded(config);
  EXPECT_TRUE(reloaded.prepare(nullptr, nullptr));
  train::load_training_checkpoint(checkpoint, reloaded.model(), nullptr);
  return snapshot(reloaded);
}

bool is_router(const std::string& name) {
  const std::string suffix = "module_logits";
  return name.size() >= suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::set<std::string> group_names(const train::Trainer& trainer, const std::string& group_name) {
  std::set<std::string> names;
  for (const auto& group : trainer.parameter_groups()) {
    if (group.name == group_name) {
      names.insert(group.parameter_names.begin(), group.parameter_names.end());
    }
  }
  return names;
}

// A run whose parameters were captured at every held-out task's step-0 evaluation.
struct AdaptedRun {
  RunEnded ended;
  std::map<int, Snapshot> before;  // by held-out task
  Snapshot trained;                // the first of them: the weights training left
};

AdaptedRun run_adaptation(train::Trainer& trainer, RecordingSink& sink) {
  AdaptedRun run;
  sink.on_eval_hook = [&](const EvalResult& event) {
    if (event.split == "heldout" && event.step == 0) {
      run.before[event.tasks.at(0).task] = snapshot(trainer);
    }
  };
  train::RunControl control;
  run.ended = trainer.run(sink, control);
  if (!run.before.empty()) run.trained = run.before.begin()->second;
  return run;
}

bool same(const Snapshot& a, const Snapshot& b) {
  for (const auto& [name, value] : a) {
    if (!torch::equal(value, b.at(name))) return false;
  }
  return true;
}

// Every held-out task is evaluated alone, before (step 0), every eval_every steps and
// after the last step, and starts from the trained weights, not from the previous task's.
void expect_per_task_protocol(const RecordingSink& sink, const AdaptedRun& run,
                              const std::vector<int>& heldout) {
  ASSERT_EQ(run.before.size(), heldout.size());
  for (const auto& [task, before] : run.before) {
    EXPECT_TRUE(same(before, run.trained))
        << "held-out task " << task << " did not start from the trained weights";
  }
  std::map<int, std::vector<int64_t>> steps;
  std::map<int, std::vector<double>> losses;
  for (const auto& eval : sink.evals) {
    if (eval.split != "heldout") continue;
    ASSERT_EQ(eval.tasks.size(), 1u);
    steps[eval.tasks[0].task].push_back(eval.step);
    losses[eval.tasks[0].task].push_back(eval.tasks[0].loss);
    EXPECT_GE(eval.tasks[0].exact_match, 0.0);
  }
  for (int task : heldout) {
    EXPECT_EQ(steps[task], (std::vector<int64_t>{0, 2, 4, 5})) << "task " << task;
    EXPECT_NE(losses[task].front(), losses[task].back())
        << "adaptation changed nothing the evaluation of task " << task << " sees";
  }
}

TEST(FewShot, RoutedMethodAdaptsEachHeldOutTaskFromTheTrainedWeights) {
  const std::string dir = temporary_directory("few-shot");
  const ExperimentConfig config = few_shot_config(dir);
  ASSERT_TRUE(config.few_shot.train_adapters);  // the default: router row and adapters
  train::Trainer trainer(config);
  RecordingSink sink;
  const AdaptedRun run = run_adaptation(trainer, sink);
  ASSERT_EQ(run.ended.status, RunStatus::kFinished) << run.ended.message;
  ASSERT_EQ(trainer.heldout_tasks(), (std::vector<int>{4, 5}));
  expect_per_task_protocol(sink, run, trainer.heldout_tasks());
  EXPECT_EQ(sink.eval_steps("eval"), (std::vector<int64_t>{0, 2}));
  // The trained weights are back in place, and training's trainable set too.
  EXPECT_TRUE(same(snapshot(trainer), run.trained));
  for (const auto& group : trainer.parameter_groups()) {
    for (const auto& parameter : group.parameters) EXPECT_TRUE(parameter.requires_grad());
  }

  // Each task's adapted weights: its own router row and the adapters moved; the other
  // rows (training tasks and the other held-out task) and the base did not.
  const auto adapters = group_names(trainer, "adapters");
  for (int task : {4, 5}) {
    SCOPED_TRACE("held-out task " + std::to_string(task));
    const std::string path = train::few_shot_checkpoint_path(dir, 2, task);
    ASSERT_TRUE(std::filesystem::exists(path));
    const Snapshot adapted = load_snapshot(config, path);
    int adapters_moved = 0, routers = 0;
    for (const auto& [name, trained] : run.trained) {
      const torch::Tensor& value = adapted.at(name);
      if (is_router(name)) {
        ++routers;
        for (int64_t row = 0; row < trained.size(0); ++row) {
          EXPECT_EQ(torch::equal(trained[row], value[row]), row != task) << name << " row " << row;
        }
      } else if (adapters.count(name)) {
        adapters_moved += torch::equal(trained, value) ? 0 : 1;
      } else {
        EXPECT_TRUE(torch::equal(trained, value)) << "base weight " << name << " moved";
      }
    }
    EXPECT_GT(routers, 0);
    EXPECT_GT(adapters_moved, 0);
  }
  EXPECT_EQ(train::latest_checkpoint(dir), train::checkpoint_path(dir, 2));

  // One "few_shot" routing snapshot: each held-out row as its adaptation left it, the
  // training rows as trained.
  std::vector<RoutingSnapshot> trained_routing, adapted_routing;
  for (const auto& snapshot : sink.routing) {
    (snapshot.stage == "few_shot" ? adapted_routing : trained_routing).push_back(snapshot);
  }
  ASSERT_EQ(adapted_routing.size(), 1u);
  ASSERT_FALSE(trained_routing.empty());
  const RoutingSnapshot& after = adapted_routing[0];
  const RoutingSnapshot& trained = trained_routing.back();
  EXPECT_EQ(after.step, 2);
  ASSERT_EQ(after.layers.size(), trained.layers.size());
  for (size_t layer = 0; layer < after.layers.size(); ++layer) {
    const RoutingMatrix& a = after.layers[layer];
    const RoutingMatrix& t = trained.layers[layer];
    for (int64_t task = 0; task < a.n_tasks(); ++task) {
      bool row_same = true;
      for (int64_t skill = 0; skill < a.n_skills(); ++skill) {
        row_same = row_same && a.at(0, task, skill) == t.at(0, task, skill);
      }
      EXPECT_EQ(row_same, task < 4) << a.layer << " task " << task;
    }
  }
  EXPECT_EQ(sink.order.back(), "ended");
}

// Router-only adaptation (the reference's "Z" ablation): only the task's router row moves.
TEST(FewShot, RouterOnlyAdaptationMovesOnlyTheTasksRouterRow) {
  const std::string dir = temporary_directory("few-shot-router-only");
  ExperimentConfig config = few_shot_config(dir);
  config.few_shot.train_adapters = false;
  train::Trainer trainer(config);
  RecordingSink sink;
  const AdaptedRun run = run_adaptation(trainer, sink);
  ASSERT_EQ(run.ended.status, RunStatus::kFinished) << run.ended.message;
  expect_per_task_protocol(sink, run, trainer.heldout_tasks());
  const Snapshot adapted = load_snapshot(config, train::few_shot_checkpoint_path(dir, 2, 5));
  for (const auto& [name, trained] : run.trained) {
    if (is_router(name)) {
      EXPECT_FALSE(torch::equal(trained[5], adapted.at(name)[5])) << name;
      EXPECT_TRUE(torch::equal(trained[4], adapted.at(name)[4])) << name;
    } else {
      EXPECT_TRUE(torch::equal(trained, adapted.at(name))) << name << " moved";
    }
  }
}

// A dense method learns its adapter weights, under the same protocol: each held-out task
// on its own, evaluated before and after. It has no routing to report.
TEST(FewShot, DenseMethodAdaptsItsAdaptersPerTask) {
  const std::string dir = temporary_directory("few-shot-lora");
  ExperimentConfig config = few_shot_config(dir);
  config.adapter.method = "lora";
  train::Trainer trainer(config);
  RecordingSink sink;
  const AdaptedRun run = run_adaptation(trainer, sink);
  ASSERT_EQ(run.ended.status, RunStatus::kFinished) << run.ended.message;
  expect_per_task_protocol(sink, run, trainer.heldout_tasks());
  EXPECT_TRUE(same(snapshot(trainer), run.trained));
  EXPECT_TRUE(sink.routing.empty());
  const auto adapters = group_names(trainer, "adapters");
  ASSERT_FALSE(adapters.empty());
  for (int task : {4, 5}) {
    const Snapshot adapted = load_snapshot(config, train::few_shot_checkpoint_path(dir, 2, task));
    int moved = 0;
    for (const auto& [name, trained] : run.trained) {
      const bool equal = torch::equal(trained, adapted.at(name));
      if (adapters.count(name)) {
        moved += equal ? 0 : 1;
      } else {
        EXPECT_TRUE(equal) << "base weight " << name << " moved";
      }
    }
    EXPECT_GT(moved, 0) << "task " << task;
  }
  // Router-only adaptation needs a router.
  config.few_shot.train_adapters = false;
  try {
    validate(config);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_TRUE(error.names("few_shot.train_adapters")) << error.what();
  }
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
  EXPECT_NE(ended.message.find("few-shot adaptation of held-out task"), std::string::npos)
      << ended.message;
  EXPECT_EQ(ended.step, 2);
  EXPECT_EQ(sink.eval_steps("heldout"), std::vector<int64_t>{0});
  EXPECT_FALSE(std::filesystem::exists(train::few_shot_checkpoint_path(dir, 2, 4)));
  EXPECT_EQ(sink.order.back(), "ended");
}

// The default preset and the per-method ones adapt to the held-out tasks, every method
// its adapters too (router-only is the ablation, never a default).
TEST(FewShot, DefaultAndMethodPresetsEnableIt) {
  for (const char* name : {"default", "tensorpoly-1", "tensorpoly-2", "poly", "mhr", "lora",
                           "tlora", "lora-matched"}) {
    const ExperimentConfig config = load_preset(name);
    EXPECT_GE(config.few_shot.steps, 100) << name;
    EXPECT_LE(config.few_shot.steps, 200) << name;
    EXPECT_GT(config.few_shot.eval_every, 0) << name;
    EXPECT_GE(config.few_shot.k, 1) << name;
    EXPECT_GT(config.suite.synthetic.n_heldout, 0) << name;
    EXPECT_TRUE(config.few_shot.train_adapters) << name;
  }
}

}  // namespace
}  // namespace tensorpoly
