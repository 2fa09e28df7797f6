// Parsing, validation, overrides and parameter estimates of ExperimentConfig (config.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/config.h"

#include <dirent.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "tensorpoly/model_preset.h"

namespace tensorpoly {
namespace {

using json = nlohmann::json;

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) {
    if (!text.empty()) text += '\n';
    text += line;
  }
  return text;
}

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// Reads the fields of one JSON object, collecting every problem with its full path.
class Reader {
 public:
  Reader(const json& object, std::string where, std::vector<std::string>& problems)
      : object_(object), where_(std::move(where)), problems_(problems) {}

  std::string path(const std::string& field) const {
    return where_.empty() ? field : where_ + "." + field;
  }

  void read(const std::string& field, std::string& out) {
    read_with(field, "a string", [&](const json& v) {
      if (!v.is_string()) return false;
      out = v.get<std::string>();
      return true;
    });
  }
  void read(const std::string& field, bool& out) {
    read_with(field, "true or false", [&](const json& v) {
      if (!v.is_boolean()) return false;
      out = v.get<bool>();
      return true;
    });
  }
  void read(const std::string& field, int& out) {
    read_with(field, "an integer", [&](const json& v) {
      if (!v.is_number_integer()) return false;
      const auto value = v.get<int64_t>();
      if (value < INT32_MIN || value > INT32_MAX) return false;
      out = static_cast<int>(value);
      return true;
    });
  }
  void read(const std::string& field, int64_t& out) {
    read_with(field, "an integer", [&](const json& v) {
      if (!v.is_number_integer()) return false;
      out = v.get<int64_t>();
      return true;
    });
  }
  void read(const std::string& field, uint64_t& out) {
    read_with(field, "a non-negative integer", [&](const json& v) {
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
    read_with(field, "a number", [&](const json& v) {
      if (!v.is_number()) return false;
      out = v.get<double>();
      return true;
    });
  }
  // Sub-objects parsed by another module's reader; `parse` gets the value.
  void read_object(const std::string& field, const std::function<void(const json&)>& parse) {
    seen_.insert(field);
    if (!object_.contains(field)) return;
    parse(object_.at(field));
  }

  void reject_unknown() {
    for (auto it = object_.begin(); it != object_.end(); ++it) {
      if (seen_.count(it.key())) continue;
      std::string known;
      for (const auto& name : seen_) known += (known.empty() ? "" : ", ") + name;
      problems_.push_back(path(it.key()) + ": unknown field (known: " + known + ")");
    }
  }

 private:
  void read_with(const std::string& field, const char* expected,
                 const std::function<bool(const json&)>& convert) {
    seen_.insert(field);
    if (!object_.contains(field)) return;
    const auto& value = object_.at(field);
    if (!convert(value)) {
      problems_.push_back(path(field) + ": expected " + expected + ", got " +
                          (value.is_primitive() ? value.dump() : value.type_name()));
    }
  }

  const json& object_;
  std::string where_;
  std::vector<std::string>& problems_;
  std::set<std::string> seen_;
};

void parse_train(const json& j, TrainingConfig& c, std::vector<std::string>& problems) {
  if (!j.is_object()) {
    problems.push_back(std::string("train: expected an object, got ") + j.type_name());
    return;
  }
  Reader r(j, "train", problems);
  r.read("steps", c.steps);
  r.read("batch_size", c.batch_size);
  r.read("adapter_learning_rate", c.adapter_learning_rate);
  r.read("router_learning_rate", c.router_learning_rate);
  r.read("base_learning_rate", c.base_learning_rate);
  r.read("weight_decay", c.weight_decay);
  r.read("warmup_fraction", c.warmup_fraction);
  r.read("max_grad_norm", c.max_grad_norm);
  r.read("eval_every", c.eval_every);
  r.read("eval_examples", c.eval_examples);
  r.read("eval_batch_size", c.eval_batch_size);
  r.read("routing_every", c.routing_every);
  r.read("checkpoint_every", c.checkpoint_every);
  r.read("checkpoint_dir", c.checkpoint_dir);
  r.read("resume_from", c.resume_from);
  r.reject_unknown();
}

void parse_base(const json& j, BaseModelConfig& c, std::vector<std::string>& problems) {
  if (!j.is_object()) {
    problems.push_back(std::string("base: expected an object, got ") + j.type_name());
    return;
  }
  Reader r(j, "base", problems);
  r.read("checkpoint", c.checkpoint);
  r.read("cache_dir", c.cache_dir);
  r.read("pretrain_steps", c.pretrain_steps);
  r.read("copy_steps", c.copy_steps);
  r.read("learning_rate", c.learning_rate);
  r.read("batch_size", c.batch_size);
  r.read("unfreeze", c.unfreeze);
  r.read_object("data", [&](const json& data) {
    try {
      c.data = pretrain_data_config_from_json(data, "base.data");
    } catch (const SuiteConfigError& error) {
      problems.insert(problems.end(), error.problems().begin(), error.problems().end());
    }
  });
  r.reject_unknown();
}

void parse_few_shot(const json& j, FewShotConfig& c, std::vector<std::string>& problems) {
  if (!j.is_object()) {
    problems.push_back(std::string("few_shot: expected an object, got ") + j.type_name());
    return;
  }
  Reader r(j, "few_shot", problems);
  r.read("steps", c.steps);
  r.read("learning_rate", c.learning_rate);
  r.read("train_adapters", c.train_adapters);
  r.read("batch_size", c.batch_size);
  r.read("eval_every", c.eval_every);
  r.reject_unknown();
}

// "adapter config: rank must be >= 1 ..." -> "adapter.rank: rank must be >= 1 ..."
std::string adapter_problem(const AdapterConfigError& error) {
  std::string message = error.what();
  const std::string prefix = "adapter config: ";
  if (message.rfind(prefix, 0) == 0) message = message.substr(prefix.size());
  return (error.field().empty() ? std::string("adapter") : "adapter." + error.field()) + ": " +
         message;
}

void check(std::vector<std::string>& problems, bool ok, const std::string& problem) {
  if (!ok) problems.push_back(problem);
}

void validate_into(const ExperimentConfig& c, std::vector<std::string>& problems) {
  check(problems, !c.name.empty(), "name: must not be empty");
  try {
    (void)model_preset(c.model);
  } catch (const std::invalid_argument& error) {
    problems.push_back(std::string("model: ") + error.what());
  }
  static const std::regex device_pattern("auto|cpu|cuda|cuda:[0-9]+");
  check(problems, std::regex_match(c.device, device_pattern),
        "device: must be one of auto, cpu, cuda, cuda:N, got \"" + c.device + "\"");
  check(problems, c.threads >= 0,
        "threads: must be >= 0 (0 = one per core), got " + std::to_string(c.threads));
  try {
    validate_fields(c.adapter);
  } catch (const AdapterConfigError& error) {
    problems.push_back(adapter_problem(error));
  }
  try {
    validate(c.suite, "suite");
  } catch (const SuiteConfigError& error) {
    problems.insert(problems.end(), error.problems().begin(), error.problems().end());
  }

  const TrainingConfig& t = c.train;
  check(problems, t.steps >= 0, "train.steps: must be >= 0, got " + std::to_string(t.steps));
  check(problems, t.batch_size >= 1,
        "train.batch_size: must be >= 1, got " + std::to_string(t.batch_size));
  const std::pair<const char*, double> rates[] = {
      {"train.adapter_learning_rate", t.adapter_learning_rate},
      {"train.router_learning_rate", t.router_learning_rate},
      {"train.base_learning_rate", t.base_learning_rate},
      {"base.learning_rate", c.base.learning_rate},
      {"few_shot.learning_rate", c.few_shot.learning_rate}};
  for (const auto& [field, value] : rates) {
    check(problems, std::isfinite(value) && value >= 0.0,
          std::string(field) + ": must be a finite number >= 0, got " + number_text(value));
  }
  check(problems, std::isfinite(t.weight_decay) && t.weight_decay >= 0.0,
        "train.weight_decay: must be >= 0, got " + number_text(t.weight_decay));
  check(problems, t.warmup_fraction >= 0.0 && t.warmup_fraction <= 1.0,
        "train.warmup_fraction: must be in [0, 1], got " + number_text(t.warmup_fraction));
  check(problems, std::isfinite(t.max_grad_norm) && t.max_grad_norm >= 0.0,
        "train.max_grad_norm: must be >= 0 (0 = no clipping), got " + number_text(t.max_grad_norm));
  const std::pair<const char*, int64_t> intervals[] = {
      {"train.eval_every", t.eval_every},
      {"train.eval_examples", t.eval_examples},
      {"train.routing_every", t.routing_every},
      {"train.checkpoint_every", t.checkpoint_every},
      {"base.pretrain_steps", c.base.pretrain_steps},
      {"base.copy_steps", c.base.copy_steps},
      {"few_shot.steps", c.few_shot.steps},
      {"few_shot.eval_every", c.few_shot.eval_every}};
  for (const auto& [field, value] : intervals) {
    check(problems, value >= 0,
          std::string(field) + ": must be >= 0, got " + std::to_string(value));
  }
  check(problems, t.eval_batch_size >= 1,
        "train.eval_batch_size: must be >= 1, got " + std::to_string(t.eval_batch_size));
  check(problems, c.base.batch_size >= 1,
        "base.batch_size: must be >= 1, got " + std::to_string(c.base.batch_size));
  check(problems, c.base.copy_steps <= c.base.pretrain_steps,
        "base.copy_steps: must be <= base.pretrain_steps (" +
            std::to_string(c.base.pretrain_steps) + "), got " + std::to_string(c.base.copy_steps));
  try {
    validate(c.base.data, "base.data");
  } catch (const SuiteConfigError& error) {
    problems.insert(problems.end(), error.problems().begin(), error.problems().end());
  }
  check(problems, c.few_shot.batch_size >= 1,
        "few_shot.batch_size: must be >= 1, got " + std::to_string(c.few_shot.batch_size));
  if (c.few_shot.steps > 0 && c.suite.kind == "synthetic") {
    check(problems, c.suite.synthetic.n_heldout > 0,
          "few_shot.steps: few-shot adaptation needs held-out tasks (suite.n_heldout > 0)");
  }
  if (c.adapter.method == "none") {
    check(problems, c.base.unfreeze || t.steps == 0,
          "adapter.method: \"none\" trains no adapter, so it needs base.unfreeze = true "
          "(full fine-tuning) or train.steps = 0 (evaluate the base only)");
  }
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
    : std::invalid_argument(join_lines(problems)), problems_(std::move(problems)) {}

void validate(const ExperimentConfig& config) {
  std::vector<std::string> problems;
  validate_into(config, problems);
  if (!problems.empty()) throw ConfigError(std::move(problems));
}

ExperimentConfig config_from_json(const json& j) {
  if (!j.is_object()) {
    throw ConfigError({std::string("config: expected a JSON object, got ") + j.type_name()});
  }
  std::vector<std::string> problems;
  ExperimentConfig c;
  Reader r(j, "", problems);
  r.read("name", c.name);
  r.read("seed", c.seed);
  r.read("device", c.device);
  r.read("threads", c.threads);
  r.read("model", c.model);
  r.read_object("adapter", [&](const json& value) {
    try {
      c.adapter = adapter_config_from_json(value);
    } catch (const AdapterConfigError& error) {
      problems.push_back(adapter_problem(error));
    }
  });
  r.read_object("suite", [&](const json& value) {
    try {
      c.suite = suite_config_from_json(value, "suite");
    } catch (const SuiteConfigError& error) {
      problems.insert(problems.end(), error.problems().begin(), error.problems().end());
    }
  });
  r.read_object("train", [&](const json& value) { parse_train(value, c.train, problems); });
  r.read_object("base", [&](const json& value) { parse_base(value, c.base, problems); });
  r.read_object("few_shot",
                [&](const json& value) { parse_few_shot(value, c.few_shot, problems); });
  r.reject_unknown();
  if (!problems.empty()) throw ConfigError(std::move(problems));
  validate(c);
  return c;
}

ExperimentConfig config_from_json_text(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& error) {
    throw ConfigError({std::string("config: invalid JSON: ") + error.what()});
  }
  return config_from_json(j);
}

ExperimentConfig config_from_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError({path + ": cannot open the file"});
  std::stringstream buffer;
  buffer << in.rdbuf();
  json j;
  try {
    j = json::parse(buffer.str());
  } catch (const json::parse_error& error) {
    throw ConfigError({path + ": invalid JSON: " + error.what()});
  }
  try {
    return config_from_json(j);
  } catch (const ConfigError& error) {
    std::vector<std::string> problems;
    for (const auto& problem : error.problems()) problems.push_back(path + ": " + problem);
    throw ConfigError(std::move(problems));
  }
}

json to_json(const ExperimentConfig& c) {
  const TrainingConfig& t = c.train;
  return json{{"name", c.name},
              {"seed", c.seed},
              {"device", c.device},
              {"threads", c.threads},
              {"model", c.model},
              {"adapter", adapter_config_to_json(c.adapter)},
              {"suite", to_json(c.suite)},
              {"train",
               {{"steps", t.steps},
                {"batch_size", t.batch_size},
                {"adapter_learning_rate", t.adapter_learning_rate},
                {"router_learning_rate", t.router_learning_rate},
                {"base_learning_rate", t.base_learning_rate},
                {"weight_decay", t.weight_decay},
                {"warmup_fraction", t.warmup_fraction},
                {"max_grad_norm", t.max_grad_norm},
                {"eval_every", t.eval_every},
                {"eval_examples", t.eval_examples},
                {"eval_batch_size", t.eval_batch_size},
                {"routing_every", t.routing_every},
                {"checkpoint_every", t.checkpoint_every},
                {"checkpoint_dir", t.checkpoint_dir},
                {"resume_from", t.resume_from}}},
              {"base",
               {{"checkpoint", c.base.checkpoint},
                {"cache_dir", c.base.cache_dir},
                {"pretrain_steps", c.base.pretrain_steps},
                {"copy_steps", c.base.copy_steps},
                {"learning_rate", c.base.learning_rate},
                {"batch_size", c.base.batch_size},
                {"unfreeze", c.base.unfreeze},
                {"data", to_json(c.base.data)}}},
              {"few_shot",
               {{"steps", c.few_shot.steps},
                {"learning_rate", c.few_shot.learning_rate},
                {"train_adapters", c.few_shot.train_adapters},
                {"batch_size", c.few_shot.batch_size},
                {"eval_every", c.few_shot.eval_every}}}};
}

std::string to_json_text(const ExperimentConfig& config, int indent) {
  return to_json(config).dump(indent);
}

ExperimentConfig apply_overrides(const ExperimentConfig& config,
                                 const std::vector<std::string>& overrides) {
  json document = to_json(config);
  std::vector<std::string> problems;
  for (const std::string& override_text : overrides) {
    const auto equals = override_text.find('=');
    if (equals == std::string::npos || equals == 0) {
      problems.push_back("override '" + override_text +
                         "': expected key=value, e.g. train.steps=200");
      continue;
    }
    const std::string key = override_text.substr(0, equals);
    const std::string text = override_text.substr(equals + 1);
    json value;
    try {
      value = json::parse(text);
    } catch (const json::parse_error&) {
      value = text;  // a plain string: adapter.method=poly
    }
    json* node = &document;
    std::string walked;
    std::stringstream parts(key);
    std::string part;
    std::vector<std::string> path;
    while (std::getline(parts, part, '.')) path.push_back(part);
    bool ok = true;
    for (size_t i = 0; i + 1 < path.size(); ++i) {
      walked += (walked.empty() ? "" : ".") + path[i];
      if (!node->contains(path[i]) || !(*node)[path[i]].is_object()) {
        problems.push_back("override '" + override_text + "': '" + walked +
                           "' is not a section of the config");
        ok = false;
        break;
      }
      node = &(*node)[path[i]];
    }
    if (!ok) continue;
    if (path.empty() || path.back().empty()) {
      problems.push_back("override '" + override_text + "': empty field name");
      continue;
    }
    // An unknown field is kept: the parser then reports it with the list of known ones.
    // A string field given a value that parsed as a number (suite.alphabet=123) stays text.
    if (node->contains(path.back()) && (*node)[path.back()].is_string() && !value.is_string()) {
      value = text;
    }
    (*node)[path.back()] = value;
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));
  return config_from_json(document);
}

std::string preset_directory() {
  if (const char* env = std::getenv("TENSORPOLY_PRESETS"); env && *env) return env;
  return std::string(TENSORPOLY_SOURCE_DIR) + "/resources/presets";
}

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  const std::string directory = preset_directory();
  if (DIR* dir = opendir(directory.c_str())) {
    while (const dirent* entry = readdir(dir)) {
      const std::string file = entry->d_name;
      const std::string suffix = ".json";
      if (file.size() > suffix.size() &&
          file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0) {
        names.push_back(file.substr(0, file.size() - suffix.size()));
      }
    }
    closedir(dir);
  }
  std::sort(names.begin(), names.end());
  return names;
}

ExperimentConfig load_preset(const std::string& name) {
  const auto names = preset_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string allowed;
    for (const auto& n : names) allowed += (allowed.empty() ? "" : ", ") + n;
    throw ConfigError({"preset '" + name + "' not found in " + preset_directory() +
                       " (allowed: " + allowed + ")"});
  }
  return config_from_file(preset_directory() + "/" + name + ".json");
}

std::string cache_directory() {
  if (const char* env = std::getenv("TENSORPOLY_CACHE_DIR"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/tensorpoly";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::string(home) + "/.cache/tensorpoly";
  }
  return ".tensorpoly-cache";
}

AdapterConfig paper_adapter_config(const std::string& method) {
  AdapterConfig config;
  config.method = method;
  config.rank = 16;
  config.order = 4;
  config.n_skills = 8;
  config.n_splits = 1;
  if (method == "tensorpoly-2") {
    config.n_splits = 4;
  } else if (method == "poly" || method == "lora") {
    config.rank = 1;
  } else if (method == "mhr") {
    config.rank = 1;
    config.n_splits = 8;
  } else if (method != "tensorpoly-1" && method != "tlora" && method != "none") {
    std::string allowed;
    for (const auto& name : adapter_methods()) allowed += (allowed.empty() ? "" : ", ") + name;
    throw ConfigError({"method: unknown '" + method + "' (allowed: " + allowed + ")"});
  }
  return config;
}

int64_t expected_task_count(const ExperimentConfig& config) {
  if (config.suite.kind == "synthetic") {
    return config.suite.synthetic.n_tasks + config.suite.synthetic.n_heldout;
  }
  std::set<std::string> names;
  std::ifstream in(config.suite.jsonl.train_path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const json row = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (row.is_object() && row.contains("task") && row["task"].is_string()) {
      names.insert(row["task"].get<std::string>());
    }
  }
  return names.empty() ? config.adapter.n_tasks : static_cast<int64_t>(names.size());
}

ParameterCounts estimate_parameters(const ExperimentConfig& config) {
  const ModelPreset& preset = model_preset(config.model);
  AdapterConfig adapter = config.adapter;
  adapter.n_tasks = expected_task_count(config);

  // The projections of the T5 model (t5_model.h), by owner module and child name.
  struct Projection {
    std::string owner;
    std::string child;
    int64_t in, out;
  };
  std::vector<Projection> projections;
  const int64_t d = preset.d_model, inner = preset.inner_dim(), ff = preset.d_ff;
  auto attention = [&](const std::string& owner) {
    for (const char* name : {"q", "k", "v"}) projections.push_back({owner, name, d, inner});
    projections.push_back({owner, "o", inner, d});
  };
  auto feed_forward = [&](const std::string& owner) {
    projections.push_back({owner, "wi_0", d, ff});
    projections.push_back({owner, "wi_1", d, ff});
    projections.push_back({owner, "wo", ff, d});
  };
  for (int64_t i = 0; i < preset.n_encoder_layers; ++i) {
    const std::string block = "encoder.block." + std::to_string(i);
    attention(block + ".layer.0.SelfAttention");
    feed_forward(block + ".layer.1.DenseReluDense");
  }
  for (int64_t i = 0; i < preset.n_decoder_layers; ++i) {
    const std::string block = "decoder.block." + std::to_string(i);
    attention(block + ".layer.0.SelfAttention");
    attention(block + ".layer.1.EncDecAttention");
    feed_forward(block + ".layer.2.DenseReluDense");
  }

  ParameterCounts counts;
  const int64_t base = base_parameter_count(preset);
  counts.total = base;
  // "none" trains the base only when base.unfreeze (validate() refuses it otherwise
  // unless train.steps = 0: the frozen-base baseline trains nothing).
  const bool full_fine_tune = config.base.unfreeze;
  if (full_fine_tune) counts.trainable = base;
  if (adapter.method != "none") {
    const std::regex module_regex(adapter.module_regex);
    const std::regex layer_regex(adapter.layer_regex);
    std::vector<AdaptedLayerShape> adapted;
    int64_t layer_norms = 0;
    for (const auto& p : projections) {
      if (!std::regex_match(p.owner, module_regex) || !std::regex_match(p.child, layer_regex)) {
        continue;
      }
      adapted.push_back({p.owner + "." + p.child, p.in, p.out});
      layer_norms += layer_norm_parameters(adapter, p.in, p.out);
    }
    const int64_t trainable = trainable_parameters(adapter, adapted);
    std::set<std::string> scopes;
    if (is_routed_method(adapter.method)) {
      for (const auto& layer : adapted) {
        scopes.insert(router_scope(layer.name, adapter.router_granularity));
      }
    }
    counts.router = static_cast<int64_t>(scopes.size()) * router_parameters(adapter);
    counts.trainable += trainable;
    counts.total += trainable + (adapter.train_layer_norms ? 0 : layer_norms);
  }
  const int64_t n_tasks = std::max<int64_t>(1, adapter.n_tasks);
  counts.per_task = (counts.trainable - counts.router) / n_tasks + counts.router / n_tasks;
  return counts;
}

}  // namespace tensorpoly
