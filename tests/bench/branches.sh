#!/usr/bin/env bash
# tests/bench/branches.sh [OUT] -- many template-mapped branches (issue 18 "Many branches"): for
# each N in BR_SIZES, N branch databases copied from one migrated template (CREATE DATABASE ...
# TEMPLATE, made by the bench and dropped at the end), get-session with one cookie (the copies
# share the template's rows and the server's secret, so it is valid on every branch) spread over
# them in a uniform and in a Zipf (s = 1) pattern.  Reports requests/s, p50/p99, non-2xx, the
# connections held (total and per worker, from ss), the pool's PSS, and the cost of a cold
# branch's first request (connect, prepare, config load) against its second.
#
# Env: OUT (or $1), BR_SIZES ("1 100 1000"; add 10000 on a quiet machine: about 60-100 ms a
# database to create), BENCH_WORKERS (4), BR_MAX_BRANCHES (16: database.max_branches),
# BR_MAX_CONNECTIONS (48: database.max_connections), BR_IDLE (300: database.idle_timeout),
# WRK_DURATION (8s), WRK_CONNS (16), BR_COLD (20 cold branches timed), BR_STRATEGY (wal_log:
# CREATE DATABASE's strategy; file_copy checkpoints per database), BR_PG_MAX_CONNECTIONS (the
# cluster's, at least max_connections + 60), BENCH_TIMEOUT (1500 s watchdog), NA_BIN, KEEP=1.
# 1,000 branches cached per worker: BR_SIZES=1000 BR_MAX_BRANCHES=1000 BR_MAX_CONNECTIONS=2000
# BENCH_WORKERS=2 WRK_DURATION=30s (each PostgreSQL backend costs a few MiB of its own).  Needs wrk, curl, ss, nginx, PostgreSQL.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$HERE/../lib.sh"
SIZES=${BR_SIZES:-1 100 1000} WORKERS=${BENCH_WORKERS:-4} D=${WRK_DURATION:-8s} C=${WRK_CONNS:-16}
MAXB=${BR_MAX_BRANCHES:-16} MAXC=${BR_MAX_CONNECTIONS:-48} IDLE=${BR_IDLE:-300} COLD=${BR_COLD:-20}
STRAT=${BR_STRATEGY:-wal_log}
# the cluster's max_connections: room for the pool's bound, psql and the sampler
export NA_PG_MAX_CONNECTIONS=${BR_PG_MAX_CONNECTIONS:-$(( MAXC + 60 > 200 ? MAXC + 60 : 200 ))}
for c in wrk curl ss nginx; do command -v "$c" >/dev/null || na_die "$c not found"; done
OUT=${1:-${OUT:-}}
[ -n "$OUT" ] || OUT=$(mktemp -d "${TMPDIR:-/tmp}/neon-authd-br-out.XXXXXX")
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd -P)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nabr.XXXXXX"); chmod 755 "$WORK"
export STACK_DIR=$WORK/stack
LOGF=$OUT/log.txt; : >"$LOGF"
log() { echo "[branches $(date +%T)] $*" | tee -a "$LOGF" >&2; }
STACK_STARTED=0 WATCHDOG=""
cleanup() {
  local rc=$?; trap - EXIT INT TERM
  [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
  # the stack's cluster goes with the stack: its databases with it
  [ "$STACK_STARTED" = 1 ] && { "$NA_TOP/tests/stack" wipe >>"$LOGF" 2>&1 || true; }
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM
( trap 'kill $s 2>/dev/null; exit 0' TERM
  sleep "${BENCH_TIMEOUT:-1500}" >/dev/null 2>&1 & s=$!; wait $s
  echo "[branches] watchdog: stopping after ${BENCH_TIMEOUT:-1500}s" >&2; kill -TERM $$ ) &
WATCHDOG=$!

if [ "$NA_BIN" = "$NA_TOP/src/neon-authd" ]; then
  log "building neon-authd"; na_build "$OUT/build.log" || na_die "build failed ($OUT/build.log)"
fi
cp "$NA_BIN" "$WORK/neon-authd"; export NA_BIN=$WORK/neon-authd
STACK_STARTED=1
log "stack up (pool.workers = $WORKERS)"
eval "$(STACK_WORKERS=$WORKERS "$NA_TOP/tests/stack" up 2>>"$LOGF")" || na_die "stack up failed ($LOGF)"
MASTER=$(cat "$STACK_DIR/neon-authd.pid")
NGINX_PORT=$(sed -n 's/^NGINX_PORT=//p' "$STACK_DIR/ports")
PG_PORT=$(sed -n 's/^PG_PORT=//p' "$STACK_DIR/ports")
ORIGIN=http://127.0.0.1:$NGINX_PORT
psql() { "$(na_pgbin)/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }
CONF=$STACK_DIR/neon-authd.conf
reconf() {
  sed -i "s/^database = .*/database = { connect_timeout = 5; statement_timeout = 5000; max_branches = $MAXB; config_ttl = 60; max_connections = $MAXC; idle_timeout = $IDLE; };/" "$CONF"
  # the shipped pool.max_requests, not the test stack's 10000: a recycled worker drops its cache
  sed -i "s/^\( *max_requests = \)[0-9]*;/\11000000;/" "$CONF"
  grep -q '^branch_template' "$CONF" || cat >>"$CONF" <<EOC
branch_template = {
  auth_url = "$ORIGIN/{database}/auth";
  database = "host=127.0.0.1 port=$PG_PORT dbname={database} user=postgres";
};
EOC
  "$NA_BIN" check-config -c "$CONF" >>"$LOGF" 2>&1 || na_die "check-config rejected $CONF"
  kill -HUP "$MASTER"; sleep 2
}
reconf

# the template: migrated, rate limit off, one signed-up user whose cookie every copy accepts
TPL=bn_tpl
psql -d postgres -c "CREATE DATABASE $TPL" >>"$LOGF"
cat > "$WORK/tpl.conf" <<EOC
$(sed '/^branches = (/,/^);/d; /^branch_template/,/^};/d' "$CONF")
branches = ( { name = "tpl"; auth_url = "$ORIGIN/$TPL/auth"; database = "host=127.0.0.1 port=$PG_PORT dbname=$TPL user=postgres"; } );
EOC
"$NA_BIN" migrate -c "$WORK/tpl.conf" --branch tpl >>"$LOGF" 2>&1 || na_die "migrate of the template failed"
psql -d "$TPL" -c "UPDATE neon_auth.project_config SET settings = settings || '{\"rate_limit\":{\"enabled\":false}}'" >>"$LOGF"
jar=$WORK/jar
curl -fsS -o /dev/null -c "$jar" -H 'Content-Type: application/json' \
  --data-binary '{"email":"br@example.com","password":"bench-password-123","name":"B"}' "$ORIGIN/$TPL/auth/sign-up/email" || na_die "sign-up on the template failed"
COOKIE=$(awk '{sub(/^#HttpOnly_/,"")} !/^#/ && NF>=7 {printf "%s%s=%s", (n++?"; ":""), $6, $7}' "$jar")
# the daemon's connections to the template would block CREATE DATABASE ... TEMPLATE
release_tpl() { psql -d postgres -tAc "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$TPL'" >/dev/null; }

TPL_KB=$(psql -d postgres -tAc "SELECT pg_database_size('$TPL') / 1024")
log "the template database holds $((TPL_KB / 1024)) MiB: each copy as much (less on a compressing file system)"
PGDIR=$(cat "$STACK_DIR/pgdata.path")
free_kb() { df -Pk "$PGDIR" | awk 'NR==2 {print $4}'; }
MADE=0 PER_KB=$TPL_KB
make_upto() {  # N: databases bn_1..bn_N exist (bn_c* for the cold ones)
  local n=$1 i j k t0 f0 f1 made0=$MADE
  release_tpl
  t0=$(date +%s%3N)
  # in chunks of 500, each in one psql session (a process and a connection per database cost
  # more than the copy); before each, the disk must hold the chunk and the cold ones at the
  # size a copy really took so far (df's delta), with a tenth of the disk to spare
  for ((i = MADE + 1; i <= n; i += 500)); do
    j=$(( i + 499 < n ? i + 499 : n )) f0=$(free_kb)
    [ $(( (j - i + 1 + COLD) * PER_KB )) -lt $(( f0 * 9 / 10 )) ] ||
      na_die "$((j - MADE + COLD)) more databases need about $(( (j - MADE + COLD) * PER_KB / 1048576 )) GiB; $((f0 / 1048576)) GiB free under $PGDIR (TMPDIR on a bigger or compressing file system)"
    for ((k = i; k <= j; k++)); do echo "CREATE DATABASE bn_$k TEMPLATE $TPL STRATEGY $STRAT;"; done |
      psql -d postgres -f - >/dev/null 2>>"$LOGF" || na_die "CREATE DATABASE failed ($LOGF)"
    sync -f "$PGDIR" 2>/dev/null || true
    f1=$(free_kb)
    [ "$f0" -gt "$f1" ] && PER_KB=$(( (f0 - f1) / (j - i + 1) + 1 ))
    MADE=$j
  done
  [ "$n" -gt "$made0" ] && log "created $((n - made0)) branch databases in $(( $(date +%s%3N) - t0 )) ms, about $((PER_KB / 1024)).$(( PER_KB % 1024 * 10 / 1024 )) MiB of disk each"
  MADE=$n
}
pool_pss() {
  local p t c k v _ s=0 kids=""
  for t in /proc/"$MASTER"/task/*/children; do c=""; { read -r c < "$t"; } 2>/dev/null || true; kids="$kids $c"; done
  for p in "$MASTER" $kids; do
    while read -r k v _; do [ "$k" = Pss: ] && s=$((s + v)); done < "/proc/$p/smaps_rollup" 2>/dev/null || true
  done
  echo $((s / 1024))
}
# connections to PostgreSQL per process of the pool: "total max-per-worker"
conns() {
  ss -Htnp "dport = :$PG_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | sort | uniq -c |
    awk -v m="$(cat /proc/"$MASTER"/task/*/children | tr ' ' '\n' | grep -c .)" '{t += $1; if ($1 > x) x = $1} END{printf "%d %d", t, x}'
}
pg_conns() { psql -d postgres -tAc "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'neon-authd'"; }

PSS0=$(pool_pss)
log "pool PSS before any branch: $PSS0 MiB"
declare -a ROWS
for n in $SIZES; do
  make_upto "$n"
  for dist in uniform zipf; do
    maxt=0 maxp=0 maxpg=0
    ( while :; do read -r t p <<<"$(conns)"; g=$(pg_conns); echo "$t $p $g"; sleep 1; done ) >"$OUT/conns.$n.$dist" 2>/dev/null & smp=$!
    BENCH_COOKIE=$COOKIE BR_N=$n BR_DIST=$dist BR_PREFIX=bn_ wrk -t2 -c"$C" -d"$D" --timeout 10s --latency \
      -s "$HERE/wrk/branches.lua" "$ORIGIN" >"$OUT/wrk.$n.$dist.txt" 2>&1 || true
    kill "$smp" 2>/dev/null; wait "$smp" 2>/dev/null || true
    read -r maxt maxp maxpg <<<"$(awk '{if ($1>a) a=$1; if ($2>b) b=$2; if ($3>c) c=$3} END{printf "%d %d %d", a, b, c}' "$OUT/conns.$n.$dist")"
    na_wrk_parse "$OUT/wrk.$n.$dist.txt"
    rps=$(sed -n 's/^Requests\/sec: *//p' "$OUT/wrk.$n.$dist.txt")
    p50=$(awk '$1=="50.000%"||$1=="50%"{print $2}' "$OUT/wrk.$n.$dist.txt" | head -1)
    p99=$(awk '$1=="99.000%"||$1=="99%"{print $2}' "$OUT/wrk.$n.$dist.txt" | head -1)
    pss=$(pool_pss)
    ROWS+=("| $n | $dist | ${rps:-0} | ${p50:--} / ${p99:--} | $WRK_NON2XX | $maxt ($maxpg in pg_stat_activity) | $maxp | $pss MiB ($(( maxt > 0 ? (pss - PSS0) * 1024 / maxt : 0 )) KiB per branch held) |")
    log "N=$n $dist: ${rps:-0} req/s, p50 ${p50:--}, p99 ${p99:--}, non-2xx $WRK_NON2XX, connections max $maxt (per worker $maxp)"
  done
done

# cold branches: the first request to a branch no worker has seen, against its second
release_tpl
cold=$OUT/cold.txt; : >"$cold"
for i in $(seq 1 "$COLD"); do
  psql -d postgres -c "CREATE DATABASE bn_cold_$i TEMPLATE $TPL STRATEGY $STRAT" >/dev/null
  a=$(curl -sS -o /dev/null -w '%{time_total}' -H "Cookie: $COOKIE" "$ORIGIN/bn_cold_$i/auth/get-session")
  b=$(curl -sS -o /dev/null -w '%{time_total}' -H "Cookie: $COOKIE" "$ORIGIN/bn_cold_$i/auth/get-session")
  echo "$a $b" >>"$cold"
done
COLDLINE=$(sort -n "$cold" | awk '{a[NR]=$1*1000; b[NR]=$2*1000} END{ if (NR) printf "first request median %.1f ms (max %.1f), second %.1f ms (of %d branches; the second may land on another worker, itself cold)", a[int((NR+1)/2)], a[NR], b[int((NR+1)/2)], NR }')

{
  echo "# Many branches: template-mapped branch databases, get-session"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), git $(git -C "$NA_TOP" rev-parse --short HEAD 2>/dev/null || echo '?'), pool.workers = $WORKERS, database.max_branches = $MAXB, max_connections = $MAXC, idle_timeout = $IDLE s; wrk -t2 -c$C -d$D; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "Bound on the pool's connections: min(workers x max_branches = $((WORKERS * MAXB)), max_connections = $MAXC). Pool PSS before the first branch (after the template's sign-up: its scrypt buffer included): $PSS0 MiB."
  echo
  echo "| branches | pattern | req/s | p50 / p99 | non-2xx | connections held, max (total) | max per worker | pool PSS after (growth per branch a worker holds) |"
  echo "|---:|---|---:|---|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Cold branch: $COLDLINE."
} | tee "$OUT/summary.md"
