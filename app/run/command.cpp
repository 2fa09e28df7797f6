// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/command.h"

#include <cstdlib>

namespace tensorpoly::app {

std::map<std::string, Command>& commands() {
  static std::map<std::string, Command> registry;
  return registry;
}

std::string default_database_path() {
  if (const char* env = std::getenv("TENSORPOLY_DB"); env && *env) return env;
  // Same place as QStandardPaths::AppDataLocation for organisation "TensorPoly"
  // and application "TensorPoly Studio" (the GUI's default).
  std::string base;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    base = std::string(home) + "/.local/share";
  } else {
    base = ".";
  }
  return base + "/TensorPoly/TensorPoly Studio/sessions.sqlite";
}

}  // namespace tensorpoly::app
