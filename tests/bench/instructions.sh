#!/usr/bin/env bash
# tests/bench/instructions.sh [OUT] -- instructions a worker executes per get-session and per
# token request (the session cache warm), counted by valgrind's callgrind, for one or more
# binaries side by side: the A/B that wall-clock runs on a shared 2-core machine cannot settle
# (issue 18, "keep only what an interleaved run shows").  About 1 minute per binary.
#
# For each binary in NA_BINS: one stack (tests/stack, pool.workers = 1, rate limiting off), one
# signed-up user; the daemon restarted under callgrind (workers are forked, so each has its own
# count), then three worker lifetimes with (get-session, token) request counts (N, N), (2N, N)
# and (N, 2N) after 50 warm-up requests of each; the worker's total instructions in the three
# give the per-request cost of each path and the fixed cost (start, warm-up, exit) by
# difference.  Instruction counts do not depend on the machine's load: compare binaries across
# runs, not only within one.  Requests go through nginx with curl keep-alive, one at a time.
#
# Env: OUT (or $1), NA_BINS (the built src/neon-authd; e.g. "old/neon-authd new/neon-authd"),
# CG_N (1000), BENCH_TIMEOUT (900 s watchdog), KEEP=1.  Needs valgrind, curl, nginx, PostgreSQL.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$HERE/../lib.sh"
N=${CG_N:-1000}
for c in valgrind curl nginx; do command -v "$c" >/dev/null || na_die "$c not found"; done
OUT=${1:-${OUT:-}}
[ -n "$OUT" ] || OUT=$(mktemp -d "${TMPDIR:-/tmp}/neon-authd-insn-out.XXXXXX")
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd -P)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nai.XXXXXX"); chmod 755 "$WORK"
LOGF=$OUT/log.txt; : >"$LOGF"
log() { echo "[insn $(date +%T)] $*" | tee -a "$LOGF" >&2; }
CG_PID="" WATCHDOG=""
export STACK_DIR=$WORK/stack
cleanup() {
  local rc=$?; trap - EXIT INT TERM
  [ -n "$CG_PID" ] && { kill "$CG_PID" 2>/dev/null; wait "$CG_PID" 2>/dev/null || true; }
  [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
  [ -d "$STACK_DIR" ] && { "$NA_TOP/tests/stack" wipe >>"$LOGF" 2>&1 || true; }
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM
( trap 'kill $s 2>/dev/null; exit 0' TERM
  sleep "${BENCH_TIMEOUT:-900}" >/dev/null 2>&1 & s=$!; wait $s
  echo "[insn] watchdog: stopping after ${BENCH_TIMEOUT:-900}s" >&2; kill -TERM $$ ) &
WATCHDOG=$!

if [ -z "${NA_BINS:-}" ]; then
  log "building"; make -C "$NA_TOP" -j"$(nproc)" >>"$LOGF" 2>&1 || na_die "build failed (log $LOGF)"
  NA_BINS=$NA_TOP/src/neon-authd
fi

# urls PATH COUNT: a curl config of COUNT requests to PATH, bodies discarded
urls() { local i; for ((i = 0; i < $2; i++)); do printf 'url = "%s/%s"\noutput = /dev/null\n' "$AUTH_URL" "$1"; done; }

# lifetime GS TOKEN: start the daemon under callgrind, warm up, run the requests, stop it; prints
# the worker's instruction count (the child with the most: the others are the master's helpers)
lifetime() {
  local gs=$1 tk=$2 f best=0 v codes
  rm -f "$WORK"/cg.out.*
  setsid valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out.%p" "$BIN" -f -c "$STACK_DIR/neon-authd.conf" \
    </dev/null >>"$WORK/cg.log" 2>&1 &
  CG_PID=$!
  na_wait_ms 60000 curl -fs -o /dev/null --max-time 5 "$AUTH_URL/ok" || na_die "the daemon under valgrind did not answer (log $WORK/cg.log)"
  { urls get-session 50; urls token 50; } >"$WORK/warm.cfg"
  { urls get-session "$gs"; urls token "$tk"; } >"$WORK/run.cfg"
  curl -sS -H "Cookie: $COOKIE" -K "$WORK/warm.cfg" >/dev/null
  codes=$(curl -sS -H "Cookie: $COOKIE" -K "$WORK/run.cfg" -w '%{http_code}\n' | sort | uniq -c | tr -s ' ' | tr '\n' ',')
  [ "$codes" = " $((gs + tk)) 200," ] || na_die "not every request answered 200: $codes"
  kill "$CG_PID"; wait "$CG_PID" 2>/dev/null || true; CG_PID=""
  for f in "$WORK"/cg.out.*; do
    v=$(awk '/^summary:/ {print $2; exit}' "$f"); [ -n "$v" ] && [ "$v" -gt "$best" ] && best=$v
  done
  echo "$best"
}

declare -a ROWS
for BIN0 in $NA_BINS; do
  [ -x "$BIN0" ] || na_die "no binary at $BIN0"
  BIN=$WORK/neon-authd; cp "$BIN0" "$BIN"
  log "$BIN0: stack up (pool.workers = 1)"
  "$NA_TOP/tests/stack" wipe >>"$LOGF" 2>&1 || true
  STACK_ENV=$(NA_BIN=$BIN STACK_WORKERS=1 "$NA_TOP/tests/stack" up 2>>"$LOGF") || na_die "tests/stack up failed (log $LOGF)"
  eval "$STACK_ENV"
  sed -i "s/^\( *max_requests = \)[0-9]*;/\11000000;/" "$STACK_DIR/neon-authd.conf"
  "$(na_pgbin)/psql" -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" \
    -c "UPDATE neon_auth.project_config SET settings = settings || '{\"rate_limit\":{\"enabled\":false}}'" >>"$LOGF"
  curl -sS -o /dev/null --max-time 20 -H 'Content-Type: application/json' \
    --data-binary '{"email":"insn@example.com","password":"insn-password-123","name":"I"}' "$AUTH_URL/sign-up/email"
  COOKIE=$(curl -sS --max-time 20 -D - -o /dev/null -H 'Content-Type: application/json' \
    --data-binary '{"email":"insn@example.com","password":"insn-password-123"}' "$AUTH_URL/sign-in/email" |
    sed -n 's/^[Ss]et-[Cc]ookie: \(neon-auth\.session_token=[^;]*\);.*/\1/p' | head -1)
  [ -n "$COOKIE" ] || na_die "sign-in failed (log $LOGF)"
  MASTER=$(cat "$STACK_DIR/neon-authd.pid"); kill "$MASTER"
  na_wait_ms 15000 bash -c "! kill -0 $MASTER 2>/dev/null" || na_die "the stack's daemon did not stop"
  a=$(lifetime "$N" "$N"); b=$(lifetime $((2 * N)) "$N"); c=$(lifetime "$N" $((2 * N)))
  gs=$(( (b - a) / N )) tk=$(( (c - a) / N )) fixed=$(( a - N * (b - a) / N - N * (c - a) / N ))
  log "$BIN0: get-session $gs, token $tk instructions a request; fixed $fixed (worker totals $a $b $c)"
  ROWS+=("| $BIN0 | $gs | $tk | $((fixed / 1000000)).$(( fixed % 1000000 / 100000 ))M |")
  "$NA_TOP/tests/stack" wipe >>"$LOGF" 2>&1 || true
done

{
  echo "# Instructions per request in one worker (callgrind)"
  echo
  echo "$(date -u +%F\ %T) UTC, git $(git -C "$NA_TOP" rev-parse --short HEAD 2>/dev/null || echo '?'), N = $N; get-session and token with the session cache warm, through nginx, one request at a time."
  echo
  echo "| binary | get-session | token | fixed (start, warm-up, exit) |"
  echo "|---|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
} >"$OUT/summary.md"
cat "$OUT/summary.md"
