// Exactness against the reference fixtures (adapters.md §6): one test case per
// *.json in $TENSORPOLY_ADAPTER_FIXTURES (default: shared/fixtures/adapters),
// comparing in float32 the output and the gradients of every parameter and of the
// input, for the optimised forward and for the per-example and naive formulations
// (the naive one is the reference formulation). ctest lists the parameterized
// cases once, so AdapterFixtures.EveryFileInTheDirectoryMatches also reads the
// directory when it runs. An empty or missing directory fails.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/factory.h"
#include "adapters/router.h"
#include "adapters/tensor_product.h"
#include "test_paths.h"

namespace tensorpoly::adapters {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The comparison rule of adapters.md §6.
constexpr double kRelativeTolerance = 1e-4;
constexpr double kAbsoluteFractionOfMax = 1e-5;

// The three ways an adapter computes the same function (adapter.h).
enum class Formulation { kOptimised, kPerExample, kNaive };
constexpr Formulation kEveryFormulation[] = {Formulation::kOptimised, Formulation::kPerExample,
                                             Formulation::kNaive};

std::string name_of(Formulation formulation) {
  switch (formulation) {
    case Formulation::kOptimised:
      return "optimised";
    case Formulation::kPerExample:
      return "per-example";
    case Formulation::kNaive:
      return "naive";
  }
  return "?";
}

constexpr const char* kRepositoryFixtureDir = TENSORPOLY_SHARED_DIR "/fixtures/adapters";

std::string fixture_dir() {
  const char* from_env = std::getenv("TENSORPOLY_ADAPTER_FIXTURES");
  return from_env != nullptr && *from_env != '\0' ? std::string(from_env)
                                                  : std::string(kRepositoryFixtureDir);
}

std::vector<std::string> fixture_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code error;
  if (!fs::is_directory(dir, error)) return files;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> fixture_files() { return fixture_files(fixture_dir()); }

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

// |got − expected| ≤ rtol·|expected| + atol_fraction·max(1, max|expected|), element-wise;
// a violation is appended to `problems`, naming the tensor and its worst element.
void compare(const torch::Tensor& got, const torch::Tensor& expected, const std::string& what,
             std::vector<std::string>& problems) {
  if (!got.defined()) {
    problems.push_back(what + ": no value (gradient missing?)");
    return;
  }
  if (shape_string(got.sizes()) != shape_string(expected.sizes())) {
    problems.push_back(what + ": shape " + shape_string(got.sizes()) + ", expected " +
                       shape_string(expected.sizes()));
    return;
  }
  const auto g = got.detach().to(torch::kCPU, torch::kDouble);
  const auto e = expected.to(torch::kDouble);
  const double scale = std::max(1.0, e.abs().max().item<double>());
  const auto allowed = kRelativeTolerance * e.abs() + kAbsoluteFractionOfMax * scale;
  const auto excess = ((g - e).abs() - allowed).flatten();
  const auto worst = excess.argmax().item<int64_t>();
  // `!(x <= 0)` also catches NaN.
  if (!(excess[worst].item<double>() <= 0.0)) {
    std::ostringstream out;
    out.precision(9);
    out << what << ": element " << worst << " got " << g.flatten()[worst].item<double>()
        << ", expected " << e.flatten()[worst].item<double>() << " (allowed "
        << allowed.flatten()[worst].item<double>() << ")";
    problems.push_back(out.str());
  }
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

void check_fixture(const std::string& path, Formulation formulation,
                   std::vector<std::string>& problems) {
  std::ifstream stream(path);
  if (!stream) {
    problems.push_back("cannot open the file");
    return;
  }
  const json fixture = json::parse(stream);

  const json& c = fixture.at("config");
  const AdapterConfig config = config_of(fixture);
  const int64_t in = c.at("in_features").get<int64_t>();
  const int64_t out = c.at("out_features").get<int64_t>();
  if (c.at("layer_norm_eps").get<double>() != kLayerNormEps) {
    problems.push_back("config.layer_norm_eps is not " + std::to_string(kLayerNormEps));
  }
  if (c.at("routing_eps").get<double>() != kRoutingEps) {
    problems.push_back("config.routing_eps is not 1e-12");
  }
  if (!c.at("leaf_a").is_null()) {
    if (c.at("leaf_a").get<int64_t>() != leaf_size(in, config.order) ||
        c.at("leaf_b").get<int64_t>() != leaf_size(out, config.order)) {
      problems.push_back("config.leaf_a/leaf_b differ from leaf_size(): " +
                         std::to_string(leaf_size(in, config.order)) + ", " +
                         std::to_string(leaf_size(out, config.order)));
    }
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
  if (module_names != fixture_names) {
    std::string listed;
    for (const auto& name : module_names) listed += " " + name;
    problems.push_back("parameter names of method " + config.method + " differ; the module has" +
                       listed);
    return;
  }
  {
    torch::NoGradGuard no_grad;
    for (const auto& item : adapter->named_parameters()) {
      const auto value = read_tensor(params.at(item.key()), "params." + item.key());
      if (shape_string(item.value().sizes()) != shape_string(value.sizes())) {
        problems.push_back("params." + item.key() + ": shape " + shape_string(value.sizes()) +
                           ", the module has " + shape_string(item.value().sizes()));
        return;
      }
      item.value().copy_(value);
    }
  }
  for (auto& parameter : adapter->parameters()) parameter.set_requires_grad(true);

  const auto x = read_tensor(fixture.at("input"), "input").requires_grad_(true);
  const auto task_ids =
      torch::tensor(fixture.at("task_ids").get<std::vector<int64_t>>(), torch::kLong);
  context->task_ids = task_ids;

  torch::Tensor y;
  switch (formulation) {
    case Formulation::kOptimised:
      y = adapter->forward(x);  // through the task context, as in the model
      compare(adapter->forward(x, task_ids), y.detach(), "forward(x, task_ids) vs forward(x)",
              problems);
      break;
    case Formulation::kPerExample:
      y = adapter->forward_per_example(x, task_ids);
      break;
    case Formulation::kNaive:
      y = adapter->forward_naive(x, task_ids);
      break;
  }
  compare(y, read_tensor(fixture.at("output"), "output"), "output", problems);

  (y * read_tensor(fixture.at("grad_probe"), "grad_probe")).sum().backward();
  const json& grads = fixture.at("grads");
  if (!grads.contains("input")) problems.push_back("grads.input missing");
  const auto named = adapter->named_parameters();
  for (const auto& [name, value] : grads.items()) {
    const auto expected = read_tensor(value, "grads." + name);
    if (name == "input") {
      compare(x.grad(), expected, "grad of input", problems);
    } else if (!named.contains(name)) {
      problems.push_back("grads." + name + " names no parameter");
    } else {
      compare(named[name].grad(), expected, "grad of " + name, problems);
    }
  }
  // Every parameter's gradient is checked.
  for (const auto& name : module_names) {
    if (!grads.contains(name)) problems.push_back("grads." + name + " missing");
  }
}

// What is wrong with one fixture file under one formulation; empty when it matches.
std::vector<std::string> fixture_problems(const std::string& path, Formulation formulation) {
  std::vector<std::string> problems;
  try {
    check_fixture(path, formulation, problems);
  } catch (const std::exception& error) {  // JSON, c10::Error, ConfigError
    problems.push_back(std::string("error: ") + error.what());
  }
  return problems;
}

std::string joined(const std::vector<std::string>& lines, const std::string& indent = "  ") {
  std::string text;
  for (const auto& line : lines) text += "\n" + indent + line;
  return text;
}

// Every failing (file, formulation) of `dir`, each with its problems; a directory
// without fixtures is itself a failure.
std::vector<std::string> directory_failures(const std::string& dir) {
  const auto files = fixture_files(dir);
  if (files.empty()) {
    return {"no *.json fixtures in '" + dir +
            "' (set TENSORPOLY_ADAPTER_FIXTURES to a directory of adapter fixtures)"};
  }
  std::vector<std::string> failures;
  for (const auto& file : files) {
    for (const Formulation formulation : kEveryFormulation) {
      const auto problems = fixture_problems(file, formulation);
      if (!problems.empty()) {
        failures.push_back(file + " (" + name_of(formulation) + "):" + joined(problems, "    "));
      }
    }
  }
  return failures;
}

class AdapterFixture : public testing::TestWithParam<std::string> {};

TEST_P(AdapterFixture, MatchesReference) {
  const auto problems = fixture_problems(GetParam(), Formulation::kOptimised);
  EXPECT_TRUE(problems.empty()) << GetParam() << ":" << joined(problems);
}

TEST_P(AdapterFixture, PerExampleFormulationMatchesReference) {
  const auto problems = fixture_problems(GetParam(), Formulation::kPerExample);
  EXPECT_TRUE(problems.empty()) << GetParam() << ":" << joined(problems);
}

TEST_P(AdapterFixture, NaiveFormulationMatchesReference) {
  const auto problems = fixture_problems(GetParam(), Formulation::kNaive);
  EXPECT_TRUE(problems.empty()) << GetParam() << ":" << joined(problems);
}

std::string case_name(const testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string();
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, AdapterFixture, testing::ValuesIn(fixture_files()), case_name);
// With an empty directory the parameterized suite has no cases; the tests below fail instead.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(AdapterFixture);

// Reads $TENSORPOLY_ADAPTER_FIXTURES when it runs, not when ctest listed the tests.
TEST(AdapterFixtures, EveryFileInTheDirectoryMatches) {
  const auto failures = directory_failures(fixture_dir());
  EXPECT_TRUE(failures.empty()) << failures.size() << " failing:" << joined(failures);
}

TEST(AdapterFixtures, DirectoryCheckNamesEachFailingFileAndRefusesAnEmptyDirectory) {
  // Copies a repository fixture, whatever $TENSORPOLY_ADAPTER_FIXTURES says.
  const auto sources = fixture_files(kRepositoryFixtureDir);
  ASSERT_FALSE(sources.empty()) << "no fixtures in '" << kRepositoryFixtureDir << "' to copy";
  const fs::path dir = fs::path(testing::TempDir()) / "tensorpoly_adapter_fixture_check";
  fs::remove_all(dir);
  fs::create_directories(dir);

  const auto empty = directory_failures(dir.string());
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_NE(empty[0].find("no *.json fixtures"), std::string::npos) << empty[0];

  // One faithful copy, and one whose first output value is off by one.
  fs::copy_file(sources.front(), dir / "good.json");
  json broken;
  {
    std::ifstream stream(sources.front());
    broken = json::parse(stream);
  }
  broken["output"]["data"][0] = broken["output"]["data"][0].get<double>() + 1.0;
  std::ofstream(dir / "broken.json") << broken.dump();
  std::ofstream(dir / "notes.txt") << "not a fixture";

  const auto failures = directory_failures(dir.string());
  ASSERT_EQ(failures.size(), 3u) << joined(failures);  // one per formulation
  for (const auto& failure : failures) {
    EXPECT_EQ(failure.rfind((dir / "broken.json").string(), 0), 0u) << failure;
    EXPECT_NE(failure.find("output: element 0"), std::string::npos) << failure;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tensorpoly::adapters
