// The engine facade (experiment.h): a Trainer driven by a RunControl.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/experiment.h"

#include <mutex>

#include "data/task_suite.h"
#include "tensorpoly/runtime.h"
#include "train/trainer.h"

namespace tensorpoly {

struct Experiment::State {
  ExperimentConfig config;
  train::RunControl control;
};

Experiment::Experiment(ExperimentConfig config) : state_(std::make_unique<State>()) {
  validate(config);
  state_->config = std::move(config);
}

Experiment::~Experiment() = default;

RunEnded Experiment::run(EventSink& sink) {
  std::unique_ptr<train::Trainer> trainer;
  try {
    configure_threads(state_->config.threads);
    trainer = std::make_unique<train::Trainer>(state_->config);
  } catch (const std::exception& error) {
    RunEnded ended;
    ended.status = RunStatus::kFailed;
    ended.message = error.what();
    sink.on_run_ended(ended);
    return ended;
  }
  return trainer->run(sink, state_->control);
}

void Experiment::pause() { state_->control.pause(); }
void Experiment::resume() { state_->control.resume(); }
void Experiment::stop() { state_->control.request_stop(); }
bool Experiment::is_paused() const { return state_->control.paused(); }
bool Experiment::is_stop_requested() const { return state_->control.stop_requested(); }
const ExperimentConfig& Experiment::config() const { return state_->config; }

std::vector<TaskInfo> describe_tasks(const ExperimentConfig& config) {
  validate(config);
  return data::make_task_suite(config.suite)->tasks();
}

EvalResult evaluate_checkpoint(const ExperimentConfig& config, const std::string& checkpoint_path,
                               EventSink* sink) {
  ExperimentConfig resumed = config;
  resumed.train.resume_from = checkpoint_path;
  configure_threads(resumed.threads);
  train::Trainer trainer(resumed);
  if (!trainer.prepare(nullptr, nullptr)) throw std::runtime_error("evaluation stopped");
  EvalResult result;
  result.step = trainer.start_step();
  result.split = "eval";
  std::vector<int> tasks;
  for (const auto& task : trainer.suite().tasks()) {
    if (task.split == "train") tasks.push_back(task.index);
  }
  result.tasks = trainer.evaluate(tasks);
  if (sink) sink->on_eval(result);
  return result;
}

}  // namespace tensorpoly
