#!/usr/bin/env bash
# The GPU check: builds the engine, store and runner without Qt against the CUDA LibTorch of
# the machine's Python PyTorch, runs the tests, and measures bf16 training throughput and
# MFU with `tensorpoly-run bench --preset t5-large-shape --precision bf16`.
#
#   scripts/gpu-check.sh pack DIR   on a machine with the Debian packages (scripts/install-
#                                   deps.sh): copies the headers, libraries and CMake files
#                                   of nlohmann-json, SQLite, SentencePiece and GoogleTest
#                                   into DIR, to be carried to a machine without them.
#   scripts/gpu-check.sh run [DIR]  on the GPU machine: DIR (default shared/gpu-deps) is put
#                                   on CMAKE_PREFIX_PATH; the build goes to build-gpu/.
#
# The carried libraries are Debian's, built with the C++11 ABI; a LibTorch built with the
# old ABI (torch._C._GLIBCXX_USE_CXX11_ABI False: PyTorch wheels before 2.7) cannot link
# with them, and the script stops saying so.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-run}

pack() {
  # Debian's layout (lib/x86_64-linux-gnu, its cmake/ folders) is kept, so that the CMake
  # package files find their headers and libraries relative to themselves.
  local dir=$1 multiarch=lib/x86_64-linux-gnu
  mkdir -p "$dir/include" "$dir/$multiarch/cmake"
  cp -r /usr/include/nlohmann /usr/include/gtest /usr/include/gmock "$dir/include/"
  cp /usr/include/sqlite3.h /usr/include/sqlite3ext.h /usr/include/sentencepiece_processor.h \
    /usr/include/sentencepiece_trainer.h "$dir/include/"
  cp -a /usr/$multiarch/libsqlite3.so* /usr/$multiarch/libsentencepiece.so* \
    /usr/$multiarch/libgtest*.a /usr/$multiarch/libgmock*.a "$dir/$multiarch/"
  local json_cmake
  json_cmake=$(dirname "$(find /usr/share/cmake /usr/lib -name nlohmann_jsonConfig.cmake | head -1)")
  if [[ $json_cmake == /usr/share/* ]]; then
    mkdir -p "$dir/share/cmake" && cp -r "$json_cmake" "$dir/share/cmake/"
  else
    cp -r "$json_cmake" "$dir/$multiarch/cmake/"
  fi
  cp -r /usr/$multiarch/cmake/GTest "$dir/$multiarch/cmake/"
  echo "packed into $dir ($(du -sh "$dir" | cut -f1))"
}

run() {
  local deps=${1:-$root/shared/gpu-deps}
  deps=$(cd "$deps" && pwd)
  local torch_prefix abi
  torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
  abi=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
      "devices", torch.cuda.device_count())'
  if [[ $abi != 1 ]]; then
    echo "this PyTorch uses the old C++ ABI; the carried Debian libraries need the new one" >&2
    exit 1
  fi
  export LD_LIBRARY_PATH=$deps/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  local build=$root/build-gpu jobs shared=()
  jobs=$(nproc)
  # The fixtures: ../shared beside the checkout (the default), or shared/ inside it.
  [[ -d $root/shared/fixtures ]] && shared=(-DTENSORPOLY_SHARED_DIR="$root/shared")
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTENSORPOLY_GUI=OFF \
    -DTENSORPOLY_BENCHMARKS=OFF -DTENSORPOLY_WERROR=ON \
    -DCMAKE_PREFIX_PATH="$deps;$torch_prefix" -DTorch_DIR="$torch_prefix/Torch" \
    "${shared[@]}" ${GENERATOR:+-G "$GENERATOR"}
  cmake --build "$build" --parallel "$jobs"
  # The engine suites, the CLI and the store: every test that runs without a display.
  (cd "$build" && ctest --output-on-failure --parallel "$jobs" --timeout 900) || status=$?
  echo "ctest exit status ${status:-0}"
  "$build/app/tensorpoly-run" --version
  for precision in bf16 fp32; do
    "$build/app/tensorpoly-run" bench --preset t5-large-shape --method tensorpoly-1 \
      --precision "$precision" --device cuda --batch 32 --src-len 256 --tgt-len 64 \
      --steps 10 --warmup 3 |
      tee /dev/stderr |
      python3 -c 'import json, sys
line = json.loads(sys.stdin.read())
print("%s: %.3f steps/s, %.1f TFLOP/s, MFU %s (peak %s from %s)" % (line["precision"],
      line["steps_per_s"], line["achieved_tflops"],
      "n/a" if line["mfu"] is None else "%.1f%%" % (100 * line["mfu"]),
      line["peak_tflops"], line["peak_source"] or "-"))'
  done
  return "${status:-0}"
}

case $mode in
  pack) pack "${2:?usage: scripts/gpu-check.sh pack DIR}" ;;
  run) run "${2:-}" ;;
  *) echo "usage: scripts/gpu-check.sh pack DIR | run [DIR]" >&2; exit 2 ;;
esac
