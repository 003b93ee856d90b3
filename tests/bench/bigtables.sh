#!/usr/bin/env bash
# tests/bench/bigtables.sh [OUT] -- the hot routes on big tables (issue 18 "Big tables"): the same
# workloads on two branches of one daemon and one PostgreSQL server: "small", a copy of the
# stack's database with its few rows (CREATE DATABASE ... TEMPLATE, so the bench's cookies are
# valid on both), and "big", the stack's own after BIG_USERS users and BIG_SESSIONS sessions are
# generated in it by SQL (INSERT ... SELECT generate_series; 30 % of the sessions expired).  The
# two are measured in BIG_ROUNDS interleaved rounds (small, big, small, big ...), so a drift of
# the machine hits both alike, and compared by their medians.  Then get-session again while
# `neon-authd purge` deletes the expired sessions in batches.
#
# Workloads (wrk -t2 -c$WRK_CONNS -d$WRK_DURATION each): get-session (cookie), list-sessions,
# admin/list-users with an email starts_with search (an admin's cookie); and sign-in's part
# outside the hash: the median db_ms of BIG_SIGNINS sequential sign-ins, from the daemon's
# access lines (the statements' time; scrypt is not in it).  The plans: auto_explain (contrib)
# logs the plan of every statement the daemon runs for one request of each route on the big
# tables; the report prints each statement's plan nodes (Index Scan / Seq Scan ...).
#
# Env: OUT (or $1), BIG_USERS (1000000), BIG_SESSIONS (10000000; on the shared 2-core machine use
# 200000 / 2000000), WRK_DURATION (6s), WRK_CONNS (8), BIG_SIGNINS (15), PURGE_BATCH (5000),
# BIG_ROUNDS (3), BENCH_WORKERS (4), BENCH_TIMEOUT (2400 s watchdog), NA_BIN, KEEP=1.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$HERE/../lib.sh"
U=${BIG_USERS:-1000000} S=${BIG_SESSIONS:-10000000} D=${WRK_DURATION:-6s} C=${WRK_CONNS:-8}
NS=${BIG_SIGNINS:-15} PB=${PURGE_BATCH:-5000} WORKERS=${BENCH_WORKERS:-4} ROUNDS=${BIG_ROUNDS:-3}
for c in wrk curl nginx; do command -v "$c" >/dev/null || na_die "$c not found"; done
OUT=${1:-${OUT:-}}
[ -n "$OUT" ] || OUT=$(mktemp -d "${TMPDIR:-/tmp}/neon-authd-big-out.XXXXXX")
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd -P)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nabig.XXXXXX"); chmod 755 "$WORK"
export STACK_DIR=$WORK/stack
LOGF=$OUT/log.txt; : >"$LOGF"
log() { echo "[bigtables $(date +%T)] $*" | tee -a "$LOGF" >&2; }
STACK_STARTED=0 WATCHDOG=""
cleanup() {
  local rc=$?; trap - EXIT INT TERM
  [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
  [ "$STACK_STARTED" = 1 ] && { "$NA_TOP/tests/stack" wipe >>"$LOGF" 2>&1 || true; }
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM
( trap 'kill $s 2>/dev/null; exit 0' TERM
  sleep "${BENCH_TIMEOUT:-2400}" >/dev/null 2>&1 & s=$!; wait $s
  echo "[bigtables] watchdog: stopping after ${BENCH_TIMEOUT:-2400}s" >&2; kill -TERM $$ ) &
WATCHDOG=$!

if [ "$NA_BIN" = "$NA_TOP/src/neon-authd" ]; then
  log "building neon-authd"; na_build "$OUT/build.log" || na_die "build failed ($OUT/build.log)"
fi
cp "$NA_BIN" "$WORK/neon-authd"; export NA_BIN=$WORK/neon-authd
STACK_STARTED=1
log "stack up (pool.workers = $WORKERS)"
eval "$(STACK_WORKERS=$WORKERS "$NA_TOP/tests/stack" up 2>>"$LOGF")" || na_die "stack up failed ($LOGF)"
ORIGIN=$(sed -E 's|^(https?://[^/]+).*|\1|' <<<"$AUTH_URL")
CONF=$STACK_DIR/neon-authd.conf LOG=$STACK_DIR/neon-authd.log
PGLOG=$(ls "$STACK_DIR/pg.log" 2>/dev/null || find "$(dirname "$(cat "$STACK_DIR/pgdata.path")")" -maxdepth 2 -name '*.log' 2>/dev/null | head -1)
sql() { "$(na_pgbin)/psql" -X -q -At -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "$1"; }
sql "UPDATE neon_auth.project_config SET settings = settings || '{\"rate_limit\":{\"enabled\":false}}'"

jar_cookie() { awk '{sub(/^#HttpOnly_/,"")} !/^#/ && NF>=7 {printf "%s%s=%s", (n++?"; ":""), $6, $7}' "$1"; }
signup() {  # EMAIL -> cookie
  local jar=$WORK/jar.$RANDOM
  curl -fsS -o /dev/null -c "$jar" -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
    --data-binary "{\"email\":\"$1\",\"password\":\"bench-password-123\",\"name\":\"Bench\"}" "$AUTH_URL/sign-up/email"
  jar_cookie "$jar"
}
USER_COOKIE=$(signup big-bench@example.com)
ADMIN_COOKIE=$(signup big-admin@example.com)
sql "UPDATE neon_auth.\"user\" SET role = 'admin' WHERE email = 'big-admin@example.com'"
SEARCH='searchValue=user-4242&searchField=email&searchOperator=starts_with&limit=10'

# the small branch: a copy of the stack's database as it is now (no connection may be open to it)
DBNAME=$(sql "SELECT current_database()")
PG_PORT=$(sed -n 's/^PG_PORT=//p' "$STACK_DIR/ports")
pg() { "$(na_pgbin)/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "$1"; }
for i in 1 2 3 4 5 6 7 8 9 10; do
  pg "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$DBNAME' AND pid <> pg_backend_pid()" >/dev/null
  pg "CREATE DATABASE bt_small TEMPLATE \"$DBNAME\"" 2>>"$LOGF" && break
  [ "$i" = 10 ] && na_die "cannot copy $DBNAME (connections keep coming back)"
  sleep 0.2
done
SMALL_URL=$ORIGIN/bt_small/auth
sed -i "s|^branches = (|branches = (\n  { name = \"small\"; auth_url = \"$SMALL_URL\"; database = \"host=127.0.0.1 port=$PG_PORT dbname=bt_small user=postgres\"; },|" "$CONF"
"$NA_BIN" check-config -c "$CONF" >>"$LOGF" 2>&1 || na_die "check-config rejected $CONF"
kill -HUP "$(cat "$STACK_DIR/neon-authd.pid")"; sleep 2
curl -fsS -o /dev/null -H "Cookie: $USER_COOKIE" "$SMALL_URL/get-session" || na_die "the small branch does not answer"

declare -A R
# lat_ms WRKFILE PCT: wrk's latency percentile in ms
lat_ms() { awk -v p="$2" '$1==p"%"||$1==p".000%" { v=$2; u=v; sub(/[0-9.]+/, "", u); v+=0; if (u=="us") v/=1000; if (u=="s") v*=1000; if (u=="m") v*=60000; printf "%.2f", v; exit }' "$1"; }
wrk_case() {  # PHASE NAME PATH COOKIE [BASE]
  local f=$OUT/$1.$2.wrk.txt base=${5:-$AUTH_URL}
  cat >"$WORK/c.lua" <<EOL
wrk.method = "GET"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
wrk.headers["Origin"] = "$ORIGIN"
EOL
  BENCH_COOKIE=$4 wrk -t2 -c"$C" -d"$D" --timeout 10s --latency -s "$WORK/c.lua" "$base/$3" >"$f" 2>&1 || true
  na_wrk_parse "$f"
  R[$1,$2]="$(sed -n 's/^Requests\/sec: *//p' "$f") $(lat_ms "$f" 50) $(lat_ms "$f" 99) $WRK_NON2XX"
  log "$1 $2: ${R[$1,$2]} (req/s p50 p99 non-2xx)"
}
signin_db_ms() {  # PHASE [BASE]: median db_ms and dur_ms of NS sequential sign-ins, from the access log
  local i mark base=${2:-$AUTH_URL}; mark=$(wc -l <"$LOG")
  for i in $(seq 1 "$NS"); do
    curl -sS -o /dev/null -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
      --data-binary '{"email":"big-bench@example.com","password":"bench-password-123"}' "$base/sign-in/email"
  done
  sleep 0.5
  R[$1,signin]=$(tail -n +"$((mark + 1))" "$LOG" | grep 'route=sign-in/email status=200' |
    sed -n 's/.* dur_ms=\([0-9.]*\) db_ms=\([0-9.]*\).*/\2 \1/p' | sort -n |
    awk '{a[NR]=$1; b[NR]=$2} END{ if (NR) printf "%.2f %.1f %d", a[int((NR+1)/2)], b[int((NR+1)/2)], NR }')
  log "$1 sign-in: ${R[$1,signin]} (median db_ms, median dur_ms, count)"
}
phase() {  # PHASE BASE
  wrk_case "$1" get-session get-session "$USER_COOKIE" "$2"
  wrk_case "$1" list-sessions list-sessions "$USER_COOKIE" "$2"
  wrk_case "$1" list-users "admin/list-users?$SEARCH" "$ADMIN_COOKIE" "$2"
  signin_db_ms "$1" "$2"
}

# ---------------------------------------------------------------- the big tables
t0=$(date +%s)
log "generating $U users and $S sessions"
sql "INSERT INTO neon_auth.\"user\" (id, name, email, \"emailVerified\", \"createdAt\", \"updatedAt\", role, banned)
     SELECT md5('u' || i)::uuid, 'Name ' || i, 'user-' || i || '@example.com', i % 3 = 0,
            now() - make_interval(secs => $U - i), now(), 'user', i % 500 = 0
     FROM generate_series(1, $U) AS i"
sql "INSERT INTO neon_auth.session (id, \"expiresAt\", token, \"createdAt\", \"updatedAt\", \"ipAddress\", \"userAgent\", \"userId\")
     SELECT md5('s' || i)::uuid,
            CASE WHEN i % 10 < 3 THEN now() - interval '1 day' ELSE now() + interval '7 days' END,
            md5('t' || i) || md5('k' || i), now() - interval '1 day', now(), '127.0.0.1', 'bench',
            md5('u' || (1 + i % $U))::uuid
     FROM generate_series(1, $S) AS i"
sql "VACUUM ANALYZE neon_auth.\"user\"; VACUUM ANALYZE neon_auth.session" 2>/dev/null ||
  { sql "VACUUM ANALYZE neon_auth.\"user\""; sql "VACUUM ANALYZE neon_auth.session"; }
GEN_S=$(( $(date +%s) - t0 ))
log "generated in ${GEN_S}s: $(sql "SELECT pg_size_pretty(pg_total_relation_size('neon_auth.session'))") of sessions"
sql "CHECKPOINT"
for r in $(seq 1 "$ROUNDS"); do
  phase "small$r" "$SMALL_URL"
  phase "big$r" "$AUTH_URL"
done
# R[small,*] and R[big,*]: the field-wise median over the rounds (req/s, p50, p99 or db_ms, dur_ms)
med() { sort -g | awk '{a[NR]=$1} END{ if (NR) print a[int((NR+1)/2)]; else print "" }'; }
for ph in small big; do
  for w in get-session list-sessions list-users signin; do
    m=""
    for k in 1 2 3 4; do
      v=$(for r in $(seq 1 "$ROUNDS"); do set -- ${R[$ph$r,$w]}; eval "echo \${$k:-}"; done | { grep -v '^$' || true; } | med)
      m="$m ${v:-}"
    done
    R[$ph,$w]=${m# }
  done
done

# ---------------------------------------------------------------- plans (auto_explain)
sql "ALTER DATABASE \"$DBNAME\" SET session_preload_libraries = 'auto_explain'"
sql "ALTER DATABASE \"$DBNAME\" SET auto_explain.log_min_duration = 0"
sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'neon-authd'" >/dev/null
pgmark=$(wc -l <"$PGLOG" 2>/dev/null || echo 0)
for p in get-session list-sessions "admin/list-users?$SEARCH"; do
  ck=$USER_COOKIE; case $p in admin/*) ck=$ADMIN_COOKIE ;; esac
  curl -sS -o /dev/null -H "Cookie: $ck" -H "Origin: $ORIGIN" "$AUTH_URL/$p"; curl -sS -o /dev/null -H "Cookie: $ck" -H "Origin: $ORIGIN" "$AUTH_URL/$p"
done
curl -sS -o /dev/null -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
  --data-binary '{"email":"big-bench@example.com","password":"bench-password-123"}' "$AUTH_URL/sign-in/email"
sleep 1
sql "ALTER DATABASE \"$DBNAME\" RESET session_preload_libraries"
sql "ALTER DATABASE \"$DBNAME\" RESET auto_explain.log_min_duration"
sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'neon-authd'" >/dev/null
# each logged plan: its query's first line, then the scan nodes on the tables
tail -n +"$((pgmark + 1))" "$PGLOG" 2>/dev/null | awk '
  /LOG:  duration: .* plan:/ { if (q != "") print q " => " n; q = ""; n = ""; inq = 0; next }
  /Query Text:/ { sub(/.*Query Text: /, ""); q = substr($0, 1, 110); next }
  /(Seq|Index|Index Only|Bitmap Heap|Bitmap Index) Scan/ { s = $0; sub(/^[ \t>-]*/, "", s); sub(/  \(cost.*/, "", s); n = n (n == "" ? "" : "; ") s }
  END { if (q != "") print q " => " n }' | grep -v 'pg_catalog\|^ *=>' | sort -u >"$OUT/plans.txt" || true
SEQ=$(grep -c 'Seq Scan on \(user\|session\|account\)' "$OUT/plans.txt" || true)

# ---------------------------------------------------------------- purge under get-session load
EXPIRED=$(sql "SELECT count(*) FROM neon_auth.session WHERE \"expiresAt\" < now()")
( BENCH_COOKIE=$USER_COOKIE wrk -t2 -c"$C" -d"${PURGE_WRK:-20s}" --timeout 10s --latency -s "$WORK/c.lua" "$AUTH_URL/get-session" >"$OUT/purge.wrk.txt" 2>&1 ) & wp=$!
sleep 1
p0=$(date +%s%3N)
"$NA_BIN" purge --all --batch "$PB" -c "$CONF" >"$OUT/purge.out" 2>&1 || log "purge exited $?"
PURGE_MS=$(( $(date +%s%3N) - p0 ))
wait "$wp" || true
na_wrk_parse "$OUT/purge.wrk.txt"
R[purge,get-session]="$(sed -n 's/^Requests\/sec: *//p' "$OUT/purge.wrk.txt") $(lat_ms "$OUT/purge.wrk.txt" 50) $(lat_ms "$OUT/purge.wrk.txt" 99) $WRK_NON2XX"
LEFT=$(sql "SELECT count(*) FROM neon_auth.session WHERE \"expiresAt\" < now()")
log "purge: $EXPIRED expired sessions, $LEFT left, ${PURGE_MS} ms; get-session meanwhile ${R[purge,get-session]}"

pct() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "" || b == "" || a + 0 == 0) print "-"; else printf "%+.0f %%", (b - a) * 100 / a }'; }
{
  echo "# Big tables: $U users, $S sessions (generated by SQL in ${GEN_S}s)"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), git $(git -C "$NA_TOP" rev-parse --short HEAD 2>/dev/null || echo '?'), pool.workers = $WORKERS, wrk -t2 -c$C -d$D; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "Medians of $ROUNDS interleaved rounds (small, big, small, big ...); the rounds are listed below."
  echo
  echo "| route | small req/s | p50 / p99 ms | big req/s | p50 / p99 ms | req/s change | non-2xx small / big |"
  echo "|---|---:|---|---:|---|---:|---|"
  for w in get-session list-sessions list-users; do
    read -r a ap50 ap99 an <<<"${R[small,$w]}"; read -r b bp50 bp99 bn <<<"${R[big,$w]}"
    echo "| $w | $a | $ap50 / $ap99 | $b | $bp50 / $bp99 | $(pct "$a" "$b") | $an / $bn |"
  done
  read -r a ad an <<<"${R[small,signin]}"; read -r b bd bn <<<"${R[big,signin]}"
  echo "| sign-in, outside the hash (median db_ms of $NS) | $a ms | (whole request $ad ms) | $b ms | (whole request $bd ms) | $(pct "$a" "$b") | |"
  echo
  echo "Each round (req/s; sign-in: median db_ms), small → big:"
  echo
  for r in $(seq 1 "$ROUNDS"); do
    line="round $r:"
    for w in get-session list-sessions list-users signin; do
      set -- ${R[small$r,$w]}; a=${1:-}; set -- ${R[big$r,$w]}; line="$line $w $a → ${1:-};"
    done
    echo "* ${line%;}"
  done
  echo
  echo "list-users search: \`$SEARCH\`."
  echo
  echo "Purge: \`neon-authd purge --all --batch $PB\` deleted $((EXPIRED - LEFT)) of $EXPIRED expired sessions in $PURGE_MS ms; get-session meanwhile (wrk ${PURGE_WRK:-20s}): $(read -r a b c d <<<"${R[purge,get-session]}"; echo "$a req/s, p50 $b ms, p99 $c ms, non-2xx $d") (big tables without purge: $(read -r a b c d <<<"${R[big,get-session]}"; echo "$a req/s, p50 $b ms, p99 $c ms"))."
  echo
  echo "Plans of the statements run for get-session, list-sessions, list-users and sign-in on the big tables (auto_explain; $SEQ sequential scans of user/session/account):"
  echo
  echo '```'
  cat "$OUT/plans.txt"
  echo '```'
} | tee "$OUT/summary.md"
