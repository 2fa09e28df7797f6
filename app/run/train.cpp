// tensorpoly-run train: run an experiment headless, recording it into the SQLite store.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <thread>

#include "run/command.h"
#include "run/options.h"
#include "tensorpoly/config.h"
#include "tensorpoly/experiment.h"
#include "tensorpoly/sessions/recorder.h"

namespace tensorpoly::app {
namespace {

std::atomic<int> g_signal{0};

extern "C" void on_stop_signal(int signal) { g_signal.store(signal); }

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

// Progress on the console: one rewritten line on a terminal, plain log lines otherwise.
class ConsoleSink : public EventSink {
 public:
  explicit ConsoleSink(bool terminal) : terminal_(terminal) {}

  void on_run_started(const RunStarted& e) override {
    total_steps_ = e.total_steps;
    std::ostringstream tasks;
    int families = 0;
    for (const auto& task : e.tasks) families += task.family.empty() ? 0 : 1;
    std::cout << "run '" << e.name << "': method " << e.method << ", " << e.tasks.size() << " tasks"
              << (families ? " (with families)" : "") << ", device " << e.device << ", "
              << e.parameters.trainable << " trainable of " << e.parameters.total << " parameters, "
              << e.total_steps << " steps"
              << (e.start_step > 0 ? ", resuming at step " + std::to_string(e.start_step) : "")
              << std::endl;
  }

  void on_progress(const StageProgress& e) override {
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

  void on_step(const StepMetrics& e) override {
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

  void on_eval(const EvalResult& e) override {
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
    line << "eval (" << e.split << ") at step " << e.step << ": mean loss "
         << format(e.tasks.empty() ? 0 : loss / static_cast<double>(e.tasks.size()));
    if (n_exact) line << ", mean exact match " << format(exact / n_exact);
    print(line.str(), false);
  }

  void on_routing(const RoutingSnapshot&) override {}

  void on_checkpoint(const CheckpointSaved& e) override {
    print("checkpoint at step " + std::to_string(e.step) + ": " + e.path, false);
  }

  void on_run_ended(const RunEnded& e) override {
    print(std::string("run ") + run_status_name(e.status) + " at step " + std::to_string(e.step) +
              (e.message.empty() ? "" : ": " + e.message),
          false);
  }

 private:
  static std::string format(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.4g", value);
    return text;
  }

  // `transient` lines are overwritten by the next line on a terminal.
  void print(const std::string& text, bool transient) {
    if (terminal_) {
      std::cout << "\r\033[K" << text;
      if (!transient) std::cout << "\n";
      std::cout << std::flush;
    } else {
      std::cout << text << std::endl;
    }
  }

  bool terminal_;
  int64_t total_steps_ = 0;
};

int train(const std::vector<std::string>& args) {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGHUP, on_stop_signal);  // a dropped ssh session stops like SIGTERM
  const OptionSpec spec{{"config", "preset", "db", "threads", "store-wait"}, {"no-db"}};
  std::vector<std::string> overrides = positional_arguments(args, "train", spec);
  const std::string config_path = option_value(args, "config");
  const std::string preset = option_value(args, "preset");
  if (config_path.empty() == preset.empty()) {
    throw std::invalid_argument("give exactly one of --config FILE or --preset NAME");
  }
  for (const std::string& override_text : overrides) {
    if (override_text.find('=') == std::string::npos) {
      throw std::invalid_argument("unexpected argument '" + override_text +
                                  "' (overrides are key=value, e.g. train.steps=200)");
    }
  }
  if (has_flag(args, "no-db") && !option_value(args, "db").empty()) {
    throw std::invalid_argument("give --db FILE or --no-db, not both");
  }
  const std::string threads = option_value(args, "threads");
  if (!threads.empty()) {
    for (const std::string& override_text : overrides) {
      if (override_text.rfind("threads=", 0) == 0) {
        std::string message = "give the thread count once: --threads " + threads;
        message += " and '" + override_text + "'";
        throw std::invalid_argument(message);
      }
    }
    overrides.push_back("threads=" + threads);
  }
  sessions::RecorderOptions recorder_options;
  recorder_options.busy_retry = std::chrono::seconds(integer_option(
      args, {"store-wait", "a number of seconds", 0, 86400, "how long to wait for a locked store"},
      120));
  ExperimentConfig config =
      config_path.empty() ? load_preset(preset) : config_from_file(config_path);
  config = apply_overrides(config, overrides);

  // Data files, device and resume checkpoint are read before the store is touched: a run
  // that cannot start is a usage error (SetupError, exit 2) and leaves no run row.
  Experiment experiment(config);
  experiment.prepare();

  std::unique_ptr<sessions::Recorder> recorder;
  if (!has_flag(args, "no-db")) {
    const std::string database = option_value(args, "db", default_database_path());
    try {
      recorder = std::make_unique<sessions::Recorder>(database, recorder_options);
    } catch (const std::exception& error) {
      std::cerr << "tensorpoly-run train: cannot open the store '" << database
                << "': " << error.what() << "\n";
      return kExitStoreError;
    }
    std::cout << "recording into " << database << std::endl;
  }

  ConsoleSink console(::isatty(STDOUT_FILENO) == 1);
  std::vector<EventSink*> sinks{&console};
  if (recorder) sinks.insert(sinks.begin(), recorder.get());
  FanOutSink sink(sinks);

  // Signals (handlers installed at the start) only set a flag; this thread turns it into
  // a stop request.
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    while (!finished.load()) {
      if (g_signal.load() != 0) {
        if (!experiment.is_stop_requested()) {
          std::cerr << "\nsignal " << g_signal.load() << ": stopping after this step" << std::endl;
          experiment.stop();
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  RunEnded ended;
  try {
    ended = experiment.run(sink);
  } catch (...) {
    finished = true;
    watcher.join();
    throw;
  }
  finished = true;
  watcher.join();
  if (recorder) {
    // No run row: recording its start failed (the store locked, the disk full), which
    // the run reported as its failure.
    if (recorder->run_id() == 0 && !recorder->failure().empty()) {
      std::cerr << "tensorpoly-run train: the store failed: " << recorder->failure() << "\n";
      return kExitStoreError;
    }
    try {
      recorder->close();
      // Id 0: the run ended before RunStarted, so the store holds no row for it.
      if (recorder->run_id() > 0) {
        std::cout << "stored as run " << recorder->run_id() << std::endl;
      } else {
        std::cout << "nothing stored (the run never started)" << std::endl;
      }
    } catch (const std::exception& error) {
      std::cerr << "tensorpoly-run train: the store failed: " << error.what() << "\n";
      return kExitStoreError;
    }
  }
  switch (ended.status) {
    case RunStatus::kFinished:
      return kExitOk;
    case RunStatus::kStopped:
      return kExitStopped;
    case RunStatus::kDiverged:
      return kExitDiverged;
    default:
      return kExitFailure;
  }
}

const Registration registration(
    "train",
    {"train an experiment (records into the SQLite store)",
     "tensorpoly-run train (--config FILE | --preset NAME) [--db FILE | --no-db] [--threads N]\n"
     "                     [--store-wait S] [key=value ...]\n"
     "  --config FILE   experiment configuration (JSON; see resources/presets/)\n"
     "  --preset NAME   a preset from resources/presets (default, tiny, lora, tlora, poly, mhr,\n"
     "                  tensorpoly-1, tensorpoly-2, none: the frozen base, evaluation only)\n"
     "  --db FILE       the store (default: $TENSORPOLY_DB or the GUI's sessions.sqlite)\n"
     "  --no-db         do not record; print progress only\n"
     "  --threads N     intra-op threads (same as threads=N)\n"
     "  --store-wait S  keep retrying for S seconds while another program holds the store\n"
     "                  locked (default 120); then the run ends failed, exit 5\n"
     "  key=value       overrides, e.g. train.steps=200 adapter.rank=8 device=cuda:0\n"
     "On a terminal a progress line shows step, loss, steps/s and ETA; otherwise plain log\n"
     "lines. SIGINT/SIGTERM/SIGHUP stop after the current step with a checkpoint (status\n"
     "stopped).\n"
     "Data files, device and resume checkpoint are checked before anything is recorded: a\n"
     "malformed JSONL line (file:line and field), an unknown option or a bad value exits 2\n"
     "and stores no run.\n"
     "Exit codes: 0 finished, 1 failed, 2 bad command line, configuration, data, device\n"
     "or resume checkpoint (no run stored), 3 diverged, 4 stopped, 5 store error (the run\n"
     "is stored as failed with the reason when the store lets it).",
     train});

}  // namespace
}  // namespace tensorpoly::app
