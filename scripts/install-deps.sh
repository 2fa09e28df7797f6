#!/usr/bin/env bash
# Installs TensorPoly Studio's build and test dependencies from Debian packages.
# Idempotent and quick when nothing is missing (it only asks dpkg). Needs root
# (or sudo) only when something has to be installed.
# Usage: scripts/install-deps.sh [--no-gui]
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev               # LibTorch 1.13 (CPU)
  libopenblas0-openmp        # optimized BLAS sharing LibTorch's OpenMP pool
  libsqlite3-dev nlohmann-json3-dev
  libre2-dev                 # linear-time matching of user regexes (module/layer names)
  libsentencepiece-dev       # the tokenizer of Hugging Face T5 checkpoint folders
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  clang-format clang-tidy    # scripts/check-format.sh, scripts/check-tidy.sh
  clang libclang-rt-14-dev   # scripts/sanitize.sh, scripts/fuzz.sh: ASan, UBSan, libFuzzer
  sqlite3                    # scripts/fault-campaign.sh looks at the store from outside
)
if [[ "${1:-}" != "--no-gui" ]]; then
  packages+=(
    qt6-base-dev libqcustomplot-dev libgl-dev
    xvfb xauth x11-utils     # GUI tests and screenshots under Xvfb
  )
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$package")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Debian's LibTorch calls whatever libblas.so.3 the alternatives select; make it
# the OpenMP OpenBLAS (the reference BLAS is ~17x slower, the pthread OpenBLAS
# oversubscribes the cores next to LibTorch's own OpenMP pool).
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for lib in libblas.so.3 liblapack.so.3; do
  target="/usr/lib/$arch/openblas-openmp/$lib"
  current=$(readlink -f "/etc/alternatives/$lib-$arch" 2>/dev/null || true)
  if [[ -e "$target" && "$current" != "$target" ]]; then
    echo "install-deps: selecting $target"
    sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" update-alternatives --set "$lib-$arch" "$target"
  fi
done
