// A Hugging Face model folder from the command line: `generate` prints the greedy outputs
// Hugging Face gives for the fixtures' texts, and `train` runs the hf-t5 preset on the
// T0-style example file end to end with a fixture folder as the model.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli_test_util.h"
#include "test_paths.h"

namespace {

namespace fs = std::filesystem;
using tensorpoly::app::testing::CliResult;
using tensorpoly::app::testing::run_cli;

fs::path hf_fixtures() {
  const char* env = std::getenv("TENSORPOLY_HF_FIXTURES");
  if (env != nullptr && *env != '\0') return env;
  return fs::path(TENSORPOLY_SHARED_DIR) / "fixtures" / "hf";
}

// A shell word: single-quoted, inner quotes escaped.
std::string shell_word(const std::string& text) {
  std::string word = "'";
  for (const char c : text) word += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return word + "'";
}

TEST(GenerateCommand, PrintsHuggingFacesGreedyTextForEveryFixtureCase) {
  size_t cases = 0;
  for (const auto& entry : fs::directory_iterator(hf_fixtures())) {
    if (!fs::is_regular_file(entry.path() / "case.json")) continue;
    SCOPED_TRACE(entry.path().string());
    ++cases;
    nlohmann::json c;
    std::ifstream(entry.path() / "case.json") >> c;
    std::string arguments = "generate --checkpoint " + shell_word(entry.path().string()) +
                            " --max-new-tokens " +
                            std::to_string(c["generate_args"]["max_new_tokens"].get<int>());
    for (const auto& text : c["texts"]) arguments += " " + shell_word(text.get<std::string>());
    const CliResult result = run_cli(arguments);
    ASSERT_EQ(result.exit_code, 0) << result.all;
    std::istringstream lines(result.out);
    std::string line;
    size_t row = 0;
    while (std::getline(lines, line)) {
      ASSERT_LT(row, c["texts"].size()) << result.out;
      const auto printed = nlohmann::json::parse(line);
      EXPECT_EQ(printed["input"], c["texts"][row]);
      EXPECT_EQ(printed["output"], c["expected_text"]["generated"][row]) << line;
      ++row;
    }
    EXPECT_EQ(row, c["texts"].size()) << result.out;
  }
  EXPECT_GT(cases, 0u) << "no case folder in " << hf_fixtures();
}

TEST(GenerateCommand, BadFoldersAndOptionsExitTwoNamingTheProblem) {
  CliResult result = run_cli("generate --checkpoint /no/such/folder 'hello'");
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_NE(result.err.find("/no/such/folder"), std::string::npos) << result.all;
  result = run_cli("generate 'hello'");
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_NE(result.err.find("--checkpoint"), std::string::npos) << result.all;
  result = run_cli("generate --checkpoint " + shell_word((hf_fixtures() / "hf-pub-b").string()) +
                   " --max-new-tokens 0 'hello'");
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_NE(result.err.find("--max-new-tokens"), std::string::npos) << result.all;
}

TEST(TrainCommand, TheHfPresetRunsOnTheT0ExampleWithACheckpointFolder) {
  const std::string scratch =
      std::string(TENSORPOLY_BINARY_DIR) + "/test-tmp/cli-hf-" + std::to_string(::getpid());
  const std::string data =
      (fs::path(TENSORPOLY_SOURCE_DIR) / "resources" / "t0" / "t0-example.jsonl").string();
  const CliResult result = run_cli(
      "train --preset hf-t5 --no-db device=cpu threads=1 model.checkpoint=" +
      shell_word((hf_fixtures() / "hf-pub-b").string()) + " suite.train=" + shell_word(data) +
      " train.steps=3 train.batch_size=4 train.eval_every=0 train.eval_batch_size=8"
      " train.checkpoint_dir=" +
      shell_word(scratch) +
      " few_shot.steps=2 few_shot.k=4 few_shot.batch_size=2 few_shot.eval_every=0");
  ASSERT_EQ(result.exit_code, 0) << result.all;
  EXPECT_NE(result.all.find("[data] token limits: source "), std::string::npos) << result.all;
  EXPECT_NE(result.all.find("run finished at step 3"), std::string::npos) << result.all;
  fs::remove_all(scratch);
}

TEST(TrainCommand, FewShotKBeyondAHeldOutTasksExamplesExitsTwoBeforeTraining) {
  // The example's held-out tasks have five examples each; the default k is 32.
  const std::string data =
      (fs::path(TENSORPOLY_SOURCE_DIR) / "resources" / "t0" / "t0-example.jsonl").string();
  const CliResult result = run_cli(
      "train --preset hf-t5 --no-db device=cpu threads=1 model.checkpoint=" +
      shell_word((hf_fixtures() / "hf-pub-b").string()) + " suite.train=" + shell_word(data) +
      " train.steps=3 train.batch_size=4 few_shot.steps=2");
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_NE(result.err.find("few_shot.k"), std::string::npos) << result.all;
  EXPECT_NE(result.err.find("super_glue_rte_does_it_follow"), std::string::npos) << result.all;
  EXPECT_EQ(result.all.find("step 1/3"), std::string::npos) << "trained before refusing";
}

}  // namespace
