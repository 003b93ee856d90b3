#!/usr/bin/env bash
# Many branches, bounded connections (issue 18 "Many branches"), black box: the real binary behind
# nginx, a template-mapped branch map (branch_template) over NB databases copied from one
# migrated template, PostgreSQL's pg_stat_activity counting the daemon's connections.
#
#   a  pool.workers = 2, database.max_branches = 3, database.max_connections = 4: get-session on
#      every branch, three rounds, sequential and 8 at once: every answer 200 and the daemon
#      never holds more than 4 connections (the server-wide cap; workers x max_branches is 6)
#   b  a branch whose database does not exist and one that refuses connections (ALLOW_CONNECTIONS
#      false) answer 503 DATABASE_UNAVAILABLE, and the other branches keep answering 200
#   c  database.idle_timeout = 2: once requests stop, the connections close (the server ends
#      them, idle_session_timeout, within idle_timeout + 5 s; polled for at most 25 s), and the
#      next requests reconnect and answer 200
#   d  database.max_connections = 1 with 2 workers and 8 requests at once on two branches: never
#      more than one connection; what cannot get one is a 503 DATABASE_UNAVAILABLE, never a hang
#
# Environment: NA_BIN, NA_TEST_PGPORT (use this running cluster), NA_TEST_TMP, KEEP=1.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_auth.sh"
la_init branches_pool

NB=6
TPL=bp_tpl_$LA_SUFFIX
la_db_create "$TPL" || { echo "Bail out! cannot create database $TPL"; exit 1; }
la_conf "$CONF" 1 60 "$(la_branch seed "/$TPL/auth" "$TPL")"
out=$("$NA_BIN" migrate --branch seed -c "$CONF" 2>&1) || { echo "Bail out! migrate failed: $out"; exit 1; }
la_psql "$TPL" -qc "UPDATE neon_auth.project_config SET settings = settings || '{\"rate_limit\":{\"enabled\":false}}'" ||
  { echo "Bail out! cannot turn the rate limit off"; exit 1; }
DBS=()
for i in $(seq 1 "$NB"); do
  la_db_create "bp_${i}_$LA_SUFFIX" "$TPL" || { echo "Bail out! CREATE DATABASE ... TEMPLATE failed"; exit 1; }
  DBS+=("bp_${i}_$LA_SUFFIX")
done

# conf WORKERS MAX_BRANCHES MAX_CONNECTIONS IDLE_TIMEOUT
conf() {
  local tpl="branch_template = {
  auth_url = \"$ORIGIN/{database}/auth\";
  database = \"host=127.0.0.1 port=$NA_PG_PORT dbname={database} user=postgres\";
};"
  la_conf "$CONF" "$1" 60 "" "$tpl"
  sed -i "s/^database = .*/database = { connect_timeout = 2; statement_timeout = 5000; max_branches = $2; config_ttl = 60; max_connections = $3; idle_timeout = $4; };/" "$CONF"
}
# the daemon's connections now (its background jobs: the guard; wait for our own pids only)
nconn() {
  la_psql postgres -tAc "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'neon-authd' AND datname LIKE 'bp\\_%$LA_SUFFIX'"
}
MAXSEEN=0
see() { local n; n=$(nconn); [ "${n:-0}" -gt "$MAXSEEN" ] && MAXSEEN=$n; }
code_of() { curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$ORIGIN/$1/auth/get-session"; }

# ---------------------------------------------------------------- a
conf 2 3 4 300
out=$("$NA_BIN" check-config -c "$CONF" 2>&1); t_is "$?" 0 "a: check-config accepts max_connections and idle_timeout: $out"
la_up || { echo "Bail out! daemon did not start"; t_diag "$LA_DIAG"; exit 1; }
bad=""
for round in 1 2 3; do
  for db in "${DBS[@]}"; do
    c=$(code_of "$db"); [ "$c" = 200 ] || bad="$bad $db:$c"; see
  done
  pids=(); for db in "${DBS[@]}" "${DBS[@]:0:2}"; do code_of "$db" >"$T/par.$db.$RANDOM" & pids+=($!); done; wait "${pids[@]}"
  for f in "$T"/par.*; do c=$(cat "$f"); [ "$c" = 200 ] || bad="$bad par:$c"; rm -f "$f"; done
  see
done
t_is "${bad:-none}" none "a: 3 rounds over $NB branches, sequential and 8 at once: every get-session 200"
if [ "$MAXSEEN" -le 4 ] && [ "$MAXSEEN" -ge 1 ]; then t_ok "a: at most database.max_connections = 4 connections held (seen: $MAXSEEN)"
else t_fail "a: at most 4 connections held" "seen $MAXSEEN"; fi

# ---------------------------------------------------------------- b
NODB=bp_none_$LA_SUFFIX SHUT=bp_${NB}_$LA_SUFFIX
la_psql postgres -qc "ALTER DATABASE \"$SHUT\" ALLOW_CONNECTIONS false" >/dev/null
la_psql postgres -tAc "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$SHUT'" >/dev/null
bad=""
for round in 1 2; do
  for db in "$NODB" "${DBS[0]}" "$SHUT" "${DBS[1]}"; do
    la_req GET "$ORIGIN/$db/auth/get-session"
    case $db in
      "$NODB"|"$SHUT") [ "$HTTP_CODE $(la_code)" = "503 DATABASE_UNAVAILABLE" ] || bad="$bad $db:$HTTP_CODE" ;;
      *) [ "$HTTP_CODE" = 200 ] || bad="$bad $db:$HTTP_CODE" ;;
    esac
    see
  done
done
t_is "${bad:-none}" none "b: a missing database and one refusing connections -> 503 DATABASE_UNAVAILABLE; the others 200 in between"
la_psql postgres -qc "ALTER DATABASE \"$SHUT\" ALLOW_CONNECTIONS true" >/dev/null
la_down

# ---------------------------------------------------------------- c
conf 2 3 4 2
la_up || { t_fail "c: daemon starts with idle_timeout = 2" "$LA_DIAG"; }
for db in "${DBS[@]:0:3}"; do code_of "$db" >/dev/null; done
n0=$(nconn)
gone=0; for i in $(seq 1 50); do [ "$(nconn)" = 0 ] && { gone=1; break; }; sleep 0.5; done
if [ "$n0" -ge 1 ] && [ "$gone" = 1 ]; then t_ok "c: $n0 connection(s) after the requests, none once they idled past database.idle_timeout"
else t_fail "c: idle connections close" "after the requests: $n0, now: $(nconn)"; fi
bad=""; for db in "${DBS[@]:0:3}" "${DBS[@]:0:3}"; do c=$(code_of "$db"); [ "$c" = 200 ] || bad="$bad $db:$c"; done
t_is "${bad:-none}" none "c: after the idle close, each branch answers 200 again (reconnect)"
la_down

# ---------------------------------------------------------------- d
conf 2 3 1 300
la_up || { t_fail "d: daemon starts with max_connections = 1" "$LA_DIAG"; }
MAXSEEN=0 bad="" n503=0 n200=0
for round in 1 2 3 4; do
  pids=()
  for i in 1 2 3 4; do
    for db in "${DBS[0]}" "${DBS[1]}"; do
      curl -sS -o "$T/d.$round.$i.$db.body" -w '%{http_code}' --max-time 10 "$ORIGIN/$db/auth/get-session" >"$T/d.$round.$i.$db" & pids+=($!)
    done
  done
  wait "${pids[@]}"; see
done
for f in "$T"/d.*; do
  case $f in *.body) continue ;; esac
  c=$(cat "$f")
  case $c in
    200) n200=$((n200 + 1)) ;;
    503) if jq -e '.code == "DATABASE_UNAVAILABLE"' "$f.body" >/dev/null 2>&1; then n503=$((n503 + 1)); else bad="$bad 503:$(head -c 80 "$f.body")"; fi ;;
    *) bad="$bad $c" ;;
  esac
done
t_is "${bad:-none}" none "d: 32 requests at once over 2 branches with max_connections = 1: each 200 or 503 DATABASE_UNAVAILABLE ($n200 x 200, $n503 x 503)"
if [ "$MAXSEEN" -le 1 ] && [ "$n200" -ge 1 ]; then t_ok "d: never more than one connection (seen $MAXSEEN), and requests are served"
else t_fail "d: at most one connection" "seen $MAXSEEN, $n200 answered 200"; fi

if grep -qiE 'AddressSanitizer|double free|corrupted|stack smashing|core dumped|exited on signal' "$LOG"; then
  t_fail "daemon log shows no crash" "$(grep -iE 'AddressSanitizer|double free|corrupted|core dumped|exited on signal' "$LOG" | head)"
else t_ok "daemon log shows no crash"; fi
la_down
t_done
