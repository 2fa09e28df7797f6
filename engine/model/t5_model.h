// The T5 encoder–decoder (v1.1 and the original), with Hugging Face's module names so that real
// checkpoints load by name ("encoder.block.3.layer.0.SelfAttention.q.weight",
// "decoder.block.1.layer.1.EncDecAttention.k.weight",
// "encoder.block.0.layer.1.DenseReluDense.wi_0.weight", "shared.weight",
// "lm_head.weight", "decoder.final_layer_norm.weight", …).
//
// Blocks are pre-norm residual: h += SelfAttn(norm(h)); (decoder) h +=
// CrossAttn(norm(h), encoder); h += FF(norm(h)). The relative position bias is
// computed once per stack and forward, from block 0's table, and shared by every
// block; cross-attention has no position bias. The embedding is shared by both
// stacks. Untied (v1.1, the presets): lm_head is a separate matrix, applied without
// rescaling. Tied (the original T5): there is no lm_head; the logits are
// (decoder output · d_model^-0.5) · sharedᵀ, as Hugging Face computes them.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <vector>

#include "adapters/task_context.h"
#include "model/attention.h"
#include "model/feed_forward.h"
#include "model/rms_norm.h"
#include "tensorpoly/model_preset.h"

namespace tensorpoly::model {

// layer.0 of every block.
class SelfAttentionLayerImpl : public torch::nn::Module {
 public:
  SelfAttentionLayerImpl(const ModelPreset& config, bool has_relative_attention_bias,
                         bool bidirectional);
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& bias,
                        AttentionCache* cache = nullptr);

  T5Attention SelfAttention{nullptr};
  RmsNorm layer_norm{nullptr};
};
TORCH_MODULE(SelfAttentionLayer);

// layer.1 of decoder blocks.
class CrossAttentionLayerImpl : public torch::nn::Module {
 public:
  explicit CrossAttentionLayerImpl(const ModelPreset& config);
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& encoder_hidden,
                        const torch::Tensor& bias, AttentionCache* cache = nullptr);

  T5Attention EncDecAttention{nullptr};
  RmsNorm layer_norm{nullptr};
};
TORCH_MODULE(CrossAttentionLayer);

// layer.1 (encoder) or layer.2 (decoder).
class FeedForwardLayerImpl : public torch::nn::Module {
 public:
  explicit FeedForwardLayerImpl(const ModelPreset& config);
  torch::Tensor forward(const torch::Tensor& hidden);

  T5FeedForward DenseReluDense{nullptr};
  RmsNorm layer_norm{nullptr};
};
TORCH_MODULE(FeedForwardLayer);

// Per-block caches of incremental decoding.
struct BlockCache {
  AttentionCache self_attention;
  AttentionCache cross_attention;
};

class T5BlockImpl : public torch::nn::Module {
 public:
  T5BlockImpl(const ModelPreset& config, bool is_decoder, bool has_relative_attention_bias);
  // encoder_hidden and cross_bias are used (and required) by decoder blocks only.
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& self_bias,
                        const torch::Tensor& encoder_hidden, const torch::Tensor& cross_bias,
                        BlockCache* cache = nullptr);

  torch::nn::ModuleList layer;  // the three (decoder) or two (encoder) sub-layers above
  SelfAttentionLayer self_attention{nullptr};
  CrossAttentionLayer cross_attention{nullptr};  // null in the encoder
  FeedForwardLayer feed_forward{nullptr};
};
TORCH_MODULE(T5Block);

// Incremental decoding state: one BlockCache per decoder block and the number
// of positions already decoded.
struct DecoderCache {
  std::vector<BlockCache> blocks;
  int64_t length = 0;
};

class T5StackImpl : public torch::nn::Module {
 public:
  T5StackImpl(const ModelPreset& config, bool is_decoder);

  // Encoder: embeddings [B, S, d_model], attention_mask [B, S] (1 = token).
  torch::Tensor encode(const torch::Tensor& embeddings, const torch::Tensor& attention_mask);
  // Decoder: embeddings [B, T, d_model] of the decoder inputs (all T positions,
  // or, with a cache, the positions after cache->length); encoder output
  // [B, S, d_model] and its attention_mask [B, S].
  torch::Tensor decode(const torch::Tensor& embeddings, const torch::Tensor& encoder_hidden,
                       const torch::Tensor& encoder_attention_mask, DecoderCache* cache = nullptr);

  bool is_decoder() const { return is_decoder_; }

  torch::nn::ModuleList block;
  RmsNorm final_layer_norm{nullptr};
  std::vector<T5Block> blocks;  // typed view of `block`

 private:
  bool is_decoder_;
};
TORCH_MODULE(T5Stack);

// Greedy decoding result: sequences [B, 1 + steps] starting with the decoder
// start token; scores [steps, B, vocab] (the logits that chose each token),
// defined only when requested.
struct GreedyOutput {
  torch::Tensor sequences;
  torch::Tensor scores;
};

struct GreedyOptions {
  int64_t max_new_tokens = 32;
  int64_t eos_token_id = 1;
  int64_t pad_token_id = 0;
  int64_t decoder_start_token_id = 0;
  bool with_scores = false;
  // Key/value cache (fast); false recomputes the whole prefix at every step.
  bool use_cache = true;
};

class T5ModelImpl : public torch::nn::Module {
 public:
  explicit T5ModelImpl(const ModelPreset& config);

  // Encoder output after its final norm, [B, S, d_model].
  torch::Tensor encode(const torch::Tensor& input_ids, const torch::Tensor& attention_mask);
  // Logits [B, T, vocab] for decoder_input_ids given the encoder output.
  torch::Tensor decode(const torch::Tensor& decoder_input_ids, const torch::Tensor& encoder_hidden,
                       const torch::Tensor& attention_mask, DecoderCache* cache = nullptr);
  // Logits [B, T, vocab].
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                        const torch::Tensor& decoder_input_ids);

  // Greedy decoding as HF's generate(num_beams=1, do_sample=false): the encoder
  // runs once; each step takes the arg-max of the last position's logits; a row
  // that has produced EOS continues with pad tokens (its scores still recorded);
  // stops after max_new_tokens or when every row has produced EOS. Call under
  // NoGradGuard and eval() for evaluation.
  GreedyOutput greedy_generate(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                               const GreedyOptions& options = {});
  GreedyOutput greedy_generate(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                               int64_t max_new_tokens, int64_t eos_token_id = 1,
                               int64_t pad_token_id = 0);

  // The task id of every row of the next forward passes ([B] integers, best on the
  // CPU: they are grouped by task there and moved to the model's device), stored in
  // task_context(), which inject_adapters() hands to every adapter. Greedy generation
  // keeps one row per input row, so the same ids serve it.
  void set_task_ids(const torch::Tensor& task_ids);
  const torch::Tensor& task_ids() const { return task_context_->task_ids; }
  const std::shared_ptr<adapters::TaskContext>& task_context() const { return task_context_; }

  const ModelPreset& config() const { return config_; }

  // Logits [B, T, vocab] of decoder outputs [B, T, d_model] (lm_head, or the tied
  // embedding after the d_model^-0.5 scaling).
  torch::Tensor output_logits(const torch::Tensor& decoder_hidden);

  torch::nn::Embedding shared{nullptr};
  T5Stack encoder{nullptr};
  T5Stack decoder{nullptr};
  torch::nn::Linear lm_head{nullptr};  // null when config().tie_word_embeddings

 private:
  ModelPreset config_;
  std::shared_ptr<adapters::TaskContext> task_context_ = std::make_shared<adapters::TaskContext>();
};
TORCH_MODULE(T5Model);

// Mean cross-entropy over every label that is not -100 (one mean for the whole
// batch, as HF). logits [B, T, vocab], labels [B, T].
torch::Tensor sequence_loss(const torch::Tensor& logits, const torch::Tensor& labels);

// Decoder inputs for teacher forcing: decoder_start_token_id, then labels
// shifted right by one, with -100 replaced by pad_token_id.
torch::Tensor shift_right(const torch::Tensor& labels, int64_t decoder_start_token_id = 0,
                          int64_t pad_token_id = 0);

// 0 where mask is 1, the dtype's most negative finite value where it is 0.
torch::Tensor additive_mask(const torch::Tensor& mask, torch::ScalarType dtype);

}  // namespace tensorpoly::model
