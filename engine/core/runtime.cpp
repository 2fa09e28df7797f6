// Runtime information and thread-pool policy (see runtime.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/runtime.h"

#include <dlfcn.h>
#include <torch/torch.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>

#include "tensorpoly/limits.h"

namespace tensorpoly {
namespace {

// The BLAS shared object mapped into this process: Debian's LibTorch links
// libblas.so.3, which the alternatives system points at OpenBLAS or the
// reference BLAS. /proc/self/maps shows the real file behind the link.
std::string loaded_blas_path() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    const std::string file = path.substr(path.rfind('/') + 1);
    if (file.find("blas") != std::string::npos && file.find(".so") != std::string::npos &&
        file.find("cublas") == std::string::npos) {
      return path;
    }
  }
  return {};
}

using OpenBlasConfigFn = char* (*)();
using OpenBlasCoreNameFn = char* (*)();
using OpenBlasIntFn = int (*)();
using OpenBlasSetThreadsFn = void (*)(int);

template <typename Fn>
Fn find_symbol(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

// 0: sequential, 1: pthreads, 2: OpenMP; -1 when OpenBLAS is not loaded.
int openblas_parallel_mode() {
  auto fn = find_symbol<OpenBlasIntFn>("openblas_get_parallel");
  return fn ? fn() : -1;
}

// Set in the re-executed process: the kernel OpenBLAS had chosen by itself.
constexpr const char* kDetectedCoreVariable = "TENSORPOLY_OPENBLAS_DETECTED_CORE";

}  // namespace

CpuVectorSupport cpu_vector_support() {
  CpuVectorSupport cpu;
#if defined(__x86_64__) || defined(__i386__)
  // libgcc's checks include the OS's XSAVE state (XCR0), not just CPUID bits.
  __builtin_cpu_init();
  cpu.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  cpu.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512vl");
#endif
  return cpu;
}

std::string openblas_core_override(const std::string& detected_core, const CpuVectorSupport& cpu) {
  // OpenBLAS's x86 kernels without AVX2 (its fallbacks for a CPU it does not know).
  static const std::array<const char*, 14> pre_avx2 = {
      "Katmai", "Coppermine", "Northwood", "Prescott",    "Banias",  "Atom",         "Core2",
      "Penryn", "Dunnington", "Nehalem",   "Sandybridge", "Opteron", "Opteron_SSE3", "Barcelona"};
  const bool outdated =
      std::find(pre_avx2.begin(), pre_avx2.end(), detected_core) != pre_avx2.end();
  if (!outdated) return {};
  if (cpu.avx512) return "SkylakeX";
  if (cpu.avx2_fma) return "Haswell";
  return {};
}

void select_blas_kernel(char** argv) {
  if (argv == nullptr || argv[0] == nullptr) return;
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;  // the user's (or our earlier) choice
  const auto core_name = find_symbol<OpenBlasCoreNameFn>("openblas_get_corename");
  if (core_name == nullptr) return;  // not OpenBLAS
  const std::string detected = core_name();
  const std::string wanted = openblas_core_override(detected, cpu_vector_support());
  if (wanted.empty()) return;
  setenv("OPENBLAS_CORETYPE", wanted.c_str(), 1);
  setenv(kDetectedCoreVariable, detected.c_str(), 1);
  execv("/proc/self/exe", argv);
  // The re-exec failed: carry on with the slower kernel rather than not at all.
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv(kDetectedCoreVariable);
}

RuntimeInfo runtime_info() {
  RuntimeInfo info;
  info.app_version = TENSORPOLY_VERSION;
  info.torch_version = TORCH_VERSION;
  info.cuda_available = torch::cuda::is_available();
  info.cuda_device_count = info.cuda_available ? static_cast<int>(torch::cuda::device_count()) : 0;
  info.blas_library = loaded_blas_path();
  if (auto config = find_symbol<OpenBlasConfigFn>("openblas_get_config")) {
    info.blas_config = config();
    switch (openblas_parallel_mode()) {
      case 0:
        info.blas_config += " (sequential)";
        break;
      case 1:
        info.blas_config += " (pthreads)";
        break;
      case 2:
        info.blas_config += " (openmp)";
        break;
      default:
        break;
    }
  }
  if (auto core_name = find_symbol<OpenBlasCoreNameFn>("openblas_get_corename")) {
    info.blas_core = core_name();
    const char* detected = std::getenv(kDetectedCoreVariable);
    if (detected != nullptr && std::getenv("OPENBLAS_CORETYPE") != nullptr) {
      info.blas_core_note = std::string(
                                "OPENBLAS_CORETYPE set by TensorPoly: on its own, OpenBLAS "
                                "did not recognise this CPU and chose ") +
                            detected;
    }
  }
  info.intra_op_threads = torch::get_num_threads();
  return info;
}

void configure_threads(int intra_op_threads) {
  if (intra_op_threads < 0 || intra_op_threads > kMaxThreads) {
    throw std::invalid_argument("threads: must be in [0, " + std::to_string(kMaxThreads) +
                                "] (0 = one per core), got " + std::to_string(intra_op_threads));
  }
  // LibTorch's own default counts physical cores as cpuinfo sees them, which on
  // a 2-vCPU virtual machine is 1: use every core the process may run on.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(intra_op_threads > 0 ? intra_op_threads : cores);
  // A pthread OpenBLAS keeps its own pool next to LibTorch's OpenMP pool; both
  // at full size oversubscribe the cores (a t5-tiny step ran ~2.7x slower).
  if (openblas_parallel_mode() == 1) {
    if (auto set_threads = find_symbol<OpenBlasSetThreadsFn>("openblas_set_num_threads")) {
      set_threads(1);
    }
  }
}

std::string resolve_device(const std::string& requested) {
  static const std::regex cuda_index("cuda:([0-9]+)");
  std::smatch match;
  if (requested == "auto") return torch::cuda::is_available() ? "cuda:0" : "cpu";
  if (requested == "cpu") return "cpu";
  if (requested == "cuda" || std::regex_match(requested, match, cuda_index)) {
    if (!torch::cuda::is_available()) {
      throw std::invalid_argument("device: '" + requested +
                                  "' requested but this LibTorch build has no usable CUDA "
                                  "(allowed here: auto, cpu)");
    }
    const int64_t index = requested == "cuda" ? 0 : std::stoll(match[1].str());
    if (index >= static_cast<int64_t>(torch::cuda::device_count())) {
      throw std::invalid_argument("device: '" + requested + "' but only " +
                                  std::to_string(torch::cuda::device_count()) +
                                  " CUDA device(s) exist");
    }
    return "cuda:" + std::to_string(index);
  }
  throw std::invalid_argument("device: unknown value '" + requested +
                              "' (allowed: auto, cpu, cuda, cuda:N)");
}

}  // namespace tensorpoly
