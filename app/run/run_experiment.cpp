// Running one experiment headless (run/run_experiment.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/run_experiment.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include "run/command.h"
#include "run/console_sink.h"

namespace tensorpoly::app {
namespace {

std::atomic<int> g_signal{0};

extern "C" void on_stop_signal(int signal) { g_signal.store(signal); }

}  // namespace

void install_stop_signals() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGHUP, on_stop_signal);  // a dropped ssh session stops like SIGTERM
}

bool stop_signal_received() { return g_signal.load() != 0; }

RunEnded run_experiment(Experiment& experiment, const std::vector<EventSink*>& sinks) {
  ConsoleSink console(::isatty(STDOUT_FILENO) == 1);
  std::vector<EventSink*> all = sinks;
  all.push_back(&console);
  FanOutSink sink(all);
  // The handlers only set a flag; this thread turns it into a stop request.
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    while (!finished.load()) {
      if (g_signal.load() != 0 && !experiment.is_stop_requested()) {
        std::cerr << "\nsignal " << g_signal.load() << ": stopping after this step" << std::endl;
        experiment.stop();
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
  return ended;
}

int exit_code_of(RunStatus status) {
  switch (status) {
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

}  // namespace tensorpoly::app
