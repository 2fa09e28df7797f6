#!/usr/bin/env bash
# Renders the README's screenshots (docs/screenshots/*.png) from short real runs:
# tensorpoly-run trains two tiny experiments (TensorPoly-I and Poly) into a
# temporary store, then tensorpoly-studio opens that store under Xvfb, shows the
# newest run, compares the two, grabs every panel to PNG and quits.
# Usage: scripts/screenshots.sh [OUTPUT_DIR]   (default: docs/screenshots)
#   TENSORPOLY_BUILD_DIR  the build folder (default: build)
#   STEPS                 training steps per run (default: 120)
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${TENSORPOLY_BUILD_DIR:-$root/build}
out=${1:-$root/docs/screenshots}
steps=${STEPS:-120}
run="$build_dir/app/tensorpoly-run"
studio="$build_dir/app/tensorpoly-studio"
for exe in "$run" "$studio"; do
  [[ -x $exe ]] || { echo "screenshots.sh: $exe is missing; build it first" >&2; exit 1; }
done
command -v xvfb-run >/dev/null || { echo "screenshots.sh: xvfb-run is missing (apt install xvfb)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TENSORPOLY_CACHE_DIR="$tmp/cache"
db="$tmp/screenshots.sqlite"
common=(--preset tiny --db "$db"
        "train.steps=$steps" train.eval_every=20 train.routing_every=10 train.checkpoint_every=0
        suite.n_tasks=8 suite.n_heldout=0 suite.n_validation=16)
"$run" train "${common[@]}" "name=Poly (tiny)" adapter.method=poly adapter.n_skills=4
"$run" train "${common[@]}" "name=TensorPoly-I (tiny)" adapter.method=tensorpoly-1 adapter.n_skills=4

mkdir -p "$out"
xvfb-run -a -s "-screen 0 1600x1000x24" \
  env -u QT_QPA_PLATFORM "$studio" --db "$db" --config "$root/resources/presets/tiny.json" \
  --screenshot-dir "$out"
ls -l "$out"
