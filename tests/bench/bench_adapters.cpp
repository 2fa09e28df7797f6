// TensorPoly-I forward + backward at a T5-large feed-forward size (in 1024, out
// 2816, rank 16, 8 skills, order 4; 16 sequences × 256 tokens, and × 16 tokens), with
// 16 and with 2 tasks in the batch, in three formulations of the same function (adapter.h):
//   naive        forward_naive: routing and tensor-product factors rebuilt for
//                every example, then that example's [in, r] / [r, out] product;
//   per_example  forward_per_example: factors built once per step, then one mixed
//                [in, r] / [r, out] pair per example and batched products (no
//                grouping by task);
//   optimised    forward: factors built once per step, mixed once per distinct
//                task, one tall product per task.
// naive / per_example is the saving of building the factors once per step;
// per_example / optimised that of mixing once per task. BM_FrozenBase times the
// frozen linear layer alone, which every formulation shares, so that the adapter's
// own cost can be read off as (layer − base).
//
// BM_FactorConstruction times what TensorPoly-I builds per step for every adapted layer of
// a preset (t5-tiny: 72 layers; t5-large-shape: 432), forward and backward: the
// tensor-product factors and their routing mix for the batch's tasks, but not the
// products with the activations:
//   per_layer    every layer its own factor bank (each layer builds alone);
//   batched      one bank for the model, as inject_adapters() sets it up (same-shaped
//                sides stacked, one batched computation per stack).
//
// Threads: TENSORPOLY_BENCH_THREADS (default 2). "Time" is wall-clock, "CPU" the
// process CPU time of all threads (steadier on a shared machine).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapters/factor_bank.h"
#include "adapters/factory.h"
#include "tensorpoly/model_preset.h"
#include "tensorpoly/runtime.h"

namespace tensorpoly::adapters {
namespace {

// kTokens is the size; kShortTokens shows the regime where the factors, not
// the products with the activations, dominate the adapter's cost.
constexpr int64_t kIn = 1024, kOut = 2816, kSequences = 16, kTokens = 256, kShortTokens = 16;

struct Workload {
  std::shared_ptr<AdapterImpl> adapter;
  torch::Tensor x;
  torch::Tensor task_ids;
};

Workload make_workload(int64_t tasks_in_batch, int64_t tokens) {
  torch::manual_seed(0);
  AdapterConfig config;  // the TensorPoly-I sota config
  config.method = "tensorpoly-1";
  config.rank = 16;
  config.order = 4;
  config.n_skills = 8;
  config.n_splits = 1;
  config.n_tasks = 16;
  Workload workload;
  workload.adapter = make_adapter(config, kIn, kOut, /*with_bias=*/false, nullptr);
  workload.adapter->train();
  // Inside a model the layer input carries gradient too.
  workload.x = torch::randn({kSequences, tokens, kIn}).requires_grad_(true);
  workload.task_ids = torch::arange(kSequences) % tasks_in_batch;
  return workload;
}

enum class Formulation { kOptimised, kPerExample, kNaive };

void run_step(Workload& workload, Formulation formulation) {
  workload.adapter->zero_grad();
  workload.x.mutable_grad() = torch::Tensor();
  auto& adapter = *workload.adapter;
  torch::Tensor y;
  switch (formulation) {
    case Formulation::kOptimised:
      y = adapter.forward(workload.x, workload.task_ids);
      break;
    case Formulation::kPerExample:
      y = adapter.forward_per_example(workload.x, workload.task_ids);
      break;
    case Formulation::kNaive:
      y = adapter.forward_naive(workload.x, workload.task_ids);
      break;
  }
  y.sum().backward();
}

void BM_TensorPoly1(benchmark::State& state, Formulation formulation) {
  auto workload = make_workload(state.range(0), state.range(1));
  run_step(workload, formulation);  // warm-up
  for (auto _ : state) {
    run_step(workload, formulation);
    benchmark::ClobberMemory();
  }
  state.SetLabel(std::to_string(state.range(0)) + " tasks in batch, " +
                 std::to_string(state.range(1)) + " tokens per sequence");
}
// Names: BM_TensorPoly1/<formulation>/tasks:<tasks in the batch>/tokens:<per sequence>.
void TasksInBatch(benchmark::internal::Benchmark* b) {
  b->ArgNames({"tasks", "tokens"})
      ->ArgsProduct({{16, 2}, {kTokens, kShortTokens}})
      ->Unit(benchmark::kMillisecond)
      ->MeasureProcessCPUTime()
      ->UseRealTime();
}
BENCHMARK_CAPTURE(BM_TensorPoly1, naive, Formulation::kNaive)->Apply(TasksInBatch);
BENCHMARK_CAPTURE(BM_TensorPoly1, per_example, Formulation::kPerExample)->Apply(TasksInBatch);
BENCHMARK_CAPTURE(BM_TensorPoly1, optimised, Formulation::kOptimised)->Apply(TasksInBatch);

void BM_FrozenBase(benchmark::State& state) {
  auto workload = make_workload(2, state.range(0));
  const auto weight = workload.adapter->weight;
  for (auto _ : state) {
    workload.x.mutable_grad() = torch::Tensor();
    torch::nn::functional::linear(workload.x, weight).sum().backward();
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_FrozenBase)
    ->ArgName("tokens")
    ->Arg(kTokens)
    ->Arg(kShortTokens)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

// The adapted layers of a preset (q, k, v, o of every attention, wi_0, wi_1 and wo of every
// feed-forward), around one shared frozen base per shape (the factors never read it).
struct LayerSet {
  std::shared_ptr<TaskContext> context = std::make_shared<TaskContext>();
  std::vector<std::shared_ptr<TensorProductAdapterImpl>> layers;
  std::map<std::pair<int64_t, int64_t>, std::shared_ptr<LinearProjectionImpl>> bases;

  void add(int64_t in, int64_t out, const AdapterConfig& config) {
    auto& base = bases[{in, out}];
    if (!base) base = std::make_shared<LinearProjectionImpl>(in, out);
    auto layer =
        std::dynamic_pointer_cast<TensorProductAdapterImpl>(make_adapter(config, *base, context));
    layer->train();
    layers.push_back(std::move(layer));
  }
};

LayerSet make_layer_set(const std::string& preset_name, bool batched, int64_t tasks_in_batch) {
  torch::manual_seed(0);
  const ModelPreset& preset = model_preset(preset_name);
  AdapterConfig config;  // the TensorPoly-I sota config
  config.method = "tensorpoly-1";
  config.rank = 16;
  config.order = 4;
  config.n_skills = 8;
  config.n_splits = 1;
  config.n_tasks = 16;
  LayerSet set;
  const int64_t d = preset.d_model, inner = preset.inner_dim(), d_ff = preset.d_ff;
  auto attention = [&] {
    for (int i = 0; i < 3; ++i) set.add(d, inner, config);
    set.add(inner, d, config);
  };
  auto feed_forward = [&] {
    set.add(d, d_ff, config);
    set.add(d, d_ff, config);
    set.add(d_ff, d, config);
  };
  for (int64_t block = 0; block < preset.n_encoder_layers; ++block) {
    attention();
    feed_forward();
  }
  for (int64_t block = 0; block < preset.n_decoder_layers; ++block) {
    attention();
    attention();
    feed_forward();
  }
  if (batched) {
    auto bank = std::make_shared<FactorBank>();
    for (auto& layer : set.layers) layer->set_factor_bank(bank);
  }
  // 16 examples over `tasks_in_batch` tasks.
  set.context->task_ids = torch::arange(16) % tasks_in_batch;
  return set;
}

void build_factors(LayerSet& set) {
  const ForwardScope forward_pass(set.context.get());
  const TaskGrouping& tasks = *set.context->grouping(torch::kCPU);
  std::vector<torch::Tensor> sums;
  sums.reserve(2 * set.layers.size());
  for (const auto& layer : set.layers) {
    const auto [a, b] = layer->factor_bank()->routed_factors(*layer, *set.context, tasks);
    sums.push_back(a.sum());
    sums.push_back(b.sum());
  }
  torch::stack(sums).sum().backward();
}

void BM_FactorConstruction(benchmark::State& state, bool batched) {
  const char* presets[] = {"t5-tiny", "t5-large-shape"};
  const std::string preset = presets[state.range(0)];
  auto set = make_layer_set(preset, batched, state.range(1));
  build_factors(set);  // warm-up
  for (auto _ : state) {
    build_factors(set);
    benchmark::ClobberMemory();
  }
  state.SetLabel(preset + ", " + std::to_string(set.layers.size()) + " layers, " +
                 std::to_string(state.range(1)) + " tasks in batch");
}
// Names: BM_FactorConstruction/<per_layer|batched>/preset:<0 t5-tiny, 1 t5-large-shape>/tasks:<n>.
void LayerSets(benchmark::internal::Benchmark* b) {
  b->ArgNames({"preset", "tasks"})
      ->ArgsProduct({{0, 1}, {1, 4}})
      ->Unit(benchmark::kMillisecond)
      ->MeasureProcessCPUTime()
      ->UseRealTime();
}
BENCHMARK_CAPTURE(BM_FactorConstruction, per_layer, false)->Apply(LayerSets);
BENCHMARK_CAPTURE(BM_FactorConstruction, batched, true)->Apply(LayerSets);

}  // namespace
}  // namespace tensorpoly::adapters

int main(int argc, char** argv) {
  tensorpoly::select_blas_kernel(argv);
  const char* threads = std::getenv("TENSORPOLY_BENCH_THREADS");
  torch::set_num_threads(threads != nullptr ? std::atoi(threads) : 2);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
