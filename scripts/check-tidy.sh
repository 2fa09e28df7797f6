#!/usr/bin/env bash
# Runs clang-tidy (the repository's .clang-tidy) over the torch-free sources: the
# libraries engine/api, engine/analysis and sessions/, and tensorpoly-run
# (app/run_main.cpp, app/run/); the headers of ours they include are checked with
# them. Any finding fails. Part of the README's test command (scripts/test.sh) and of
# ctest (Tidy.TorchFreeSourcesClean). Cost: about 4.5 CPU-minutes, 2.5 minutes on 2
# cores. The LibTorch and Qt sources are left out: each drags in hundreds of thousands
# of header lines (check one by hand: scripts/check-tidy.sh build FILE...).
# Usage: scripts/check-tidy.sh [BUILD_DIR] [FILE...]
#   BUILD_DIR  a configured build folder with compile_commands.json
#              (default: $TENSORPOLY_BUILD_DIR, else build/)
#   FILE...    check these instead
#   TIDY_JOBS  parallel clang-tidy processes (default: the number of cores)
# Exit status: 0 clean, 1 findings, 2 clang-tidy or the compile database is missing.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-${TENSORPOLY_BUILD_DIR:-$root/build}}
(($#)) && shift
if ! command -v clang-tidy >/dev/null; then
  echo "check-tidy.sh: clang-tidy is missing (scripts/install-deps.sh installs it)" >&2
  exit 2
fi
if [[ ! -f $build_dir/compile_commands.json ]]; then
  echo "check-tidy.sh: $build_dir/compile_commands.json is missing (run scripts/build.sh)" >&2
  exit 2
fi

files=()
if (($#)); then
  files=("$@")
else
  cd "$root"
  while IFS= read -r -d '' file; do
    [[ -f $file ]] && files+=("$root/$file")
  done < <(git ls-files -z -- 'engine/api/*.cpp' 'engine/analysis/*.cpp' 'sessions/*.cpp' \
    'app/run_main.cpp' 'app/run/*.cpp')
fi
((${#files[@]})) || { echo "check-tidy.sh: no sources to check" >&2; exit 2; }

# One clang-tidy per source, TIDY_JOBS at a time; xargs exits non-zero if any fails.
# --quiet drops the "N warnings generated" chatter; findings are errors.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$SECONDS
if printf '%s\0' "${files[@]}" |
  xargs -0 -n 1 -P "${TIDY_JOBS:-$(nproc)}" \
    clang-tidy -p "$build_dir" --quiet --warnings-as-errors='*' >"$log" 2>&1; then
  echo "check-tidy.sh: ${#files[@]} sources clean ($((SECONDS - start)) s)"
  exit 0
fi
cat "$log" >&2
echo "check-tidy.sh: findings in the files above (${#files[@]} sources checked;" \
  "see docs/CONTRIBUTING.md)" >&2
exit 1
