// The engine facade (torch-free): build an experiment from its configuration, run it on
// the caller's thread while another thread may pause, resume or stop it.
//
//   tensorpoly::Experiment experiment(config);     // validates; throws ConfigError
//   experiment.prepare();                          // reads the data; throws SetupError
//   std::thread engine([&] { experiment.run(sink); });
//   ...  experiment.pause(); experiment.resume(); experiment.stop();
//
// run() reports everything through the EventSink: the base model's pre-training
// progress (on_progress, only when the cached base is missing), RunStarted, StepMetrics
// every step, EvalResult, RoutingSnapshot, CheckpointSaved, and exactly one RunEnded
// (finished, stopped, diverged or failed). Requests take effect between two steps,
// so within one step of being made.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensorpoly/config.h"
#include "tensorpoly/events.h"

namespace tensorpoly {

// What keeps a run from starting: malformed data files (each problem as
// "file:line: field 'x': ..."), an unusable device, an unreadable resume checkpoint, a
// suite without training tasks. A bad configuration or input, like ConfigError, hence
// std::invalid_argument.
class SetupError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class Experiment {
 public:
  explicit Experiment(ExperimentConfig config);
  ~Experiment();
  Experiment(const Experiment&) = delete;
  Experiment& operator=(const Experiment&) = delete;

  // Reads and checks everything the run needs before it starts (device, task suite and
  // data files, resume checkpoint), on the calling thread, emitting nothing; throws
  // SetupError. Cheap: the base model is built by run(). Calling it before run() lets a
  // caller refuse bad input before recording anything; run() calls it when it was not.
  void prepare();

  // Runs to the end (or to a stop request) on the calling thread. Errors while
  // running, and a failed prepare() inside it, are reported as RunEnded{kFailed} and
  // returned, not thrown; RunStarted precedes everything else only for a run that
  // got past prepare().
  RunEnded run(EventSink& sink);

  // Thread-safe; may be called before or during run().
  void pause();
  void resume();
  void stop();
  bool is_paused() const;
  bool is_stop_requested() const;

  const ExperimentConfig& config() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The tasks the configured suite holds (names, families, skills, splits), without
// training anything: what the GUI shows before a run starts. Throws ConfigError or
// std::runtime_error for unreadable data files.
std::vector<TaskInfo> describe_tasks(const ExperimentConfig& config);

// Re-evaluates a training checkpoint written by run() (the model it describes, built
// from `config`) on the validation examples of the training tasks; reports
// RunStarted-free: only EvalResult through `sink` when given. Returns the evaluation.
EvalResult evaluate_checkpoint(const ExperimentConfig& config, const std::string& checkpoint_path,
                               EventSink* sink = nullptr);

}  // namespace tensorpoly
