// Running one experiment headless, as train and study do: SIGINT/SIGTERM turned into a
// stop request, progress on the console, events recorded by the sinks given, and the exit
// code of the run's status.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <vector>

#include "tensorpoly/events.h"
#include "tensorpoly/experiment.h"

namespace tensorpoly::app {

// Installs the SIGINT/SIGTERM handlers (they only set a flag); call before running.
void install_stop_signals();
// Whether SIGINT or SIGTERM arrived since install_stop_signals().
bool stop_signal_received();

// Runs `experiment` on this thread with events going to `sinks` (in order) and to the
// console; a stop signal stops it after the current step (with a checkpoint).
RunEnded run_experiment(Experiment& experiment, const std::vector<EventSink*>& sinks);

// tensorpoly-run's exit code for a run that ended with `status` (0 finished, 4 stopped,
// 3 diverged, 1 otherwise).
int exit_code_of(RunStatus status);

}  // namespace tensorpoly::app
