// The torch-free event stream of a run (DESIGN.md, "Data flow").
// The engine thread calls an EventSink; the sessions Recorder stores the events
// and tensorpoly-run prints progress. Sinks must not block for long: copy what
// you need and return.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensorpoly/routing.h"

namespace tensorpoly {

enum class RunStatus { kRunning, kFinished, kStopped, kFailed, kDiverged, kInterrupted };

const char* run_status_name(RunStatus status);        // "running", "finished", ...
RunStatus parse_run_status(const std::string& name);  // throws std::invalid_argument

struct TaskInfo {
  int index = 0;
  std::string name;
  std::string family;               // empty when unknown
  std::vector<std::string> skills;  // ground-truth primitives, empty when unknown
  std::string split = "train";      // "train" or "heldout"
};

struct ParameterCounts {
  int64_t total = 0;      // every parameter of the model, frozen included
  int64_t trainable = 0;  // adapters + routers (+ base when unfrozen)
  int64_t router = 0;     // router logits only
  int64_t per_task = 0;   // (trainable - router) / n_tasks + router / n_tasks
};

struct RunStarted {
  std::string name;
  std::string config_json;  // the full, validated config
  std::string method;
  std::vector<TaskInfo> tasks;
  ParameterCounts parameters;
  std::string device;  // "cpu", "cuda:0"
  std::string app_version;
  std::string torch_version;
  uint64_t seed = 0;
  int64_t total_steps = 0;
  int64_t start_step = 0;  // > 0 when resumed from a checkpoint
};

// One scalar. task = -1 when the metric is not per task (mean loss, lr, ...).
struct Metric {
  int task = -1;
  std::string split;  // "train", "eval", "heldout"
  std::string name;   // "loss", "lr", "tokens_per_s", "exact_match", ...
  double value = 0.0;
};

struct StepMetrics {
  int64_t step = 0;
  double wall_time_s = 0.0;  // since the run started
  std::vector<Metric> metrics;
};

// One task's evaluation. Tasks without validation examples are left out of an
// EvalResult (there is nothing to measure, and a loss of 0 would pull means down).
struct TaskEvaluation {
  int task = 0;
  double loss = 0.0;          // mean token loss over the task's validation examples
  double exact_match = -1.0;  // in [0, 1]; -1 when not measured
  double accuracy = -1.0;     // rank classification; -1 when not measured
  int64_t n_examples = 0;     // >= 1
};

// An evaluation of some tasks on their validation examples. The split says which tasks
// and which step axis:
//   "eval"    the training tasks during multi-task training; `step` is the optimiser
//             step of the run (0 = before training).
//   "heldout" one held-out task during its few-shot adaptation (each task is adapted on
//             its own, from the trained weights), after the last training step; `step`
//             counts few-shot steps on an axis of its own (0 = before adaptation, then
//             every few_shot.eval_every steps and the last one), not the run's step.
struct EvalResult {
  int64_t step = 0;
  double wall_time_s = 0.0;  // since the run started
  std::string split = "eval";
  std::vector<TaskEvaluation> tasks;
};

// The routing of every task at a step. Stage "train": as multi-task training left it at
// optimiser step `step`. Stage "few_shot": after few-shot adaptation, which followed
// training step `step`: each held-out task's row as its own adaptation learned it (which
// skills a new task reuses), every training task's row as trained.
struct RoutingSnapshot {
  int64_t step = 0;
  std::vector<RoutingMatrix> layers;
  std::string stage = "train";  // "train" or "few_shot"
};

struct CheckpointSaved {
  int64_t step = 0;
  std::string path;
};

// Progress of a stage that is not part of the run's step count: building (pre-training)
// the cached base model, few-shot adaptation (whose evaluations arrive as EvalResult with
// split "heldout"). `step` of `total_steps`.
struct StageProgress {
  std::string stage;  // "base", "few_shot"
  int64_t step = 0;
  int64_t total_steps = 0;
  double loss = 0.0;         // mean training loss of the step, NaN when none
  double wall_time_s = 0.0;  // since the stage started
  std::string message;       // e.g. "copy stage", "cached base loaded from ..."
};

struct RunEnded {
  RunStatus status = RunStatus::kFinished;
  int64_t step = 0;     // last completed step
  std::string message;  // error text, diverged tensor, ...
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_run_started(const RunStarted& event) = 0;
  virtual void on_step(const StepMetrics& event) = 0;
  virtual void on_eval(const EvalResult& event) = 0;
  virtual void on_routing(const RoutingSnapshot& event) = 0;
  virtual void on_checkpoint(const CheckpointSaved& event) = 0;
  virtual void on_run_ended(const RunEnded& event) = 0;
  // Optional: stage progress (base pre-training, few-shot adaptation). Default: ignored.
  virtual void on_progress(const StageProgress& /*event*/) {}
};

// Forwards every event to several sinks, in order.
class FanOutSink : public EventSink {
 public:
  explicit FanOutSink(std::vector<EventSink*> sinks) : sinks_(std::move(sinks)) {}
  void on_run_started(const RunStarted& e) override {
    for (auto* s : sinks_) s->on_run_started(e);
  }
  void on_step(const StepMetrics& e) override {
    for (auto* s : sinks_) s->on_step(e);
  }
  void on_eval(const EvalResult& e) override {
    for (auto* s : sinks_) s->on_eval(e);
  }
  void on_routing(const RoutingSnapshot& e) override {
    for (auto* s : sinks_) s->on_routing(e);
  }
  void on_checkpoint(const CheckpointSaved& e) override {
    for (auto* s : sinks_) s->on_checkpoint(e);
  }
  void on_run_ended(const RunEnded& e) override {
    for (auto* s : sinks_) s->on_run_ended(e);
  }
  void on_progress(const StageProgress& e) override {
    for (auto* s : sinks_) s->on_progress(e);
  }

 private:
  std::vector<EventSink*> sinks_;
};

}  // namespace tensorpoly
