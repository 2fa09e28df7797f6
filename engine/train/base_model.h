// The base model adapters train on. Nothing can be downloaded, so the pipeline
// pre-trains its own: copying and span denoising over the suite's alphabet, as a
// curriculum (issue 4 §5 — a single mixed stage plateaued in the prototype):
//   1. copy only, short lower-case strings, until copying "clicks" (base.copy_steps);
//   2. the base.data mix: mixed case, longer strings, span infilling, with the learning
//      rate decaying linearly to a tenth.
// The result is cached under base.cache_dir, keyed by a hash of everything that shapes
// it, and reused by every later run with the same base configuration.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <string>

#include "data/tokenizer.h"
#include "model/t5_model.h"
#include "tensorpoly/config.h"
#include "tensorpoly/events.h"
#include "train/run_control.h"

namespace tensorpoly::train {

struct BaseModelSource {
  std::string checkpoint;        // file the base weights come from; "" = random weights
  bool built_now = false;        // pre-trained by this call (false: cache hit or given file)
  bool stopped = false;          // a stop request interrupted pre-training (nothing cached)
  double copy_exact_match = -1;  // measured after pre-training (-1 when not measured)
};

// Hex hash of the base configuration (preset shape, tokenizer, alphabet, curriculum).
std::string base_cache_key(const ExperimentConfig& config, const std::string& alphabet,
                           const data::Tokenizer& tokenizer);
// "<cache_dir>/base-<preset>-<key>.pt"
std::string base_cache_path(const ExperimentConfig& config, const std::string& alphabet,
                            const data::Tokenizer& tokenizer);

// Finds (or builds and caches) the base checkpoint for `config`; reports pre-training
// progress as StageProgress{"base"} through `sink` when given.
BaseModelSource prepare_base_model(const ExperimentConfig& config, const std::string& alphabet,
                                   const data::Tokenizer& tokenizer, const torch::Device& device,
                                   EventSink* sink, RunControl* control);

// Puts the base weights into a freshly built model (before adapters are injected):
// the checkpoint when there is one, else deterministic random weights.
void load_base_weights(model::T5ModelImpl& model, const BaseModelSource& source);

// A model of the configured preset with deterministic random weights.
model::T5Model make_random_model(const ExperimentConfig& config);

// Exact match of greedy copying on `n` random strings drawn from `data_config`.
double copy_exact_match(model::T5ModelImpl& model, const data::Tokenizer& tokenizer,
                        const std::string& alphabet, const PretrainDataConfig& data_config,
                        int64_t n, const torch::Device& device);

}  // namespace tensorpoly::train
