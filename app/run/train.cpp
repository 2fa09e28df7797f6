// tensorpoly-run train: run an experiment headless, recording it into the SQLite store.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <chrono>
#include <iostream>
#include <memory>

#include "run/command.h"
#include "run/config_args.h"
#include "run/options.h"
#include "run/run_experiment.h"
#include "tensorpoly/config.h"
#include "tensorpoly/experiment.h"
#include "tensorpoly/sessions/recorder.h"

namespace tensorpoly::app {
namespace {

int train(const std::vector<std::string>& args) {
  install_stop_signals();
  const OptionSpec spec{{"config", "preset", "db", "threads", "store-wait"}, {"no-db"}};
  const ExperimentConfig config =
      config_from_arguments(args, positional_arguments(args, "train", spec));
  sessions::RecorderOptions recorder_options;
  recorder_options.busy_retry = std::chrono::seconds(integer_option(
      args, {"store-wait", "a number of seconds", 0, 86400, "how long to wait for a locked store"},
      120));

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

  std::vector<EventSink*> sinks;
  if (recorder) sinks.push_back(recorder.get());
  const RunEnded ended = run_experiment(experiment, sinks);
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
  return exit_code_of(ended.status);
}

const Registration registration(
    "train",
    {"train an experiment (records into the SQLite store)",
     "tensorpoly-run train (--config FILE | --preset NAME) [--db FILE | --no-db] [--threads N]\n"
     "                     [--store-wait S] [key=value ...]\n"
     "  --config FILE   experiment configuration (JSON; see resources/presets/)\n"
     "  --preset NAME   a preset from resources/presets (default, tiny, lora, lora-matched,\n"
     "                  tlora, poly, mhr, tensorpoly-1, tensorpoly-2, none: the frozen base,\n"
     "                  evaluation only)\n"
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
