// tensorpoly-run suite: print a configured task suite as the model sees it, one JSON
// object per line: its examples (split by split) or, with --tasks, its tasks.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "run/command.h"
#include "run/config_args.h"
#include "run/options.h"
#include "tensorpoly/suite_inspection.h"

namespace tensorpoly::app {
namespace {

int suite(const std::vector<std::string>& args) {
  const OptionSpec spec{{"config", "preset", "split", "limit", "threads"}, {"tasks"}};
  const ExperimentConfig config =
      config_from_arguments(args, positional_arguments(args, "suite", spec), "default");
  if (has_flag(args, "tasks")) {
    if (!option_value(args, "split").empty() || !option_value(args, "limit").empty()) {
      throw std::invalid_argument("--tasks lists the tasks; --split and --limit select examples");
    }
    for (const SuiteTask& task : describe_suite_tasks(config)) {
      const nlohmann::ordered_json line = {{"name", task.info.name},
                                           {"tag", task.tag},
                                           {"split", task.info.split},
                                           {"family", task.info.family},
                                           {"primitives", task.info.skills}};
      std::cout << line.dump() << "\n";
    }
    return kExitOk;
  }
  const std::string split = option_value(args, "split");
  if (!split.empty() && split != "train" && split != "validation" && split != "heldout") {
    throw std::invalid_argument("--split expects train, validation or heldout, got '" + split +
                                "'");
  }
  const int64_t limit =
      integer_option(args, {"limit", "an example count per task and split", 1}, 10);
  const std::vector<std::string> splits =
      split.empty() ? suite_splits() : std::vector<std::string>{split};
  for (const std::string& name : splits) {
    for (const SuiteExample& example : suite_examples(config, name, limit)) {
      nlohmann::ordered_json line = {{"task", example.task},
                                     {"split", example.split},
                                     {"input", example.input},
                                     {"target", example.target}};
      if (!example.choices.empty()) line["choices"] = example.choices;
      std::cout << line.dump() << "\n";
    }
  }
  return kExitOk;
}

const Registration registration(
    "suite",
    {"print a task suite's examples (or tasks) as the model sees them, as JSON lines",
     "tensorpoly-run suite [--preset NAME | --config FILE] [key=value ...]\n"
     "                     [--split train|validation|heldout] [--limit N] [--tasks]\n"
     "  Builds the configured suite (default: --preset default) without training and\n"
     "  prints one JSON object per line, {\"task\", \"split\", \"input\", \"target\"} (and\n"
     "  \"choices\" where the task has answer choices), the input exactly as the encoder\n"
     "  reads it. Splits: train (the training tasks' training examples, in draw order),\n"
     "  validation (every task's fixed validation examples), heldout (each held-out task's\n"
     "  few_shot.k examples, the ones few-shot adaptation trains on); default: all three.\n"
     "  --limit N   at most N examples per task and split (default 10)\n"
     "  --tasks     instead, one object per task: name, tag (the opaque prefix of its\n"
     "              inputs when suite.task_prefix is \"id\"), split (train or heldout),\n"
     "              family and primitives\n"
     "Exit codes: 0 ok, 1 unreadable data, 2 bad command line or configuration.",
     suite});

}  // namespace
}  // namespace tensorpoly::app
