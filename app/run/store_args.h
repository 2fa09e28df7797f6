// Command-line pieces shared by the store subcommands (runs, show, export, import).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "run/command.h"
#include "run/options.h"
#include "tensorpoly/sessions/store.h"

namespace tensorpoly::app {

// --db FILE, else the default store.
inline std::string database_option(const std::vector<std::string>& args) {
  return option_value(args, "db", default_database_path());
}

// --run ID (required, a positive integer).
inline int64_t run_option(const std::vector<std::string>& args) {
  const std::optional<int64_t> id = integer_option(args, {"run", "a run id", 1});
  if (!id) throw std::invalid_argument("--run ID is required");
  return *id;
}

inline int report_store_error(const std::string& command, const sessions::StoreError& error) {
  std::cerr << "tensorpoly-run " << command << ": " << error.what() << "\n";
  return kExitStoreError;
}

// One rule for every command that takes --run ID: an id that is well formed but names
// no run of the store is a store error (exit 5), as when the store cannot be read; an
// id that is not a positive integer is a usage error (exit 2). Each usage text ends
// with this line.
inline constexpr const char* kRunExitCodes =
    "Exit codes: 0 ok, 2 bad command line (--run not a positive integer, unknown or\n"
    "conflicting options), 5 the store cannot be opened or read, or has no run ID.";

// Throws the StoreError that report_store_error turns into exit 5 when the store has
// no run `id`.
inline void require_run(const sessions::Store& store, int64_t id) {
  if (!store.run_summary(id)) {
    throw sessions::StoreError(store.path() + ": no run " + std::to_string(id) +
                               " (tensorpoly-run runs --db FILE lists the runs)");
  }
}

}  // namespace tensorpoly::app
