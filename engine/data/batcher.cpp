// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/batcher.h"

#include <algorithm>
#include <stdexcept>

#include "data/random.h"

namespace tensorpoly::data {
namespace {

constexpr uint64_t kSamplerStream = 6;

}  // namespace

Batch Batch::to(const torch::Device& device) const {
  if (!device.is_cuda()) {
    return {input_ids.to(device), attention_mask.to(device), labels.to(device),
            decoder_input_ids.to(device), task_ids.to(device)};
  }
  // From pinned (page-locked) host memory the copies are asynchronous: the host goes on
  // preparing work while the batch travels.
  auto move = [&](const torch::Tensor& t) {
    return (t.is_pinned() ? t : t.pin_memory()).to(device, /*non_blocking=*/true);
  };
  return {move(input_ids), move(attention_mask), move(labels), move(decoder_input_ids),
          move(task_ids)};
}

Batch collate_token_ids(const std::vector<std::vector<int64_t>>& inputs,
                        const std::vector<std::vector<int64_t>>& targets,
                        const std::vector<int64_t>& task_ids, int64_t max_input_length,
                        int64_t max_target_length) {
  const auto batch_size = static_cast<int64_t>(inputs.size());
  if (batch_size == 0 || targets.size() != inputs.size() || task_ids.size() != inputs.size()) {
    throw std::invalid_argument("collate_token_ids: need as many targets (" +
                                std::to_string(targets.size()) + ") and task ids (" +
                                std::to_string(task_ids.size()) + ") as inputs (" +
                                std::to_string(inputs.size()) + "), at least one");
  }
  if (max_input_length < 1 || max_target_length < 1) {
    throw std::invalid_argument("collate_token_ids: maximum lengths must be >= 1");
  }
  // Lengths with eos, after truncation.
  auto length = [](const std::vector<int64_t>& ids, int64_t max_length) {
    return std::min(static_cast<int64_t>(ids.size()) + 1, max_length);
  };
  int64_t source_length = 1;
  int64_t target_length = 1;
  for (int64_t row = 0; row < batch_size; ++row) {
    source_length = std::max(source_length, length(inputs[row], max_input_length));
    target_length = std::max(target_length, length(targets[row], max_target_length));
  }

  const auto options = torch::TensorOptions().dtype(torch::kInt64);
  auto input_ids = torch::full({batch_size, source_length}, Tokenizer::kPadId, options);
  auto attention_mask = torch::zeros({batch_size, source_length}, options);
  auto labels = torch::full({batch_size, target_length}, kIgnoreIndex, options);
  auto decoder_input_ids = torch::full({batch_size, target_length}, Tokenizer::kPadId, options);
  auto task_tensor = torch::empty({batch_size}, options);
  auto in = input_ids.accessor<int64_t, 2>();
  auto mask = attention_mask.accessor<int64_t, 2>();
  auto lab = labels.accessor<int64_t, 2>();
  auto dec = decoder_input_ids.accessor<int64_t, 2>();
  auto task = task_tensor.accessor<int64_t, 1>();
  for (int64_t row = 0; row < batch_size; ++row) {
    const auto n_in = length(inputs[row], max_input_length);
    for (int64_t i = 0; i + 1 < n_in; ++i) in[row][i] = inputs[row][i];
    in[row][n_in - 1] = Tokenizer::kEosId;
    for (int64_t i = 0; i < n_in; ++i) mask[row][i] = 1;
    const auto n_out = length(targets[row], max_target_length);
    for (int64_t i = 0; i + 1 < n_out; ++i) lab[row][i] = targets[row][i];
    lab[row][n_out - 1] = Tokenizer::kEosId;
    // Teacher forcing: the decoder reads the start token, then the labels shifted right.
    for (int64_t i = 1; i < target_length; ++i) {
      dec[row][i] = lab[row][i - 1] == kIgnoreIndex ? Tokenizer::kPadId : lab[row][i - 1];
    }
    task[row] = task_ids[row];
  }
  return {input_ids, attention_mask, labels, decoder_input_ids, task_tensor};
}

std::vector<std::string> decode_rows(const Tokenizer& tokenizer, const torch::Tensor& ids) {
  if (ids.dim() != 2) {
    throw std::invalid_argument("decode_rows: expected ids [B, T], got " +
                                std::to_string(ids.dim()) + " dimensions");
  }
  const auto cpu = ids.to(torch::kCPU, torch::kInt64).contiguous();
  std::vector<std::string> texts;
  const auto* data = cpu.data_ptr<int64_t>();
  const auto length = cpu.size(1);
  for (int64_t row = 0; row < cpu.size(0); ++row) {
    texts.push_back(
        tokenizer.decode(std::vector<int64_t>(data + row * length, data + (row + 1) * length)));
  }
  return texts;
}

Batcher::Batcher(const TaskSuite& suite, const Tokenizer& tokenizer, BatcherOptions options)
    : suite_(suite), tokenizer_(tokenizer), options_(std::move(options)) {
  tasks_ = options_.tasks.empty() ? suite_.task_indices("train") : options_.tasks;
  if (tasks_.empty()) throw std::invalid_argument("Batcher: no tasks to sample from");
  for (int task : tasks_) {
    if (task < 0 || task >= suite_.n_tasks()) {
      throw std::invalid_argument("Batcher: task " + std::to_string(task) + " not in [0, " +
                                  std::to_string(suite_.n_tasks()) + ")");
    }
  }
  if (options_.batch_size < 1) {
    throw std::invalid_argument("Batcher: batch_size must be >= 1, got " +
                                std::to_string(options_.batch_size));
  }
}

std::vector<Example> Batcher::sample(int64_t step) const {
  std::vector<Example> examples;
  examples.reserve(options_.batch_size);
  for (int64_t row = 0; row < options_.batch_size; ++row) {
    Rng rng(mix_keys(
        {options_.seed, kSamplerStream, static_cast<uint64_t>(step), static_cast<uint64_t>(row)}));
    const int task = tasks_[rng.below(tasks_.size())];
    examples.push_back(suite_.train_example(task, rng.next()));
  }
  return examples;
}

Batch Batcher::collate(const std::vector<Example>& examples) const {
  std::vector<std::vector<int64_t>> inputs, targets;
  std::vector<int64_t> task_ids;
  for (const auto& example : examples) {
    inputs.push_back(tokenizer_.encode(example.input));
    targets.push_back(tokenizer_.encode(example.target));
    task_ids.push_back(example.task);
  }
  return collate_token_ids(inputs, targets, task_ids, options_.max_input_length,
                           options_.max_target_length);
}

Batch Batcher::collate_choices(const Example& example) const {
  if (example.choices.empty()) {
    throw std::invalid_argument("Batcher::collate_choices: the example has no choices");
  }
  const auto input = tokenizer_.encode(example.input);
  std::vector<std::vector<int64_t>> inputs, targets;
  std::vector<int64_t> task_ids;
  for (const auto& choice : example.choices) {
    inputs.push_back(input);
    targets.push_back(tokenizer_.encode(choice));
    task_ids.push_back(example.task);
  }
  return collate_token_ids(inputs, targets, task_ids, options_.max_input_length,
                           options_.max_target_length);
}

}  // namespace tensorpoly::data
