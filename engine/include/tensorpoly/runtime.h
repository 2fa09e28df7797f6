// Torch-free view of the runtime: versions, BLAS, devices, thread pools.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>

namespace tensorpoly {

struct RuntimeInfo {
  std::string app_version;
  std::string torch_version;  // e.g. "1.13.1"
  bool cuda_available = false;
  int cuda_device_count = 0;
  std::string blas_library;  // resolved path of the BLAS shared object actually loaded
  std::string blas_config;   // e.g. "OpenBLAS 0.3.21 ... (openmp)", empty if not OpenBLAS
  std::string blas_core;     // OpenBLAS's kernel ("SkylakeX", "Haswell"...), empty if not OpenBLAS
  std::string blas_core_note;  // why TensorPoly set OPENBLAS_CORETYPE for this process, or empty
  int intra_op_threads = 0;
};

RuntimeInfo runtime_info();

// The vector instructions this CPU and its OS support, as far as BLAS kernels care.
struct CpuVectorSupport {
  bool avx2_fma = false;  // AVX2 and FMA3
  bool avx512 = false;    // AVX-512 F, CD, BW, DQ and VL (OpenBLAS's SkylakeX kernels)
};
CpuVectorSupport cpu_vector_support();

// The OPENBLAS_CORETYPE a DYNAMIC_ARCH OpenBLAS should be given when it picked
// `detected_core` on a CPU with `cpu`, or "" when its own choice stands. An
// OpenBLAS older than the CPU does not know its model number and falls back to
// a pre-AVX kernel (0.3.21 picks Prescott on Emerald Rapids, model 207): a
// t5-tiny training step took 1.6 s instead of 0.69 s.
std::string openblas_core_override(const std::string& detected_core, const CpuVectorSupport& cpu);

// Call first thing in main(): when the loaded OpenBLAS picked a kernel older
// than the CPU supports and OPENBLAS_CORETYPE is not set, re-executes this
// program with OPENBLAS_CORETYPE naming the right kernel (OpenBLAS reads it only
// when it loads). Returns normally when nothing needs changing or the re-exec
// fails. Setting OPENBLAS_CORETYPE yourself turns this off.
void select_blas_kernel(char** argv);

// Sets LibTorch's intra-op thread count (0 = one per available core)
// and keeps the BLAS pool from oversubscribing the cores: an OpenMP OpenBLAS
// shares LibTorch's OpenMP pool; a pthread OpenBLAS is pinned to one thread,
// since LibTorch already parallelises around it.
void configure_threads(int intra_op_threads);

// "cpu", "cuda", "cuda:N" or "auto" -> the device string LibTorch will use.
// Throws std::invalid_argument naming the value and the allowed ones.
std::string resolve_device(const std::string& requested);

}  // namespace tensorpoly
