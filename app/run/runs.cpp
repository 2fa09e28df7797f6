// tensorpoly-run runs: the runs of a store (and of other machines' files), as a
// table or JSON.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "run/command.h"
#include "run/options.h"
#include "run/store_args.h"

namespace tensorpoly::app {
namespace {

std::string clip(const std::string& text, size_t width) {
  return text.size() <= width ? text : text.substr(0, width - 1) + "~";
}

int list_runs(const std::vector<std::string>& args) {
  const OptionSpec spec{{"db", "attach", "filter", "threads"}, {"json"}};
  const std::vector<std::string> positional = positional_arguments(args, "runs", spec);
  if (!positional.empty()) {
    throw std::invalid_argument("unexpected argument '" + positional.front() +
                                "' (runs takes only options: " + allowed_options(spec) + ")");
  }
  const std::string path = database_option(args);
  const bool json = has_flag(args, "json");
  const auto attach = option_values(args, "attach");
  sessions::RunFilter filter;
  filter.text = option_value(args, "filter");
  try {
    std::vector<sessions::RunSummary> runs;
    if (std::filesystem::exists(path) || !attach.empty()) {
      // Listing never creates the store: a missing one reads as empty.
      auto store = std::filesystem::exists(path)
                       ? sessions::Store::open(path, sessions::OpenMode::kReadOnly)
                       : sessions::Store::open(":memory:");
      for (const auto& file : attach) store.attach(file);
      runs = store.list_runs(filter);
    }
    if (json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& run : runs) {
        out.push_back({{"id", run.id},
                       {"name", run.name},
                       {"status", run.status},
                       {"method", run.method},
                       {"last_step", run.last_step},
                       {"total_steps", run.total_steps},
                       {"created_at", run.created_at},
                       {"finished_at", run.finished_at},
                       {"device", run.device},
                       {"database", run.database},
                       {"source", run.source},
                       {"study", run.study}});
      }
      std::cout << json_output(out) << "\n";
      return kExitOk;
    }
    if (runs.empty()) {
      std::cout << "no runs in " << path << "\n";
      return kExitOk;
    }
    const bool many = !attach.empty();
    std::cout << std::left;
    if (many) std::cout << std::setw(10) << "database";
    std::cout << std::setw(6) << "id" << std::setw(28) << "name" << std::setw(12) << "status"
              << std::setw(14) << "method" << std::setw(14) << "step"
              << "created\n";
    for (const auto& run : runs) {
      if (many) std::cout << std::setw(10) << clip(run.database, 9);
      std::cout << std::setw(6) << run.id << std::setw(28) << clip(run.name, 27) << std::setw(12)
                << run.status << std::setw(14) << clip(run.method, 13) << std::setw(14)
                << (std::to_string(run.last_step) + "/" + std::to_string(run.total_steps))
                << run.created_at << "\n";
    }
    return kExitOk;
  } catch (const sessions::StoreError& error) {
    return report_store_error("runs", error);
  }
}

const Registration registration(
    "runs", {"list the runs of a store (id, name, status, method, last step, created)",
             "tensorpoly-run runs [--db FILE] [--attach OTHER.sqlite]... [--filter TEXT] [--json]\n"
             "  --db FILE        the store (default: $TENSORPOLY_DB or the GUI's store)\n"
             "  --attach FILE    also list the runs of another store file, read-only\n"
             "                   (e.g. one copied from a GPU box or a cluster node)\n"
             "  --filter TEXT    only runs whose name, method, status, notes or study contain\n"
             "                   TEXT\n"
             "  --json           a JSON array instead of a table\n"
             "Exit codes: 0 ok (a missing store lists no runs), 2 bad command line, 5 a store\n"
             "cannot be opened or read.",
             list_runs});

}  // namespace
}  // namespace tensorpoly::app
