#!/usr/bin/env bash
# Checks that C++ sources and headers are formatted as the repository's .clang-format
# says (clang-format --dry-run -Werror) and names every file that is not. Part of the
# README's test command (scripts/test.sh) and of ctest (Format.ClangFormatClean).
# Usage: scripts/check-format.sh [FILE...]
#   default: every tracked *.cpp, *.cc, *.h, *.hpp of the checkout
#   fix:     clang-format -i FILE...
# Exit status: 0 all formatted, 1 some file is not, 2 clang-format is missing.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v clang-format >/dev/null; then
  echo "check-format.sh: clang-format is missing (scripts/install-deps.sh installs it)" >&2
  exit 2
fi

files=()
if (($#)); then
  files=("$@")
else
  cd "$root"
  # Tracked files only (never build output); a tracked file deleted in the work tree
  # is skipped.
  while IFS= read -r -d '' file; do
    [[ -f $file ]] && files+=("$file")
  done < <(git ls-files -z -- '*.cpp' '*.cc' '*.h' '*.hpp')
fi
((${#files[@]})) || { echo "check-format.sh: no C++ files to check" >&2; exit 2; }

# The style file is named explicitly, so that a file outside the tree (a temporary
# copy) is checked against the same rules.
if report=$(clang-format --dry-run -Werror --style="file:$root/.clang-format" "${files[@]}" 2>&1)
then
  echo "check-format.sh: ${#files[@]} files formatted"
  exit 0
fi
# "FILE:LINE:COLUMN: error: code should be clang-formatted", one line per place.
mapfile -t unformatted < <(sed -n 's/^\(.*\):[0-9]*:[0-9]*: error: .*/\1/p' <<<"$report" | sort -u)
if ((${#unformatted[@]} == 0)); then
  echo "$report" >&2  # clang-format failed for another reason: show why
  exit 1
fi
echo "check-format.sh: ${#unformatted[@]} of ${#files[@]} files are not clang-formatted:" >&2
printf '  %s\n' "${unformatted[@]}" >&2
echo "fix with: clang-format -i FILE... (see docs/CONTRIBUTING.md)" >&2
exit 1
