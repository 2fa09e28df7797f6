#!/usr/bin/env bash
# Runs libFuzzer targets of tests/fuzz (built by scripts/sanitize.sh into build-asan/)
# for a bounded time each: first over the seed corpus tests/fuzz/corpus/TARGET (which is
# never written to), then mutating it for SECONDS. New inputs go to a scratch corpus
# under the build folder, crashes to build-asan/fuzz-artifacts/TARGET/ (turn each into
# a regression test and add it to the seed corpus).
# Usage: scripts/fuzz.sh [TARGET|all] [SECONDS]   (default: all, 60 s each)
#   TENSORPOLY_ASAN_BUILD_DIR  the build folder (default: build-asan)
# Exit status: 0 no crash, 1 a target crashed, hung or leaked, 2 a target is not built.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${TENSORPOLY_ASAN_BUILD_DIR:-$root/build-asan}
which=${1:-all}
seconds=${2:-60}
all=(fuzz_config fuzz_jsonl fuzz_safetensors fuzz_checkpoint fuzz_import fuzz_routing)
if [[ $which == all ]]; then targets=("${all[@]}"); else targets=("$which"); fi
status=0
for target in "${targets[@]}"; do
  exe="$build_dir/tests/fuzz/$target"
  [[ -x $exe ]] || { echo "fuzz.sh: $exe is missing (run scripts/sanitize.sh)" >&2; exit 2; }
  seeds="$root/tests/fuzz/corpus/$target"
  scratch="$build_dir/fuzz-corpus/$target"
  artifacts="$build_dir/fuzz-artifacts/$target"
  mkdir -p "$scratch" "$artifacts"
  max_len=65536
  # Whole training checkpoints of the tiny preset are a few hundred kilobytes.
  [[ $target == fuzz_checkpoint ]] && max_len=1048576
  flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len="$max_len"
         -artifact_prefix="$artifacts/" -print_final_stats=1)
  # LibTorch keeps allocations alive until exit: leak reports there are not ours.
  case $target in fuzz_safetensors | fuzz_checkpoint) flags+=(-detect_leaks=0) ;; esac
  log="$build_dir/fuzz-$target.log"
  start=$SECONDS
  if "$exe" "${flags[@]}" "$scratch" "$seeds" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    echo "fuzz.sh: $target: no crash in $((SECONDS - start)) s (${runs:-?} inputs)"
  else
    tail -40 "$log" >&2
    echo "fuzz.sh: $target: FAILED (log: $log, inputs: $artifacts)" >&2
    status=1
  fi
done
exit $status
