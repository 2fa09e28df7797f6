// libFuzzer target: the experiment config parser with overrides. The input is a JSON
// document, then (after a NUL byte) key=value overrides, one per line. Any input must
// give a config or a ConfigError (std::invalid_argument): never a crash, a hang or
// another exception; an accepted config must survive to_json and back unchanged.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensorpoly/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string document = input.substr(0, nul);
  std::vector<std::string> overrides;
  if (nul != std::string::npos) {
    size_t start = nul + 1;
    while (start <= input.size()) {
      const size_t end = std::min(input.find('\n', start), input.size());
      overrides.push_back(input.substr(start, end - start));
      start = end + 1;
    }
  }
  try {
    tensorpoly::ExperimentConfig config = tensorpoly::config_from_json_text(document, "fuzz.json");
    config = tensorpoly::apply_overrides(config, overrides);
    const std::string text = tensorpoly::to_json_text(config);
    if (tensorpoly::to_json_text(tensorpoly::config_from_json_text(text)) != text) std::abort();
  } catch (const std::invalid_argument&) {  // ConfigError: the expected refusal
  }
  return 0;
}
