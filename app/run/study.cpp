// tensorpoly-run study: every combination of methods and seeds of one experiment, run in
// turn and recorded as one named study; combinations already finished in the store are
// skipped, so an interrupted study resumes where it stopped.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "run/command.h"
#include "run/config_args.h"
#include "run/options.h"
#include "run/run_experiment.h"
#include "run/store_args.h"
#include "tensorpoly/config.h"
#include "tensorpoly/config_diff.h"
#include "tensorpoly/experiment.h"
#include "tensorpoly/sessions/recorder.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::app {
namespace {

// Fields a combination may change without changing its results: where and how it runs,
// and adapter.n_tasks, which the trainer sets from the suite (compared as suite.*).
const std::vector<std::string>& ignored_for_study() {
  static const std::vector<std::string> fields = {
      "name",           "device",         "threads", "train.checkpoint_dir", "train.resume_from",
      "base.cache_dir", "adapter.n_tasks"};
  return fields;
}

struct Combination {
  std::string method;  // a preset name
  uint64_t seed = 0;
  ExperimentConfig config;
};

std::vector<std::string> method_list(const std::string& text) {
  std::vector<std::string> methods;
  std::stringstream parts(text);
  std::string method;
  while (std::getline(parts, method, ',')) {
    if (method.empty())
      throw std::invalid_argument("--methods: empty method name in '" + text + "'");
    if (std::find(methods.begin(), methods.end(), method) != methods.end()) {
      throw std::invalid_argument("--methods: '" + method + "' listed twice");
    }
    methods.push_back(method);
  }
  if (methods.empty()) throw std::invalid_argument("--methods M1,M2,... is required");
  return methods;
}

// The base experiment with the method preset's adapter section and the seed: what varies
// with the seed is the adapters' initialisation, the batches and the routing noise; the
// suite and the cached base model stay the same.
ExperimentConfig combination_config(const ExperimentConfig& base, const std::string& study,
                                    const std::string& method, uint64_t seed) {
  ExperimentConfig config = base;
  try {
    config.adapter = load_preset(method).adapter;
  } catch (const ConfigError& error) {
    throw std::invalid_argument("--methods: " + std::string(error.what()));
  }
  config.seed = seed;
  config.name = study + ": " + method + " seed " + std::to_string(seed);
  if (!config.train.checkpoint_dir.empty()) {
    config.train.checkpoint_dir += "/" + method + "-seed-" + std::to_string(seed);
  }
  return config_from_json_text(to_json_text(config));  // validated, a matched rank resolved
}

// The finished run of the combination already in the study, or 0. A finished run of
// another configuration is refused: mixing it in would compare unlike runs.
int64_t finished_run(const sessions::Store& store, const std::string& study,
                     const Combination& combination) {
  int64_t found = 0;
  for (const sessions::StudyRun& run : store.study_runs(study)) {
    if (run.method != combination.method || run.seed != combination.seed ||
        run.run.status != "finished") {
      continue;
    }
    const auto differences =
        diff_configs_except(store.run_details(run.run.id).config_json,
                            to_json_text(combination.config), ignored_for_study());
    if (!differences.empty()) {
      throw std::invalid_argument(
          "study '" + study + "' holds run " + std::to_string(run.run.id) + " (" +
          combination.method + " seed " + std::to_string(combination.seed) +
          ") of another configuration: " + describe_differences(differences, "there", "here") +
          "; give the study another --name or the same configuration");
    }
    found = run.run.id;
  }
  return found;
}

// Makes the recorded run a run of the study as soon as its row exists.
class StudyLink : public EventSink {
 public:
  StudyLink(sessions::Store& store, sessions::Recorder& recorder, std::string study,
            const Combination& combination)
      : store_(store), recorder_(recorder), study_(std::move(study)), combination_(combination) {}
  void on_run_started(const RunStarted& /*event*/) override {
    store_.add_study_run(recorder_.run_id(), study_, combination_.method, combination_.seed);
  }
  void on_step(const StepMetrics& /*event*/) override {}
  void on_eval(const EvalResult& /*event*/) override {}
  void on_routing(const RoutingSnapshot& /*event*/) override {}
  void on_checkpoint(const CheckpointSaved& /*event*/) override {}
  void on_run_ended(const RunEnded& /*event*/) override {}

 private:
  sessions::Store& store_;
  sessions::Recorder& recorder_;
  std::string study_;
  const Combination& combination_;
};

// Runs one combination into the store; its status.
RunStatus run_combination(const std::string& database, sessions::Store& store,
                          const std::string& study, const Combination& combination) {
  Experiment experiment(combination.config);
  experiment.prepare();  // bad data or device: a usage error before anything is recorded
  sessions::Recorder recorder(database);
  StudyLink link(store, recorder, study, combination);
  const RunEnded ended = run_experiment(experiment, {&recorder, &link});
  recorder.close();
  std::cout << "study '" << study << "': " << combination.method << " seed " << combination.seed
            << " " << run_status_name(ended.status) << " as run " << recorder.run_id() << std::endl;
  return ended.status;
}

int study(const std::vector<std::string>& args) {
  install_stop_signals();
  const OptionSpec spec{{"name", "methods", "seeds", "config", "preset", "db", "threads"}, {}};
  const ExperimentConfig base =
      config_from_arguments(args, positional_arguments(args, "study", spec), "default");
  const std::string name = option_value(args, "name");
  if (name.empty()) throw std::invalid_argument("--name NAME is required");
  const std::vector<std::string> methods = method_list(option_value(args, "methods"));
  const std::optional<int64_t> seeds = integer_option(args, {"seeds", "a seed count", 1, 1000});
  if (!seeds) throw std::invalid_argument("--seeds N is required");
  // Seed-major: after one sweep every method has a run, however early the study stops.
  std::vector<Combination> combinations;
  for (int64_t i = 0; i < *seeds; ++i) {
    const uint64_t seed = base.seed + static_cast<uint64_t>(i);
    for (const std::string& method : methods) {
      combinations.push_back({method, seed, combination_config(base, name, method, seed)});
    }
  }
  const std::string database = database_option(args);
  std::unique_ptr<sessions::Store> store;
  try {
    store = std::make_unique<sessions::Store>(sessions::Store::open(database));
    if (store->read_only()) throw sessions::StoreError(store->notice());
  } catch (const sessions::StoreError& error) {
    return report_store_error("study", error);
  }
  std::vector<const Combination*> to_run;
  for (const Combination& combination : combinations) {
    const int64_t done = finished_run(*store, name, combination);
    if (done > 0) {
      std::cout << "study '" << name << "': " << combination.method << " seed " << combination.seed
                << " already finished as run " << done << ", skipped" << std::endl;
    } else {
      to_run.push_back(&combination);
    }
  }
  std::cout << "study '" << name << "': " << to_run.size() << " of " << combinations.size()
            << " combinations to run, recording into " << database << std::endl;
  size_t unfinished = 0;
  for (size_t i = 0; i < to_run.size(); ++i) {
    std::cout << "study '" << name << "': [" << i + 1 << "/" << to_run.size() << "] "
              << to_run[i]->method << " seed " << to_run[i]->seed << std::endl;
    RunStatus status = RunStatus::kFailed;
    try {
      status = run_combination(database, *store, name, *to_run[i]);
    } catch (const sessions::StoreError& error) {
      return report_store_error("study", error);
    }
    if (status == RunStatus::kStopped || stop_signal_received()) {
      std::cout << "study '" << name << "' stopped; run the same command again to resume it"
                << std::endl;
      return kExitStopped;
    }
    if (status != RunStatus::kFinished) ++unfinished;
  }
  if (unfinished > 0) {
    std::cerr << "tensorpoly-run study: " << unfinished
              << " combination(s) did not finish; the same command runs them again\n";
    return kExitFailure;
  }
  std::cout << "study '" << name << "' complete: tensorpoly-run study-report --name " << name
            << " --db " << database << std::endl;
  return kExitOk;
}

const Registration registration(
    "study",
    {"run methods x seeds of one experiment as a named study (resumable)",
     "tensorpoly-run study --name NAME --methods M1,M2,... --seeds N\n"
     "                     [--preset NAME | --config FILE] [--db FILE] [--threads N]\n"
     "                     [key=value ...]\n"
     "  Runs every combination of the methods (preset names: their adapter section\n"
     "  replaces the experiment's, e.g. tensorpoly-1, poly, lora, lora-matched) and the\n"
     "  seeds S+0 .. S+N-1 (S = the experiment's seed) of the experiment (default:\n"
     "  --preset default, with the overrides given), one after another, seed by seed, and\n"
     "  records them into the store (default: $TENSORPOLY_DB or the GUI's store) as study\n"
     "  NAME. The seed varies the adapters' initialisation, the batches and the routing\n"
     "  noise; the task suite and the cached base model stay the same. A combination the\n"
     "  store already holds as a finished run of the study is skipped, so running the\n"
     "  same command again resumes an interrupted study (a finished run of another\n"
     "  configuration is refused, naming the fields that differ). SIGINT/SIGTERM stop\n"
     "  the current run after its step; the study stops there (exit 4).\n"
     "  Then: tensorpoly-run study-report --name NAME.\n"
     "Exit codes: 0 every combination finished, 1 some failed or diverged (the same\n"
     "command runs them again), 2 bad command line or configuration, 4 stopped, 5 store\n"
     "error.",
     study});

}  // namespace
}  // namespace tensorpoly::app
