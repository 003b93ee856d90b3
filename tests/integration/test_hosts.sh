#!/usr/bin/env bash
# Several hosts on one database (issue 18), black box: two neon-authd daemons, each with its own
# nginx on its own port and its own configuration file (as two hosts would be; the branch is even
# named differently on each), both on one PostgreSQL database. 2 workers each.
#
#   a  a session made on host 1 is valid on host 2 (same database, same secret)
#   b  a config change made through host 1 (`neon-authd config set` with its file) applies on
#      host 2 on the next request, and one made through host 2 applies on host 1
#   c  rate limits: with settings.rate_limit.storage "memory" each host counts alone (4 sign-in
#      attempts alternating over the hosts: none refused, 3 per 10 s is the sign-in rule); with
#      "database" they hold across both (6 alternating attempts: the 4th, 5th and 6th get 429)
#   d  a key rotation made through host 1 (`neon-authd keys rotate`) is seen by host 2: its
#      JWKS lists the new key and its /token is signed with it
#
# Environment: NA_BIN, NA_TEST_PGPORT, NA_TEST_TMP, KEEP=1, NA_TEST_TIMEOUT (170 s).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_auth.sh"
la_init hosts

DB=hosts_$LA_SUFFIX
la_db_create "$DB" || { echo "Bail out! cannot create database $DB"; exit 1; }
# host 1: la_init's nginx and socket; host 2: its own nginx, socket, file and log
ORIGIN1=$ORIGIN CONF1=$CONF LOG1=$LOG SOCK1=$SOCK STATUS1=$STATUS_URL
SOCK2=$T/host2.sock CONF2=$T/host2.conf LOG2=$T/host2.log NGX2=$T/nginx2
: > "$LOG2"
PORT2=$(na_free_port "$NA_NGINX_PORT" "$NA_PG_PORT")
na_nginx_conf "$NGX2" "$PORT2" "unix:$SOCK2"
na_nginx_start "$NGX2" || { echo "Bail out! nginx 2 did not start"; exit 1; }
trap 'na_nginx_stop "$NGX2" 2>/dev/null; la_cleanup' EXIT
ORIGIN2=http://127.0.0.1:$PORT2 STATUS2=$ORIGIN2/_neon-authd/status
DBCONN="host=127.0.0.1 port=$NA_PG_PORT dbname=$DB user=postgres"
la_conf "$CONF1" 2 3600 "  { name = \"one\"; auth_url = \"$ORIGIN1/app/auth\"; database = \"$DBCONN\"; }"
SOCK=$SOCK2 la_conf "$CONF2" 2 3600 "  { name = \"two\"; auth_url = \"$ORIGIN2/app/auth\"; database = \"$DBCONN\"; }"
out=$("$NA_BIN" migrate --branch one -c "$CONF1" 2>&1) || { echo "Bail out! migrate failed: $out"; exit 1; }
H1=$ORIGIN1/app/auth H2=$ORIGIN2/app/auth
cfg1() { "$NA_BIN" config set one "$@" -c "$CONF1" >/dev/null 2>&1; }
cfg2() { "$NA_BIN" config set two "$@" -c "$CONF2" >/dev/null 2>&1; }
cfg1 settings.rate_limit '{"enabled":false}' || { echo "Bail out! config set"; exit 1; }
la_up "$CONF1" || { echo "Bail out! daemon 1 did not start"; t_diag "$LA_DIAG"; exit 1; }
M1=$MASTER
LOG=$LOG2 SOCK=$SOCK2 STATUS_URL=$STATUS2
la_up "$CONF2" || { echo "Bail out! daemon 2 did not start"; t_diag "$LA_DIAG"; exit 1; }
M2=$MASTER
LOG=$LOG1 SOCK=$SOCK1 STATUS_URL=$STATUS1
t_diag "host 1: daemon $M1 behind $ORIGIN1; host 2: daemon $M2 behind $ORIGIN2; database $DB"
echo "1..8"

# ---------------------------------------------------------------- a
EMAIL=u-$LA_SUFFIX@example.com
la_sign_up "$H1" "$EMAIL" "password-0123" "User"
C1=$COOKIE
ok=0
for i in 1 2 3 4; do la_session "$H2" "$C1"; [ "$SESSION_USER" = "$EMAIL" ] && ok=$((ok + 1)); done
t_is "$ok" 4 "a: a session signed up on host 1 answers get-session on host 2 (4/4)"

# ---------------------------------------------------------------- b
# sign-ups on HOST until N in a row get WANT (each worker of that host has the change)
signups() { # URL N WANT
  local i ok=0
  for i in $(seq "$2"); do
    la_sign_up "$1" "s$RANDOM$i-$LA_SUFFIX@example.com" "password-0123" "S"
    [ "$HTTP_CODE" = "$3" ] && ok=$((ok + 1))
  done
  echo "$ok"
}
for i in 1 2 3 4; do la_req GET "$H1/get-session" ""; la_req GET "$H2/get-session" ""; done
cfg1 email_and_password '{"enabled":true,"disable_sign_up":true}' || t_fail "b: config set through host 1"
t_is "$(signups "$H2" 6 400)" 6 "b: sign-up disabled through host 1 -> the next 6 sign-ups on host 2 are refused"
cfg2 email_and_password '{"enabled":true,"disable_sign_up":false}' || t_fail "b: config set through host 2"
t_is "$(signups "$H1" 6 200)" 6 "b: sign-up enabled again through host 2 -> the next 6 sign-ups on host 1 succeed"

# ---------------------------------------------------------------- c
# sign-in attempts with a wrong password, alternating hosts; prints the statuses
attempts() { # N
  local i s=""
  for i in $(seq "$1"); do
    if [ $((i % 2)) = 1 ]; then la_sign_in "$H1" "$EMAIL" "wrong-password"; else la_sign_in "$H2" "$EMAIL" "wrong-password"; fi
    s="$s $HTTP_CODE"
  done
  echo "${s# }"
}
cfg1 settings.rate_limit '{"enabled":true,"storage":"memory"}' || t_fail "c: config set storage memory"
la_req GET "$H1/get-session" ""; la_req GET "$H2/get-session" ""
got=$(attempts 4)
if ! grep -q 429 <<<"$got"; then t_ok "c: memory storage: each host counts alone (4 alternating sign-ins: $got)"
else t_fail "c: memory storage counted across hosts?" "$got"; fi
cfg2 settings.rate_limit '{"enabled":true,"storage":"database"}' || t_fail "c: config set storage database"
la_psql "$DB" -c 'DELETE FROM neon_auth."rateLimit"' >/dev/null
got=$(attempts 6)
t_is "$got" "401 401 401 429 429 429" "c: database storage: the sign-in rule (3 per 10 s) holds across both hosts"
n=$(la_psql "$DB" -tAc "SELECT \"count\" FROM neon_auth.\"rateLimit\" WHERE \"key\" LIKE '%|/sign-in/email'")
t_is "$n" 3 "c: one row counts them: rateLimit.count 3 for <ip>|/sign-in/email"
la_sign_in "$H2" "$EMAIL" "wrong-password"
retry=$(sed -n 's/^[Xx]-[Rr]etry-[Aa]fter: *//p' <<<"$HTTP_HDRS")
if [ "$HTTP_CODE" = 429 ] && [ -n "$retry" ] && [ "$retry" -ge 1 ] && [ "$retry" -le 10 ]; then
  t_ok "c: the refusal carries X-Retry-After $retry (1..10 s)"
else t_fail "c: X-Retry-After on a database-storage refusal" "HTTP $HTTP_CODE retry '$retry'"; fi
cfg1 settings.rate_limit '{"enabled":false}'

# ---------------------------------------------------------------- d
la_sign_in "$H2" "$EMAIL" "password-0123"
C2=$COOKIE
kids() { curl -s --max-time 5 "$1/jwks" | jq -r '[.keys[].kid] | sort | join(",")'; }
token_kid() { # URL COOKIE
  curl -s --max-time 5 -H "Cookie: neon-auth.session_token=$2" "$1/token" | jq -r .token |
    cut -d. -f1 | tr '_-' '/+' | { read -r h; while [ $((${#h} % 4)) != 0 ]; do h="$h="; done; echo "$h"; } |
    base64 -d 2>/dev/null | jq -r .kid
}
before=$(token_kid "$H2" "$C2"); k2=$(kids "$H2")
out=$("$NA_BIN" keys rotate one -c "$CONF1" 2>&1) || t_fail "d: keys rotate through host 1" "$out"
new=$(la_psql "$DB" -tAc "SELECT id FROM neon_auth.jwks ORDER BY \"createdAt\" DESC LIMIT 1")
after=$(token_kid "$H2" "$C2"); k2b=$(kids "$H2")
if [ -n "$new" ] && [ "$new" != "$before" ] && [ "$after" = "$new" ] && grep -q "$new" <<<"$k2b"; then
  t_ok "d: after a rotation through host 1, host 2's next /token is signed with the new key and its JWKS lists it"
else t_fail "d: key rotation seen by host 2" "kid before $before, new $new, after $after" "jwks before $k2 after $k2b"; fi

la_down; MASTER=$M2; la_down
exit $((T_FAIL > 0))
