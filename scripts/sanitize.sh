#!/usr/bin/env bash
# Builds the torch-free libraries and their test suites (engine/api, engine/analysis,
# sessions) and the libFuzzer targets of tests/fuzz with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer into a build folder of their own (build-asan/), runs the
# suites, and gives every fuzz target a short smoke run over its seed corpus. Run on its
# own (scripts/test.sh does not call it). The LibTorch suites and the GUI stay out:
# built with sanitizers they would double CI's time; the LibTorch parsers (safetensors,
# .pt checkpoints, JSONL) are covered by their fuzz targets, which compile those sources.
# Usage: scripts/sanitize.sh
#   TENSORPOLY_ASAN_BUILD_DIR  the build folder (default: build-asan)
#   FUZZ_SMOKE_SECONDS         seconds of fuzzing per target after its corpus (default 10)
# Exit status: 0 clean, 1 a test or a fuzz target failed (or a sanitizer reported).
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${TENSORPOLY_ASAN_BUILD_DIR:-$root/build-asan}
start=$SECONDS
generator=()
command -v ninja >/dev/null && [[ ! -f "$build_dir/Makefile" ]] && generator=(-G Ninja)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
CXX=clang++ cmake -S "$root" -B "$build_dir" "${generator[@]}" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTENSORPOLY_WERROR=ON -DTENSORPOLY_GUI=OFF \
  -DTENSORPOLY_BENCHMARKS=OFF -DTENSORPOLY_SANITIZE=ON -DTENSORPOLY_FUZZ=ON >/dev/null
suites=(test_engine_api test_analysis test_sessions)
targets=(fuzz_config fuzz_jsonl fuzz_safetensors fuzz_checkpoint fuzz_import fuzz_routing)
cmake --build "$build_dir" --parallel "${TENSORPOLY_JOBS:-$(nproc)}" \
  --target "${suites[@]}" "${targets[@]}"
built=$SECONDS

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TENSORPOLY_CACHE_DIR="$build_dir/test-cache"
failed=()
for suite in "${suites[@]}"; do
  # One process per suite (faster than ctest's one per test); a sanitizer report aborts it.
  if ! (cd "$build_dir/tests" && "./$suite" --gtest_brief=1); then failed+=("$suite"); fi
done
for target in "${targets[@]}"; do
  if ! "$root/scripts/fuzz.sh" "$target" "${FUZZ_SMOKE_SECONDS:-10}"; then failed+=("$target"); fi
done
echo "sanitize.sh: build $((built - start)) s, tests and fuzz smoke runs $((SECONDS - built)) s"
total=$((${#suites[@]} + ${#targets[@]}))
((${#failed[@]})) && echo "sanitize.sh: failed: ${failed[*]}" >&2
echo "sanitize: $((total - ${#failed[@]})) passed, ${#failed[@]} failed"
((${#failed[@]} == 0))
