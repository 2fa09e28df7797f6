// Strict option checking for the subcommands: every --flag must be one the command
// knows, so that a typo (--step 5) is an error instead of a silently ignored option.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace tensorpoly::app {

struct OptionSpec {
  std::vector<std::string> with_value;  // --name VALUE or --name=VALUE
  std::vector<std::string> switches;    // --name alone
};

// The allowed options, for messages: "--batch, --device, --no-db".
inline std::string allowed_options(const OptionSpec& spec) {
  std::vector<std::string> names;
  for (const auto& name : spec.with_value) names.push_back("--" + name);
  for (const auto& name : spec.switches) names.push_back("--" + name);
  std::sort(names.begin(), names.end());
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text.empty() ? "none" : text;
}

// The arguments that are not options (nor option values), in order. Throws
// std::invalid_argument (exit code 2) naming an unknown option and listing the allowed
// ones, a value option without its value, or a switch given a value. "-x" counts as an
// option too; a value after a value option may start with "-" (--steps -5 reaches the
// option's own check).
inline std::vector<std::string> positional_arguments(const std::vector<std::string>& args,
                                                     const std::string& command,
                                                     const OptionSpec& spec) {
  const auto listed = [](const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.empty() || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    const size_t dashes = arg.rfind("--", 0) == 0 ? 2 : 1;
    const size_t equals = arg.find('=');
    const std::string name =
        arg.substr(dashes, equals == std::string::npos ? std::string::npos : equals - dashes);
    if (dashes == 2 && listed(spec.with_value, name)) {
      if (equals == std::string::npos) {
        if (i + 1 >= args.size()) throw std::invalid_argument("--" + name + " needs a value");
        ++i;  // the value
      }
      continue;
    }
    if (dashes == 2 && listed(spec.switches, name)) {
      if (equals != std::string::npos) {
        throw std::invalid_argument("--" + name + " takes no value, got '" + arg + "'");
      }
      continue;
    }
    throw std::invalid_argument("unknown option '" + arg.substr(0, equals) + "' for " + command +
                                " (allowed: " + allowed_options(spec) + ")");
  }
  return positional;
}

}  // namespace tensorpoly::app
