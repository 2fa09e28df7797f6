// Greedy generation from a Hugging Face T5 model folder (tensorpoly-run generate): the
// quickest check that a checkpoint, its tokenizer and its config loaded right. Torch-free
// API; the work happens in the engine.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tensorpoly {

struct GenerateOptions {
  std::string checkpoint;       // the model folder (config.json, spiece.model, weights)
  int64_t max_new_tokens = 32;  // generated tokens per text, at most
  std::string device = "auto";
  std::string precision = "fp32";  // fp32, bf16 (CPU or CUDA), fp16 (CUDA)
  int threads = 0;                 // 0 = one per core
};

// Each text tokenised with the folder's tokenizer (eos appended), the batch right-padded,
// greedy decoding as Hugging Face's generate(num_beams=1), and each output decoded with
// special tokens skipped; one output per text, in order. Throws CheckpointError
// (hf_config.h) for a bad folder, std::invalid_argument for bad options.
std::vector<std::string> generate_texts(const GenerateOptions& options,
                                        const std::vector<std::string>& texts);

}  // namespace tensorpoly
