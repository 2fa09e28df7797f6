// ExperimentConfig to and from JSON (config.h): every section is read with the shared
// field reader (json_fields.h), so one ConfigError lists every problem of a document.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "json_fields.h"
#include "tensorpoly/config.h"

namespace tensorpoly {
namespace {

using json = nlohmann::json;
using config_fields::field_path;
using config_fields::JsonFields;
using config_fields::ProblemList;

void read_train(const json& j, const std::string& where, TrainingConfig& c, ProblemList& problems) {
  JsonFields r(j, where, problems);
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

void read_base(const json& j, const std::string& where, BaseModelConfig& c, ProblemList& problems) {
  JsonFields r(j, where, problems);
  r.read("checkpoint", c.checkpoint);
  r.read("cache_dir", c.cache_dir);
  r.read("pretrain_steps", c.pretrain_steps);
  r.read("copy_steps", c.copy_steps);
  r.read("learning_rate", c.learning_rate);
  r.read("batch_size", c.batch_size);
  r.read("unfreeze", c.unfreeze);
  r.read_object("data", [&](const json& value, const std::string& path) {
    c.data = pretrain_data_config_from_json(value, path);
  });
  r.reject_unknown();
}

void read_few_shot(const json& j, const std::string& where, FewShotConfig& c,
                   ProblemList& problems) {
  JsonFields r(j, where, problems);
  r.read("steps", c.steps);
  r.read("k", c.k);
  r.read("learning_rate", c.learning_rate);
  r.read("train_adapters", c.train_adapters);
  r.read("batch_size", c.batch_size);
  r.read("eval_every", c.eval_every);
  r.reject_unknown();
}

ExperimentConfig read_config(const json& j, ProblemList& problems) {
  ExperimentConfig c;
  JsonFields r(j, "", problems);
  r.read("name", c.name);
  r.read("seed", c.seed);
  r.read("device", c.device);
  r.read("threads", c.threads);
  if (j.is_object() && j.contains("model") && j["model"].is_object()) {
    r.read_object("model", [&](const json& value, const std::string& path) {
      JsonFields model(value, path, problems);
      model.read("checkpoint", c.model_checkpoint);
      model.reject_unknown();
      if (c.model_checkpoint.empty()) {
        problems.add(field_path(path, "checkpoint"),
                     "a Hugging Face model folder is required (or give a preset name as "
                     "\"model\")");
      }
    });
  } else {
    r.read("model", c.model);
  }
  r.read("precision", c.precision);
  r.read_object("adapter", [&](const json& value, const std::string&) {
    c.adapter = adapter_config_from_json(value);
  });
  r.read_object("suite", [&](const json& value, const std::string& path) {
    c.suite = suite_config_from_json(value, path);
  });
  r.read_object("train", [&](const json& value, const std::string& path) {
    read_train(value, path, c.train, problems);
  });
  r.read_object("base", [&](const json& value, const std::string& path) {
    read_base(value, path, c.base, problems);
  });
  r.read_object("few_shot", [&](const json& value, const std::string& path) {
    read_few_shot(value, path, c.few_shot, problems);
  });
  r.reject_unknown();
  return c;
}

}  // namespace

ExperimentConfig config_from_json(const json& j) {
  ProblemList problems;
  ExperimentConfig config = read_config(j, problems);
  if (problems.empty()) {
    problems.collect([&] { config = resolve_parameter_matching(std::move(config)); });
  }
  problems.collect_validation([&] { validate(config); });
  problems.throw_if_any();
  return config;
}

ExperimentConfig config_from_json_text(const std::string& text, const std::string& source) {
  json j;
  ProblemList problems;
  if (!config_fields::parse_document(text, j, problems)) {
    throw ConfigError(problems.problems(), source);
  }
  if (source.empty()) return config_from_json(j);
  try {
    return config_from_json(j);
  } catch (const ConfigError& error) {
    throw ConfigError(error.problems(), source);
  }
}

ExperimentConfig config_from_file(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw ConfigError({{"", "is a directory, not a configuration file"}}, path);
  }
  std::ifstream in(path);
  if (!in) throw ConfigError({{"", "cannot open the file"}}, path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw ConfigError({{"", "cannot read the file"}}, path);
  return config_from_json_text(buffer.str(), path);
}

json to_json(const ExperimentConfig& c) {
  const TrainingConfig& t = c.train;
  return json{{"name", c.name},
              {"seed", c.seed},
              {"device", c.device},
              {"threads", c.threads},
              {"precision", c.precision},
              {"model", c.model_checkpoint.empty() ? json(c.model)
                                                   : json{{"checkpoint", c.model_checkpoint}}},
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
                {"k", c.few_shot.k},
                {"learning_rate", c.few_shot.learning_rate},
                {"train_adapters", c.few_shot.train_adapters},
                {"batch_size", c.few_shot.batch_size},
                {"eval_every", c.few_shot.eval_every}}}};
}

std::string to_json_text(const ExperimentConfig& config, int indent) {
  return to_json(config).dump(indent);
}

}  // namespace tensorpoly
