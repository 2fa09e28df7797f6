// The experiment presets embedded into the engine API when it is built: the texts of
// resources/presets/*.json, defined by a source that cmake/EmbedPresets.cmake generates.
// Internal to the engine API; users call preset_names() and load_preset() (config.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace tensorpoly::embedded {

struct Preset {
  std::string_view name;  // the file name without ".json"
  std::string_view text;  // the file's bytes
};

// Every preset, sorted by name.
const std::vector<Preset>& presets();

}  // namespace tensorpoly::embedded
