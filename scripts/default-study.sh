#!/usr/bin/env bash
# Runs the README's default study: the default experiment (t5-mini, the families suite
# with opaque task tags) for seven methods x three seeds, recorded as study
# "default-study", then prints its study-report table (and --json), the agreement of
# TensorPoly-I's routing with the planted factors for every seed, and the wall time.
# Resumable: run it again after an interruption and it skips what is finished.
#   scripts/default-study.sh [--db FILE] [--threads N]
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
run="${TENSORPOLY_BUILD_DIR:-$root/build}/app/tensorpoly-run"
db="$root/default-study.sqlite"
threads=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --db) db="$2"; shift 2 ;;
    --threads) threads=(--threads "$2"); shift 2 ;;
    *) echo "usage: $0 [--db FILE] [--threads N]" >&2; exit 2 ;;
  esac
done
[[ -x "$run" ]] || { echo "$run not found: build first (scripts/build.sh)" >&2; exit 2; }

start=$SECONDS
"$run" study --name default-study \
  --methods tensorpoly-1,tensorpoly-2,poly,mhr,tlora,lora,lora-matched --seeds 3 \
  --preset default --db "$db" "${threads[@]}"
"$run" study-report --name default-study --db "$db"
"$run" study-report --name default-study --db "$db" --json >"${db%.sqlite}-report.json"
echo "JSON report: ${db%.sqlite}-report.json"

# The agreement figures of TensorPoly-I (training tasks at the last snapshot), per seed.
report=$("$run" study-report --name default-study --db "$db" --json | tr -d ' \n')
ids=$(sed -n 's/.*"method":"tensorpoly-1"[^}]*"runs":\[\([0-9,]*\)\].*/\1/p' <<<"$report")
for id in ${ids//,/ }; do
  agreement=$("$run" analyze --run "$id" --db "$db" | tr -d '\n' | sed 's/  */ /g' |
    sed -n 's/.*"computed_on": "\([^"]*\)".*"agreement": \({[^}]*}\).*/\1: \2/p')
  echo "TensorPoly-I run $id: $agreement"
done
elapsed=$((SECONDS - start))
printf 'wall time: %dh%02dm (this call; a resumed study counts only what it ran)\n' \
  $((elapsed / 3600)) $((elapsed / 60 % 60))
