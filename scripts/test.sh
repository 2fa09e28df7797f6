#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$@"
build_dir=${TENSORPOLY_BUILD_DIR:-$root/build}
cd "$build_dir"
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
ctest --output-on-failure --parallel "$(nproc)" --timeout 1200
