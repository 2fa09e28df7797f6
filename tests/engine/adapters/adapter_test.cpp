// Adapter methods: optimised vs per-example vs naive forward, routing and its
// temperature, beam search, orders, invalid configurations, initialisation and
// trainable-parameter accounting.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "adapters/factory.h"
#include "adapters/lora.h"
#include "adapters/poly.h"
#include "adapters/tensor_product.h"
#include "adapters/tensorpoly1.h"
#include "adapters/tensorpoly2.h"
#include "adapters/tlora.h"

namespace tensorpoly::adapters {
namespace {

AdapterConfig make(const std::string& method, int64_t rank, int64_t order, int64_t n_skills,
                   int64_t n_splits, int64_t n_tasks) {
  AdapterConfig config;
  config.method = method;
  config.rank = rank;
  config.order = order;
  config.n_skills = n_skills;
  config.n_splits = n_splits;
  config.n_tasks = n_tasks;
  return config;
}

// One configuration per method and order, on a layer where every split divides.
std::vector<AdapterConfig> every_method() {
  std::vector<AdapterConfig> configs = {make("lora", 3, 1, 1, 1, 1), make("poly", 3, 1, 4, 1, 5),
                                        make("mhr", 3, 1, 4, 4, 5)};
  for (int64_t order : {1, 2, 4}) {
    configs.push_back(make("tlora", 3, order, 1, 1, 1));
    configs.push_back(make("tensorpoly-1", 3, order, 4, 1, 5));
    configs.push_back(make("tensorpoly-2", 3, order, 4, order, 5));
  }
  return configs;
}

std::string describe(const AdapterConfig& config) {
  return config.method + " order " + std::to_string(config.order);
}

// Randomises every parameter (also the zero-initialised B sides and the
// LayerNorm affines) so that all paths carry signal.
void randomise(AdapterImpl& adapter) {
  torch::NoGradGuard no_grad;
  for (auto& parameter : adapter.parameters()) parameter.normal_(0.0, 0.5);
}

void expect_all_close(const torch::Tensor& got, const torch::Tensor& expected,
                      const std::string& what, double rtol = 1e-4, double atol = 1e-5) {
  ASSERT_EQ(got.sizes(), expected.sizes()) << what;
  EXPECT_TRUE(torch::allclose(got, expected, rtol, atol))
      << what << ": max difference " << (got - expected).abs().max().item<double>();
}

// Output, input gradient and parameter gradients of Σ(y ⊙ probe).
struct Evaluation {
  torch::Tensor output;
  std::vector<torch::Tensor> gradients;  // input first, then parameters in order
};

// The three ways an adapter computes the same function (adapter.h).
enum class Formulation { kOptimised, kPerExample, kNaive };

Evaluation evaluate(AdapterImpl& adapter, const torch::Tensor& x, const torch::Tensor& task_ids,
                    const torch::Tensor& probe, Formulation formulation) {
  adapter.zero_grad();
  const auto input = x.clone().requires_grad_(true);
  torch::Tensor y;
  switch (formulation) {
    case Formulation::kOptimised:
      y = adapter.forward(input, task_ids);
      break;
    case Formulation::kPerExample:
      y = adapter.forward_per_example(input, task_ids);
      break;
    case Formulation::kNaive:
      y = adapter.forward_naive(input, task_ids);
      break;
  }
  (y * probe).sum().backward();
  Evaluation result{y.detach(), {input.grad().clone()}};
  for (const auto& parameter : adapter.parameters()) {
    result.gradients.push_back(parameter.grad().defined() ? parameter.grad().clone()
                                                          : torch::zeros_like(parameter));
  }
  return result;
}

void expect_same_evaluation(const Evaluation& got, const Evaluation& expected,
                            const std::vector<std::string>& names) {
  expect_all_close(got.output, expected.output, "output");
  ASSERT_EQ(got.gradients.size(), expected.gradients.size());
  for (size_t i = 0; i < got.gradients.size(); ++i) {
    expect_all_close(got.gradients[i], expected.gradients[i],
                     "gradient of " + (i == 0 ? std::string("input") : names[i - 1]));
  }
}

std::vector<std::string> parameter_names(AdapterImpl& adapter) {
  std::vector<std::string> names;
  for (const auto& item : adapter.named_parameters()) names.push_back(item.key());
  return names;
}

// x [B, 4, in], task ids [B] and a gradient probe [B, 4, out].
struct Batch {
  std::string what;
  torch::Tensor x, task_ids, probe;
};

// Batches that take every branch of the optimised path: tasks interleaved, tasks
// already in groups, every example its own task, and one task for the whole batch.
std::vector<Batch> batches_for(const AdapterConfig& config, int64_t in, int64_t out) {
  const auto x = torch::randn({6, 4, in});
  const auto probe = torch::randn({6, 4, out});
  std::vector<Batch> batches;
  if (config.n_tasks == 1) {
    batches.push_back({"dense", x, torch::zeros({6}, torch::kLong), probe});
    return batches;
  }
  batches.push_back({"interleaved", x, torch::tensor({3, 1, 3, 0, 3, 1}, torch::kLong), probe});
  batches.push_back({"grouped", x, torch::tensor({0, 0, 2, 2, 2, 4}, torch::kLong), probe});
  batches.push_back({"distinct", x.narrow(0, 0, 4), torch::tensor({3, 0, 4, 1}, torch::kLong),
                     probe.narrow(0, 0, 4)});
  batches.push_back({"one task", x, torch::full({6}, config.n_tasks - 1, torch::kLong), probe});
  return batches;
}

// `formulation` against the optimised forward, for every method, in eval and in
// train mode (relaxation off, so that both are deterministic).
void expect_formulation_matches_optimised(Formulation formulation) {
  const int64_t in = 24, out = 20;  // order 4: d_a 3 (81), d_b 3; order 2: 5 and 5
  for (const auto& config : every_method()) {
    for (bool training : {false, true}) {
      const auto adapter = make_adapter(config, in, out, /*with_bias=*/true, nullptr);
      randomise(*adapter);
      adapter->train(training);
      for (auto& parameter : adapter->parameters()) parameter.set_requires_grad(true);
      for (const auto& batch : batches_for(config, in, out)) {
        // The optimised path both ways: grouped by task (0 rows suffice) and mixed per
        // example (no group is ever large enough).
        for (const int64_t min_rows : {int64_t{0}, std::numeric_limits<int64_t>::max() / 64}) {
          SCOPED_TRACE(describe(config) + (training ? " train, " : " eval, ") + batch.what +
                       (min_rows == 0 ? ", grouped by task" : ", mixed per example"));
          adapter->set_min_rows_per_task_group(min_rows);
          expect_same_evaluation(
              evaluate(*adapter, batch.x, batch.task_ids, batch.probe, formulation),
              evaluate(*adapter, batch.x, batch.task_ids, batch.probe, Formulation::kOptimised),
              parameter_names(*adapter));
        }
      }
    }
  }
}

TEST(Adapters, OptimisedForwardMatchesNaiveForOutputAndGradients) {
  torch::manual_seed(1);
  expect_formulation_matches_optimised(Formulation::kNaive);
}

TEST(Adapters, PerExampleMixingMatchesOptimisedForOutputAndGradients) {
  torch::manual_seed(10);
  expect_formulation_matches_optimised(Formulation::kPerExample);
}

TEST(Adapters, BeamSearchRepeatsEachTaskIdConsecutively) {
  torch::manual_seed(2);
  for (const auto& config : every_method()) {
    SCOPED_TRACE(describe(config));
    const auto adapter = make_adapter(config, 16, 12, false, nullptr);
    randomise(*adapter);
    adapter->eval();
    torch::NoGradGuard no_grad;
    const auto x = torch::randn({6, 3, 16});  // 3 beams per example
    const auto ids =
        config.n_tasks == 1 ? torch::zeros({2}, torch::kLong) : torch::tensor({4, 1}, torch::kLong);
    const auto repeated = ids.repeat_interleave(3);
    expect_all_close(adapter->forward(x, ids), adapter->forward(x, repeated), "beam output");
    expect_all_close(adapter->forward_naive(x, ids), adapter->forward(x, repeated), "naive beam");
    expect_all_close(adapter->forward_per_example(x, ids), adapter->forward(x, repeated),
                     "per-example beam");
    if (config.n_tasks > 1) {
      // Not tiled: ids.repeat(3) gives another answer.
      EXPECT_FALSE(torch::allclose(adapter->forward(x, ids), adapter->forward(x, ids.repeat(3))));
    }
    if (config.n_tasks > 1) {  // dense methods ignore task ids
      EXPECT_THROW(adapter->forward(torch::randn({5, 3, 16}), ids), c10::Error);
    }
  }
}

TEST(Adapters, ForwardReadsTaskIdsFromTheSharedContext) {
  torch::manual_seed(3);
  auto context = std::make_shared<TaskContext>();
  const auto adapter = make_adapter(make("tensorpoly-1", 2, 2, 3, 1, 4), 9, 7, false, context);
  randomise(*adapter);
  adapter->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 5, 9});
  EXPECT_THROW(adapter->forward(x), c10::Error);           // no task ids yet
  context->task_ids = torch::tensor({3, 0}, torch::kInt);  // any integer type
  expect_all_close(adapter->forward(x), adapter->forward(x, torch::tensor({3, 0})), "context");
  context->task_ids = torch::tensor({4, 0});
  EXPECT_THROW(adapter->forward(x), c10::Error);  // outside [0, n_tasks)
  context->task_ids = torch::tensor({0.5, 1.0});
  EXPECT_THROW(adapter->forward(x), c10::Error);  // not integers
  // [B, in] inputs work too.
  context->task_ids = torch::tensor({1, 2});
  const auto flat = torch::randn({2, 9});
  expect_all_close(adapter->forward(flat), adapter->forward(flat.unsqueeze(1)).squeeze(1), "2-D x");
}

TEST(Adapters, EvalRoutingIsNormalisedSigmoidSplitMajor) {
  RouterImpl router(3, 2, 4, RoutingKind::kSplits);
  {
    torch::NoGradGuard no_grad;
    router.module_logits.normal_(0.0, 2.0);
  }
  const auto weights = router.route(torch::tensor({2, 0}), false, 1.0);  // [2, Q, S]
  ASSERT_EQ(weights.sizes(), torch::IntArrayRef({2, 2, 4}));
  for (int64_t row = 0; row < 2; ++row) {
    const int64_t task = row == 0 ? 2 : 0;
    for (int64_t q = 0; q < 2; ++q) {
      double total = 0.0;
      for (int64_t s = 0; s < 4; ++s)
        total += 1.0 / (1.0 + std::exp(-router.module_logits[task][q * 4 + s].item<double>()));
      for (int64_t s = 0; s < 4; ++s) {
        const double p =
            1.0 / (1.0 + std::exp(-router.module_logits[task][q * 4 + s].item<double>()));
        EXPECT_NEAR(weights[row][q][s].item<double>(), p / (total + 1e-12), 1e-6);
      }
    }
  }
}

TEST(Adapters, RelaxedBernoulliSamplesOnlyWhenSwitchedOnInTraining) {
  torch::manual_seed(4);
  AdapterConfig config = make("poly", 2, 1, 4, 1, 3);
  const auto adapter = make_adapter(config, 8, 8, false, nullptr);
  randomise(*adapter);
  const auto x = torch::randn({3, 2, 8});
  const auto ids = torch::tensor({0, 1, 2});
  torch::NoGradGuard no_grad;
  adapter->eval();
  const auto eval_output = adapter->forward(x, ids);
  adapter->train();  // relaxed_bernoulli off (default): same as eval
  expect_all_close(adapter->forward(x, ids), eval_output, "train without relaxation");

  config.relaxed_bernoulli = true;
  const auto relaxed = make_adapter(config, 8, 8, false, nullptr);
  {
    for (const auto& item : adapter->named_parameters()) {
      relaxed->named_parameters()[item.key()].copy_(item.value());
    }
  }
  relaxed->eval();
  expect_all_close(relaxed->forward(x, ids), eval_output, "relaxed router in eval");
  relaxed->train();
  const auto first = relaxed->forward(x, ids);
  const auto second = relaxed->forward(x, ids);
  EXPECT_FALSE(torch::allclose(first, eval_output));
  EXPECT_FALSE(torch::allclose(first, second));  // fresh noise per forward

  // The samples are normalised over skills; low temperatures push p towards 0/1.
  RouterImpl router(1, 1, 4, RoutingKind::kSkills);
  const auto rows = torch::zeros({20000, 4});
  const auto warm = router.route_rows(rows, true, 1.0);
  EXPECT_TRUE(torch::allclose(warm.sum(-1), torch::ones({20000, 1}), 1e-5, 1e-5));
  const auto cold = router.route_rows(rows, true, 0.05);
  // At a low temperature each p is nearly 0 or 1, so the weights spread further from 1/S.
  const auto spread_warm = (warm - 0.25).abs().mean().item<double>();
  const auto spread_cold = (cold - 0.25).abs().mean().item<double>();
  EXPECT_GT(spread_cold, spread_warm + 0.05);
  // Zero logits at τ = 1: p = sigmoid(log u − log(1 − u)) = u is uniform, so the
  // mean of p over many samples is 1/2 (checked on a one-skill router, whose
  // weight is p / (p + 1e-12) ≈ 1, via the unnormalised path of two skills).
  RouterImpl two(1, 1, 2, RoutingKind::kSkills);
  const auto pair = two.route_rows(torch::zeros({20000, 2}), true, 1.0);
  EXPECT_NEAR(pair.select(1, 0).mean().item<double>(), 0.5, 0.01);
}

TEST(Adapters, AdapterTemperatureScalesTheRelaxedLogitsInTraining) {
  torch::manual_seed(9);
  const int64_t in = 24, out = 20;
  for (const auto& config : {make("tensorpoly-1", 3, 2, 4, 1, 5), make("poly", 3, 1, 4, 1, 5)}) {
    SCOPED_TRACE(config.method);
    const auto source = make_adapter(config, in, out, /*with_bias=*/true, nullptr);
    randomise(*source);
    {
      torch::NoGradGuard no_grad;
      source->router()->module_logits.normal_(0.0, 2.0);  // far from uniform routing
    }
    // A copy of `source` with another routing configuration.
    auto copy_with = [&](bool relaxed, double temperature, bool zero_logits) {
      AdapterConfig changed = config;
      changed.relaxed_bernoulli = relaxed;
      changed.temperature = temperature;
      auto adapter = make_adapter(changed, in, out, true, nullptr);
      torch::NoGradGuard no_grad;
      for (const auto& item : source->named_parameters()) {
        adapter->named_parameters()[item.key()].copy_(item.value());
      }
      if (zero_logits) adapter->router()->module_logits.zero_();
      return adapter;
    };
    torch::NoGradGuard no_grad;
    const auto x = torch::randn({6, 4, in});
    const auto ids = torch::tensor({3, 1, 3, 0, 3, 1});
    source->eval();
    const auto eval_output = source->forward(x, ids);
    // Eval mode with all-zero logits: every weight is p / Σp = 1/S.
    const auto uniform = copy_with(false, 1.0, /*zero_logits=*/true);
    uniform->eval();
    const auto uniform_output = uniform->forward(x, ids);
    const auto base_output = torch::nn::functional::linear(x, source->weight, source->bias);
    const double update_scale = (uniform_output - base_output).abs().max().item<double>();
    ASSERT_GT(update_scale, 0.1);
    // The routing matters here, so the comparisons below can fail.
    ASSERT_GT((eval_output - uniform_output).abs().max().item<double>(), 0.05 * update_scale);

    // τ = 1e6: (logit + noise) / τ ≈ 0, so every p ≈ 1/2 and every weight ≈ 1/S.
    const auto hot = copy_with(true, 1e6, false);
    hot->train();
    const double tolerance = 1e-4 * update_scale;
    EXPECT_LT((hot->forward(x, ids) - uniform_output).abs().max().item<double>(), tolerance);
    EXPECT_LT((hot->forward_per_example(x, ids) - uniform_output).abs().max().item<double>(),
              tolerance);
    EXPECT_LT((hot->forward_naive(x, ids) - uniform_output).abs().max().item<double>(), tolerance);

    // τ = 0.1: each p is pushed towards 0 or 1, far from uniform routing.
    const auto cold = copy_with(true, 0.1, false);
    cold->train();
    EXPECT_GT((cold->forward(x, ids) - uniform_output).abs().max().item<double>(),
              0.05 * update_scale);

    // Relaxation off (the sota switch): train mode is the plain sigmoid, exactly
    // eval mode, whatever the temperature.
    const auto plain = copy_with(false, 0.1, false);
    plain->train();
    EXPECT_TRUE(torch::equal(plain->forward(x, ids), eval_output));
    EXPECT_TRUE(
        torch::equal(plain->forward_per_example(x, ids), source->forward_per_example(x, ids)));
    // And a relaxed adapter in eval mode does not sample.
    cold->eval();
    EXPECT_TRUE(torch::equal(cold->forward(x, ids), eval_output));
  }
}

TEST(Adapters, AbsentTasksGetZeroRouterGradient) {
  torch::manual_seed(5);
  for (const auto& config : every_method()) {
    if (config.n_tasks == 1) continue;
    SCOPED_TRACE(describe(config));
    const auto adapter = make_adapter(config, 16, 12, true, nullptr);
    randomise(*adapter);
    adapter->forward(torch::randn({3, 2, 16}), torch::tensor({1, 3, 1})).pow(2).sum().backward();
    const auto grad = adapter->router()->module_logits.grad();
    ASSERT_TRUE(grad.defined());
    for (int64_t task = 0; task < config.n_tasks; ++task) {
      const bool present = task == 1 || task == 3;
      EXPECT_EQ(grad[task].abs().sum().item<double>() > 0.0, present) << "task " << task;
    }
  }
}

using Shapes = std::map<std::string, std::vector<int64_t>>;

Shapes shapes_of(const AdapterConfig& config, int64_t in, int64_t out, bool with_bias) {
  Shapes result;
  for (const auto& item : make_adapter(config, in, out, with_bias, nullptr)->named_parameters()) {
    result[item.key()] = item.value().sizes().vec();
  }
  return result;
}

TEST(Adapters, ParameterNamesAndShapesFollowTheContract) {
  // in 30, out 18: order 4 leaves 3 and 3 (81), order 2 leaves 6 and 5.
  EXPECT_EQ(
      shapes_of(make("lora", 3, 1, 1, 1, 1), 30, 18, true),
      (Shapes{{"weight", {18, 30}}, {"bias", {18}}, {"lora_a", {3, 30}}, {"lora_b", {18, 3}}}));
  EXPECT_EQ(shapes_of(make("poly", 2, 1, 4, 1, 5), 30, 18, false),
            (Shapes{{"weight", {18, 30}},
                    {"lora_a", {1, 4, 30, 2}},
                    {"lora_b", {1, 4, 2, 18}},
                    {"module_logits", {5, 4}}}));
  EXPECT_EQ(shapes_of(make("mhr", 2, 1, 4, 3, 5), 30, 18, false),
            (Shapes{{"weight", {18, 30}},
                    {"lora_a", {3, 4, 10, 2}},
                    {"lora_b", {3, 4, 2, 6}},
                    {"module_logits", {5, 12}}}));
  EXPECT_EQ(shapes_of(make("tlora", 2, 4, 1, 1, 1), 30, 18, false),
            (Shapes{{"weight", {18, 30}},
                    {"weight_leafs_a", {4, 2, 3}},
                    {"weight_leafs_b", {4, 2, 3}},
                    {"ln1_a.weight", {2, 9}},
                    {"ln1_a.bias", {2, 9}},
                    {"ln1_b.weight", {2, 9}},
                    {"ln1_b.bias", {2, 9}}}));
  EXPECT_EQ(
      shapes_of(make("tlora", 2, 1, 1, 1, 1), 30, 18, false),
      (Shapes{
          {"weight", {18, 30}}, {"weight_leafs_a", {1, 2, 30}}, {"weight_leafs_b", {1, 2, 18}}}));
  EXPECT_EQ(shapes_of(make("tensorpoly-1", 2, 2, 4, 1, 5), 30, 18, false),
            (Shapes{{"weight", {18, 30}},
                    {"weight_leafs_a", {2, 4, 2, 6}},
                    {"weight_leafs_b", {2, 4, 2, 5}},
                    {"ln1_a.weight", {2, 36}},
                    {"ln1_a.bias", {2, 36}},
                    {"ln1_b.weight", {2, 25}},
                    {"ln1_b.bias", {2, 25}},
                    {"module_logits", {5, 4}}}));
  EXPECT_EQ(shapes_of(make("tensorpoly-2", 2, 4, 4, 4, 5), 30, 18, false),
            (Shapes{{"weight", {18, 30}},
                    {"weight_leafs_a", {4, 4, 2, 3}},
                    {"weight_leafs_b", {4, 4, 2, 3}},
                    {"ln1_a.weight", {2, 9}},
                    {"ln1_a.bias", {2, 9}},
                    {"ln1_b.weight", {2, 9}},
                    {"ln1_b.bias", {2, 9}},
                    {"ln2_a.weight", {2, 9}},
                    {"ln2_a.bias", {2, 9}},
                    {"ln2_b.weight", {2, 9}},
                    {"ln2_b.bias", {2, 9}},
                    {"module_logits", {5, 16}}}));
  EXPECT_EQ(shapes_of(make("tensorpoly-2", 2, 2, 4, 2, 5), 30, 18, false).count("ln2_a.weight"),
            0u);
}

TEST(Adapters, RefusesInvalidConfigurationsNamingTheField) {
  auto field_of = [](const AdapterConfig& config, int64_t in, int64_t out) -> std::string {
    try {
      make_adapter(config, in, out, false, nullptr);
    } catch (const ConfigError& error) {
      return error.problems().front().field;
    }
    return "(accepted)";
  };
  EXPECT_EQ(field_of(make("tensorpoly-1", 2, 3, 4, 1, 5), 16, 16), "adapter.order");
  EXPECT_EQ(field_of(make("tensorpoly-2", 2, 8, 4, 8, 5), 16, 16), "adapter.order");
  EXPECT_EQ(field_of(make("tlora", 0, 2, 1, 1, 1), 16, 16), "adapter.rank");
  EXPECT_EQ(field_of(make("poly", 2, 1, 0, 1, 5), 16, 16), "adapter.n_skills");
  EXPECT_EQ(field_of(make("mhr", 2, 1, 4, 3, 5), 16, 12), "adapter.n_splits");
  EXPECT_EQ(field_of(make("tensorpoly-2", 2, 4, 4, 2, 5), 16, 16), "adapter.n_splits");
  EXPECT_EQ(field_of(make("tensorpoly-1", 2, 4, 4, 2, 5), 16, 16), "adapter.n_splits");
  EXPECT_EQ(field_of(make("adapter", 2, 4, 4, 1, 5), 16, 16), "adapter.method");
  EXPECT_EQ(field_of(make("none", 2, 4, 4, 1, 5), 16, 16), "adapter.method");  // no adapter module
  EXPECT_EQ(field_of(make("mhr", 2, 1, 4, 4, 5), 16, 12), "(accepted)");
  // The tensor product itself refuses other orders.
  const auto leaves = torch::randn({3, 1, 2, 3});
  EXPECT_THROW(tensor_product_factor(leaves, 20, make_pair_norm(2, 3), make_pair_norm(2, 3)),
               c10::Error);
}

TEST(Adapters, TensorProductOrderFourMatchesTheIndexFormula) {
  torch::manual_seed(6);
  const int64_t r = 2, d = 3, n = 50;
  const auto leaves = torch::randn({4, 1, r, d});
  auto ln1 = make_pair_norm(r, d), ln2 = make_pair_norm(r, d);
  {
    torch::NoGradGuard no_grad;
    for (auto* ln : {&ln1, &ln2}) {
      (*ln)->weight.normal_();
      (*ln)->bias.normal_();
    }
  }
  torch::NoGradGuard no_grad;
  const auto factor = tensor_product_factor(leaves, n, ln1, ln2)[0];  // [r, n]
  ASSERT_EQ(factor.sizes(), torch::IntArrayRef({r, n}));
  // Direct computation: P01[ρ, i0·d + i1] = ℓ0[ρ, i0] ℓ1[ρ, i1], LayerNorm over all r·d² entries.
  auto pair = [&](int64_t first, const torch::nn::LayerNorm& ln) {
    auto product = torch::empty({r, d * d});
    for (int64_t rho = 0; rho < r; ++rho)
      for (int64_t i = 0; i < d; ++i)
        for (int64_t j = 0; j < d; ++j)
          product[rho][i * d + j] = leaves[first][0][rho][i] * leaves[first + 1][0][rho][j];
    const auto mean = product.mean();
    const auto variance = (product - mean).pow(2).mean();
    return (product - mean) / torch::sqrt(variance + 1e-5) * ln->weight + ln->bias;
  };
  const auto p01 = pair(0, ln1), p23 = pair(2, ln2);
  for (int64_t rho = 0; rho < r; ++rho) {
    for (int64_t f = 0; f < n; ++f) {
      EXPECT_NEAR(factor[rho][f].item<double>(),
                  (p01[rho][f / (d * d)] * p23[rho][f % (d * d)]).item<double>(), 1e-5)
          << "ρ " << rho << " f " << f;
    }
  }
}

TEST(Adapters, InitialisationFollowsTheReference) {
  torch::manual_seed(7);
  const int64_t in = 1024, out = 512;
  const double bound = std::sqrt(1.0 / 3.0) / std::sqrt(static_cast<double>(in));
  // U(−b, b): |x| ≤ b, mean ≈ 0, variance b²/3, and the range nearly reached.
  auto expect_uniform = [](const torch::Tensor& values, double b, const std::string& what) {
    const auto v = values.detach().to(torch::kDouble);
    EXPECT_LE(v.abs().max().item<double>(), b) << what;
    EXPECT_GE(v.abs().max().item<double>(), 0.99 * b) << what;
    EXPECT_NEAR(v.mean().item<double>(), 0.0, 0.05 * b) << what;
    EXPECT_NEAR(v.var().item<double>(), b * b / 3.0, 0.05 * b * b / 3.0) << what;
  };
  {
    auto adapter = std::dynamic_pointer_cast<LoraImpl>(
        make_adapter(make("lora", 16, 1, 1, 1, 1), in, out, false, nullptr));
    expect_uniform(adapter->lora_a, bound, "lora_a");
    EXPECT_EQ(adapter->lora_b.abs().max().item<double>(), 0.0);
  }
  {
    auto adapter = std::dynamic_pointer_cast<PolyImpl>(
        make_adapter(make("mhr", 4, 1, 8, 2, 500), in, out, false, nullptr));
    expect_uniform(adapter->lora_a, bound, "poly lora_a");
    EXPECT_EQ(adapter->lora_b.abs().max().item<double>(), 0.0);
    expect_uniform(adapter->router()->module_logits, 1e-3, "module_logits");
  }
  {
    auto adapter = std::dynamic_pointer_cast<TensorPoly1Impl>(
        make_adapter(make("tensorpoly-1", 16, 2, 8, 1, 6), in, out, false, nullptr));
    expect_uniform(adapter->weight_leafs_a, bound, "tensorpoly-1 leaves a");
    expect_uniform(adapter->weight_leafs_b, bound, "tensorpoly-1 leaves b (std from in)");
    EXPECT_TRUE(torch::equal(adapter->ln1_a->weight, torch::ones_like(adapter->ln1_a->weight)));
    EXPECT_TRUE(torch::equal(adapter->ln1_b->bias, torch::zeros_like(adapter->ln1_b->bias)));
  }
  {
    auto adapter = std::dynamic_pointer_cast<TLoraImpl>(
        make_adapter(make("tlora", 16, 2, 1, 1, 1), in, out, false, nullptr));
    expect_uniform(adapter->weight_leafs_a, bound, "tlora leaves a");
    expect_uniform(adapter->weight_leafs_b, bound, "tlora leaves b");
  }
  {
    auto adapter = std::dynamic_pointer_cast<TensorPoly2Impl>(
        make_adapter(make("tensorpoly-2", 16, 2, 8, 2, 6), in, out, false, nullptr));
    // [k, S, r, d] = [2, 8, 16, 32] and [2, 8, 16, 23]: fan_in S·r·d, fan_out k·r·d.
    expect_uniform(adapter->weight_leafs_a, std::sqrt(6.0 / (8 * 16 * 32 + 2 * 16 * 32)), "tp2 a");
    expect_uniform(adapter->weight_leafs_b, std::sqrt(6.0 / (8 * 16 * 23 + 2 * 16 * 23)), "tp2 b");
    EXPECT_TRUE(torch::equal(adapter->ln1_b->weight, torch::ones_like(adapter->ln1_b->weight)));
  }
}

TEST(Adapters, TrainableParametersMatchTheClosedForm) {
  auto trainable = [](AdapterImpl& adapter) {
    int64_t count = 0;
    for (const auto& parameter : adapter.parameters()) {
      if (parameter.requires_grad()) count += parameter.numel();
    }
    return count;
  };
  for (auto [in, out] : {std::pair<int64_t, int64_t>{24, 20}, {1024, 2816}}) {
    for (AdapterConfig config : every_method()) {
      if (in == 1024) config.rank = 16;
      for (bool train_layer_norms : {false, true}) {
        config.train_layer_norms = train_layer_norms;
        SCOPED_TRACE(describe(config) + (train_layer_norms ? " with LN" : "") + " in " +
                     std::to_string(in));
        const auto adapter = make_adapter(config, in, out, true, nullptr);
        EXPECT_EQ(trainable(*adapter), trainable_parameters_per_layer(config, in, out));
        EXPECT_FALSE(adapter->weight.requires_grad());
        EXPECT_FALSE(adapter->bias.requires_grad());
      }
    }
  }
}

TEST(Adapters, TLoraIsTensorPolyOneWithOneSkillAndOrderOneIsLora) {
  torch::manual_seed(8);
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 3, 24});
  for (int64_t order : {1, 2, 4}) {
    auto tlora = std::dynamic_pointer_cast<TLoraImpl>(
        make_adapter(make("tlora", 3, order, 1, 1, 1), 24, 20, true, nullptr));
    auto tp1 = std::dynamic_pointer_cast<TensorPoly1Impl>(
        make_adapter(make("tensorpoly-1", 3, order, 1, 1, 2), 24, 20, true, nullptr));
    randomise(*tlora);
    for (const auto& item : tlora->named_parameters()) {
      auto target = tp1->named_parameters()[item.key()];
      target.copy_(item.key().rfind("weight_leafs", 0) == 0 ? item.value().unsqueeze(1)
                                                            : item.value());
    }
    expect_all_close(tp1->forward(x, torch::tensor({1, 0})), tlora->forward(x, torch::tensor({0})),
                     "order " + std::to_string(order));
    if (order == 1) {
      auto lora = std::dynamic_pointer_cast<LoraImpl>(
          make_adapter(make("lora", 3, 1, 1, 1, 1), 24, 20, true, nullptr));
      lora->weight.copy_(tlora->weight);
      lora->bias.copy_(tlora->bias);
      lora->lora_a.copy_(tlora->weight_leafs_a[0]);
      lora->lora_b.copy_(tlora->weight_leafs_b[0].t());
      expect_all_close(lora->forward(x, torch::tensor({0})), tlora->forward(x, torch::tensor({0})),
                       "tlora order 1 = lora");
    }
  }
}

}  // namespace
}  // namespace tensorpoly::adapters
