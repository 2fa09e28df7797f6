#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, checks formatting
# (scripts/check-format.sh) and clang-tidy findings (scripts/check-tidy.sh), and runs
# every other test with ctest. Runs all three even when one fails, and fails if any did.
# Extra arguments go to CMake's configure step.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$@"
build_dir=${TENSORPOLY_BUILD_DIR:-$root/build}
failed=()
"$root/scripts/check-format.sh" || failed+=(format)
"$root/scripts/check-tidy.sh" "$build_dir" || failed+=(clang-tidy)
cd "$build_dir"
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
# Format.* and Tidy.* are the two checks just run.
ctest --output-on-failure --parallel "$(nproc)" --timeout 1200 -E '^(Format|Tidy)\.' ||
  failed+=(ctest)
if ((${#failed[@]})); then
  echo "test.sh: failed: ${failed[*]}" >&2
  exit 1
fi
