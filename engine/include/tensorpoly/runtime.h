// Torch-free view of the runtime: versions, BLAS, devices, thread pools.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>

namespace tensorpoly {

struct RuntimeInfo {
  std::string app_version;
  std::string torch_version;        // e.g. "1.13.1"
  bool cuda_available = false;
  int cuda_device_count = 0;
  std::string blas_library;         // resolved path of the BLAS shared object actually loaded
  std::string blas_config;          // e.g. "OpenBLAS 0.3.21 ... (openmp)", empty if not OpenBLAS
  int intra_op_threads = 0;
};

RuntimeInfo runtime_info();

// Sets LibTorch's intra-op thread count (0 = one per available core)
// and keeps the BLAS pool from oversubscribing the cores: an OpenMP OpenBLAS
// shares LibTorch's OpenMP pool; a pthread OpenBLAS is pinned to one thread,
// since LibTorch already parallelises around it.
void configure_threads(int intra_op_threads);

// "cpu", "cuda", "cuda:N" or "auto" -> the device string LibTorch will use.
// Throws std::invalid_argument naming the value and the allowed ones.
std::string resolve_device(const std::string& requested);

}  // namespace tensorpoly
