// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/jsonl_suite.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace tensorpoly::data {
namespace {

namespace fs = std::filesystem;

class JsonlSuiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() /
                 ("tensorpoly_jsonl_" + std::to_string(::getpid()) + "_" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  std::string write(const std::string& name, const std::string& text) {
    const auto path = (directory_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  static JsonlSuiteConfig config(const std::string& train, const std::string& validation = "") {
    JsonlSuiteConfig c;
    c.train_path = train;
    c.validation_path = validation;
    return c;
  }

  // The DataError message of loading `config`.
  static std::string error_of(const JsonlSuiteConfig& c) {
    try {
      JsonlSuite suite(c);
    } catch (const DataError& error) {
      return error.what();
    }
    ADD_FAILURE() << "expected a DataError";
    return "";
  }

  fs::path directory_;
};

const char* kTrain =
    R"({"task": "copy", "input": "abc", "target": "abc"}
{"task": "nli", "input": "a cat sleeps. an animal sleeps?", "target": "yes", "choices": ["yes", "no"]}

{"task": "copy", "input": "ü", "target": "ü", "extra": 1}
{"task": "nli", "input": "x", "target": "no", "choices": ["yes", "no"]}
)";

TEST_F(JsonlSuiteTest, LoadsTasksExamplesAndChoices) {
  const auto train = write("train.jsonl", kTrain);
  const auto valid = write(
      "valid.jsonl", R"({"task": "nli", "input": "y", "target": "yes", "choices": ["yes", "no"]})");
  const JsonlSuite suite(config(train, valid));
  ASSERT_EQ(suite.n_tasks(), 2);
  EXPECT_EQ(suite.tasks()[0].name, "copy");
  EXPECT_EQ(suite.tasks()[1].name, "nli");
  EXPECT_EQ(suite.n_train_examples(0), 2);
  EXPECT_EQ(suite.train_example(0, 1).input, "ü");
  EXPECT_EQ(suite.train_example(0, 3).input, "ü");  // pool[draw % n]
  EXPECT_FALSE(suite.train_example(0, 0).rank_classification());
  const auto nli = suite.train_example(1, 0);
  EXPECT_TRUE(nli.rank_classification());
  EXPECT_EQ(nli.choices, (std::vector<std::string>{"yes", "no"}));
  EXPECT_EQ(nli.task, 1);
  ASSERT_EQ(suite.validation_examples(1).size(), 1u);
  EXPECT_EQ(suite.validation_examples(1)[0].input, "y");
  EXPECT_TRUE(suite.validation_examples(0).empty());
  EXPECT_NE(suite.alphabet().find('a'), std::string::npos);
}

TEST_F(JsonlSuiteTest, HeldOutTasksComeLastAndPrefixIsOptional) {
  auto c = config(write("train.jsonl", kTrain));
  c.heldout_tasks = {"copy"};
  c.task_prefix = true;
  const JsonlSuite suite(c);
  EXPECT_EQ(suite.tasks()[0].name, "nli");
  EXPECT_EQ(suite.tasks()[0].split, "train");
  EXPECT_EQ(suite.tasks()[1].name, "copy");
  EXPECT_EQ(suite.tasks()[1].split, "heldout");
  EXPECT_EQ(suite.train_example(1, 0).input, "copy: abc");
  EXPECT_EQ(suite.train_example(1, 0).task, 1);
}

TEST_F(JsonlSuiteTest, ReportsEveryMalformedLineWithFileLineAndField) {
  const auto train = write(
      "bad.jsonl",
      "{\"task\": \"a\", \"input\": \"x\", \"target\": \"y\"}\n"  // 1 ok
      "{\"task\": \"a\", \"input\": \"x\", \"target\": \"y\"\n"   // 2 bad JSON
      "{\"task\": \"a\", \"target\": \"y\"}\n"                    // 3 missing input
      "{\"task\": \"a\", \"input\": 5, \"target\": \"y\"}\n"      // 4 mistyped
      "{\"task\": \"\", \"input\": \"x\", \"target\": \"y\"}\n"   // 5 empty task
      "{\"task\": \"a\", \"input\": \"x\", \"target\": \"y\", \"choices\": \"y\"}\n"           // 6
      "{\"task\": \"a\", \"input\": \"x\", \"target\": \"y\", \"choices\": [\"y\", 2]}\n"      // 7
      "{\"task\": \"a\", \"input\": \"x\", \"target\": \"z\", \"choices\": [\"y\", \"n\"]}\n"  // 8
      "[1, 2]\n"                                                                               // 9
      "{\"task\": \"a\", \"input\": \"x\", \"target\": \"y\", \"choices\": []}\n");            // 10
  const auto message = error_of(config(train));
  auto has = [&](const std::string& text) {
    EXPECT_NE(message.find(text), std::string::npos) << "missing: " << text << "\nin:\n" << message;
  };
  has(train + ":2: invalid JSON");
  has(train + ":3: field 'input': missing");
  has(train + ":4: field 'input': expected a string, got number");
  has(train + ":5: field 'task': must not be empty");
  has(train + ":6: field 'choices': expected a list of strings, got string");
  has(train + ":7: field 'choices': expected a list of strings");
  has(train + ":8: field 'target': \"z\" is not one of the choices");
  has(train + ":9: expected a JSON object");
  has(train + ":10: field 'choices': must not be empty");
  has("9 problems");
  EXPECT_EQ(message.find(train + ":1:"), std::string::npos);
}

TEST_F(JsonlSuiteTest, ErrorsOfBothFilesAreCollectedTogether) {
  const auto train = write("train.jsonl", "{\"task\": \"a\", \"input\": \"x\"}\n");
  const auto valid = write("valid.jsonl",
                           "{\"task\": \"a\", \"input\": \"x\", \"target\": \"y\"}\n"
                           "{\"task\": \"b\", \"input\": \"x\", \"target\": \"y\"}\n");
  const auto message = error_of(config(train, valid));
  EXPECT_NE(message.find(train + ":1: field 'target': missing"), std::string::npos) << message;
  EXPECT_NE(message.find(valid + ":2: field 'task': task 'b' has no examples"), std::string::npos)
      << message;
  EXPECT_NE(error_of(config((directory_ / "absent.jsonl").string())).find("cannot open"),
            std::string::npos);
  EXPECT_NE(error_of(config(write("empty.jsonl", "\n\n"))).find("no examples"), std::string::npos);
  auto unknown_heldout = config(write("ok.jsonl", kTrain));
  unknown_heldout.heldout_tasks = {"qa"};
  EXPECT_NE(error_of(unknown_heldout).find("suite.heldout_tasks: task 'qa'"), std::string::npos);
}

TEST_F(JsonlSuiteTest, ListsAtMostFiftyProblemsThenCounts) {
  std::string text;
  for (int i = 0; i < 70; ++i) text += "not json\n";
  const auto message = error_of(config(write("many.jsonl", text)));
  EXPECT_NE(message.find("70 problems"), std::string::npos);
  EXPECT_NE(message.find("... and 20 more"), std::string::npos);
  EXPECT_NE(message.find(":50: invalid JSON"), std::string::npos);
  EXPECT_EQ(message.find(":51: invalid JSON"), std::string::npos);
}

TEST_F(JsonlSuiteTest, SplitRatioIsPerTaskAndReproducible) {
  std::string text;
  for (int i = 0; i < 40; ++i) {
    text += "{\"task\": \"" + std::string(i % 2 ? "odd" : "even") + "\", \"input\": \"" +
            std::to_string(i) + "\", \"target\": \"t\"}\n";
  }
  text += "{\"task\": \"single\", \"input\": \"s\", \"target\": \"t\"}\n";
  auto c = config(write("all.jsonl", text));
  c.validation_ratio = 0.25;
  c.seed = 11;
  const JsonlSuite a(c), b(c);
  c.seed = 12;
  const JsonlSuite other(c);
  bool differs = false;
  for (int t = 0; t < 2; ++t) {
    EXPECT_EQ(a.validation_examples(t).size(), 5u);
    EXPECT_EQ(a.n_train_examples(t), 15);
    std::set<std::string> train_inputs;
    for (int64_t d = 0; d < a.n_train_examples(t); ++d)
      train_inputs.insert(a.train_example(t, d).input);
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(a.validation_examples(t)[i].input, b.validation_examples(t)[i].input);
      EXPECT_FALSE(train_inputs.count(a.validation_examples(t)[i].input));
      differs =
          differs || a.validation_examples(t)[i].input != other.validation_examples(t)[i].input;
    }
  }
  EXPECT_TRUE(differs) << "another seed should give another split";
  // A task with one example keeps it for training.
  EXPECT_EQ(a.n_train_examples(2), 1);
  EXPECT_TRUE(a.validation_examples(2).empty());
}

}  // namespace
}  // namespace tensorpoly::data
