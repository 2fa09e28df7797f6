// Run progress on the console for tensorpoly-run (train, study): one rewritten line on a
// terminal, plain log lines otherwise.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensorpoly/events.h"

namespace tensorpoly::app {

// "12m05s", "1h02m"; "?" for a negative or non-finite duration.
std::string duration_text(double seconds);

class ConsoleSink : public EventSink {
 public:
  explicit ConsoleSink(bool terminal) : terminal_(terminal) {}

  void on_run_started(const RunStarted& e) override;
  void on_progress(const StageProgress& e) override;
  void on_step(const StepMetrics& e) override;
  void on_eval(const EvalResult& e) override;
  void on_routing(const RoutingSnapshot& /*e*/) override {}
  void on_checkpoint(const CheckpointSaved& e) override;
  void on_run_ended(const RunEnded& e) override;

 private:
  static std::string format(double value);

  // `transient` lines are overwritten by the next line on a terminal.
  void print(const std::string& text, bool transient);

  bool terminal_;
  int64_t total_steps_ = 0;
  std::vector<std::string> task_names_;  // by task index
};

}  // namespace tensorpoly::app
