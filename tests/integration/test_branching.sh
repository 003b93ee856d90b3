#!/usr/bin/env bash
# Branching (issue 3), black box: the real binary behind nginx, two branches in one daemon on
# one origin -- main (database A) at $ORIGIN/A/auth and copy (database B) at $ORIGIN/B/auth --
# where B is made from A with CREATE DATABASE B TEMPLATE A while the daemon runs.
#
#   a  before the copy, the listed branch whose database does not exist yet answers 503
#      DATABASE_UNAVAILABLE; A's backends terminated for the copy, A serves on (reconnect)
#   b  a user created on A before the copy signs in on B, and A's session cookie and bearer
#      token are valid on B (same rows, same secret); B serves without a restart
#   c  a user created on B does not exist on A (sign-in 401 on A); A's tables untouched
#   d  a configuration change on B (config set copy ...) leaves A unchanged
#   e  a session revoked on B (sign-out with the copied cookie, revoke-sessions) stays valid on A
#   f  branch_template = { auth_url = ".../{database}/auth"; database = "... dbname={database}" }
#      serves both databases without listing them, and a third copy made with pg_dump | psql at
#      once; a dropped branch (DROP DATABASE ... WITH (FORCE)) and an unknown database -> 503
#      DATABASE_UNAVAILABLE; hostile paths -> 404 (or 400 from nginx) and never reach PostgreSQL;
#      /template1/auth/... must not leave a connection to template1 (it blocks CREATE DATABASE)
#
# Environment: NA_BIN, NA_TEST_PGPORT (use this running cluster), NA_TEST_TMP, KEEP=1,
# NA_TEST_TIMEOUT (170 s).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_auth.sh"
la_init branching

DBA=br_a_$LA_SUFFIX DBB=br_b_$LA_SUFFIX
URLA=$ORIGIN/$DBA/auth URLB=$ORIGIN/$DBB/auth
la_db_create "$DBA" || { echo "Bail out! cannot create database $DBA"; exit 1; }
LA_DBS+=("$DBB")   # created from A below; dropped by the cleanup
branches="$(la_branch main "/$DBA/auth" "$DBA"),
$(la_branch copy "/$DBB/auth" "$DBB")"
la_conf "$CONF" 3 60 "$branches"
cfg() { "$NA_BIN" config "$@" -c "$CONF"; }
out=$("$NA_BIN" migrate --branch main -c "$CONF" 2>&1) || { echo "Bail out! migrate failed: $out"; exit 1; }
out=$(cfg set main settings.rate_limit '{"enabled":false}' 2>&1) || { echo "Bail out! config set: $out"; exit 1; }
# bearer tokens are part of what a copy carries; the plugin is off by default (issue 12)
out=$(cfg set main settings.bearer true 2>&1) || { echo "Bail out! config set: $out"; exit 1; }
la_up || { echo "Bail out! daemon did not start"; t_diag "$LA_DIAG"; exit 1; }
t_diag "main = $URLA, copy = $URLB (database $DBB made later from $DBA)"

U1=alice-$LA_SUFFIX@example.com U2=bob-$LA_SUFFIX@example.com PW=password-0123
count_users() { la_psql "$1" -tAc "SELECT count(*) FROM neon_auth.\"user\""; }
count_sessions() { # DB EMAIL
  la_psql "$1" -tAc "SELECT count(*) FROM neon_auth.session s JOIN neon_auth.\"user\" u ON u.id = s.\"userId\" WHERE u.email = '$2'"
}
bearer_user() { # URL TOKEN
  la_req GET "$1/get-session" "" -H "Authorization: Bearer $2"
  jq -r '.user.email // empty' <<<"$HTTP_BODY" 2>/dev/null
}

# ---------------------------------------------------------------- a: A, then the copy

test_a() {
  la_sign_up "$URLA" "$U1" "$PW" "Alice"
  if [ "$HTTP_CODE" = 200 ] && [ -n "$COOKIE" ] && [ -n "$BEARER" ]; then
    t_ok "a: alice signs up on A (cookie and set-auth-token received)"
  else echo "Bail out! sign-up on A failed: $(la_diag)"; exit 1; fi
  C1=$COOKIE BR1=$BEARER
  la_session "$URLA" "$C1"
  t_is "$HTTP_CODE $SESSION_USER" "200 $U1" "a: get-session on A with alice's cookie -> alice"

  la_req GET "$URLB/get-session"
  if [ "$HTTP_CODE" = 503 ] && [ "$(la_code)" = DATABASE_UNAVAILABLE ]; then
    t_ok "a: before the copy, branch copy (database $DBB does not exist) -> 503 DATABASE_UNAVAILABLE"
  else t_fail "a: before the copy, branch copy -> 503 DATABASE_UNAVAILABLE" "$(la_diag)"; fi

  USERS_A=$(count_users "$DBA")
  # the copy: no session may be connected to A, so end the daemon's connections first
  local i out="" rc=1
  for i in 1 2 3 4 5; do
    la_psql postgres -tAc "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
      WHERE datname = '$DBA' AND pid <> pg_backend_pid()" >/dev/null 2>&1
    out=$(la_psql postgres -c "CREATE DATABASE \"$DBB\" TEMPLATE \"$DBA\"" 2>&1) && { rc=0; break; }
    sleep 0.3
  done
  if [ "$rc" = 0 ]; then t_ok "a: CREATE DATABASE $DBB TEMPLATE $DBA (attempt $i), daemon running"
  else echo "Bail out! CREATE DATABASE ... TEMPLATE failed: $out"; exit 1; fi

  local codes="" n=0
  for i in $(seq 12); do la_session "$URLA" "$C1"; codes+="$HTTP_CODE "; [ "$SESSION_USER" = "$U1" ] && n=$((n + 1)); done
  if [ "$n" = 12 ]; then t_ok "a: A's backends were terminated; the next 12 requests on A all return alice's session"
  else t_fail "a: after its backends were terminated, A serves the next 12 requests" "$n/12; codes: $codes" "$(tail -n 5 "$LOG")"; fi
}

# ---------------------------------------------------------------- b: the copy knows A's users

test_b() {
  la_sign_in "$URLB" "$U1" "$PW"
  if [ "$HTTP_CODE" = 200 ] && [ -n "$COOKIE" ]; then t_ok "b: alice (created on A before the copy) signs in on B"
  else t_fail "b: alice (created on A before the copy) signs in on B" "$(la_diag)"; fi
  CB1=$COOKIE
  la_session "$URLB" "$CB1"
  t_is "$HTTP_CODE $SESSION_USER" "200 $U1" "b: get-session on B with the cookie from B -> alice"
  la_session "$URLB" "$C1"
  t_is "$HTTP_CODE $SESSION_USER" "200 $U1" "b: A's session cookie, copied, is valid on B (same session row)"
  t_is "$(bearer_user "$URLB" "$BR1")" "$U1" "b: A's bearer token is valid on B"
  local out
  out=$(cfg get copy settings 2>/dev/null)
  t_is "$(jq -c .rate_limit <<<"$out" 2>/dev/null)" '{"enabled":false}' "b: B's configuration is A's (settings copied with the database)"
}

# ---------------------------------------------------------------- c: users made on B stay on B

test_c() {
  la_sign_up "$URLB" "$U2" "$PW" "Bob"
  if [ "$HTTP_CODE" = 200 ]; then t_ok "c: bob signs up on B"; else t_fail "c: bob signs up on B" "$(la_diag)"; fi
  la_sign_in "$URLA" "$U2" "$PW"
  if [ "$HTTP_CODE" = 401 ]; then t_ok "c: bob (created on B) cannot sign in on A: 401 $(la_code)"
  else t_fail "c: bob (created on B) cannot sign in on A: 401" "$(la_diag)"; fi
  la_sign_in "$URLB" "$U2" "$PW"
  t_is "$HTTP_CODE" 200 "c: bob signs in on B"
  t_is "$(count_users "$DBA") $(la_psql "$DBA" -tAc "SELECT count(*) FROM neon_auth.\"user\" WHERE email = '$U2'")" \
    "$USERS_A 0" "c: A's user table is unchanged ($USERS_A users, no bob)"
  t_is "$(count_users "$DBB")" "$((USERS_A + 1))" "c: B has A's users plus bob"
}

# ---------------------------------------------------------------- d: configuration is per branch

test_d() {
  local out rc ma mb
  out=$(cfg set copy email_and_password '{"enabled":true,"disable_sign_up":true}' 2>/dev/null); rc=$?
  t_is "$rc $out" "0 branch copy: email_and_password updated" "d: config set copy email_and_password {...disable_sign_up:true}"
  out=$(cfg set copy name '"preview"' 2>/dev/null); rc=$?
  t_is "$rc $out" "0 branch copy: name updated" "d: config set copy name '\"preview\"'"
  la_sign_up "$URLB" "carol-$LA_SUFFIX@example.com" "$PW" "Carol"
  if [ "$HTTP_CODE" = 400 ] && [ "$(la_code)" = EMAIL_PASSWORD_SIGN_UP_DISABLED ]; then
    t_ok "d: sign-up on B -> 400 EMAIL_PASSWORD_SIGN_UP_DISABLED"
  else t_fail "d: sign-up on B -> 400 EMAIL_PASSWORD_SIGN_UP_DISABLED" "$(la_diag)"; fi
  la_sign_up "$URLA" "dave-$LA_SUFFIX@example.com" "$PW" "Dave"
  t_is "$HTTP_CODE" 200 "d: sign-up on A still open (200)"
  ma=$(cfg get main email_and_password 2>/dev/null | jq -c '.disable_sign_up' 2>/dev/null)
  mb=$(cfg get copy email_and_password 2>/dev/null | jq -c '.disable_sign_up' 2>/dev/null)
  t_is "main:$ma copy:$mb" "main:false copy:true" "d: config get: disable_sign_up false on main, true on copy"
  t_is "$(cfg get main name 2>/dev/null) $(cfg get copy name 2>/dev/null)" "\"$DBA\" \"preview\"" \
    "d: config get name: main keeps its name, copy is \"preview\""
}

# ---------------------------------------------------------------- e: revocation is per branch

test_e() {
  local sa
  sa=$(count_sessions "$DBA" "$U1")
  # a POST with a cookie must carry a trusted Origin (CSRF check): the branch's own
  la_req POST "$URLB/sign-out" '{}' -H "Cookie: neon-auth.session_token=$C1" -H "Origin: $ORIGIN"
  t_is "$HTTP_CODE" 200 "e: sign-out on B with A's copied cookie -> 200"
  la_session "$URLB" "$C1"
  t_is "$HTTP_CODE $HTTP_BODY" "200 null" "e: that session is gone on B (get-session -> null)"
  la_session "$URLA" "$C1"
  t_is "$HTTP_CODE $SESSION_USER" "200 $U1" "e: the same cookie still returns alice's session on A"
  la_req POST "$URLB/revoke-sessions" '{}' -H "Cookie: neon-auth.session_token=$CB1" -H "Origin: $ORIGIN"
  t_is "$HTTP_CODE" 200 "e: revoke-sessions on B -> 200"
  t_is "$(count_sessions "$DBB" "$U1")" 0 "e: alice has no session left on B"
  t_is "$(count_sessions "$DBA" "$U1")" "$sa" "e: alice's sessions on A untouched ($sa)"
  la_session "$URLA" "$C1"
  t_is "$HTTP_CODE $SESSION_USER" "200 $U1" "e: after revoke-sessions on B, get-session on A with the cookie -> alice"
  t_is "$(bearer_user "$URLA" "$BR1")" "$U1" "e: and the bearer token still works on A"
}

# ---------------------------------------------------------------- f: branch_template

test_f() {
  local tpl out rc p code desc i n codes
  la_down
  tpl="branch_template = {
  auth_url = \"$ORIGIN/{database}/auth\";
  database = \"host=127.0.0.1 port=$NA_PG_PORT dbname={database} user=postgres\";
};"
  la_conf "$CONF" 3 60 "" "$tpl"
  out=$("$NA_BIN" check-config -c "$CONF" 2>&1); rc=$?
  t_is "$rc" 0 "f: check-config accepts a template-only map: $out"
  la_up || { t_fail "f: daemon starts with the template" "$LA_DIAG"; return; }

  la_session "$URLA" "$C1"
  t_is "$HTTP_CODE $SESSION_USER" "200 $U1" "f: template, /$DBA/auth: alice's cookie -> her session on A"
  la_sign_in "$ORIGIN/$DBB/auth" "$U2" "$PW"
  t_is "$HTTP_CODE" 200 "f: template, /$DBB/auth: bob signs in on B"
  la_session "$URLB" "$COOKIE"
  t_is "$HTTP_CODE $SESSION_USER" "200 $U2" "f: template, /$DBB/auth: bob's session"
  la_sign_in "$URLA" "$U2" "$PW"
  t_is "$HTTP_CODE" 401 "f: template, /$DBA/auth: bob does not exist on A (401)"
  la_sign_up "$URLB" "erin-$LA_SUFFIX@example.com" "$PW" "Erin"
  t_is "$HTTP_CODE $(la_code)" "400 EMAIL_PASSWORD_SIGN_UP_DISABLED" "f: template, /$DBB/auth: B's own configuration applies"

  # a copy by dump and restore (the source keeps its connections), served at once by the template
  local DBD=br_d_$LA_SUFFIX
  la_db_create "$DBD" || t_fail "f: CREATE DATABASE $DBD"
  out=$("$(na_pgbin)/pg_dump" -h 127.0.0.1 -p "$NA_PG_PORT" -U postgres --no-owner "$DBA" 2>&1 |
    la_psql "$DBD" -v ON_ERROR_STOP=1 2>&1 >/dev/null); rc=$?
  if [ "$rc" = 0 ]; then t_ok "f: pg_dump $DBA | psql $DBD (daemon connected to $DBA)"
  else t_fail "f: pg_dump $DBA | psql $DBD" "exit $rc: $(head -n 5 <<<"$out")"; fi
  la_sign_in "$ORIGIN/$DBD/auth" "$U1" "$PW"
  t_is "$HTTP_CODE" 200 "f: template, /$DBD/auth (restored from a dump): alice signs in"
  la_session "$ORIGIN/$DBD/auth" "$C1"
  t_is "$HTTP_CODE $SESSION_USER" "200 $U1" "f: template, /$DBD/auth: A's cookie is valid on the restored copy"
  # dropping a branch the workers are connected to: 503, then nothing breaks
  la_psql postgres -c "DROP DATABASE \"$DBD\" WITH (FORCE)" >/dev/null 2>&1 || t_fail "f: DROP DATABASE $DBD WITH (FORCE)"
  codes=""
  for i in 1 2 3 4 5 6; do la_session "$ORIGIN/$DBD/auth" "$C1"; codes+="$HTTP_CODE:$(la_code) "; done
  if [ "$codes" = "$(printf '503:DATABASE_UNAVAILABLE %.0s' 1 2 3 4 5 6)" ]; then
    t_ok "f: after DROP DATABASE ... WITH (FORCE), get-session with the cookie on /$DBD/auth -> 503 DATABASE_UNAVAILABLE (6/6)"
  else t_fail "f: after DROP DATABASE ... WITH (FORCE), /$DBD/auth -> 503 DATABASE_UNAVAILABLE" "$codes"; fi
  la_session "$URLA" "$C1"
  t_is "$HTTP_CODE $SESSION_USER" "200 $U1" "f: A unaffected"

  log_mark
  la_req GET "$ORIGIN/nodb_$LA_SUFFIX/auth/get-session"
  if [ "$HTTP_CODE" = 503 ] && [ "$(la_code)" = DATABASE_UNAVAILABLE ]; then
    t_ok "f: template, a database that does not exist -> 503 DATABASE_UNAVAILABLE"
  else t_fail "f: template, a database that does not exist -> 503 DATABASE_UNAVAILABLE" "$(la_diag)"; fi

  # hostile paths: 404 from neon-authd (or 400 from nginx), and no connection attempt at all
  log_mark
  local long; long=$(printf 'x%.0s' $(seq 70))
  for p in "/a'b/auth/ok" "/..%2f/auth/ok" "/a%27b/auth/get-session" "/%2e%2e/auth/get-session" \
      "/x%20dbname%3Dpostgres/auth/get-session" "/$DBA%00/auth/get-session" "/$DBA;/auth/get-session" \
      "/$long/auth/get-session" "/$DBA%2Fauth/get-session" "/$DBA/../$DBB/auth/get-session"; do
    la_req GET "$ORIGIN$p" "" --path-as-is
    code=$(la_code)
    if { [ "$HTTP_CODE" = 404 ] && [ "$code" = BRANCH_NOT_FOUND ]; } || [ "$HTTP_CODE" = 400 ]; then
      t_ok "f: hostile path $p -> $HTTP_CODE ${code:-(nginx)}"
    else t_fail "f: hostile path $p -> 404 BRANCH_NOT_FOUND (or 400 from nginx)" "$(la_diag)"; fi
  done
  na_wait_ms 500 false
  n=$(log_count 'pool_connect|database unavailable|connect failed|schema')
  if [ "$n" = 0 ]; then t_ok "f: no hostile path reached PostgreSQL (no connection attempt logged)"
  else t_fail "f: no hostile path reached PostgreSQL" "$(log_since | grep -E 'pool_connect|database unavailable|connect failed|schema' | head -n 5)"; fi

  # the template names a database: the cluster's own template1 must not be held open
  log_mark
  la_req GET "$ORIGIN/template1/auth/get-session"
  desc="f: template, /template1/auth/get-session -> $HTTP_CODE $(la_code)"
  sleep 0.2
  n=$(la_psql postgres -tAc "SELECT count(*) FROM pg_stat_activity WHERE datname = 'template1' AND application_name = 'neon-authd'")
  out=$(la_psql postgres -c "CREATE DATABASE \"br_c_$LA_SUFFIX\"" 2>&1); rc=$?
  LA_DBS+=("br_c_$LA_SUFFIX")
  if [ "$HTTP_CODE" = 404 ] && [ "$n" = 0 ] && [ "$rc" = 0 ]; then t_ok "$desc (PostgreSQL's own databases are never branches); no connection to template1, CREATE DATABASE still works"
  else t_fail "$desc; no neon-authd connection to template1 is kept (CREATE DATABASE still works)" \
    "neon-authd connections to template1: $n" "CREATE DATABASE: $out"; fi
  # never leave template1 held on a shared cluster
  la_psql postgres -tAc "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
    WHERE datname = 'template1' AND application_name = 'neon-authd'" >/dev/null 2>&1
}

test_a
test_b
test_c
test_d
test_e
test_f

if grep -qiE 'AddressSanitizer|double free|corrupted|stack smashing|core dumped|exited on signal' "$LOG"; then
  t_fail "daemon log shows no crash" "$(grep -iE 'AddressSanitizer|double free|corrupted|stack smashing|core dumped|exited on signal' "$LOG" | head)"
else
  t_ok "daemon log shows no crash"
fi
la_down
t_done
