// The fields in which the configs of several runs differ: each config's JSON is
// flattened to dotted keys ("adapter.rank", "suite.tasks[2].name") and only the keys
// whose values are not all equal are kept. Torch-free, so the comparison view and
// `tensorpoly-run diff` list the same differences.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <map>
#include <string>
#include <vector>

namespace tensorpoly {

// Dotted key -> the value as compact JSON (strings keep their quotes).
using FlatConfig = std::map<std::string, std::string>;

// One field that differs: its dotted key and the value in each config ("" = absent).
struct ConfigDifference {
  std::string key;
  std::vector<std::string> values;
};

// {"a": {"b": 1, "c": [2, 3]}} -> {"a.b": "1", "a.c[0]": "2", "a.c[1]": "3"}; an empty
// object or array is a leaf ("{}", "[]"). Throws std::invalid_argument, with the parser's
// message and position, when the text is not JSON.
FlatConfig flatten_json(const std::string& json_text);

// The keys whose values are not all equal (a key absent from some config differs),
// sorted by key, with one value per config in the order given.
std::vector<ConfigDifference> diff_flat_configs(const std::vector<FlatConfig>& configs);
// flatten_json() of each text, then diff_flat_configs(); throws as flatten_json().
std::vector<ConfigDifference> diff_configs(const std::vector<std::string>& json_texts);

// diff_configs({first, second}) without the fields under `ignored` (dotted keys; a key
// covers itself and everything below it: "few_shot" covers "few_shot.k").
std::vector<ConfigDifference> diff_configs_except(const std::string& first,
                                                  const std::string& second,
                                                  const std::vector<std::string>& ignored);
// "train.steps = 2 there, 4 here; seed = ..." for two-config differences, with the
// labels given ("there", "here"); an absent value reads "(absent)".
std::string describe_differences(const std::vector<ConfigDifference>& differences,
                                 const std::string& first_label, const std::string& second_label);

}  // namespace tensorpoly
