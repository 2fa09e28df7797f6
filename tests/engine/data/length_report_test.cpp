// Token limits of a JSONL suite: from the data (the longest example, capped) or given,
// and every example over a limit counted per task, so that nothing is cut silently.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/length_report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "data/jsonl_suite.h"

namespace tensorpoly::data {
namespace {

namespace fs = std::filesystem;

class LengthReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tp-length-report-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    // The byte tokenizer: one id per byte, + eos.
    std::ofstream(dir_ / "train.jsonl")
        << R"({"task": "short", "input": "abc", "target": "x"})"
           "\n"
        << R"({"task": "short", "input": "abcdef", "target": "xy"})"
           "\n"
        << R"({"task": "long", "input": "abcdefghij", "target": "a", "choices": ["a", "bbbbb"]})"
           "\n"
        << R"({"task": "long", "input": "abcdefghijklmnopqrst", "target": "zz"})"
           "\n";
    std::ofstream(dir_ / "valid.jsonl") << R"({"task": "long", "input": "ab", "target": "abc"})"
                                           "\n";
    JsonlSuiteConfig config;
    config.train_path = (dir_ / "train.jsonl").string();
    config.validation_path = (dir_ / "valid.jsonl").string();
    suite_ = std::make_unique<JsonlSuite>(config);
  }
  void TearDown() override { fs::remove_all(dir_); }

  const TaskLengths& task(const LengthReport& report, const std::string& name) {
    for (const TaskLengths& t : report.tasks) {
      if (t.task == name) return t;
    }
    throw std::runtime_error("no task " + name);
  }

  fs::path dir_;
  std::unique_ptr<JsonlSuite> suite_;
  ByteTokenizer tokenizer_;
};

TEST_F(LengthReportTest, LimitsFromTheDataAreTheLongestExampleAndNothingIsOver) {
  const LengthReport report = measure_lengths(*suite_, tokenizer_, 0, 0, 512, 128);
  EXPECT_TRUE(report.source_from_data);
  EXPECT_TRUE(report.target_from_data);
  EXPECT_EQ(report.max_source_length, 21);  // 20 bytes + eos
  EXPECT_EQ(report.max_target_length, 6);   // the choice "bbbbb" + eos
  EXPECT_EQ(report.over_source(), 0);
  EXPECT_EQ(report.over_target(), 0);
  EXPECT_EQ(task(report, "long").examples, 3);  // two training lines + one validation line
  EXPECT_EQ(task(report, "short").longest_source, 7);
  EXPECT_NE(report.summary().find("no example is over a limit"), std::string::npos)
      << report.summary();
}

TEST_F(LengthReportTest, TheCapBoundsLimitsFromTheData) {
  const LengthReport report = measure_lengths(*suite_, tokenizer_, 0, 0, 8, 4);
  EXPECT_EQ(report.max_source_length, 8);
  EXPECT_EQ(report.max_target_length, 4);
  EXPECT_EQ(task(report, "long").over_source, 2);
  EXPECT_EQ(task(report, "long").over_target, 1);  // the choice, not the target
  EXPECT_EQ(task(report, "short").over_source, 0);
}

TEST_F(LengthReportTest, GivenLimitsCountEveryLongerExamplePerTask) {
  const LengthReport report = measure_lengths(*suite_, tokenizer_, 5, 3, 512, 128);
  EXPECT_FALSE(report.source_from_data);
  EXPECT_EQ(report.max_source_length, 5);
  EXPECT_EQ(report.max_target_length, 3);
  EXPECT_EQ(task(report, "short").over_source, 1);  // "abcdef": 7 tokens
  EXPECT_EQ(task(report, "long").over_source, 2);
  EXPECT_EQ(task(report, "long").over_target, 2);  // "bbbbb" and "abc" (validation)
  EXPECT_EQ(report.over_source(), 3);
  const std::string summary = report.summary();
  EXPECT_NE(summary.find("3 input(s) over the source limit, cut to it: short 1, long 2"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("2 target(s) over the target limit"), std::string::npos) << summary;
}

}  // namespace
}  // namespace tensorpoly::data
