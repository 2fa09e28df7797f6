// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/suite_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "data/task_suite.h"

namespace tensorpoly {
namespace {

std::string error_of(const nlohmann::json& json) {
  try {
    suite_config_from_json(json);
  } catch (const ConfigError& error) {
    return error.what();
  }
  ADD_FAILURE() << "expected a ConfigError for " << json.dump();
  return "";
}

TEST(SuiteConfig, DefaultsAreTheSyntheticFamiliesSuite) {
  const auto config = suite_config_from_json(nlohmann::json::object());
  EXPECT_EQ(config.kind, "synthetic");
  EXPECT_EQ(config.synthetic.layout, "families");
  EXPECT_EQ(config.synthetic.n_tasks, 18);
  EXPECT_EQ(config.synthetic.n_heldout, 3);
  EXPECT_EQ(config.synthetic.alphabet, "abcdefgh");
  EXPECT_EQ(config.synthetic.task_prefix, "id");  // opaque tags, not the names
}

TEST(SuiteConfig, ParsesEveryFieldAndRoundTrips) {
  const auto json = nlohmann::json::parse(R"({"kind": "synthetic", "layout": "compositions",
      "n_tasks": 12, "n_heldout": 2, "seed": 9, "min_length": 3, "max_length": 6,
      "alphabet": "abcdef", "task_prefix": "none", "steps": 3, "n_validation": 20,
      "n_train_examples": 100})");
  const auto config = suite_config_from_json(json);
  EXPECT_EQ(config.synthetic.layout, "compositions");
  EXPECT_EQ(config.synthetic.n_tasks, 12);
  EXPECT_EQ(config.synthetic.seed, 9u);
  EXPECT_EQ(config.synthetic.steps, 3);
  EXPECT_EQ(config.synthetic.task_prefix, "none");
  EXPECT_EQ(to_json(config), json);

  const auto jsonl = nlohmann::json::parse(R"({"kind": "jsonl", "train": "t.jsonl",
      "validation": "", "validation_ratio": 0.1, "seed": 4, "task_prefix": true,
      "heldout_tasks": ["x"], "max_source_length": 256, "max_target_length": 0})");
  const auto parsed = suite_config_from_json(jsonl);
  EXPECT_EQ(parsed.jsonl.max_source_length, 256);
  EXPECT_EQ(parsed.jsonl.max_target_length, 0);  // from the data
  EXPECT_EQ(parsed.jsonl.train_path, "t.jsonl");
  EXPECT_DOUBLE_EQ(parsed.jsonl.validation_ratio, 0.1);
  EXPECT_EQ(parsed.jsonl.heldout_tasks, std::vector<std::string>{"x"});
  EXPECT_EQ(to_json(parsed), jsonl);
}

// The three prefix modes; true/false, as configs of earlier versions stored them, read as
// "name"/"none"; anything else names the field and the allowed values.
TEST(SuiteConfig, TaskPrefixModes) {
  for (const char* mode : {"id", "name", "none"}) {
    EXPECT_EQ(suite_config_from_json({{"task_prefix", mode}}).synthetic.task_prefix, mode);
  }
  EXPECT_EQ(suite_config_from_json({{"task_prefix", true}}).synthetic.task_prefix, "name");
  EXPECT_EQ(suite_config_from_json({{"task_prefix", false}}).synthetic.task_prefix, "none");
  EXPECT_NE(error_of({{"task_prefix", "tag"}})
                .find("suite.task_prefix: must be \"id\", \"name\" or \"none\", got \"tag\""),
            std::string::npos);
  EXPECT_NE(error_of({{"task_prefix", 3}}).find("suite.task_prefix: expected a string"),
            std::string::npos);
  // The few-shot example count moved to few_shot.k; the old field says where.
  EXPECT_NE(error_of({{"n_few_shot", 8}}).find("suite.n_few_shot: replaced by few_shot.k"),
            std::string::npos);
}

TEST(SuiteConfig, TokenLimitsAreJsonlFieldsWithinRange) {
  EXPECT_NE(error_of({{"kind", "jsonl"}, {"train", "t.jsonl"}, {"max_source_length", -1}})
                .find("suite.max_source_length: must be in [0, 65536] tokens (0 = from the data)"),
            std::string::npos);
  EXPECT_NE(error_of({{"max_target_length", 64}}).find("only used with kind 'jsonl'"),
            std::string::npos);
}

TEST(SuiteConfig, ErrorsNameTheField) {
  EXPECT_NE(error_of({{"n_tasks", 0}}).find("suite.n_tasks: must be >= 1"), std::string::npos);
  EXPECT_NE(error_of({{"n_tasks", "many"}}).find("suite.n_tasks: expected an integer, got string"),
            std::string::npos);
  EXPECT_NE(error_of({{"min_length", 5}, {"max_length", 3}}).find("suite.max_length: must be >="),
            std::string::npos);
  EXPECT_NE(error_of({{"alphabet", "abA"}}).find("suite.alphabet"), std::string::npos);
  EXPECT_NE(error_of({{"alphabet", "aab"}}).find("suite.alphabet: letter 'a' repeated"),
            std::string::npos);
  EXPECT_NE(error_of({{"layout", "grid"}}).find("suite.layout"), std::string::npos);
  EXPECT_NE(error_of({{"kind", "csv"}}).find("suite.kind"), std::string::npos);
  EXPECT_NE(error_of({{"n_taks", 3}}).find("suite.n_taks: unknown field"), std::string::npos);
  EXPECT_NE(error_of({{"train", "x.jsonl"}}).find("suite.train: only used with kind 'jsonl'"),
            std::string::npos);
  EXPECT_NE(error_of({{"steps", 4}}).find("suite.steps"), std::string::npos);
  EXPECT_NE(error_of({{"alphabet", "ab"}, {"min_length", 1}, {"max_length", 2}})
                .find("suite.n_validation"),
            std::string::npos);
  EXPECT_NE(error_of({{"kind", "jsonl"}}).find("suite.train: a JSONL file is required"),
            std::string::npos);
  EXPECT_NE(
      error_of({{"kind", "jsonl"}, {"train", "a"}, {"validation", "b"}, {"validation_ratio", 0.2}})
          .find("suite.validation_ratio: give either"),
      std::string::npos);
  EXPECT_NE(error_of({{"kind", "jsonl"}, {"train", "a"}, {"validation_ratio", 1.0}})
                .find("suite.validation_ratio: must be in [0, 1)"),
            std::string::npos);
  EXPECT_NE(error_of(nlohmann::json::array()).find("suite: expected an object"), std::string::npos);
}

// An unknown field, a wrong type and invalid values are reported together, each with
// its path; the field with the wrong type is not also judged by validation.
TEST(SuiteConfig, CollectsEveryProblem) {
  try {
    suite_config_from_json(
        {{"n_tasks", 0}, {"n_heldout", -1}, {"bogus", true}, {"min_length", "four"}},
        "experiment.suite");
    FAIL();
  } catch (const ConfigError& error) {
    ASSERT_EQ(error.problems().size(), 4u) << error.what();
    EXPECT_TRUE(error.names("experiment.suite.bogus")) << error.what();
    EXPECT_TRUE(error.names("experiment.suite.min_length")) << error.what();
    EXPECT_TRUE(error.names("experiment.suite.n_tasks")) << error.what();
    EXPECT_TRUE(error.names("experiment.suite.n_heldout")) << error.what();
    const std::string text = error.what();
    EXPECT_NE(text.find("experiment.suite.bogus: unknown field"), std::string::npos) << text;
    EXPECT_NE(text.find("experiment.suite.min_length: expected an integer"), std::string::npos)
        << text;
  }
  try {
    suite_config_from_json({{"n_tasks", 0}, {"n_heldout", -1}});
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.problems().size(), 2u);
  }
}

TEST(PretrainDataConfig, ParsesAndValidates) {
  const auto json = nlohmann::json::parse(R"({"min_length": 2, "max_length": 20,
      "upper_case_fraction": 0.3, "infill": false, "infill_fraction": 0.4, "noise_density": 0.2,
      "mean_span_length": 2.5, "seed": 1})");
  const auto config = pretrain_data_config_from_json(json);
  EXPECT_EQ(config.max_length, 20);
  EXPECT_FALSE(config.infill);
  EXPECT_EQ(to_json(config), json);
  try {
    pretrain_data_config_from_json({{"noise_density", 1.5}});
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_TRUE(error.names("pretrain.noise_density")) << error.what();
    EXPECT_NE(std::string(error.what()).find("pretrain.noise_density: must be in (0, 1)"),
              std::string::npos);
  }
}

TEST(SuiteConfig, MakesTheConfiguredSuite) {
  const auto suite =
      data::make_task_suite(suite_config_from_json({{"n_tasks", 6}, {"n_heldout", 1}}));
  EXPECT_EQ(suite->n_tasks(), 7);
  EXPECT_EQ(suite->task_indices("heldout"), std::vector<int>{6});
  SuiteConfig bad;
  bad.synthetic.n_tasks = -2;
  EXPECT_THROW(data::make_task_suite(bad), ConfigError);
}

}  // namespace
}  // namespace tensorpoly
