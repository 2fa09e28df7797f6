// A Hugging Face T5 model folder as the model: the shape and special ids from its
// config.json (T5Config: "t5-small", "google/t5-v1_1-base", "google/flan-t5-large",
// "bigscience/T0_3B", ...), read without LibTorch so that the GUI and the config
// validation can show parameter counts. The weights (model.safetensors or shards listed
// in model.safetensors.index.json) and the tokenizer (spiece.model) are read by the
// engine (engine/model/hf_checkpoint.h, engine/data/sentencepiece_tokenizer.h).
//
// Keys absent from config.json take Hugging Face's defaults, as T5Config applies them:
// tie_word_embeddings true, feed_forward_proj "relu", num_decoder_layers = num_layers,
// relative_attention_num_buckets 32, relative_attention_max_distance 128,
// layer_norm_epsilon 1e-6, pad_token_id 0, eos_token_id 1, decoder_start_token_id 0.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "tensorpoly/model_preset.h"

namespace tensorpoly {

// An unreadable or inconsistent checkpoint folder: a bad input (so tensorpoly-run exits
// 2), whose message names the file and the field or tensor at fault.
class CheckpointError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct HfModelConfig {
  ModelPreset shape;  // name: the folder
  int64_t pad_token_id = 0;
  int64_t eos_token_id = 1;
  int64_t decoder_start_token_id = 0;
};

// The file names of a model folder.
inline constexpr const char* kHfConfigFile = "config.json";
inline constexpr const char* kHfWeightsFile = "model.safetensors";
inline constexpr const char* kHfWeightsIndexFile = "model.safetensors.index.json";
inline constexpr const char* kHfTokenizerFile = "spiece.model";

// Reads `folder`/config.json. Throws CheckpointError naming the file and the field for a
// missing folder or file, invalid JSON, a missing or mistyped field, another model type
// than T5, a feed_forward_proj the model does not implement, or special ids other than
// T5's (pad 0, eos 1, decoder start 0).
HfModelConfig read_hf_config(const std::string& folder);

}  // namespace tensorpoly
