// Shapes of the T5 encoder–decoder, by preset name or read from a Hugging Face
// config.json (hf_config.h) — torch-free, so the GUI can list presets and show
// parameter totals without LibTorch.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tensorpoly {

struct ModelPreset {
  std::string name;
  int64_t vocab = 0;
  int64_t d_model = 0;
  int64_t d_ff = 0;
  int64_t n_encoder_layers = 0;
  int64_t n_decoder_layers = 0;
  int64_t n_heads = 0;
  int64_t d_kv = 0;
  int64_t relative_attention_num_buckets = 32;
  int64_t relative_attention_max_distance = 128;
  double layer_norm_epsilon = 1e-6;
  // "gated-gelu" (T5 v1.1, FLAN-T5, T0: wo(gelu_tanh(wi_0·x) ⊙ wi_1·x)) or "relu"
  // (the original T5: wo(relu(wi·x))).
  std::string feed_forward_proj = "gated-gelu";
  // Tied: the output projection is shared.weight, applied to the decoder output scaled
  // by d_model^-0.5 (the original T5); untied: a separate lm_head (v1.1), unscaled.
  bool tie_word_embeddings = false;

  bool gated_feed_forward() const { return feed_forward_proj == "gated-gelu"; }
  // Width of the concatenated attention heads (need not equal d_model).
  int64_t inner_dim() const { return n_heads * d_kv; }
};

// t5-mini (the CPU default), t5-tiny, t5-small-like, t5-large-shape.
const std::vector<ModelPreset>& model_presets();

// The preset called `name`; throws std::invalid_argument naming the value and
// the allowed names.
const ModelPreset& model_preset(const std::string& name);

// The name used when none is given.
inline constexpr const char* kDefaultModelPreset = "t5-mini";

// Throws std::invalid_argument when a field is not positive or feed_forward_proj is not
// one of feed_forward_projections() (naming it).
void validate_model_preset(const ModelPreset& preset);

// The feed-forward variants the model implements: "gated-gelu", "relu".
const std::vector<std::string>& feed_forward_projections();

// Parameters of the base model (no adapters), in closed form:
//   2·vocab·d_model                                  shared embedding + untied lm_head
//                                                    (vocab·d_model when tied)
// + n_enc·(4·inner·d_model + F·d_ff·d_model + 2·d_model)
// + n_dec·(8·inner·d_model + F·d_ff·d_model + 3·d_model)
//                                                    F = 3 gated-gelu, 2 relu
// + 2·buckets·n_heads                                one relative bias table per stack
// + 2·d_model                                        final norms
int64_t base_parameter_count(const ModelPreset& preset);

}  // namespace tensorpoly
