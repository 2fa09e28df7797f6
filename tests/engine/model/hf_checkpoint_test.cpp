// Loading a Hugging Face model folder's weights (model/hf_checkpoint.h): one file or
// shards listed in model.safetensors.index.json, float32/float16/bfloat16 converted
// exactly, and a clear error naming the file and the tensor for every inconsistency.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/hf_checkpoint.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "fixture_util.h"
#include "model/safetensors.h"

namespace tensorpoly::model {
namespace {

namespace fs = std::filesystem;

nlohmann::json tiny_config(bool gated) {
  nlohmann::json config = {
      {"model_type", "t5"}, {"vocab_size", 40}, {"d_model", 8},    {"d_ff", 12},
      {"d_kv", 4},          {"num_heads", 2},   {"num_layers", 1}, {"num_decoder_layers", 2}};
  if (gated) {
    config["feed_forward_proj"] = "gated-gelu";
    config["tie_word_embeddings"] = false;
  }
  return config;
}

// The stored tensors of a model as Hugging Face saves them: by name, in `dtype`, without
// the embed_tokens aliases (and without lm_head when tied).
std::map<std::string, torch::Tensor> stored_tensors(T5ModelImpl& model, torch::ScalarType dtype) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& item : model.named_parameters()) tensors[item.key()] = item.value().to(dtype);
  return tensors;
}

struct Folder {
  fs::path dir;
  std::map<std::string, torch::Tensor> tensors;  // what was stored
};

// A model folder; `shards` > 1 splits the tensors round-robin over that many files
// listed in an index.
Folder write_folder(const std::string& name, bool gated, torch::ScalarType dtype, int shards) {
  Folder folder;
  folder.dir = testing::fresh_temp_dir("hf_checkpoint_" + name);
  std::ofstream(folder.dir / "config.json") << tiny_config(gated).dump();
  torch::manual_seed(7);
  T5Model model(read_hf_config(folder.dir.string()).shape);
  folder.tensors = stored_tensors(*model, dtype);
  if (shards == 1) {
    write_safetensors((folder.dir / kHfWeightsFile).string(), folder.tensors);
    return folder;
  }
  std::vector<std::map<std::string, torch::Tensor>> parts(static_cast<size_t>(shards));
  nlohmann::json weight_map = nlohmann::json::object();
  size_t i = 0;
  for (const auto& [tensor_name, tensor] : folder.tensors) {
    const size_t shard = i++ % parts.size();
    parts[shard][tensor_name] = tensor;
    weight_map[tensor_name] = "model-0000" + std::to_string(shard + 1) + "-of-0000" +
                              std::to_string(shards) + ".safetensors";
  }
  for (size_t shard = 0; shard < parts.size(); ++shard) {
    write_safetensors((folder.dir / ("model-0000" + std::to_string(shard + 1) + "-of-0000" +
                                     std::to_string(shards) + ".safetensors"))
                          .string(),
                      parts[shard]);
  }
  std::ofstream(folder.dir / kHfWeightsIndexFile)
      << nlohmann::json{{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}}.dump();
  return folder;
}

std::string load_error(const fs::path& dir) {
  try {
    load_hf_model(dir.string());
  } catch (const CheckpointError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no CheckpointError for " << dir;
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(HfCheckpoint, LoadsBfloat16ShardsAndFloat16FilesExactly) {
  for (const auto& [dtype, shards, gated] :
       {std::tuple{torch::kBFloat16, 3, true}, std::tuple{torch::kFloat16, 1, false},
        std::tuple{torch::kFloat32, 2, false}}) {
    SCOPED_TRACE(std::string(c10::toString(dtype)) + " " + std::to_string(shards));
    const Folder folder = write_folder("exact", gated, dtype, shards);
    T5Model model = load_hf_model(folder.dir.string());
    EXPECT_FALSE(model->is_training());
    EXPECT_EQ(model->config().gated_feed_forward(), gated);
    EXPECT_EQ(static_cast<bool>(model->lm_head), gated);  // the tied model has none
    size_t compared = 0;
    for (const auto& item : model->named_parameters()) {
      const auto stored = folder.tensors.find(item.key());
      ASSERT_NE(stored, folder.tensors.end()) << item.key();
      EXPECT_EQ(item.value().scalar_type(), torch::kFloat32);
      EXPECT_TRUE(torch::equal(item.value(), stored->second.to(torch::kFloat32))) << item.key();
      ++compared;
    }
    EXPECT_EQ(compared, folder.tensors.size());
  }
}

TEST(HfCheckpoint, MissingUnexpectedAndMisshapedTensorsAreNamedWithTheirFile) {
  Folder folder = write_folder("names", true, torch::kBFloat16, 1);
  auto tensors = folder.tensors;
  tensors.erase("decoder.block.1.layer.2.DenseReluDense.wi_1.weight");
  tensors["encoder.block.0.layer.1.DenseReluDense.wi.weight"] = torch::zeros({12, 8});
  tensors["shared.weight"] = torch::zeros({41, 8});
  const std::string file = (folder.dir / kHfWeightsFile).string();
  write_safetensors(file, tensors);
  const std::string message = load_error(folder.dir);
  EXPECT_TRUE(contains(message, "cannot load model checkpoint '" + folder.dir.string() + "'"));
  EXPECT_TRUE(contains(message, "are not stored: 'decoder.block.1.layer.2.DenseReluDense.wi_1"))
      << message;
  EXPECT_TRUE(
      contains(message, "does not have: 'encoder.block.0.layer.1.DenseReluDense.wi.weight'"))
      << message;
  EXPECT_TRUE(contains(message, file + ": tensor 'shared.weight' has shape [41, 8] but the model "
                                       "of config.json expects [40, 8]"))
      << message;
}

TEST(HfCheckpoint, IndexAndShardDisagreementsAreErrors) {
  // The index names a shard that is not in the folder.
  Folder folder = write_folder("missing_shard", true, torch::kBFloat16, 2);
  fs::remove(folder.dir / "model-00002-of-00002.safetensors");
  std::string message = load_error(folder.dir);
  EXPECT_TRUE(contains(message,
                       "model.safetensors.index.json: shard "
                       "'model-00002-of-00002.safetensors'"))
      << message;
  EXPECT_TRUE(contains(message, "is not in the folder")) << message;

  // A tensor the index puts in another shard than the one holding it.
  folder = write_folder("moved", true, torch::kBFloat16, 2);
  nlohmann::json index;
  std::ifstream(folder.dir / kHfWeightsIndexFile) >> index;
  index["weight_map"]["shared.weight"] =
      index["weight_map"]["shared.weight"] == "model-00001-of-00002.safetensors"
          ? "model-00002-of-00002.safetensors"
          : "model-00001-of-00002.safetensors";
  std::ofstream(folder.dir / kHfWeightsIndexFile) << index.dump();
  message = load_error(folder.dir);
  EXPECT_TRUE(contains(message, "tensor 'shared.weight' is listed in")) << message;

  // An index entry leaving the folder.
  index["weight_map"]["shared.weight"] = "../elsewhere.safetensors";
  std::ofstream(folder.dir / kHfWeightsIndexFile) << index.dump();
  message = load_error(folder.dir);
  EXPECT_TRUE(contains(message, "weight_map entry 'shared.weight' must name a file of the folder"))
      << message;

  // Both layouts at once, and neither.
  folder = write_folder("both", true, torch::kBFloat16, 2);
  write_safetensors((folder.dir / kHfWeightsFile).string(), folder.tensors);
  EXPECT_TRUE(contains(load_error(folder.dir), "holds both model.safetensors and"));
  fs::remove(folder.dir / kHfWeightsFile);
  fs::remove(folder.dir / kHfWeightsIndexFile);
  EXPECT_TRUE(contains(load_error(folder.dir), "no model.safetensors and no"));
}

TEST(HfCheckpoint, AHeaderPointingOutsideTheFileNamesTheFileAndTensor) {
  Folder folder = write_folder("bounds", false, torch::kFloat16, 1);
  const fs::path file = folder.dir / kHfWeightsFile;
  // Cut the data short: the last tensor's offsets now point past the end.
  fs::resize_file(file, fs::file_size(file) - 4);
  const std::string message = load_error(folder.dir);
  EXPECT_TRUE(contains(message, file.string())) << message;
  EXPECT_TRUE(contains(message, "point outside the data")) << message;

  // A dtype the model cannot take.
  folder = write_folder("dtype", false, torch::kFloat16, 1);
  auto tensors = folder.tensors;
  tensors["shared.weight"] = tensors["shared.weight"].to(torch::kInt32);
  write_safetensors((folder.dir / kHfWeightsFile).string(), tensors);
  EXPECT_TRUE(contains(load_error(folder.dir),
                       "tensor 'shared.weight' has dtype I32 (expected F32, F16 or BF16)"));
}

TEST(HfCheckpoint, StoredAliasesOfTheSharedEmbeddingMustEqualIt) {
  Folder folder = write_folder("alias", false, torch::kFloat32, 1);
  auto tensors = folder.tensors;
  tensors["encoder.embed_tokens.weight"] = tensors["shared.weight"];
  write_safetensors((folder.dir / kHfWeightsFile).string(), tensors);
  EXPECT_NO_THROW(load_hf_model(folder.dir.string()));
  tensors["lm_head.weight"] = tensors["shared.weight"] + 1;  // tied model: must be the same
  write_safetensors((folder.dir / kHfWeightsFile).string(), tensors);
  EXPECT_TRUE(contains(load_error(folder.dir), "'lm_head.weight' differ from 'shared.weight'"));
}

}  // namespace
}  // namespace tensorpoly::model
