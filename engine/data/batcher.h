// Examples to padded tensors for the T5 model, and the training sampler.
//
// A batch is a pure function of (seed, step): row r of step s draws its task uniformly
// from the sampled tasks and then an example of that task, both from keys (seed, s, r).
// Resuming from a checkpoint at step s therefore needs only the seed and s, and gives
// the same batches as an unbroken run.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/task_suite.h"
#include "data/tokenizer.h"

namespace tensorpoly::data {

// Label value ignored by the loss (torch's cross_entropy ignore_index default).
constexpr int64_t kIgnoreIndex = -100;

// All int64, on the CPU until to() moves them.
struct Batch {
  torch::Tensor input_ids;          // [B, S] each row ends in eos, right-padded with pad (0)
  torch::Tensor attention_mask;     // [B, S] 1 on tokens (eos included), 0 on padding
  torch::Tensor labels;             // [B, T] target ids ending in eos, kIgnoreIndex on padding
  torch::Tensor decoder_input_ids;  // [B, T] pad (the decoder start), then labels shifted right
                                    //        with kIgnoreIndex replaced by pad
  torch::Tensor task_ids;           // [B]

  int64_t size() const { return input_ids.size(0); }
  // On CUDA through pinned host memory with non-blocking copies.
  Batch to(const torch::Device& device) const;
};

struct BatcherOptions {
  int64_t batch_size = 32;
  uint64_t seed = 0;
  std::vector<int> tasks;          // tasks to sample from; empty: every task with split "train"
  int64_t max_input_length = 128;  // tokens, eos included; longer inputs are truncated
  int64_t max_target_length = 64;  // tokens, eos included; longer targets are truncated
};

// Pads token sequences (without eos; it is appended here) into a batch.
Batch collate_token_ids(const std::vector<std::vector<int64_t>>& inputs,
                        const std::vector<std::vector<int64_t>>& targets,
                        const std::vector<int64_t>& task_ids, int64_t max_input_length,
                        int64_t max_target_length);

// Decodes each row of a [B, T] tensor of generated ids (stops at eos, skips pad).
std::vector<std::string> decode_rows(const Tokenizer& tokenizer, const torch::Tensor& ids);

class Batcher {
 public:
  // Throws std::invalid_argument for an empty task list, an unknown task or a bad size.
  Batcher(const TaskSuite& suite, const Tokenizer& tokenizer, BatcherOptions options);

  // The examples of training step `step`; a pure function of (seed, step).
  std::vector<Example> sample(int64_t step) const;
  Batch train_batch(int64_t step) const { return collate(sample(step)); }

  // Any examples (e.g. a slice of validation_examples) as one batch, in order.
  Batch collate(const std::vector<Example>& examples) const;
  // One row per answer choice, all with the example's input and task: the losses of the
  // rows rank the choices (rank classification).
  Batch collate_choices(const Example& example) const;

  const std::vector<int>& tasks() const { return tasks_; }
  const BatcherOptions& options() const { return options_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }

 private:
  const TaskSuite& suite_;
  const Tokenizer& tokenizer_;
  BatcherOptions options_;
  std::vector<int> tasks_;
};

}  // namespace tensorpoly::data
