#!/usr/bin/env bash
# Starts tensorpoly-studio under Xvfb and waits until a window titled
# "TensorPoly Studio" is mapped on the virtual display. Prints xwininfo's line.
# Settings and data go to a temporary folder that is removed at the end.
# Usage: gui_smoke.sh PATH/TO/tensorpoly-studio
set -euo pipefail
studio=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/smoke.sqlite"
# The studio remembers its layout, config and database (QSettings) and keeps data
# under the XDG folders: point them at the temporary folder, never the user's own.
export XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
  unset QT_QPA_PLATFORM
  "$0" --db "$1" &
  pid=$!
  for _ in $(seq 1 100); do
    if line=$(xwininfo -root -tree 2>/dev/null | grep "\"TensorPoly Studio\""); then
      echo "$line"
      kill "$pid"; wait "$pid" || true
      exit 0
    fi
    sleep 0.2
  done
  kill "$pid" 2>/dev/null || true
  echo "no TensorPoly Studio window appeared within 20 s" >&2
  exit 1
' "$studio" "$db"
