// Evaluation on validation examples: per task, the mean token loss and either exact match
// of the greedily decoded output or rank-classification accuracy over answer choices.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <functional>
#include <vector>

#include <torch/torch.h>

#include "data/batcher.h"
#include "data/task_suite.h"
#include "model/t5_model.h"
#include "tensorpoly/events.h"

namespace tensorpoly::train {

struct EvalOptions {
  int64_t max_examples = 0;   // per task; 0 = every validation example
  int64_t batch_size = 64;
};

// Evaluates `tasks` (indices into the suite) with the model in eval mode and no
// gradients; the model's training mode is restored afterwards. `batcher` collates (its
// sampling options are not used).
std::vector<TaskEvaluation> evaluate_tasks(model::T5ModelImpl& model, const data::TaskSuite& suite,
                                           const data::Batcher& batcher,
                                           const std::vector<int>& tasks,
                                           const EvalOptions& options, const torch::Device& device);

// Mean of a field over tasks, skipping unmeasured (-1) values; -1 when none is measured.
double mean_exact_match(const std::vector<TaskEvaluation>& tasks);
double mean_loss(const std::vector<TaskEvaluation>& tasks);

}  // namespace tensorpoly::train
