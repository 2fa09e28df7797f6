// The config field reader: typed reads, ranges, unknown fields, and every problem of a
// config collected with its dotted field path.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "api/json_fields.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tensorpoly/config.h"

namespace tensorpoly::config_fields {
namespace {

using json = nlohmann::json;

// The message of the problem of `field` (fails when there is none, or several).
std::string message_of(const ProblemList& problems, const std::string& field) {
  std::vector<std::string> found;
  for (const auto& problem : problems.problems()) {
    if (problem.field == field) found.push_back(problem.message);
  }
  EXPECT_EQ(found.size(), 1u) << field;
  return found.empty() ? "" : found.front();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The ConfigError that `body` throws (fails when it throws nothing).
template <typename Body>
ConfigError config_error(Body body) {
  try {
    body();
  } catch (const ConfigError& error) {
    return error;
  }
  ADD_FAILURE() << "no ConfigError thrown";
  return ConfigError("", "none");
}

TEST(JsonFields, ReadsEveryTypeIntoItsField) {
  const json object =
      json::parse(R"({"count": -3, "steps": 5000000000, "seed": 18446744073709551615,
      "rate": 0.25, "whole_rate": 2, "flag": true, "name": "abc", "names": ["x", "y"],
      "nested": {"inner": 7}})");
  ProblemList problems;
  JsonFields reader(object, "section", problems);
  int count = 0;
  int64_t steps = 0;
  uint64_t seed = 0;
  double rate = 0.0, whole_rate = 0.0;
  bool flag = false;
  std::string name;
  std::vector<std::string> names;
  int inner = 0;
  reader.read("count", count);
  reader.read("steps", steps);
  reader.read("seed", seed);
  reader.read("rate", rate);
  reader.read("whole_rate", whole_rate);
  reader.read("flag", flag);
  reader.read("name", name);
  reader.read("names", names);
  reader.read_object("nested", [&](const json& value, const std::string& path) {
    EXPECT_EQ(path, "section.nested");
    JsonFields nested(value, path, problems);
    nested.read("inner", inner);
    nested.reject_unknown();
  });
  reader.reject_unknown();
  EXPECT_TRUE(problems.empty()) << ConfigError(problems.problems()).what();
  EXPECT_EQ(count, -3);
  EXPECT_EQ(steps, int64_t{5'000'000'000});
  EXPECT_EQ(seed, std::numeric_limits<uint64_t>::max());
  EXPECT_DOUBLE_EQ(rate, 0.25);
  EXPECT_DOUBLE_EQ(whole_rate, 2.0);
  EXPECT_TRUE(flag);
  EXPECT_EQ(name, "abc");
  EXPECT_EQ(names, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(inner, 7);
}

TEST(JsonFields, AbsentFieldsKeepTheirDefaults) {
  ProblemList problems;
  JsonFields reader(json::object(), "train", problems);
  int64_t steps = 2000;
  std::string name = "kept";
  reader.read("steps", steps);
  reader.read("name", name);
  reader.reject_unknown();
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(steps, 2000);
  EXPECT_EQ(name, "kept");
}

TEST(JsonFields, WrongTypesNameTheFieldAndTheExpectedType) {
  const json object = json::parse(R"({"steps": "many", "rate": "fast", "flag": 1, "name": 3,
      "names": ["a", 4], "count": 2.5, "seed": "x", "list": "a"})");
  ProblemList problems;
  JsonFields reader(object, "train", problems);
  int64_t steps = 10;
  double rate = 0.5;
  bool flag = false;
  std::string name = "n";
  std::vector<std::string> names = {"kept"}, list;
  int count = 1;
  uint64_t seed = 9;
  reader.read("steps", steps);
  reader.read("rate", rate);
  reader.read("flag", flag);
  reader.read("name", name);
  reader.read("names", names);
  reader.read("count", count);
  reader.read("seed", seed);
  reader.read("list", list);
  EXPECT_EQ(problems.problems().size(), 8u);
  EXPECT_EQ(message_of(problems, "train.steps"), "expected an integer, got string \"many\"");
  EXPECT_EQ(message_of(problems, "train.rate"), "expected a number, got string \"fast\"");
  EXPECT_EQ(message_of(problems, "train.flag"), "expected true or false, got 1");
  EXPECT_EQ(message_of(problems, "train.name"), "expected a string, got 3");
  EXPECT_EQ(message_of(problems, "train.names"), "expected a list of strings, got 4 at index 1");
  EXPECT_EQ(message_of(problems, "train.count"), "expected an integer, got 2.5");
  EXPECT_EQ(message_of(problems, "train.seed"),
            "expected a non-negative integer, got string \"x\"");
  EXPECT_EQ(message_of(problems, "train.list"), "expected a list of strings, got string \"a\"");
  // A value that cannot be read leaves the default in place.
  EXPECT_EQ(steps, 10);
  EXPECT_DOUBLE_EQ(rate, 0.5);
  EXPECT_EQ(names, std::vector<std::string>{"kept"});
  EXPECT_EQ(count, 1);
  EXPECT_EQ(seed, 9u);
}

// Numbers beyond the target type are a problem naming the field: never a wrap-around,
// never a raw exception of the JSON library.
TEST(JsonFields, NumbersBeyondTheTargetRangeAreProblems) {
  json object = json::parse(R"({"steps": 18446744073709551615, "huge": 99999999999999999999,
      "wide": 2147483648, "negative_seed": -1, "big_seed": 18446744073709551616,
      "low": -9223372036854775808})");
  // Not from text (the parser refuses these, see ParsingNamesTheFieldOfANumberBeyondDouble).
  object["rate"] = std::numeric_limits<double>::infinity();
  object["overflow"] = -std::numeric_limits<double>::infinity();
  ProblemList problems;
  JsonFields reader(object, "train", problems);
  int64_t steps = 1, huge = 2, overflow = 3, low = 0;
  int wide = 4;
  uint64_t negative_seed = 5, big_seed = 6;
  double rate = 0.5;
  reader.read("steps", steps);
  reader.read("huge", huge);
  reader.read("wide", wide);
  reader.read("negative_seed", negative_seed);
  reader.read("big_seed", big_seed);
  reader.read("rate", rate);
  reader.read("overflow", overflow);
  reader.read("low", low);
  const std::string int64_range =
      "expected an integer from -9223372036854775808 to 9223372036854775807, got ";
  EXPECT_EQ(message_of(problems, "train.steps"), int64_range + "18446744073709551615");
  EXPECT_EQ(message_of(problems, "train.huge"), int64_range + "1e+20");
  EXPECT_EQ(message_of(problems, "train.wide"),
            "expected an integer from -2147483648 to 2147483647, got 2147483648");
  EXPECT_EQ(message_of(problems, "train.negative_seed"),
            "expected an integer from 0 to 18446744073709551615, got -1");
  EXPECT_TRUE(
      contains(message_of(problems, "train.big_seed"),
               "expected an integer from 0 to 18446744073709551615, got 1.8446744073709552e+19"));
  EXPECT_TRUE(contains(message_of(problems, "train.rate"),
                       "expected a finite number, got a number beyond"));
  EXPECT_TRUE(contains(message_of(problems, "train.overflow"), int64_range + "a number beyond"));
  EXPECT_EQ(problems.problems().size(), 7u);
  EXPECT_EQ(low, std::numeric_limits<int64_t>::min());  // the edge itself fits
  EXPECT_EQ(steps, 1);
  EXPECT_EQ(huge, 2);
  EXPECT_EQ(wide, 4);
  EXPECT_EQ(negative_seed, 5u);
  EXPECT_EQ(big_seed, 6u);
  EXPECT_DOUBLE_EQ(rate, 0.5);
}

// JSON allows "1e400", no C++ type holds it: the parser's error becomes a problem naming
// the field it belongs to; a syntax error one of the whole document, with its line.
TEST(JsonFields, ParsingNamesTheFieldOfANumberBeyondDouble) {
  json document;
  ProblemList problems;
  EXPECT_FALSE(parse_document(R"({"name": "x", "train": {"steps": 3, "rate": -1e400}})", document,
                              problems));
  ASSERT_EQ(problems.problems().size(), 1u);
  EXPECT_EQ(problems.problems()[0].field, "train.rate");
  EXPECT_TRUE(contains(problems.problems()[0].message, "number beyond"))
      << problems.problems()[0].message;
  EXPECT_TRUE(contains(problems.problems()[0].message, "-1e400")) << problems.problems()[0].message;
  ProblemList nested;
  EXPECT_FALSE(parse_document(R"({"base": {"data": {"noise_density": 2e308}}})", document, nested));
  ASSERT_EQ(nested.problems().size(), 1u);
  EXPECT_EQ(nested.problems()[0].field, "base.data.noise_density");
  ProblemList syntax;
  EXPECT_FALSE(parse_document("{\n  \"a\": 1,\n}", document, syntax));
  ASSERT_EQ(syntax.problems().size(), 1u);
  EXPECT_EQ(syntax.problems()[0].field, "");
  EXPECT_TRUE(contains(syntax.problems()[0].message, "invalid JSON"))
      << syntax.problems()[0].message;
  EXPECT_TRUE(contains(syntax.problems()[0].message, "line 3")) << syntax.problems()[0].message;
  ProblemList fine;
  EXPECT_TRUE(parse_document(R"({"a": {"b": 1e300}})", document, fine));
  EXPECT_TRUE(fine.empty());
  EXPECT_DOUBLE_EQ(document["a"]["b"].get<double>(), 1e300);
}

TEST(JsonFields, UnknownFieldsListTheKnownOnes) {
  const json object = {{"stepz", 10}, {"steps", 3}, {"train", "x.jsonl"}};
  ProblemList problems;
  JsonFields reader(object, "suite", problems);
  int64_t steps = 0;
  bool task_prefix = false;
  reader.read("steps", steps);
  reader.read("task_prefix", task_prefix);
  reader.reject_unknown({{"train", "only used with kind 'jsonl'"}});
  EXPECT_EQ(problems.problems().size(), 2u);
  EXPECT_EQ(message_of(problems, "suite.stepz"), "unknown field (known: steps, task_prefix)");
  EXPECT_EQ(message_of(problems, "suite.train"), "only used with kind 'jsonl'");
  EXPECT_EQ(steps, 3);
}

TEST(JsonFields, SomethingElseThanAnObjectIsOneProblem) {
  ProblemList problems;
  JsonFields reader(json::array({1, 2}), "base", problems);
  int64_t steps = 7;
  reader.read("steps", steps);
  reader.reject_unknown();
  ASSERT_EQ(problems.problems().size(), 1u);
  EXPECT_EQ(message_of(problems, "base"), "expected an object, got array");
  EXPECT_EQ(steps, 7);
  ProblemList whole;
  JsonFields document(json(3), "", whole);
  ASSERT_EQ(whole.problems().size(), 1u);
  EXPECT_EQ(whole.problems()[0].field, "");
  EXPECT_EQ(whole.problems()[0].message, "expected a JSON object, got 3");
}

TEST(JsonFields, ValidationSkipsFieldsThatCouldNotBeRead) {
  ProblemList problems;
  problems.add("suite.train", "expected a string, got 5");
  problems.add("few_shot", "expected an object, got 3");
  problems.collect_validation([] {
    throw ConfigError(std::vector<ConfigProblem>{{"suite.train", "a JSONL file is required"},
                                                 {"few_shot.steps", "must be >= 0"},
                                                 {"suite.validation_ratio", "must be in [0, 1)"}});
  });
  ASSERT_EQ(problems.problems().size(), 3u);
  EXPECT_EQ(problems.problems()[2].field, "suite.validation_ratio");
  problems.collect([] { throw ConfigError("suite.train", "collected as is"); });
  EXPECT_EQ(problems.problems().size(), 4u);
  EXPECT_THROW(problems.throw_if_any(), ConfigError);
  EXPECT_NO_THROW(ProblemList().throw_if_any());
}

TEST(ConfigError, ListsEveryProblemOnItsOwnLine) {
  const ConfigError error(
      std::vector<ConfigProblem>{{"train.steps", "must be >= 0, got -5"}, {"", "invalid JSON"}});
  EXPECT_EQ(std::string(error.what()), "train.steps: must be >= 0, got -5\ninvalid JSON");
  EXPECT_TRUE(error.names("train.steps"));
  EXPECT_FALSE(error.names("train"));
  const ConfigError from_file({{"adapter.rank", "rank must be >= 1"}, {"seed", "x"}}, "run.json");
  EXPECT_EQ(std::string(from_file.what()),
            "run.json: adapter.rank: rank must be >= 1\nrun.json: seed: x");
  EXPECT_EQ(from_file.file(), "run.json");
  EXPECT_EQ(to_string(ConfigProblem{"a.b", "c"}), "a.b: c");
  EXPECT_EQ(to_string(ConfigProblem{"", "c"}), "c");
}

// The 64-bit counts of an experiment config: the largest unsigned JSON integer is out of
// range for train.steps (int64), in range for the seed (uint64).
TEST(ExperimentConfigFields, StepsBeyondInt64AreAProblemOfTrainSteps) {
  const ConfigError steps =
      config_error([] { config_from_json_text(R"({"train": {"steps": 18446744073709551615}})"); });
  ASSERT_EQ(steps.problems().size(), 1u) << steps.what();
  EXPECT_EQ(steps.problems()[0].field, "train.steps");
  EXPECT_TRUE(
      contains(steps.problems()[0].message, "9223372036854775807, got 18446744073709551615"))
      << steps.what();
  EXPECT_EQ(config_from_json_text(R"({"seed": 18446744073709551615})").seed,
            std::numeric_limits<uint64_t>::max());
  const ConfigError seed =
      config_error([] { config_from_json_text(R"({"seed": 18446744073709551616})"); });
  EXPECT_TRUE(seed.names("seed")) << seed.what();
  const ConfigError threads =
      config_error([] { config_from_json_text(R"({"threads": 4294967296})"); });
  EXPECT_TRUE(threads.names("threads")) << threads.what();
  const ConfigError rate =
      config_error([] { config_from_json_text(R"({"train": {"router_learning_rate": 1e999}})"); });
  EXPECT_TRUE(rate.names("train.router_learning_rate")) << rate.what();
  const ConfigError override_steps = config_error(
      [] { apply_overrides(ExperimentConfig{}, {"train.steps=18446744073709551615"}); });
  EXPECT_TRUE(override_steps.names("train.steps")) << override_steps.what();
  const ConfigError override_rate =
      config_error([] { apply_overrides(ExperimentConfig{}, {"train.weight_decay=1e999"}); });
  EXPECT_TRUE(override_rate.names("train.weight_decay")) << override_rate.what();
  const ConfigError adapter_rank =
      config_error([] { config_from_json_text(R"({"adapter": {"rank": 99999999999999999999}})"); });
  EXPECT_TRUE(adapter_rank.names("adapter.rank")) << adapter_rank.what();
}

// One document with problems in every section: all of them at once, each with its path.
TEST(ExperimentConfigFields, CollectsEveryProblemOfAConfigWithItsPath) {
  const ConfigError error = config_error([] {
    config_from_json_text(R"({
      "modle": "t5-mini",
      "threads": -2,
      "adapter": {"rank": 0, "order": 3, "skills": 8},
      "suite": {"alphabet": "aA", "n_tasks": "six"},
      "train": {"steps": "many", "warmup_fraction": 2},
      "base": {"data": {"min_length": 0, "noise_density": "x"}},
      "few_shot": 5})");
  });
  const std::vector<std::string> fields = {"modle",
                                           "threads",
                                           "adapter.rank",
                                           "adapter.order",
                                           "adapter.skills",
                                           "suite.alphabet",
                                           "suite.n_tasks",
                                           "train.steps",
                                           "train.warmup_fraction",
                                           "base.data.min_length",
                                           "base.data.noise_density",
                                           "few_shot"};
  for (const auto& field : fields) EXPECT_TRUE(error.names(field)) << field << "\n" << error.what();
  EXPECT_EQ(error.problems().size(), fields.size()) << error.what();
  const std::string text = error.what();
  EXPECT_TRUE(contains(text, "base.data.min_length: must be >= 1")) << text;
  EXPECT_TRUE(contains(text, "base.data.noise_density: expected a number")) << text;
  EXPECT_TRUE(contains(text, "modle: unknown field (known: name, seed, device, threads, model"))
      << text;
  EXPECT_TRUE(contains(text, "few_shot: expected an object, got 5")) << text;
  EXPECT_TRUE(contains(text, "adapter.order: order must be one of 1, 2, 4")) << text;
  EXPECT_TRUE(contains(text, "train.warmup_fraction: must be in [0, 1], got 2")) << text;
}

// A field whose value could not be read is not judged again by validation.
TEST(ExperimentConfigFields, AnUnreadableFieldIsReportedOnce) {
  const ConfigError jsonl =
      config_error([] { config_from_json_text(R"({"suite": {"kind": "jsonl", "train": 5}})"); });
  ASSERT_EQ(jsonl.problems().size(), 1u) << jsonl.what();
  EXPECT_EQ(to_string(jsonl.problems()[0]), "suite.train: expected a string, got 5");
  // A section's own validation is not repeated by the whole config's.
  const ConfigError suite =
      config_error([] { config_from_json_text(R"({"suite": {"n_tasks": 0}})"); });
  ASSERT_EQ(suite.problems().size(), 1u) << suite.what();
  EXPECT_EQ(suite.problems()[0].field, "suite.n_tasks");
}

}  // namespace
}  // namespace tensorpoly::config_fields
