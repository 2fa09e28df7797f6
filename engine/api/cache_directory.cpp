// The cache root for pre-trained bases and run checkpoints (config.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <cstdlib>

#include "tensorpoly/config.h"

namespace tensorpoly {

namespace {

// The environment is read, never written, by this program after start-up, so getenv
// cannot race with setenv here.
const char* environment(const char* name) {
  return std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read-only environment
}

}  // namespace

std::string cache_directory() {
  if (const char* env = environment("TENSORPOLY_CACHE_DIR"); env && *env) return env;
  if (const char* xdg = environment("XDG_CACHE_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/tensorpoly";
  }
  if (const char* home = environment("HOME"); home && *home) {
    return std::string(home) + "/.cache/tensorpoly";
  }
  return ".tensorpoly-cache";
}

}  // namespace tensorpoly
