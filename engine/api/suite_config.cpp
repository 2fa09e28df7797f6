// Parsing and validation of the suite and pre-training data configuration.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/suite_config.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "json_fields.h"

namespace tensorpoly {
namespace {

using config_fields::JsonFields;
using config_fields::ProblemList;

const std::vector<std::string>& synthetic_fields() {
  static const std::vector<std::string> fields = {"layout",     "n_tasks",      "n_heldout",
                                                  "min_length", "max_length",   "alphabet",
                                                  "steps",      "n_validation", "n_train_examples"};
  return fields;
}
const std::vector<std::string>& jsonl_fields() {
  static const std::vector<std::string> fields = {
      "train",         "validation",        "validation_ratio",
      "heldout_tasks", "max_source_length", "max_target_length"};
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
                     ProblemList& problems) {
  auto field = [&](const char* name) { return where + "." + name; };
  if (c.layout != "families" && c.layout != "compositions") {
    problems.add(field("layout"),
                 "must be \"families\" or \"compositions\", got \"" + c.layout + "\"");
  }
  const auto& modes = task_prefix_modes();
  if (std::find(modes.begin(), modes.end(), c.task_prefix) == modes.end()) {
    problems.add(field("task_prefix"),
                 "must be \"id\", \"name\" or \"none\", got \"" + c.task_prefix + "\"");
  }
  if (c.n_tasks < 1)
    problems.add(field("n_tasks"), "must be >= 1, got " + std::to_string(c.n_tasks));
  if (c.n_heldout < 0) {
    problems.add(field("n_heldout"), "must be >= 0, got " + std::to_string(c.n_heldout));
  }
  if (c.min_length < 1) {
    problems.add(field("min_length"), "must be >= 1, got " + std::to_string(c.min_length));
  }
  if (c.max_length < c.min_length) {
    problems.add(field("max_length"), "must be >= " + field("min_length") + " (" +
                                          std::to_string(c.min_length) + "), got " +
                                          std::to_string(c.max_length));
  }
  if (c.max_length > 64) {
    problems.add(field("max_length"), "must be <= 64, got " + std::to_string(c.max_length));
  }
  std::set<char> letters;
  for (char ch : c.alphabet) {
    if (ch < 'a' || ch > 'z') {
      problems.add(field("alphabet"),
                   "must hold lower-case ASCII letters a-z only, got '" + std::string(1, ch) + "'");
      break;
    }
    if (!letters.insert(ch).second) {
      problems.add(field("alphabet"), "letter '" + std::string(1, ch) + "' repeated");
      break;
    }
  }
  if (c.alphabet.size() < 2) problems.add(field("alphabet"), "needs at least 2 letters");
  if (c.steps < 1 || c.steps > 3) {
    problems.add(field("steps"), "must be 1, 2 or 3, got " + std::to_string(c.steps));
  }
  if (c.n_validation < 1) {
    problems.add(field("n_validation"), "must be >= 1, got " + std::to_string(c.n_validation));
  }
  if (c.n_train_examples < 0) {
    problems.add(field("n_train_examples"),
                 "must be >= 0, got " + std::to_string(c.n_train_examples));
  }
  if (!problems.empty()) return;
  // Validation inputs are distinct and training inputs avoid them, so the space of
  // strings must hold both.
  const double available = count_strings(c.alphabet.size(), c.min_length, c.max_length);
  const double needed =
      static_cast<double>(c.n_validation) + std::max(c.n_validation, c.n_train_examples);
  if (available < needed) {
    problems.add(field("n_validation"),
                 std::to_string(c.n_validation) +
                     " validation inputs plus disjoint training inputs need " +
                     std::to_string(static_cast<int64_t>(needed)) +
                     " distinct strings, but the alphabet and lengths allow only " +
                     std::to_string(static_cast<int64_t>(available)));
  }
}

void check_jsonl(const JsonlSuiteConfig& c, const std::string& where, ProblemList& problems) {
  auto field = [&](const char* name) { return where + "." + name; };
  if (c.train_path.empty()) problems.add(field("train"), "a JSONL file is required");
  if (!(c.validation_ratio >= 0.0 && c.validation_ratio < 1.0)) {
    problems.add(field("validation_ratio"), "must be in [0, 1)");
  }
  if (!c.validation_path.empty() && c.validation_ratio > 0.0) {
    problems.add(field("validation_ratio"),
                 "give either " + field("validation") + " or a split ratio, not both");
  }
  const std::pair<const char*, int64_t> limits[] = {{"max_source_length", c.max_source_length},
                                                    {"max_target_length", c.max_target_length}};
  for (const auto& [name, value] : limits) {
    if (value < 0 || value > kMaxSequenceLength) {
      problems.add(field(name), "must be in [0, " + std::to_string(kMaxSequenceLength) +
                                    "] tokens (0 = from the data), got " + std::to_string(value));
    }
  }
  std::set<std::string> names;
  for (const auto& name : c.heldout_tasks) {
    if (name.empty()) problems.add(field("heldout_tasks"), "task names must not be empty");
    if (!names.insert(name).second) {
      problems.add(field("heldout_tasks"), "task '" + name + "' listed twice");
    }
  }
}

void read_synthetic(const nlohmann::json& json, JsonFields& reader, SyntheticSuiteConfig& c) {
  reader.read("layout", c.layout);
  reader.read("n_tasks", c.n_tasks);
  reader.read("n_heldout", c.n_heldout);
  reader.read("seed", c.seed);
  reader.read("min_length", c.min_length);
  reader.read("max_length", c.max_length);
  reader.read("alphabet", c.alphabet);
  if (reader.is_object() && json.contains("task_prefix") && json["task_prefix"].is_boolean()) {
    bool named = false;  // a config stored by an earlier version: true/false
    reader.read("task_prefix", named);
    c.task_prefix = named ? "name" : "none";
  } else {
    reader.read("task_prefix", c.task_prefix);
  }
  reader.read("steps", c.steps);
  reader.read("n_validation", c.n_validation);
  reader.read("n_train_examples", c.n_train_examples);
}

void read_jsonl(JsonFields& reader, JsonlSuiteConfig& c) {
  reader.read("train", c.train_path);
  reader.read("validation", c.validation_path);
  reader.read("validation_ratio", c.validation_ratio);
  reader.read("seed", c.seed);
  reader.read("task_prefix", c.task_prefix);
  reader.read("heldout_tasks", c.heldout_tasks);
  reader.read("max_source_length", c.max_source_length);
  reader.read("max_target_length", c.max_target_length);
}

}  // namespace

const std::vector<std::string>& task_prefix_modes() {
  static const std::vector<std::string> modes = {"id", "name", "none"};
  return modes;
}

void validate(const SuiteConfig& config, const std::string& where) {
  ProblemList problems;
  if (config.kind == "synthetic") {
    check_synthetic(config.synthetic, where, problems);
  } else if (config.kind == "jsonl") {
    check_jsonl(config.jsonl, where, problems);
  } else {
    problems.add(where + ".kind",
                 "must be \"synthetic\" or \"jsonl\", got \"" + config.kind + "\"");
  }
  problems.throw_if_any();
}

SuiteConfig suite_config_from_json(const nlohmann::json& json, const std::string& where) {
  ProblemList problems;
  SuiteConfig config;
  JsonFields reader(json, where, problems);
  reader.read("kind", config.kind);
  // The fields of the other kind get a clearer message than "unknown field".
  std::map<std::string, std::string> other_kind;
  if (config.kind == "jsonl") {
    read_jsonl(reader, config.jsonl);
    for (const auto& f : synthetic_fields()) other_kind[f] = "only used with kind 'synthetic'";
  } else {
    read_synthetic(json, reader, config.synthetic);
    for (const auto& f : jsonl_fields()) other_kind[f] = "only used with kind 'jsonl'";
    other_kind["n_few_shot"] =
        "replaced by few_shot.k (the examples each held-out task is adapted on)";
  }
  reader.reject_unknown(other_kind);
  problems.collect_validation([&] { validate(config, where); });
  problems.throw_if_any();
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
            {"heldout_tasks", c.heldout_tasks},
            {"max_source_length", c.max_source_length},
            {"max_target_length", c.max_target_length}};
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
          {"n_train_examples", c.n_train_examples}};
}

void validate(const PretrainDataConfig& c, const std::string& where) {
  ProblemList problems;
  auto field = [&](const char* name) { return where + "." + name; };
  if (c.min_length < 1) {
    problems.add(field("min_length"), "must be >= 1, got " + std::to_string(c.min_length));
  }
  if (c.max_length < c.min_length) {
    problems.add(field("max_length"), "must be >= " + field("min_length") + " (" +
                                          std::to_string(c.min_length) + "), got " +
                                          std::to_string(c.max_length));
  }
  if (c.max_length > 256) {
    problems.add(field("max_length"), "must be <= 256, got " + std::to_string(c.max_length));
  }
  if (!(c.upper_case_fraction >= 0.0 && c.upper_case_fraction <= 1.0)) {
    problems.add(field("upper_case_fraction"), "must be in [0, 1]");
  }
  if (!(c.infill_fraction >= 0.0 && c.infill_fraction <= 1.0)) {
    problems.add(field("infill_fraction"), "must be in [0, 1]");
  }
  if (!(c.noise_density > 0.0 && c.noise_density < 1.0)) {
    problems.add(field("noise_density"), "must be in (0, 1)");
  }
  if (!(c.mean_span_length >= 1.0)) problems.add(field("mean_span_length"), "must be >= 1");
  problems.throw_if_any();
}

PretrainDataConfig pretrain_data_config_from_json(const nlohmann::json& json,
                                                  const std::string& where) {
  ProblemList problems;
  PretrainDataConfig c;
  JsonFields reader(json, where, problems);
  reader.read("min_length", c.min_length);
  reader.read("max_length", c.max_length);
  reader.read("upper_case_fraction", c.upper_case_fraction);
  reader.read("infill", c.infill);
  reader.read("infill_fraction", c.infill_fraction);
  reader.read("noise_density", c.noise_density);
  reader.read("mean_span_length", c.mean_span_length);
  reader.read("seed", c.seed);
  reader.reject_unknown();
  problems.collect_validation([&] { validate(c, where); });
  problems.throw_if_any();
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
