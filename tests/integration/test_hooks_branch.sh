#!/usr/bin/env bash
# The branch's own hooks branch with the data (issue 15): the real binary behind nginx, main
# (database A) and copy (database B, made with CREATE DATABASE B TEMPLATE A while the daemon
# runs). settings.sign_up (allowed_email_domains, function) and settings.jwt.claims_function
# live in A's project_config, the functions in A's schema "app".
#
#   a  on A: the domain list and the sign-up function refuse (403 SIGN_UP_EMAIL_DOMAIN_NOT_ALLOWED,
#      403 SIGN_UP_NOT_ALLOWED); GET token carries the claims function's claim
#   b  the copy B enforces A's rules and calls its own copy of A's functions
#   c  B's rules and functions changed (config set copy, CREATE OR REPLACE FUNCTION on B): B follows
#      them, A keeps its own
#
# Environment: NA_BIN, NA_TEST_PGPORT (use this running cluster), NA_TEST_TMP, KEEP=1,
# NA_TEST_TIMEOUT (170 s).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_auth.sh"
la_init hooks_branch

DBA=hk_a_$LA_SUFFIX DBB=hk_b_$LA_SUFFIX
URLA=$ORIGIN/$DBA/auth URLB=$ORIGIN/$DBB/auth
la_db_create "$DBA" || { echo "Bail out! cannot create database $DBA"; exit 1; }
LA_DBS+=("$DBB")   # created from A below; dropped by the cleanup
branches="$(la_branch main "/$DBA/auth" "$DBA"),
$(la_branch copy "/$DBB/auth" "$DBB")"
la_conf "$CONF" 2 60 "$branches"
cfg() { "$NA_BIN" config "$@" -c "$CONF"; }
out=$("$NA_BIN" migrate --branch main -c "$CONF" 2>&1) || { echo "Bail out! migrate failed: $out"; exit 1; }
functions() { # DB FORBIDDEN-PREFIX BRANCH-CLAIM
  la_psql "$1" -q -v ON_ERROR_STOP=1 -c "CREATE SCHEMA IF NOT EXISTS app;
    CREATE OR REPLACE FUNCTION app.allow_sign_up(email text, provider text) RETURNS boolean
      LANGUAGE sql AS \$\$ SELECT email NOT LIKE '$2%' \$\$;
    CREATE OR REPLACE FUNCTION app.jwt_claims(user_id uuid, claims jsonb) RETURNS jsonb
      LANGUAGE sql AS \$\$ SELECT claims || '{\"branch\":\"$3\"}'::jsonb \$\$;" >/dev/null
}
functions "$DBA" deny a || { echo "Bail out! cannot create A's functions"; exit 1; }
for kv in 'settings.rate_limit {"enabled":false}' \
    'settings.sign_up {"allowed_email_domains":["a.test"],"function":"app.allow_sign_up"}' \
    'settings.jwt {"claims_function":"app.jwt_claims"}'; do
  out=$(cfg set main ${kv%% *} "${kv#* }" 2>&1) || { echo "Bail out! config set $kv: $out"; exit 1; }
done
la_up || { echo "Bail out! daemon did not start"; t_diag "$LA_DIAG"; exit 1; }
t_diag "main = $URLA, copy = $URLB (database $DBB made later from $DBA)"

PW=password-0123
n=0
# expect URL LOCAL DOMAIN WANT (200 or an error code) DESCRIPTION
expect() {
  local e
  n=$((n + 1)); e=$2-$LA_SUFFIX-$n@$3
  la_sign_up "$1" "$e" "$PW" "Hook"
  local got=$HTTP_CODE
  [ "$HTTP_CODE" = 200 ] || got="$HTTP_CODE $(la_code)"
  t_is "$got" "$4" "$5: sign-up $2-...@$3 -> $4"
  LAST_COOKIE=$COOKIE
}
# the claim "branch" of the session JWT for LAST_COOKIE on URL
claim() {
  la_req GET "$1/token" "" -H "Cookie: neon-auth.session_token=$LAST_COOKIE"
  python3 -c 'import base64, json, sys
t = json.loads(sys.argv[1])["token"].split(".")[1]
print(json.loads(base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))).get("branch"))' "$HTTP_BODY" 2>/dev/null
}

# ---------------------------------------------------------------- a: A's rules

expect "$URLA" ok a.test 200 "a: A"
t_is "$(claim "$URLA")" a "a: A's token carries A's claim branch=a"
expect "$URLA" ok b.test "403 SIGN_UP_EMAIL_DOMAIN_NOT_ALLOWED" "a: A's domain list"
expect "$URLA" deny a.test "403 SIGN_UP_NOT_ALLOWED" "a: A's sign-up function"

# ---------------------------------------------------------------- the copy
copy_ok=0
for i in 1 2 3 4 5; do
  la_psql postgres -tAc "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
    WHERE datname = '$DBA' AND pid <> pg_backend_pid()" >/dev/null 2>&1
  out=$(la_psql postgres -c "CREATE DATABASE \"$DBB\" TEMPLATE \"$DBA\"" 2>&1) && { copy_ok=1; break; }
  sleep 0.3
done
[ "$copy_ok" = 1 ] || { echo "Bail out! CREATE DATABASE ... TEMPLATE failed: $out"; exit 1; }
t_ok "CREATE DATABASE $DBB TEMPLATE $DBA (attempt $i), daemon running"

# ---------------------------------------------------------------- b: B starts with A's rules

expect "$URLB" ok a.test 200 "b: B"
t_is "$(claim "$URLB")" a "b: B's token carries the claim of its copy of A's function"
expect "$URLB" ok b.test "403 SIGN_UP_EMAIL_DOMAIN_NOT_ALLOWED" "b: B has A's domain list"
expect "$URLB" deny a.test "403 SIGN_UP_NOT_ALLOWED" "b: B calls its copy of A's function"

# ---------------------------------------------------------------- c: B changes, A keeps its own

out=$(cfg set copy settings.sign_up '{"allowed_email_domains":["b.test"],"function":"app.allow_sign_up"}' 2>&1)
t_is "$?" 0 "c: config set copy settings.sign_up (b.test) ($out)"
functions "$DBB" nope b 2>/dev/null
t_is "$?" 0 "c: B's functions replaced on B (refuses nope*, claims branch=b)"
sleep 0.3   # the configuration NOTIFY reaches the workers
expect "$URLB" ok b.test 200 "c: B's new domain list"
t_is "$(claim "$URLB")" b "c: B's token carries B's new claim branch=b"
expect "$URLB" ok a.test "403 SIGN_UP_EMAIL_DOMAIN_NOT_ALLOWED" "c: B no longer takes a.test"
expect "$URLB" nope b.test "403 SIGN_UP_NOT_ALLOWED" "c: B's new function refuses"
expect "$URLB" deny b.test 200 "c: B's new function no longer refuses deny*"
expect "$URLA" ok a.test 200 "c: A keeps its domain list"
t_is "$(claim "$URLA")" a "c: A's token still carries branch=a"
expect "$URLA" ok b.test "403 SIGN_UP_EMAIL_DOMAIN_NOT_ALLOWED" "c: A still refuses b.test"
expect "$URLA" deny a.test "403 SIGN_UP_NOT_ALLOWED" "c: A's function still refuses deny*"
expect "$URLA" nope a.test 200 "c: A's function never saw B's rule"

if grep -qiE 'AddressSanitizer|double free|corrupted|stack smashing|core dumped|exited on signal' "$LOG"; then
  t_fail "daemon log shows no crash" "$(grep -iE 'AddressSanitizer|double free|corrupted|stack smashing|core dumped|exited on signal' "$LOG" | head)"
else
  t_ok "daemon log shows no crash"
fi
if grep -qE "(ok|deny|nope)-$LA_SUFFIX" "$LOG"; then t_fail "the log names no address" "$(grep -E "$LA_SUFFIX" "$LOG" | head -3)"
else t_ok "the log names no address"; fi
la_down
t_done
