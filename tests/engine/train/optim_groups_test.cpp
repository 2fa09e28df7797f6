// The trainer's AdamW parameter groups: learning rates and weight decay per group (none on
// router logits), and the switch that unfreezes the base.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/optim_groups.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "engine/train/test_support.h"
#include "train/schedule.h"
#include "train/trainer.h"

namespace tensorpoly {
namespace {

using testing::temporary_directory;
using testing::tiny_config;

const torch::optim::AdamWOptions& adamw_options(const torch::optim::AdamW& optimizer,
                                                size_t group) {
  return static_cast<const torch::optim::AdamWOptions&>(
      optimizer.param_groups().at(group).options());
}

TEST(OptimGroups, CarryTheLearningRatesAndWeightDecayOfTheConfig) {
  ExperimentConfig config = tiny_config(temporary_directory("groups"));
  // The defaults: adapters 1e-3, routers 0.1, weight decay 0.01 on the adapters only.
  ASSERT_DOUBLE_EQ(config.train.adapter_learning_rate, 1e-3);
  ASSERT_DOUBLE_EQ(config.train.router_learning_rate, 0.1);
  ASSERT_DOUBLE_EQ(config.train.weight_decay, 0.01);
  train::Trainer trainer(config);
  ASSERT_TRUE(trainer.prepare(nullptr, nullptr));

  const auto& groups = trainer.parameter_groups();
  ASSERT_EQ(groups.size(), 2u);  // the base is frozen
  EXPECT_EQ(groups[0].name, "adapters");
  EXPECT_DOUBLE_EQ(groups[0].learning_rate, 1e-3);
  EXPECT_DOUBLE_EQ(groups[0].weight_decay, 0.01);
  EXPECT_EQ(groups[1].name, "routers");
  EXPECT_DOUBLE_EQ(groups[1].learning_rate, 0.1);
  EXPECT_DOUBLE_EQ(groups[1].weight_decay, 0.0);
  for (const auto& name : groups[1].parameter_names) {
    EXPECT_NE(name.find("module_logits"), std::string::npos) << name;
  }
  for (const auto& name : groups[0].parameter_names) {
    EXPECT_EQ(name.find("module_logits"), std::string::npos) << name;
  }

  // The optimiser itself holds the same groups, and the schedule scales both rates.
  const torch::optim::AdamW* optimizer = trainer.optimizer();
  ASSERT_NE(optimizer, nullptr);
  ASSERT_EQ(optimizer->param_groups().size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(optimizer->param_groups()[i].params().size(), groups[i].parameters.size());
    EXPECT_DOUBLE_EQ(adamw_options(*optimizer, i).weight_decay(), i == 0 ? 0.01 : 0.0)
        << groups[i].name;
    EXPECT_DOUBLE_EQ(adamw_options(*optimizer, i).lr(), groups[i].learning_rate);
  }
  (void)trainer.train_step(3);
  const double factor =
      train::linear_warmup_decay(2, config.train.steps, config.train.warmup_fraction);
  ASSERT_GT(factor, 0.0);
  ASSERT_LT(factor, 1.0);
  EXPECT_DOUBLE_EQ(adamw_options(*optimizer, 0).lr(), 1e-3 * factor);
  EXPECT_DOUBLE_EQ(adamw_options(*optimizer, 1).lr(), 0.1 * factor);
}

// A router row whose task never appears in a batch gets no gradient; with decay it would
// still shrink toward uniform routing every step. It must stay exactly where it started,
// however large the configured weight decay.
TEST(OptimGroups, RouterLogitsAreNotWeightDecayed) {
  ExperimentConfig config = tiny_config(temporary_directory("router-decay"));
  config.train.weight_decay = 0.5;
  config.train.warmup_fraction = 0.0;
  train::Trainer trainer(config);
  ASSERT_TRUE(trainer.prepare(nullptr, nullptr));
  ASSERT_EQ(trainer.heldout_tasks().size(), 1u);
  const int heldout = trainer.heldout_tasks().front();
  std::map<std::string, torch::Tensor> routers_before, adapters_before;
  for (const auto& group : trainer.parameter_groups()) {
    auto& target = group.name == "routers" ? routers_before : adapters_before;
    for (size_t i = 0; i < group.parameters.size(); ++i) {
      target[group.parameter_names[i]] = group.parameters[i].detach().clone();
    }
  }
  ASSERT_FALSE(routers_before.empty());
  for (int64_t step = 1; step <= 3; ++step) {
    ASSERT_TRUE(trainer.train_step(step).divergence.empty());
  }
  const auto parameters = trainer.model().named_parameters();
  for (const auto& [name, before] : routers_before) {
    EXPECT_TRUE(torch::equal(before[heldout], parameters[name].detach()[heldout]))
        << name << ": the unused held-out row moved";
  }
  // Control: the same decay does move the adapters (so the setting is in effect).
  int adapters_moved = 0;
  for (const auto& [name, before] : adapters_before) {
    adapters_moved += torch::equal(before, parameters[name].detach()) ? 0 : 1;
  }
  EXPECT_GT(adapters_moved, 0);
}

TEST(OptimGroups, UnfreezePutsBaseWeightsInABaseGroupThatTrains) {
  ExperimentConfig config = tiny_config(temporary_directory("unfreeze"));
  config.base.unfreeze = true;
  train::Trainer trainer(config);
  ASSERT_TRUE(trainer.prepare(nullptr, nullptr));
  const auto& groups = trainer.parameter_groups();
  ASSERT_EQ(groups.size(), 3u);
  const train::ParameterGroup& base = groups[2];
  ASSERT_EQ(base.name, "base");
  EXPECT_DOUBLE_EQ(base.learning_rate, config.train.base_learning_rate);
  EXPECT_DOUBLE_EQ(base.weight_decay, config.train.weight_decay);

  // Every base weight (names as in the Hugging Face layout) is in the group, adapted
  // projections' weights included.
  const std::string adapted = "encoder.block.0.layer.0.SelfAttention.q.weight";
  std::map<std::string, torch::Tensor> before;
  for (size_t i = 0; i < base.parameters.size(); ++i) {
    before[base.parameter_names[i]] = base.parameters[i].detach().clone();
  }
  for (const char* name :
       {"shared.weight", "lm_head.weight", "decoder.final_layer_norm.weight", adapted.c_str()}) {
    EXPECT_TRUE(before.count(name)) << name;
  }
  for (const auto& name : groups[0].parameter_names) EXPECT_FALSE(before.count(name)) << name;

  const train::StepResult result = trainer.train_step(1);
  ASSERT_TRUE(result.divergence.empty()) << result.divergence;
  const auto parameters = trainer.model().named_parameters();
  for (const char* name : {"shared.weight", "lm_head.weight", adapted.c_str()}) {
    EXPECT_FALSE(torch::equal(before.at(name), parameters[name].detach())) << name;
  }
}

}  // namespace
}  // namespace tensorpoly
