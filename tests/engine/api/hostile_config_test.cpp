// Configurations a hostile user writes: sizes that would spawn thousands of threads or
// fail late in an allocation, regexes that backtrack for hours, duplicate keys,
// directories given as files. Each is refused up front, naming the field or the file.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tensorpoly/config.h"
#include "tensorpoly/limits.h"
#include "tensorpoly/name_pattern.h"

namespace tensorpoly {
namespace {

template <typename Body>
std::string config_error(Body body) {
  try {
    body();
  } catch (const ConfigError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no ConfigError thrown";
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

ExperimentConfig with(const std::vector<std::string>& overrides) {
  return apply_overrides(load_preset("tiny"), overrides);
}

TEST(HostileConfig, ThreadsBeyondTheLimitAreRefusedNamingIt) {
  const std::string message = config_error([] { with({"threads=10000"}); });
  EXPECT_TRUE(contains(message, "threads")) << message;
  EXPECT_TRUE(contains(message, std::to_string(kMaxThreads))) << message;
  EXPECT_NO_THROW(with({"threads=" + std::to_string(kMaxThreads)}));
}

TEST(HostileConfig, BatchSizesBeyondTheLimitAreRefusedNamingTheField) {
  const std::string message = config_error([] { with({"train.batch_size=4294967300"}); });
  EXPECT_TRUE(contains(message, "train.batch_size")) << message;
  for (const char* field : {"train.eval_batch_size", "base.batch_size", "few_shot.batch_size"}) {
    const std::string too_large = std::string(field) + "=" + std::to_string(kMaxBatchSize + 1);
    EXPECT_TRUE(contains(config_error([&] { with({too_large}); }), field)) << field;
  }
}

TEST(HostileConfig, AnAdapterRankBeyondTheLimitIsRefusedNamingIt) {
  std::string message = config_error([] { with({"adapter.rank=1000000"}); });
  EXPECT_TRUE(contains(message, "adapter.rank")) << message;
  EXPECT_TRUE(contains(message, std::to_string(kMaxAdapterSize))) << message;
  message = config_error([] { with({"adapter.n_skills=100000"}); });
  EXPECT_TRUE(contains(message, "adapter.n_skills")) << message;
}

TEST(HostileConfig, ACatastrophicModuleRegexIsEstimatedInLinearTime) {
  // std::regex backtracks exponentially on this pattern over each module name; the
  // estimate (run by the GUI on every edit) would not return.
  const ExperimentConfig config = with({"adapter.module_regex=(.*)*(.*)*(.*)*(.*)*NOMATCH"});
  const ParameterCounts counts = estimate_parameters(config);
  EXPECT_EQ(counts.trainable, 0);
}

TEST(HostileConfig, AnInvalidRegexIsRefusedNamingTheField) {
  const std::string message = config_error([] { with({"adapter.layer_regex=q|[k"}); });
  EXPECT_TRUE(contains(message, "adapter.layer_regex")) << message;
  EXPECT_TRUE(contains(message, "'q|[k'")) << message;
  EXPECT_NE(name_pattern_problem("(a"), "");
  EXPECT_EQ(name_pattern_problem("a|b.*"), "");
}

TEST(HostileConfig, ADuplicateKeyIsRefusedNamingIt) {
  std::string message =
      config_error([] { config_from_json_text(R"({"seed": 1, "seed": 2})", "dup.json"); });
  EXPECT_TRUE(contains(message, "dup.json")) << message;
  EXPECT_TRUE(contains(message, "seed")) << message;
  EXPECT_TRUE(contains(message, "more than once")) << message;
  message = config_error([] {
    config_from_json_text(R"({"train": {"steps": 1, "batch_size": 2, "steps": 3}})", "dup.json");
  });
  EXPECT_TRUE(contains(message, "train.steps")) << message;
  // The same key in two different objects is fine.
  EXPECT_NO_THROW(config_from_json_text(R"({"train": {"steps": 1}, "few_shot": {"steps": 0}})"));
}

TEST(HostileConfig, NumbersBeyondRangeNameTheirField) {
  std::string message =
      config_error([] { config_from_json_text(R"({"train": {"steps": 1e400}})", "big.json"); });
  EXPECT_TRUE(contains(message, "train.steps")) << message;
  EXPECT_FALSE(contains(message, "json.exception")) << message;
  message = config_error([] { with({"train.steps=18446744073709551615"}); });
  EXPECT_TRUE(contains(message, "train.steps")) << message;
  EXPECT_TRUE(contains(message, "18446744073709551615")) << message;
  EXPECT_FALSE(contains(message, "-1")) << message;
}

TEST(HostileConfig, ADirectoryGivenAsAConfigSaysSo) {
  const std::string directory = std::filesystem::temp_directory_path().string();
  const std::string message = config_error([&] { config_from_file(directory); });
  EXPECT_TRUE(contains(message, "is a directory")) << message;
  EXPECT_FALSE(contains(message, "invalid JSON")) << message;
}

}  // namespace
}  // namespace tensorpoly
