// The subcommand registry and the default store path of tensorpoly-run (run/command.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/command.h"

#include <cstdlib>

namespace tensorpoly::app {

std::map<std::string, Command>& commands() {
  static std::map<std::string, Command> registry;
  return registry;
}

namespace {

// A variable of the environment, or nullptr when unset or empty. getenv is safe here:
// tensorpoly-run changes its environment only in main, before any thread starts
// (select_blas_kernel), and reads it afterwards.
const char* environment(const char* name) {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): see above
  return value && *value ? value : nullptr;
}

}  // namespace

std::string json_output(const nlohmann::json& value) {
  return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string default_database_path() {
  if (const char* env = environment("TENSORPOLY_DB")) return env;
  // Same place as QStandardPaths::AppDataLocation for organisation "TensorPoly"
  // and application "TensorPoly Studio" (the GUI's default).
  std::string base;
  if (const char* xdg = environment("XDG_DATA_HOME")) {
    base = xdg;
  } else if (const char* home = environment("HOME")) {
    base = std::string(home) + "/.local/share";
  } else {
    base = ".";
  }
  return base + "/TensorPoly/TensorPoly Studio/sessions.sqlite";
}

}  // namespace tensorpoly::app
