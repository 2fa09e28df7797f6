// The engine facade (experiment.h): a Trainer driven by a RunControl.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensorpoly/experiment.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <utility>

#include "data/task_suite.h"
#include "tensorpoly/runtime.h"
#include "train/trainer.h"

namespace tensorpoly {

struct Experiment::State {
  ExperimentConfig config;
  train::RunControl control;
  std::unique_ptr<train::Trainer> trainer;  // from prepare(), used by the next run()
};

Experiment::Experiment(ExperimentConfig config) : state_(std::make_unique<State>()) {
  validate(config);
  state_->config = std::move(config);
}

Experiment::~Experiment() = default;

void Experiment::prepare() {
  if (state_->trainer) return;
  const ExperimentConfig& config = state_->config;
  // Checked here so that the message names the field pointing at the missing file (the
  // base checkpoint would otherwise only be opened after RunStarted); a file that exists
  // but is not a checkpoint is reported when it is read.
  const std::pair<const char*, const std::string*> files[] = {
      {"train.resume_from", &config.train.resume_from},
      {"base.checkpoint", &config.base.checkpoint}};
  for (const auto& [field, path] : files) {
    std::error_code error;
    if (!path->empty() && std::filesystem::is_directory(*path, error)) {
      throw SetupError(std::string(field) + ": '" + *path +
                       "' is a directory, not a checkpoint file");
    }
    if (!path->empty() && !std::ifstream(*path)) {
      throw SetupError(std::string(field) + ": cannot open checkpoint '" + *path + "' (" +
                       std::strerror(errno) + ")");
    }
  }
  try {
    configure_threads(config.threads);
    state_->trainer = std::make_unique<train::Trainer>(config);
  } catch (const SetupError&) {
    throw;
  } catch (const std::exception& error) {
    // Everything the trainer's constructor reads is input: the device, the suite and its
    // data files (data::DataError lists each file:line and field), the resume checkpoint.
    throw SetupError(error.what());
  }
}

RunEnded Experiment::run(EventSink& sink) {
  try {
    prepare();
  } catch (const SetupError& error) {
    RunEnded ended;
    ended.status = RunStatus::kFailed;
    ended.message = error.what();
    sink.on_run_ended(ended);
    return ended;
  }
  // A trainer serves one run: a second run() prepares afresh.
  const std::unique_ptr<train::Trainer> trainer = std::move(state_->trainer);
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
