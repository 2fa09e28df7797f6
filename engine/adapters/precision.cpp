// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <stdexcept>

// LibTorch 2.4 replaced the per-device functions (is_enabled, set_cpu_enabled,
// set_autocast_gpu_dtype, ...) by ones taking the device type; the old names are
// deprecated there.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define TENSORPOLY_AUTOCAST_BY_DEVICE_TYPE 1
#else
#define TENSORPOLY_AUTOCAST_BY_DEVICE_TYPE 0
#endif

namespace tensorpoly::adapters {
namespace {

bool autocast_enabled(torch::DeviceType type) {
#if TENSORPOLY_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(type);
#else
  return type == torch::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

void set_autocast_enabled(torch::DeviceType type, bool enabled) {
#if TENSORPOLY_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_enabled(type, enabled);
#else
  if (type == torch::kCUDA) {
    at::autocast::set_enabled(enabled);
  } else {
    at::autocast::set_cpu_enabled(enabled);
  }
#endif
}

torch::ScalarType get_autocast_dtype(torch::DeviceType type) {
#if TENSORPOLY_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(type);
#else
  return type == torch::kCUDA ? at::autocast::get_autocast_gpu_dtype()
                              : at::autocast::get_autocast_cpu_dtype();
#endif
}

void set_autocast_dtype(torch::DeviceType type, torch::ScalarType dtype) {
#if TENSORPOLY_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_dtype(type, dtype);
#else
  if (type == torch::kCUDA) {
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
}

}  // namespace

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "bf16") return Precision::kBf16;
  if (name == "fp16") return Precision::kFp16;
  throw std::invalid_argument("precision must be fp32, bf16 or fp16, got '" + name + "'");
}

const char* precision_name(Precision precision) {
  switch (precision) {
    case Precision::kBf16:
      return "bf16";
    case Precision::kFp16:
      return "fp16";
    case Precision::kFp32:
      break;
  }
  return "fp32";
}

torch::ScalarType autocast_dtype(Precision precision) {
  switch (precision) {
    case Precision::kBf16:
      return torch::kBFloat16;
    case Precision::kFp16:
      return torch::kFloat16;
    case Precision::kFp32:
      break;
  }
  return torch::kFloat32;
}

void check_precision(Precision precision, const torch::Device& device) {
  if (precision == Precision::kFp32) return;
  if (!device.is_cuda() && !device.is_cpu()) {
    throw std::invalid_argument(std::string("precision ") + precision_name(precision) +
                                " needs a CUDA or CPU device, got " + device.str());
  }
  if (precision == Precision::kFp16 && !device.is_cuda()) {
    throw std::invalid_argument(
        "precision fp16 needs a CUDA device (LibTorch's CPU autocast has no float16); use "
        "bf16 or fp32 on " +
        device.str());
  }
}

AutocastScope::AutocastScope(const torch::Device& device, Precision precision) {
  if (precision == Precision::kFp32) return;
  check_precision(precision, device);
  active_ = true;
  device_type_ = device.type();
  was_enabled_ = autocast_enabled(device_type_);
  previous_dtype_ = get_autocast_dtype(device_type_);
  set_autocast_dtype(device_type_, autocast_dtype(precision));
  set_autocast_enabled(device_type_, true);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // The cache holds the reduced-precision copies of the weights made inside the scope.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast_enabled(device_type_, was_enabled_);
  set_autocast_dtype(device_type_, previous_dtype_);
}

Float32Scope::Float32Scope()
    : cpu_was_enabled_(autocast_enabled(torch::kCPU)),
      cuda_was_enabled_(autocast_enabled(torch::kCUDA)) {
  if (cpu_was_enabled_) set_autocast_enabled(torch::kCPU, false);
  if (cuda_was_enabled_) set_autocast_enabled(torch::kCUDA, false);
}

Float32Scope::~Float32Scope() {
  if (cpu_was_enabled_) set_autocast_enabled(torch::kCPU, true);
  if (cuda_was_enabled_) set_autocast_enabled(torch::kCUDA, true);
}

}  // namespace tensorpoly::adapters
