// tensorpoly-run train / bench / eval from the command line.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

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
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string scratch(const std::string& name) {
  return std::string(TENSORPOLY_BINARY_DIR) + "/test-tmp/cli-" + name + "-" + std::to_string(::getpid());
}

TEST(TrainCommand, TrainsTheTinyPresetWithoutAStore) {
  const Result result = run("train --preset tiny --no-db train.checkpoint_dir=" + scratch("tiny"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("step 6/6"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("run finished at step 6"), std::string::npos) << result.output;
}

TEST(TrainCommand, RecordsIntoTheStoreAndEvalReadsItBack) {
  const std::string db = scratch("store") + ".sqlite";
  const Result trained = run("train --preset tiny --db '" + db + "' train.checkpoint_dir=" + scratch("stored"));
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

TEST(TrainCommand, DivergedRunExitsWithThree) {
  const Result result = run("train --preset tiny --no-db train.steps=30 train.max_grad_norm=0 "
                            "train.warmup_fraction=0 train.adapter_learning_rate=1e30 "
                            "train.router_learning_rate=1e30 train.checkpoint_dir=" + scratch("nan"));
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
  const Result result = run("bench --method poly --batch 2 --src-len 8 --tgt-len 4 --steps 2 "
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
  EXPECT_NEAR(json["tokens_per_s"].get<double>(),
              json["steps_per_s"].get<double>() * 2 * (8 + 4), 1e-6 * json["tokens_per_s"].get<double>());
  EXPECT_LT(json["trainable_params"].get<int64_t>(), json["total_params"].get<int64_t>());
  EXPECT_EQ(json.size(), 10u);

  const Result full = run("bench --method none --batch 2 --src-len 8 --tgt-len 4 --steps 1 "
                          "--warmup 0 --threads 1 --device cpu");
  ASSERT_EQ(full.exit_code, 0) << full.output;
  const auto whole = nlohmann::json::parse(full.output);
  EXPECT_EQ(whole["trainable_params"], whole["total_params"]);
}

}  // namespace
