// The cache root for pre-trained bases and run checkpoints (config.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <cstdlib>

#include "tensorpoly/config.h"

namespace tensorpoly {

std::string cache_directory() {
  if (const char* env = std::getenv("TENSORPOLY_CACHE_DIR"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/tensorpoly";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::string(home) + "/.cache/tensorpoly";
  }
  return ".tensorpoly-cache";
}

}  // namespace tensorpoly
