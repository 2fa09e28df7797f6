// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/t5_model.h"

#include <cmath>
#include <limits>

namespace tensorpoly::model {

torch::Tensor additive_mask(const torch::Tensor& mask, torch::ScalarType dtype) {
  double lowest = 0.0;
  switch (dtype) {
    case torch::kFloat32:
      lowest = std::numeric_limits<float>::lowest();
      break;
    case torch::kFloat64:
      lowest = std::numeric_limits<double>::lowest();
      break;
    case torch::kFloat16:
      lowest = -65504.0;
      break;
    case torch::kBFloat16:
      lowest = -3.3895313892515355e38;
      break;
    default:
      TORCH_CHECK(false, "additive_mask: unsupported dtype ", dtype);
  }
  return (1.0 - mask.to(dtype)) * lowest;
}

namespace {

// [1, 1, Lq, Lk]: key j is visible to query i (at position offset+i) iff j ≤ offset+i.
torch::Tensor causal_additive_mask(int64_t query_length, int64_t key_length, int64_t offset,
                                   torch::ScalarType dtype, const torch::Device& device) {
  const auto options = torch::TensorOptions().dtype(torch::kLong).device(device);
  const torch::Tensor query = torch::arange(offset, offset + query_length, options).unsqueeze(1);
  const torch::Tensor key = torch::arange(key_length, options).unsqueeze(0);
  return additive_mask(key <= query, dtype).unsqueeze(0).unsqueeze(0);
}

void check_ids(const char* what, const torch::Tensor& ids) {
  TORCH_CHECK(ids.defined() && ids.dim() == 2, "T5Model: ", what, " must be [B, L], got ",
              ids.defined() ? ids.sizes() : torch::IntArrayRef{});
  TORCH_CHECK(!torch::isFloatingType(ids.scalar_type()), "T5Model: ", what,
              " must hold integers, got ", ids.scalar_type());
}

}  // namespace

// ---- sub-layers -------------------------------------------------------------

SelfAttentionLayerImpl::SelfAttentionLayerImpl(const ModelPreset& config,
                                               bool has_relative_attention_bias,
                                               bool bidirectional) {
  SelfAttention = register_module("SelfAttention",
                                  T5Attention(config, has_relative_attention_bias, bidirectional));
  layer_norm = register_module("layer_norm", RmsNorm(config.d_model, config.layer_norm_epsilon));
}

torch::Tensor SelfAttentionLayerImpl::forward(const torch::Tensor& hidden,
                                              const torch::Tensor& bias, AttentionCache* cache) {
  return hidden + SelfAttention->forward(layer_norm->forward(hidden), {}, bias, cache);
}

CrossAttentionLayerImpl::CrossAttentionLayerImpl(const ModelPreset& config) {
  EncDecAttention = register_module("EncDecAttention", T5Attention(config, false, false));
  layer_norm = register_module("layer_norm", RmsNorm(config.d_model, config.layer_norm_epsilon));
}

torch::Tensor CrossAttentionLayerImpl::forward(const torch::Tensor& hidden,
                                               const torch::Tensor& encoder_hidden,
                                               const torch::Tensor& bias, AttentionCache* cache) {
  return hidden +
         EncDecAttention->forward(layer_norm->forward(hidden), encoder_hidden, bias, cache);
}

FeedForwardLayerImpl::FeedForwardLayerImpl(const ModelPreset& config) {
  DenseReluDense = register_module("DenseReluDense", T5FeedForward(config));
  layer_norm = register_module("layer_norm", RmsNorm(config.d_model, config.layer_norm_epsilon));
}

torch::Tensor FeedForwardLayerImpl::forward(const torch::Tensor& hidden) {
  return hidden + DenseReluDense->forward(layer_norm->forward(hidden));
}

// ---- block and stack ----------------------------------------------------------

T5BlockImpl::T5BlockImpl(const ModelPreset& config, bool is_decoder,
                         bool has_relative_attention_bias) {
  layer = register_module("layer", torch::nn::ModuleList());
  self_attention = SelfAttentionLayer(config, has_relative_attention_bias,
                                      /*bidirectional=*/!is_decoder);
  layer->push_back(self_attention);
  if (is_decoder) {
    cross_attention = CrossAttentionLayer(config);
    layer->push_back(cross_attention);
  }
  feed_forward = FeedForwardLayer(config);
  layer->push_back(feed_forward);
}

torch::Tensor T5BlockImpl::forward(const torch::Tensor& hidden, const torch::Tensor& self_bias,
                                   const torch::Tensor& encoder_hidden,
                                   const torch::Tensor& cross_bias, BlockCache* cache) {
  torch::Tensor h = self_attention->forward(hidden, self_bias,
                                            cache != nullptr ? &cache->self_attention : nullptr);
  if (!cross_attention.is_empty()) {
    TORCH_CHECK(encoder_hidden.defined(), "T5Block: a decoder block needs the encoder output");
    h = cross_attention->forward(h, encoder_hidden, cross_bias,
                                 cache != nullptr ? &cache->cross_attention : nullptr);
  }
  return feed_forward->forward(h);
}

T5StackImpl::T5StackImpl(const ModelPreset& config, bool is_decoder) : is_decoder_(is_decoder) {
  const int64_t n_layers = is_decoder ? config.n_decoder_layers : config.n_encoder_layers;
  block = register_module("block", torch::nn::ModuleList());
  for (int64_t i = 0; i < n_layers; ++i) {
    // Only block 0 owns a relative bias table; the others reuse its bias.
    blocks.emplace_back(config, is_decoder, /*has_relative_attention_bias=*/i == 0);
    block->push_back(blocks.back());
  }
  final_layer_norm =
      register_module("final_layer_norm", RmsNorm(config.d_model, config.layer_norm_epsilon));
}

torch::Tensor T5StackImpl::encode(const torch::Tensor& embeddings,
                                  const torch::Tensor& attention_mask) {
  TORCH_CHECK(!is_decoder_, "T5Stack::encode called on the decoder");
  const int64_t length = embeddings.size(1);
  TORCH_CHECK(attention_mask.dim() == 2 && attention_mask.size(0) == embeddings.size(0) &&
                  attention_mask.size(1) == length,
              "T5Stack: attention_mask ", attention_mask.sizes(), " does not match input [",
              embeddings.size(0), ", ", length, "]");
  // Bidirectional position bias [1, H, S, S] + padded keys masked [B, 1, 1, S].
  const torch::Tensor bias =
      blocks.front()->self_attention->SelfAttention->compute_bias(length, length) +
      additive_mask(attention_mask, embeddings.scalar_type()).unsqueeze(1).unsqueeze(1);
  torch::Tensor hidden = embeddings;
  for (T5Block& each : blocks) hidden = each->forward(hidden, bias, {}, {});
  return final_layer_norm->forward(hidden);
}

torch::Tensor T5StackImpl::decode(const torch::Tensor& embeddings,
                                  const torch::Tensor& encoder_hidden,
                                  const torch::Tensor& encoder_attention_mask,
                                  DecoderCache* cache) {
  TORCH_CHECK(is_decoder_, "T5Stack::decode called on the encoder");
  TORCH_CHECK(encoder_hidden.dim() == 3 && encoder_attention_mask.dim() == 2 &&
                  encoder_attention_mask.size(0) == encoder_hidden.size(0) &&
                  encoder_attention_mask.size(1) == encoder_hidden.size(1),
              "T5Stack: encoder attention_mask ", encoder_attention_mask.sizes(),
              " does not match the encoder output ", encoder_hidden.sizes());
  const int64_t offset = cache != nullptr ? cache->length : 0;
  const int64_t query_length = embeddings.size(1);
  const int64_t key_length = offset + query_length;
  if (cache != nullptr && cache->blocks.empty()) cache->blocks.resize(blocks.size());
  // Causal position bias [1, H, T, offset+T]; no decoder padding mask (as HF).
  const torch::Tensor self_bias =
      blocks.front()->self_attention->SelfAttention->compute_bias(query_length, key_length,
                                                                  offset) +
      causal_additive_mask(query_length, key_length, offset, embeddings.scalar_type(),
                           embeddings.device());
  const torch::Tensor cross_bias =
      additive_mask(encoder_attention_mask, embeddings.scalar_type()).unsqueeze(1).unsqueeze(1);
  torch::Tensor hidden = embeddings;
  for (size_t i = 0; i < blocks.size(); ++i) {
    hidden = blocks[i]->forward(hidden, self_bias, encoder_hidden, cross_bias,
                                cache != nullptr ? &cache->blocks[i] : nullptr);
  }
  if (cache != nullptr) cache->length = key_length;
  return final_layer_norm->forward(hidden);
}

// ---- model ---------------------------------------------------------------------

T5ModelImpl::T5ModelImpl(const ModelPreset& config) : config_(config) {
  validate_model_preset(config_);
  shared = register_module("shared", torch::nn::Embedding(config.vocab, config.d_model));
  encoder = register_module("encoder", T5Stack(config, /*is_decoder=*/false));
  decoder = register_module("decoder", T5Stack(config, /*is_decoder=*/true));
  if (!config.tie_word_embeddings) {
    lm_head = register_module(
        "lm_head",
        torch::nn::Linear(torch::nn::LinearOptions(config.d_model, config.vocab).bias(false)));
  }
  torch::NoGradGuard no_grad;
  shared->weight.normal_(0.0, 1.0);
  // N(0, 1/d_model) as Mesh TensorFlow's T5 v1.1 (HF's std 1 would start with
  // logits of size √d_model).
  if (lm_head) lm_head->weight.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(config.d_model)));
}

torch::Tensor T5ModelImpl::output_logits(const torch::Tensor& decoder_hidden) {
  if (lm_head) return lm_head->forward(decoder_hidden);
  // HF: sequence_output * model_dim**-0.5, then the head tied to the shared embedding.
  const double scale = 1.0 / std::sqrt(static_cast<double>(config_.d_model));
  return torch::nn::functional::linear(decoder_hidden * scale, shared->weight);
}

torch::Tensor T5ModelImpl::encode(const torch::Tensor& input_ids,
                                  const torch::Tensor& attention_mask) {
  const adapters::ForwardScope forward_pass(task_context_.get());
  check_ids("input_ids", input_ids);
  return encoder->encode(shared->forward(input_ids), attention_mask);
}

torch::Tensor T5ModelImpl::decode(const torch::Tensor& decoder_input_ids,
                                  const torch::Tensor& encoder_hidden,
                                  const torch::Tensor& attention_mask, DecoderCache* cache) {
  const adapters::ForwardScope forward_pass(task_context_.get());
  check_ids("decoder_input_ids", decoder_input_ids);
  TORCH_CHECK(decoder_input_ids.size(0) == encoder_hidden.size(0), "T5Model: decoder batch ",
              decoder_input_ids.size(0), " != encoder batch ", encoder_hidden.size(0));
  const torch::Tensor hidden =
      decoder->decode(shared->forward(decoder_input_ids), encoder_hidden, attention_mask, cache);
  return output_logits(hidden);
}

torch::Tensor T5ModelImpl::forward(const torch::Tensor& input_ids,
                                   const torch::Tensor& attention_mask,
                                   const torch::Tensor& decoder_input_ids) {
  // One forward pass: adapters build their factors once for the encoder and the decoder.
  const adapters::ForwardScope forward_pass(task_context_.get());
  return decode(decoder_input_ids, encode(input_ids, attention_mask), attention_mask);
}

GreedyOutput T5ModelImpl::greedy_generate(const torch::Tensor& input_ids,
                                          const torch::Tensor& attention_mask,
                                          const GreedyOptions& options) {
  // One pass for every decoding step (under NoGradGuard the factors are reused anyway).
  const adapters::ForwardScope forward_pass(task_context_.get());
  TORCH_CHECK(options.max_new_tokens >= 0, "greedy_generate: max_new_tokens must be >= 0, got ",
              options.max_new_tokens);
  const torch::Tensor encoder_hidden = encode(input_ids, attention_mask);
  const int64_t batch = input_ids.size(0);
  const auto id_options = torch::TensorOptions().dtype(torch::kLong).device(input_ids.device());
  torch::Tensor sequences = torch::full({batch, 1}, options.decoder_start_token_id, id_options);
  torch::Tensor unfinished = torch::ones({batch}, id_options);
  std::vector<torch::Tensor> scores;
  DecoderCache cache;
  for (int64_t step = 0; step < options.max_new_tokens; ++step) {
    const torch::Tensor logits = options.use_cache
                                     ? decode(sequences.slice(1, sequences.size(1) - 1),
                                              encoder_hidden, attention_mask, &cache)
                                     : decode(sequences, encoder_hidden, attention_mask);
    const torch::Tensor last = logits.select(1, logits.size(1) - 1);  // [B, vocab]
    if (options.with_scores) scores.push_back(last);
    torch::Tensor next = last.argmax(-1);
    // Finished rows continue with pad (HF: next·unfinished + pad·(1 − unfinished)).
    next = next * unfinished + options.pad_token_id * (1 - unfinished);
    sequences = torch::cat({sequences, next.unsqueeze(1)}, 1);
    unfinished = unfinished * (next != options.eos_token_id).to(torch::kLong);
    if (unfinished.max().item<int64_t>() == 0) break;
  }
  GreedyOutput output;
  output.sequences = sequences;
  if (options.with_scores) {
    output.scores = scores.empty()
                        ? torch::empty({0, batch, config_.vocab}, encoder_hidden.options())
                        : torch::stack(scores);
  }
  return output;
}

GreedyOutput T5ModelImpl::greedy_generate(const torch::Tensor& input_ids,
                                          const torch::Tensor& attention_mask,
                                          int64_t max_new_tokens, int64_t eos_token_id,
                                          int64_t pad_token_id) {
  GreedyOptions options;
  options.max_new_tokens = max_new_tokens;
  options.eos_token_id = eos_token_id;
  options.pad_token_id = pad_token_id;
  options.decoder_start_token_id = pad_token_id;
  return greedy_generate(input_ids, attention_mask, options);
}

void T5ModelImpl::set_task_ids(const torch::Tensor& task_ids) {
  TORCH_CHECK(!task_ids.defined() || task_ids.dim() == 1,
              "T5Model::set_task_ids: task ids must be [B], got ", task_ids.sizes());
  // Grouped by task now, on the host, so that no adapted layer reads ids back in the
  // forward (adapters/task_context.h).
  task_context_->set(task_ids, shared->weight.device());
}

torch::Tensor sequence_loss(const torch::Tensor& logits, const torch::Tensor& labels) {
  TORCH_CHECK(logits.dim() == 3 && labels.dim() == 2 && logits.size(0) == labels.size(0) &&
                  logits.size(1) == labels.size(1),
              "sequence_loss: logits ", logits.sizes(), " do not match labels ", labels.sizes());
  namespace F = torch::nn::functional;
  return F::cross_entropy(logits.reshape({-1, logits.size(2)}),
                          labels.reshape({-1}).to(torch::kLong),
                          F::CrossEntropyFuncOptions().ignore_index(-100));
}

torch::Tensor shift_right(const torch::Tensor& labels, int64_t decoder_start_token_id,
                          int64_t pad_token_id) {
  TORCH_CHECK(labels.dim() == 2, "shift_right: labels must be [B, T], got ", labels.sizes());
  torch::Tensor shifted = torch::empty_like(labels);
  shifted.select(1, 0).fill_(decoder_start_token_id);
  shifted.slice(1, 1).copy_(labels.slice(1, 0, labels.size(1) - 1));
  return shifted.masked_fill(shifted == -100, pad_token_id);
}

}  // namespace tensorpoly::model
