// tensorpoly-run analyze: cluster a recorded run's tasks by their routing at a
// step and print clusters, agreement with the known families and skills, and
// routing entropy as JSON (the same analysis the clustering view shows).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <climits>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "run/command.h"
#include "run/options.h"
#include "run/store_args.h"
#include "tensorpoly/analysis.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::app {
namespace {

namespace ta = tensorpoly::analysis;

ta::ReportOptions report_options(const std::vector<std::string>& args) {
  ta::ReportOptions options;
  options.linkage = ta::parse_linkage(option_value(args, "linkage", "average"));
  const std::string distance = option_value(args, "distance");
  if (!distance.empty()) {
    options.distance = ta::parse_distance(distance);
    if (options.linkage == ta::Linkage::kWard && options.distance != ta::Distance::kEuclidean) {
      throw std::invalid_argument("--linkage ward needs --distance euclidean (got " + distance +
                                  ")");
    }
  }
  options.clusters = static_cast<int>(integer_option(
      args, {"clusters", "a cluster count", 0, INT_MAX, "0 = the number of known families"}, 0));
  const std::string threshold = option_value(args, "threshold");
  if (!threshold.empty()) options.threshold = parse_number("threshold", "a distance", 0, threshold);
  const std::string scope = option_value(args, "scope", "all");
  if (scope == "encoder") {
    options.layers.scope = ta::LayerScope::kEncoder;
  } else if (scope == "decoder") {
    options.layers.scope = ta::LayerScope::kDecoder;
  } else if (scope != "all") {
    throw std::invalid_argument("--scope expects all, encoder or decoder, got '" + scope + "'");
  }
  options.layers.pattern = option_value(args, "layers");
  options.layers.layer = option_value(args, "layer");
  options.include_heldout = has_flag(args, "include-heldout");
  options.permutations = static_cast<int>(integer_option(
      args, {"permutations", "a permutation count", 1000, INT_MAX, "for the Spearman p-value"},
      1000));
  options.permutation_seed = static_cast<uint64_t>(integer_option(
      args, {"permutation-seed", "a seed", 0, std::numeric_limits<int64_t>::max()}, 0));
  return options;
}

int analyze(const std::vector<std::string>& args) {
  const OptionSpec spec{{"run", "step", "db", "linkage", "distance", "clusters", "threshold",
                         "scope", "layers", "layer", "threads", "permutations", "permutation-seed"},
                        {"include-heldout", "json"}};
  const std::vector<std::string> positional = positional_arguments(args, "analyze", spec);
  if (!positional.empty()) {
    throw std::invalid_argument("unexpected argument '" + positional.front() +
                                "' (analyze takes only options: " + allowed_options(spec) + ")");
  }
  const int64_t run_id = run_option(args);
  const std::optional<int64_t> requested_step = integer_option(args, {"step", "a step", 0});
  const ta::ReportOptions options = report_options(args);
  const std::string database = database_option(args);

  sessions::RoutingAtStep routing;
  std::vector<TaskInfo> tasks;
  try {
    const sessions::Store store = sessions::Store::open(database, sessions::OpenMode::kReadOnly);
    require_run(store, run_id);
    tasks = store.tasks(run_id);
    // Without --step: the latest snapshot (nearest to the largest step there is).
    routing =
        store.routing_nearest(run_id, requested_step.value_or(std::numeric_limits<int64_t>::max()));
  } catch (const sessions::StoreError& error) {
    return report_store_error("analyze", error);
  }
  if (routing.step < 0 || routing.layers.empty()) {
    std::cerr << "tensorpoly-run analyze: run " << run_id << " in " << database
              << " has no routing snapshot (its method may have no router)\n";
    return kExitFailure;
  }

  const int64_t n_tasks = routing.layers.front().n_tasks();
  if (options.clusters > n_tasks) {
    throw std::invalid_argument("--clusters " + std::to_string(options.clusters) + ": run " +
                                std::to_string(run_id) + " has only " + std::to_string(n_tasks) +
                                " tasks to cluster");
  }
  const ta::RoutingReport report = ta::analyze_routing(routing.layers, tasks, options);
  // The run and the snapshot's step first (with the step asked for, which may differ:
  // the nearest snapshot is used), then the report's fields in order.
  nlohmann::ordered_json out = {
      {"run", run_id},
      {"database", database},
      {"step", routing.step},
      {"requested_step",
       requested_step ? nlohmann::ordered_json(*requested_step) : nlohmann::ordered_json()}};
  const auto fields = nlohmann::ordered_json::parse(ta::report_json(report, tasks));
  for (const auto& [key, value] : fields.items()) out[key] = value;
  std::cout << json_output(out) << "\n";
  return kExitOk;
}

const Registration registration(
    "analyze",
    {"cluster a run's tasks by routing; print clusters, agreement and entropy as JSON",
     std::string(
         "tensorpoly-run analyze --run ID [--step S] [--db FILE] [--json]\n"
         "                       [--linkage average|complete|single|ward]\n"
         "                       [--distance cosine|correlation|euclidean] [--clusters K]\n"
         "                       [--threshold D] [--scope all|encoder|decoder]\n"
         "                       [--layers REGEX] [--layer NAME] [--include-heldout]\n"
         "                       [--permutations N] [--permutation-seed S]\n"
         "  Reads the routing snapshot of run ID whose step is nearest S (the earlier one\n"
         "  on a tie; default: the latest snapshot) from the store (default: $TENSORPOLY_DB\n"
         "  or the GUI's store), concatenates each task's routing weights over the selected\n"
         "  layers (all orders/splits), clusters the tasks (SciPy-identical linkage; ward\n"
         "  needs euclidean distances) and prints JSON (--json is the default and only\n"
         "  format): the snapshot's step (and the step asked for), the clustered tasks and\n"
         "  the held-out tasks left out, merges, dendrogram leaf order, clusters cut into K\n"
         "  (default: the number of known families) and, with --threshold, at a distance,\n"
         "  adjusted Rand index and NMI against the families and against the modifiers,\n"
         "  Spearman of routing cosine vs skill-set Jaccard overlap with a one-sided\n"
         "  permutation p-value (N >= 1000 shuffles, default 1000, seeded by S, default 0),\n"
         "  routing entropy (nats) per task and layer, and skill usage per layer.\n"
         "  Only the tasks the router was trained on are analysed: held-out tasks' rows\n"
         "  never trained; --include-heldout analyses them too.\n") +
         kRunExitCodes + "\n1 the run has no routing snapshot.",
     analyze});

}  // namespace
}  // namespace tensorpoly::app
