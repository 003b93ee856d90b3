#!/usr/bin/env bash
# tests/bench/pgbouncer.sh [OUT] -- direct against through PgBouncer, and the rate limiter's
# database storage against memory, in one run (issue 18). Reports; asserts nothing.
#
# One daemon (BENCH_WORKERS workers) behind nginx, one PostgreSQL, a real pgbouncer 1.18
# (pool_mode transaction, BENCH_POOL server connections) and four branches:
#   direct   database A straight to PostgreSQL (named prepared statements, LISTEN)
#   unnamed  database A straight, but pooler = "transaction" (unnamed statements, LISTEN on
#            its listen_database): the statement mode's cost without the pooler's hop
#   pooled   database A through pgbouncer (pooler = "transaction": unnamed statements)
#   rldb     database B straight, settings.rate_limit.storage "database"
# A and B have the rate limiter on with a limit never reached (window 10 s, max 1000000),
# storage "memory" on A, so every get-session is counted: in shared memory on direct/pooled,
# by one upsert on rldb. Rounds of get-session with a cookie alternate over
# the branches (BENCH_ROUNDS): wrk -t$WRK_THREADS -c$WRK_CONNS -d$WRK_DURATION.
# The report gives req/s, p50 and p99 per branch and the ratios to "direct", then the delay
# until a config change (disable_sign_up, rate limiter off) is in effect on every worker: on
# direct (NOTIFY) and on pooled (no listen_database: config_ttl, 2 s here).
#
# Env: OUT (or $1), BENCH_WORKERS (2), BENCH_POOL (4), BENCH_ROUNDS (2), WRK_THREADS (2),
# WRK_CONNS (16), WRK_DURATION (8s), NA_BIN, NA_TEST_PGPORT (use that cluster), KEEP=1.
# Only 127.0.0.1 is used. Needs: wrk, curl, jq, nginx, PostgreSQL, pgbouncer.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$HERE/../lib.sh"
. "$HERE/../integration/lib_auth.sh"
. "$HERE/../integration/lib_pgbouncer.sh"

WORKERS=${BENCH_WORKERS:-2} POOL=${BENCH_POOL:-4} ROUNDS=${BENCH_ROUNDS:-2}
THREADS=${WRK_THREADS:-2} CONNS=${WRK_CONNS:-16} DUR=${WRK_DURATION:-8s}
for c in wrk curl jq nginx; do command -v "$c" >/dev/null || na_die "$c not found (scripts/install-deps)"; done
[ -z "$(pgb_skip_reason)" ] || na_die "$(pgb_skip_reason)"
OUT=${1:-${OUT:-}}
[ -n "$OUT" ] || OUT=$(mktemp -d "${TMPDIR:-/tmp}/neon-authd-bench-pgb.XXXXXX")
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd -P)

NA_TEST_TIMEOUT=${BENCH_TIMEOUT:-900} la_init bench-pgbouncer >/dev/null
trap 'pgb_stop; la_cleanup' EXIT
A=bpa_$LA_SUFFIX B=bpb_$LA_SUFFIX
la_db_create "$A" && la_db_create "$B" || na_die "cannot create databases"
pgb_start "$T/pgb" "$NA_PG_PORT" "$POOL" "$A" || na_die "pgbouncer did not start: $PGB_DIAG"
dconn() { echo "host=127.0.0.1 port=$NA_PG_PORT dbname=$1 user=postgres"; }
la_conf "$CONF" "$WORKERS" 2 "  { name = \"direct\"; auth_url = \"$ORIGIN/direct/auth\"; database = \"$(dconn "$A")\"; },
  { name = \"pooled\"; auth_url = \"$ORIGIN/pooled/auth\"; database = \"$(pgb_conninfo "$A")\"; pooler = \"transaction\"; },
  { name = \"unnamed\"; auth_url = \"$ORIGIN/unnamed/auth\"; database = \"$(dconn "$A")\"; pooler = \"transaction\"; listen_database = \"$(dconn "$A")\"; },
  { name = \"rldb\"; auth_url = \"$ORIGIN/rldb/auth\"; database = \"$(dconn "$B")\"; }"
sed -i 's/log_level = "info"/log_level = "warn"/' "$CONF"
for b in direct rldb; do "$NA_BIN" migrate --branch $b -c "$CONF" >/dev/null 2>&1 || na_die "migrate $b"; done
"$NA_BIN" config set direct settings.rate_limit '{"enabled":true,"window":10,"max":1000000,"storage":"memory"}' -c "$CONF" >/dev/null &&
"$NA_BIN" config set rldb settings.rate_limit '{"enabled":true,"window":10,"max":1000000,"storage":"database"}' -c "$CONF" >/dev/null ||
  na_die "config set"
la_up || na_die "daemon did not start: $LA_DIAG"

declare -A COOKIES
for b in direct unnamed pooled rldb; do
  la_sign_up "$ORIGIN/$b/auth" "bench-$b-$LA_SUFFIX@example.com" "password-0123" "Bench" >/dev/null
  [ -n "$COOKIE" ] || na_die "sign-up on $b: HTTP $HTTP_CODE $HTTP_BODY"
  COOKIES[$b]=$COOKIE
done

rm -f "$OUT/rows.txt"
ms() { # wrk latency "1.23ms" / "850.00us" / "1.02s" -> ms
  awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 } else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 } else print 0 }'
}
run() { # CASE BRANCH ROUND
  local f=$OUT/$1-$2-$3.txt rps p50 p99
  if [ "$1" = get-session ]; then
    BENCH_COOKIE="neon-auth.session_token=${COOKIES[$2]}" wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency \
      -s "$HERE/wrk/get-session.lua" "$ORIGIN/$2/auth/get-session" >"$f" 2>&1
  fi
  na_wrk_parse "$f"
  rps=$(sed -n 's/^Requests\/sec: *//p' "$f")
  p50=$(ms "$(awk '$1 == "50%" { print $2 }' "$f")"); p99=$(ms "$(awk '$1 == "99%" { print $2 }' "$f")")
  echo "[pgbouncer $(date +%T)] $1 $2 round $3: $rps req/s, p50 $p50 ms, p99 $p99 ms, non-2xx $WRK_NON2XX" >&2
  [ "$3" = warm ] || echo "$1 $2 ${rps:-0} $p50 $p99" >> "$OUT/rows.txt"
}
# the rate limiter's rows: rldb's get-session upserts one row
CASES="get-session"
for c in $CASES; do
  for b in direct unnamed pooled rldb; do run "$c" "$b" warm 2>/dev/null; done
  for r in $(seq "$ROUNDS"); do for b in direct unnamed pooled rldb; do run "$c" "$b" "$r"; done; done
done

# the config-reload delay: pooled without a listen connection waits for config_ttl (2 s here)
delay() { # BRANCH -> ms until sign-up is refused on every worker after disable_sign_up (10 s bound)
  local b=$1 t0 i j n
  setdis() { la_psql "$A" -c "UPDATE neon_auth.project_config SET email_and_password = coalesce(email_and_password, '{}') || '{\"disable_sign_up\":$1}'" >/dev/null; }
  setdis false; sleep 3
  # every worker loads the config now, so a TTL cache is fresh when the change lands
  for j in $(seq $((WORKERS * 4))); do la_req GET "$ORIGIN/$b/auth/get-session" ""; done
  setdis true
  t0=$(na_now_ms)
  for i in $(seq 200); do
    n=0
    for j in $(seq $((WORKERS * 3))); do
      la_sign_up "$ORIGIN/$b/auth" "bench-$b-$LA_SUFFIX@example.com" "password-0123" "Bench"
      [ "$(la_code)" = EMAIL_PASSWORD_SIGN_UP_DISABLED ] && n=$((n + 1))
    done
    [ "$n" = $((WORKERS * 3)) ] && { echo $(( $(na_now_ms) - t0 )); setdis false; return; }
    sleep 0.05
  done
  setdis false
  echo "over 10000"
}
la_psql "$A" -c "UPDATE neon_auth.project_config SET settings = jsonb_set(coalesce(settings, '{}'), '{rate_limit,enabled}', 'false')" >/dev/null
D_DIRECT=$(delay direct) D_POOLED=$(delay pooled)

{
  echo "## PgBouncer and rate-limit storage ($(date -u +%F), one run)"
  echo
  echo "neon-authd $WORKERS workers, pgbouncer $(pgbouncer --version 2>/dev/null | head -1 | awk '{print $2}') pool_mode transaction pool_size $POOL, wrk -t$THREADS -c$CONNS -d$DUR, $ROUNDS alternating rounds (means), $(nproc) cores."
  echo
  echo "| case | branch | req/s | p50 ms | p99 ms | req/s vs direct |"
  echo "|---|---|---:|---:|---:|---:|"
  awk '{ k = $1 " " $2; if (seen[k]++ == 0) { m++; order[m] = k }; n[k]++; r[k] += $3; p5[k] += $4; p9[k] += $5 }
    END { for (i = 1; i <= m; i++) { k = order[i]; split(k, f, " "); base = r[f[1] " direct"] / n[f[1] " direct"]
      printf "| %s | %s | %.0f | %.2f | %.2f | %.2f |\n", f[1], f[2], r[k] / n[k], p5[k] / n[k], p9[k] / n[k], (base > 0 ? (r[k] / n[k]) / base : 0) } }' "$OUT/rows.txt"
  echo
  echo "Config change to every worker: direct (NOTIFY) $D_DIRECT ms, pooled without listen_database (config_ttl 2 s) $D_POOLED ms."
  echo "(each probe round is $((WORKERS * 3)) sign-up requests with curl: the direct figure is that round's cost.)"
  echo "rldb: rateLimit rows $(la_psql "$B" -tAc 'SELECT count(*) FROM neon_auth."rateLimit"'), server connections held by pgbouncer: $(na_psql "$PGB_PORT" pgbouncer -tAc 'SHOW SERVERS' 2>/dev/null | awk -F'|' -v d="$A" '$3 == d { n++ } END { print n + 0 }')."
} | tee "$OUT/summary.md"
la_down
