// Experiment presets (config.h): the embedded copies of resources/presets/*.json, and the
// paper's adapter hyper-parameters that the method presets use.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "embedded_presets.h"
#include "tensorpoly/config.h"

namespace tensorpoly {

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& preset : embedded::presets()) names.emplace_back(preset.name);
  return names;
}

ExperimentConfig load_preset(const std::string& name) {
  for (const auto& preset : embedded::presets()) {
    if (preset.name == name) {
      return config_from_json_text(std::string(preset.text), "resources/presets/" + name + ".json");
    }
  }
  std::string allowed;
  for (const auto& known : preset_names()) allowed += (allowed.empty() ? "" : ", ") + known;
  throw ConfigError("", "no preset '" + name + "' (allowed: " + allowed + ")");
}

AdapterConfig paper_adapter_config(const std::string& method) {
  AdapterConfig config;
  config.method = method;
  config.rank = 16;
  config.order = 4;
  config.n_skills = 8;
  config.n_splits = 1;
  if (method == "tensorpoly-2") {
    config.n_splits = 4;
  } else if (method == "poly" || method == "lora") {
    config.rank = 1;
  } else if (method == "mhr") {
    config.rank = 1;
    config.n_splits = 8;
  } else if (method != "tensorpoly-1" && method != "tlora" && method != "none") {
    std::string allowed;
    for (const auto& known : adapter_methods()) allowed += (allowed.empty() ? "" : ", ") + known;
    throw ConfigError("adapter.method", "unknown '" + method + "' (allowed: " + allowed + ")");
  }
  return config;
}

}  // namespace tensorpoly
