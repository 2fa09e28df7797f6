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

// Case folders (those holding case.json), sorted.
inline std::vector<std::filesystem::path> t5_fixture_cases() {
  std::vector<std::filesystem::path> cases;
  const std::filesystem::path dir = t5_fixture_dir();
  if (!std::filesystem::is_directory(dir)) return cases;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_directory() && std::filesystem::exists(entry.path() / "case.json")) {
      cases.push_back(entry.path());
    }
  }
  std::sort(cases.begin(), cases.end());
  return cases;
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
