// Evaluation on validation examples: per task, the mean token loss and either exact match
// of the greedily decoded output or rank-classification accuracy over answer choices.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <functional>
#include <optional>
#include <vector>

#include "data/batcher.h"
#include "data/task_suite.h"
#include "model/t5_model.h"
#include "tensorpoly/events.h"

namespace tensorpoly::train {

struct EvalOptions {
  int64_t max_examples = 0;  // per task; 0 = every validation example
  int64_t batch_size = 64;
  // Called before every forward pass (each batch of validation examples, and each
  // rank-classified example's choices); false abandons the evaluation. The trainer passes
  // RunControl::wait_until_runnable, so a pause holds an evaluation and a stop ends it
  // within one batch. Empty: never abandoned.
  std::function<bool()> before_batch;
};

// Evaluates `tasks` (indices into the suite) with the model in eval mode and no
// gradients; the model's training mode is restored afterwards. `batcher` collates (its
// sampling options are not used). Tasks without validation examples are left out of the
// result. std::nullopt when options.before_batch abandoned the evaluation.
std::optional<std::vector<TaskEvaluation>> evaluate_tasks(
    model::T5ModelImpl& model, const data::TaskSuite& suite, const data::Batcher& batcher,
    const std::vector<int>& tasks, const EvalOptions& options, const torch::Device& device);

// Mean of a field over the tasks that measured it (exact_match >= 0; n_examples > 0 for
// the loss); -1 (exact match) or NaN (loss) when none did.
double mean_exact_match(const std::vector<TaskEvaluation>& tasks);
double mean_loss(const std::vector<TaskEvaluation>& tasks);

}  // namespace tensorpoly::train
