// The experiment configuration of a command line (run/config_args.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/config_args.h"

#include <stdexcept>

#include "run/options.h"

namespace tensorpoly::app {

ExperimentConfig config_from_arguments(const std::vector<std::string>& args,
                                       const std::vector<std::string>& overrides,
                                       const std::string& default_preset) {
  const std::string config_path = option_value(args, "config");
  std::string preset = option_value(args, "preset");
  if (!config_path.empty() && !preset.empty()) {
    throw std::invalid_argument("give one of --config FILE or --preset NAME, not both");
  }
  if (config_path.empty() && preset.empty()) {
    if (default_preset.empty()) {
      throw std::invalid_argument("give exactly one of --config FILE or --preset NAME");
    }
    preset = default_preset;
  }
  std::vector<std::string> all = overrides;
  for (const std::string& override_text : overrides) {
    if (override_text.find('=') == std::string::npos) {
      throw std::invalid_argument("unexpected argument '" + override_text +
                                  "' (overrides are key=value, e.g. train.steps=200)");
    }
  }
  if (has_flag(args, "no-db") && !option_value(args, "db").empty()) {
    throw std::invalid_argument("give --db FILE or --no-db, not both");
  }
  const std::string threads = option_value(args, "threads");
  if (!threads.empty()) {
    for (const std::string& override_text : overrides) {
      if (override_text.rfind("threads=", 0) == 0) {
        std::string message = "give the thread count once: --threads " + threads;
        message += " and '" + override_text + "'";
        throw std::invalid_argument(message);
      }
    }
    all.push_back("threads=" + threads);
  }
  const ExperimentConfig config =
      config_path.empty() ? load_preset(preset) : config_from_file(config_path);
  return apply_overrides(config, all);
}

}  // namespace tensorpoly::app
