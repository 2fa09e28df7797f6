// Compute precision (ExperimentConfig::precision): fp32, or bf16/fp16 under autocast with
// float32 weights. Lives in the lowest LibTorch library so that the adapters (which keep
// their routing and factors in float32), the model and the trainer share one definition.
//
// Autocast is LibTorch's (torch.autocast in Python): matrix products run in the reduced
// dtype, reductions, softmax, norms and losses in float32. On CUDA for bf16 and fp16; on
// the CPU for bf16 only (LibTorch's CPU autocast has no fp16). The code builds against
// LibTorch 1.13 and 2.x, whose autocast functions are named differently.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <string>

namespace tensorpoly::adapters {

enum class Precision { kFp32, kBf16, kFp16 };

// "fp32", "bf16", "fp16"; throws std::invalid_argument naming the allowed values.
Precision parse_precision(const std::string& name);
const char* precision_name(Precision precision);
// The reduced dtype of a precision (float32 for fp32).
torch::ScalarType autocast_dtype(Precision precision);
// Throws std::invalid_argument when `device` cannot run `precision` (fp16 needs CUDA;
// reduced precision needs a CPU or CUDA device).
void check_precision(Precision precision, const torch::Device& device);

// Autocast for `device` in `precision` while alive (nothing for fp32); the previous state
// is restored, and the cast cache cleared when the outermost scope ends, as torch.autocast.
class AutocastScope {
 public:
  AutocastScope(const torch::Device& device, Precision precision);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  torch::DeviceType device_type_ = torch::kCPU;
  bool was_enabled_ = false;
  torch::ScalarType previous_dtype_ = torch::kFloat32;
};

// Autocast off (CPU and CUDA) while alive: computations the reference keeps in float32
// (routing weights, adapter factors) run on their float32 parameters; restored after.
class Float32Scope {
 public:
  Float32Scope();
  ~Float32Scope();
  Float32Scope(const Float32Scope&) = delete;
  Float32Scope& operator=(const Float32Scope&) = delete;

 private:
  bool cpu_was_enabled_;
  bool cuda_was_enabled_;
};

}  // namespace tensorpoly::adapters
