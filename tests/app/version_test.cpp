// tensorpoly-run --version (components, BLAS kernel), top-level usage errors, and the
// GUI smoke test of tensorpoly-studio under Xvfb.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "app/cli_test_util.h"
#include "tensorpoly/runtime.h"
#include "test_paths.h"

namespace {

using tensorpoly::app::testing::CliResult;
using tensorpoly::app::testing::run_cli;
using tensorpoly::app::testing::run_command;

TEST(TensorpolyRun, VersionNamesEveryComponent) {
  const CliResult result = run_cli("--version");
  ASSERT_EQ(result.exit_code, 0) << result.all;
  for (const char* expected : {"LibTorch ", "SQLite 3", "CUDA ", "BLAS ", "Qt "}) {
    EXPECT_NE(result.all.find(expected), std::string::npos) << "missing '" << expected << "' in:\n"
                                                            << result.all;
  }
}

// tensorpoly-run --version run under `env ENV_ARGS`, and the OpenBLAS kernel its
// "BLAS kernel NAME" line names ("" when the BLAS is not OpenBLAS).
struct KernelReport {
  CliResult result;
  std::string kernel;
};

KernelReport version_under(const std::string& env_args) {
  static const std::regex line("(^|\n)BLAS kernel ([A-Za-z0-9_]+)");
  KernelReport report{run_cli("--version", "env " + env_args), {}};
  std::smatch match;
  if (std::regex_search(report.result.all, match, line)) report.kernel = match[2].str();
  return report;
}

// Left to itself, Debian's OpenBLAS 0.3.21 runs its Prescott (SSE3) kernels on
// CPUs newer than it knows; tensorpoly-run must end up on kernels that use the
// AVX2/AVX-512 this CPU has.
TEST(TensorpolyRun, RunsTheBlasKernelsThisCpuSupports) {
  const auto [result, kernel] =
      version_under("-u OPENBLAS_CORETYPE -u TENSORPOLY_OPENBLAS_DETECTED_CORE");
  ASSERT_EQ(result.exit_code, 0) << result.all;
  if (kernel.empty()) GTEST_SKIP() << "the BLAS loaded is not OpenBLAS:\n" << result.all;
  EXPECT_EQ(tensorpoly::openblas_core_override(kernel, tensorpoly::cpu_vector_support()), "")
      << "still on the outdated kernel " << kernel << ":\n"
      << result.all;
}

TEST(TensorpolyRun, KeepsTheUsersOwnBlasKernelChoice) {
  const auto [result, kernel] =
      version_under("-u TENSORPOLY_OPENBLAS_DETECTED_CORE OPENBLAS_CORETYPE=Prescott");
  ASSERT_EQ(result.exit_code, 0) << result.all;
  if (kernel.empty()) GTEST_SKIP() << "the BLAS loaded is not OpenBLAS:\n" << result.all;
  EXPECT_EQ(kernel, "Prescott") << result.all;
  EXPECT_EQ(result.all.find("set by TensorPoly"), std::string::npos) << result.all;
}

TEST(TensorpolyRun, UnknownCommandIsAUsageError) {
  const CliResult result = run_cli("frobnicate");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.all.find("unknown command 'frobnicate'"), std::string::npos);
}

TEST(TensorpolyRun, MalformedThreadCountIsAUsageErrorNamingTheOption) {
  for (const char* threads : {"abc", "-1", "2x", "", "99999999999", "99999999999999999999"}) {
    SCOPED_TRACE(threads);
    const CliResult result = run_cli(std::string("version --threads '") + threads + "'");
    EXPECT_EQ(result.exit_code, 2) << result.all;
    EXPECT_NE(result.err.find(
                  std::string("--threads expects a thread count (an integer from 0 to 1024; 0 = "
                              "one per core), got '") +
                  threads + "'"),
              std::string::npos)
        << result.all;
    EXPECT_TRUE(result.out.empty()) << result.out;
  }
}

#ifdef TENSORPOLY_STUDIO_EXE
// The GUI starts under Xvfb and shows its window: xwininfo must find a mapped
// top-level window titled "TensorPoly Studio" on the virtual display.
TEST(TensorpolyStudio, ShowsItsWindowUnderXvfb) {
  const std::string script = std::string(TENSORPOLY_SOURCE_DIR) + "/tests/app/gui_smoke.sh";
  const CliResult result = run_command("bash '" + script + "' '" + TENSORPOLY_STUDIO_EXE + "'");
  EXPECT_EQ(result.exit_code, 0) << result.all;
  EXPECT_NE(result.all.find("\"TensorPoly Studio\""), std::string::npos) << result.all;
}
#endif

}  // namespace
