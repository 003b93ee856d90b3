#!/usr/bin/env bash
# tests/reference/stop.sh [PORT...] -- stop the reference servers start.sh started from this
# PEER_WORK (all of them, or those on the given ports): SIGTERM, 5 s, then SIGKILL. A pid file
# whose process is gone or is no server.mjs is only removed. The database is never touched:
# DROP SCHEMA neon_auth_peer CASCADE removes the server's tables.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$HERE/../lib.sh"

PEER_WORK=${PEER_WORK:-${TMPDIR:-/tmp}/neon-authd-reference-$(id -u)}
files=()
if [ $# -gt 0 ]; then
  for p in "$@"; do files+=("$PEER_WORK/run/server-$p.pid"); done
else
  for f in "$PEER_WORK"/run/server-*.pid; do [ -f "$f" ] && files+=("$f"); done
fi
rc=0
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  if na_pid_alive "$pid" && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q 'server\.mjs'; then
    if na_kill_wait "$pid" 5 TERM; then echo "reference: stopped pid $pid" >&2
    else echo "reference: pid $pid had to be killed" >&2; rc=1; fi
  fi
  rm -f "$f"
done
exit $rc
