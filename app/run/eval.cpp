// tensorpoly-run eval: re-evaluate a stored run from its last checkpoint.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "run/command.h"
#include "run/options.h"
#include "run/store_args.h"
#include "tensorpoly/config.h"
#include "tensorpoly/experiment.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::app {
namespace {

int eval(const std::vector<std::string>& args) {
  const OptionSpec spec{{"run", "db", "device", "threads"}, {"json"}};
  const std::vector<std::string> positional = positional_arguments(args, "eval", spec);
  if (!positional.empty()) {
    throw std::invalid_argument("unexpected argument '" + positional.front() +
                                "' (eval takes only options: " + allowed_options(spec) + ")");
  }
  const int64_t run_id = run_option(args);
  const std::string database = option_value(args, "db", default_database_path());
  std::string config_json;
  std::vector<CheckpointSaved> checkpoints;
  std::vector<TaskInfo> tasks;
  try {
    const sessions::Store store = sessions::Store::open(database, sessions::OpenMode::kReadOnly);
    require_run(store, run_id);
    const sessions::RunDetails details = store.run_details(run_id);
    config_json = details.config_json;
    tasks = details.tasks;
    checkpoints = store.checkpoints(run_id);
  } catch (const sessions::StoreError& error) {
    return report_store_error("eval", error);
  }
  if (checkpoints.empty()) {
    std::cerr << "tensorpoly-run eval: run " << run_id << " has no checkpoint\n";
    return kExitFailure;
  }
  const CheckpointSaved& last = *std::max_element(
      checkpoints.begin(), checkpoints.end(),
      [](const CheckpointSaved& a, const CheckpointSaved& b) { return a.step < b.step; });
  ExperimentConfig config = config_from_json_text(config_json);
  const std::string threads = option_value(args, "threads");
  if (!threads.empty()) config = apply_overrides(config, {"threads=" + threads});
  const std::string device = option_value(args, "device");
  if (!device.empty()) config = apply_overrides(config, {"device=" + device});
  const EvalResult result = evaluate_checkpoint(config, last.path);

  if (has_flag(args, "json")) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& task : result.tasks) {
      rows.push_back(
          {{"task", task.task},
           {"name", task.task < static_cast<int>(tasks.size()) ? tasks[task.task].name : ""},
           {"loss", task.loss},
           {"exact_match", task.exact_match},
           {"accuracy", task.accuracy},
           {"n_examples", task.n_examples}});
    }
    std::cout << nlohmann::json{{"run", run_id},
                                {"step", result.step},
                                {"checkpoint", last.path},
                                {"tasks", rows}}
                     .dump()
              << std::endl;
    return kExitOk;
  }
  std::cout << "run " << run_id << ", checkpoint at step " << result.step << ": " << last.path
            << "\n";
  double loss = 0, exact = 0;
  int n_exact = 0;
  for (const auto& task : result.tasks) {
    const std::string name = task.task < static_cast<int>(tasks.size()) ? tasks[task.task].name
                                                                        : std::to_string(task.task);
    std::printf("  %-28s loss %.4f", name.c_str(), task.loss);
    if (task.exact_match >= 0) std::printf("  exact match %.3f", task.exact_match);
    if (task.accuracy >= 0) std::printf("  accuracy %.3f", task.accuracy);
    std::printf("  (%lld examples)\n", static_cast<long long>(task.n_examples));
    loss += task.loss;
    if (task.exact_match >= 0) {
      exact += task.exact_match;
      ++n_exact;
    }
  }
  if (!result.tasks.empty()) {
    std::printf("mean loss %.4f", loss / static_cast<double>(result.tasks.size()));
    if (n_exact) std::printf(", mean exact match %.3f", exact / n_exact);
    std::printf("\n");
  }
  return kExitOk;
}

const Registration registration(
    "eval", {"re-evaluate a stored run from its last checkpoint",
             "tensorpoly-run eval --run ID [--db FILE] [--device DEV] [--threads N] [--json]\n"
             "Loads the run's configuration and last checkpoint from the store and evaluates the\n"
             "training tasks' validation examples (loss, exact match or rank accuracy).\n"
             "Exit code 1: the run has no checkpoint, or the evaluation failed.\n" +
                 std::string(kRunExitCodes),
             eval});

}  // namespace
}  // namespace tensorpoly::app
