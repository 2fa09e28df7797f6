// tensorpoly-run train / bench / eval from the command line.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tensorpoly/sessions/store.h"
#include "test_paths.h"

namespace {

struct Result {
  int exit_code;
  std::string output;
};

Result run(const std::string& arguments) {
  Result result{-1, {}};
  const std::string command = std::string("'") + TENSORPOLY_RUN_EXE + "' " + arguments + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string scratch(const std::string& name) {
  return std::string(TENSORPOLY_BINARY_DIR) + "/test-tmp/cli-" + name + "-" +
         std::to_string(::getpid());
}

TEST(TrainCommand, TrainsTheTinyPresetWithoutAStore) {
  const Result result = run("train --preset tiny --no-db train.checkpoint_dir=" + scratch("tiny"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("step 6/6"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("run finished at step 6"), std::string::npos) << result.output;
}

TEST(TrainCommand, RecordsIntoTheStoreAndEvalReadsItBack) {
  const std::string db = scratch("store") + ".sqlite";
  const Result trained =
      run("train --preset tiny --db '" + db + "' train.checkpoint_dir=" + scratch("stored"));
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  const auto at = trained.output.find("stored as run ");
  ASSERT_NE(at, std::string::npos) << trained.output;
  const std::string id = std::to_string(std::stoll(trained.output.substr(at + 14)));
  const Result evaluated = run("eval --run " + id + " --db '" + db + "' --json");
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.output;
  const auto json = nlohmann::json::parse(evaluated.output);
  EXPECT_EQ(json["step"], 6);
  EXPECT_EQ(json["tasks"].size(), 4u);
}

TEST(TrainCommand, BadOverrideIsAUsageErrorNamingTheField) {
  const Result result = run("train --preset tiny --no-db train.steps=-3");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("train.steps: must be >= 0"), std::string::npos) << result.output;
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

// Issue 4: every malformed line is reported with file:line and field before anything
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
    const Result result = run("train --config '" + config + "' --db '" + db + "'");
    EXPECT_EQ(result.exit_code, 2) << result.output;
    EXPECT_TRUE(contains(result.output, data + ":2: " + c.expected)) << result.output;
    EXPECT_FALSE(contains(result.output, "stored as run")) << result.output;
    EXPECT_FALSE(contains(result.output, "run failed")) << result.output;
    EXPECT_EQ(run_count(db), 0u);
  }
}

TEST(TrainCommand, UnusableDeviceExitsTwoAndStoresNoRun) {
  const std::string db = empty_store("device-store");
  const Result result = run("train --preset tiny --db '" + db + "' device=cuda:99");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(contains(result.output, "device: 'cuda:99'")) << result.output;
  EXPECT_FALSE(contains(result.output, "stored as run")) << result.output;
  EXPECT_EQ(run_count(db), 0u);
}

TEST(TrainCommand, UnknownOptionExitsTwoNamingItAndTheAllowedOnes) {
  const Result typo = run("train --preset tiny --no-db --step 5");
  EXPECT_EQ(typo.exit_code, 2) << typo.output;
  EXPECT_TRUE(contains(typo.output, "unknown option '--step' for train")) << typo.output;
  EXPECT_TRUE(contains(typo.output, "--config, --db, --no-db, --preset, --threads")) << typo.output;
  const Result with_value = run("train --preset tiny --no-db --steps=5");
  EXPECT_EQ(with_value.exit_code, 2) << with_value.output;
  EXPECT_TRUE(contains(with_value.output, "unknown option '--steps'")) << with_value.output;
  const Result switch_value = run("train --preset tiny --no-db=1");
  EXPECT_EQ(switch_value.exit_code, 2) << switch_value.output;
  EXPECT_TRUE(contains(switch_value.output, "--no-db takes no value")) << switch_value.output;
}

TEST(TrainCommand, DivergedRunExitsWithThree) {
  const Result result =
      run("train --preset tiny --no-db train.steps=30 train.max_grad_norm=0 "
          "train.warmup_fraction=0 train.adapter_learning_rate=1e30 "
          "train.router_learning_rate=1e30 train.checkpoint_dir=" +
          scratch("nan"));
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_NE(result.output.find("run diverged"), std::string::npos) << result.output;
}

TEST(TrainCommand, SigintStopsTheRunWithACheckpoint) {
  const std::string command = std::string("timeout --preserve-status -s INT 5 '") +
                              TENSORPOLY_RUN_EXE + "' train --preset tiny --no-db " +
                              "train.steps=1000000 train.checkpoint_dir=" + scratch("sigint") +
                              " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status)) << output;
  EXPECT_EQ(WEXITSTATUS(status), 4) << output;
  EXPECT_NE(output.find("run stopped at step"), std::string::npos) << output;
  EXPECT_NE(output.find("checkpoint at step"), std::string::npos) << output;
}

TEST(TrainCommand, HelpDocumentsExitCodes) {
  const Result result = run("train --help");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.output.find("3 diverged"), std::string::npos) << result.output;
}

TEST(BenchCommand, PrintsOneJsonLineWithEveryField) {
  const Result result =
      run("bench --method poly --batch 2 --src-len 8 --tgt-len 4 --steps 2 "
          "--warmup 1 --threads 1 --device cpu");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  ASSERT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  EXPECT_EQ(result.output.rfind("{\"impl\":\"libtorch\",\"torch\":", 0), 0u) << result.output;
  const auto json = nlohmann::json::parse(result.output);
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
  EXPECT_EQ(json.size(), 10u);

  const Result full =
      run("bench --method none --batch 2 --src-len 8 --tgt-len 4 --steps 1 "
          "--warmup 0 --threads 1 --device cpu");
  ASSERT_EQ(full.exit_code, 0) << full.output;
  const auto whole = nlohmann::json::parse(full.output);
  EXPECT_EQ(whole["trainable_params"], whole["total_params"]);
}

TEST(BenchCommand, UnknownOptionExitsTwoNamingItAndTheAllowedOnes) {
  // A typo must not run the defaults.
  const Result typo = run("bench --step 5");
  EXPECT_EQ(typo.exit_code, 2) << typo.output;
  EXPECT_FALSE(contains(typo.output, "\"impl\"")) << typo.output;
  EXPECT_TRUE(contains(typo.output, "unknown option '--step' for bench")) << typo.output;
  EXPECT_TRUE(contains(typo.output,
                       "--batch, --device, --method, --preset, --src-len, --steps, --tgt-len, "
                       "--threads, --warmup"))
      << typo.output;
  const Result single_dash = run("bench -s 5");
  EXPECT_EQ(single_dash.exit_code, 2) << single_dash.output;
  EXPECT_TRUE(contains(single_dash.output, "unknown option '-s'")) << single_dash.output;
  const Result positional = run("bench t5-tiny");
  EXPECT_EQ(positional.exit_code, 2) << positional.output;
  EXPECT_TRUE(contains(positional.output, "unexpected argument 't5-tiny'")) << positional.output;
  const Result missing = run("bench --steps");
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_TRUE(contains(missing.output, "--steps needs a value")) << missing.output;
}

TEST(EvalCommand, UnknownOptionExitsTwo) {
  const Result result = run("eval --run 1 --jsn");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(contains(result.output, "unknown option '--jsn' for eval")) << result.output;
}

}  // namespace
