// Training-throughput benchmark (tensorpoly-run bench): adapters of one method trained
// on random token batches, so that implementations and devices can be compared on the
// same shapes. Torch-free API; the work happens in the engine.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensorpoly/model_preset.h"

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
  std::string precision = "fp32";  // fp32, bf16 (CPU or CUDA), fp16 (CUDA, loss scaling off)
  double peak_tflops = 0;          // the device's peak for `precision`; 0 = from the table
  int64_t n_tasks = 16;            // a uniformly random task per example
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
  double model_flops_per_step = 0;  // training_step_flops() of the shapes
  double achieved_tflops = 0;       // model_flops_per_step × steps/s / 1e12
  double peak_tflops = 0;           // the flag's, or the table's; 0 when unknown
  std::string peak_source;          // "--peak-tflops", the GPU's name, or "" when unknown
  double mfu = -1;                  // achieved / peak (model FLOPs utilisation); -1 unknown
};

// Matrix-product FLOPs of one training step of the base model (2 per multiply-add):
// every projection, the attention scores and mixes, and the output layer, for `batch`
// rows of source_length + target_length tokens; the backward pass counts once more for
// the activations' gradients and once more again when the base trains
// (`base_trains`, method none). Adapters and element-wise work are left out (small).
double training_step_flops(const ModelPreset& preset, int64_t batch, int64_t source_length,
                           int64_t target_length, bool base_trains);

// Dense peak TFLOP/s of a known NVIDIA GPU for a precision ("fp32": without tensor
// cores, as LibTorch's default allows no TF32; "bf16", "fp16": tensor cores), matched by
// a name such as "NVIDIA H200" or "NVIDIA A100-SXM4-80GB"; 0 when unknown.
double gpu_peak_tflops(const std::string& gpu_name, const std::string& precision);

// Throws std::invalid_argument for bad options (naming the option).
BenchResult run_training_benchmark(const BenchOptions& options);

}  // namespace tensorpoly
