// "path.to.field=value" overrides of an ExperimentConfig (config.h), as tensorpoly-run
// takes them on its command line: applied to the JSON form, then read back with the same
// reader and validation as a config file.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <nlohmann/json.hpp>
#include <sstream>

#include "json_fields.h"
#include "tensorpoly/config.h"

namespace tensorpoly {
namespace {

using json = nlohmann::json;

// The value of `text`: JSON when it parses (numbers, true/false, null, arrays, quoted
// strings), else the text itself (adapter.method=poly). False for a number beyond
// double's range, which is neither.
bool override_value(const std::string& text, json& value) {
  try {
    value = json::parse(text);
  } catch (const json::out_of_range&) {
    return false;
  } catch (const json::exception&) {
    value = text;
  }
  return true;
}

std::vector<std::string> split_path(const std::string& key) {
  std::vector<std::string> path;
  std::stringstream parts(key);
  std::string part;
  while (std::getline(parts, part, '.')) path.push_back(part);
  return path;
}

// Sets one override in `document`; returns "" or what is wrong with it (`field` names the
// field when the value is at fault).
std::string apply_override(json& document, const std::string& override_text, std::string& field) {
  const auto equals = override_text.find('=');
  if (equals == std::string::npos || equals == 0) {
    return "expected key=value, e.g. train.steps=200";
  }
  const std::string key = override_text.substr(0, equals);
  const std::string text = override_text.substr(equals + 1);
  const std::vector<std::string> path = split_path(key);
  if (path.empty() || path.back().empty()) return "empty field name";
  json* node = &document;
  std::string walked;
  // "model" is a preset name or {"checkpoint": DIR}: model.checkpoint=DIR turns a name
  // into the object.
  if (path.size() > 1 && path[0] == "model" && document.contains("model") &&
      document["model"].is_string()) {
    document["model"] = json::object();
  }
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    walked += (walked.empty() ? "" : ".") + path[i];
    if (!node->contains(path[i]) || !(*node)[path[i]].is_object()) {
      return "'" + walked + "' is not a section of the config";
    }
    node = &(*node)[path[i]];
  }
  json value;
  if (!override_value(text, value)) {
    field = key;
    return "number beyond the range of a double: " + text;
  }
  // An unknown field is kept: the reader then reports it with the list of known ones.
  // A string field given a value that parsed as a number (suite.alphabet=123) stays text.
  if (node->contains(path.back()) && (*node)[path.back()].is_string() && !value.is_string()) {
    value = text;
  }
  (*node)[path.back()] = value;
  return {};
}

}  // namespace

ExperimentConfig apply_overrides(const ExperimentConfig& config,
                                 const std::vector<std::string>& overrides) {
  json document = to_json(config);
  config_fields::ProblemList problems;
  for (const std::string& override_text : overrides) {
    std::string field;
    const std::string problem = apply_override(document, override_text, field);
    if (!problem.empty()) {
      std::string message = "override '";
      message += override_text;
      message += "': ";
      message += problem;
      problems.add(field, message);
    }
  }
  // A rank given while the rank is computed would be silently replaced: say so instead.
  const json& adapter = document["adapter"];
  const bool matched = adapter.is_object() && adapter.contains("match_parameters_of") &&
                       adapter["match_parameters_of"].is_string() &&
                       !adapter["match_parameters_of"].get<std::string>().empty();
  for (const std::string& override_text : overrides) {
    if (matched && override_text.rfind("adapter.rank=", 0) == 0) {
      problems.add("adapter.rank",
                   "override '" + override_text +
                       "': the rank is computed to match the parameters of '" +
                       adapter["match_parameters_of"].get<std::string>() +
                       "'; add adapter.match_parameters_of=\"\" to choose it yourself");
    }
  }
  problems.throw_if_any();
  return config_from_json(document);
}

}  // namespace tensorpoly
