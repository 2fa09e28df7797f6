// Where a training step's time goes, phase by phase (`tensorpoly-run bench --profile`).
//
// The forward is split by PhaseScope markers in the code (the adapters mark factor
// construction, routing mix and their products; everything else is the base model).
// The backward is split by the phase that created each autograd node: a node's sequence
// number says when it was recorded, and hooks on the nodes time each one as the engine
// runs it. With no StepProfiler active on the thread a PhaseScope costs one thread-local
// read, so the markers stay in the code.
//
// On CPU, eager operators have finished when they return, so host clocks measure them;
// on CUDA the times are host-side (launches), not kernel times.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace tensorpoly::adapters {

enum class Phase : int {
  kBase,                // the frozen (or fine-tuned) base model: embeddings, attention, linears
  kFactorConstruction,  // tensor-product factors built from the leaves
  kRoutingMix,          // routing weights and the mix of the factors per task
  kAdapterProducts,     // x · A · B / r and its addition to the base output
  kLoss,                // cross-entropy on the logits
  kOptimizer,           // zero_grad and the optimiser step
};
inline constexpr int kPhaseCount = 6;

// "base", "factor_construction", "routing_mix", "adapter_products", "loss", "optimizer".
const char* phase_name(Phase phase);

// Milliseconds of one step. forward_ms[kLoss] is the loss, forward_ms[kOptimizer] the
// optimiser (they have no backward part of their own).
struct PhaseTimes {
  std::array<double, kPhaseCount> forward_ms{};
  std::array<double, kPhaseCount> backward_ms{};
  double backward_other_ms = 0.0;  // the engine's own work: gradient accumulation, scheduling
  double total_ms = 0.0;           // the whole step, profiling overhead excluded
};

class StepProfiler {
 public:
  // Active on the constructing thread until destroyed; one at a time per thread.
  StepProfiler();
  ~StepProfiler();
  StepProfiler(const StepProfiler&) = delete;
  StepProfiler& operator=(const StepProfiler&) = delete;

  // Starts a step in phase kBase.
  void begin_step();
  // Runs loss.backward(), timing every node of its graph by the phase that recorded it.
  void backward(const torch::Tensor& loss);
  // Ends the step and returns its times.
  PhaseTimes end_step();

  // The profiler active on this thread, or null.
  static StepProfiler* active();
  void enter(Phase phase);
  void leave();

  struct NodeTimes;  // shared with the hooks on the graph's nodes

 private:
  using Clock = std::chrono::steady_clock;
  void charge(Clock::time_point now);
  Phase phase_of(uint64_t sequence_nr) const;

  std::vector<Phase> stack_;
  Clock::time_point segment_start_;
  Clock::time_point step_start_;
  double overhead_ms_ = 0.0;
  // (first sequence number, phase) of every stretch of recorded nodes, in order.
  std::vector<std::pair<uint64_t, Phase>> stretches_;
  PhaseTimes times_;
  std::shared_ptr<NodeTimes> node_times_;
};

// Marks the code it spans as `phase` for the active profiler (nests; restores the outer
// phase on exit). Does nothing when no profiler is active.
class PhaseScope {
 public:
  explicit PhaseScope(Phase phase) : profiler_(StepProfiler::active()) {
    if (profiler_ != nullptr) profiler_->enter(phase);
  }
  ~PhaseScope() {
    if (profiler_ != nullptr) profiler_->leave();
  }
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;

 private:
  StepProfiler* profiler_;
};

}  // namespace tensorpoly::adapters
