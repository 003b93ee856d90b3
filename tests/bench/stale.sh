#!/usr/bin/env bash
# tests/bench/stale.sh [OUT] -- the stale probe (issue 18): how long a session revoked through
# plain SQL keeps working with the session cache on.
#
# Brings up a dedicated stack (tests/stack, STACK_DIR in a temp dir, pool.workers = BENCH_WORKERS,
# the session cache at its default), signs a user up, then for each of STALE_ROUNDS rounds signs
# it in (a fresh session) and runs tests/bench/stale.c: STALE_THREADS client threads call
# get-session in a tight loop over keep-alive connections to nginx (so every worker answers), and
# once each has seen the session 20 times, one autocommit statement on its own connection revokes
# it -- the rounds take turns: DELETE of the session row, a ban (UPDATE "user" SET banned = true;
# lifted after the round), an expiry moved into the past.  A stale answer is one that still shows
# the session although its request was sent after the COMMIT returned; the probe counts them and
# gives the longest delay (request sent - commit returned).  Target: none later than 1 ms.
# Bounded: each round stops 300 ms after the commit (5 s at most); the whole run is watched
# (STALE_TIMEOUT, 300 s).  Prints a summary on stdout and into OUT/stale.md.
#
# Env: BENCH_WORKERS (4), STALE_ROUNDS (12), STALE_THREADS (8), NA_BIN (skip the build),
#      KEEP=1.  Needs: curl, a C compiler, libpq headers.  Loopback only.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$HERE/../lib.sh"

WORKERS=${BENCH_WORKERS:-4} ROUNDS=${STALE_ROUNDS:-12} THREADS=${STALE_THREADS:-8}
for c in curl cc; do command -v "$c" >/dev/null || na_die "$c not found (scripts/install-deps)"; done
OUT=${1:-${OUT:-}}
[ -n "$OUT" ] || OUT=$(mktemp -d "${TMPDIR:-/tmp}/neon-authd-stale-out.XXXXXX")
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd -P)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nas.XXXXXX"); chmod 755 "$WORK"
export STACK_DIR=$WORK/stack
LOGF=$OUT/stale-log.txt; : >"$LOGF"
log() { echo "[stale $(date +%T)] $*" | tee -a "$LOGF" >&2; }
STACK_STARTED=0 WATCHDOG=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
  [ "$STACK_STARTED" = 1 ] && { "$NA_TOP/tests/stack" wipe >>"$LOGF" 2>&1 || true; }
  if [ "${KEEP:-0}" = 1 ]; then echo "work files kept in $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM
( trap 'kill $s 2>/dev/null; exit 0' TERM
  sleep "${STALE_TIMEOUT:-300}" >/dev/null 2>&1 & s=$!; wait $s
  echo "[stale] watchdog: still running after ${STALE_TIMEOUT:-300}s, stopping" >&2; kill -TERM $$ ) &
WATCHDOG=$!

if [ -z "${NA_BIN:-}" ] || [ "$NA_BIN" = "$NA_TOP/src/neon-authd" ]; then
  log "building neon-authd (log $OUT/build.log)"
  na_build "$OUT/build.log" || { tail -n 30 "$OUT/build.log" >&2; na_die "build failed"; }
  NA_BIN=$NA_TOP/src/neon-authd
fi
cp "$NA_BIN" "$WORK/neon-authd"; export NA_BIN=$WORK/neon-authd
PGINC=$(pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
cc -O2 -D_GNU_SOURCE -o "$WORK/stale" "$HERE/stale.c" -I"$PGINC" -lpq -lpthread || na_die "cannot build stale.c"

log "stack up in $STACK_DIR (pool.workers = $WORKERS)"
STACK_STARTED=1
STACK_ENV=$(STACK_WORKERS=$WORKERS "$NA_TOP/tests/stack" up 2>>"$LOGF") || na_die "tests/stack up failed (log $LOGF)"
eval "$STACK_ENV"
: "${AUTH_URL:?}" "${DATABASE_URL:?}"
psql_db() { "$(na_pgbin)/psql" -X -q -tA -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }
psql_db -c "UPDATE neon_auth.project_config SET settings = settings || '{\"rate_limit\":{\"enabled\":false}}'" >>"$LOGF"
sleep 1
HOSTPORT=${AUTH_URL#http://}; HOSTPORT=${HOSTPORT%%/*}
HOST=${HOSTPORT%:*} PORT=${HOSTPORT##*:}
GSPATH=/${AUTH_URL#http://*/}/get-session
EMAIL=stale@example.com PASS=stale-password-123
curl -sS --max-time 20 -o /dev/null -H 'Content-Type: application/json' \
  --data-binary "{\"email\":\"$EMAIL\",\"password\":\"$PASS\",\"name\":\"Stale\"}" "$AUTH_URL/sign-up/email"
UID_=$(psql_db -c "SELECT id FROM neon_auth.\"user\" WHERE email = '$EMAIL'")
[ -n "$UID_" ] || na_die "sign-up failed (log $LOGF)"

TOT_AFTER=0 TOT_STALE=0 MAXD=0 KINDS=(delete ban expire)
printf '| round | revoke | requests | after commit | stale | longest delay (µs) | first fresh (µs) |\n|---|---|---|---|---|---|---|\n' >"$OUT/stale.md"
for ((i = 0; i < ROUNDS; i++)); do
  kind=${KINDS[$((i % 3))]}
  cookie=$(curl -sS --max-time 20 -D - -o /dev/null -H 'Content-Type: application/json' \
    --data-binary "{\"email\":\"$EMAIL\",\"password\":\"$PASS\"}" "$AUTH_URL/sign-in/email" |
    sed -n 's/^[Ss]et-[Cc]ookie: \(neon-auth\.session_token=[^;]*\);.*/\1/p' | head -1)
  [ -n "$cookie" ] || na_die "sign-in failed in round $i"
  tok=${cookie#*=}; tok=${tok%%.*}
  case $kind in
    delete) sql="DELETE FROM neon_auth.session WHERE token = '$tok'" ;;
    ban) sql="UPDATE neon_auth.\"user\" SET banned = true WHERE id = '$UID_'" ;;
    expire) sql="UPDATE neon_auth.session SET \"expiresAt\" = now() - interval '1 minute' WHERE token = '$tok'" ;;
  esac
  line=$("$WORK/stale" "$HOST" "$PORT" "$GSPATH" "$cookie" "$DATABASE_URL" "$sql" "$THREADS") ||
    na_die "probe failed in round $i"
  read -r _ req _ after _ stale _ maxd _ ff _ warm <<<"$line"
  [ "$warm" = 1 ] || log "round $i: not every thread saw the session before the revoke"
  printf '| %d | %s | %s | %s | %s | %s | %s |\n' "$i" "$kind" "$req" "$after" "$stale" "$maxd" "$ff" >>"$OUT/stale.md"
  TOT_AFTER=$((TOT_AFTER + after)) TOT_STALE=$((TOT_STALE + stale))
  [ "$maxd" -gt "$MAXD" ] && MAXD=$maxd
  [ "$kind" = ban ] && psql_db -c "UPDATE neon_auth.\"user\" SET banned = false WHERE id = '$UID_'" >/dev/null
done
{
  echo
  echo "$ROUNDS rounds, $THREADS client threads, pool.workers = $WORKERS, load average $(cut -d' ' -f1-3 /proc/loadavg):"
  echo "$TOT_STALE stale answers of $TOT_AFTER requests sent after the commit; longest delay $MAXD µs (target: none later than 1000 µs)."
} >>"$OUT/stale.md"
cat "$OUT/stale.md"
