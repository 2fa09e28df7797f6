// Exactness against the reference fixtures (adapters.md §6): one test case per
// *.json in $TENSORPOLY_ADAPTER_FIXTURES (default: shared/fixtures/adapters),
// comparing in float32 the output and the gradients of every parameter and of the
// input. An empty or missing directory fails.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/factory.h"
#include "adapters/router.h"
#include "adapters/tensor_product.h"

namespace tensorpoly::adapters {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The comparison rule of adapters.md §6.
constexpr double kRelativeTolerance = 1e-4;
constexpr double kAbsoluteFractionOfMax = 1e-5;

std::string fixture_dir() {
  const char* from_env = std::getenv("TENSORPOLY_ADAPTER_FIXTURES");
  return from_env != nullptr && *from_env != '\0'
             ? std::string(from_env)
             : std::string(TENSORPOLY_SHARED_DIR "/fixtures/adapters");
}

std::vector<std::string> fixture_files() {
  std::vector<std::string> files;
  std::error_code error;
  if (!fs::is_directory(fixture_dir(), error)) return files;
  for (const auto& entry : fs::directory_iterator(fixture_dir(), error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// {"shape": [...], "data": [...]} (row-major) -> float32 tensor.
torch::Tensor read_tensor(const json& value, const std::string& what) {
  if (!value.is_object() || !value.contains("shape") || !value.contains("data")) {
    throw std::runtime_error(what + ": expected {\"shape\": [...], \"data\": [...]}");
  }
  const auto shape = value.at("shape").get<std::vector<int64_t>>();
  const auto data = value.at("data").get<std::vector<double>>();
  int64_t numel = 1;
  for (int64_t size : shape) numel *= size;
  if (numel != static_cast<int64_t>(data.size())) {
    throw std::runtime_error(what + ": shape holds " + std::to_string(numel) + " values, data " +
                             std::to_string(data.size()));
  }
  return torch::tensor(data, torch::kDouble).reshape(shape).to(torch::kFloat);
}

std::string shape_string(torch::IntArrayRef sizes) {
  std::ostringstream out;
  out << sizes;
  return out.str();
}

// |got − expected| ≤ rtol·|expected| + atol_fraction·max(1, max|expected|), element-wise.
void expect_close(const torch::Tensor& got, const torch::Tensor& expected,
                  const std::string& what) {
  ASSERT_TRUE(got.defined()) << what << ": no value (gradient missing?)";
  ASSERT_EQ(shape_string(got.sizes()), shape_string(expected.sizes())) << what << ": shape";
  const auto g = got.detach().to(torch::kCPU, torch::kDouble);
  const auto e = expected.to(torch::kDouble);
  const double scale = std::max(1.0, e.abs().max().item<double>());
  const auto allowed = kRelativeTolerance * e.abs() + kAbsoluteFractionOfMax * scale;
  const auto excess = (g - e).abs() - allowed;
  const auto worst = excess.flatten().argmax().item<int64_t>();
  EXPECT_LE(excess.flatten()[worst].item<double>(), 0.0)
      << what << ": element " << worst << " got " << g.flatten()[worst].item<double>()
      << ", expected " << e.flatten()[worst].item<double>() << " (allowed "
      << allowed.flatten()[worst].item<double>() << ")";
}

AdapterConfig config_of(const json& fixture) {
  const json& c = fixture.at("config");
  AdapterConfig config;
  config.method = fixture.at("method").get<std::string>();
  config.rank = c.at("rank").get<int64_t>();
  config.order = c.at("order").get<int64_t>();
  config.n_skills = c.at("n_skills").get<int64_t>();
  config.n_splits = c.at("n_splits").get<int64_t>();
  config.n_tasks = c.at("n_tasks").get<int64_t>();
  return config;
}

class AdapterFixture : public testing::TestWithParam<std::string> {};

TEST_P(AdapterFixture, MatchesReference) {
  const std::string path = GetParam();
  SCOPED_TRACE("fixture " + path);
  std::ifstream stream(path);
  ASSERT_TRUE(stream) << "cannot open " << path;
  json fixture;
  ASSERT_NO_THROW(fixture = json::parse(stream)) << path << ": not valid JSON";

  const json& c = fixture.at("config");
  const AdapterConfig config = config_of(fixture);
  const int64_t in = c.at("in_features").get<int64_t>();
  const int64_t out = c.at("out_features").get<int64_t>();
  EXPECT_DOUBLE_EQ(c.at("layer_norm_eps").get<double>(), kLayerNormEps);
  EXPECT_DOUBLE_EQ(c.at("routing_eps").get<double>(), kRoutingEps);
  if (!c.at("leaf_a").is_null()) {
    EXPECT_EQ(c.at("leaf_a").get<int64_t>(), leaf_size(in, config.order)) << "leaf_a";
    EXPECT_EQ(c.at("leaf_b").get<int64_t>(), leaf_size(out, config.order)) << "leaf_b";
  }

  auto context = std::make_shared<TaskContext>();
  const auto adapter = make_adapter(config, in, out, c.at("bias").get<bool>(), context);
  adapter->eval();

  // Load every parameter by name; the names must be exactly those of the module.
  const json& params = fixture.at("params");
  std::set<std::string> module_names;
  for (const auto& item : adapter->named_parameters()) module_names.insert(item.key());
  std::set<std::string> fixture_names;
  for (const auto& [name, value] : params.items()) fixture_names.insert(name);
  ASSERT_EQ(module_names, fixture_names) << "parameter names of method " << config.method;
  {
    torch::NoGradGuard no_grad;
    for (const auto& item : adapter->named_parameters()) {
      const auto value = read_tensor(params.at(item.key()), "params." + item.key());
      ASSERT_EQ(shape_string(item.value().sizes()), shape_string(value.sizes()))
          << "shape of parameter " << item.key();
      item.value().copy_(value);
    }
  }
  for (auto& parameter : adapter->parameters()) parameter.set_requires_grad(true);

  const auto x = read_tensor(fixture.at("input"), "input").requires_grad_(true);
  const auto task_ids =
      torch::tensor(fixture.at("task_ids").get<std::vector<int64_t>>(), torch::kLong);
  context->task_ids = task_ids;

  const auto y = adapter->forward(x);  // through the task context, as in the model
  expect_close(y, read_tensor(fixture.at("output"), "output"), "output");
  expect_close(adapter->forward(x, task_ids), y.detach(), "forward(x, task_ids) vs forward(x)");

  (y * read_tensor(fixture.at("grad_probe"), "grad_probe")).sum().backward();
  const json& grads = fixture.at("grads");
  ASSERT_TRUE(grads.contains("input")) << "grads.input missing";
  const auto named = adapter->named_parameters();
  for (const auto& [name, value] : grads.items()) {
    const auto expected = read_tensor(value, "grads." + name);
    if (name == "input") {
      expect_close(x.grad(), expected, "grad of input");
    } else {
      ASSERT_TRUE(named.contains(name)) << "grads." << name << " names no parameter";
      expect_close(named[name].grad(), expected, "grad of " + name);
    }
  }
  // Every parameter's gradient is checked.
  for (const auto& name : module_names) EXPECT_TRUE(grads.contains(name)) << "grads." << name;
}

std::string case_name(const testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string();
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, AdapterFixture, testing::ValuesIn(fixture_files()), case_name);

TEST(AdapterFixtures, DirectoryHoldsFixtures) {
  EXPECT_FALSE(fixture_files().empty())
      << "no *.json fixtures in '" << fixture_dir()
      << "' (set TENSORPOLY_ADAPTER_FIXTURES to a directory of adapter fixtures)";
}

}  // namespace
}  // namespace tensorpoly::adapters
