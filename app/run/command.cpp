// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/command.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace tensorpoly::app {

std::map<std::string, Command>& commands() {
  static std::map<std::string, Command> registry;
  return registry;
}

std::string option_value(const std::vector<std::string>& args, const std::string& name,
                         const std::string& fallback) {
  const std::string flag = "--" + name;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == flag) {
      if (i + 1 >= args.size()) throw std::invalid_argument(flag + " needs a value");
      return args[i + 1];
    }
    if (args[i].rfind(flag + "=", 0) == 0) return args[i].substr(flag.size() + 1);
  }
  return fallback;
}

bool has_flag(const std::vector<std::string>& args, const std::string& name) {
  return std::find(args.begin(), args.end(), "--" + name) != args.end();
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
