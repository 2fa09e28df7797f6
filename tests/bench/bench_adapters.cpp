// TensorPoly-I forward + backward at a T5-large feed-forward size (in 1024, out
// 2816, rank 16, 8 skills, order 4; 16 sequences × 256 tokens): the naive
// formulation (forward_naive: routing and tensor-product factors rebuilt for every
// example) against the optimised one (factors built once per step, mixed once per
// distinct task), with 16 and with 2 tasks in the batch. BM_FrozenBase times the
// frozen linear layer alone, which both formulations share, so that the adapter's
// own cost can be read off as (layer − base).
//
// Threads: TENSORPOLY_BENCH_THREADS (default 2). "Time" is wall-clock, "CPU" the
// process CPU time of all threads (steadier on a shared machine).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>

#include "adapters/factory.h"

namespace tensorpoly::adapters {
namespace {

constexpr int64_t kIn = 1024, kOut = 2816, kSequences = 16, kTokens = 256;

struct Workload {
  std::shared_ptr<AdapterImpl> adapter;
  torch::Tensor x;
  torch::Tensor task_ids;
};

Workload make_workload(int64_t tasks_in_batch) {
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
  workload.x = torch::randn({kSequences, kTokens, kIn}).requires_grad_(true);
  workload.task_ids = torch::arange(kSequences) % tasks_in_batch;
  return workload;
}

void run_step(Workload& workload, bool naive) {
  workload.adapter->zero_grad();
  workload.x.mutable_grad() = torch::Tensor();
  const auto y = naive ? workload.adapter->forward_naive(workload.x, workload.task_ids)
                       : workload.adapter->forward(workload.x, workload.task_ids);
  y.sum().backward();
}

void BM_TensorPoly1(benchmark::State& state) {
  const bool naive = state.range(0) != 0;
  auto workload = make_workload(state.range(1));
  run_step(workload, naive);  // warm-up
  for (auto _ : state) {
    run_step(workload, naive);
    benchmark::ClobberMemory();
  }
  state.SetLabel(std::string(naive ? "naive" : "optimised") + ", " +
                 std::to_string(state.range(1)) + " tasks in batch");
}
BENCHMARK(BM_TensorPoly1)
    ->ArgNames({"naive", "tasks"})
    ->Args({1, 16})
    ->Args({0, 16})
    ->Args({1, 2})
    ->Args({0, 2})
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

void BM_FrozenBase(benchmark::State& state) {
  auto workload = make_workload(2);
  const auto weight = workload.adapter->weight;
  for (auto _ : state) {
    workload.x.mutable_grad() = torch::Tensor();
    torch::nn::functional::linear(workload.x, weight).sum().backward();
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_FrozenBase)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace
}  // namespace tensorpoly::adapters

int main(int argc, char** argv) {
  const char* threads = std::getenv("TENSORPOLY_BENCH_THREADS");
  torch::set_num_threads(threads != nullptr ? std::atoi(threads) : 2);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
