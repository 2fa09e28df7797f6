// Config JSON flattened to dotted keys, and the keys in which configs differ.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/config_diff.h"

#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <utility>

namespace tensorpoly {

namespace {

void flatten_into(const nlohmann::json& value, const std::string& prefix, FlatConfig& out) {
  if (value.is_object() && !value.empty()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      flatten_into(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    }
  } else if (value.is_array() && !value.empty()) {
    for (size_t i = 0; i < value.size(); ++i) {
      flatten_into(value[i], prefix + "[" + std::to_string(i) + "]", out);
    }
  } else {
    out[prefix] = value.dump();
  }
}

}  // namespace

FlatConfig flatten_json(const std::string& json_text) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& error) {
    throw std::invalid_argument(std::string("config JSON: ") + error.what());
  }
  FlatConfig flat;
  flatten_into(json, "", flat);
  return flat;
}

std::vector<ConfigDifference> diff_flat_configs(const std::vector<FlatConfig>& configs) {
  std::set<std::string> keys;
  for (const FlatConfig& config : configs) {
    for (const auto& entry : config) keys.insert(entry.first);
  }
  std::vector<ConfigDifference> differences;
  for (const std::string& key : keys) {
    ConfigDifference difference{key, {}};
    bool differs = false;
    for (const FlatConfig& config : configs) {
      const auto found = config.find(key);
      difference.values.push_back(found == config.end() ? std::string() : found->second);
      differs =
          differs || found == config.end() || difference.values.back() != difference.values.front();
    }
    if (differs) differences.push_back(std::move(difference));
  }
  return differences;
}

std::vector<ConfigDifference> diff_configs(const std::vector<std::string>& json_texts) {
  std::vector<FlatConfig> configs;
  configs.reserve(json_texts.size());
  for (const std::string& text : json_texts) configs.push_back(flatten_json(text));
  return diff_flat_configs(configs);
}

std::vector<ConfigDifference> diff_configs_except(const std::string& first,
                                                  const std::string& second,
                                                  const std::vector<std::string>& ignored) {
  auto is_ignored = [&](const std::string& key) {
    for (const std::string& prefix : ignored) {
      if (key.compare(0, prefix.size(), prefix) == 0 &&
          (key.size() == prefix.size() || key[prefix.size()] == '.' || key[prefix.size()] == '[')) {
        return true;
      }
    }
    return false;
  };
  std::vector<ConfigDifference> kept;
  for (ConfigDifference& difference : diff_configs({first, second})) {
    if (!is_ignored(difference.key)) kept.push_back(std::move(difference));
  }
  return kept;
}

std::string describe_differences(const std::vector<ConfigDifference>& differences,
                                 const std::string& first_label, const std::string& second_label) {
  auto shown = [](const std::string& value) {
    return value.empty() ? std::string("(absent)") : value;
  };
  std::string text;
  for (const ConfigDifference& difference : differences) {
    if (!text.empty()) text += "; ";
    text += difference.key;
    text += " = ";
    text += shown(difference.values.at(0));
    text += " " + first_label + ", ";
    text += shown(difference.values.at(1));
    text += " " + second_label;
  }
  return text;
}

}  // namespace tensorpoly
