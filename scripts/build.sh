#!/usr/bin/env bash
# Configures and builds TensorPoly Studio into build/ (or $TENSORPOLY_BUILD_DIR).
# Extra arguments go to CMake's configure step, e.g. -DTENSORPOLY_GUI=OFF.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${TENSORPOLY_BUILD_DIR:-$root/build}
generator=()
command -v ninja >/dev/null && [[ ! -f "$build_dir/Makefile" ]] && generator=(-G Ninja)
# ccache, when installed, makes rebuilds in a second checkout cheap; it is not required.
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$build_dir" "${generator[@]}" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTENSORPOLY_WERROR=ON "$@"
cmake --build "$build_dir" --parallel "${TENSORPOLY_JOBS:-$(nproc)}"
