// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/few_shot.h"

#include <chrono>
#include <cmath>
#include <sstream>
#include <utility>
#include <vector>

#include "adapters/inject.h"
#include "data/random.h"
#include "train/checkpointing.h"
#include "train/losses.h"
#include "train/trainer.h"

namespace tensorpoly::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// The tensors adaptation may move, as training left them: restored before each held-out
// task (each starts from the trained weights) and once more at the end.
class TrainedState {
 public:
  explicit TrainedState(const std::vector<torch::Tensor>& parameters) : parameters_(parameters) {
    torch::NoGradGuard no_grad;
    values_.reserve(parameters_.size());
    for (const auto& parameter : parameters_) values_.push_back(parameter.detach().clone());
  }
  TrainedState(const TrainedState&) = delete;
  TrainedState& operator=(const TrainedState&) = delete;
  ~TrainedState() { restore(); }
  void restore() const {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < parameters_.size(); ++i) parameters_[i].copy_(values_[i]);
  }

 private:
  std::vector<torch::Tensor> parameters_;
  std::vector<torch::Tensor> values_;
};

// Only the adapting tensors get gradients meanwhile; the flags are restored afterwards so
// that parameter counts and checkpoints keep describing the training setup.
class RequiresGradScope {
 public:
  RequiresGradScope(torch::nn::Module& model, const std::vector<torch::Tensor>& adapting) {
    for (auto& parameter : model.parameters()) {
      saved_.emplace_back(parameter, parameter.requires_grad());
      parameter.set_requires_grad(false);
    }
    for (auto parameter : adapting) parameter.set_requires_grad(true);
  }
  RequiresGradScope(const RequiresGradScope&) = delete;
  RequiresGradScope& operator=(const RequiresGradScope&) = delete;
  ~RequiresGradScope() {
    for (auto& [parameter, flag] : saved_) parameter.set_requires_grad(flag);
  }

 private:
  std::vector<std::pair<torch::Tensor, bool>> saved_;
};

// Copies task row `task` of every routing matrix of `from` into `into` (same layers and
// shapes: [tasks, skills] or [blocks, tasks, skills]).
void copy_task_row(const std::vector<RoutingMatrix>& from, int task,
                   std::vector<RoutingMatrix>& into) {
  TORCH_CHECK(from.size() == into.size(), "copy_task_row: ", from.size(), " and ", into.size(),
              " routing layers");
  for (size_t layer = 0; layer < from.size(); ++layer) {
    const RoutingMatrix& source = from[layer];
    RoutingMatrix& target = into[layer];
    TORCH_CHECK(source.shape == target.shape, "copy_task_row: layer '", source.layer,
                "' changed shape");
    const int64_t tasks = source.n_tasks(), skills = source.n_skills();
    for (int64_t block = 0; block < source.n_blocks(); ++block) {
      const auto offset = static_cast<size_t>((block * tasks + task) * skills);
      std::copy(source.values.begin() + static_cast<std::ptrdiff_t>(offset),
                source.values.begin() + static_cast<std::ptrdiff_t>(offset + skills),
                target.values.begin() + static_cast<std::ptrdiff_t>(offset));
    }
  }
}

class HeldoutAdaptation {
 public:
  HeldoutAdaptation(Trainer& trainer, EventSink& sink, RunControl& control, int64_t step)
      : trainer_(trainer),
        config_(trainer.config().few_shot),
        sink_(sink),
        control_(control),
        step_(step),
        routed_(is_routed_method(trainer.config().adapter.method)) {
    for (const auto& group : trainer.parameter_groups()) {
      const bool router = group.name == "routers";
      const bool adapter = group.name == "adapters" && (config_.train_adapters || !routed_);
      if (!router && !adapter) continue;  // the base stays frozen
      auto& target = router ? routers_ : adapter_weights_;
      target.insert(target.end(), group.parameters.begin(), group.parameters.end());
      for (size_t i = 0; i < group.parameters.size(); ++i) {
        adapting_.emplace_back(group.parameter_names[i], group.parameters[i]);
      }
    }
  }

  RunStatus run(std::string* message) {
    message_ = message;
    std::vector<torch::Tensor> tensors;
    tensors.reserve(adapting_.size());
    for (const auto& item : adapting_) tensors.push_back(item.second);
    const TrainedState trained(tensors);
    const RequiresGradScope scope(trainer_.model(), tensors);
    if (routed_) {
      torch::NoGradGuard no_grad;
      adapted_routing_ = adapters::collect_routing(trainer_.model());
    }
    for (int task : trainer_.heldout_tasks()) {
      trained.restore();
      const RunStatus status = adapt_task(task);
      if (status != RunStatus::kFinished) return status;
      if (routed_) {
        torch::NoGradGuard no_grad;
        copy_task_row(adapters::collect_routing(trainer_.model()), task, adapted_routing_);
      }
      if (!adapting_.empty()) save_adapted_weights(task);
    }
    trained.restore();
    if (routed_ && !tensors.empty()) {
      RoutingSnapshot snapshot;
      snapshot.step = step_;
      snapshot.stage = "few_shot";
      snapshot.layers = std::move(adapted_routing_);
      sink_.on_routing(snapshot);
    }
    return RunStatus::kFinished;
  }

 private:
  // Evaluates `task` alone at few-shot step `few_shot_step`; false when stopped.
  bool emit_eval(int task, int64_t few_shot_step) {
    auto evaluations = trainer_.evaluate({task}, control_);
    if (!evaluations) return false;
    EvalResult result;
    result.step = few_shot_step;
    result.split = "heldout";
    result.tasks = std::move(*evaluations);
    result.wall_time_s = trainer_.seconds_since_run_start();
    sink_.on_eval(result);
    return true;
  }

  const std::string& task_name(int task) const { return trainer_.suite().tasks().at(task).name; }

  RunStatus stopped(int task, int64_t done) {
    *message_ = "stopped during few-shot adaptation of held-out task '" + task_name(task) +
                "' after " + std::to_string(done) + " of " + std::to_string(config_.steps) +
                " steps";
    return RunStatus::kStopped;
  }

  RunStatus diverged(int task, int64_t step, const std::string& what) {
    *message_ = "few-shot adaptation of held-out task '" + task_name(task) + "', step " +
                std::to_string(step) + ": " + what;
    return RunStatus::kDiverged;
  }

  // AdamW without weight decay: the reference's T0 configurations use none, and decay
  // would pull the new task's router logits toward uniform routing.
  std::unique_ptr<torch::optim::AdamW> make_optimizer() const {
    std::vector<torch::optim::OptimizerParamGroup> groups;
    auto add_group = [&](const std::vector<torch::Tensor>& parameters, double learning_rate) {
      if (parameters.empty()) return;
      auto options = std::make_unique<torch::optim::AdamWOptions>(learning_rate);
      options->weight_decay(0.0).betas({0.9, 0.999}).eps(1e-8);
      groups.emplace_back(parameters, std::move(options));
    };
    add_group(routers_, config_.learning_rate);
    add_group(adapter_weights_, trainer_.config().train.adapter_learning_rate);
    return std::make_unique<torch::optim::AdamW>(std::move(groups),
                                                 torch::optim::AdamWOptions(1e-3));
  }

  // The batch of few-shot step `step`: rows drawn with replacement from the task's k
  // examples, a pure function of (seed, task, step).
  std::vector<data::Example> batch_examples(const std::vector<data::Example>& examples, int task,
                                            int64_t step) const {
    data::Rng rng(
        data::mix_keys({trainer_.config().seed, data::hash_string("few-shot"),
                        data::hash_string(task_name(task)), static_cast<uint64_t>(step)}));
    std::vector<data::Example> batch;
    batch.reserve(static_cast<size_t>(config_.batch_size));
    for (int64_t row = 0; row < config_.batch_size; ++row) {
      batch.push_back(examples[rng.below(examples.size())]);
    }
    return batch;
  }

  // Gradients of every router row but `task`'s are zeroed: only the new task's routing
  // adapts. Then the checks and the training's global-norm clipping. "" or what diverged.
  std::string prepare_gradients(const torch::Tensor& other_rows) {
    torch::NoGradGuard no_grad;
    for (auto& router : routers_) {
      if (router.grad().defined()) router.grad().index_fill_(0, other_rows, 0.0);
    }
    std::vector<torch::Tensor> norms;
    for (const auto& [name, parameter] : adapting_) {
      const auto& grad = parameter.grad();
      if (!grad.defined()) continue;
      if (!torch::isfinite(grad).all().item<bool>()) {
        return "the gradient of tensor '" + name + "' holds NaN/Inf";
      }
      norms.push_back(grad.norm(2).to(torch::kFloat));
    }
    const double max_norm = trainer_.config().train.max_grad_norm;
    if (norms.empty() || max_norm <= 0) return {};
    const double total = torch::stack(norms).norm(2).item<double>();
    if (total > max_norm) {
      const double scale = max_norm / (total + 1e-6);
      for (auto& item : adapting_) {
        if (item.second.grad().defined()) item.second.grad().mul_(scale);
      }
    }
    return {};
  }

  void report_progress(int task, int64_t step, double loss, Clock::time_point start) {
    StageProgress progress;
    progress.stage = "few_shot";
    progress.step = step;
    progress.total_steps = config_.steps;
    progress.loss = loss;
    progress.wall_time_s = seconds_since(start);
    progress.message = "few-shot adaptation of held-out task '" + task_name(task) + "'";
    sink_.on_progress(progress);
  }

  RunStatus adapt_task(int task) {
    const auto examples = data::few_shot_examples(trainer_.suite(), task, config_.k);
    data::BatcherOptions options;
    // The token limits in force for the run (JSONL suites: suite.max_*_length).
    options.max_input_length = trainer_.batcher_options().max_input_length;
    options.max_target_length = trainer_.batcher_options().max_target_length;
    options.batch_size = config_.batch_size;
    options.tasks = {task};
    const data::Batcher batcher(trainer_.suite(), trainer_.tokenizer(), options);
    std::vector<int64_t> others;
    for (int other = 0; other < trainer_.suite().n_tasks(); ++other) {
      if (other != task) others.push_back(other);
    }
    const auto other_rows = torch::tensor(others, torch::kLong).to(trainer_.device());
    const auto optimizer = make_optimizer();
    if (!emit_eval(task, 0)) return stopped(task, 0);
    if (adapting_.empty()) return RunStatus::kFinished;  // method "none": nothing adapts
    const auto start = Clock::now();
    for (int64_t s = 1; s <= config_.steps; ++s) {
      if (!control_.wait_until_runnable()) return stopped(task, s - 1);
      torch::manual_seed(
          data::mix_keys({trainer_.config().seed, data::hash_string("few-shot-step"),
                          data::hash_string(task_name(task)), static_cast<uint64_t>(s)}));
      const data::Batch cpu_batch = batcher.collate(batch_examples(examples, task, s));
      const data::Batch batch = cpu_batch.to(trainer_.device());
      const auto loss =
          example_losses(trainer_.batch_logits(batch, cpu_batch.task_ids), batch.labels).mean();
      const double loss_value = loss.item<double>();
      if (!std::isfinite(loss_value)) {
        return diverged(task, s, "tensor 'loss' is " + number_text(loss_value));
      }
      optimizer->zero_grad();
      loss.backward();
      const std::string problem = prepare_gradients(other_rows);
      if (!problem.empty()) return diverged(task, s, problem);
      optimizer->step();
      if (s % 10 == 0 || s == config_.steps) report_progress(task, s, loss_value, start);
      const bool due =
          (config_.eval_every > 0 && s % config_.eval_every == 0) || s == config_.steps;
      if (due && !emit_eval(task, s)) return stopped(task, s);
    }
    return RunStatus::kFinished;
  }

  void save_adapted_weights(int task) {
    CheckpointInfo info;
    info.step = step_;
    info.seed = trainer_.config().seed;
    info.config_json = to_json_text(trainer_.config());
    info.base_checkpoint = trainer_.base_checkpoint();
    const std::string path = few_shot_checkpoint_path(trainer_.checkpoint_dir(), step_, task);
    save_training_checkpoint(path, trainer_.model(), trainer_.trainable_names(), nullptr, info);
    StageProgress saved;
    saved.stage = "few_shot";
    saved.step = saved.total_steps = config_.steps;
    saved.loss = std::nan("");
    saved.message = "weights adapted to held-out task '" + task_name(task) + "' saved to " + path;
    sink_.on_progress(saved);
  }

  Trainer& trainer_;
  const FewShotConfig& config_;
  EventSink& sink_;
  RunControl& control_;
  int64_t step_;
  bool routed_;
  std::vector<std::pair<std::string, torch::Tensor>> adapting_;
  std::vector<torch::Tensor> routers_, adapter_weights_;
  std::vector<RoutingMatrix> adapted_routing_;
  std::string* message_ = nullptr;
};

}  // namespace

RunStatus adapt_heldout_tasks(Trainer& trainer, EventSink& sink, RunControl& control, int64_t step,
                              std::string* message) {
  if (trainer.config().few_shot.steps <= 0 || trainer.heldout_tasks().empty()) {
    return RunStatus::kFinished;
  }
  HeldoutAdaptation adaptation(trainer, sink, control, step);
  return adaptation.run(message);
}

}  // namespace tensorpoly::train
