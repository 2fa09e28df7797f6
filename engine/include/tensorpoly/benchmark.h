// Training-throughput benchmark (tensorpoly-run bench): adapters of one method trained
// on random token batches, so that implementations and devices can be compared on the
// same shapes. Torch-free API; the work happens in the engine.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tensorpoly {

struct BenchOptions {
  std::string preset = "t5-mini";       // model preset
  std::string method = "tensorpoly-1";  // an adapter method, or "none" (full fine-tuning)
  int64_t batch_size = 32;
  int64_t source_length = 32;  // tokens per input row
  int64_t target_length = 16;  // tokens per target row
  int64_t steps = 20;          // measured steps
  int64_t warmup_steps = 3;    // unmeasured steps first
  int threads = 0;             // 0 = one per core
  std::string device = "auto";
  int64_t n_tasks = 16;  // a uniformly random task per example
  uint64_t seed = 0;
  // Time every step phase by phase (base, factor construction, routing mix, adapter
  // products, loss, optimizer; forward and backward). Adds a little overhead per step.
  bool profile = false;
};

// Median milliseconds per step of one phase (BenchOptions::profile). The loss and the
// optimizer have no backward part of their own: their time is in forward_ms.
struct PhaseProfile {
  std::string phase;  // "base", "factor_construction", "routing_mix", "adapter_products",
                      // "loss", "optimizer"
  double forward_ms = 0;
  double backward_ms = 0;
};

struct BenchResult {
  std::string torch_version;
  std::string device;
  double steps_per_s = 0;
  double tokens_per_s = 0;  // steps/s × batch × (source + target length)
  double ms_per_step_median = 0;
  double peak_rss_mb = 0;
  int64_t trainable_params = 0;
  int64_t total_params = 0;
  // With BenchOptions::profile: per-phase medians over the measured steps, the median of
  // the backward's own engine work (gradient accumulation, scheduling) and of the whole
  // profiled step.
  std::vector<PhaseProfile> phases;
  double backward_other_ms = 0;
  double profiled_step_ms = 0;
};

// Throws std::invalid_argument for bad options (naming the option).
BenchResult run_training_benchmark(const BenchOptions& options);

}  // namespace tensorpoly
