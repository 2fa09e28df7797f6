// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/trainer.h"

#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <deque>
#include <sstream>

#include "adapters/inject.h"
#include "data/random.h"
#include "data/sentencepiece_tokenizer.h"
#include "model/checkpoint_file.h"
#include "tensorpoly/runtime.h"
#include "train/checkpointing.h"
#include "train/evaluation.h"
#include "train/few_shot.h"
#include "train/losses.h"
#include "train/schedule.h"

namespace tensorpoly::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string default_checkpoint_dir(const ExperimentConfig& config) {
  std::string name;
  for (char c : config.name) {
    name.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_');
  }
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  return cache_directory() + "/runs/" + name.substr(0, 48) + "-" + stamp + "-" +
         std::to_string(::getpid());
}

bool every(int64_t step, int64_t interval) { return interval > 0 && step % interval == 0; }

std::string describe_value(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

Trainer::Trainer(ExperimentConfig config)
    : config_(std::move(config)),
      device_(resolve_device(config_.device)),
      precision_(adapters::parse_precision(config_.precision)),
      loss_scaler_(precision_ == adapters::Precision::kFp16) {
  validate(config_);
  config_ = resolve_parameter_matching(std::move(config_));  // a form's config may be stale
  adapters::check_precision(precision_, device_);
  // The tokenizer follows the model: a checkpoint folder brings its own.
  tokenizer_ = data::make_tokenizer(config_.model_checkpoint);
  suite_ = data::make_task_suite(config_.suite);
  train_tasks_ = suite_->task_indices("train");
  heldout_tasks_ = suite_->task_indices("heldout");
  if (train_tasks_.empty()) throw std::runtime_error("suite: no training task");
  // Without a validation example every evaluation would be empty and read "loss 0".
  if (std::all_of(train_tasks_.begin(), train_tasks_.end(),
                  [&](int task) { return suite_->validation_examples(task).empty(); })) {
    throw std::runtime_error(
        "suite: no training task has a validation example: give suite.validation (a JSONL "
        "file) or suite.validation_ratio > 0 with two or more examples per task");
  }
  // Few-shot adaptation comes after training: a held-out task with fewer than k distinct
  // examples is bad input, refused here rather than after the whole run.
  if (config_.few_shot.steps > 0) {
    for (int task : heldout_tasks_) data::few_shot_examples(*suite_, task, config_.few_shot.k);
  }
  config_.adapter.n_tasks = suite_->n_tasks();
  data::BatcherOptions options;
  options.batch_size = config_.train.batch_size;
  options.seed = config_.seed;
  options.tasks = train_tasks_;
  if (config_.suite.kind == "jsonl") {
    const JsonlSuiteConfig& jsonl = config_.suite.jsonl;
    length_report_ = data::measure_lengths(*suite_, *tokenizer_, jsonl.max_source_length,
                                           jsonl.max_target_length, kDefaultMaxSourceLength,
                                           kDefaultMaxTargetLength);
    options.max_input_length = length_report_.max_source_length;
    options.max_target_length = length_report_.max_target_length;
  }
  batcher_ = std::make_unique<data::Batcher>(*suite_, *tokenizer_, options);
  checkpoint_dir_ = config_.train.checkpoint_dir.empty() ? default_checkpoint_dir(config_)
                                                         : config_.train.checkpoint_dir;
  if (!config_.train.resume_from.empty()) {
    start_step_ = read_checkpoint_info(config_.train.resume_from).step;
    if (start_step_ < 0 || start_step_ > config_.train.steps) {
      throw std::runtime_error("train.resume_from: checkpoint '" + config_.train.resume_from +
                               "' is at step " + std::to_string(start_step_) +
                               ", outside train.steps (" + std::to_string(config_.train.steps) +
                               "); raise train.steps to train on from it");
    }
  }
  if (config_.train.steps > start_step_)
    model::require_writable_directory(checkpoint_dir_, "train.checkpoint_dir");
}

bool Trainer::prepare(EventSink* sink, RunControl* control) {
  base_ = prepare_base_model(config_, suite_->alphabet(), *tokenizer_, device_, sink, control);
  if (base_.stopped) return false;
  model_ = make_random_model(config_);
  if (tokenizer_->vocab_size() > model_->config().vocab) {
    throw std::runtime_error(
        "model: the tokenizer has " + std::to_string(tokenizer_->vocab_size()) +
        " ids but the model's vocabulary only " + std::to_string(model_->config().vocab));
  }
  load_base_weights(*model_, base_);
  base_names_.clear();
  for (const auto& item : model_->named_parameters()) base_names_.insert(item.key());

  torch::manual_seed(data::mix_keys({config_.seed, data::hash_string("adapters")}));
  adapters::inject_adapters(*model_, config_.adapter, model_->task_context());
  adapters::train_only_adapters(*model_);
  if (config_.base.unfreeze) {
    for (auto& item : model_->named_parameters()) {
      if (base_names_.count(item.key())) item.value().set_requires_grad(true);
    }
  }
  model_->to(device_);
  model_->train();

  GroupRates rates;
  rates.adapter_learning_rate = config_.train.adapter_learning_rate;
  rates.router_learning_rate = config_.train.router_learning_rate;
  rates.base_learning_rate = config_.train.base_learning_rate;
  rates.weight_decay = config_.train.weight_decay;
  groups_ = make_parameter_groups(*model_, base_names_, rates);
  trainable_names_.clear();
  for (const auto& group : groups_) {
    trainable_names_.insert(trainable_names_.end(), group.parameter_names.begin(),
                            group.parameter_names.end());
  }
  optimizer_ = groups_.empty() ? nullptr : make_optimizer(groups_);
  if (!config_.train.resume_from.empty()) {
    // Checked before anything is loaded: a mismatched checkpoint may not even fit the model.
    const CheckpointInfo found = read_checkpoint_info(config_.train.resume_from);
    check_resume_compatible(config_.train.resume_from, found, config_.seed, to_json_text(config_),
                            base_.checkpoint);
    const CheckpointInfo info =
        load_training_checkpoint(config_.train.resume_from, *model_, optimizer_.get());
    start_step_ = info.step;
  }
  return true;
}

RunStarted Trainer::run_started() const {
  RunStarted event;
  event.name = config_.name;
  event.config_json = to_json_text(config_);
  event.method = config_.adapter.method;
  event.tasks = suite_->tasks();
  event.parameters = model_ ? parameter_counts() : estimate_parameters(config_);
  event.device = device_.str();
  event.app_version = TENSORPOLY_VERSION;
  event.torch_version = TORCH_VERSION;
  event.seed = config_.seed;
  event.total_steps = config_.train.steps;
  event.start_step = start_step_;
  return event;
}

ParameterCounts Trainer::parameter_counts() const {
  ParameterCounts counts;
  const std::string router_suffix = "module_logits";
  for (const auto& item : model_->named_parameters()) {
    const int64_t n = item.value().numel();
    counts.total += n;
    if (!item.value().requires_grad()) continue;
    counts.trainable += n;
    const std::string& name = item.key();
    if (name.size() >= router_suffix.size() &&
        name.compare(name.size() - router_suffix.size(), router_suffix.size(), router_suffix) ==
            0) {
      counts.router += n;
    }
  }
  const int64_t n_tasks = std::max(1, suite_->n_tasks());
  counts.per_task = (counts.trainable - counts.router) / n_tasks + counts.router / n_tasks;
  return counts;
}

std::string Trainer::find_non_finite_parameter() const {
  torch::NoGradGuard no_grad;
  for (const auto& item : model_->named_parameters()) {
    if (!torch::isfinite(item.value()).all().item<bool>()) return item.key();
  }
  return {};
}

std::string Trainer::find_non_finite_gradient() const {
  torch::NoGradGuard no_grad;
  for (const auto& item : model_->named_parameters()) {
    const auto& grad = item.value().grad();
    if (grad.defined() && !torch::isfinite(grad).all().item<bool>()) return item.key();
  }
  return {};
}

StepResult Trainer::train_step(int64_t step) {
  TORCH_CHECK(model_, "Trainer::train_step: prepare() was not called");
  StepResult result;
  const double factor =
      linear_warmup_decay(step - 1, config_.train.steps, config_.train.warmup_fraction);
  if (optimizer_) set_learning_rates(*optimizer_, groups_, factor);
  result.learning_rate = groups_.empty() ? 0.0 : groups_.front().learning_rate * factor;
  torch::manual_seed(
      data::mix_keys({config_.seed, data::hash_string("train-step"), static_cast<uint64_t>(step)}));
  const data::Batch cpu_batch = batcher_->train_batch(step - 1);
  result.tokens = cpu_batch.attention_mask.sum().item<int64_t>() +
                  cpu_batch.labels.ne(data::kIgnoreIndex).sum().item<int64_t>();
  const data::Batch batch = cpu_batch.to(device_);
  const auto logits = batch_logits(batch, cpu_batch.task_ids);
  const ExampleLosses losses = example_losses(logits, batch.labels);
  const torch::Tensor loss = losses.mean();
  result.loss = loss.item<double>();
  if (!std::isfinite(result.loss)) {
    // Name the first parameter that holds NaN/Inf; when all are finite the forward pass
    // itself overflowed, and the loss is the tensor to name.
    const std::string parameter = find_non_finite_parameter();
    result.divergence =
        "step " + std::to_string(step) + ": tensor 'loss' is " + describe_value(result.loss) +
        (parameter.empty()
             ? std::string(" (every parameter is finite: the forward pass overflowed)")
             : "; parameter '" + parameter + "' holds NaN/Inf");
    return result;
  }
  // Per-task mean token loss, from the same per-example sums.
  {
    const auto n_tasks = suite_->n_tasks();
    const auto ids = batch.task_ids.to(torch::kLong);
    const auto sums =
        torch::zeros({n_tasks}, losses.sums.options()).index_add_(0, ids, losses.sums.detach());
    const auto counts =
        torch::zeros({n_tasks}, losses.counts.options()).index_add_(0, ids, losses.counts);
    const auto sums_cpu = sums.cpu(), counts_cpu = counts.cpu();
    const auto* s = sums_cpu.data_ptr<float>();
    const auto* c = counts_cpu.data_ptr<float>();
    for (int task = 0; task < n_tasks; ++task) {
      if (c[task] > 0)
        result.task_losses.emplace_back(task, static_cast<double>(s[task] / c[task]));
    }
  }
  if (!optimizer_) return result;  // nothing trains (evaluation-only configurations)
  optimizer_->zero_grad();
  if (loss_scaler_.enabled()) {
    (loss * loss_scaler_.scale()).backward();
  } else {
    loss.backward();
  }
  std::vector<torch::Tensor> norms;
  std::vector<torch::Tensor> parameters;
  for (const auto& group : groups_) {
    for (const auto& parameter : group.parameters) {
      if (!parameter.grad().defined()) continue;
      if (loss_scaler_.enabled()) parameter.grad().div_(loss_scaler_.scale());
      parameters.push_back(parameter);
      norms.push_back(parameter.grad().detach().norm(2).to(torch::kFloat));
    }
  }
  const torch::Tensor total_norm = norms.empty() ? torch::zeros({}) : torch::stack(norms).norm(2);
  result.grad_norm = total_norm.item<double>();
  if (loss_scaler_.enabled()) {
    // fp16: an overflow means the scale was too large, not that training diverged.
    loss_scaler_.update(!std::isfinite(result.grad_norm));
    if (!std::isfinite(result.grad_norm)) {
      result.skipped = true;
      optimizer_->zero_grad();
      return result;
    }
  }
  if (!std::isfinite(result.grad_norm)) {
    const std::string tensor = find_non_finite_gradient();
    result.divergence =
        "step " + std::to_string(step) + ": gradient norm is " + describe_value(result.grad_norm) +
        (tensor.empty() ? std::string(" (every gradient is finite: their norm overflowed)")
                        : "; the gradient of tensor '" + tensor + "' holds NaN/Inf");
    optimizer_->zero_grad();
    return result;
  }
  result.clipped_grad_norm = result.grad_norm;
  if (config_.train.max_grad_norm > 0 && result.grad_norm > config_.train.max_grad_norm) {
    // torch.nn.utils.clip_grad_norm_: one scale for every gradient, eps 1e-6.
    torch::NoGradGuard no_grad;
    const double scale = config_.train.max_grad_norm / (result.grad_norm + 1e-6);
    for (auto& parameter : parameters) parameter.grad().mul_(scale);
    result.clipped_grad_norm = result.grad_norm * scale;
  }
  optimizer_->step();
  return result;
}

std::vector<TaskEvaluation> Trainer::evaluate(const std::vector<int>& tasks) {
  TORCH_CHECK(model_, "Trainer::evaluate: prepare() was not called");
  EvalOptions options;
  options.max_examples = config_.train.eval_examples;
  options.batch_size = config_.train.eval_batch_size;
  const adapters::AutocastScope autocast(device_, precision_);
  return *evaluate_tasks(*model_, *suite_, *batcher_, tasks, options, device_);
}

std::optional<std::vector<TaskEvaluation>> Trainer::evaluate(const std::vector<int>& tasks,
                                                             RunControl& control) {
  TORCH_CHECK(model_, "Trainer::evaluate: prepare() was not called");
  EvalOptions options;
  options.max_examples = config_.train.eval_examples;
  options.batch_size = config_.train.eval_batch_size;
  options.before_batch = [&control] { return control.wait_until_runnable(); };
  const adapters::AutocastScope autocast(device_, precision_);
  return evaluate_tasks(*model_, *suite_, *batcher_, tasks, options, device_);
}

double Trainer::seconds_since_run_start() const { return seconds_since(run_start_); }

torch::Tensor Trainer::batch_logits(const data::Batch& batch, const torch::Tensor& host_task_ids) {
  model_->set_task_ids(host_task_ids);
  torch::Tensor logits;
  {
    const adapters::AutocastScope autocast(device_, precision_);
    logits = model_->forward(batch.input_ids, batch.attention_mask, batch.decoder_input_ids);
  }
  // The loss in float32 whatever the forward's precision (as autocast's fp32 list).
  return logits.to(torch::kFloat32);
}

bool Trainer::emit_evaluation(const std::vector<int>& tasks, const std::string& split, int64_t step,
                              EventSink& sink, RunControl& control) {
  auto evaluations = evaluate(tasks, control);
  if (!evaluations) return false;
  EvalResult result;
  result.step = step;
  result.split = split;
  result.tasks = std::move(*evaluations);
  result.wall_time_s = seconds_since_run_start();
  sink.on_eval(result);
  return true;
}

RoutingSnapshot Trainer::routing_snapshot(int64_t step) {
  RoutingSnapshot snapshot;
  snapshot.step = step;
  torch::NoGradGuard no_grad;
  snapshot.layers = adapters::collect_routing(*model_);
  return snapshot;
}

std::string Trainer::save_checkpoint(int64_t step) {
  const std::string path = checkpoint_path(checkpoint_dir_, step);
  CheckpointInfo info;
  info.step = step;
  info.seed = config_.seed;
  info.config_json = to_json_text(config_);
  info.base_checkpoint = base_.checkpoint;
  save_training_checkpoint(path, *model_, trainable_names_, optimizer_.get(), info);
  return path;
}

RunEnded Trainer::run(EventSink& sink, RunControl& control) {
  run_start_ = Clock::now();
  RunEnded ended;
  ended.step = start_step_;
  int64_t last_checkpoint = -1;
  try {
    sink.on_run_started(run_started());
    if (!length_report_.tasks.empty()) {
      StageProgress lengths;
      lengths.stage = "data";
      lengths.loss = std::nan("");
      lengths.message = length_report_.summary();
      sink.on_progress(lengths);
    }
    if (!prepare(&sink, &control)) {
      ended.status = RunStatus::kStopped;
      ended.message = "stopped while pre-training the base model";
      sink.on_run_ended(ended);
      return ended;
    }
    ended.step = start_step_;
    // False when a stop request abandoned the evaluation.
    auto emit_eval = [&](int64_t step) {
      return emit_evaluation(train_tasks_, "eval", step, sink, control);
    };
    auto emit_routing = [&](int64_t step) {
      if (!is_routed_method(config_.adapter.method)) return;
      sink.on_routing(routing_snapshot(step));
    };
    auto emit_checkpoint = [&](int64_t step) {
      if (step == last_checkpoint || step == 0) return;
      CheckpointSaved saved;
      saved.step = step;
      saved.path = save_checkpoint(step);
      last_checkpoint = step;
      sink.on_checkpoint(saved);
    };
    // A stop ends the run with a checkpoint of the last completed step.
    auto end_stopped = [&](const std::string& during) {
      emit_checkpoint(ended.step);
      ended.status = RunStatus::kStopped;
      ended.message = "stopped at step " + std::to_string(ended.step) + during;
      sink.on_run_ended(ended);
      return ended;
    };
    if (start_step_ == 0) {
      if (!emit_eval(0)) return end_stopped(" during evaluation");
      emit_routing(0);
    }
    std::deque<double> recent_seconds;
    std::deque<int64_t> recent_tokens;
    for (int64_t step = start_step_ + 1; step <= config_.train.steps; ++step) {
      if (!control.wait_until_runnable()) return end_stopped("");
      const auto step_start = Clock::now();
      const StepResult result = train_step(step);
      if (!result.divergence.empty()) {
        ended.status = RunStatus::kDiverged;
        ended.message = result.divergence;
        sink.on_run_ended(ended);
        return ended;
      }
      const double step_seconds = seconds_since(step_start);
      recent_seconds.push_back(step_seconds);
      recent_tokens.push_back(result.tokens);
      if (recent_seconds.size() > 20) {
        recent_seconds.pop_front();
        recent_tokens.pop_front();
      }
      double window_seconds = 0.0;
      int64_t window_tokens = 0;
      for (size_t i = 0; i < recent_seconds.size(); ++i) {
        window_seconds += recent_seconds[i];
        window_tokens += recent_tokens[i];
      }
      ended.step = step;
      StepMetrics metrics;
      metrics.step = step;
      metrics.wall_time_s = seconds_since_run_start();
      for (const auto& [task, loss] : result.task_losses) {
        metrics.metrics.push_back({task, "train", "loss", loss});
      }
      metrics.metrics.push_back({-1, "train", "loss", result.loss});
      metrics.metrics.push_back({-1, "train", "lr", result.learning_rate});
      metrics.metrics.push_back({-1, "train", "grad_norm", result.grad_norm});
      metrics.metrics.push_back({-1, "train", "steps_per_s",
                                 static_cast<double>(recent_seconds.size()) / window_seconds});
      metrics.metrics.push_back(
          {-1, "train", "tokens_per_s", static_cast<double>(window_tokens) / window_seconds});
      sink.on_step(metrics);
      const bool last = step == config_.train.steps;
      if ((every(step, config_.train.eval_every) || last) && !emit_eval(step)) {
        return end_stopped(" during evaluation");
      }
      if (every(step, config_.train.routing_every) || last) emit_routing(step);
      if (every(step, config_.train.checkpoint_every) || last) emit_checkpoint(step);
    }
    if (config_.train.steps == start_step_ && start_step_ > 0 && !emit_eval(start_step_)) {
      return end_stopped(" during evaluation");
    }
    ended.status = adapt_heldout_tasks(*this, sink, control, ended.step, &ended.message);
  } catch (const std::exception& error) {
    ended.status = RunStatus::kFailed;
    ended.message = error.what();
  }
  sink.on_run_ended(ended);
  return ended;
}

}  // namespace tensorpoly::train
