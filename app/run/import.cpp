// tensorpoly-run import: every run of another store file into this one, with new ids.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <iostream>
#include <vector>

#include "run/command.h"
#include "run/options.h"
#include "run/store_args.h"

namespace tensorpoly::app {
namespace {

int import_runs(const std::vector<std::string>& args) {
  const std::string path = database_option(args);
  const OptionSpec spec{{"db", "threads"}, {}};
  const std::vector<std::string> files = positional_arguments(args, "import", spec);
  if (files.empty()) throw std::invalid_argument("the FILE to import is required");
  if (files.size() > 1) {
    throw std::invalid_argument("import takes one FILE, got '" + files[0] + "' and '" + files[1] +
                                "'");
  }
  const std::string& file = files.front();
  try {
    // The file is checked before the target is opened: a bad file leaves it untouched.
    sessions::Store::check_import_source(file);
    auto store = sessions::Store::open(path);
    std::vector<int64_t> present;
    const auto ids = store.import_runs(file, &present);
    std::cout << "imported " << ids.size() << " run(s) from " << file << " into " << path;
    if (!ids.empty()) {
      std::cout << " as";
      for (int64_t id : ids) std::cout << " " << id;
    }
    if (!present.empty()) {
      std::cout << "; " << present.size() << " run(s) already there (";
      for (size_t i = 0; i < present.size(); ++i) std::cout << (i ? " " : "") << present[i];
      std::cout << ") were not copied again";
    }
    std::cout << "\n";
    return kExitOk;
  } catch (const sessions::StoreError& error) {
    return report_store_error("import", error);
  }
}

const Registration registration(
    "import", {"copy every run of another store file into this one (new ids, one transaction)",
               "tensorpoly-run import FILE [--db FILE]\n"
               "  FILE        a store file, e.g. written by tensorpoly-run export or by a run\n"
               "              on a GPU box or cluster node\n"
               "  --db FILE   the store to import into (default: $TENSORPOLY_DB or the GUI's\n"
               "              store; created when missing)\n"
               "Every row of FILE is checked first; a run imported before is not copied\n"
               "again.\n"
               "Exit codes: 0 ok, 2 bad command line, 5 a store cannot be opened, read or\n"
               "written, or FILE holds an invalid row (nothing is imported then).",
               import_runs});

}  // namespace
}  // namespace tensorpoly::app
