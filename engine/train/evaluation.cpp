// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/evaluation.h"

#include <algorithm>
#include <cmath>

#include "train/losses.h"

namespace tensorpoly::train {
namespace {

// Restores the module's training mode on scope exit.
class EvalModeGuard {
 public:
  explicit EvalModeGuard(torch::nn::Module& module)
      : module_(module), was_training_(module.is_training()) {
    module_.eval();
  }
  ~EvalModeGuard() { module_.train(was_training_); }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  torch::nn::Module& module_;
  bool was_training_;
};

}  // namespace

std::optional<std::vector<TaskEvaluation>> evaluate_tasks(
    model::T5ModelImpl& model, const data::TaskSuite& suite, const data::Batcher& batcher,
    const std::vector<int>& tasks, const EvalOptions& options, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  EvalModeGuard eval_mode(model);
  const data::Tokenizer& tokenizer = batcher.tokenizer();
  auto may_continue = [&] { return !options.before_batch || options.before_batch(); };
  std::vector<TaskEvaluation> results;
  for (int task : tasks) {
    const auto& all = suite.validation_examples(task);
    const size_t n = options.max_examples > 0
                         ? std::min(all.size(), static_cast<size_t>(options.max_examples))
                         : all.size();
    // Nothing to measure: reporting a loss of 0 would distort every mean over tasks.
    if (n == 0) continue;
    TaskEvaluation result;
    result.task = task;
    result.n_examples = static_cast<int64_t>(n);
    double loss_sum = 0.0, token_count = 0.0;
    int64_t generated = 0, exact = 0, ranked = 0, correct = 0;
    for (size_t begin = 0; begin < n; begin += static_cast<size_t>(options.batch_size)) {
      if (!may_continue()) return std::nullopt;
      const size_t end = std::min(n, begin + static_cast<size_t>(options.batch_size));
      const std::vector<data::Example> examples(all.begin() + static_cast<std::ptrdiff_t>(begin),
                                                all.begin() + static_cast<std::ptrdiff_t>(end));
      const data::Batch batch = batcher.collate(examples).to(device);
      model.set_task_ids(batch.task_ids);
      const auto logits =
          model.forward(batch.input_ids, batch.attention_mask, batch.decoder_input_ids);
      const ExampleLosses losses = example_losses(logits, batch.labels);
      loss_sum += losses.sums.sum().item<double>();
      token_count += losses.counts.sum().item<double>();

      std::vector<size_t> generative;
      for (size_t i = 0; i < examples.size(); ++i) {
        if (!examples[i].rank_classification()) generative.push_back(i);
      }
      if (!generative.empty()) {
        model::GreedyOptions greedy;
        greedy.max_new_tokens = batch.labels.size(1) + 2;
        greedy.eos_token_id = tokenizer.eos_id();
        greedy.pad_token_id = tokenizer.pad_id();
        greedy.decoder_start_token_id = tokenizer.pad_id();
        const auto output = model.greedy_generate(batch.input_ids, batch.attention_mask, greedy);
        const auto texts = data::decode_rows(
            tokenizer,
            output.sequences.index({torch::indexing::Slice(), torch::indexing::Slice(1)}).cpu());
        for (size_t i : generative) {
          ++generated;
          if (texts[i] == examples[i].target) ++exact;
        }
      }
      for (const auto& example : examples) {
        if (!example.rank_classification()) continue;
        if (!may_continue()) return std::nullopt;
        const data::Batch choices = batcher.collate_choices(example).to(device);
        model.set_task_ids(choices.task_ids);
        const ExampleLosses choice_losses = example_losses(
            model.forward(choices.input_ids, choices.attention_mask, choices.decoder_input_ids),
            choices.labels);
        // The prediction is the choice with the lowest mean token loss (eos included), i.e.
        // the highest length-normalised log-likelihood, as the reference does (mttl
        // T0EncoderDecoder.predict, from T-Few: summed loss / n_tokens ** length_norm with
        // length_norm 1). T0's own evaluation ranks by the summed log-likelihood, which
        // favours short choices; we follow the reference.
        const auto mean = (choice_losses.sums / choice_losses.counts.clamp_min(1)).cpu();
        const auto best = mean.argmin().item<int64_t>();
        ++ranked;
        if (example.choices[static_cast<size_t>(best)] == example.target) ++correct;
      }
    }
    result.loss = loss_sum / std::max(token_count, 1.0);
    if (generated > 0) {
      result.exact_match = static_cast<double>(exact) / static_cast<double>(generated);
    }
    if (ranked > 0) result.accuracy = static_cast<double>(correct) / static_cast<double>(ranked);
    results.push_back(result);
  }
  return results;
}

double mean_exact_match(const std::vector<TaskEvaluation>& tasks) {
  double sum = 0.0;
  int n = 0;
  for (const auto& task : tasks) {
    if (task.exact_match < 0) continue;
    sum += task.exact_match;
    ++n;
  }
  return n ? sum / n : -1.0;
}

double mean_loss(const std::vector<TaskEvaluation>& tasks) {
  double sum = 0.0;
  int n = 0;
  for (const auto& task : tasks) {
    if (task.n_examples <= 0) continue;
    sum += task.loss;
    ++n;
  }
  return n ? sum / n : std::nan("");
}

}  // namespace tensorpoly::train
