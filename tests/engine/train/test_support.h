// Helpers of the training tests: a tiny configuration and a sink that records events.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "tensorpoly/config.h"
#include "tensorpoly/events.h"
#include "test_paths.h"

namespace tensorpoly::testing {

// t5-mini on a 4-task suite with a random base: a step takes milliseconds.
inline ExperimentConfig tiny_config(const std::string& checkpoint_dir) {
  ExperimentConfig config;
  config.name = "tiny";
  config.device = "cpu";
  config.threads = 1;  // the CI machine is shared; OpenMP spinning on a busy core is slow
  config.seed = 7;
  config.adapter.method = "tensorpoly-1";
  config.adapter.rank = 4;
  config.adapter.order = 2;
  config.adapter.n_skills = 4;
  config.suite.synthetic.n_tasks = 4;
  config.suite.synthetic.n_heldout = 1;
  config.suite.synthetic.min_length = 3;
  config.suite.synthetic.max_length = 5;
  config.suite.synthetic.alphabet = "abcdef";
  config.suite.synthetic.n_validation = 4;
  config.train.steps = 6;
  config.train.batch_size = 4;
  config.train.eval_every = 0;
  config.train.routing_every = 0;
  config.train.checkpoint_every = 0;
  config.train.checkpoint_dir = checkpoint_dir;
  config.base.pretrain_steps = 0;
  config.base.copy_steps = 0;
  config.few_shot.steps = 0;  // the few-shot tests turn it on
  return config;
}

inline std::string temporary_directory(const std::string& name) {
  return std::string(TENSORPOLY_BINARY_DIR) + "/test-tmp/" + name + "-" +
         std::to_string(::getpid());
}

// Thread-safe record of everything a run reported.
class RecordingSink : public EventSink {
 public:
  void on_run_started(const RunStarted& e) override {
    std::lock_guard<std::mutex> lock(mutex_);
    started.push_back(e);
    order.push_back("started");
  }
  void on_step(const StepMetrics& e) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      steps.push_back(e);
      order.push_back("step");
    }
    last_step.store(e.step);
    if (on_step_hook) on_step_hook(e);
  }
  void on_eval(const EvalResult& e) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      evals.push_back(e);
      order.push_back("eval");
    }
    if (on_eval_hook) on_eval_hook(e);
  }
  void on_routing(const RoutingSnapshot& e) override {
    std::lock_guard<std::mutex> lock(mutex_);
    routing.push_back(e);
    order.push_back("routing");
  }
  void on_checkpoint(const CheckpointSaved& e) override {
    std::lock_guard<std::mutex> lock(mutex_);
    checkpoints.push_back(e);
    order.push_back("checkpoint");
  }
  void on_run_ended(const RunEnded& e) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ended.push_back(e);
    order.push_back("ended");
  }
  void on_progress(const StageProgress& e) override {
    std::lock_guard<std::mutex> lock(mutex_);
    progress.push_back(e);
  }

  // The mean training loss of every step, by step.
  std::vector<std::pair<int64_t, double>> losses() const {
    std::vector<std::pair<int64_t, double>> result;
    for (const auto& step : steps) {
      for (const auto& metric : step.metrics) {
        if (metric.task == -1 && metric.name == "loss")
          result.emplace_back(step.step, metric.value);
      }
    }
    return result;
  }

  std::vector<RunStarted> started;
  std::vector<StepMetrics> steps;
  std::vector<EvalResult> evals;
  std::vector<RoutingSnapshot> routing;
  std::vector<CheckpointSaved> checkpoints;
  std::vector<RunEnded> ended;
  std::vector<StageProgress> progress;
  std::vector<std::string> order;
  std::atomic<int64_t> last_step{0};
  std::function<void(const StepMetrics&)> on_step_hook;
  std::function<void(const EvalResult&)> on_eval_hook;  // on the engine thread

  // The steps of the evaluations of one split, in arrival order.
  std::vector<int64_t> eval_steps(const std::string& split) const {
    std::vector<int64_t> result;
    for (const auto& eval : evals) {
      if (eval.split == split) result.push_back(eval.step);
    }
    return result;
  }

 private:
  std::mutex mutex_;
};

}  // namespace tensorpoly::testing
