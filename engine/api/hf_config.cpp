// Reading a Hugging Face T5 config.json (hf_config.h) with the shared field reader.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/hf_config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "json_fields.h"
#include "tensorpoly/config.h"

namespace tensorpoly {
namespace {

using config_fields::JsonFields;
using config_fields::ProblemList;

// Model types with T5's architecture (mT5 is T5 v1.1 with another vocabulary).
bool is_t5_model_type(const std::string& type) { return type == "t5" || type == "mt5"; }

void read_shape(JsonFields& fields, ModelPreset& shape, ProblemList& problems) {
  const std::pair<const char*, int64_t*> required[] = {
      {"vocab_size", &shape.vocab},  {"d_model", &shape.d_model},
      {"d_ff", &shape.d_ff},         {"d_kv", &shape.d_kv},
      {"num_heads", &shape.n_heads}, {"num_layers", &shape.n_encoder_layers}};
  for (const auto& [field, out] : required) {
    if (!fields.has(field)) problems.add(field, "missing (an integer is required)");
    fields.read(field, *out);
  }
  shape.n_decoder_layers = shape.n_encoder_layers;
  fields.read("num_decoder_layers", shape.n_decoder_layers);
  shape.relative_attention_num_buckets = 32;
  fields.read("relative_attention_num_buckets", shape.relative_attention_num_buckets);
  shape.relative_attention_max_distance = 128;
  fields.read("relative_attention_max_distance", shape.relative_attention_max_distance);
  shape.layer_norm_epsilon = 1e-6;
  fields.read("layer_norm_epsilon", shape.layer_norm_epsilon);
  shape.feed_forward_proj = "relu";
  fields.read("feed_forward_proj", shape.feed_forward_proj);
  shape.tie_word_embeddings = true;
  fields.read("tie_word_embeddings", shape.tie_word_embeddings);
}

void check_special_ids(JsonFields& fields, HfModelConfig& config, ProblemList& problems) {
  const std::tuple<const char*, int64_t*, int64_t> ids[] = {
      {"pad_token_id", &config.pad_token_id, 0},
      {"eos_token_id", &config.eos_token_id, 1},
      {"decoder_start_token_id", &config.decoder_start_token_id, 0}};
  for (const auto& [field, out, expected] : ids) {
    *out = expected;
    fields.read(field, *out);
    if (*out != expected) {
      problems.add(field, "must be " + std::to_string(expected) + " (T5's convention), got " +
                              std::to_string(*out));
    }
  }
}

}  // namespace

HfModelConfig read_hf_config(const std::string& folder) {
  const std::filesystem::path path = std::filesystem::path(folder) / kHfConfigFile;
  if (!std::filesystem::is_directory(folder)) {
    throw CheckpointError("model checkpoint '" + folder + "': not a directory");
  }
  std::ifstream in(path);
  if (!in) throw CheckpointError(path.string() + ": cannot open the file");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json json;
  ProblemList problems;
  HfModelConfig config;
  if (config_fields::parse_document(text.str(), json, problems)) {
    JsonFields fields(json, "", problems);
    std::string model_type = "t5";
    fields.read("model_type", model_type);
    if (!is_t5_model_type(model_type)) {
      problems.add("model_type", "\"" + model_type + "\" is not a T5 model (t5 or mt5)");
    }
    read_shape(fields, config.shape, problems);
    const auto& known = feed_forward_projections();
    if (std::find(known.begin(), known.end(), config.shape.feed_forward_proj) == known.end()) {
      problems.add("feed_forward_proj",
                   "\"" + config.shape.feed_forward_proj +
                       "\" is not supported (supported: \"gated-gelu\" "
                       "for T5 v1.1, FLAN-T5, T0; \"relu\" for the original T5)");
    }
    check_special_ids(fields, config, problems);
    // Keys the model does not use (dropout_rate, architectures, ...) are ignored.
  }
  config.shape.name = folder;
  if (problems.empty()) {
    try {
      validate_model_preset(config.shape);
    } catch (const std::invalid_argument& error) {
      // "model preset '<folder>': d_ff must be positive, got 0" -> the field's message.
      std::string message = error.what();
      const auto colon = message.find("': ");
      problems.add("", colon == std::string::npos ? message : message.substr(colon + 3));
    }
  }
  if (!problems.empty()) {
    std::string message;
    for (const ConfigProblem& problem : problems.problems()) {
      if (!message.empty()) message += "\n";
      message += path.string() + ": " +
                 (problem.field.empty() ? problem.message
                                        : "field '" + problem.field + "': " + problem.message);
    }
    throw CheckpointError(message);
  }
  return config;
}

}  // namespace tensorpoly

namespace tensorpoly {

ModelPreset model_shape(const ExperimentConfig& config) {
  if (config.model_checkpoint.empty()) return model_preset(config.model);
  return read_hf_config(config.model_checkpoint).shape;
}

}  // namespace tensorpoly
