#!/usr/bin/env bash
# neon-authd through a real PgBouncer 1.18 in transaction pooling mode (issue 18), black box:
# the real binary behind nginx, 3 workers, pgbouncer with 2 server connections for the branch
# database (so the workers' transactions share server sessions), two branches on that database:
# "pooled" (pooler = "transaction", no direct connection: config by the TTL, config_ttl 2) and
# "live" (pooler = "transaction" with listen_database, a direct LISTEN-only connection).
#
#   a  sign-up, sign-in and get-session through the pooler, 20 get-sessions over every worker
#   b  what neon-authd leaves in the shared server sessions: a client of the same pool sees
#      no prepared statement and the default statement_timeout (no session SET leaked)
#   c  sign-up (a transaction) still runs under statement_timeout (SET LOCAL): a pooled
#      transaction that sleeps longer than the timeout is cancelled (checked with psql the same
#      way neon-authd does it: BEGIN; set_config('statement_timeout', ..., true))
#   d  a config change (SQL UPDATE disabling sign-up) on "live": the next sign-up sees it
#   e  the same change on "pooled": applied once the TTL passes (the delay is printed)
#   f  without pooler = "transaction", named statements through the same pgbouncer fail for
#      some requests (what the setting is for), and the daemon keeps answering
#
# Environment: NA_BIN, NA_TEST_PGPORT, NA_TEST_TMP, KEEP=1, NA_TEST_TIMEOUT (170 s).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_auth.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_pgbouncer.sh"

if [ -n "$(pgb_skip_reason)" ]; then
  echo "1..1"; echo "ok 1 - pgbouncer # SKIP $(pgb_skip_reason)"; exit 0
fi
la_init pgbouncer
trap 'pgb_stop; la_cleanup' EXIT

DB=pgb_$LA_SUFFIX
la_db_create "$DB" || { echo "Bail out! cannot create database $DB"; exit 1; }
pgb_start "$T/pgb" "$NA_PG_PORT" 2 "$DB" || { echo "Bail out! pgbouncer did not start: $PGB_DIAG"; exit 1; }
t_diag "pgbouncer $PGB_PID on 127.0.0.1:$PGB_PORT (transaction pooling, pool_size 2)"
DIRECT="host=127.0.0.1 port=$NA_PG_PORT dbname=$DB user=postgres"
POOLED=$(pgb_conninfo "$DB")
branches="  { name = \"pooled\"; auth_url = \"$ORIGIN/pooled/auth\"; database = \"$POOLED\"; pooler = \"transaction\"; },
  { name = \"live\"; auth_url = \"$ORIGIN/live/auth\"; database = \"$POOLED\"; pooler = \"transaction\"; listen_database = \"$DIRECT\"; }"
# the misconfigured branch ("raw": no pooler = "transaction") joins only for f: every process
# that serves it (workers, the webhook sender) leaves session state in the pooler's sessions
raw="  { name = \"raw\"; auth_url = \"$ORIGIN/raw/auth\"; database = \"$POOLED\"; }"
la_conf "$CONF" 3 2 "$branches"
out=$("$NA_BIN" migrate --branch live -c "$CONF" 2>&1) || { echo "Bail out! migrate failed: $out"; exit 1; }
# the CLI goes through the pooler too (sign-ups here are many: no rate limit)
out=$("$NA_BIN" config set pooled settings.rate_limit '{"enabled":false}' -c "$CONF" 2>&1) ||
  { echo "Bail out! config set through the pooler failed: $out"; exit 1; }
la_up || { echo "Bail out! daemon did not start"; t_diag "$LA_DIAG"; exit 1; }
echo "1..9"

P=$ORIGIN/pooled/auth L=$ORIGIN/live/auth
EMAIL=u-$LA_SUFFIX@example.com

# ---------------------------------------------------------------- a
la_sign_up "$P" "$EMAIL" "password-0123" "User A"
if [ "$HTTP_CODE" = 200 ] && [ -n "$COOKIE" ]; then t_ok "a: sign-up through pgbouncer -> 200 with a session cookie"
else t_fail "a: sign-up through pgbouncer" "$(la_diag)"; fi
la_sign_in "$P" "$EMAIL" "password-0123"
if [ "$HTTP_CODE" = 200 ] && [ -n "$COOKIE" ]; then t_ok "a: sign-in through pgbouncer -> 200"
else t_fail "a: sign-in through pgbouncer" "$(la_diag)"; fi
log_mark
ok=0
for i in $(seq 20); do
  la_session "$P" "$COOKIE"
  [ "$HTTP_CODE" = 200 ] && [ "$SESSION_USER" = "$EMAIL" ] && ok=$((ok + 1))
done
pids=$(log_pids get-session | wc -w)
if [ "$ok" = 20 ]; then t_ok "a: 20 get-sessions through pgbouncer all answer the user ($pids workers served them)"
else t_fail "a: 20 get-sessions through pgbouncer" "$ok/20 right; last $(la_diag)"; fi

# ---------------------------------------------------------------- b
# a psql client of the same 2-connection pool lands on a server session neon-authd used
leak=$(for i in 1 2 3 4; do
  na_psql "$PGB_PORT" "$DB" -tAc "SELECT current_setting('statement_timeout') || ' ' || (SELECT count(*) FROM pg_prepared_statements)"
done | sort -u | xargs)
t_is "$leak" "0 0" "b: other clients of the pool see statement_timeout 0 and no prepared statement"

# ---------------------------------------------------------------- c
out=$(na_psql "$PGB_PORT" "$DB" -tAc "BEGIN; SELECT pg_catalog.set_config('statement_timeout', '200', true); SELECT pg_sleep(1); COMMIT" 2>&1)
after=$(na_psql "$PGB_PORT" "$DB" -tAc "SHOW statement_timeout")
if grep -q "canceling statement due to statement timeout" <<<"$out" && [ "$after" = 0 ]; then
  t_ok "c: SET LOCAL statement_timeout cancels inside the pooled transaction and ends with it"
else t_fail "c: SET LOCAL statement_timeout through the pooler" "$out" "after: $after"; fi

# ---------------------------------------------------------------- d, e
for i in $(seq 12); do la_req GET "$P/get-session" ""; la_req GET "$L/get-session" ""; done
la_psql "$DB" -c "UPDATE neon_auth.project_config SET email_and_password = coalesce(email_and_password, '{}') || '{\"disable_sign_up\":true}'" >/dev/null ||
  t_fail "d: UPDATE project_config"
t0=$(na_now_ms)
ok=0
for i in $(seq 6); do
  la_sign_up "$L" "live$i-$LA_SUFFIX@example.com" "password-0123" "Live"
  [ "$HTTP_CODE" = 400 ] && [ "$(la_code)" = EMAIL_PASSWORD_SIGN_UP_DISABLED ] && ok=$((ok + 1))
done
if [ "$ok" = 6 ]; then t_ok "d: with listen_database the change applies on the next request (6/6 sign-ups refused)"
else t_fail "d: with listen_database the change applies at once" "$ok/6 refused; last $(la_diag)"; fi
applied="" stale=0
for i in $(seq 100); do
  la_sign_up "$P" "ttl$i-$LA_SUFFIX@example.com" "password-0123" "TTL"
  if [ "$HTTP_CODE" = 400 ] && [ "$(la_code)" = EMAIL_PASSWORD_SIGN_UP_DISABLED ]; then
    # every worker must have it: 6 refusals in a row
    ok=1
    for j in $(seq 6); do
      la_sign_up "$P" "ttl$i-$j-$LA_SUFFIX@example.com" "password-0123" "TTL"
      [ "$HTTP_CODE" = 400 ] || ok=0
    done
    [ "$ok" = 1 ] && { applied=$(( $(na_now_ms) - t0 )); break; }
  else stale=$((stale + 1))
  fi
  sleep 0.1
done
if [ -n "$applied" ]; then
  t_ok "e: without a listen connection the change applies by the TTL (config_ttl 2 s: in effect on every worker after $applied ms, $stale stale answers before)"
else t_fail "e: the change never applied through the TTL" "$(la_diag)"; fi
la_psql "$DB" -c "UPDATE neon_auth.project_config SET email_and_password = email_and_password || '{\"disable_sign_up\":false}'" >/dev/null

# ---------------------------------------------------------------- f
la_down
la_conf "$CONF" 3 2 "$branches,
$raw"
la_up || { echo "Bail out! daemon did not restart with the raw branch"; t_diag "$LA_DIAG"; exit 1; }
bad=0 total=0
for i in $(seq 30); do
  la_req GET "$ORIGIN/raw/auth/get-session" "" -H "Cookie: neon-auth.session_token=$COOKIE"
  total=$((total + 1))
  [ "$HTTP_CODE" = 200 ] || bad=$((bad + 1))
done
if [ "$bad" -gt 0 ]; then
  t_ok "f: without pooler = \"transaction\" named statements break through the pooler ($bad/$total requests failed)"
else t_fail "f: without pooler = \"transaction\" every request worked (the test would not notice a broken setting)"; fi
la_req GET "$P/get-session" "" -H "Cookie: neon-auth.session_token=$COOKIE"
t_is "$HTTP_CODE" 200 "f: the pooled branch still answers afterwards"
la_down
exit $((T_FAIL > 0))
