// T5 multi-head attention (self or cross): no biases, no 1/√d_kv scaling, an
// optional relative position bias table (block 0 of a stack only).
//
// q, k, v, o are adapter-wrappable projections (adapters::ProjectionOwner), so
// inject_adapters() can replace them by name: "...SelfAttention.q".
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "adapters/projection.h"
#include "tensorpoly/model_preset.h"

namespace tensorpoly::model {

// Keys and values of earlier decoding steps (self-attention) or of the encoder
// output (cross-attention), [B, n_heads, L, d_kv]; empty until first use.
struct AttentionCache {
  torch::Tensor key;
  torch::Tensor value;
};

class T5AttentionImpl : public adapters::ProjectionOwner {
 public:
  // bidirectional only matters with a relative bias table (encoder: true).
  T5AttentionImpl(const ModelPreset& config, bool has_relative_attention_bias, bool bidirectional);

  // hidden [B, Lq, d_model]; key_value_states [B, Lk, d_model] for cross-attention,
  // undefined for self-attention; bias broadcastable to [B, n_heads, Lq, Lk]: the
  // position bias plus the additive mask, prepared once per stack.
  // With a cache, self-attention appends this step's keys/values to it and
  // cross-attention computes the encoder's keys/values only on first use.
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& key_value_states,
                        const torch::Tensor& bias, AttentionCache* cache = nullptr);

  // Position bias [1, n_heads, Lq, Lk] for queries at query_offset… and keys at 0….
  torch::Tensor compute_bias(int64_t query_length, int64_t key_length, int64_t query_offset = 0);

  bool has_relative_attention_bias() const { return !relative_attention_bias.is_empty(); }

  std::shared_ptr<adapters::ProjectionImpl> q, k, v, o;
  torch::nn::Embedding relative_attention_bias{nullptr};  // [buckets, n_heads]

 private:
  torch::Tensor split_heads(const torch::Tensor& x) const;  // [B, L, inner] -> [B, H, L, d_kv]

  int64_t n_heads_;
  int64_t d_kv_;
  int64_t num_buckets_;
  int64_t max_distance_;
  bool bidirectional_;
};
TORCH_MODULE(T5Attention);

}  // namespace tensorpoly::model
