#!/usr/bin/env bash
# tests/bench/memory.sh [OUT] -- the pool's memory (RSS and PSS of master + workers) idle and
# after each workload, beside the reference Better Auth server's (tests/reference), in one run
# (issue 18 "Memory").  About 2 minutes.
#
# Brings up its own stack (tests/stack, pool.workers = BENCH_WORKERS, rate limiting off) and one
# reference server on the same PostgreSQL, then for each workload (idle before any hash,
# get-session, sign-in, sign-up, mixed = get-session and sign-in at once) runs wrk against each
# server for MEM_DURATION and reads /proc/PID/smaps_rollup of every process: the peak seen
# during the run (sampled every second) and the value after it.  PSS splits pages shared by
# the workers (scrypt's buffers since the shared-buffer change) between them, so the pool's PSS
# is what the pool really holds.  The target (issue 18): PSS <= hash_concurrency x 33 MiB + 6
# MiB per worker after any mix, <= 20 MiB for master + 4 workers before the first hash; the
# report prints both bounds beside the figures.
#
# Env: OUT (or $1), BENCH_WORKERS (4), MEM_DURATION (6s), MEM_CONNS (8), NA_BIN (skip the
# build), BENCH_TIMEOUT (300 s watchdog), KEEP=1.  Needs wrk, curl, node, nginx, PostgreSQL.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$HERE/../lib.sh"
REF=$NA_TOP/tests/reference
WORKERS=${BENCH_WORKERS:-4} D=${MEM_DURATION:-6s} C=${MEM_CONNS:-8}
export BENCH_EMAIL=bench@example.com BENCH_PASS=bench-password-123
for c in wrk curl node nginx; do command -v "$c" >/dev/null || na_die "$c not found"; done
OUT=${1:-${OUT:-}}
[ -n "$OUT" ] || OUT=$(mktemp -d "${TMPDIR:-/tmp}/neon-authd-mem-out.XXXXXX")
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd -P)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nam.XXXXXX"); chmod 755 "$WORK"
export STACK_DIR=$WORK/stack PEER_WORK=$WORK/peer
LOGF=$OUT/log.txt; : >"$LOGF"
log() { echo "[mem $(date +%T)] $*" | tee -a "$LOGF" >&2; }
STACK_STARTED=0 PEER_STARTED=0 SAMPLER="" WATCHDOG=""
cleanup() {
  local rc=$?; trap - EXIT INT TERM
  [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
  [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
  [ "$PEER_STARTED" = 1 ] && { bash "$REF/stop.sh" >>"$LOGF" 2>&1 || true; }
  [ "$STACK_STARTED" = 1 ] && { "$NA_TOP/tests/stack" wipe >>"$LOGF" 2>&1 || true; }
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM
( trap 'kill $s 2>/dev/null; exit 0' TERM
  sleep "${BENCH_TIMEOUT:-300}" >/dev/null 2>&1 & s=$!; wait $s
  echo "[mem] watchdog: stopping after ${BENCH_TIMEOUT:-300}s" >&2; kill -TERM $$ ) &
WATCHDOG=$!

# tree_mem PID: "RSS PSS" in KiB of PID and its live children
tree_mem() {
  local p k v _ r=0 s=0 kids t c
  kids=""; for t in /proc/"$1"/task/*/children; do c=""; { read -r c < "$t"; } 2>/dev/null || true; kids="$kids $c"; done
  for p in "$1" $kids; do
    while read -r k v _; do case "$k" in Rss:) r=$((r + v)) ;; Pss:) s=$((s + v)) ;; esac
    done < "/proc/$p/smaps_rollup" 2>/dev/null || true
  done
  echo "$r $s"
}
mib() { awk -v k="$1" 'BEGIN{ printf "%.1f", k / 1024 }'; }

if [ "$NA_BIN" = "$NA_TOP/src/neon-authd" ]; then
  log "building neon-authd"; na_build "$OUT/build.log" || na_die "build failed ($OUT/build.log)"
fi
cp "$NA_BIN" "$WORK/neon-authd"; export NA_BIN=$WORK/neon-authd
STACK_STARTED=1
log "stack up (pool.workers = $WORKERS)"
eval "$(STACK_WORKERS=$WORKERS "$NA_TOP/tests/stack" up 2>>"$LOGF")" || na_die "stack up failed ($LOGF)"
MASTER=$(cat "$STACK_DIR/neon-authd.pid")
"$(na_pgbin)/psql" -X -q "$DATABASE_URL" -c "UPDATE neon_auth.project_config SET settings = settings || '{\"rate_limit\":{\"enabled\":false}}'" >>"$LOGF"
HC=$(sed -n 's/^ *hash_concurrency = \([0-9]*\);/\1/p' "$STACK_DIR/neon-authd.conf"); HC=${HC:-0}
[ "$HC" -gt 0 ] || HC=$(nproc)

mkdir -p "$PEER_WORK"
unset PEER_PLUGINS PEER_PLUGIN_OPTIONS PEER_OPTIONS PEER_SMTP_PORT PEER_SECRET
PEER_PORT=$(na_free_port "$(sed -n 's/^NGINX_PORT=//p' "$STACK_DIR/ports")")
export PEER_DATABASE_URL=$DATABASE_URL
PEER_STARTED=1
PEER_PORT=$PEER_PORT PEER_COOKIE_CACHE=0 bash "$REF/start.sh" >>"$LOGF" 2>&1 || na_die "peer did not start ($LOGF)"
PEER_PID=$(cat "$PEER_WORK/run/server-$PEER_PORT.pid")
PEER_URL=http://127.0.0.1:$PEER_PORT/api/auth

# idle: no password hashed yet on either side (a get-session without a cookie warms the routes)
curl -sS -o /dev/null --max-time 10 "$AUTH_URL/get-session" || true
curl -sS -o /dev/null --max-time 10 "$PEER_URL/get-session" || true
sleep 1
declare -A M
M[idle,ours]=$(tree_mem "$MASTER") M[idle,peer]=$(tree_mem "$PEER_PID")
M[idle,ours,peak]=${M[idle,ours]} M[idle,peer,peak]=${M[idle,peer]}

signup() { curl -sS -o /dev/null --max-time 10 -H 'Content-Type: application/json' \
  --data-binary "{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASS\",\"name\":\"B\"}" "$1/sign-up/email"; }
cookie_for() {
  local jar; jar=$(mktemp "$WORK/jar.XXXXXX")
  curl -fsS --max-time 10 -o /dev/null -c "$jar" -H 'Content-Type: application/json' \
    --data-binary "{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASS\"}" "$1/sign-in/email"
  awk '{sub(/^#HttpOnly_/,"")} !/^#/ && NF>=7 {printf "%s%s=%s", (n++?"; ":""), $6, $7}' "$jar"; rm -f "$jar"
}
signup "$AUTH_URL"; signup "$PEER_URL"
OURS_COOKIE=$(cookie_for "$AUTH_URL") PEER_COOKIE=$(cookie_for "$PEER_URL")

# run CASE SIDE PID URL: wrk(s) for the case, peak sampled every second, then the value after
run() {
  local cs=$1 side=$2 pid=$3 url=$4 ck gs peakf=$WORK/peak
  [ "$side" = ours ] && ck=$OURS_COOKIE || ck=$PEER_COOKIE
  echo "0 0" >"$peakf"
  ( while :; do read -r a b < "$peakf"; read -r r s <<<"$(tree_mem "$pid")"
      [ "$s" -gt "$b" ] && echo "$r $s" >"$peakf"; sleep 1; done ) & SAMPLER=$!
  case "$cs" in
    get-session) BENCH_COOKIE=$ck wrk -t2 -c"$C" -d"$D" -s "$HERE/wrk/get-session.lua" "$url/get-session" ;;
    sign-in) wrk -t2 -c"$C" -d"$D" --timeout 10s -s "$HERE/wrk/sign-in.lua" "$url/sign-in/email" ;;
    sign-up) BENCH_TAG=$side wrk -t2 -c"$C" -d"$D" --timeout 10s -s "$HERE/wrk/sign-up.lua" "$url/sign-up/email" ;;
    mixed) BENCH_COOKIE=$ck wrk -t1 -c"$C" -d"$D" -s "$HERE/wrk/get-session.lua" "$url/get-session" >"$OUT/$cs.$side.gs.txt" 2>&1 & gs=$!
           wrk -t1 -c"$C" -d"$D" --timeout 10s -s "$HERE/wrk/sign-in.lua" "$url/sign-in/email"; wait "$gs" || true ;;
  esac >"$OUT/$cs.$side.wrk.txt" 2>&1 || true
  sleep 1.5
  kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=""
  M[$cs,$side,peak]=$(cat "$peakf") M[$cs,$side]=$(tree_mem "$pid")
  na_wrk_parse "$OUT/$cs.$side.wrk.txt"
  M[$cs,$side,reqs]="$WRK_REQS ($WRK_NON2XX non-2xx)"
  log "$cs $side: after ${M[$cs,$side]} KiB (RSS PSS), peak ${M[$cs,$side,peak]}, $WRK_REQS requests, $WRK_NON2XX non-2xx"
}
CASES="get-session sign-in sign-up mixed"
for cs in $CASES; do
  run "$cs" ours "$MASTER" "$AUTH_URL"
  run "$cs" peer "$PEER_PID" "$PEER_URL"
done

BOUND_IDLE=$((20 * 1024)) BOUND_LOAD=$(( (HC * 33 + WORKERS * 6) * 1024 ))
{
  echo "# Memory: neon-authd pool (master + $WORKERS workers) and the reference server"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), git $(git -C "$NA_TOP" rev-parse --short HEAD 2>/dev/null || echo '?'), pool.hash_concurrency = $HC, wrk -c$C -d$D per workload, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| state | pool RSS | pool PSS | pool PSS peak | reference RSS | reference PSS | reference peak PSS | requests ours / reference |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  for cs in idle $CASES; do
    read -r r s <<<"${M[$cs,ours]}"; read -r pr ps <<<"${M[$cs,peer]}"
    read -r _ sp <<<"${M[$cs,ours,peak]}"; read -r _ psp <<<"${M[$cs,peer,peak]}"
    echo "| $([ "$cs" = idle ] && echo "idle, before any hash" || echo "after $cs") | $(mib "$r") MiB | $(mib "$s") MiB | $(mib "$sp") MiB | $(mib "$pr") MiB | $(mib "$ps") MiB | $(mib "$psp") MiB | ${M[$cs,ours,reqs]:--} / ${M[$cs,peer,reqs]:--} |"
  done
  echo
  read -r _ s <<<"${M[idle,ours]}"
  echo "Target idle: pool PSS <= 20 MiB: $(mib "$s") MiB ($([ "$s" -le "$BOUND_IDLE" ] && echo met || echo NOT met))."
  mx=0; for cs in $CASES; do read -r _ s <<<"${M[$cs,ours]}"; [ "$s" -gt "$mx" ] && mx=$s; read -r _ s <<<"${M[$cs,ours,peak]}"; [ "$s" -gt "$mx" ] && mx=$s; done
  echo "Target under load: pool PSS <= $HC x 33 MiB + $WORKERS x 6 MiB = $((BOUND_LOAD / 1024)) MiB: highest seen $(mib "$mx") MiB ($([ "$mx" -le "$BOUND_LOAD" ] && echo met || echo NOT met))."
} | tee "$OUT/summary.md"
