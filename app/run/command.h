// Subcommands of tensorpoly-run. Each lives in its own file under app/run/ and
// registers itself with a static Registration, so adding one touches no other file.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tensorpoly::app {

// Exit codes of tensorpoly-run (documented in --help).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,     // the run failed (error while running)
  kExitUsage = 2,       // bad command line or configuration
  kExitDiverged = 3,    // training stopped on NaN/Inf
  kExitStopped = 4,     // stopped by a signal or a request before the end
  kExitStoreError = 5,  // the SQLite store could not be opened or written
};

struct Command {
  std::string summary;  // one line for --help
  std::string usage;    // full usage for `tensorpoly-run help NAME`
  std::function<int(const std::vector<std::string>& args)> run;
};

std::map<std::string, Command>& commands();

struct Registration {
  Registration(const std::string& name, Command command) { commands()[name] = std::move(command); }
};

// Option parsing (option_value, integer_option, ...) lives in run/options.h.
// The default store: $TENSORPOLY_DB, else the GUI's AppDataLocation file
// (~/.local/share/TensorPoly/TensorPoly Studio/sessions.sqlite).
std::string default_database_path();

// `value` as JSON text for --json output, indented by 2. Text that is not valid UTF-8 (a
// name another program stored) is written with U+FFFD in place of the bad bytes.
std::string json_output(const nlohmann::json& value);

}  // namespace tensorpoly::app
