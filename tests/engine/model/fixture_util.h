// Helpers shared by the model tests: nested JSON arrays as tensors and the
// fixtures' comparison rule.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_paths.h"

namespace tensorpoly::model::testing {

// A nested JSON array of numbers as a float64 tensor of the same shape.
inline torch::Tensor json_tensor(const nlohmann::json& value) {
  std::vector<int64_t> shape;
  const nlohmann::json* level = &value;
  while (level->is_array()) {
    shape.push_back(static_cast<int64_t>(level->size()));
    if (level->empty()) break;
    level = &level->front();
  }
  std::vector<double> flat;
  const std::function<void(const nlohmann::json&, size_t)> walk = [&](const nlohmann::json& node,
                                                                      size_t depth) {
    if (depth == shape.size()) {
      flat.push_back(node.get<double>());
      return;
    }
    EXPECT_TRUE(node.is_array() && static_cast<int64_t>(node.size()) == shape[depth])
        << "ragged JSON array at depth " << depth;
    for (const auto& child : node) walk(child, depth + 1);
  };
  walk(value, 0);
  return torch::tensor(flat, torch::kFloat64).reshape(shape);
}

// Per tensor: |got − expected| ≤ rtol·|expected| + atol_frac·max(1, max|expected|).
inline ::testing::AssertionResult within_tolerance(const char* what, const torch::Tensor& got,
                                                   const torch::Tensor& expected, double rtol,
                                                   double atol_frac) {
  if (got.sizes() != expected.sizes()) {
    return ::testing::AssertionFailure()
           << what << ": shape " << got.sizes() << " != expected " << expected.sizes();
  }
  const torch::Tensor g = got.detach().to(torch::kCPU, torch::kFloat64);
  const torch::Tensor e = expected.to(torch::kFloat64);
  const double scale = std::max(1.0, e.abs().max().item<double>());
  const torch::Tensor allowed = rtol * e.abs() + atol_frac * scale;
  const torch::Tensor excess = (g - e).abs() / allowed;
  const double worst = excess.max().item<double>();
  if (!(worst <= 1.0)) {
    const int64_t at = excess.reshape({-1}).argmax().item<int64_t>();
    return ::testing::AssertionFailure()
           << what << ": element " << at << " got " << g.reshape({-1})[at].item<double>()
           << ", expected " << e.reshape({-1})[at].item<double>() << " (" << worst
           << "× the allowed error)";
  }
  return ::testing::AssertionSuccess() << what << ": worst " << worst << "× the allowed error";
}

// TENSORPOLY_T5_FIXTURES, or the shared fixtures folder.
inline std::filesystem::path t5_fixture_dir() {
  const char* env = std::getenv("TENSORPOLY_T5_FIXTURES");
  if (env != nullptr && *env != '\0') return env;
  return std::filesystem::path(TENSORPOLY_SHARED_DIR) / "fixtures" / "t5";
}

// The files every case folder holds (the fixtures' README).
inline const std::vector<std::string>& t5_case_files() {
  static const std::vector<std::string> files = {"case.json", "config.json", "model.safetensors"};
  return files;
}

struct T5FixtureScan {
  std::vector<std::filesystem::path> cases;  // sorted
  std::vector<std::string> problems;         // each names the folder and what is wrong
};

// Every subdirectory of `dir` is a case and must hold all of t5_case_files(): a folder
// missing one is a problem, not skipped, so that a half-copied case cannot pass unseen.
// A missing directory or one without any case is a problem too.
inline T5FixtureScan scan_t5_fixtures(const std::filesystem::path& dir) {
  T5FixtureScan scan;
  if (!std::filesystem::is_directory(dir)) {
    scan.problems.push_back(dir.string() + ": not a directory (TENSORPOLY_T5_FIXTURES)");
    return scan;
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_directory()) continue;  // README.md and other notes
    std::vector<std::string> missing;
    for (const std::string& file : t5_case_files()) {
      if (!std::filesystem::is_regular_file(entry.path() / file)) missing.push_back(file);
    }
    if (missing.empty()) {
      scan.cases.push_back(entry.path());
      continue;
    }
    std::string list;
    for (const std::string& file : missing) list += (list.empty() ? "" : ", ") + file;
    scan.problems.push_back(entry.path().string() + ": case folder without " + list);
  }
  std::sort(scan.cases.begin(), scan.cases.end());
  if (scan.cases.empty() && scan.problems.empty()) {
    scan.problems.push_back(dir.string() + ": no case folder (each holds case.json, " +
                            "config.json and model.safetensors)");
  }
  return scan;
}

// The cases of t5_fixture_dir(), sorted; every problem of the scan is a test failure.
inline std::vector<std::filesystem::path> t5_fixture_cases() {
  const T5FixtureScan scan = scan_t5_fixtures(t5_fixture_dir());
  for (const std::string& problem : scan.problems) ADD_FAILURE() << problem;
  return scan.cases;
}

// A fresh, empty temporary directory for one test.
inline std::filesystem::path fresh_temp_dir(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("tensorpoly_model_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace tensorpoly::model::testing
