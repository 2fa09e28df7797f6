// The experiment configuration of a tensorpoly-run command line: --config FILE or
// --preset NAME, then key=value overrides (train, suite, study share it).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <vector>

#include "tensorpoly/config.h"

namespace tensorpoly::app {

// The config from --config FILE or --preset NAME (at most one; neither: `default_preset`,
// or a usage error when that is empty) with the key=value `overrides` applied (each must
// contain '='), plus --threads N when given. Throws std::invalid_argument (ConfigError is
// one) naming the argument or field.
ExperimentConfig config_from_arguments(const std::vector<std::string>& args,
                                       const std::vector<std::string>& overrides,
                                       const std::string& default_preset = {});

}  // namespace tensorpoly::app
