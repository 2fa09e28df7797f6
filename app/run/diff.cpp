// tensorpoly-run diff: the config fields in which two or more stored runs differ (what
// the comparison view's config tab lists), as a table or as JSON.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "run/command.h"
#include "run/options.h"
#include "run/store_args.h"
#include "tensorpoly/config_diff.h"

namespace tensorpoly::app {
namespace {

struct DiffedRun {
  int64_t id = 0;
  std::string name;
  FlatConfig config;
};

// Every --run ID (two or more), each checked as --run is everywhere else.
std::vector<int64_t> run_ids(const std::vector<std::string>& args) {
  const std::vector<std::string> values = option_values(args, "run");
  if (values.size() < 2) {
    throw std::invalid_argument("diff needs two or more runs (--run ID --run ID ...), got " +
                                std::to_string(values.size()));
  }
  std::vector<int64_t> ids;
  ids.reserve(values.size());
  for (const std::string& value : values) ids.push_back(run_option({"--run", value}));
  return ids;
}

std::vector<DiffedRun> read_runs(const sessions::Store& store, const std::vector<int64_t>& ids) {
  std::vector<DiffedRun> runs;
  for (const int64_t id : ids) {
    require_run(store, id);
    const sessions::RunDetails details = store.run_details(id);
    DiffedRun run{id, details.summary.name, {}};
    try {
      run.config = flatten_json(details.config_json.empty() ? "{}" : details.config_json);
    } catch (const std::invalid_argument& error) {
      // A config the store holds but that is not JSON: the store is damaged.
      throw sessions::StoreError(store.path() + ": run " + std::to_string(id) + ": " +
                                 error.what());
    }
    runs.push_back(std::move(run));
  }
  return runs;
}

void print_json(const std::vector<DiffedRun>& runs,
                const std::vector<ConfigDifference>& differences) {
  nlohmann::json out;
  out["runs"] = nlohmann::json::array();
  for (const DiffedRun& run : runs) out["runs"].push_back({{"id", run.id}, {"name", run.name}});
  out["differences"] = nlohmann::json::array();
  for (const ConfigDifference& difference : differences) {
    nlohmann::json values = nlohmann::json::array();
    for (const std::string& value : difference.values) {
      // Values are compact JSON; an absent field is null.
      values.push_back(value.empty() ? nlohmann::json(nullptr) : nlohmann::json::parse(value));
    }
    out["differences"].push_back({{"key", difference.key}, {"values", values}});
  }
  std::cout << json_output(out) << "\n";
}

void print_table(const std::vector<DiffedRun>& runs,
                 const std::vector<ConfigDifference>& differences) {
  const auto shown = [](const std::string& value) { return value.empty() ? "(absent)" : value; };
  std::vector<std::string> header = {"field"};
  for (const DiffedRun& run : runs) header.push_back(std::to_string(run.id) + " " + run.name);
  // Each column fits its widest cell, with two spaces to spare.
  std::vector<size_t> widths;
  widths.reserve(header.size());
  for (const std::string& title : header) widths.push_back(title.size() + 2);
  for (const ConfigDifference& difference : differences) {
    widths[0] = std::max(widths[0], difference.key.size() + 2);
    for (size_t i = 0; i < difference.values.size() && i + 1 < widths.size(); ++i)
      widths[i + 1] = std::max(widths[i + 1], shown(difference.values[i]).size() + 2);
  }
  std::cout << differences.size() << " field(s) differ; identical fields are not shown.\n"
            << std::left;
  for (size_t i = 0; i < header.size(); ++i) std::cout << std::setw(widths[i]) << header[i];
  std::cout << "\n";
  for (const ConfigDifference& difference : differences) {
    std::cout << std::setw(widths[0]) << difference.key;
    for (size_t i = 0; i < difference.values.size() && i + 1 < widths.size(); ++i)
      std::cout << std::setw(widths[i + 1]) << shown(difference.values[i]);
    std::cout << "\n";
  }
}

int diff_runs(const std::vector<std::string>& args) {
  const OptionSpec spec{{"run", "db"}, {"json"}};
  const std::vector<std::string> positional = positional_arguments(args, "diff", spec);
  if (!positional.empty()) {
    throw std::invalid_argument("unexpected argument '" + positional.front() +
                                "' (diff takes only options: " + allowed_options(spec) + ")");
  }
  const std::vector<int64_t> ids = run_ids(args);
  const std::string path = database_option(args);
  try {
    const auto store = sessions::Store::open(path, sessions::OpenMode::kReadOnly);
    const std::vector<DiffedRun> runs = read_runs(store, ids);
    std::vector<FlatConfig> configs;
    configs.reserve(runs.size());
    for (const DiffedRun& run : runs) configs.push_back(run.config);
    const std::vector<ConfigDifference> differences = diff_flat_configs(configs);
    if (has_flag(args, "json")) {
      print_json(runs, differences);
    } else {
      print_table(runs, differences);
    }
    return kExitOk;
  } catch (const sessions::StoreError& error) {
    return report_store_error("diff", error);
  }
}

const Registration registration(
    "diff", {"list the config fields in which two or more runs differ",
             std::string("tensorpoly-run diff --run ID --run ID [--run ID ...] [--db FILE] "
                         "[--json]\n"
                         "  --run ID    a run to compare (two or more; see tensorpoly-run runs)\n"
                         "  --db FILE   the store (default: $TENSORPOLY_DB or the GUI's store)\n"
                         "  --json      {\"runs\": [...], \"differences\": [{\"key\", "
                         "\"values\"}]}, an absent field is null\n") +
                 kRunExitCodes,
             diff_runs});

}  // namespace
}  // namespace tensorpoly::app
