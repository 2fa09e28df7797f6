// Config JSON flattened to dotted keys, and the fields in which configs differ.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/config_diff.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace tensorpoly {
namespace {

TEST(ConfigDiff, FlattensNestedJsonToDottedKeys) {
  const FlatConfig flat =
      flatten_json(R"({"a": {"b": 1, "c": [2, {"d": "x"}]}, "e": true, "f": {}})");
  const FlatConfig expected = {
      {"a.b", "1"}, {"a.c[0]", "2"}, {"a.c[1].d", "\"x\""}, {"e", "true"}, {"f", "{}"}};
  EXPECT_EQ(flat, expected);
  EXPECT_THROW(flatten_json("{"), std::invalid_argument);
}

TEST(ConfigDiff, ListsOnlyTheFieldsThatDiffer) {
  const auto differences = diff_configs(
      {R"({"x": 1, "y": {"z": 2, "w": 3}})", R"({"x": 1, "y": {"z": 5, "w": 3}, "v": 0})"});
  ASSERT_EQ(differences.size(), 2u);
  EXPECT_EQ(differences[0].key, "v");
  EXPECT_EQ(differences[0].values, (std::vector<std::string>{"", "0"}));
  EXPECT_EQ(differences[1].key, "y.z");
  EXPECT_EQ(differences[1].values, (std::vector<std::string>{"2", "5"}));
}

TEST(ConfigDiff, AFieldMissingFromOneOfSeveralConfigsDiffers) {
  // Equal in the first two, absent from the third; the first is absent, the rest agree.
  const auto differences = diff_configs({R"({"a": 1, "b": 2})", R"({"a": 1, "b": 2})",
                                         R"({"a": 1, "c": 3})", R"({"a": 1, "b": 2, "c": 3})"});
  ASSERT_EQ(differences.size(), 2u);
  EXPECT_EQ(differences[0].key, "b");
  EXPECT_EQ(differences[0].values, (std::vector<std::string>{"2", "2", "", "2"}));
  EXPECT_EQ(differences[1].key, "c");
  EXPECT_EQ(differences[1].values, (std::vector<std::string>{"", "", "3", "3"}));
  // Identical configs, in any key order: nothing differs.
  EXPECT_TRUE(diff_configs({R"({"a": 1, "b": [1, 2]})", R"({"b": [1, 2], "a": 1})"}).empty());
}

TEST(ConfigDiff, ATypeChangeDiffersAndAStringKeepsItsQuotes) {
  const auto differences = diff_flat_configs(
      {flatten_json(R"({"rank": 4, "name": "a"})"), flatten_json(R"({"rank": "4", "name": "a"})")});
  ASSERT_EQ(differences.size(), 1u);
  EXPECT_EQ(differences[0].key, "rank");
  EXPECT_EQ(differences[0].values, (std::vector<std::string>{"4", "\"4\""}));
}

TEST(ConfigDiff, TextThatIsNotJsonIsRefusedWithTheParserPosition) {
  try {
    diff_configs({"{}", R"({"a": 1,})"});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.rfind("config JSON: ", 0), 0u) << message;
    EXPECT_NE(message.find("column"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace tensorpoly
