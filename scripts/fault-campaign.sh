#!/usr/bin/env bash
# The SIGKILL fault campaign: KILLS real training runs (tiny preset, short) killed with
# SIGKILL at random moments, spread over base pre-training, training steps, evaluation
# and checkpointing. After each kill: PRAGMA integrity_check must say ok, the killed run
# must read "interrupted" (or "finished" when it ended before the kill), no metric row
# committed before the kill may be missing, and every checkpoint the store lists must
# be a whole file that loads. Too slow for every CI run (about 5 s a kill); run it by
# hand before a release:
#   scripts/fault-campaign.sh [KILLS]      (default 100)
#   TENSORPOLY_BUILD_DIR  the build folder (default: build)
# Prints one line per kill and a summary; exit status 0 when every kill passed. Needs
# sqlite3 and python3.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${TENSORPOLY_BUILD_DIR:-$root/build}
kills=${1:-100}
run="$build_dir/app/tensorpoly-run"
[[ -x $run ]] || { echo "fault-campaign.sh: $run is missing; build it first" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "fault-campaign.sh: sqlite3 is missing" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="$work/campaign.sqlite"
warm_cache="$work/cache-warm"
common=(--preset tiny --db "$db" --threads 1 train.steps=16 train.eval_every=4
        train.routing_every=2 train.checkpoint_every=4 suite.n_validation=8)
# Every fifth run pre-trains its base model (a fresh cache), so kills land there too.
pretrain=(base.pretrain_steps=30 base.copy_steps=10)

# One unkilled run of each kind to learn how long they take.
start=$(date +%s.%N)
TENSORPOLY_CACHE_DIR="$warm_cache" "$run" train "${common[@]}" >/dev/null
train_seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
start=$(date +%s.%N)
TENSORPOLY_CACHE_DIR="$work/cache-calibrate" "$run" train "${common[@]}" "${pretrain[@]}" \
  >/dev/null
pretrain_seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
echo "fault-campaign: a run takes ${train_seconds} s, with pre-training ${pretrain_seconds} s"

sql() { sqlite3 -cmd ".timeout 10000" "$db" "$@"; }
failures=0
declare -A phases=()
for ((kill = 1; kill <= kills; ++kill)); do
  args=("${common[@]}" "train.checkpoint_dir=$work/checkpoints/$kill")
  cache=$warm_cache
  seconds=$train_seconds
  if ((kill % 5 == 0)); then
    args+=("${pretrain[@]}")
    cache="$work/cache-$kill"
    seconds=$pretrain_seconds
  fi
  log="$work/run-$kill.log"
  TENSORPOLY_CACHE_DIR="$cache" "$run" train "${args[@]}" >"$log" 2>&1 &
  pid=$!
  # A random moment within the run's expected span (from 5 % to 105 % of it).
  delay=$(awk -v s="$seconds" -v r="$RANDOM" 'BEGIN { printf "%.3f", s * (5 + r % 100) / 100 }')
  sleep "$delay"
  committed=$(sql "SELECT count(*) FROM metrics") || committed=0
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # Where it was: the last line it printed.
  last=$(tail -c 400 "$log" | tr '\r' '\n' | grep -v '^$' | tail -1) || last=""
  case $last in
    *"[base]"*) phase=pretraining ;;
    *eval*) phase=evaluation ;;
    *checkpoint*) phase=checkpoint ;;
    *"run finished"* | *"stored as run"*) phase=ended ;;
    *step*) phase=training ;;
    *) phase=starting ;;
  esac
  problems=()
  integrity=$(sql "PRAGMA integrity_check")
  [[ $integrity == ok ]] || problems+=("integrity_check: $integrity")
  # The killed run as every reader shows it (its row says "running" until the next
  # read-write open, the next kill's run, marks it; checked at the end).
  status=$("$run" runs --db "$db" --json 2>/dev/null | python3 -c '
import json, sys
runs = json.load(sys.stdin)
print(max(runs, key=lambda run: run["id"])["status"] if runs else "")') ||
    problems+=("the store does not open")
  if [[ $status != interrupted && $status != finished ]]; then
    if [[ -n $status || $phase != starting ]]; then problems+=("last run is '$status'"); fi
  fi
  now=$(sql "SELECT count(*) FROM metrics")
  ((now >= committed)) || problems+=("metrics rows $committed -> $now: committed rows lost")
  while IFS= read -r checkpoint; do
    [[ -z $checkpoint ]] && continue
    [[ -s $checkpoint ]] || problems+=("listed checkpoint $checkpoint is missing or empty")
  done < <(sql "SELECT path FROM checkpoints WHERE run_id = (SELECT max(id) FROM runs)")
  phases[$phase]=$((${phases[$phase]:-0} + 1))
  if ((${#problems[@]})); then
    failures=$((failures + 1))
    echo "kill $kill after ${delay} s ($phase): FAILED: ${problems[*]}"
  else
    echo "kill $kill after ${delay} s ($phase): ok, run ${status:-not started}," \
      "$committed -> $now metric rows"
  fi
done
# The last checkpoint of a killed run (one on the warm cache's base) resumes.
resumable=""
for ((kill = kills; kill >= 1 && ${#resumable} == 0; --kill)); do
  ((kill % 5 == 0)) && continue
  resumable=$(find "$work/checkpoints/$kill" -name 'step-*.pt' 2>/dev/null | sort | tail -1)
done
if [[ -n $resumable ]]; then
  if TENSORPOLY_CACHE_DIR="$warm_cache" "$run" train "${common[@]}" train.steps=60 \
    "train.resume_from=$resumable" "train.checkpoint_dir=$work/checkpoints/resumed" \
    >"$work/resume.log" 2>&1; then
    echo "fault-campaign: resumed from $(basename "$resumable") of a killed run: ok"
  else
    failures=$((failures + 1))
    echo "fault-campaign: resuming from $resumable FAILED:"
    tail -5 "$work/resume.log"
  fi
fi
# Every run but the last was followed by a read-write open: its row must say so.
unmarked=$(sql "SELECT count(*) FROM runs WHERE status NOT IN ('interrupted', 'finished')
                AND id < (SELECT max(id) FROM runs)")
if ((unmarked > 0)); then
  failures=$((failures + 1))
  echo "fault-campaign: $unmarked killed run(s) not marked interrupted in the store"
fi
summary=""
for phase in "${!phases[@]}"; do summary+=" $phase ${phases[$phase]},"; done
echo "fault-campaign: $kills kills,${summary%,}; $((kills - failures)) passed, $failures failed"
((failures == 0))
