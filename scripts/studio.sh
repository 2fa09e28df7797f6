#!/usr/bin/env bash
# The README's GUI command: installs what is missing, builds, and opens
# TensorPoly Studio on the built-in default experiment. Extra arguments go to
# the studio (e.g. --db FILE).
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
build_dir=${TENSORPOLY_BUILD_DIR:-$root/build}
exec "$build_dir/app/tensorpoly-studio" "$@"
