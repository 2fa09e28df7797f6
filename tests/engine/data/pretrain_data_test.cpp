// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/pretrain_data.h"

#include <gtest/gtest.h>

namespace tensorpoly::data {
namespace {

// Rebuilds the original tokens from a span-corrupted pair.
std::vector<int64_t> uncorrupt(const TokenPair& pair, const Tokenizer& tokenizer) {
  auto is_sentinel = [&](int64_t id) {
    return id >= tokenizer.sentinel_id(0) &&
           id <= tokenizer.sentinel_id(tokenizer.n_sentinels() - 1);
  };
  std::vector<std::vector<int64_t>> spans;
  for (int64_t id : pair.target) {
    if (is_sentinel(id)) {
      spans.emplace_back();
    } else {
      spans.back().push_back(id);
    }
  }
  std::vector<int64_t> tokens;
  size_t span = 0;
  for (int64_t id : pair.input) {
    if (is_sentinel(id)) {
      EXPECT_EQ(id, tokenizer.sentinel_id(static_cast<int64_t>(span)));
      tokens.insert(tokens.end(), spans[span].begin(), spans[span].end());
      ++span;
    } else {
      tokens.push_back(id);
    }
  }
  EXPECT_EQ(spans.size(), span + 1);  // a final sentinel closes the target
  EXPECT_TRUE(spans.back().empty());
  return tokens;
}

TEST(PretrainData, SpanCorruptionMasksSpansWithSentinels) {
  const ByteTokenizer tokenizer;
  Rng rng(1);
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t length = 2 + trial % 40;
    std::vector<int64_t> tokens;
    for (int64_t i = 0; i < length; ++i)
      tokens.push_back(100 + static_cast<int64_t>(rng.below(50)));
    const auto pair = span_corrupt(tokens, tokenizer, 0.15, 3.0, rng);
    EXPECT_TRUE(pair.infill);
    EXPECT_EQ(uncorrupt(pair, tokenizer), tokens);
    EXPECT_NE(pair.input.front(), tokenizer.sentinel_id(0));  // T5 starts with kept tokens
    EXPECT_EQ(pair.target.front(), tokenizer.sentinel_id(0));
    // Masked: every target token but the n_spans + 1 sentinels; at least one, never all.
    int64_t n_sentinels = 0;
    for (int64_t id : pair.input) n_sentinels += id < tokenizer.byte_offset();
    const auto n_masked = static_cast<int64_t>(pair.target.size()) - (n_sentinels + 1);
    EXPECT_GE(n_masked, 1);
    EXPECT_LT(n_masked, length);
    EXPECT_EQ(static_cast<int64_t>(pair.input.size()), length - n_masked + n_sentinels);
  }
}

TEST(PretrainData, CopyAndInfillMixFollowsTheConfig) {
  const ByteTokenizer tokenizer;
  PretrainDataConfig config;
  config.min_length = 6;
  config.max_length = 10;
  config.infill = false;
  const PretrainData copy_only(tokenizer, "abcdefgh", config, 16);
  for (int64_t row = 0; row < 16; ++row) {
    const auto pair = copy_only.example(0, row);
    EXPECT_FALSE(pair.infill);
    EXPECT_EQ(pair.input, pair.target);
    const auto text = tokenizer.decode(pair.input);
    EXPECT_GE(text.size(), 6u);
    EXPECT_LE(text.size(), 10u);
    EXPECT_EQ(text.find_first_not_of("abcdefgh"), std::string::npos) << text;
  }
  config.infill = true;
  config.infill_fraction = 0.5;
  config.upper_case_fraction = 0.5;
  const PretrainData mixed(tokenizer, "abcdefgh", config, 16);
  int n_infill = 0, n_upper = 0, n_letters = 0;
  for (int64_t step = 0; step < 50; ++step) {
    for (int64_t row = 0; row < 16; ++row) {
      n_infill += mixed.example(step, row).infill;
      for (char c : mixed.random_text(step, row)) {
        ++n_letters;
        n_upper += c >= 'A' && c <= 'H';
      }
    }
  }
  EXPECT_NEAR(n_infill / 800.0, 0.5, 0.08);
  EXPECT_NEAR(static_cast<double>(n_upper) / n_letters, 0.5, 0.05);
}

TEST(PretrainData, BatchesArePureFunctionsOfSeedAndStep) {
  const ByteTokenizer tokenizer;
  PretrainDataConfig config;
  config.seed = 3;
  const PretrainData a(tokenizer, "abcdefgh", config, 8);
  const PretrainData b(tokenizer, "abcdefgh", config, 8);
  const auto batch = a.batch(5);
  EXPECT_TRUE(torch::equal(batch.input_ids, b.batch(5).input_ids));
  EXPECT_TRUE(torch::equal(batch.labels, b.batch(5).labels));
  EXPECT_FALSE(torch::equal(batch.input_ids, a.batch(6).input_ids));
  EXPECT_EQ(batch.size(), 8);
  EXPECT_TRUE(torch::equal(batch.task_ids, torch::zeros({8}, torch::kInt64)));
  EXPECT_LE(batch.input_ids.max().item<int64_t>(), tokenizer.vocab_size() - 1);
  config.max_length = 2;
  config.min_length = 3;
  EXPECT_THROW(PretrainData(tokenizer, "ab", config, 8), ConfigError);
}

}  // namespace
}  // namespace tensorpoly::data
