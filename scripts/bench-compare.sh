#!/usr/bin/env bash
# Training throughput of the LibTorch engine (`tensorpoly-run bench`) beside the plain
# eager PyTorch reference (../shared/bench/bench_ref.py), interleaved (engine, reference,
# engine, reference, ...) so that a load change hits both sides alike, and summarised
# as medians. Prints the table of steps/s per shape and method, the ratios the adapters
# are judged by (TensorPoly step / LoRA step; engine / reference), and the trainable
# parameter counts of both sides. Optionally (--profile) one `bench --profile` line per
# shape and method (per-phase milliseconds), (--eval RUN_ID) the time of
# `tensorpoly-run eval` on a stored run and (--first-curve) the seconds from starting the
# default experiment with an empty base cache to its first training row in the store.
#
# Usage: scripts/bench-compare.sh [--rounds 3] [--steps 20] [--warmup 3] [--threads 2]
#            [--preset t5-tiny] [--shapes "16,64,16 2,16,4 32,32,16"]
#            [--methods "tensorpoly-1 tensorpoly-2 lora none poly"] [--profile]
#            [--eval RUN_ID --db FILE] [--first-curve] [--before RUNNER]
#   --before RUNNER  also time another build's tensorpoly-run (e.g. the main branch's)
#                    interleaved with the others, as the column "before"
# Environment: TENSORPOLY_BUILD_DIR (default build), BENCH_REF (default
# ../shared/bench/bench_ref.py beside the checkout), OPENBLAS_NUM_THREADS (default 1, as
# the reference's README asks for both sides). Measure on an otherwise idle machine.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${TENSORPOLY_BUILD_DIR:-$root/build}
runner=$build_dir/app/tensorpoly-run
reference=${BENCH_REF:-$root/../shared/bench/bench_ref.py}
python=/usr/bin/python3  # Debian's interpreter, the one with python3-torch

rounds=3 steps=20 warmup=3 threads=2 preset=t5-tiny
shapes="16,64,16 2,16,4 32,32,16"
methods="tensorpoly-1 tensorpoly-2 lora none poly"
profile=0 eval_run="" db="" first_curve=0 before=""
while (($#)); do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --preset) preset=$2; shift 2 ;;
    --shapes) shapes=$2; shift 2 ;;
    --methods) methods=$2; shift 2 ;;
    --profile) profile=1; shift ;;
    --eval) eval_run=$2; shift 2 ;;
    --db) db=$2; shift 2 ;;
    --first-curve) first_curve=1; shift ;;
    --before) before=$2; shift 2 ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "bench-compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ -x $runner ]] || { echo "bench-compare.sh: build first: no $runner" >&2; exit 2; }
have_reference=1
if [[ ! -f $reference ]] || ! "$python" -c 'import torch' 2>/dev/null; then
  echo "bench-compare.sh: no PyTorch reference ($reference with $python and torch):" \
    "engine columns only" >&2
  have_reference=0
fi
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=$threads

results=$(mktemp /tmp/bench-compare.XXXXXX)
trap 'rm -f "$results"' EXIT
# The reference has the same adapters as the engine's paper configuration only when the
# rank agrees: Poly and LoRA train rank 1 there (presets.cpp, paper_adapter_config).
reference_rank() { case $1 in poly | lora) echo 1 ;; *) echo 16 ;; esac; }
has_reference_method() { case $1 in tensorpoly-1 | poly | lora | none) return 0 ;; *) return 1 ;; esac; }

echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for ((round = 1; round <= rounds; ++round)); do
  for shape in $shapes; do
    IFS=, read -r batch src tgt <<<"$shape"
    for method in $methods; do
      args=(--preset "$preset" --method "$method" --batch "$batch" --src-len "$src"
        --tgt-len "$tgt" --steps "$steps" --warmup "$warmup" --threads "$threads")
      echo "# round $round: $shape $method" >&2
      line=$("$runner" bench "${args[@]}")
      echo "$shape libtorch $line" >>"$results"
      if [[ -n $before ]]; then
        line=$("$before" bench "${args[@]}")
        echo "$shape before $line" >>"$results"
      fi
      if ((have_reference)) && has_reference_method "$method"; then
        line=$("$python" "$reference" "${args[@]}" --rank "$(reference_rank "$method")" 2>/dev/null)
        echo "$shape pytorch $line" >>"$results"
      fi
    done
  done
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

"$python" - "$results" <<'EOF'
import json, statistics, sys
rows = {}
params = {}
for text in open(sys.argv[1]):
    shape, impl, payload = text.split(" ", 2)
    line = json.loads(payload)
    rows.setdefault((shape, impl, line["method"]), []).append(line["steps_per_s"])
    params[(shape, impl, line["method"])] = line["trainable_params"]
def med(shape, impl, method):
    values = rows.get((shape, impl, method))
    return statistics.median(values) if values else None
def fmt(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"
shapes = list(dict.fromkeys(key[0] for key in rows))  # in the order measured
methods = ["tensorpoly-1", "tensorpoly-2", "lora", "none", "poly"]
columns = [(m, impl) for m in methods for impl in ("libtorch", "before", "pytorch")
           if any(k[1] == impl and k[2] == m for k in rows)]
print("steps/s, median of", max(len(v) for v in rows.values()), "interleaved rounds")
print("| shape (batch,src,tgt) | " + " | ".join(f"{m} {impl}" for m, impl in columns) + " |")
for shape in shapes:
    print(f"| {shape} | " + " | ".join(fmt(med(shape, impl, m)) for m, impl in columns) + " |")
print()
print("| shape | TP-I step / LoRA step | TP-II step / LoRA step | TP-I libtorch / pytorch "
      "steps/s | trainable TP-I libtorch / pytorch |")
for shape in shapes:
    tp1, tp2, lora = (med(shape, "libtorch", m) for m in ("tensorpoly-1", "tensorpoly-2", "lora"))
    ref = med(shape, "pytorch", "tensorpoly-1")
    ratio = lambda a, b: None if a is None or b is None else a / b
    print(f"| {shape} | {fmt(ratio(lora, tp1), 3)} | {fmt(ratio(lora, tp2), 3)} | "
          f"{fmt(ratio(tp1, ref), 3)} | {params.get((shape, 'libtorch', 'tensorpoly-1'), '-')} / "
          f"{params.get((shape, 'pytorch', 'tensorpoly-1'), '-')} |")
mismatch = [(k, v, params.get((k[0], "pytorch", k[2]))) for k, v in params.items()
            if k[1] == "libtorch" and params.get((k[0], "pytorch", k[2])) not in (None, v)]
for key, ours, theirs in mismatch:
    print(f"note: trainable parameters differ for {key[2]}: libtorch {ours}, pytorch {theirs}")
EOF

if ((profile)); then
  echo
  echo "per-phase profile (ms per step, medians; one run each):"
  for shape in $shapes; do
    IFS=, read -r batch src tgt <<<"$shape"
    for method in $methods; do
      echo "$shape $method $("$runner" bench --preset "$preset" --method "$method" --batch "$batch" \
        --src-len "$src" --tgt-len "$tgt" --steps "$steps" --warmup "$warmup" \
        --threads "$threads" --profile)"
    done
  done
fi

if [[ -n $eval_run ]]; then
  echo
  db_args=()
  [[ -n $db ]] && db_args=(--db "$db")
  evaluators=("$runner")
  [[ -n $before ]] && evaluators+=("$before")
  for ((round = 1; round <= rounds; ++round)); do
    for evaluator in "${evaluators[@]}"; do
      start=$(date +%s.%N)
      "$evaluator" eval --run "$eval_run" "${db_args[@]}" --threads "$threads" >/dev/null
      end=$(date +%s.%N)
      echo "eval of run $eval_run by $evaluator: $("$python" -c "print(f'{$end - $start:.2f}')") s"
    done
  done
fi

if ((first_curve)); then
  echo
  scratch=$(mktemp -d /tmp/bench-compare-curve.XXXXXX)
  store=$scratch/sessions.sqlite
  start=$(date +%s.%N)
  TENSORPOLY_CACHE_DIR=$scratch/cache "$runner" train --preset default --db "$store" \
    --threads "$threads" >"$scratch/train.log" 2>&1 &
  trainer=$!
  first=""
  while kill -0 "$trainer" 2>/dev/null; do
    if [[ -f $store ]] && rows=$(sqlite3 "$store" \
      "SELECT count(*) FROM metrics WHERE split = 'train'" 2>/dev/null) && ((rows > 0)); then
      first=$(date +%s.%N)
      break
    fi
    sleep 1
  done
  kill "$trainer" 2>/dev/null || true
  wait "$trainer" 2>/dev/null || true
  if [[ -n $first ]]; then
    echo "first training row after $("$python" -c "print(f'{$first - $start:.1f}')") s" \
      "(empty cache, preset default)"
  else
    echo "the run ended before a training row appeared; see $scratch/train.log"
  fi
fi
