// tensorpoly-run train / bench / eval from the command line.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "app/cli_test_util.h"
#include "tensorpoly/sessions/store.h"
#include "test_paths.h"

namespace {

using tensorpoly::app::testing::CliResult;
using tensorpoly::app::testing::run_cli;

std::string scratch(const std::string& name) {
  return std::string(TENSORPOLY_BINARY_DIR) + "/test-tmp/cli-" + name + "-" +
         std::to_string(::getpid());
}

TEST(TrainCommand, TrainsTheTinyPresetWithoutAStore) {
  const CliResult result =
      run_cli("train --preset tiny --no-db train.checkpoint_dir=" + scratch("tiny"));
  ASSERT_EQ(result.exit_code, 0) << result.all;
  EXPECT_NE(result.all.find("step 6/6"), std::string::npos) << result.all;
  EXPECT_NE(result.all.find("run finished at step 6"), std::string::npos) << result.all;
}

TEST(TrainCommand, RecordsIntoTheStoreAndEvalReadsItBack) {
  const std::string db = scratch("store") + ".sqlite";
  const CliResult trained =
      run_cli("train --preset tiny --db '" + db + "' train.checkpoint_dir=" + scratch("stored"));
  ASSERT_EQ(trained.exit_code, 0) << trained.all;
  const auto at = trained.all.find("stored as run ");
  ASSERT_NE(at, std::string::npos) << trained.all;
  const std::string id = std::to_string(std::stoll(trained.all.substr(at + 14)));
  const CliResult evaluated = run_cli("eval --run " + id + " --db '" + db + "' --json");
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.all;
  const auto json = nlohmann::json::parse(evaluated.out);
  EXPECT_EQ(json["step"], 6);
  EXPECT_EQ(json["tasks"].size(), 4u);
}

TEST(TrainCommand, BadOverrideIsAUsageErrorNamingTheField) {
  const CliResult result = run_cli("train --preset tiny --no-db train.steps=-3");
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_NE(result.all.find("train.steps: must be >= 0"), std::string::npos) << result.all;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A fresh store (schema created, no runs) at scratch(name).sqlite.
std::string empty_store(const std::string& name) {
  const std::string db = scratch(name) + ".sqlite";
  std::filesystem::create_directories(std::filesystem::path(db).parent_path());
  std::filesystem::remove(db);
  EXPECT_TRUE(tensorpoly::sessions::Store::open(db).list_runs().empty());
  return db;
}

size_t run_count(const std::string& db) {
  return tensorpoly::sessions::Store::open(db, tensorpoly::sessions::OpenMode::kReadOnly)
      .list_runs()
      .size();
}

// A tiny experiment config (JSON file) whose suite is the JSONL file holding `lines`.
std::string jsonl_experiment(const std::string& name, const std::vector<std::string>& lines) {
  const std::filesystem::path dir = scratch(name);
  std::filesystem::create_directories(dir);
  {
    std::ofstream data(dir / "train.jsonl", std::ios::trunc);
    for (const std::string& line : lines) data << line << "\n";
  }
  const nlohmann::json config = {
      {"device", "cpu"},
      {"threads", 1},
      {"suite",
       {{"kind", "jsonl"}, {"train", (dir / "train.jsonl").string()}, {"validation_ratio", 0.5}}},
      {"train", {{"steps", 2}, {"batch_size", 2}, {"checkpoint_dir", (dir / "ckpt").string()}}},
      {"base", {{"pretrain_steps", 0}, {"copy_steps", 0}}},
      {"adapter", {{"method", "lora"}, {"rank", 2}}}};
  std::ofstream(dir / "config.json", std::ios::trunc) << config.dump(2);
  return (dir / "config.json").string();
}

// Every malformed line is reported with file:line and field before anything
// starts. On the command line that is a bad input (exit 2), and the store gets no run.
TEST(TrainCommand, MalformedJsonlExitsTwoNamingFileLineAndFieldAndStoresNoRun) {
  const std::string good = R"({"task": "copy", "input": "ab", "target": "ab"})";
  struct Case {
    const char* name;
    std::string bad_line;
    std::string expected;  // after "FILE:2: "
  };
  const Case cases[] = {
      {"bad-json", R"({"task": "copy", "input": "ab",)", "invalid JSON"},
      {"missing-field", R"({"task": "copy", "input": "ab"})", "field 'target': missing"},
      {"mistyped-field", R"({"task": "copy", "input": 5, "target": "ab"})",
       "field 'input': expected a string, got number"},
      {"empty-task", R"({"task": "", "input": "ab", "target": "ab"})",
       "field 'task': must not be empty"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string config =
        jsonl_experiment(std::string("jsonl-") + c.name, {good, c.bad_line, good, good});
    const std::string data = (std::filesystem::path(config).parent_path() / "train.jsonl").string();
    const std::string db = empty_store(std::string("jsonl-store-") + c.name);
    const CliResult result = run_cli("train --config '" + config + "' --db '" + db + "'");
    EXPECT_EQ(result.exit_code, 2) << result.all;
    EXPECT_TRUE(contains(result.all, data + ":2: " + c.expected)) << result.all;
    EXPECT_FALSE(contains(result.all, "stored as run")) << result.all;
    EXPECT_FALSE(contains(result.all, "run failed")) << result.all;
    EXPECT_EQ(run_count(db), 0u);
  }
}

TEST(TrainCommand, UnusableDeviceExitsTwoAndStoresNoRun) {
  const std::string db = empty_store("device-store");
  const CliResult result = run_cli("train --preset tiny --db '" + db + "' device=cuda:99");
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_TRUE(contains(result.all, "device: 'cuda:99'")) << result.all;
  EXPECT_FALSE(contains(result.all, "stored as run")) << result.all;
  EXPECT_EQ(run_count(db), 0u);
}

TEST(TrainCommand, UnknownOptionExitsTwoNamingItAndTheAllowedOnes) {
  const CliResult typo = run_cli("train --preset tiny --no-db --step 5");
  EXPECT_EQ(typo.exit_code, 2) << typo.all;
  EXPECT_TRUE(contains(typo.all, "unknown option '--step' for train")) << typo.all;
  EXPECT_TRUE(contains(typo.all, "--config, --db, --no-db, --preset, --store-wait, --threads"))
      << typo.all;
  const CliResult with_value = run_cli("train --preset tiny --no-db --steps=5");
  EXPECT_EQ(with_value.exit_code, 2) << with_value.all;
  EXPECT_TRUE(contains(with_value.all, "unknown option '--steps'")) << with_value.all;
  const CliResult switch_value = run_cli("train --preset tiny --no-db=1");
  EXPECT_EQ(switch_value.exit_code, 2) << switch_value.all;
  EXPECT_TRUE(contains(switch_value.all, "--no-db takes no value")) << switch_value.all;
}

TEST(TrainCommand, DivergedRunExitsWithThree) {
  const CliResult result = run_cli(
      "train --preset tiny --no-db train.steps=30 train.max_grad_norm=0 "
      "train.warmup_fraction=0 train.adapter_learning_rate=1e30 "
      "train.router_learning_rate=1e30 train.checkpoint_dir=" +
      scratch("nan"));
  EXPECT_EQ(result.exit_code, 3) << result.all;
  EXPECT_NE(result.all.find("run diverged"), std::string::npos) << result.all;
}

TEST(TrainCommand, SigintStopsTheRunWithACheckpoint) {
  const CliResult result = run_cli(
      "train --preset tiny --no-db train.steps=1000000 train.checkpoint_dir=" + scratch("sigint"),
      "timeout --preserve-status -s INT 5");
  EXPECT_EQ(result.exit_code, 4) << result.all;
  EXPECT_NE(result.all.find("run stopped at step"), std::string::npos) << result.all;
  EXPECT_NE(result.all.find("checkpoint at step"), std::string::npos) << result.all;
}

TEST(TrainCommand, HelpDocumentsExitCodes) {
  const CliResult result = run_cli("train --help");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.all.find("3 diverged"), std::string::npos) << result.all;
}

TEST(BenchCommand, PrintsOneJsonLineWithEveryField) {
  const CliResult result = run_cli(
      "bench --method poly --batch 2 --src-len 8 --tgt-len 4 --steps 2 "
      "--warmup 1 --threads 1 --device cpu");
  ASSERT_EQ(result.exit_code, 0) << result.all;
  ASSERT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 1) << result.all;
  EXPECT_EQ(result.out.rfind("{\"impl\":\"libtorch\",\"torch\":", 0), 0u) << result.all;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["impl"], "libtorch");
  EXPECT_EQ(json["preset"], "t5-mini");
  EXPECT_EQ(json["method"], "poly");
  for (const char* field : {"torch", "steps_per_s", "tokens_per_s", "ms_per_step_median",
                            "peak_rss_mb", "trainable_params", "total_params"}) {
    EXPECT_TRUE(json.contains(field)) << field;
  }
  EXPECT_NEAR(json["tokens_per_s"].get<double>(), json["steps_per_s"].get<double>() * 2 * (8 + 4),
              1e-6 * json["tokens_per_s"].get<double>());
  EXPECT_LT(json["trainable_params"].get<int64_t>(), json["total_params"].get<int64_t>());
  // Precision and model FLOPs utilisation: no peak is known for a CPU without the flag.
  EXPECT_EQ(json["precision"], "fp32");
  EXPECT_EQ(json["device"], "cpu");
  EXPECT_GT(json["model_tflops_per_step"].get<double>(), 0.0);
  EXPECT_NEAR(json["achieved_tflops"].get<double>(),
              json["model_tflops_per_step"].get<double>() * json["steps_per_s"].get<double>(),
              1e-6 * json["achieved_tflops"].get<double>());
  EXPECT_TRUE(json["peak_tflops"].is_null());
  EXPECT_TRUE(json["mfu"].is_null());
  EXPECT_EQ(json.size(), 17u);

  const CliResult full = run_cli(
      "bench --method none --batch 2 --src-len 8 --tgt-len 4 --steps 1 "
      "--warmup 0 --threads 1 --device cpu");
  ASSERT_EQ(full.exit_code, 0) << full.all;
  const auto whole = nlohmann::json::parse(full.out);
  EXPECT_EQ(whole["trainable_params"], whole["total_params"]);

  const CliResult peak = run_cli(
      "bench --batch 2 --src-len 8 --tgt-len 4 --steps 1 --warmup 0 --threads 1 --device cpu "
      "--precision bf16 --peak-tflops 2");
  ASSERT_EQ(peak.exit_code, 0) << peak.all;
  const auto measured = nlohmann::json::parse(peak.out);
  EXPECT_EQ(measured["precision"], "bf16");
  EXPECT_EQ(measured["peak_source"], "--peak-tflops");
  EXPECT_NEAR(measured["mfu"].get<double>(), measured["achieved_tflops"].get<double>() / 2, 1e-9);
  const CliResult fp16 = run_cli("bench --precision fp16 --device cpu");
  EXPECT_EQ(fp16.exit_code, 2) << fp16.all;
  EXPECT_TRUE(contains(fp16.all, "precision fp16 needs a CUDA device")) << fp16.all;
}

TEST(BenchCommand, ProfileAddsPerPhaseMillisecondsThatAddUpToTheStep) {
  const CliResult result = run_cli(
      "bench --method tensorpoly-1 --batch 2 --src-len 8 --tgt-len 4 --steps 2 "
      "--warmup 1 --threads 1 --device cpu --profile");
  ASSERT_EQ(result.exit_code, 0) << result.all;
  const auto json = nlohmann::json::parse(result.out);
  ASSERT_TRUE(json.contains("profile")) << result.all;
  const auto& profile = json["profile"];
  double phases_ms = profile["backward_other_ms"].get<double>();
  for (const char* phase :
       {"base", "factor_construction", "routing_mix", "adapter_products", "loss", "optimizer"}) {
    ASSERT_TRUE(profile["forward_ms"].contains(phase)) << phase << ": " << result.all;
    phases_ms += profile["forward_ms"][phase].get<double>();
    EXPECT_GE(profile["forward_ms"][phase].get<double>(), 0.0) << phase;
  }
  for (const char* phase : {"base", "factor_construction", "routing_mix", "adapter_products"}) {
    ASSERT_TRUE(profile["backward_ms"].contains(phase)) << phase << ": " << result.all;
    phases_ms += profile["backward_ms"][phase].get<double>();
  }
  // TensorPoly-I builds factors, forward and backward; the base model does the most work.
  EXPECT_GT(profile["forward_ms"]["factor_construction"].get<double>(), 0.0) << result.all;
  EXPECT_GT(profile["backward_ms"]["factor_construction"].get<double>(), 0.0) << result.all;
  EXPECT_GT(profile["forward_ms"]["base"].get<double>(), 0.0) << result.all;
  // Medians per phase need not add up exactly to the median step; with two steps they
  // stay within a factor of two of it.
  const double step_ms = profile["step_ms"].get<double>();
  EXPECT_GT(step_ms, 0.0);
  EXPECT_LT(phases_ms, 2.0 * step_ms) << result.all;
  EXPECT_GT(phases_ms, 0.5 * step_ms) << result.all;
  // Without the flag there is no profile.
  const CliResult plain = run_cli(
      "bench --method tensorpoly-1 --batch 2 --src-len 8 --tgt-len 4 --steps 1 "
      "--warmup 0 --threads 1 --device cpu");
  ASSERT_EQ(plain.exit_code, 0) << plain.all;
  EXPECT_FALSE(nlohmann::json::parse(plain.out).contains("profile")) << plain.all;
}

TEST(BenchCommand, UnknownOptionExitsTwoNamingItAndTheAllowedOnes) {
  // A typo must not run the defaults.
  const CliResult typo = run_cli("bench --step 5");
  EXPECT_EQ(typo.exit_code, 2) << typo.all;
  EXPECT_FALSE(contains(typo.all, "\"impl\"")) << typo.all;
  EXPECT_TRUE(contains(typo.all, "unknown option '--step' for bench")) << typo.all;
  EXPECT_TRUE(contains(typo.all,
                       "--batch, --device, --method, --peak-tflops, --precision, --preset, "
                       "--profile, --src-len, --steps, --tgt-len, --threads, --warmup"))
      << typo.all;
  const CliResult single_dash = run_cli("bench -s 5");
  EXPECT_EQ(single_dash.exit_code, 2) << single_dash.all;
  EXPECT_TRUE(contains(single_dash.all, "unknown option '-s'")) << single_dash.all;
  const CliResult positional = run_cli("bench t5-tiny");
  EXPECT_EQ(positional.exit_code, 2) << positional.all;
  EXPECT_TRUE(contains(positional.all, "unexpected argument 't5-tiny'")) << positional.all;
  const CliResult missing = run_cli("bench --steps");
  EXPECT_EQ(missing.exit_code, 2) << missing.all;
  EXPECT_TRUE(contains(missing.all, "--steps needs a value")) << missing.all;
}

// Every integer option goes through one parser: a value that is not a whole integer, out
// of the option's range or past 64 bits is a usage error in one message format, and no
// benchmark runs.
TEST(BenchCommand, BadIntegerValueExitsTwoNamingTheOptionTheRangeAndTheValue) {
  const std::pair<const char*, const char*> cases[] = {
      {"--batch 0", "--batch expects a batch size (a positive integer), got '0'"},
      {"--steps 2x", "--steps expects a step count (a positive integer), got '2x'"},
      {"--warmup=-1", "--warmup expects a step count (an integer >= 0), got '-1'"},
      {"--src-len 99999999999999999999",
       "--src-len expects a length in tokens (a positive integer), got '99999999999999999999'"},
      {"--tgt-len ' 4'", "--tgt-len expects a length in tokens (a positive integer), got ' 4'"},
      {"--threads 3000000000",
       "--threads expects a thread count (an integer from 0 to 1024; 0 = one per core), got "
       "'3000000000'"},
  };
  for (const auto& [options, message] : cases) {
    SCOPED_TRACE(options);
    const CliResult result = run_cli(std::string("bench --device cpu ") + options);
    EXPECT_EQ(result.exit_code, 2) << result.all;
    EXPECT_TRUE(contains(result.err, message)) << result.all;
    EXPECT_TRUE(result.out.empty()) << result.out;
  }
}

TEST(EvalCommand, UnknownOptionExitsTwo) {
  const CliResult result = run_cli("eval --run 1 --jsn");
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_TRUE(contains(result.all, "unknown option '--jsn' for eval")) << result.all;
}

}  // namespace
