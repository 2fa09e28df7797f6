// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/phase_profile.h"

#include <ATen/SequenceNumber.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>

#include <algorithm>
#include <unordered_set>

namespace tensorpoly::adapters {
namespace {

using Clock = std::chrono::steady_clock;

thread_local StepProfiler* active_profiler = nullptr;

double milliseconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

}  // namespace

// The backward's clock: the start of the node running now, and the time per phase. The
// engine runs a CPU graph's nodes one at a time on the thread that called backward().
struct StepProfiler::NodeTimes {
  Clock::time_point node_start;
  std::array<double, kPhaseCount> ms{};
};

namespace {

class StartNodeClock : public torch::autograd::FunctionPreHook {
 public:
  explicit StartNodeClock(std::shared_ptr<StepProfiler::NodeTimes> times)
      : times_(std::move(times)) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& grads) override {
    times_->node_start = Clock::now();
    return grads;
  }

 private:
  std::shared_ptr<StepProfiler::NodeTimes> times_;
};

class StopNodeClock : public torch::autograd::FunctionPostHook {
 public:
  StopNodeClock(std::shared_ptr<StepProfiler::NodeTimes> times, Phase phase)
      : times_(std::move(times)), phase_(phase) {}
  torch::autograd::variable_list operator()(
      const torch::autograd::variable_list& outputs,
      const torch::autograd::variable_list& /*inputs*/) override {
    times_->ms[static_cast<size_t>(phase_)] += milliseconds(times_->node_start, Clock::now());
    return outputs;
  }

 private:
  std::shared_ptr<StepProfiler::NodeTimes> times_;
  Phase phase_;
};

}  // namespace

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::kBase:
      return "base";
    case Phase::kFactorConstruction:
      return "factor_construction";
    case Phase::kRoutingMix:
      return "routing_mix";
    case Phase::kAdapterProducts:
      return "adapter_products";
    case Phase::kLoss:
      return "loss";
    case Phase::kOptimizer:
      return "optimizer";
  }
  return "?";
}

StepProfiler::StepProfiler() {
  TORCH_CHECK(active_profiler == nullptr, "StepProfiler: one is already active on this thread");
  active_profiler = this;
}

StepProfiler::~StepProfiler() { active_profiler = nullptr; }

StepProfiler* StepProfiler::active() { return active_profiler; }

void StepProfiler::begin_step() {
  times_ = PhaseTimes{};
  node_times_.reset();
  overhead_ms_ = 0.0;
  stack_.assign(1, Phase::kBase);
  stretches_.assign(1, {at::sequence_number::peek(), Phase::kBase});
  step_start_ = segment_start_ = Clock::now();
}

void StepProfiler::charge(Clock::time_point now) {
  if (!stack_.empty()) {
    times_.forward_ms[static_cast<size_t>(stack_.back())] += milliseconds(segment_start_, now);
  }
  segment_start_ = now;
}

void StepProfiler::enter(Phase phase) {
  if (stack_.empty()) return;  // outside a step
  charge(Clock::now());
  stack_.push_back(phase);
  stretches_.emplace_back(at::sequence_number::peek(), phase);
}

void StepProfiler::leave() {
  if (stack_.size() < 2) return;  // outside a step (or unbalanced: ignore)
  charge(Clock::now());
  stack_.pop_back();
  stretches_.emplace_back(at::sequence_number::peek(), stack_.back());
}

Phase StepProfiler::phase_of(uint64_t sequence_nr) const {
  // The last stretch that starts at or before the node.
  auto after = std::upper_bound(stretches_.begin(), stretches_.end(), sequence_nr,
                                [](uint64_t value, const std::pair<uint64_t, Phase>& stretch) {
                                  return value < stretch.first;
                                });
  return after == stretches_.begin() ? Phase::kBase : std::prev(after)->second;
}

void StepProfiler::backward(const torch::Tensor& loss) {
  const auto walk_start = Clock::now();
  charge(walk_start);
  node_times_ = std::make_shared<NodeTimes>();
  // Every node of the graph gets a clock; gradient accumulation into the leaves (sequence
  // number UINT64_MAX) is left to backward_other_ms.
  std::vector<torch::autograd::Node*> pending;
  std::unordered_set<torch::autograd::Node*> seen;
  if (loss.grad_fn()) pending.push_back(loss.grad_fn().get());
  while (!pending.empty()) {
    torch::autograd::Node* node = pending.back();
    pending.pop_back();
    if (!seen.insert(node).second) continue;
    if (node->sequence_nr() != UINT64_MAX) {
      node->add_pre_hook(std::make_unique<StartNodeClock>(node_times_));
      node->add_post_hook(
          std::make_unique<StopNodeClock>(node_times_, phase_of(node->sequence_nr())));
    }
    for (const auto& edge : node->next_edges()) {
      if (edge.function) pending.push_back(edge.function.get());
    }
  }
  const auto backward_start = Clock::now();
  overhead_ms_ += milliseconds(walk_start, backward_start);
  loss.backward();
  const auto backward_end = Clock::now();
  double attributed = 0.0;
  for (int phase = 0; phase < kPhaseCount; ++phase) {
    times_.backward_ms[static_cast<size_t>(phase)] += node_times_->ms[static_cast<size_t>(phase)];
    attributed += node_times_->ms[static_cast<size_t>(phase)];
  }
  times_.backward_other_ms += milliseconds(backward_start, backward_end) - attributed;
  segment_start_ = backward_end;
}

PhaseTimes StepProfiler::end_step() {
  const auto now = Clock::now();
  charge(now);
  stack_.clear();
  times_.total_ms = milliseconds(step_start_, now) - overhead_ms_;
  return times_;
}

}  // namespace tensorpoly::adapters
