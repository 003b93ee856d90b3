#!/usr/bin/env bash
# tests/bench/floor.sh [OUT] -- get-session and token against the FastCGI floor (issue 18).
#
# One stack (tests/stack, STACK_DIR in a temp dir, pool.workers = BENCH_WORKERS) whose nginx also
# serves the bench's own floor programs (tests/bench/floor/floor.c, built here) under
# /floor-hello/ and /floor-lookup/, so every case goes through the same nginx to the same kind of
# unix socket: the hello floor (a FastCGI "ok" and nothing else) and the lookup floor (one
# prepared session-and-user lookup per request, the row as JSON), each with BENCH_WORKERS
# processes.  Then, one wrk run per case (a warm-up run first, discarded), in this order:
# hello floor, lookup floor, our GET ok, get-session and token with the session cache on (the
# default), BENCH_ROUNDS times interleaved, then the same two with pool.session_cache = 0 (the config edited, SIGHUP).  Reports
# requests/s, p50, p99 and the ratios to both floors; the load average before and after (the
# machine may be shared: compare ratios within one run only).  BENCH_PROFILE=1 (the default)
# also records the pool with perf during an extra get-session run (OUT/perf-report.txt, by
# library and symbol).
#
# Env: BENCH_WORKERS (4), WRK_THREADS (2), WRK_CONNS (32), WRK_DURATION (8s), WRK_WARMUP (2s),
#      BENCH_ROUNDS (3: interleaved rounds of the first five cases), BENCH_PROFILE (1), NA_BIN (skip the build), KEEP=1.  Needs: wrk, curl, nginx, a C
#      compiler, libfcgi and libpq headers; perf for the profile.  Loopback only.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$HERE/../lib.sh"

WORKERS=${BENCH_WORKERS:-4} ROUNDS=${BENCH_ROUNDS:-3}
T=${WRK_THREADS:-2} C=${WRK_CONNS:-32} D=${WRK_DURATION:-8s} WARM=${WRK_WARMUP:-2s}
for c in wrk curl nginx cc; do command -v "$c" >/dev/null || na_die "$c not found (scripts/install-deps)"; done
OUT=${1:-${OUT:-}}
[ -n "$OUT" ] || OUT=$(mktemp -d "${TMPDIR:-/tmp}/neon-authd-floor-out.XXXXXX")
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd -P)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/naf.XXXXXX"); chmod 755 "$WORK"
export STACK_DIR=$WORK/stack
LOGF=$OUT/floor-log.txt; : >"$LOGF"
log() { echo "[floor $(date +%T)] $*" | tee -a "$LOGF" >&2; }
STACK_STARTED=0 WATCHDOG="" FLOORS=()
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
  for p in "${FLOORS[@]}"; do kill "$p" 2>/dev/null; done
  [ "$STACK_STARTED" = 1 ] && { "$NA_TOP/tests/stack" wipe >>"$LOGF" 2>&1 || true; }
  if [ "${KEEP:-0}" = 1 ]; then echo "work files kept in $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM
( trap 'kill $s 2>/dev/null; exit 0' TERM
  sleep "${BENCH_TIMEOUT:-900}" >/dev/null 2>&1 & s=$!; wait $s
  echo "[floor] watchdog: still running after ${BENCH_TIMEOUT:-900}s, stopping" >&2; kill -TERM $$ ) &
WATCHDOG=$!

if [ -z "${NA_BIN:-}" ] || [ "$NA_BIN" = "$NA_TOP/src/neon-authd" ]; then
  log "building neon-authd (log $OUT/build.log)"
  na_build "$OUT/build.log" || { tail -n 30 "$OUT/build.log" >&2; na_die "build failed"; }
  NA_BIN=$NA_TOP/src/neon-authd
fi
cp "$NA_BIN" "$WORK/neon-authd"; export NA_BIN=$WORK/neon-authd
PGINC=$(pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
cc -O2 -o "$WORK/floor" "$HERE/floor/floor.c" -I"$PGINC" -lfcgi -lpq || na_die "cannot build floor.c"

HELLO_SOCK=$WORK/hello.sock LOOKUP_SOCK=$WORK/lookup.sock
export NA_NGINX_EXTRA="
    location /floor-hello/ { include fastcgi_params; fastcgi_pass unix:$HELLO_SOCK; fastcgi_keep_conn off; }
    location /floor-lookup/ { include fastcgi_params; fastcgi_pass unix:$LOOKUP_SOCK; fastcgi_keep_conn off; }
"
log "stack up in $STACK_DIR (pool.workers = $WORKERS)"
STACK_STARTED=1
STACK_ENV=$(STACK_WORKERS=$WORKERS "$NA_TOP/tests/stack" up 2>>"$LOGF") || na_die "tests/stack up failed (log $LOGF)"
eval "$STACK_ENV"
: "${AUTH_URL:?}" "${DATABASE_URL:?}"
MASTER=$(cat "$STACK_DIR/neon-authd.pid")
# the shipped pool.max_requests, not the test stack's 10000 (a recycled worker starts cold)
sed -i "s/^\( *max_requests = \)[0-9]*;/\11000000;/" "$STACK_DIR/neon-authd.conf"
kill -HUP "$MASTER"; sleep 3
ORIGIN=${AUTH_URL%"${AUTH_URL#http://*/}"}; ORIGIN=${ORIGIN%/}
psql_db() { "$(na_pgbin)/psql" -X -q -tA -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }
psql_db -c "UPDATE neon_auth.project_config SET settings = settings || '{\"rate_limit\":{\"enabled\":false}}'" >>"$LOGF"
sleep 1
EMAIL=floor@example.com PASS=floor-password-123
curl -sS --max-time 20 -o /dev/null -H 'Content-Type: application/json' \
  --data-binary "{\"email\":\"$EMAIL\",\"password\":\"$PASS\",\"name\":\"Floor\"}" "$AUTH_URL/sign-up/email"
COOKIE=$(curl -sS --max-time 20 -D - -o /dev/null -H 'Content-Type: application/json' \
  --data-binary "{\"email\":\"$EMAIL\",\"password\":\"$PASS\"}" "$AUTH_URL/sign-in/email" |
  sed -n 's/^[Ss]et-[Cc]ookie: \(neon-auth\.session_token=[^;]*\);.*/\1/p' | head -1)
[ -n "$COOKIE" ] || na_die "sign-in failed (log $LOGF)"
TOKEN=${COOKIE#*=}; TOKEN=${TOKEN%%.*}
"$WORK/floor" "$HELLO_SOCK" "$WORKERS" hello & FLOORS+=($!); HELLO_PID=$!
"$WORK/floor" "$LOOKUP_SOCK" "$WORKERS" lookup "$DATABASE_URL" "$TOKEN" & FLOORS+=($!); LOOKUP_PID=$!
na_wait_ms 5000 test -S "$LOOKUP_SOCK" && na_wait_ms 5000 test -S "$HELLO_SOCK" || na_die "floor programs did not start"
curl -fsS --max-time 5 "$ORIGIN/floor-lookup/x" | grep -q '"session"' || na_die "the lookup floor finds no session"
curl -fsS --max-time 5 -H "Cookie: $COOKIE" "$AUTH_URL/get-session" | grep -q '"session"' || na_die "the bench cookie is not valid"

NGINX_MASTER=$(cat "$STACK_DIR/nginx/nginx.pid")
PG_MASTER=$(head -1 "$(cat "$STACK_DIR/pgdata.path")/postmaster.pid")
HZ=$(getconf CLK_TCK)
# tree_ticks PID: CPU ticks of PID and its children (live ones, and those reaped)
tree_ticks() {
  local n=0 k l f
  for k in $1 $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    l=$(cat /proc/"$k"/stat 2>/dev/null) || continue
    read -r -a f <<<"${l##*) }"
    n=$((n + f[11] + f[12] + f[13] + f[14]))
  done
  echo "$n"
}
declare -A RPS P50 P99 CPU_SRV CPU_NGX CPU_PG CPU_WRK
lat() { sed -n "s/^ *$2% *\([0-9.]*\)\([a-z]*\).*/\1 \2/p" "$1" | awk '{v=$1; if ($2=="us") v/=1000; if ($2=="s") v*=1000; printf "%.2f", v}'; }
us_per() { awk -v t="$1" -v hz="$HZ" -v n="$2" 'BEGIN { if (n > 0) printf "%.0f", t / hz * 1e6 / n; else print "-" }'; }
run() { # CASE URL SERVER_PID [COOKIE]
  local f=$OUT/$1.txt s0 n0 p0 s1 n1 p1 w
  BENCH_COOKIE=${4:-} wrk -t"$T" -c"$C" -d"$WARM" -s "$HERE/wrk/get-session.lua" "$2" >/dev/null 2>&1 || true
  s0=$(tree_ticks "$3") n0=$(tree_ticks "$NGINX_MASTER") p0=$(tree_ticks "$PG_MASTER")
  TIMEFORMAT='%U %S'
  { time BENCH_COOKIE=${4:-} wrk -t"$T" -c"$C" -d"$D" --latency -s "$HERE/wrk/get-session.lua" "$2" >"$f" 2>&1 || true; } 2>"$OUT/$1.wrktime"
  s1=$(tree_ticks "$3") n1=$(tree_ticks "$NGINX_MASTER") p1=$(tree_ticks "$PG_MASTER")
  na_wrk_parse "$f"
  w=$(awk -v hz="$HZ" '{ printf "%.0f", ($1 + $2) * hz }' "$OUT/$1.wrktime")
  CPU_SRV[$1]=$(us_per $((s1 - s0)) "$WRK_REQS") CPU_NGX[$1]=$(us_per $((n1 - n0)) "$WRK_REQS")
  CPU_PG[$1]=$(us_per $((p1 - p0)) "$WRK_REQS") CPU_WRK[$1]=$(us_per "$w" "$WRK_REQS")
  RPS[$1]=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$f"); RPS[$1]=${RPS[$1]:-0}
  P50[$1]=$(lat "$f" 50); P99[$1]=$(lat "$f" 99)
  log "$1: ${RPS[$1]} req/s, p50 ${P50[$1]} ms, p99 ${P99[$1]} ms, non-2xx $WRK_NON2XX, socket errors $WRK_SOCKERR"
}
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
# ROUNDS rounds, interleaved: each round runs every case once, so a drift of the machine's speed
# hits every case alike; each round's ratios are taken within the round, and the table gives the
# round with the median get-session / hello ratio (every round is listed below it)
declare -A RR
for r in $(seq 1 "$ROUNDS"); do
  run hello "$ORIGIN/floor-hello/ok" "$HELLO_PID"
  run lookup "$ORIGIN/floor-lookup/get-session" "$LOOKUP_PID"
  run ok "$AUTH_URL/ok" "$MASTER"
  run get-session "$AUTH_URL/get-session" "$MASTER" "$COOKIE"
  run token "$AUTH_URL/token" "$MASTER" "$COOKIE"
  for c in hello lookup ok get-session token; do
    RR[$r.$c]="${RPS[$c]} ${P50[$c]} ${P99[$c]} ${CPU_SRV[$c]} ${CPU_NGX[$c]} ${CPU_PG[$c]} ${CPU_WRK[$c]}"
  done
done
# the median round by get-session / hello
MED=$(for r in $(seq 1 "$ROUNDS"); do
  set -- ${RR[$r.get-session]}; g=$1; set -- ${RR[$r.hello]}
  awk -v r="$r" -v g="$g" -v h="$1" 'BEGIN { printf "%s %.6f\n", r, (h > 0 ? g / h : 0) }'
done | sort -k2 -g | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2) { print $1 }')
for c in hello lookup ok get-session token; do
  set -- ${RR[$MED.$c]}
  RPS[$c]=$1 P50[$c]=$2 P99[$c]=$3 CPU_SRV[$c]=$4 CPU_NGX[$c]=$5 CPU_PG[$c]=$6 CPU_WRK[$c]=$7
done
if [ "${BENCH_PROFILE:-1}" = 1 ] && command -v perf >/dev/null; then
  BENCH_COOKIE=$COOKIE wrk -t"$T" -c"$C" -d6s -s "$HERE/wrk/get-session.lua" "$AUTH_URL/get-session" >/dev/null 2>&1 &
  wp=$!
  sleep 1
  pids=$(cat /proc/"$MASTER"/task/*/children | xargs | tr ' ' ',')
  perf record -q -e cpu-clock -g -o "$WORK/perf.data" -p "$pids" -- sleep 4 >/dev/null 2>>"$LOGF" || log "perf record failed (log $LOGF)"
  wait "$wp" || true
  perf report -q -i "$WORK/perf.data" --no-children --sort dso,symbol --percent-limit 0.5 --stdio -g none \
    >"$OUT/perf-report.txt" 2>/dev/null || true
  log "profile of the pool during get-session: $OUT/perf-report.txt"
fi
sed -i 's/^\( *max_requests_jitter = [0-9]*;\)$/\1\n  session_cache = 0;/' "$STACK_DIR/neon-authd.conf"
grep -q 'session_cache = 0;' "$STACK_DIR/neon-authd.conf" || na_die "could not turn the session cache off"
kill -HUP "$MASTER"; sleep 3
run get-session-nocache "$AUTH_URL/get-session" "$MASTER" "$COOKIE"
run token-nocache "$AUTH_URL/token" "$MASTER" "$COOKIE"
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
{
  echo "# get-session and token against the FastCGI floor"
  echo
  echo "$(date -u +%F\ %T) UTC, $(nproc) cores, pool.workers = $WORKERS, floors $WORKERS processes each, wrk -t$T -c$C -d$D, $ROUNDS interleaved rounds of the first five cases, then the last two; load average $LOAD0 before, $LOAD1 after (a shared machine: ratios within this run only)."
  echo
  echo "| case | req/s | p50 ms | p99 ms | / hello floor | / lookup floor | CPU µs/request: server, nginx, PostgreSQL, wrk |"
  echo "|---|---|---|---|---|---|---|"
  for c in hello lookup ok get-session token get-session-nocache token-nocache; do
    echo "| $c | ${RPS[$c]} | ${P50[$c]} | ${P99[$c]} | $(ratio "${RPS[$c]}" "${RPS[hello]}") | $(ratio "${RPS[$c]}" "${RPS[lookup]}") | ${CPU_SRV[$c]}, ${CPU_NGX[$c]}, ${CPU_PG[$c]}, ${CPU_WRK[$c]} |"
  done
  echo
  echo "server: the floor program for hello and lookup, the pool (master + workers) otherwise."
  echo
  echo "The first five rows are round $MED of $ROUNDS interleaved rounds (the median by get-session / hello). Every round, req/s (p99 ms):"
  echo
  echo "| round | hello | lookup | ok | get-session | token | get-session / hello | token / hello |"
  echo "|---|---|---|---|---|---|---|---|"
  for r in $(seq 1 "$ROUNDS"); do
    row="| $r" h="" g="" t=""
    for c in hello lookup ok get-session token; do
      set -- ${RR[$r.$c]}; row="$row | $1 ($3)"
      case $c in hello) h=$1 ;; get-session) g=$1 ;; token) t=$1 ;; esac
    done
    echo "$row | $(ratio "$g" "$h") | $(ratio "$t" "$h") |"
  done
} | tee "$OUT/floor.md"
