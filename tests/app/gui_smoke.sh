#!/usr/bin/env bash
# Starts tensorpoly-studio under Xvfb and waits until a window titled
# "TensorPoly Studio" is mapped on the virtual display. Prints xwininfo's line.
# Usage: gui_smoke.sh PATH/TO/tensorpoly-studio
set -euo pipefail
studio=$1
db=$(mktemp --suffix=.sqlite)
trap 'rm -f "$db" "$db-wal" "$db-shm"' EXIT
exec xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
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
