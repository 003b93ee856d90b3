#!/usr/bin/env bash
# tests/bench/run.sh [OUT] -- neon-authd against the Better Auth reference server (tests/reference),
# in one run, on one PostgreSQL server, with wrk on loopback (issues 4 and 5, "Benchmark").
#
# What it does (everything under a temp dir, cleaned up by a trap, whole run ~4 min):
#  1. builds neon-authd (unless NA_BIN names a binary) and runs a private copy of it;
#  2. brings up a dedicated stack (tests/stack, STACK_DIR under the temp dir, pool.workers =
#     BENCH_WORKERS), turns off rate limiting in the branch settings;
#  3. starts the reference server (tests/reference/start.sh, "the peer") on the stack's
#     PostgreSQL server (PEER_DATABASE_URL = the stack's DATABASE_URL, schema neon_auth_peer) and
#     a second one with PEER_COOKIE_CACHE=1;
#  4. signs the bench user up on both and times a sign-in at concurrency 1; right before the
#     sign-in runs, times one scrypt hash (tests/bench/scrypt_time.c built against src/lib/crypto.c)
#     for the bound "cores / time of one hash";
#  5. for each case, for each server: a warm-up wrk run (discarded), then
#     wrk -t$WRK_THREADS -c$WRK_CONNS -d$WRK_DURATION --timeout $WRK_TIMEOUT --latency, while
#     RSS (pool = master + workers, nginx, node) is sampled from /proc every second and CPU
#     time is accounted per process group from /proc;
#  6. writes a Markdown report to stdout and to OUT/summary.md (raw wrk output next to it).
#
# Cases: ok, jwks, get-session (cookie), token, sign-in (POST sign-in/email), and
# get-session with the cookie cache (ours: settings.session.cookie_cache = true and a fresh
# sign-in for the session_data cookie; the peer: its second server).  The wrk scripts
# (tests/bench/wrk/*.lua) read BENCH_COOKIE, BENCH_EMAIL, BENCH_PASS and take the path from the
# URL, so they drive both servers unchanged.
#
# Env: OUT (or $1; default a new temp dir), BENCH_WORKERS (4: the shipped pool.workers, and the best of 3..8 measured on 2 cores after the hot-path changes), WRK_THREADS (2), WRK_CONNS (32),
#      WRK_DURATION (10s), WRK_WARMUP (2s), WRK_TIMEOUT (10s), BENCH_CASES (all: "ok jwks
#      get-session token sign-in get-session-cc"), BENCH_TIMEOUT (540 s: watchdog for the whole
#      run), NA_BIN (skip the build), KEEP=1 (keep the temp dir: logs, stack, peer work dir),
#      STACK_LOG_LEVEL (info, the shipped default: one log line per request), NA_NGINX_WORKERS (1:
#      nginx worker processes of the stack),
#      BENCH_MAX_REQUESTS (1000000: the shipped pool.max_requests, not the test stack's 10000;
#      0 = never recycle workers),
#      QUIET_MAX (5) / QUIET_BUDGET (30): seconds to wait for other load to go away before each
#      run / in all (the machine may be shared; "other procs" in the report shows what ran),
#      BENCH_SWEEP="2 4 6 8" (first: get-session and sign-in on ours with each pool size, reloading
#      the stack with STACK_WORKERS=n; adds ~15 s per size),
#      BENCH_PROFILE=1 (also: perf record of the pool during an extra get-session run, into OUT).
# Only 127.0.0.1 is used.  Needs: wrk, curl, jq, node >= 20, nginx, PostgreSQL, a C compiler.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$HERE/../lib.sh"

REF=$NA_TOP/tests/reference
WORKERS=${BENCH_WORKERS:-4}
T=${WRK_THREADS:-2} C=${WRK_CONNS:-32} D=${WRK_DURATION:-10s} WARM=${WRK_WARMUP:-2s} TO=${WRK_TIMEOUT:-10s}
CASES=${BENCH_CASES:-ok jwks get-session token sign-in get-session-cc}
export BENCH_EMAIL=bench@example.com BENCH_PASS=bench-password-123
NCPU=$(nproc)
HZ=$(getconf CLK_TCK)

for c in wrk curl jq node nginx cc awk; do command -v "$c" >/dev/null || na_die "$c not found (scripts/install-deps; apt-get install wrk)"; done

OUT=${1:-${OUT:-}}
if [ -z "$OUT" ]; then OUT=$(mktemp -d "${TMPDIR:-/tmp}/neon-authd-bench-out.XXXXXX"); fi
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd -P)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nab.XXXXXX")
chmod 755 "$WORK"     # the postgres user must reach STACK_DIR/pg
export STACK_DIR=$WORK/stack PEER_WORK=$WORK/peer
LOGF=$OUT/log.txt; : >"$LOGF"
log() { echo "[bench $(date +%T)] $*" | tee -a "$LOGF" >&2; }

# ---------------------------------------------------------------- cleanup
SAMPLER="" WATCHDOG="" STACK_STARTED=0 PEERS_STARTED=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
  [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
  if [ "$PEERS_STARTED" = 1 ]; then
    bash "$REF/stop.sh" >>"$LOGF" 2>&1 || true
  fi
  if [ "$STACK_STARTED" = 1 ]; then
    "$NA_TOP/tests/stack" wipe >>"$LOGF" 2>&1 || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "work files kept in $WORK" >&2
  else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
set -E
trap 'echo "[bench] error: line $LINENO: $BASH_COMMAND" >&2' ERR
trap 'log "interrupted"; exit 130' INT TERM
( trap 'kill $s 2>/dev/null; exit 0' TERM
  sleep "${BENCH_TIMEOUT:-540}" >/dev/null 2>&1 & s=$!; wait $s
  echo "[bench] watchdog: still running after ${BENCH_TIMEOUT:-540}s, stopping" >&2; kill -TERM $$ ) &
WATCHDOG=$!

# ---------------------------------------------------------------- helpers
# The /proc readers below use bash builtins only (no ps, awk or cat): forking is slow on this kind
# of VM (one `ps` costs ~40 ms of CPU), and the sampler runs on the cores being measured.
# Each sets a global (no $(...), which would fork too).
cpu_line() { local l=""; { read -r l < /proc/stat; } 2>/dev/null || true; read -r -a CPU <<<"$l"; }   # CPU[1..8]
busy_ticks() { cpu_line; echo $(( CPU[1] + CPU[2] + CPU[3] + CPU[6] + CPU[7] )); }
steal_ticks() { cpu_line; echo "${CPU[8]:-0}"; }
# kids_of PID: KIDS = live children (from /proc/PID/task/*/children)
kids_of() {
  local t c; KIDS=""
  for t in /proc/"$1"/task/*/children; do c=""; { read -r c < "$t"; } 2>/dev/null || true; KIDS="$KIDS $c"; done
}
kids() { kids_of "$1"; echo $KIDS; }
# stat_of PID: ST = the fields of /proc/PID/stat after "(comm)", ST[11]=utime ST[12]=stime
# ST[13]=cutime ST[14]=cstime; empty when PID is gone
stat_of() { local l=""; { read -r l < "/proc/$1/stat"; } 2>/dev/null || true; l=${l##*) }; read -r -a ST <<<"$l"; }
# ticks_tree PID: utime+stime of PID, of its reaped children (cutime+cstime) and of its live
# children
ticks_tree() {
  local k n=0
  stat_of "$1"; [ ${#ST[@]} -gt 14 ] && n=$(( ST[11] + ST[12] + ST[13] + ST[14] ))
  kids_of "$1"
  for k in $KIDS; do stat_of "$k"; [ ${#ST[@]} -gt 12 ] && n=$(( n + ST[11] + ST[12] )); done
  echo "$n"
}
ticks_one() { stat_of "$1"; if [ ${#ST[@]} -gt 12 ]; then echo $(( ST[11] + ST[12] )); else echo 0; fi; }
# mem_of PID: MEM = "RSS PSS" in KiB of PID and its children (PSS splits shared pages fairly)
mem_of() {
  local p k v _ r=0 s=0
  kids_of "$1"
  for p in "$1" $KIDS; do
    while read -r k v _; do
      case "$k" in Rss:) r=$((r + v)) ;; Pss:) s=$((s + v)) ;; esac
    done < "/proc/$p/smaps_rollup" 2>/dev/null || true
  done
  MEM="$r $s"
}
vmrss() { local k v _; while read -r k v _; do [ "$k" = VmRSS: ] && { echo "$v"; return; }; done < "/proc/$1/status" 2>/dev/null || true; echo 0; }
# wait_idle SECS: after a warm-up or a run, let the servers drain what is still queued (a
# sign-in backlog outlives wrk by seconds): wait until our pool and both peers together use
# < 5 % of a core over 0.5 s.
srv_ticks() { echo $(( $(ticks_tree "$MASTER") + $(ticks_one "$PEER_PID") + $(ticks_one "$PEER_CC_PID") )); }
wait_idle() {
  local end=$(( $(date +%s) + $1 )) a b
  while [ "$(date +%s)" -lt "$end" ]; do
    a=$(srv_ticks); sleep 0.5; b=$(srv_ticks)
    [ $(( (b - a) * 100 * 2 / HZ )) -lt 5 ] && return 0
  done
  log "WARNING: servers still busy after ${1}s"
}
# wait_quiet: wait (at most QUIET_MAX s per call, QUIET_BUDGET s per run) until processes other
# than ours use < 0.3 cores for 1 s.  The machine may be shared; the report shows what else ran.
QUIET_LEFT=${QUIET_BUDGET:-30}
wait_quiet() {
  local b0 b1 used=0 waited=0
  while [ "$waited" -lt "${QUIET_MAX:-5}" ] && [ "$QUIET_LEFT" -gt 0 ]; do
    b0=$(busy_ticks); sleep 1; b1=$(busy_ticks)
    used=$(( (b1 - b0) * 100 / HZ ))
    [ "$used" -lt 30 ] && return 0
    waited=$((waited + 1)); QUIET_LEFT=$((QUIET_LEFT - 1))
  done
  [ "$waited" -gt 0 ] && log "machine busy ($used % of a core used by others) after waiting ${waited}s; running anyway"
  return 0
}
# to_ms "1.23ms" -> 1.23 (wrk units us, ms, s, m)
to_ms() {
  awk -v v="$1" 'BEGIN{ if (v == "" ) { print ""; exit }
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000; else if (u == "h") n *= 3600000
    printf "%.3f", n }'
}
fmt_ms() {  # 0.412 -> "0.41 ms", 1234.5 -> "1.23 s"
  awk -v v="$1" 'BEGIN{ if (v == "") { print "-"; exit } if (v >= 1000) printf "%.2f s", v/1000; else if (v >= 100) printf "%.0f ms", v; else if (v >= 10) printf "%.1f ms", v; else printf "%.2f ms", v }'
}
memcol() { echo "${R[$1,$2,mem]:-}" | awk -v i="$3" '{ if (NF < 2*i) print "-"; else printf "%d / %d", $(2*i-1), $(2*i) }'; }
# cu CASE SIDE WHAT: "cores (µs of CPU per request)"
cu() {
  awk -v c="${R[$1,$2,cpu_$3]:-}" -v r="${R[$1,$2,rps]:-}" 'BEGIN{ if (c == "") { print "-"; exit }
    if (r + 0 > 0) { u = c * 1e6 / r; if (u >= 10000) printf "%s (%.0f ms)", c, u / 1000; else printf "%s (%.0f µs)", c, u } else print c }'
}
rnd() { awk -v v="$1" 'BEGIN{ if (v == "") print "-"; else printf "%.0f", v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.1f", a / b }'; }

# cookie_for URL PREFIX: sign the bench user in at URL (the auth base), print the Cookie header
# value (every cookie the reply set).
cookie_for() {
  local base=$1 jar; jar=$(mktemp "$WORK/jar.XXXXXX")
  curl -fsS --max-time 10 -o /dev/null -c "$jar" -H 'Content-Type: application/json' \
    --data-binary "{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASS\"}" "$base/sign-in/email" || { rm -f "$jar"; return 1; }
  awk '{sub(/^#HttpOnly_/,"")} !/^#/ && NF>=7 {printf "%s%s=%s", (n++?"; ":""), $6, $7}' "$jar"; rm -f "$jar"
}
sign_up() {  # base
  local code
  code=$(curl -sS --max-time 10 -o "$WORK/signup.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASS\",\"name\":\"Bench\"}" "$1/sign-up/email")
  case "$code" in 200|422) return 0 ;; *) log "sign-up at $1 answered $code: $(head -c 300 "$WORK/signup.json")"; return 1 ;; esac
}
# signin_times BASE N FILE: N sequential sign-ins (concurrency 1), curl time_total per line
signin_times() {
  local i; : >"$3"
  for i in $(seq 1 "$2"); do
    curl -sS --max-time 10 -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/json' \
      --data-binary "{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASS\"}" "$1/sign-in/email" >>"$3"
  done
}
median_ms() { sort -n "$1" | awk '{a[NR]=$1} END{ if (NR) printf "%.1f", a[int((NR+1)/2)]*1000 }'; }

# ---------------------------------------------------------------- build, stack
if [ "$NA_BIN" = "$NA_TOP/src/neon-authd" ]; then
  log "building neon-authd (log $OUT/build.log)"
  na_build "$OUT/build.log" || { tail -n 30 "$OUT/build.log" >&2; na_die "build failed"; }
fi
[ -x "$NA_BIN" ] || na_die "no neon-authd binary at $NA_BIN"
# a private copy: a rebuild of the tree during the run cannot swap the binary underneath
cp "$NA_BIN" "$WORK/neon-authd"; export NA_BIN=$WORK/neon-authd

log "stack up in $STACK_DIR (pool.workers = $WORKERS)"
STACK_STARTED=1
STACK_ENV=$(STACK_WORKERS=$WORKERS STACK_LOG_LEVEL=${STACK_LOG_LEVEL:-info} "$NA_TOP/tests/stack" up 2>>"$LOGF") ||
  na_die "tests/stack up failed (log $LOGF)"
eval "$STACK_ENV"
: "${AUTH_URL:?}" "${DATABASE_URL:?}"
grep -q "workers = $WORKERS;" "$STACK_DIR/neon-authd.conf" || na_die "pool.workers is not $WORKERS in $STACK_DIR/neon-authd.conf"
NGINX_PORT=$(sed -n 's/^NGINX_PORT=//p' "$STACK_DIR/ports")
PGDATA_DIR=$(cat "$STACK_DIR/pgdata.path")
MASTER=$(cat "$STACK_DIR/neon-authd.pid")
NGINX_MASTER=$(cat "$STACK_DIR/nginx/nginx.pid")
PG_MASTER=$(head -1 "$PGDATA_DIR/postmaster.pid")
# BENCH_MAX_REQUESTS: pool.max_requests is not a tests/stack knob: edit the generated conf and
# reload (SIGHUP rolls the pool: new generation first); every `tests/stack up` rewrites the conf.
pool_is() { kids_of "$MASTER"; local a=($KIDS); [ "${#a[@]}" = "$1" ]; }
conf_overrides() {  # pool size
  sed -i "s/^\( *max_requests = \)[0-9]*;/\1${BENCH_MAX_REQUESTS:-1000000};/" "$STACK_DIR/neon-authd.conf"
  kill -HUP "$MASTER"; sleep 1
  na_wait_ms 10000 pool_is "$1" || log "WARNING: pool did not settle after the reload"
}
conf_overrides "$WORKERS"
psql_db() { "$(na_pgbin)/psql" -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }
psql_db -c "UPDATE neon_auth.project_config SET settings = settings || '{\"rate_limit\":{\"enabled\":false}}'" >>"$LOGF"

# ---------------------------------------------------------------- peer (same PostgreSQL server)
mkdir -p "$PEER_WORK"
# the default plugin set (jwt, bearer, organization), no mail, whatever the caller's environment
unset PEER_PLUGINS PEER_PLUGIN_OPTIONS PEER_OPTIONS PEER_SMTP_PORT PEER_SECRET
PEER_PORT=$(na_free_port "$NGINX_PORT")
PEER_CC_PORT=$(na_free_port "$NGINX_PORT" "$PEER_PORT")
export PEER_DATABASE_URL=$DATABASE_URL
PEERS_STARTED=1
log "peer on :$PEER_PORT, cookie-cache peer on :$PEER_CC_PORT (database $DATABASE_URL, schema neon_auth_peer)"
PEER_PORT=$PEER_PORT PEER_COOKIE_CACHE=0 bash "$REF/start.sh" >>"$LOGF" 2>&1 || na_die "peer did not start (log $LOGF)"
PEER_PORT=$PEER_CC_PORT PEER_COOKIE_CACHE=1 bash "$REF/start.sh" >>"$LOGF" 2>&1 || na_die "cookie-cache peer did not start (log $LOGF)"
PEER_PID=$(cat "$PEER_WORK/run/server-$PEER_PORT.pid")
PEER_CC_PID=$(cat "$PEER_WORK/run/server-$PEER_CC_PORT.pid")
PEER_URL=http://127.0.0.1:$PEER_PORT/api/auth
PEER_CC_URL=http://127.0.0.1:$PEER_CC_PORT/api/auth

# ---------------------------------------------------------------- environment
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "neon-authd: $("$NA_BIN" --version 2>&1 | head -1), git $(git -C "$NA_TOP" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$NA_TOP" diff --quiet -- src 2>/dev/null || echo ' (src modified)'); pool.workers=$WORKERS, max_requests=$(sed -n 's/^ *max_requests = \([0-9]*\);/\1/p' "$STACK_DIR/neon-authd.conf"), log_level=$(sed -n 's/^log_level = "\(.*\)";/\1/p' "$STACK_DIR/neon-authd.conf")"
  echo "nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //'), ${NA_NGINX_WORKERS:-1} workers, FastCGI over a unix socket, fastcgi_keep_conn off"
  echo "peer: better-auth $(node -p "require('$(readlink -f "/proc/$PEER_PID/cwd")/node_modules/better-auth/package.json').version" 2>/dev/null), node $(node --version), NODE_ENV=production, rate limit off"
  echo "postgres: $(psql_db -tAc 'show server_version'), one cluster for both (fsync off, as tests/stack makes it)"
  echo "wrk: $({ wrk -v 2>&1 || true; } | awk 'NR==1{print $2}') -t$T -c$C -d$D --timeout $TO --latency, after a $WARM warm-up run (discarded)"
  echo "cpu: $NCPU x $(lscpu | awk -F: '/Model name/{gsub(/^ +/,"",$2); print $2}'); mem $(free -m | awk '/Mem:/{print $2}') MiB"
  echo "load before: $(cat /proc/loadavg)"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >>"$LOGF"

# ---------------------------------------------------------------- bench users, scrypt
sign_up "$AUTH_URL" || exit 1
sign_up "$PEER_URL" || exit 1
OUR_COOKIE=$(cookie_for "$AUTH_URL") || na_die "sign-in at $AUTH_URL failed"
PEER_COOKIE_V=$(cookie_for "$PEER_URL") || na_die "sign-in at $PEER_URL failed"
curl -fsS --max-time 10 -H "Cookie: $OUR_COOKIE" "$AUTH_URL/get-session" | grep -q '"session"' || na_die "our bench cookie is not valid"
curl -fsS --max-time 10 -H "Cookie: $PEER_COOKIE_V" "$PEER_URL/get-session" | grep -q '"session"' || na_die "the peer's bench cookie is not valid"
echo "$OUR_COOKIE" | grep -q 'neon-auth.session_token=' || na_die "no neon-auth.session_token cookie"

signin_times "$AUTH_URL" 7 "$OUT/signin-seq-ours.txt"
signin_times "$PEER_URL" 7 "$OUT/signin-seq-peer.txt"
SEQ_OURS=$(median_ms "$OUT/signin-seq-ours.txt") SEQ_PEER=$(median_ms "$OUT/signin-seq-peer.txt")
log "sign-in at concurrency 1: ours ${SEQ_OURS} ms, peer ${SEQ_PEER} ms (median of 7)"

mem_of "$MASTER"; read -r a b <<<"$MEM"; IDLE_POOL=$((a / 1024)) IDLE_POOL_PSS=$((b / 1024))
mem_of "$NGINX_MASTER"; read -r a b <<<"$MEM"; IDLE_NGINX=$((a / 1024))
IDLE_NODE=$(( $(vmrss "$PEER_PID") / 1024 ))

# ---------------------------------------------------------------- one wrk run
declare -A R   # R[case,side,field]
# run_wrk CASE SIDE URL LUA NODEPID COOKIE (NODEPID: the peer server measured, for side peer)
run_wrk() {
  local cs=$1 side=$2 url=$3 lua=$4 nodepid=$5 cookie=$6
  local tag="$cs.$side" f="$OUT/$cs.$side.wrk.txt" memf="$OUT/$cs.$side.mem"
  wait_idle 20
  wait_quiet
  BENCH_COOKIE=$cookie wrk -t"$T" -c"$C" -d"$WARM" --timeout "$TO" -s "$HERE/wrk/$lua" "$url" >"$OUT/$tag.warmup.txt" 2>&1 || true
  wait_idle 20
  : >"$memf"
  ( trap - ERR
    exec 8<> <(:)   # read -t on this pipe sleeps without forking sleep(1)
    while :; do
      if [ "$side" = ours ]; then mem_of "$MASTER"; m1=$MEM; mem_of "$NGINX_MASTER"; echo "$m1 $MEM" >>"$memf"
      else vmrss "$nodepid" >>"$memf"; fi
      read -r -t 1 -u 8 _ || true
    done ) & SAMPLER=$!
  local b0 s0 p0 n0 g0 k0 b1 s1 p1 n1 g1 k1
  b0=$(busy_ticks); s0=$(steal_ticks); p0=$(ticks_tree "$MASTER"); n0=$(ticks_tree "$NGINX_MASTER")
  g0=$(ticks_tree "$PG_MASTER"); k0=$(ticks_one "$nodepid")
  local TIMEFORMAT='%U %S'
  { time BENCH_COOKIE=$cookie wrk -t"$T" -c"$C" -d"$D" --timeout "$TO" --latency -s "$HERE/wrk/$lua" "$url" >"$f" 2>&1 ; } 2>"$OUT/$tag.wrktime" || true
  b1=$(busy_ticks); s1=$(steal_ticks); p1=$(ticks_tree "$MASTER"); n1=$(ticks_tree "$NGINX_MASTER")
  g1=$(ticks_tree "$PG_MASTER"); k1=$(ticks_one "$nodepid")
  kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=""
  local secs; secs=$(awk '/requests in/{v=$4; sub(/s,$/,"",v); print v+0}' "$f"); [ -n "$secs" ] && [ "$secs" != 0 ] || secs=${D%s}
  cores() { awk -v a="$1" -v b="$2" -v hz="$HZ" -v s="$secs" 'BEGIN{printf "%.2f", (b-a)/hz/s}'; }
  R[$cs,$side,rps]=$(awk '/^Requests\/sec/{printf "%.1f", $2}' "$f")
  R[$cs,$side,p50]=$(to_ms "$(awk '$1=="50%"{print $2}' "$f")")
  R[$cs,$side,p99]=$(to_ms "$(awk '$1=="99%"{print $2}' "$f")")
  R[$cs,$side,non2xx]=$(awk '/Non-2xx/{print $NF}' "$f"); : "${R[$cs,$side,non2xx]:=0}"
  na_wrk_parse "$f"; R[$cs,$side,sockerr]=$WRK_SOCKERR
  R[$cs,$side,cpu_pool]=$(cores "$p0" "$p1"); R[$cs,$side,cpu_nginx]=$(cores "$n0" "$n1")
  R[$cs,$side,cpu_pg]=$(cores "$g0" "$g1"); R[$cs,$side,cpu_node]=$(cores "$k0" "$k1")
  R[$cs,$side,cpu_wrk]=$(awk -v s="$secs" '{printf "%.2f", ($1+$2)/s}' "$OUT/$tag.wrktime")
  R[$cs,$side,cpu_other]=$(awk -v t="$(cores "$b0" "$b1")" -v p="${R[$cs,$side,cpu_pool]}" -v n="${R[$cs,$side,cpu_nginx]}" \
    -v g="${R[$cs,$side,cpu_pg]}" -v k="${R[$cs,$side,cpu_node]}" -v w="${R[$cs,$side,cpu_wrk]}" \
    'BEGIN{o=t-p-n-g-k-w; if (o<0) o=0; printf "%.2f", o}')
  R[$cs,$side,steal]=$(cores "$s0" "$s1")
  # ours: "poolRSS avg max, poolPSS avg max, nginxRSS avg max"; peer: "nodeRSS avg max" (MiB)
  R[$cs,$side,mem]=$(awk '{for(i=1;i<=NF;i++){s[i]+=$i; if($i>m[i])m[i]=$i}; if(NF>nf)nf=NF} END{ if (!NR) NR=1; for(i=1;i<=nf;i++) printf "%d %d ", s[i]/NR/1024, m[i]/1024 }' "$memf")
  log "$cs/$side: ${R[$cs,$side,rps]} req/s p50=$(fmt_ms "${R[$cs,$side,p50]}") p99=$(fmt_ms "${R[$cs,$side,p99]}") non2xx=${R[$cs,$side,non2xx]} sockerr=${R[$cs,$side,sockerr]} cores pool=${R[$cs,$side,cpu_pool]} nginx=${R[$cs,$side,cpu_nginx]} pg=${R[$cs,$side,cpu_pg]} node=${R[$cs,$side,cpu_node]} wrk=${R[$cs,$side,cpu_wrk]} other=${R[$cs,$side,cpu_other]} steal=${R[$cs,$side,steal]} mem=[${R[$cs,$side,mem]}]"
}

SCRYPT_LINE="" SCRYPT_PAR="" HASH_MS="" HASH_CPU_MS="" HASH_MIN_MS=""
HASH_MS_BEFORE="" HASH_MS_AFTER="" HASH_CPU_BEFORE="" HASH_CPU_AFTER=""
kv() { echo "$SCRYPT_LINE" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
mean2() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", (a + b) / 2}'; }
time_scrypt() {
  wait_idle 20
  log "timing scrypt (tests/bench/scrypt_time.c against src/lib/crypto.c)"
  if cc -O2 -D_GNU_SOURCE -I"$NA_TOP/src" -o "$WORK/scrypt_time" "$HERE/scrypt_time.c" \
       "$NA_TOP/src/lib/crypto.c" "$NA_TOP/src/lib/arena.c" "$NA_TOP/src/lib/log.c" \
       "$NA_TOP/src/lib/text.c" "$NA_TOP/src/lib/clock.c" -lcrypto -lcrypt >>"$LOGF" 2>&1; then
    SCRYPT_LINE=$("$WORK/scrypt_time" 7)
    # NCPU hashes at once: what the cores really give together (memory bandwidth is shared)
    local pids="" i p
    for i in $(seq 1 "$NCPU"); do "$WORK/scrypt_time" 4 >"$WORK/scrypt-par.$i" & pids="$pids $!"; done
    for p in $pids; do wait "$p" || true; done
    SCRYPT_PAR=$(cat "$WORK"/scrypt-par.* | sed -n 's/.*hash_median_ms=\([0-9.]*\).*/\1/p' | awk '{s += 1000 / $1} END{ if (NR) printf "%.1f", s }')
  else
    log "WARNING: could not build scrypt_time.c (see $LOGF)"
  fi
  HASH_MS=$(kv hash_median_ms) HASH_CPU_MS=$(kv hash_cpu_median_ms) HASH_MIN_MS=$(kv hash_min_ms)
  HASH_MS_BEFORE=$HASH_MS HASH_CPU_BEFORE=$HASH_CPU_MS
  log "scrypt: $SCRYPT_LINE; $NCPU at once: ${SCRYPT_PAR:-?} hashes/s"
}
# the speed of this shared machine drifts by 10-25 % within minutes: time the hash again right
# after our sign-in run and take the bound from the mean of the two medians
time_scrypt_after() {
  [ -x "$WORK/scrypt_time" ] && [ -n "$HASH_MS_BEFORE" ] || return 0
  local line; line=$("$WORK/scrypt_time" 7)
  log "scrypt after the sign-in run: $line"
  HASH_MS_AFTER=$(echo "$line" | tr ' ' '\n' | sed -n 's/^hash_median_ms=//p')
  HASH_CPU_AFTER=$(echo "$line" | tr ' ' '\n' | sed -n 's/^hash_cpu_median_ms=//p')
  [ -n "$HASH_MS_AFTER" ] && HASH_MS=$(mean2 "$HASH_MS_BEFORE" "$HASH_MS_AFTER")
  [ -n "$HASH_CPU_AFTER" ] && HASH_CPU_MS=$(mean2 "$HASH_CPU_BEFORE" "$HASH_CPU_AFTER")
}

# ---------------------------------------------------------------- optional pool-size sweep
SWEEP_ROWS=()
restack() {  # pool size: regenerate the conf and reload (SIGHUP) through tests/stack up
  STACK_WORKERS=$1 STACK_LOG_LEVEL=${STACK_LOG_LEVEL:-info} "$NA_TOP/tests/stack" up >/dev/null 2>>"$LOGF" || na_die "stack reload failed"
  na_wait_ms 10000 pool_is "$1" || log "WARNING: pool did not settle at $1 workers"
  conf_overrides "$1"
}
if [ -n "${BENCH_SWEEP:-}" ]; then
  for w in $BENCH_SWEEP; do
    restack "$w"
    run_wrk "gs-w$w" ours "$AUTH_URL/get-session" get-session.lua "$PEER_PID" "$OUR_COOKIE"
    run_wrk "si-w$w" ours "$AUTH_URL/sign-in/email" sign-in.lua "$PEER_PID" ""
    SWEEP_ROWS+=("| $w | $(rnd "${R[gs-w$w,ours,rps]}") | $(fmt_ms "${R[gs-w$w,ours,p99]}") | $(rnd "${R[si-w$w,ours,rps]}") | $(fmt_ms "${R[si-w$w,ours,p99]}") | $(memcol "si-w$w" ours 1) | ${R[gs-w$w,ours,cpu_other]} |")
  done
  restack "$WORKERS"
fi

# ---------------------------------------------------------------- the cases
OUR_CC_COOKIE=""
for cs in $CASES; do
  case "$cs" in
    ok)          run_wrk ok ours "$AUTH_URL/ok" plain-get.lua "$PEER_PID" ""
                 run_wrk ok peer "$PEER_URL/ok" plain-get.lua "$PEER_PID" "" ;;
    jwks)        run_wrk jwks ours "$AUTH_URL/jwks" plain-get.lua "$PEER_PID" ""
                 run_wrk jwks peer "$PEER_URL/jwks" plain-get.lua "$PEER_PID" "" ;;
    get-session) run_wrk get-session ours "$AUTH_URL/get-session" get-session.lua "$PEER_PID" "$OUR_COOKIE"
                 run_wrk get-session peer "$PEER_URL/get-session" get-session.lua "$PEER_PID" "$PEER_COOKIE_V" ;;
    token)       run_wrk token ours "$AUTH_URL/token" token.lua "$PEER_PID" "$OUR_COOKIE"
                 run_wrk token peer "$PEER_URL/token" token.lua "$PEER_PID" "$PEER_COOKIE_V" ;;
    sign-in)     time_scrypt
                 run_wrk sign-in ours "$AUTH_URL/sign-in/email" sign-in.lua "$PEER_PID" ""
                 time_scrypt_after
                 run_wrk sign-in peer "$PEER_URL/sign-in/email" sign-in.lua "$PEER_PID" "" ;;
    get-session-cc)
      psql_db -c "UPDATE neon_auth.project_config SET settings = jsonb_set(settings, '{session}', coalesce(settings->'session', '{}') || '{\"cookie_cache\":true}')" >>"$LOGF"
      for i in $(seq 1 20); do   # workers pick the change up from NOTIFY at their next request
        sleep 0.2
        OUR_CC_COOKIE=$(cookie_for "$AUTH_URL") || true
        echo "$OUR_CC_COOKIE" | grep -q 'session_data=' && break
      done
      echo "$OUR_CC_COOKIE" | grep -q 'neon-auth.session_data=' || na_die "no neon-auth.session_data cookie with cookie_cache on"
      PEER_CC_COOKIE=$(cookie_for "$PEER_CC_URL") || na_die "sign-in at $PEER_CC_URL failed"
      echo "$PEER_CC_COOKIE" | grep -q 'session_data=' || na_die "no session_data cookie from the cookie-cache peer"
      run_wrk get-session-cc ours "$AUTH_URL/get-session" get-session.lua "$PEER_CC_PID" "$OUR_CC_COOKIE"
      run_wrk get-session-cc peer "$PEER_CC_URL/get-session" get-session.lua "$PEER_CC_PID" "$PEER_CC_COOKIE" ;;
    *) na_die "unknown case $cs" ;;
  esac
done
[ -n "$HASH_MS" ] || time_scrypt
LOAD_AFTER=$(cat /proc/loadavg)

# ---------------------------------------------------------------- optional profile
if [ "${BENCH_PROFILE:-0}" = 1 ] && command -v perf >/dev/null; then
  log "profiling the pool during get-session (perf record -g, ${D})"
  pids=$(echo "$MASTER $(kids "$MASTER")" | tr ' ' ',' | sed 's/,*$//')
  BENCH_COOKIE=$OUR_COOKIE wrk -t"$T" -c"$C" -d"$D" --timeout "$TO" -s "$HERE/wrk/get-session.lua" "$AUTH_URL/get-session" >"$OUT/profile.wrk.txt" 2>&1 &
  wp=$!
  sleep 1
  timeout 20 perf record -q -F 999 -g -p "$pids" -o "$OUT/perf.data" -- sleep 5 >>"$LOGF" 2>&1 || true
  wait "$wp" || true
  { echo "== by object"; perf report -i "$OUT/perf.data" --no-children -g none --sort dso --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15
    echo "== by symbol"; perf report -i "$OUT/perf.data" --no-children -g none --sort dso,sym --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -60
    echo "== call graph"; perf report -i "$OUT/perf.data" --no-children --sort sym --stdio 2>/dev/null | grep -v '^#' | head -150
  } >"$OUT/perf-report.txt" 2>&1 || true
fi

# ---------------------------------------------------------------- report
label() {
  case "$1" in
    ok) echo "GET ok" ;; jwks) echo "GET jwks" ;; get-session) echo "GET get-session (cookie)" ;;
    token) echo "GET token (cookie)" ;; sign-in) echo "POST sign-in/email" ;;
    get-session-cc) echo "GET get-session, cookie cache on" ;;
  esac
}
BOUND="" BOUND_CPU="" SIGNIN_FRAC="" SIGNIN_FRAC_CPU="" SIGNIN_FRAC_PAR="" SIGNIN_CPU_MS="" SIGNIN_FRAC_EFF=""
if [ -n "$HASH_MS" ]; then
  BOUND=$(awk -v c="$NCPU" -v h="$HASH_MS" 'BEGIN{printf "%.1f", c*1000/h}')
  BOUND_CPU=$(awk -v c="$NCPU" -v h="$HASH_CPU_MS" 'BEGIN{printf "%.1f", c*1000/h}')
fi
if [ -n "${R[sign-in,ours,rps]:-}" ] && [ -n "$BOUND" ]; then
  # req/s are rounded for the table; take the exact value from wrk for the fraction
  SI=$(awk '/^Requests\/sec/{print $2}' "$OUT/sign-in.ours.wrk.txt")
  SIGNIN_FRAC=$(awk -v s="$SI" -v b="$BOUND" 'BEGIN{printf "%.0f", 100*s/b}')
  SIGNIN_FRAC_CPU=$(awk -v s="$SI" -v b="$BOUND_CPU" 'BEGIN{printf "%.0f", 100*s/b}')
  [ -n "$SCRYPT_PAR" ] && SIGNIN_FRAC_PAR=$(awk -v s="$SI" -v b="$SCRYPT_PAR" 'BEGIN{printf "%.0f", 100*s/b}')
  # contention-proof view: CPU our whole stack spent per sign-in (pool + nginx + postgres + wrk)
  # against the CPU of one hash; = the fraction of the bound we would reach on idle cores
  SIGNIN_CPU_MS=$(awk -v s="$SI" -v a="${R[sign-in,ours,cpu_pool]}" -v b="${R[sign-in,ours,cpu_nginx]}" \
    -v c="${R[sign-in,ours,cpu_pg]}" -v d="${R[sign-in,ours,cpu_wrk]}" 'BEGIN{ if (s > 0) printf "%.1f", (a+b+c+d)*1000/s }')
  [ -n "$SIGNIN_CPU_MS" ] && SIGNIN_FRAC_EFF=$(awk -v h="$HASH_CPU_MS" -v c="$SIGNIN_CPU_MS" 'BEGIN{ if (c > 0) printf "%.0f", 100*h/c }')
fi
verdict() { [ -n "$1" ] && [ "$1" != "-" ] || { echo "not measured"; return; }; if awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN{ if (a == "" || a == "-") exit 1; exit !(op == ">=" ? a+0 >= b+0 : a+0 <= b+0) }'; then echo "met"; else echo "**missed**"; fi; }

{
  echo "# neon-authd vs Better Auth reference server"
  echo
  echo '```'; cat "$OUT/env.txt"; echo "load after:  $LOAD_AFTER"; echo '```'
  echo
  echo "## Throughput and latency (wrk -t$T -c$C -d$D, loopback; ours through nginx)"
  echo
  echo "| case | ours req/s | peer req/s | ours/peer req/s | ours p50 | peer p50 | ours p99 | peer p99 | peer/ours p99 | non-2xx ours / peer | socket errors ours / peer | other procs, cores ours / peer |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for cs in $CASES; do
    echo "| $(label "$cs") | $(rnd "${R[$cs,ours,rps]}") | $(rnd "${R[$cs,peer,rps]}") | $(ratio "${R[$cs,ours,rps]}" "${R[$cs,peer,rps]}")× | $(fmt_ms "${R[$cs,ours,p50]}") | $(fmt_ms "${R[$cs,peer,p50]}") | $(fmt_ms "${R[$cs,ours,p99]}") | $(fmt_ms "${R[$cs,peer,p99]}") | $(ratio "${R[$cs,peer,p99]}" "${R[$cs,ours,p99]}")× | ${R[$cs,ours,non2xx]} / ${R[$cs,peer,non2xx]} | ${R[$cs,ours,sockerr]} / ${R[$cs,peer,sockerr]} | ${R[$cs,ours,cpu_other]} / ${R[$cs,peer,cpu_other]} |"
  done
  echo
  echo "\"other procs\": CPU used during the run by processes that are neither ours, nginx, PostgreSQL, node nor wrk (the machine may be shared); well above 0 means the numbers are disturbed."
  echo
  echo "## Memory (MiB, avg / max of 1 s samples during each run) and CPU (cores used during the run, and CPU µs per request)"
  echo
  echo "Pool = neon-authd master + workers: RSS summed over the processes (pages shared since the fork count once per process); PSS splits shared pages between them."
  echo
  echo "| case | ours: pool RSS | pool PSS | nginx RSS | cores: pool | nginx | postgres | wrk | peer: node RSS | cores: node | postgres | wrk |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for cs in $CASES; do
    echo "| $(label "$cs") | $(memcol "$cs" ours 1) | $(memcol "$cs" ours 2) | $(memcol "$cs" ours 3) | $(cu "$cs" ours pool) | $(cu "$cs" ours nginx) | $(cu "$cs" ours pg) | $(cu "$cs" ours wrk) | $(memcol "$cs" peer 1) | $(cu "$cs" peer node) | $(cu "$cs" peer pg) | $(cu "$cs" peer wrk) |"
  done
  echo
  echo "Idle: pool RSS $IDLE_POOL MiB (PSS $IDLE_POOL_PSS), nginx $IDLE_NGINX MiB, node $IDLE_NODE MiB (before the runs)."
  echo
  if [ ${#SWEEP_ROWS[@]} -gt 0 ]; then
    echo "## Pool size (ours only; the runs above use $WORKERS)"
    echo
    echo "| workers | get-session req/s | p99 | sign-in req/s | p99 | pool RSS during sign-in (MiB avg / max) | other procs, cores |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${SWEEP_ROWS[@]}"
    echo
  fi
  echo "## scrypt bound (sign-in)"
  echo
  if [ -n "$HASH_MS" ]; then
    echo "- one hash, neon-authd's crypto_password_hash (tests/bench/scrypt_time.c, N=16384 r=16 p=1), median of 7 right before our sign-in run: $HASH_MS_BEFORE ms wall (min $HASH_MIN_MS ms), $HASH_CPU_BEFORE ms CPU; right after it: ${HASH_MS_AFTER:-?} ms wall, ${HASH_CPU_AFTER:-?} ms CPU; mean **$HASH_MS ms**; $NCPU hashing at once (before): ${SCRYPT_PAR:-?} hashes/s together"
    echo "- bound = cores / time of one hash = $NCPU / $HASH_MS ms = **$BOUND sign-ins/s** (with the CPU time: $BOUND_CPU/s)"
    echo "- our sign-in: ${R[sign-in,ours,rps]:-?} req/s = **${SIGNIN_FRAC:-?} %** of the bound (${SIGNIN_FRAC_CPU:-?} % of the CPU-time bound, ${SIGNIN_FRAC_PAR:-?} % of the measured $NCPU-way hash rate)"
    echo "- CPU per sign-in, whole stack (pool + nginx + postgres + wrk): ${SIGNIN_CPU_MS:-?} ms against $HASH_CPU_MS ms for the hash alone: on otherwise idle cores sign-in would reach **${SIGNIN_FRAC_EFF:-?} %** of the bound (this one does not depend on what else runs on the machine)"
  else
    echo "- scrypt_time.c could not be built: no bound"
  fi
  echo "- sign-in at concurrency 1 (curl, median of 7): ours $SEQ_OURS ms, peer $SEQ_PEER ms"
  echo
  echo "## Targets (issue 4)"
  echo
  gs_r=$(ratio "${R[get-session,ours,rps]:-}" "${R[get-session,peer,rps]:-}")
  gs_p=$(ratio "${R[get-session,peer,p99]:-}" "${R[get-session,ours,p99]:-}")
  echo "- get-session throughput ≥ 20× the peer's: ${gs_r}× — $(verdict "$gs_r" ">=" 20)"
  echo "- get-session p99 ≤ 1/10 of the peer's (peer/ours ≥ 10): ${gs_p}× — $(verdict "$gs_p" ">=" 10)"
  echo "- sign-in ≥ 90 % of the scrypt bound: ${SIGNIN_FRAC:-?} % measured — $(verdict "${SIGNIN_FRAC:-}" ">=" 90); ${SIGNIN_FRAC_EFF:-?} % from CPU per request — $(verdict "${SIGNIN_FRAC_EFF:-}" ">=" 90)"
  if [ -f "$OUT/perf-report.txt" ]; then echo; echo "perf profile of the pool during get-session: $OUT/perf-report.txt"; fi
} >"$OUT/summary.md"
cat "$OUT/summary.md"
log "results in $OUT"
