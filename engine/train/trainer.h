// Multi-task training of adapters on a frozen (or unfrozen) base: AdamW with
// separate learning rates for adapter weights and router logits, linear warm-up then
// decay, gradient clipping, uniform task sampling, per-task training loss every step,
// evaluation, routing snapshots and checkpoints at intervals, exact resume, NaN/Inf
// detection, and few-shot adaptation to held-out tasks at the end (few_shot.h).
//
// Every step is a pure function of (seed, step) and the trainable state: the batch comes
// from data::Batcher::train_batch(step), and torch's generator (relaxed-Bernoulli routing
// noise) is reseeded from (seed, step) before each step.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "adapters/precision.h"
#include "data/batcher.h"
#include "data/length_report.h"
#include "data/task_suite.h"
#include "data/tokenizer.h"
#include "model/t5_model.h"
#include "tensorpoly/config.h"
#include "tensorpoly/events.h"
#include "train/base_model.h"
#include "train/loss_scale.h"
#include "train/optim_groups.h"
#include "train/run_control.h"

namespace tensorpoly::train {

struct StepResult {
  double loss = 0.0;                                // mean over the batch's labelled tokens
  std::vector<std::pair<int, double>> task_losses;  // (task, mean token loss), tasks in the batch
  double grad_norm = 0.0;                           // before clipping
  double clipped_grad_norm = 0.0;                   // what the optimiser applied (<= max_grad_norm)
  double learning_rate = 0.0;                       // adapter (or base) group, after the schedule
  int64_t tokens = 0;                               // input + target tokens, padding excluded
  std::string divergence;                           // non-empty: what was not finite
  bool skipped = false;  // fp16: the scaled gradients overflowed; no update, scale lowered
};

class Trainer {
 public:
  // Builds the tokenizer and the suite (cheap); throws for bad data files.
  explicit Trainer(ExperimentConfig config);

  // Base model (cached pre-training when needed), adapters, optimizer, and the resume
  // checkpoint when configured. Returns false when a stop request interrupted it.
  bool prepare(EventSink* sink, RunControl* control);

  // The whole run: RunStarted, then prepare(), training, evaluations, routing,
  // checkpoints, few-shot adaptation, RunEnded. Never throws: errors end as kFailed.
  RunEnded run(EventSink& sink, RunControl& control);

  // One optimiser step with number `step` (1-based). On divergence nothing is updated.
  StepResult train_step(int64_t step);
  // Evaluates `tasks` on their validation examples (those without any are left out).
  std::vector<TaskEvaluation> evaluate(const std::vector<int>& tasks);
  // The same, holding while `control` is paused; std::nullopt when a stop was requested
  // (checked before every batch).
  std::optional<std::vector<TaskEvaluation>> evaluate(const std::vector<int>& tasks,
                                                      RunControl& control);
  RoutingSnapshot routing_snapshot(int64_t step);
  std::string save_checkpoint(int64_t step);

  RunStarted run_started() const;            // name, config, tasks, parameter counts, ...
  ParameterCounts parameter_counts() const;  // of the built model (after prepare())
  int64_t start_step() const { return start_step_; }
  const ExperimentConfig& config() const { return config_; }
  const data::TaskSuite& suite() const { return *suite_; }
  const data::Tokenizer& tokenizer() const { return *tokenizer_; }
  model::T5ModelImpl& model() { return *model_; }
  const torch::Device& device() const { return device_; }
  const std::string& checkpoint_dir() const { return checkpoint_dir_; }
  const std::vector<ParameterGroup>& parameter_groups() const { return groups_; }
  const torch::optim::AdamW* optimizer() const { return optimizer_.get(); }
  const std::vector<int>& train_tasks() const { return train_tasks_; }
  const std::vector<int>& heldout_tasks() const { return heldout_tasks_; }
  // The names of the tensors training updates (what a checkpoint holds).
  const std::vector<std::string>& trainable_names() const { return trainable_names_; }
  // The file the base weights came from; "" for a random base.
  const std::string& base_checkpoint() const { return base_.checkpoint; }
  double seconds_since_run_start() const;
  // JSONL suites: the token limits in force and the examples over them (empty report
  // for the synthetic suite, whose strings are far below the batcher's limits).
  const data::LengthReport& length_report() const { return length_report_; }
  // The training batcher's options (batch size, token limits); few-shot adaptation uses
  // its token limits.
  const data::BatcherOptions& batcher_options() const { return batcher_->options(); }
  // Logits [B, T, vocab] of a batch on the device, in float32: the forward pass runs under
  // autocast in the configured precision (config.precision). `host_task_ids` are the
  // batch's task ids still on the CPU, grouped there without waiting on the device.
  torch::Tensor batch_logits(const data::Batch& batch, const torch::Tensor& host_task_ids);

 private:
  std::string find_non_finite_parameter() const;  // "" when every parameter is finite
  std::string find_non_finite_gradient() const;
  // Evaluates `tasks` and sends the result to `sink` as split `split` at `step`; false
  // when a stop request abandoned the evaluation.
  bool emit_evaluation(const std::vector<int>& tasks, const std::string& split, int64_t step,
                       EventSink& sink, RunControl& control);

  ExperimentConfig config_;
  torch::Device device_;
  adapters::Precision precision_;
  LossScaler loss_scaler_;  // enabled for fp16 only
  std::unique_ptr<data::Tokenizer> tokenizer_;
  std::unique_ptr<data::TaskSuite> suite_;
  data::LengthReport length_report_;
  std::unique_ptr<data::Batcher> batcher_;  // training tasks
  std::vector<int> train_tasks_;
  std::vector<int> heldout_tasks_;
  model::T5Model model_{nullptr};
  BaseModelSource base_;
  std::set<std::string> base_names_;
  std::vector<ParameterGroup> groups_;
  std::vector<std::string> trainable_names_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::string checkpoint_dir_;
  int64_t start_step_ = 0;
  std::chrono::steady_clock::time_point run_start_ = std::chrono::steady_clock::now();
};

}  // namespace tensorpoly::train
