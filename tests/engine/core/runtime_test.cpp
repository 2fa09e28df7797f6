// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/runtime.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>

namespace tensorpoly {
namespace {

TEST(Runtime, ReportsVersionsAndLoadedBlas) {
  // Force a BLAS call so the library is certainly mapped.
  auto product = torch::ones({64, 64}).mm(torch::ones({64, 64}));
  EXPECT_FLOAT_EQ(product[0][0].item<float>(), 64.0f);
  const RuntimeInfo info = runtime_info();
  EXPECT_FALSE(info.torch_version.empty());
  EXPECT_EQ(info.app_version, TENSORPOLY_VERSION);
  EXPECT_NE(info.blas_library.find("blas"), std::string::npos) << info.blas_library;
  EXPECT_GT(info.intra_op_threads, 0);
}

TEST(Runtime, OverridesOnlyAnOpenBlasKernelOlderThanTheCpu) {
  const CpuVectorSupport avx512{true, true};
  const CpuVectorSupport avx2{true, false};
  const CpuVectorSupport sse{false, false};
  EXPECT_EQ(openblas_core_override("Prescott", avx512), "SkylakeX");
  EXPECT_EQ(openblas_core_override("Prescott", avx2), "Haswell");
  EXPECT_EQ(openblas_core_override("Sandybridge", avx2), "Haswell");
  EXPECT_EQ(openblas_core_override("Prescott", sse), "");  // a CPU that old keeps its kernel
  for (const char* own_choice : {"SkylakeX", "Cooperlake", "SapphireRapids", "Haswell", "Zen"}) {
    EXPECT_EQ(openblas_core_override(own_choice, avx512), "") << own_choice;
  }
  EXPECT_EQ(openblas_core_override("", avx512), "");
}

TEST(Runtime, ResolvesDevicesAndRejectsUnknownOnes) {
  EXPECT_EQ(resolve_device("cpu"), "cpu");
  EXPECT_EQ(resolve_device("auto"), torch::cuda::is_available() ? "cuda:0" : "cpu");
  try {
    resolve_device("tpu");
    FAIL() << "tpu accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("allowed: auto, cpu, cuda, cuda:N"),
              std::string::npos);
  }
  if (!torch::cuda::is_available()) {
    EXPECT_THROW(resolve_device("cuda:0"), std::invalid_argument);
  }
}

TEST(Runtime, ConfiguresIntraOpThreads) {
  const int before = torch::get_num_threads();
  configure_threads(1);
  EXPECT_EQ(torch::get_num_threads(), 1);
  configure_threads(before);
  EXPECT_EQ(torch::get_num_threads(), before);
  EXPECT_THROW(configure_threads(-1), std::invalid_argument);
}

}  // namespace
}  // namespace tensorpoly
