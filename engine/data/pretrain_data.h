// Pre-training data for the base model the trainer trains itself: copying random strings
// over the suite's alphabet and T5-style span denoising (masked spans become sentinels in
// the input; the target lists each sentinel followed by the span it hides, then a final
// sentinel). PretrainDataConfig holds the curriculum knobs (lengths, case mix, infill).
// Like the Batcher, a batch is a pure function of (seed, step).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/batcher.h"
#include "data/random.h"
#include "data/tokenizer.h"
#include "tensorpoly/suite_config.h"

namespace tensorpoly::data {

struct TokenPair {
  std::vector<int64_t> input;   // without eos
  std::vector<int64_t> target;  // without eos
  bool infill = false;          // span denoising (true) or copy (false)
};

// Span corruption of `tokens` (at least 2): about noise_density of them masked in spans of
// mean length mean_span_length, each span replaced by the next sentinel.
TokenPair span_corrupt(const std::vector<int64_t>& tokens, const Tokenizer& tokenizer,
                       double noise_density, double mean_span_length, Rng& rng);

class PretrainData {
 public:
  // `alphabet`: the symbols strings are drawn from (TaskSuite::alphabet()); letters may be
  // upper-cased by the case mix. Throws ConfigError for a bad config.
  PretrainData(const Tokenizer& tokenizer, std::string alphabet, PretrainDataConfig config,
               int64_t batch_size, int64_t max_length = 128);

  std::string random_text(int64_t step, int64_t row) const;
  TokenPair example(int64_t step, int64_t row) const;
  // Task ids are 0: the base model has no routing.
  Batch batch(int64_t step) const;

  const PretrainDataConfig& config() const { return config_; }

 private:
  const Tokenizer& tokenizer_;
  std::string alphabet_;
  PretrainDataConfig config_;
  int64_t batch_size_;
  int64_t max_length_;
};

}  // namespace tensorpoly::data
