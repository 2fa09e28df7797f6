// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <regex>
#include <string>

#include "tensorpoly/runtime.h"
#include "test_paths.h"

namespace {

struct Result {
  int exit_code;
  std::string output;
};

Result run(const std::string& command) {
  Result result{-1, {}};
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST(TensorpolyRun, VersionNamesEveryComponent) {
  const Result result = run(std::string("'") + TENSORPOLY_RUN_EXE + "' --version");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  for (const char* expected : {"LibTorch ", "SQLite 3", "CUDA ", "BLAS ", "Qt "}) {
    EXPECT_NE(result.output.find(expected), std::string::npos)
        << "missing '" << expected << "' in:\n"
        << result.output;
  }
}

// tensorpoly-run --version run under `env ENV_ARGS`, and the OpenBLAS kernel its
// "BLAS kernel NAME" line names ("" when the BLAS is not OpenBLAS).
struct KernelReport {
  Result result;
  std::string kernel;
};

KernelReport version_under(const std::string& env_args) {
  static const std::regex line("(^|\n)BLAS kernel ([A-Za-z0-9_]+)");
  KernelReport report{run("env " + env_args + " '" + TENSORPOLY_RUN_EXE + "' --version"), {}};
  std::smatch match;
  if (std::regex_search(report.result.output, match, line)) report.kernel = match[2].str();
  return report;
}

// Left to itself, Debian's OpenBLAS 0.3.21 runs its Prescott (SSE3) kernels on
// CPUs newer than it knows; tensorpoly-run must end up on kernels that use the
// AVX2/AVX-512 this CPU has.
TEST(TensorpolyRun, RunsTheBlasKernelsThisCpuSupports) {
  const auto [result, kernel] =
      version_under("-u OPENBLAS_CORETYPE -u TENSORPOLY_OPENBLAS_DETECTED_CORE");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  if (kernel.empty()) GTEST_SKIP() << "the BLAS loaded is not OpenBLAS:\n" << result.output;
  EXPECT_EQ(tensorpoly::openblas_core_override(kernel, tensorpoly::cpu_vector_support()), "")
      << "still on the outdated kernel " << kernel << ":\n"
      << result.output;
}

TEST(TensorpolyRun, KeepsTheUsersOwnBlasKernelChoice) {
  const auto [result, kernel] =
      version_under("-u TENSORPOLY_OPENBLAS_DETECTED_CORE OPENBLAS_CORETYPE=Prescott");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  if (kernel.empty()) GTEST_SKIP() << "the BLAS loaded is not OpenBLAS:\n" << result.output;
  EXPECT_EQ(kernel, "Prescott") << result.output;
  EXPECT_EQ(result.output.find("set by TensorPoly"), std::string::npos) << result.output;
}

TEST(TensorpolyRun, UnknownCommandIsAUsageError) {
  const Result result = run(std::string("'") + TENSORPOLY_RUN_EXE + "' frobnicate");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("unknown command 'frobnicate'"), std::string::npos);
}

TEST(TensorpolyRun, MalformedThreadCountIsAUsageErrorNamingTheOption) {
  for (const char* threads : {"abc", "-1", "2x"}) {
    const Result result =
        run(std::string("'") + TENSORPOLY_RUN_EXE + "' version --threads " + threads);
    EXPECT_EQ(result.exit_code, 2) << result.output;
    EXPECT_NE(result.output.find(std::string("--threads: expected a whole number >= 0 (0 = one per "
                                             "core), got '") +
                                 threads + "'"),
              std::string::npos)
        << result.output;
  }
}

#ifdef TENSORPOLY_STUDIO_EXE
// The GUI starts under Xvfb and shows its window: xwininfo must find a mapped
// top-level window titled "TensorPoly Studio" on the virtual display.
TEST(TensorpolyStudio, ShowsItsWindowUnderXvfb) {
  const std::string script = std::string(TENSORPOLY_SOURCE_DIR) + "/tests/app/gui_smoke.sh";
  const Result result = run("bash '" + script + "' '" + TENSORPOLY_STUDIO_EXE + "'");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("\"TensorPoly Studio\""), std::string::npos) << result.output;
}
#endif

}  // namespace
