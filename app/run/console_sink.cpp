// Run progress on the console (run/console_sink.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/console_sink.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace tensorpoly::app {

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t total = std::llround(seconds);
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(total / 3600),
                  static_cast<long long>(total / 60 % 60));
  } else {
    std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  }
  return text;
}

void ConsoleSink::on_run_started(const RunStarted& e) {
  total_steps_ = e.total_steps;
  task_names_.clear();
  for (const auto& task : e.tasks) task_names_.push_back(task.name);
  int families = 0;
  for (const auto& task : e.tasks) families += task.family.empty() ? 0 : 1;
  std::cout << "run '" << e.name << "': method " << e.method << ", " << e.tasks.size() << " tasks"
            << (families ? " (with families)" : "") << ", device " << e.device << ", "
            << e.parameters.trainable << " trainable of " << e.parameters.total << " parameters, "
            << e.total_steps << " steps"
            << (e.start_step > 0 ? ", resuming at step " + std::to_string(e.start_step) : "")
            << std::endl;
}

void ConsoleSink::on_progress(const StageProgress& e) {
  std::ostringstream line;
  line << "[" << e.stage << "] ";
  if (e.step < e.total_steps || std::isfinite(e.loss)) {
    line << "step " << e.step << "/" << e.total_steps;
    if (std::isfinite(e.loss)) line << "  loss " << format(e.loss);
    if (e.step > 0 && e.wall_time_s > 0) {
      line << "  ETA "
           << duration_text(e.wall_time_s / static_cast<double>(e.step) *
                            static_cast<double>(e.total_steps - e.step));
    }
    line << "  " << e.message;
  } else {
    line << e.message;
  }
  print(line.str(), e.step < e.total_steps && std::isfinite(e.loss));
}

void ConsoleSink::on_step(const StepMetrics& e) {
  double loss = 0, steps_per_s = 0;
  for (const auto& metric : e.metrics) {
    if (metric.task != -1) continue;
    if (metric.name == "loss") loss = metric.value;
    if (metric.name == "steps_per_s") steps_per_s = metric.value;
  }
  const bool due = terminal_ ? true : (e.step % 25 == 0 || e.step == total_steps_);
  if (!due) return;
  std::ostringstream line;
  line << "step " << e.step << "/" << total_steps_ << "  loss " << format(loss) << "  "
       << format(steps_per_s) << " steps/s  ETA "
       << duration_text(steps_per_s > 0 ? (total_steps_ - e.step) / steps_per_s : -1);
  print(line.str(), true);
}

void ConsoleSink::on_eval(const EvalResult& e) {
  double loss = 0, exact = 0;
  int n_exact = 0;
  for (const auto& task : e.tasks) {
    loss += task.loss;
    if (task.exact_match >= 0) {
      exact += task.exact_match;
      ++n_exact;
    }
  }
  std::ostringstream line;
  if (e.split == "heldout" && e.tasks.size() == 1) {
    // Few-shot adaptation evaluates one held-out task at a time, on its own step axis.
    const auto task = static_cast<size_t>(e.tasks[0].task);
    line << "held-out task '"
         << (task < task_names_.size() ? task_names_[task] : std::to_string(task))
         << "' at few-shot step " << e.step << ": loss " << format(loss);
  } else {
    line << "eval (" << e.split << ") at step " << e.step << ": mean loss "
         << format(e.tasks.empty() ? 0 : loss / static_cast<double>(e.tasks.size()));
  }
  if (n_exact) line << ", mean exact match " << format(exact / n_exact);
  print(line.str(), false);
}

void ConsoleSink::on_checkpoint(const CheckpointSaved& e) {
  print("checkpoint at step " + std::to_string(e.step) + ": " + e.path, false);
}

void ConsoleSink::on_run_ended(const RunEnded& e) {
  print(std::string("run ") + run_status_name(e.status) + " at step " + std::to_string(e.step) +
            (e.message.empty() ? "" : ": " + e.message),
        false);
}

std::string ConsoleSink::format(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

void ConsoleSink::print(const std::string& text, bool transient) {
  if (terminal_) {
    std::cout << "\r\033[K" << text;
    if (!transient) std::cout << "\n";
    std::cout << std::flush;
  } else {
    std::cout << text << std::endl;
  }
}

}  // namespace tensorpoly::app
