// Shapes of the T5 v1.1 encoder–decoder, by preset name (torch-free, so the GUI
// can list presets and show parameter totals without LibTorch).
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

// Throws std::invalid_argument when a field is not positive (naming it).
void validate_model_preset(const ModelPreset& preset);

// Parameters of the base model (no adapters), in closed form:
//   2·vocab·d_model                                  shared embedding + untied lm_head
// + n_enc·(4·inner·d_model + 3·d_ff·d_model + 2·d_model)
// + n_dec·(8·inner·d_model + 3·d_ff·d_model + 3·d_model)
// + 2·buckets·n_heads                                one relative bias table per stack
// + 2·d_model                                        final norms
int64_t base_parameter_count(const ModelPreset& preset);

}  // namespace tensorpoly
