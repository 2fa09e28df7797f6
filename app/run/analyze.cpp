// tensorpoly-run analyze: cluster a recorded run's tasks by their routing at a
// step and print clusters, agreement with the known families and skills, and
// routing entropy as JSON (the same analysis the clustering view shows).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "run/command.h"
#include "tensorpoly/analysis.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::app {
namespace {

namespace ta = tensorpoly::analysis;

int64_t parse_integer(const std::string& option, const std::string& text) {
  size_t used = 0;
  int64_t value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) {
    throw std::invalid_argument("--" + option + " expects an integer, got '" + text + "'");
  }
  return value;
}

double parse_number(const std::string& option, const std::string& text) {
  size_t used = 0;
  double value = 0.0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) {
    throw std::invalid_argument("--" + option + " expects a number, got '" + text + "'");
  }
  return value;
}

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
  options.clusters =
      static_cast<int>(parse_integer("clusters", option_value(args, "clusters", "0")));
  if (options.clusters < 0) throw std::invalid_argument("--clusters must be positive");
  const std::string threshold = option_value(args, "threshold");
  if (!threshold.empty()) {
    options.threshold = parse_number("threshold", threshold);
    if (options.threshold < 0) throw std::invalid_argument("--threshold must be >= 0");
  }
  const std::string scope = option_value(args, "scope", "all");
  if (scope == "encoder") {
    options.layers.scope = ta::LayerScope::kEncoder;
  } else if (scope == "decoder") {
    options.layers.scope = ta::LayerScope::kDecoder;
  } else if (scope != "all") {
    throw std::invalid_argument("--scope must be all, encoder or decoder, got '" + scope + "'");
  }
  options.layers.pattern = option_value(args, "layers");
  options.layers.layer = option_value(args, "layer");
  return options;
}

int analyze(const std::vector<std::string>& args) {
  const std::string run_text = option_value(args, "run");
  if (run_text.empty()) throw std::invalid_argument("--run ID is required");
  const int64_t run_id = parse_integer("run", run_text);
  const std::string step_text = option_value(args, "step");
  const int64_t step = step_text.empty() ? std::numeric_limits<int64_t>::max()  // the latest
                                         : parse_integer("step", step_text);
  const ta::ReportOptions options = report_options(args);
  const std::string database = option_value(args, "db", default_database_path());

  sessions::RoutingAtStep routing;
  std::vector<TaskInfo> tasks;
  try {
    const sessions::Store store = sessions::Store::open(database, sessions::OpenMode::kReadOnly);
    if (!store.run_summary(run_id)) {
      std::cerr << "tensorpoly-run analyze: no run " << run_id << " in " << database << "\n";
      return kExitUsage;
    }
    tasks = store.tasks(run_id);
    routing = store.routing_nearest(run_id, step);
  } catch (const sessions::StoreError& error) {
    std::cerr << "tensorpoly-run analyze: " << error.what() << "\n";
    return kExitStoreError;
  }
  if (routing.step < 0 || routing.layers.empty()) {
    std::cerr << "tensorpoly-run analyze: run " << run_id << " in " << database
              << " has no routing snapshot (its method may have no router)\n";
    return kExitFailure;
  }

  const ta::RoutingReport report = ta::analyze_routing(routing.layers, tasks, options);
  // The run and the snapshot's step first, then the report's fields in order.
  nlohmann::ordered_json out = {{"run", run_id}, {"database", database}, {"step", routing.step}};
  const auto fields = nlohmann::ordered_json::parse(ta::report_json(report, tasks));
  for (const auto& [key, value] : fields.items()) out[key] = value;
  std::cout << out.dump(2) << "\n";
  return kExitOk;
}

const Registration registration(
    "analyze",
    {"cluster a run's tasks by routing; print clusters, agreement and entropy as JSON",
     "tensorpoly-run analyze --run ID [--step S] [--db FILE]\n"
     "                       [--linkage average|complete|single|ward]\n"
     "                       [--distance cosine|correlation|euclidean] [--clusters K]\n"
     "                       [--threshold D] [--scope all|encoder|decoder]\n"
     "                       [--layers REGEX] [--layer NAME]\n"
     "  Reads the routing snapshot nearest step S (default: the latest) of run ID from\n"
     "  the store (default: $TENSORPOLY_DB or the GUI's store), concatenates each task's\n"
     "  routing weights over the selected layers (all orders/splits), clusters the tasks\n"
     "  (SciPy-identical linkage; ward uses euclidean distances) and prints JSON: tasks,\n"
     "  merges, dendrogram leaf order, clusters cut into K (default: the number of known\n"
     "  families) and, with --threshold, at a distance, adjusted Rand index and NMI against\n"
     "  the families, Spearman of routing cosine vs skill-set Jaccard overlap, routing\n"
     "  entropy (nats) per task and layer, and skill usage per layer.",
     analyze});

}  // namespace
}  // namespace tensorpoly::app
