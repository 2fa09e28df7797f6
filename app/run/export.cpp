// tensorpoly-run export: one run, with all its rows, to a self-contained store file.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <iostream>

#include "run/command.h"
#include "run/options.h"
#include "run/store_args.h"

namespace tensorpoly::app {
namespace {

int export_run(const std::vector<std::string>& args) {
  const OptionSpec spec{{"run", "out", "db", "threads"}, {}};
  const std::vector<std::string> positional = positional_arguments(args, "export", spec);
  if (!positional.empty()) {
    throw std::invalid_argument("unexpected argument '" + positional.front() +
                                "' (export takes only options: " + allowed_options(spec) + ")");
  }
  const std::string path = database_option(args);
  const int64_t id = run_option(args);
  const std::string out = option_value(args, "out");
  if (out.empty()) throw std::invalid_argument("--out FILE is required");
  try {
    auto store = sessions::Store::open(path, sessions::OpenMode::kReadOnly);
    require_run(store, id);
    store.export_run(id, out);
    std::cout << "exported run " << id << " of " << path << " to " << out << "\n";
    return kExitOk;
  } catch (const sessions::StoreError& error) {
    return report_store_error("export", error);
  }
}

const Registration registration(
    "export",
    {"write one run, with all its rows, to a new self-contained SQLite file",
     std::string("tensorpoly-run export --run ID --out FILE [--db FILE]\n"
                 "  --run ID     the run to export\n"
                 "  --out FILE   the new file (must not exist); bring it to another machine and\n"
                 "               use tensorpoly-run import, or attach it with runs --attach\n"
                 "  --db FILE    the store (default: $TENSORPOLY_DB or the GUI's store)\n") +
         kRunExitCodes + " Also 2 without --out, 5 when FILE exists.",
     export_run});

}  // namespace
}  // namespace tensorpoly::app
