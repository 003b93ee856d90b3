#!/usr/bin/env bash
# `neon-authd user ...` (issue 20), black box: the real binary on a branch database that a
# running daemon (two workers, behind nginx) serves at the same time.
#
#   a  create: a user with a password read from stdin signs in over HTTP; --role, --name,
#      --json; the default role; no --password-stdin: no credential account
#   b  list (table and --json, --search, --limit, --offset) and show (table and --json),
#      by id and by email, agree with SQL
#   c  set-role (one role, a list), set-password (the new password works over HTTP, the old
#      one no longer)
#   d  ban: the user's live session stops at once, sign-in answers BANNED_USER, --reason and
#      --for set banReason and banExpires; unban: signs in again
#   e  revoke-sessions ends every session; delete removes the user, its accounts and sessions
#   f  every change has its audit row (actor none, data.via = "cli")
#   g  bad input -- unknown user, bad email, weak or missing password, an email in use, a bad
#      role, a bad duration or limit, an unknown option or subcommand or branch -- is a clear
#      message on stderr and its documented exit status (64 usage, 65 refused, 67 no such
#      user), and nothing in neon_auth changed; the password never shows in the output, the
#      logs or the audit trail
#
# Environment: NA_BIN, NA_TEST_PGPORT (use this running cluster), NA_TEST_TMP, KEEP=1,
# NA_TEST_TIMEOUT (170 s).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_auth.sh"
la_init cli_user

DB=cliuser_$LA_SUFFIX
BASE=$ORIGIN/$DB/auth
la_db_create "$DB" || { echo "Bail out! cannot create database $DB"; exit 1; }
la_conf "$CONF" 2 3600 "$(la_branch main "/$DB/auth" "$DB")"
out=$("$NA_BIN" migrate --branch main -c "$CONF" 2>&1) || { echo "Bail out! migrate failed: $out"; exit 1; }
out=$("$NA_BIN" config set main settings.rate_limit '{"enabled":false}' -c "$CONF" 2>&1) ||
  { echo "Bail out! config set: $out"; exit 1; }
la_up || { echo "Bail out! daemon did not start"; t_diag "$LA_DIAG"; exit 1; }

PW1="first-password-$RANDOM"
PW2="second-password-$RANDOM"
# user CMD...: run the command line; sets RC OUT (stdout) ERR (stderr); stdin from $STDIN
STDIN=/dev/null
user() {
  OUT=$("$NA_BIN" user "$@" -c "$CONF" 2>"$T/.err" <"$STDIN"); RC=$?
  ERR=$(< "$T/.err")
}
with_pw() { printf '%s\n' "$1" > "$T/.pw"; STDIN=$T/.pw; }
q() { la_psql "$DB" -tAc "$1"; }
# everything the commands could change, as one fingerprint
fingerprint() {
  q "SELECT md5(coalesce((SELECT string_agg(u::text, '|' ORDER BY id) FROM neon_auth.\"user\" u), '')
     || coalesce((SELECT string_agg(a::text, '|' ORDER BY id) FROM neon_auth.account a), '')
     || coalesce((SELECT string_agg(s::text, '|' ORDER BY id) FROM neon_auth.session s), '')
     || (SELECT count(*) FROM neon_auth.audit_log)::text)"
}

# ---------------------------------------------------------------- a

test_a() {
  with_pw "$PW1"
  user create main Alice@Example.com --name "Alice A" --role admin --password-stdin
  STDIN=/dev/null
  if [ "$RC" = 0 ] && [[ $OUT == *"alice@example.com created"* ]]; then t_ok "a: create with --password-stdin, exit 0"
  else t_fail "a: create with --password-stdin, exit 0" "exit $RC: $OUT $ERR"; fi
  t_is "$(q "SELECT name || '|' || role || '|' || banned FROM neon_auth.\"user\" WHERE email = 'alice@example.com'")" \
    "Alice A|admin|false" "a: name, role, not banned"
  la_sign_in "$BASE" alice@example.com "$PW1"
  t_is "$HTTP_CODE" 200 "a: the new user signs in over HTTP with the password from stdin"
  ALICE_COOKIE=$COOKIE
  user create main bob@example.com --json
  if [ "$RC" = 0 ] && [ "$(jq -r '.user.role + "|" + .user.email' <<<"$OUT")" = "user|bob@example.com" ]; then
    t_ok "a: create --json prints {user} with the default role"
  else t_fail "a: create --json prints {user} with the default role" "exit $RC: $OUT $ERR"; fi
  BOB=$(jq -r .user.id <<<"$OUT")
  t_is "$(q "SELECT count(*) FROM neon_auth.account WHERE \"userId\" = '$BOB'")" 0 \
    "a: without --password-stdin there is no credential account"
}

# ---------------------------------------------------------------- b

test_b() {
  local i
  for i in 1 2 3; do user create main "carol$i@example.com" --name "Carol $i" >/dev/null; done
  user list main
  if [ "$RC" = 0 ] && [ "$(head -n1 <<<"$OUT" | awk '{print $1, $2}')" = "ID EMAIL" ] &&
     [[ $(tail -n1 <<<"$OUT") == "# 5 of 5 users" ]]; then t_ok "b: list: a table and a count"
  else t_fail "b: list: a table and a count" "exit $RC: $OUT $ERR"; fi
  user list main --search carol --limit 2 --offset 1 --json
  local want
  want=$(q "SELECT string_agg(email, ' ' ORDER BY \"createdAt\", id) FROM (SELECT * FROM neon_auth.\"user\"
            WHERE email LIKE '%carol%' ORDER BY \"createdAt\", id LIMIT 2 OFFSET 1) t")
  if [ "$RC" = 0 ] && [ "$(jq -r '[.users[].email] | join(" ")' <<<"$OUT")" = "$want" ] &&
     [ "$(jq -r '"\(.total) \(.limit) \(.offset)"' <<<"$OUT")" = "3 2 1" ]; then
    t_ok "b: list --search --limit --offset --json is what SQL says ($want)"
  else t_fail "b: list --search --limit --offset --json is what SQL says" "got: $OUT" "want: $want"; fi
  user show main "$BOB"
  if [ "$RC" = 0 ] && grep -q "^email: *bob@example.com$" <<<"$OUT" && grep -q "^accounts: *(none)$" <<<"$OUT"; then
    t_ok "b: show by id"
  else t_fail "b: show by id" "exit $RC: $OUT $ERR"; fi
  user show main ALICE@example.com --json
  if [ "$RC" = 0 ] && [ "$(jq -r '"\(.user.email) \(.accounts) \(.sessions)"' <<<"$OUT")" = "alice@example.com credential 1" ]; then
    t_ok "b: show --json by email (any case): accounts and live sessions"
  else t_fail "b: show --json by email" "exit $RC: $OUT $ERR"; fi
}

# ---------------------------------------------------------------- c

test_c() {
  user set-role main bob@example.com user,admin
  t_is "$RC|$(q "SELECT role FROM neon_auth.\"user\" WHERE id = '$BOB'")" "0|user,admin" "c: set-role with a list"
  user set-role main "$BOB" editor --json
  if [ "$RC" = 0 ] && [ "$(jq -r .user.role <<<"$OUT")" = editor ] && [[ $ERR == *"editor is not one of the admin plugin's roles"* ]]; then
    t_ok "c: set-role to a role the plugin does not know: done, with a note"
  else t_fail "c: set-role to an unknown role" "exit $RC: $OUT $ERR"; fi
  with_pw "$PW2"
  user set-password main alice@example.com --password-stdin
  STDIN=/dev/null
  t_is "$RC" 0 "c: set-password --password-stdin"
  la_sign_in "$BASE" alice@example.com "$PW2"
  local new=$HTTP_CODE
  la_sign_in "$BASE" alice@example.com "$PW1"
  t_is "$new $HTTP_CODE" "200 401" "c: the new password signs in, the old one no longer"
  ALICE_COOKIE2=$COOKIE
  with_pw "$PW1"
  user set-password main "$BOB" --password-stdin
  STDIN=/dev/null
  t_is "$RC|$(q "SELECT count(*) FROM neon_auth.account WHERE \"userId\" = '$BOB' AND \"providerId\" = 'credential'")" \
    "0|1" "c: set-password gives a user without one a credential account"
}

# ---------------------------------------------------------------- d

test_d() {
  la_sign_in "$BASE" alice@example.com "$PW2"
  local c=$COOKIE
  la_session "$BASE" "$c"
  t_is "$SESSION_USER" alice@example.com "d: alice has a live session"
  user ban main alice@example.com --reason "too many emails" --for 2h
  if [ "$RC" = 0 ] && [[ $OUT == *"banned until"* ]]; then t_ok "d: ban --reason --for, exit 0"
  else t_fail "d: ban --reason --for, exit 0" "exit $RC: $OUT $ERR"; fi
  t_is "$(q "SELECT banned || '|' || \"banReason\" || '|' || (abs(extract(epoch from \"banExpires\" - now()) - 7200) < 60)
          FROM neon_auth.\"user\" WHERE email = 'alice@example.com'")" "true|too many emails|true" "d: banned, the reason, two hours"
  la_session "$BASE" "$c"
  t_is "$HTTP_CODE|$HTTP_BODY" "200|null" "d: the live session stops at once"
  t_is "$(q "SELECT count(*) FROM neon_auth.session s JOIN neon_auth.\"user\" u ON u.id = s.\"userId\" WHERE u.email = 'alice@example.com'")" \
    0 "d: its sessions are deleted"
  la_sign_in "$BASE" alice@example.com "$PW2"
  t_is "$HTTP_CODE $(la_code)" "403 BANNED_USER" "d: sign-in answers BANNED_USER"
  user ban main bob@example.com --json
  t_is "$RC|$(jq -r '"\(.user.banned) \(.user.banReason) \(.user.banExpires)"' <<<"$OUT")" "0|true No reason null" \
    "d: ban without --reason or --for: No reason, for ever"
  user unban main alice@example.com
  la_sign_in "$BASE" alice@example.com "$PW2"
  t_is "$RC $HTTP_CODE" "0 200" "d: unban: signs in again"
}

# ---------------------------------------------------------------- e

test_e() {
  la_sign_in "$BASE" alice@example.com "$PW2"
  local c1=$COOKIE
  la_sign_in "$BASE" alice@example.com "$PW2"
  local c2=$COOKIE n
  user revoke-sessions main alice@example.com
  n=$(sed -n 's/.*: \([0-9]*\) sessions* revoked$/\1/p' <<<"$OUT")
  la_session "$BASE" "$c1"
  local s1=$HTTP_BODY
  la_session "$BASE" "$c2"
  if [ "$RC" = 0 ] && [ "$n" -ge 2 ] && [ "$s1|$HTTP_BODY" = "null|null" ]; then t_ok "e: revoke-sessions ends every session ($n)"
  else t_fail "e: revoke-sessions ends every session" "exit $RC: $OUT $ERR; sessions: $s1 $HTTP_BODY"; fi
  la_sign_in "$BASE" carol1@example.com x >/dev/null
  user delete main carol1@example.com
  t_is "$RC|$(q "SELECT count(*) FROM neon_auth.\"user\" WHERE email = 'carol1@example.com'")" "0|0" "e: delete"
  user show main carol1@example.com
  t_is "$RC" 67 "e: a deleted user is no such user"
}

# ---------------------------------------------------------------- f

test_f() {
  local got
  got=$(q "SELECT string_agg(event, ' ' ORDER BY id) FROM neon_auth.audit_log
           WHERE data->>'via' = 'cli' AND actor_id IS NULL AND outcome = 'success'")
  t_is "$got" "admin_user_create admin_user_create admin_user_create admin_user_create admin_user_create admin_set_role admin_set_role admin_set_password admin_set_password admin_ban admin_ban admin_unban admin_sessions_revoke admin_user_remove" \
    "f: every change has its audit row (actor none, via cli)"
}

# ---------------------------------------------------------------- g

# refused WANT_RC PATTERN DESCRIPTION -- ARGS...: exit status, message, nothing changed
refused() {
  local want=$1 pat=$2 desc=$3 before after
  shift 4
  before=$(fingerprint)
  user "$@"
  after=$(fingerprint)
  if [ "$RC" = "$want" ] && [[ $ERR == *$pat* ]] && [ "$before" = "$after" ] && [ -z "$OUT" ]; then
    t_ok "g: $desc: exit $want, \"$pat\", nothing changed"
  else t_fail "g: $desc" "exit $RC (want $want), stdout: $OUT" "stderr: $ERR" "changed: $([ "$before" = "$after" ] && echo no || echo YES)"; fi
}

test_g() {
  refused 67 "no such user: nobody@example.com" "unknown user (show)" -- show main nobody@example.com
  refused 67 "no such user" "unknown user (ban)" -- ban main 00000000-0000-0000-0000-000000000000
  refused 67 "no such user: not-an-id" "neither id nor email" -- delete main not-an-id
  refused 65 "not an email address" "bad email" -- create main not-an-email
  with_pw "short"
  refused 65 "password too short: at least 8" "weak password (create)" -- create main dave@example.com --password-stdin
  refused 65 "password too short" "weak password (set-password)" -- set-password main bob@example.com --password-stdin
  STDIN=/dev/null
  refused 65 "no password on standard input" "empty standard input" -- set-password main bob@example.com --password-stdin
  refused 64 "--password-stdin" "set-password without --password-stdin" -- set-password main bob@example.com
  refused 65 "already exists" "an email in use" -- create main BOB@example.com
  refused 65 "bad role list" "a bad role" -- set-role main bob@example.com "admin user"
  refused 65 "bad role list" "an empty role" -- create main erin@example.com --role ""
  refused 64 "bad duration" "a bad duration" -- ban main bob@example.com --for 3x
  refused 64 "--limit" "a bad limit" -- list main --limit 0
  refused 64 "unknown option --password" "a password on the command line" -- create main erin@example.com --password hunter22hunter22
  refused 64 "unexpected argument" "one word too many" -- show main bob@example.com extra
  refused 64 "which branch" "no branch" -- list
  refused 64 "no branch named nope" "an unknown branch" -- list nope
  refused 64 "usage:" "an unknown subcommand" -- frobnicate main
  # the passwords used in this suite appear nowhere but in the hashes
  local leaks=0 p
  for p in "$PW1" "$PW2"; do
    grep -qF -- "$p" "$LOG" && leaks=$((leaks + 1))
    [ "$(q "SELECT count(*) FROM neon_auth.audit_log WHERE data::text LIKE '%$p%'")" = 0 ] || leaks=$((leaks + 1))
  done
  t_is "$leaks" 0 "g: no password in the daemon's log or the audit trail"
}

test_a
test_b
test_c
test_d
test_e
test_f
test_g

if grep -qiE 'AddressSanitizer|double free|corrupted|stack smashing|core dumped|exited on signal' "$LOG"; then
  t_fail "daemon log shows no crash" "$(grep -iE 'AddressSanitizer|double free|corrupted|stack smashing|core dumped|exited on signal' "$LOG" | head)"
else
  t_ok "daemon log shows no crash"
fi
la_down
t_done
