// tensorpoly-run suite: the data as the model sees it, as JSON lines (examples by split,
// or the tasks with their tags and ground truth), and its usage errors.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli_test_util.h"

namespace {

using nlohmann::json;
using tensorpoly::app::testing::quote;
using tensorpoly::app::testing::run_cli;
using tensorpoly::app::testing::temp_store;

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(json::parse(line));
  }
  return lines;
}

std::vector<json> suite_lines(const std::string& arguments) {
  const auto result = run_cli("suite " + arguments);
  EXPECT_EQ(result.exit_code, 0) << result.all;
  return result.exit_code == 0 ? json_lines(result.out) : std::vector<json>{};
}

TEST(SuiteCommand, TasksListNameTagSplitFamilyAndPrimitives) {
  const auto tasks = suite_lines("--preset default --tasks");
  ASSERT_EQ(tasks.size(), 21u);
  std::set<std::string> tags;
  int heldout = 0;
  for (const json& task : tasks) {
    EXPECT_EQ(task.size(), 5u) << task.dump();
    const std::string tag = task.at("tag");
    EXPECT_EQ(tag.size(), 3u);
    EXPECT_EQ(tag[0], 't');
    tags.insert(tag);
    heldout += task.at("split") == "heldout" ? 1 : 0;
    const auto primitives = task.at("primitives").get<std::vector<std::string>>();
    ASSERT_FALSE(primitives.empty());
    EXPECT_EQ(task.at("family"), primitives.front());  // families layout
    std::string name;
    for (const auto& primitive : primitives) name += (name.empty() ? "" : "+") + primitive;
    EXPECT_EQ(task.at("name"), name);
  }
  EXPECT_EQ(tags.size(), 21u);
  EXPECT_EQ(heldout, 3);
}

// The input is exactly what the encoder reads: the task's tag and the string, never the
// task's name (the default), and the name only when asked for as the ablation.
TEST(SuiteCommand, ExamplesCarryTheTagNotTheName) {
  std::map<std::string, std::string> tag_of;
  for (const json& task : suite_lines("--preset default --tasks")) {
    tag_of[task.at("name")] = task.at("tag");
  }
  const auto validation = suite_lines("--preset default --split validation --limit 2");
  ASSERT_EQ(validation.size(), 42u);  // 21 tasks x 2
  for (const json& example : validation) {
    EXPECT_EQ(example.size(), 4u) << example.dump();
    EXPECT_EQ(example.at("split"), "validation");
    const std::string input = example.at("input");
    const std::string task = example.at("task");
    EXPECT_EQ(input.rfind(tag_of.at(task) + ": ", 0), 0u) << input;
    EXPECT_EQ(input.find(task), std::string::npos) << input;
    EXPECT_FALSE(example.at("target").get<std::string>().empty());
  }
  const auto named = suite_lines("--preset default suite.task_prefix=name --split train --limit 1");
  ASSERT_EQ(named.size(), 18u);  // training tasks only
  for (const json& example : named) {
    const std::string input = example.at("input");
    EXPECT_EQ(input.rfind(example.at("task").get<std::string>() + ": ", 0), 0u) << input;
  }
}

// Split "heldout" lists what few-shot adaptation trains on: few_shot.k per held-out task.
TEST(SuiteCommand, HeldoutSplitIsTheFewShotExamples) {
  const auto all = suite_lines("--preset default --split heldout --limit 1000");
  EXPECT_EQ(all.size(), 3u * 32u);
  const auto fewer = suite_lines("--preset default few_shot.k=5 --split heldout --limit 1000");
  EXPECT_EQ(fewer.size(), 3u * 5u);
  for (size_t i = 0; i < fewer.size(); ++i) {
    EXPECT_EQ(fewer[i].at("split"), "heldout");
    // The first of the k are the same whatever k is.
    if (i < 5) {
      EXPECT_EQ(fewer[i].at("input"), all[i].at("input"));
    }
  }
  // Without --split: train, then validation, then held-out; --limit per task and split.
  const auto every = suite_lines("--preset tiny --limit 1");
  std::vector<std::string> splits;
  for (const json& example : every) splits.push_back(example.at("split"));
  EXPECT_EQ(splits, (std::vector<std::string>{"train", "train", "train", "train", "validation",
                                              "validation", "validation", "validation",
                                              "validation", "heldout"}));
}

TEST(SuiteCommand, ChoicesOfAJsonlSuite) {
  const auto dir = temp_store("suite-jsonl").parent_path() / "suite-jsonl";
  std::filesystem::create_directories(dir);
  {
    std::ofstream data(dir / "train.jsonl");
    data << R"({"task": "pick", "input": "a or b?", "target": "a", "choices": ["a", "b"]})"
         << "\n"
         << R"({"task": "copy", "input": "xyz", "target": "xyz"})"
         << "\n";
  }
  {
    std::ofstream config(dir / "experiment.json");
    config
        << json{{"suite", {{"kind", "jsonl"}, {"train", (dir / "train.jsonl").string()}}}}.dump();
  }
  const auto lines = suite_lines("--config " + quote(dir / "experiment.json") + " --split train");
  ASSERT_EQ(lines.size(), 2u);
  std::map<std::string, json> by_task;
  for (const json& line : lines) by_task[line.at("task")] = line;
  EXPECT_EQ(by_task.at("pick").at("choices"), json({"a", "b"}));
  EXPECT_FALSE(by_task.at("copy").contains("choices"));
}

TEST(SuiteCommand, BadOptionsAreUsageErrors) {
  const std::map<std::string, std::string> errors = {
      {"--split test", "--split expects train, validation or heldout, got 'test'"},
      {"--limit 0", "--limit expects an example count per task and split (a positive integer)"},
      {"--tasks --limit 3", "--tasks lists the tasks"},
      {"--preset default --config x.json", "not both"},
      {"suite.task_prefix=tag", "suite.task_prefix: must be \"id\", \"name\" or \"none\""},
      {"--preset nope", "no preset 'nope'"},
  };
  for (const auto& [arguments, message] : errors) {
    SCOPED_TRACE(arguments);
    const auto result = run_cli("suite " + arguments);
    EXPECT_EQ(result.exit_code, 2) << result.all;
    EXPECT_NE(result.all.find(message), std::string::npos) << result.all;
    EXPECT_TRUE(result.out.empty()) << result.out;
  }
}

}  // namespace
