#!/usr/bin/env bash
# test_sesscache.sh -- the session cache the workers share (issue 18): a
# hit answers get-session with no database read, and a revoked or changed
# session stops working (or shows the change) on the very next request,
# on every worker: SQL delete of the session, sign-out, a ban by SQL
# update of user.banned, change-password revoking the other sessions, an
# expiry moved into the past, update-user by SQL; and pool.session_cache
# = 0 turns the cache off.
#
# "No database read" is checked without timing: another transaction holds
# an ACCESS EXCLUSIVE lock on neon_auth.session, so any read of it waits
# for the lock (statement_timeout 1 s: it fails); get-session must answer
# from the cache meanwhile, and must not with the cache off.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_auth.sh"

WORKERS=4
la_init test_sesscache
DB=sc_$LA_SUFFIX
la_db_create "$DB" || { echo "Bail out! cannot create database $DB"; exit 1; }
mkconf() { # ENTRIES
  la_conf "$CONF" "$WORKERS" 60 "$(la_branch main /auth "$DB")"
  sed -i "s/^  shutdown_timeout = 5;/  shutdown_timeout = 5;\n  session_cache = $1;/; s/statement_timeout = 5000/statement_timeout = 1000/" "$CONF"
}
mkconf 4096
out=$("$NA_BIN" migrate --branch main -c "$CONF" 2>&1) || { echo "Bail out! migrate failed: $out"; exit 1; }
out=$("$NA_BIN" config set main settings.rate_limit '{"enabled":false}' -c "$CONF" 2>&1) ||
  { echo "Bail out! config set: $out"; exit 1; }
la_up || { echo "Bail out! daemon did not start"; t_diag "$LA_DIAG"; exit 1; }
URL=$ORIGIN/auth
N=0

# user EMAIL: sign up, COOKIE holds its session
user() { la_sign_up "$URL" "$1" "password-$1" "User $1"; [ -n "$COOKIE" ]; }
# sessions COOKIE COUNT: COUNT get-sessions; GOOD = how many showed a user, NAMES = the names seen
sessions() {
  local i
  GOOD=0 NAMES=""
  for ((i = 0; i < $2; i++)); do
    la_session "$URL" "$1"
    if [ -n "$SESSION_USER" ]; then
      GOOD=$((GOOD + 1))
      [[ $HTTP_BODY =~ \"name\":\"([^\"]*)\" ]] && NAMES="$NAMES ${BASH_REMATCH[1]}"
    fi
  done
}
# warm COOKIE: get-session until every worker has answered it (at most 60)
warm() {
  local i
  log_mark
  for ((i = 0; i < 60; i++)); do
    la_session "$URL" "$1"
    [ "$(log_pids get-session | wc -w)" -ge "$WORKERS" ] && return 0
  done
  return 1
}
uid_of() { la_psql "$DB" -tAc "SELECT id FROM neon_auth.\"user\" WHERE email = '$1'"; }

# hold_lock SECONDS: ACCESS EXCLUSIVE on neon_auth.session in the background, until it is held
hold_lock() {
  la_psql "$DB" -c "BEGIN; LOCK TABLE neon_auth.session IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep($1); COMMIT;" \
    >/dev/null 2>&1 &
  LOCKER=$!; BG+=("$LOCKER")
  na_wait_ms 5000 sh -c "[ \"\$(PGCONNECT_TIMEOUT=2 '$(na_pgbin)/psql' -X -qtA -h 127.0.0.1 -p $NA_PG_PORT -U postgres -d $DB \
    -c \"SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'session' AND l.mode = 'AccessExclusiveLock' AND l.granted\")\" = 1 ]"
}

# ---- a: hits need no database read
user a1@example.com || t_fail "a: sign-up" "$(la_diag)"
COOKIE_A=$COOKIE
warm "$COOKIE_A"; t_check "a: every worker answered get-session ($(log_pids get-session))" test $? = 0
if hold_lock 4; then
  sessions "$COOKIE_A" 12
  t_is "$GOOD" 12 "a: 12 get-sessions answered from the cache while neon_auth.session is locked"
  wait "$LOCKER" 2>/dev/null
else
  t_fail "a: could not take the lock"
fi

j=$(status_json)
t_check "a: the status page counts hits and stores ($(jq -c .session_cache <<<"$j" 2>/dev/null))" \
  jq -e '.session_cache.hits >= 12 and .session_cache.stores >= 1 and .session_cache.entries >= 1' <<<"$j"

# ---- b: SQL delete of the session
user b1@example.com; C=$COOKIE; warm "$C" >/dev/null
sessions "$C" 1; t_is "$GOOD" 1 "b: the session works before"
la_psql "$DB" -c "DELETE FROM neon_auth.session WHERE \"userId\" = '$(uid_of b1@example.com)'" >/dev/null
sessions "$C" 16; t_is "$GOOD" 0 "b: SQL delete: no get-session of 16 (every worker) shows the session"

# ---- c: sign-out
user c1@example.com; C=$COOKIE; warm "$C" >/dev/null
la_req POST "$URL/sign-out" '{}' -H "Cookie: neon-auth.session_token=$C" -H "Origin: $ORIGIN"
t_is "$HTTP_CODE" 200 "c: sign-out answers 200"
sessions "$C" 16; t_is "$GOOD" 0 "c: sign-out: no get-session of 16 shows the session"

# ---- d: ban by SQL update of user.banned
user d1@example.com; C=$COOKIE; warm "$C" >/dev/null
la_psql "$DB" -c "UPDATE neon_auth.\"user\" SET banned = true WHERE email = 'd1@example.com'" >/dev/null
sessions "$C" 16; t_is "$GOOD" 0 "d: SQL ban: no get-session of 16 shows the session"

# ---- e: change-password revoking the other sessions
user e1@example.com; C1=$COOKIE
la_sign_in "$URL" e1@example.com password-e1@example.com; C2=$COOKIE
warm "$C2" >/dev/null; sessions "$C2" 1; t_is "$GOOD" 1 "e: the second session works before"
la_req POST "$URL/change-password" \
  '{"currentPassword":"password-e1@example.com","newPassword":"another-password-1","revokeOtherSessions":true}' \
  -H "Cookie: neon-auth.session_token=$C1" -H "Origin: $ORIGIN"
t_is "$HTTP_CODE" 200 "e: change-password answers 200"
sessions "$C2" 16; t_is "$GOOD" 0 "e: change-password: no get-session of 16 shows the other session"

# ---- f: expiry moved into the past by SQL
user f1@example.com; C=$COOKIE; warm "$C" >/dev/null
la_psql "$DB" -c "UPDATE neon_auth.session SET \"expiresAt\" = now() - interval '1 minute' WHERE \"userId\" = '$(uid_of f1@example.com)'" >/dev/null
sessions "$C" 16; t_is "$GOOD" 0 "f: expired by SQL: no get-session of 16 shows the session"

# ---- g: update-user by SQL shows at once
user g1@example.com; C=$COOKIE; warm "$C" >/dev/null
la_psql "$DB" -c "UPDATE neon_auth.\"user\" SET name = 'Renamed' WHERE email = 'g1@example.com'" >/dev/null
sessions "$C" 16; t_is "$GOOD:$(tr ' ' '\n' <<<"$NAMES" | sort -u | xargs)" "16:Renamed" "g: SQL rename: 16 get-sessions all show the new name"

# ---- h: the session cache off
la_down
mkconf 0
la_up || { t_fail "h: daemon did not restart" "$LA_DIAG"; }
user h1@example.com; C=$COOKIE; warm "$C" >/dev/null
if hold_lock 3; then
  sessions "$C" 2
  t_is "$GOOD" 0 "h: pool.session_cache = 0: get-session reads the database (it waits for the lock and fails)"
  wait "$LOCKER" 2>/dev/null
else
  t_fail "h: could not take the lock"
fi
sessions "$C" 1; t_is "$GOOD" 1 "h: cache off: the session works"
t_is "$(status_json | jq -c .session_cache 2>/dev/null)" null "h: cache off: the status page's session_cache is null"
la_psql "$DB" -c "DELETE FROM neon_auth.session WHERE \"userId\" = '$(uid_of h1@example.com)'" >/dev/null
sessions "$C" 8; t_is "$GOOD" 0 "h: cache off: SQL delete: no get-session of 8 shows the session"

t_check "no worker crashed" test -z "$(log_since | grep -E 'signal|crash|core' | head -1)"
la_down
t_done
