// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/attention.h"

#include <cmath>

#include "model/relative_position.h"

namespace tensorpoly::model {

namespace {

std::shared_ptr<adapters::ProjectionImpl> projection(int64_t in, int64_t out, double std) {
  auto layer = std::make_shared<adapters::LinearProjectionImpl>(in, out, /*with_bias=*/false);
  torch::NoGradGuard no_grad;
  layer->weight.normal_(0.0, std);
  return layer;
}

}  // namespace

T5AttentionImpl::T5AttentionImpl(const ModelPreset& config, bool has_relative_attention_bias,
                                 bool bidirectional)
    : n_heads_(config.n_heads),
      d_kv_(config.d_kv),
      num_buckets_(config.relative_attention_num_buckets),
      max_distance_(config.relative_attention_max_distance),
      bidirectional_(bidirectional) {
  const int64_t d_model = config.d_model;
  const int64_t inner = config.inner_dim();
  // HF's T5 initialisation (initializer_factor 1).
  const double d = static_cast<double>(d_model);
  register_projection("q", q, projection(d_model, inner, 1.0 / std::sqrt(d * d_kv_)));
  register_projection("k", k, projection(d_model, inner, 1.0 / std::sqrt(d)));
  register_projection("v", v, projection(d_model, inner, 1.0 / std::sqrt(d)));
  register_projection("o", o,
                      projection(inner, d_model, 1.0 / std::sqrt(static_cast<double>(inner))));
  if (has_relative_attention_bias) {
    relative_attention_bias =
        register_module("relative_attention_bias", torch::nn::Embedding(num_buckets_, n_heads_));
    torch::NoGradGuard no_grad;
    relative_attention_bias->weight.normal_(0.0, 1.0 / std::sqrt(d));
  }
}

torch::Tensor T5AttentionImpl::split_heads(const torch::Tensor& x) const {
  return x.view({x.size(0), x.size(1), n_heads_, d_kv_}).transpose(1, 2);
}

torch::Tensor T5AttentionImpl::compute_bias(int64_t query_length, int64_t key_length,
                                            int64_t query_offset) {
  TORCH_CHECK(has_relative_attention_bias(),
              "T5Attention::compute_bias: this layer has no relative_attention_bias table");
  const torch::Tensor& table = relative_attention_bias->weight;
  const torch::Tensor buckets =
      relative_position_buckets(query_length, key_length, query_offset, bidirectional_,
                                num_buckets_, max_distance_, table.device());
  // [Lq, Lk, H] -> [1, H, Lq, Lk]
  return torch::embedding(table, buckets).permute({2, 0, 1}).unsqueeze(0);
}

torch::Tensor T5AttentionImpl::forward(const torch::Tensor& hidden,
                                       const torch::Tensor& key_value_states,
                                       const torch::Tensor& bias, AttentionCache* cache) {
  TORCH_CHECK(hidden.dim() == 3, "T5Attention: hidden states must be [B, L, d_model], got ",
              hidden.sizes());
  const bool is_cross = key_value_states.defined();
  const torch::Tensor query = split_heads(q->forward(hidden));
  torch::Tensor key;
  torch::Tensor value;
  if (is_cross && cache != nullptr && cache->key.defined()) {
    key = cache->key;
    value = cache->value;
  } else {
    const torch::Tensor& source = is_cross ? key_value_states : hidden;
    key = split_heads(k->forward(source));
    value = split_heads(v->forward(source));
    if (cache != nullptr) {
      if (!is_cross && cache->key.defined()) {
        key = torch::cat({cache->key, key}, 2);
        value = torch::cat({cache->value, value}, 2);
      }
      cache->key = key;
      cache->value = value;
    }
  }
  // No 1/√d_kv: T5 folds it into the initialisation of q.
  torch::Tensor scores = torch::matmul(query, key.transpose(-1, -2));
  if (bias.defined()) scores = scores + bias;
  const torch::Tensor weights =
      torch::softmax(scores.to(torch::kFloat32), -1).to(scores.scalar_type());
  const torch::Tensor context = torch::matmul(weights, value);  // [B, H, Lq, d_kv]
  return o->forward(
      context.transpose(1, 2).reshape({hidden.size(0), hidden.size(1), n_heads_ * d_kv_}));
}

}  // namespace tensorpoly::model
