// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/model_preset.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace tensorpoly {

const std::vector<ModelPreset>& model_presets() {
  // name, vocab, d_model, d_ff, encoder layers, decoder layers, heads, d_kv
  static const std::vector<ModelPreset> presets = {
      ModelPreset{"t5-mini", 512, 128, 512, 2, 2, 4, 32},
      ModelPreset{"t5-tiny", 512, 256, 1024, 4, 4, 4, 64},
      ModelPreset{"t5-small-like", 512, 512, 1024, 6, 6, 8, 64},
      ModelPreset{"t5-large-shape", 512, 1024, 2816, 24, 24, 16, 64},
  };
  return presets;
}

const ModelPreset& model_preset(const std::string& name) {
  std::string allowed;
  for (const ModelPreset& preset : model_presets()) {
    if (preset.name == name) return preset;
    allowed += (allowed.empty() ? "" : ", ") + preset.name;
  }
  throw std::invalid_argument("unknown model preset '" + name + "' (allowed: " + allowed + ")");
}

void validate_model_preset(const ModelPreset& preset) {
  const std::pair<const char*, int64_t> fields[] = {
      {"vocab", preset.vocab},
      {"d_model", preset.d_model},
      {"d_ff", preset.d_ff},
      {"n_encoder_layers", preset.n_encoder_layers},
      {"n_decoder_layers", preset.n_decoder_layers},
      {"n_heads", preset.n_heads},
      {"d_kv", preset.d_kv},
      {"relative_attention_num_buckets", preset.relative_attention_num_buckets},
      {"relative_attention_max_distance", preset.relative_attention_max_distance},
  };
  for (const auto& [field, value] : fields) {
    if (value <= 0) {
      throw std::invalid_argument("model preset '" + preset.name + "': " + field +
                                  " must be positive, got " + std::to_string(value));
    }
  }
  if (preset.relative_attention_num_buckets < 4) {
    // Bidirectional buckets split in two directions, each half exact, half logarithmic.
    throw std::invalid_argument("model preset '" + preset.name +
                                "': relative_attention_num_buckets must be at least 4, got " +
                                std::to_string(preset.relative_attention_num_buckets));
  }
  const auto& projections = feed_forward_projections();
  if (std::find(projections.begin(), projections.end(), preset.feed_forward_proj) ==
      projections.end()) {
    throw std::invalid_argument("model preset '" + preset.name + "': feed_forward_proj \"" +
                                preset.feed_forward_proj +
                                "\" is not supported (supported: \"gated-gelu\", \"relu\")");
  }
  if (!(preset.layer_norm_epsilon > 0.0)) {
    throw std::invalid_argument("model preset '" + preset.name +
                                "': layer_norm_epsilon must be positive");
  }
}

const std::vector<std::string>& feed_forward_projections() {
  static const std::vector<std::string> names = {"gated-gelu", "relu"};
  return names;
}

int64_t base_parameter_count(const ModelPreset& preset) {
  const int64_t d = preset.d_model;
  const int64_t inner = preset.inner_dim();
  const int64_t feed_forward = (preset.gated_feed_forward() ? 3 : 2) * preset.d_ff * d;
  const int64_t encoder_block = 4 * inner * d + feed_forward + 2 * d;
  const int64_t decoder_block = 8 * inner * d + feed_forward + 3 * d;
  const int64_t embeddings = (preset.tie_word_embeddings ? 1 : 2) * preset.vocab * d;
  return embeddings + preset.n_encoder_layers * encoder_block +
         preset.n_decoder_layers * decoder_block +
         2 * preset.relative_attention_num_buckets * preset.n_heads + 2 * d;
}

}  // namespace tensorpoly
