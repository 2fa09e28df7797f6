// The factor bank (adapters/factor_bank.h): layers built together give the outputs and
// gradients of layers built one by one, same-shaped sides share a stack, and the cache
// rebuilds exactly when a forward pass, a parameter update or new task ids require it.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/factor_bank.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "adapters/factory.h"
#include "adapters/router.h"
#include "adapters/tensor_product_adapter.h"

namespace tensorpoly::adapters {
namespace {

AdapterConfig make(const std::string& method, int64_t order) {
  AdapterConfig config;
  config.method = method;
  config.rank = 3;
  config.order = order;
  config.n_skills = 4;
  config.n_splits = method == "tensorpoly-2" ? order : 1;
  config.n_tasks = 5;
  return config;
}

// (in, out) of the layers: two attention-like squares, a widening and a narrowing layer,
// so that A and B sides of different layers share stacks.
const std::vector<std::pair<int64_t, int64_t>> kShapes = {{24, 24}, {24, 24}, {24, 40}, {40, 24}};

// The adapter's parameters, and its router's logits when the router is shared (then
// registered elsewhere).
std::vector<torch::Tensor> parameters_of(TensorProductAdapterImpl& adapter) {
  auto parameters = adapter.parameters();
  if (adapter.router()->shared()) parameters.push_back(adapter.router()->module_logits);
  return parameters;
}

// Layers of one method sharing a task context; `shared_router` gives the first two one
// router (as block granularity does).
struct Layers {
  std::shared_ptr<TaskContext> context = std::make_shared<TaskContext>();
  std::vector<std::shared_ptr<TensorProductAdapterImpl>> adapters;
  std::vector<torch::Tensor> inputs, probes;

  Layers(const AdapterConfig& config, bool shared_router) {
    std::shared_ptr<RouterImpl> router;
    if (shared_router) router = make_router(config, "block");
    for (size_t i = 0; i < kShapes.size(); ++i) {
      const auto [in, out] = kShapes[i];
      const LinearProjectionImpl base(in, out, /*with_bias=*/i % 2 == 0);
      auto adapter = std::dynamic_pointer_cast<TensorProductAdapterImpl>(
          make_adapter(config, base, context, i < 2 ? router : nullptr));
      // Every parameter random (LayerNorm affines and shared router too), all trainable.
      torch::NoGradGuard no_grad;
      for (auto& parameter : parameters_of(*adapter)) {
        parameter.normal_(0.0, 0.5);
        parameter.set_requires_grad(true);
      }
      adapters.push_back(adapter);
      inputs.push_back(torch::randn({6, 3, in}));
      probes.push_back(torch::randn({6, 3, out}));
    }
  }
  void share() {
    auto bank = std::make_shared<FactorBank>();
    for (auto& adapter : adapters) adapter->set_factor_bank(bank);
  }
  void separate() {
    for (auto& adapter : adapters) adapter->set_factor_bank(std::make_shared<FactorBank>());
  }
  // Σ_layers Σ(y ⊙ probe) as one forward pass of a "model" with these layers.
  torch::Tensor loss(const std::vector<torch::Tensor>& xs) {
    const ForwardScope forward_pass(context.get());
    torch::Tensor total = torch::zeros({});
    for (size_t i = 0; i < adapters.size(); ++i) {
      total = total + (adapters[i]->forward(xs[i]) * probes[i]).sum();
    }
    return total;
  }
  // Output and the gradients of every input and parameter, in a fixed order.
  std::vector<torch::Tensor> evaluate() {
    std::vector<torch::Tensor> xs;
    for (const auto& x : inputs) xs.push_back(x.clone().requires_grad_(true));
    for (auto& adapter : adapters) {
      for (auto& parameter : parameters_of(*adapter)) parameter.mutable_grad() = torch::Tensor();
    }
    const auto total = loss(xs);
    total.backward();
    std::vector<torch::Tensor> results = {total.detach()};
    for (const auto& x : xs) results.push_back(x.grad().clone());
    for (auto& adapter : adapters) {
      for (const auto& parameter : parameters_of(*adapter)) {
        results.push_back(parameter.grad().defined() ? parameter.grad().clone()
                                                     : torch::zeros_like(parameter));
      }
    }
    return results;
  }
  int64_t factor_builds() const { return adapters.front()->factor_bank()->factor_builds(); }
  int64_t mix_builds() const { return adapters.front()->factor_bank()->mix_builds(); }
};

std::vector<AdapterConfig> tensor_product_methods() {
  std::vector<AdapterConfig> configs;
  for (const int64_t order : {1, 2, 4}) {
    configs.push_back(make("tensorpoly-1", order));
    configs.push_back(make("tensorpoly-2", order));
  }
  return configs;
}

void expect_same(const std::vector<torch::Tensor>& got,
                 const std::vector<torch::Tensor>& expected) {
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].sizes(), expected[i].sizes()) << "tensor " << i;
    EXPECT_TRUE(torch::allclose(got[i], expected[i], 1e-5, 1e-6))
        << "tensor " << i << " (0: output, then inputs' and parameters' gradients): max difference "
        << (got[i] - expected[i]).abs().max().item<double>();
  }
}

TEST(FactorBank, LayersBuiltTogetherMatchLayersBuiltAloneWithGradients) {
  for (const auto& config : tensor_product_methods()) {
    for (const bool shared_router : {false, true}) {
      SCOPED_TRACE(config.method + " order " + std::to_string(config.order) +
                   (shared_router ? ", shared router" : ""));
      torch::manual_seed(7);
      Layers layers(config, shared_router);
      for (const auto& ids : {torch::tensor({3, 1, 3, 0, 3, 1}), torch::full({6}, 2)}) {
        layers.context->task_ids = ids;
        layers.separate();
        const auto alone = layers.evaluate();
        layers.share();
        const auto together = layers.evaluate();
        expect_same(together, alone);
        // The naive formulation (per example, per layer) agrees as well.
        torch::NoGradGuard no_grad;
        for (size_t i = 0; i < layers.adapters.size(); ++i) {
          EXPECT_TRUE(torch::allclose(layers.adapters[i]->forward(layers.inputs[i]),
                                      layers.adapters[i]->forward_naive(layers.inputs[i], ids),
                                      1e-4, 1e-5));
        }
      }
    }
  }
}

TEST(FactorBank, SameShapedSidesShareAStack) {
  torch::manual_seed(8);
  Layers layers(make("tensorpoly-1", 4), /*shared_router=*/false);
  layers.share();
  layers.context->task_ids = torch::tensor({0, 1, 2, 3, 4, 0});
  torch::NoGradGuard no_grad;
  (void)layers.loss(layers.inputs);
  // Widths 24 (both sides of the squares, A of the widening, B of the narrowing layer)
  // and 40: two stacks, each built once.
  EXPECT_EQ(layers.adapters.front()->factor_bank()->stack_count(), 2u);
  EXPECT_EQ(layers.factor_builds(), 2);
  layers.separate();
  (void)layers.loss(layers.inputs);
  // Alone, a square layer's A and B sides have the same shapes (one stack); the widening
  // layer's do not (two).
  EXPECT_EQ(layers.adapters[0]->factor_bank()->stack_count(), 1u);
  EXPECT_EQ(layers.adapters[2]->factor_bank()->stack_count(), 2u);
  EXPECT_EQ(layers.adapters[2]->factor_bank()->factor_builds(), 2);
}

TEST(FactorBank, FixedWeightsBuildOnceUntilAParameterChanges) {
  torch::manual_seed(9);
  Layers layers(make("tensorpoly-1", 4), false);
  layers.share();
  torch::NoGradGuard no_grad;
  layers.context->task_ids = torch::tensor({0, 1, 2, 3, 4, 0});
  const auto first = layers.loss(layers.inputs);
  EXPECT_EQ(layers.factor_builds(), 2);
  EXPECT_EQ(layers.mix_builds(), 2);
  // Evaluation and greedy decoding: many passes, the same weights and task ids.
  for (int pass = 0; pass < 3; ++pass) EXPECT_TRUE(torch::equal(layers.loss(layers.inputs), first));
  EXPECT_EQ(layers.factor_builds(), 2);
  EXPECT_EQ(layers.mix_builds(), 2);
  // Other task ids: mixed again from the same factors.
  layers.context->task_ids = torch::tensor({4, 4, 4, 1, 1, 1});
  (void)layers.loss(layers.inputs);
  EXPECT_EQ(layers.factor_builds(), 2);
  EXPECT_EQ(layers.mix_builds(), 4);
  // The ids changed in place: their version tells.
  layers.context->task_ids.fill_(2);
  const auto in_place = layers.loss(layers.inputs);
  EXPECT_EQ(layers.mix_builds(), 6);
  // An optimiser step (an in-place update) invalidates the factors of the stack it touches
  // (the widening layer's B side: width 40), and the result is that of the new weights.
  layers.adapters[2]->weight_leafs_b.add_(0.25);
  const auto updated = layers.loss(layers.inputs);
  EXPECT_EQ(layers.factor_builds(), 3);
  EXPECT_FALSE(torch::allclose(updated, in_place));
  layers.separate();
  EXPECT_TRUE(torch::allclose(layers.loss(layers.inputs), updated, 1e-5, 1e-6));
}

TEST(FactorBank, TrainingBuildsOncePerForwardPassAndBackwardsEachPass) {
  torch::manual_seed(10);
  Layers layers(make("tensorpoly-1", 4), false);
  layers.share();
  layers.context->task_ids = torch::tensor({0, 1, 2, 3, 4, 0});
  for (int64_t pass = 1; pass <= 3; ++pass) {
    // No parameter changes between the passes, yet each needs its own graph.
    EXPECT_NO_THROW(layers.loss(layers.inputs).backward());
    EXPECT_EQ(layers.factor_builds(), 2 * pass);
  }
  // Without gradients the graph-carrying result of a pass is not reused later, and the
  // result without a graph is not used once gradients are wanted again.
  {
    torch::NoGradGuard no_grad;
    (void)layers.loss(layers.inputs);
  }
  EXPECT_EQ(layers.factor_builds(), 8);
  layers.loss(layers.inputs).backward();
  EXPECT_EQ(layers.factor_builds(), 10);
  EXPECT_TRUE(layers.adapters[0]->weight_leafs_a.grad().defined());
}

TEST(FactorBank, RouterOnlyAdaptationBuildsFactorsOnceAndRemixesEachPass) {
  torch::manual_seed(11);
  Layers layers(make("tensorpoly-1", 4), false);
  layers.context->task_ids = torch::tensor({0, 1, 2, 3, 4, 0});
  for (auto& adapter : layers.adapters) {
    for (auto& parameter : adapter->parameters()) parameter.set_requires_grad(false);
    adapter->router()->module_logits.set_requires_grad(true);
  }
  layers.separate();
  const auto alone = layers.evaluate();
  layers.share();
  for (int64_t pass = 1; pass <= 3; ++pass) {
    expect_same(layers.evaluate(), alone);
    EXPECT_EQ(layers.factor_builds(), 2);  // the frozen factors, once
    EXPECT_EQ(layers.mix_builds(), 2 * pass);
  }
  // A router step re-mixes without rebuilding the factors.
  {
    torch::NoGradGuard no_grad;
    layers.adapters[1]->router()->module_logits.add_(0.5);
  }
  const auto stepped = layers.evaluate();
  EXPECT_EQ(layers.factor_builds(), 2);
  layers.separate();
  expect_same(stepped, layers.evaluate());
}

}  // namespace
}  // namespace tensorpoly::adapters
