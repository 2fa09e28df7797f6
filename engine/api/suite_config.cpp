// Parsing and validation of the suite and pre-training data configuration.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/suite_config.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace tensorpoly {
namespace {

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) {
    if (!text.empty()) text += '\n';
    text += line;
  }
  return text;
}

const char* json_type_name(const nlohmann::json& value) { return value.type_name(); }

// Reads the fields of one JSON object into a struct, collecting every problem with the
// field's full path instead of stopping at the first.
class FieldReader {
 public:
  FieldReader(const nlohmann::json& object, std::string where, std::vector<std::string>& problems)
      : object_(object), where_(std::move(where)), problems_(problems) {}

  std::string path(const std::string& field) const { return where_ + "." + field; }

  bool has(const std::string& field) const { return object_.contains(field); }

  void read(const std::string& field, std::string& out) {
    read_with(field, "a string", [&](const nlohmann::json& v) {
      if (!v.is_string()) return false;
      out = v.get<std::string>();
      return true;
    });
  }
  void read(const std::string& field, bool& out) {
    read_with(field, "true or false", [&](const nlohmann::json& v) {
      if (!v.is_boolean()) return false;
      out = v.get<bool>();
      return true;
    });
  }
  void read(const std::string& field, int& out) {
    read_with(field, "an integer", [&](const nlohmann::json& v) {
      if (!v.is_number_integer()) return false;
      const auto value = v.get<int64_t>();
      if (value < INT32_MIN || value > INT32_MAX) return false;
      out = static_cast<int>(value);
      return true;
    });
  }
  void read(const std::string& field, uint64_t& out) {
    read_with(field, "a non-negative integer", [&](const nlohmann::json& v) {
      if (v.is_number_unsigned()) {
        out = v.get<uint64_t>();
        return true;
      }
      if (v.is_number_integer() && v.get<int64_t>() >= 0) {
        out = static_cast<uint64_t>(v.get<int64_t>());
        return true;
      }
      return false;
    });
  }
  void read(const std::string& field, double& out) {
    read_with(field, "a number", [&](const nlohmann::json& v) {
      if (!v.is_number()) return false;
      out = v.get<double>();
      return true;
    });
  }
  void read(const std::string& field, std::vector<std::string>& out) {
    read_with(field, "a list of strings", [&](const nlohmann::json& v) {
      if (!v.is_array()) return false;
      std::vector<std::string> values;
      for (const auto& item : v) {
        if (!item.is_string()) return false;
        values.push_back(item.get<std::string>());
      }
      out = std::move(values);
      return true;
    });
  }

  // Every field present that no read() asked for is reported as unknown, except the
  // ones in `allowed_elsewhere` (fields of another kind get a clearer message).
  void reject_unknown(const std::map<std::string, std::string>& belongs_to_other_kind = {}) {
    for (auto it = object_.begin(); it != object_.end(); ++it) {
      if (seen_.count(it.key())) continue;
      const auto other = belongs_to_other_kind.find(it.key());
      if (other != belongs_to_other_kind.end()) {
        problems_.push_back(path(it.key()) + ": only used with kind '" + other->second + "'");
      } else {
        problems_.push_back(path(it.key()) + ": unknown field");
      }
    }
  }

 private:
  void read_with(const std::string& field, const char* expected,
                 const std::function<bool(const nlohmann::json&)>& convert) {
    seen_.insert(field);
    if (!object_.contains(field)) return;
    const auto& value = object_.at(field);
    if (!convert(value)) {
      problems_.push_back(path(field) + ": expected " + expected + ", got " +
                          (value.is_number() ? value.dump() : json_type_name(value)));
    }
  }

  const nlohmann::json& object_;
  std::string where_;
  std::vector<std::string>& problems_;
  std::set<std::string> seen_;
};

const std::vector<std::string>& synthetic_fields() {
  static const std::vector<std::string> fields = {
      "layout",   "n_tasks", "n_heldout",    "min_length",       "max_length",
      "alphabet", "steps",   "n_validation", "n_train_examples", "n_few_shot"};
  return fields;
}
const std::vector<std::string>& jsonl_fields() {
  static const std::vector<std::string> fields = {"train", "validation", "validation_ratio",
                                                  "heldout_tasks"};
  return fields;
}

// Number of distinct strings with lengths in [min_length, max_length], saturating.
double count_strings(size_t alphabet_size, int min_length, int max_length) {
  double total = 0.0;
  for (int length = min_length; length <= max_length; ++length) {
    total += std::pow(static_cast<double>(alphabet_size), length);
  }
  return total;
}

void check_synthetic(const SyntheticSuiteConfig& c, const std::string& where,
                     std::vector<std::string>& problems) {
  auto field = [&](const char* name) { return where + "." + name; };
  if (c.layout != "families" && c.layout != "compositions") {
    problems.push_back(field("layout") + ": must be \"families\" or \"compositions\", got \"" +
                       c.layout + "\"");
  }
  if (c.n_tasks < 1) problems.push_back(field("n_tasks") + ": must be >= 1");
  if (c.n_heldout < 0) problems.push_back(field("n_heldout") + ": must be >= 0");
  if (c.min_length < 1) problems.push_back(field("min_length") + ": must be >= 1");
  if (c.max_length < c.min_length) {
    problems.push_back(field("max_length") + ": must be >= " + field("min_length") + " (" +
                       std::to_string(c.min_length) + ")");
  }
  if (c.max_length > 64) problems.push_back(field("max_length") + ": must be <= 64");
  std::set<char> letters;
  for (char ch : c.alphabet) {
    if (ch < 'a' || ch > 'z') {
      problems.push_back(field("alphabet") +
                         ": must hold lower-case ASCII letters a-z only, got '" +
                         std::string(1, ch) + "'");
      break;
    }
    if (!letters.insert(ch).second) {
      problems.push_back(field("alphabet") + ": letter '" + std::string(1, ch) + "' repeated");
      break;
    }
  }
  if (c.alphabet.size() < 2) problems.push_back(field("alphabet") + ": needs at least 2 letters");
  if (c.steps < 1 || c.steps > 3) problems.push_back(field("steps") + ": must be 1, 2 or 3");
  if (c.n_validation < 1) problems.push_back(field("n_validation") + ": must be >= 1");
  if (c.n_train_examples < 0) problems.push_back(field("n_train_examples") + ": must be >= 0");
  if (c.n_few_shot < 0) problems.push_back(field("n_few_shot") + ": must be >= 0");
  if (!problems.empty()) return;
  // Validation inputs are distinct and training inputs avoid them, so the space of
  // strings must hold both.
  const double available = count_strings(c.alphabet.size(), c.min_length, c.max_length);
  const double needed = static_cast<double>(c.n_validation) +
                        std::max({c.n_validation, c.n_train_examples, c.n_few_shot});
  if (available < needed) {
    problems.push_back(field("n_validation") + ": " + std::to_string(c.n_validation) +
                       " validation inputs plus disjoint training inputs need " +
                       std::to_string(static_cast<int64_t>(needed)) +
                       " distinct strings, but the alphabet and lengths allow only " +
                       std::to_string(static_cast<int64_t>(available)));
  }
}

void check_jsonl(const JsonlSuiteConfig& c, const std::string& where,
                 std::vector<std::string>& problems) {
  auto field = [&](const char* name) { return where + "." + name; };
  if (c.train_path.empty()) problems.push_back(field("train") + ": a JSONL file is required");
  if (!(c.validation_ratio >= 0.0 && c.validation_ratio < 1.0)) {
    problems.push_back(field("validation_ratio") + ": must be in [0, 1)");
  }
  if (!c.validation_path.empty() && c.validation_ratio > 0.0) {
    problems.push_back(field("validation_ratio") + ": give either " + field("validation") +
                       " or a split ratio, not both");
  }
  std::set<std::string> names;
  for (const auto& name : c.heldout_tasks) {
    if (name.empty()) problems.push_back(field("heldout_tasks") + ": task names must not be empty");
    if (!names.insert(name).second) {
      problems.push_back(field("heldout_tasks") + ": task '" + name + "' listed twice");
    }
  }
}

}  // namespace

SuiteConfigError::SuiteConfigError(std::vector<std::string> problems)
    : std::invalid_argument(join_lines(problems)), problems_(std::move(problems)) {}

void validate(const SuiteConfig& config, const std::string& where) {
  std::vector<std::string> problems;
  if (config.kind == "synthetic") {
    check_synthetic(config.synthetic, where, problems);
  } else if (config.kind == "jsonl") {
    check_jsonl(config.jsonl, where, problems);
  } else {
    problems.push_back(where + ".kind: must be \"synthetic\" or \"jsonl\", got \"" + config.kind +
                       "\"");
  }
  if (!problems.empty()) throw SuiteConfigError(std::move(problems));
}

SuiteConfig suite_config_from_json(const nlohmann::json& json, const std::string& where) {
  if (!json.is_object()) {
    throw SuiteConfigError({where + ": expected an object, got " + json_type_name(json)});
  }
  std::vector<std::string> problems;
  SuiteConfig config;
  FieldReader reader(json, where, problems);
  reader.read("kind", config.kind);
  std::map<std::string, std::string> other_kind;
  if (config.kind == "jsonl") {
    auto& c = config.jsonl;
    reader.read("train", c.train_path);
    reader.read("validation", c.validation_path);
    reader.read("validation_ratio", c.validation_ratio);
    reader.read("seed", c.seed);
    reader.read("task_prefix", c.task_prefix);
    reader.read("heldout_tasks", c.heldout_tasks);
    for (const auto& f : synthetic_fields()) other_kind[f] = "synthetic";
  } else {
    auto& c = config.synthetic;
    reader.read("layout", c.layout);
    reader.read("n_tasks", c.n_tasks);
    reader.read("n_heldout", c.n_heldout);
    reader.read("seed", c.seed);
    reader.read("min_length", c.min_length);
    reader.read("max_length", c.max_length);
    reader.read("alphabet", c.alphabet);
    reader.read("task_prefix", c.task_prefix);
    reader.read("steps", c.steps);
    reader.read("n_validation", c.n_validation);
    reader.read("n_train_examples", c.n_train_examples);
    reader.read("n_few_shot", c.n_few_shot);
    for (const auto& f : jsonl_fields()) other_kind[f] = "jsonl";
  }
  reader.reject_unknown(other_kind);
  if (!problems.empty()) throw SuiteConfigError(std::move(problems));
  validate(config, where);
  return config;
}

nlohmann::json to_json(const SuiteConfig& config) {
  if (config.kind == "jsonl") {
    const auto& c = config.jsonl;
    return {{"kind", "jsonl"},
            {"train", c.train_path},
            {"validation", c.validation_path},
            {"validation_ratio", c.validation_ratio},
            {"seed", c.seed},
            {"task_prefix", c.task_prefix},
            {"heldout_tasks", c.heldout_tasks}};
  }
  const auto& c = config.synthetic;
  return {{"kind", config.kind},
          {"layout", c.layout},
          {"n_tasks", c.n_tasks},
          {"n_heldout", c.n_heldout},
          {"seed", c.seed},
          {"min_length", c.min_length},
          {"max_length", c.max_length},
          {"alphabet", c.alphabet},
          {"task_prefix", c.task_prefix},
          {"steps", c.steps},
          {"n_validation", c.n_validation},
          {"n_train_examples", c.n_train_examples},
          {"n_few_shot", c.n_few_shot}};
}

void validate(const PretrainDataConfig& c, const std::string& where) {
  std::vector<std::string> problems;
  auto field = [&](const char* name) { return where + "." + name; };
  if (c.min_length < 1) problems.push_back(field("min_length") + ": must be >= 1");
  if (c.max_length < c.min_length) {
    problems.push_back(field("max_length") + ": must be >= " + field("min_length") + " (" +
                       std::to_string(c.min_length) + ")");
  }
  if (c.max_length > 256) problems.push_back(field("max_length") + ": must be <= 256");
  if (!(c.upper_case_fraction >= 0.0 && c.upper_case_fraction <= 1.0)) {
    problems.push_back(field("upper_case_fraction") + ": must be in [0, 1]");
  }
  if (!(c.infill_fraction >= 0.0 && c.infill_fraction <= 1.0)) {
    problems.push_back(field("infill_fraction") + ": must be in [0, 1]");
  }
  if (!(c.noise_density > 0.0 && c.noise_density < 1.0)) {
    problems.push_back(field("noise_density") + ": must be in (0, 1)");
  }
  if (!(c.mean_span_length >= 1.0)) {
    problems.push_back(field("mean_span_length") + ": must be >= 1");
  }
  if (!problems.empty()) throw SuiteConfigError(std::move(problems));
}

PretrainDataConfig pretrain_data_config_from_json(const nlohmann::json& json,
                                                  const std::string& where) {
  if (!json.is_object()) {
    throw SuiteConfigError({where + ": expected an object, got " + json_type_name(json)});
  }
  std::vector<std::string> problems;
  PretrainDataConfig c;
  FieldReader reader(json, where, problems);
  reader.read("min_length", c.min_length);
  reader.read("max_length", c.max_length);
  reader.read("upper_case_fraction", c.upper_case_fraction);
  reader.read("infill", c.infill);
  reader.read("infill_fraction", c.infill_fraction);
  reader.read("noise_density", c.noise_density);
  reader.read("mean_span_length", c.mean_span_length);
  reader.read("seed", c.seed);
  reader.reject_unknown();
  if (!problems.empty()) throw SuiteConfigError(std::move(problems));
  validate(c, where);
  return c;
}

nlohmann::json to_json(const PretrainDataConfig& c) {
  return {{"min_length", c.min_length},
          {"max_length", c.max_length},
          {"upper_case_fraction", c.upper_case_fraction},
          {"infill", c.infill},
          {"infill_fraction", c.infill_fraction},
          {"noise_density", c.noise_density},
          {"mean_span_length", c.mean_span_length},
          {"seed", c.seed}};
}

}  // namespace tensorpoly
