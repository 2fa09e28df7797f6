// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/pretrain_data.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tensorpoly::data {
namespace {

constexpr uint64_t kTextStream = 7;
constexpr uint64_t kNoiseStream = 8;

// Splits n_items into n_segments non-empty runs at random (T5's random_segmentation).
std::vector<int64_t> random_segmentation(int64_t n_items, int64_t n_segments, Rng& rng) {
  std::vector<int64_t> cuts;
  for (int64_t i = 1; i < n_items; ++i) cuts.push_back(i);
  rng.shuffle(cuts);
  cuts.resize(static_cast<size_t>(n_segments - 1));
  std::sort(cuts.begin(), cuts.end());
  std::vector<int64_t> lengths;
  int64_t previous = 0;
  for (int64_t cut : cuts) {
    lengths.push_back(cut - previous);
    previous = cut;
  }
  lengths.push_back(n_items - previous);
  return lengths;
}

char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

TokenPair span_corrupt(const std::vector<int64_t>& tokens, const Tokenizer& tokenizer,
                       double noise_density, double mean_span_length, Rng& rng) {
  const auto length = static_cast<int64_t>(tokens.size());
  if (length < 2) throw std::invalid_argument("span_corrupt: needs at least 2 tokens");
  const auto n_noise = std::clamp<int64_t>(std::llround(length * noise_density), 1, length - 1);
  const auto n_spans =
      std::clamp<int64_t>(std::llround(static_cast<double>(n_noise) / mean_span_length), 1,
                          std::min({n_noise, length - n_noise, tokenizer.n_sentinels() - 1}));
  const auto noise_lengths = random_segmentation(n_noise, n_spans, rng);
  const auto kept_lengths = random_segmentation(length - n_noise, n_spans, rng);
  TokenPair pair;
  pair.infill = true;
  size_t position = 0;
  for (int64_t span = 0; span < n_spans; ++span) {
    for (int64_t i = 0; i < kept_lengths[span]; ++i) pair.input.push_back(tokens[position++]);
    pair.input.push_back(tokenizer.sentinel_id(span));
    pair.target.push_back(tokenizer.sentinel_id(span));
    for (int64_t i = 0; i < noise_lengths[span]; ++i) pair.target.push_back(tokens[position++]);
  }
  pair.target.push_back(tokenizer.sentinel_id(n_spans));
  return pair;
}

PretrainData::PretrainData(const Tokenizer& tokenizer, std::string alphabet,
                           PretrainDataConfig config, int64_t batch_size, int64_t max_length)
    : tokenizer_(tokenizer),
      alphabet_(std::move(alphabet)),
      config_(config),
      batch_size_(batch_size),
      max_length_(max_length) {
  validate(config_);
  if (alphabet_.empty()) throw std::invalid_argument("PretrainData: the alphabet is empty");
  if (batch_size_ < 1) throw std::invalid_argument("PretrainData: batch_size must be >= 1");
}

std::string PretrainData::random_text(int64_t step, int64_t row) const {
  Rng rng(mix_keys(
      {config_.seed, kTextStream, static_cast<uint64_t>(step), static_cast<uint64_t>(row)}));
  const auto length = rng.between(config_.min_length, config_.max_length);
  std::string text;
  for (int64_t i = 0; i < length; ++i) {
    char c = alphabet_[rng.below(alphabet_.size())];
    if (config_.upper_case_fraction > 0.0 && rng.bernoulli(config_.upper_case_fraction))
      c = to_upper(c);
    text.push_back(c);
  }
  return text;
}

TokenPair PretrainData::example(int64_t step, int64_t row) const {
  const auto tokens = tokenizer_.encode(random_text(step, row));
  Rng rng(mix_keys(
      {config_.seed, kNoiseStream, static_cast<uint64_t>(step), static_cast<uint64_t>(row)}));
  if (config_.infill && tokens.size() >= 2 && rng.bernoulli(config_.infill_fraction)) {
    return span_corrupt(tokens, tokenizer_, config_.noise_density, config_.mean_span_length, rng);
  }
  return {tokens, tokens, false};
}

Batch PretrainData::batch(int64_t step) const {
  std::vector<std::vector<int64_t>> inputs, targets;
  for (int64_t row = 0; row < batch_size_; ++row) {
    auto pair = example(step, row);
    inputs.push_back(std::move(pair.input));
    targets.push_back(std::move(pair.target));
  }
  return collate_token_ids(inputs, targets, std::vector<int64_t>(batch_size_, 0), max_length_,
                           max_length_);
}

}  // namespace tensorpoly::data
