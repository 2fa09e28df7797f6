// A Hugging Face config.json as the model's shape: Hugging Face's defaults for absent
// keys, the two feed-forward variants, the config field "model": {"checkpoint": DIR}, and
// a clear error naming the file and the field for every inconsistency.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/hf_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tensorpoly/config.h"
#include "test_paths.h"

namespace tensorpoly {
namespace {

namespace fs = std::filesystem;

fs::path folder_with_config(const std::string& name, const nlohmann::json& config) {
  const fs::path dir = fs::temp_directory_path() / ("tp-hf-config-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "config.json") << config.dump(2);
  return dir;
}

nlohmann::json minimal_config() {
  return {{"model_type", "t5"}, {"vocab_size", 100}, {"d_model", 16},  {"d_ff", 32},
          {"d_kv", 4},          {"num_heads", 2},    {"num_layers", 2}};
}

std::string error_of(const fs::path& dir) {
  try {
    read_hf_config(dir.string());
  } catch (const CheckpointError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no CheckpointError for " << dir;
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(HfConfig, AbsentKeysTakeHuggingFacesDefaults) {
  const HfModelConfig config = read_hf_config(folder_with_config("defaults", minimal_config()));
  const ModelPreset& shape = config.shape;
  EXPECT_EQ(shape.vocab, 100);
  EXPECT_EQ(shape.d_model, 16);
  EXPECT_EQ(shape.inner_dim(), 8);
  EXPECT_EQ(shape.n_encoder_layers, 2);
  EXPECT_EQ(shape.n_decoder_layers, 2);  // num_decoder_layers = num_layers
  EXPECT_EQ(shape.relative_attention_num_buckets, 32);
  EXPECT_EQ(shape.relative_attention_max_distance, 128);
  EXPECT_DOUBLE_EQ(shape.layer_norm_epsilon, 1e-6);
  EXPECT_EQ(shape.feed_forward_proj, "relu");  // the original T5
  EXPECT_FALSE(shape.gated_feed_forward());
  EXPECT_TRUE(shape.tie_word_embeddings);
}

TEST(HfConfig, ReadsTheSharedFixturesShapes) {
  const fs::path root = fs::path(TENSORPOLY_SHARED_DIR) / "fixtures" / "hf";
  const ModelPreset a = read_hf_config((root / "hf-pub-a").string()).shape;
  EXPECT_EQ(a.feed_forward_proj, "gated-gelu");
  EXPECT_FALSE(a.tie_word_embeddings);
  EXPECT_EQ(a.vocab, 400);
  EXPECT_EQ(a.inner_dim(), 48);
  const ModelPreset b = read_hf_config((root / "hf-pub-b").string()).shape;
  EXPECT_EQ(b.feed_forward_proj, "relu");
  EXPECT_TRUE(b.tie_word_embeddings);  // absent from its config.json
  EXPECT_EQ(b.n_decoder_layers, 3);
  // The tied head has no lm_head: vocab·d_model once.
  ModelPreset untied = b;
  untied.tie_word_embeddings = false;
  EXPECT_EQ(base_parameter_count(untied) - base_parameter_count(b), b.vocab * b.d_model);
}

TEST(HfConfig, EveryInconsistencyNamesTheFileAndTheField) {
  EXPECT_TRUE(
      contains(error_of("/no/such/model-folder"), "'/no/such/model-folder': not a directory"));

  const fs::path empty = fs::temp_directory_path() / "tp-hf-config-no-file";
  fs::create_directories(empty);
  fs::remove(empty / "config.json");
  EXPECT_TRUE(contains(error_of(empty), "config.json: cannot open"));

  const fs::path bad_json = folder_with_config("bad-json", minimal_config());
  std::ofstream(bad_json / "config.json") << "{\"d_model\": 16,";
  EXPECT_TRUE(contains(error_of(bad_json), (bad_json / "config.json").string()));

  auto config = minimal_config();
  config.erase("d_ff");
  auto message = error_of(folder_with_config("missing", config));
  EXPECT_TRUE(contains(message, "config.json: field 'd_ff': missing")) << message;

  config = minimal_config();
  config["feed_forward_proj"] = "gated-silu";
  message = error_of(folder_with_config("proj", config));
  EXPECT_TRUE(contains(message, "field 'feed_forward_proj': \"gated-silu\" is not supported"))
      << message;

  config = minimal_config();
  config["num_heads"] = "four";
  message = error_of(folder_with_config("type", config));
  EXPECT_TRUE(contains(message, "field 'num_heads'")) << message;

  config = minimal_config();
  config["model_type"] = "bart";
  message = error_of(folder_with_config("bart", config));
  EXPECT_TRUE(contains(message, "field 'model_type': \"bart\" is not a T5 model")) << message;

  config = minimal_config();
  config["eos_token_id"] = 2;
  message = error_of(folder_with_config("eos", config));
  EXPECT_TRUE(contains(message, "field 'eos_token_id': must be 1")) << message;

  config = minimal_config();
  config["d_model"] = 0;
  message = error_of(folder_with_config("zero", config));
  EXPECT_TRUE(contains(message, "d_model must be positive")) << message;
}

TEST(HfConfig, ModelCheckpointFieldRoundTripsAndAPresetNameStillWorks) {
  const ExperimentConfig named = config_from_json({{"model", "t5-tiny"}});
  EXPECT_EQ(named.model, "t5-tiny");
  EXPECT_TRUE(named.model_checkpoint.empty());
  EXPECT_EQ(to_json(named)["model"], "t5-tiny");

  // A folder that is not there still parses: it is read when the run uses it.
  const ExperimentConfig folder =
      config_from_json({{"model", {{"checkpoint", "/not/yet/copied"}}}, {"precision", "bf16"}});
  EXPECT_EQ(folder.model_checkpoint, "/not/yet/copied");
  EXPECT_EQ(folder.precision, "bf16");
  EXPECT_EQ(to_json(folder)["model"], nlohmann::json({{"checkpoint", "/not/yet/copied"}}));
  EXPECT_EQ(to_json(config_from_json(to_json(folder))), to_json(folder));

  const ExperimentConfig overridden = apply_overrides(named, {"model.checkpoint=/models/t5"});
  EXPECT_EQ(overridden.model_checkpoint, "/models/t5");

  try {
    config_from_json({{"model", {{"checkpoint", ""}, {"revision", "main"}}}});
    FAIL() << "no ConfigError";
  } catch (const ConfigError& error) {
    const std::string message = error.what();
    EXPECT_TRUE(contains(message, "model.checkpoint: a Hugging Face model folder is required"))
        << message;
    EXPECT_TRUE(contains(message, "model.revision")) << message;
  }
  try {
    config_from_json({{"precision", "fp8"}});
    FAIL() << "no ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_TRUE(contains(error.what(), "precision: must be one of fp32, bf16, fp16"))
        << error.what();
  }
}

TEST(HfConfig, ParameterEstimateReadsTheFoldersShape) {
  ExperimentConfig config;
  config.model_checkpoint =
      (fs::path(TENSORPOLY_SHARED_DIR) / "fixtures" / "hf" / "hf-pub-b").string();
  config.adapter.method = "none";
  const ParameterCounts counts = estimate_parameters(config);
  EXPECT_EQ(counts.total, base_parameter_count(read_hf_config(config.model_checkpoint).shape));
}

}  // namespace
}  // namespace tensorpoly
