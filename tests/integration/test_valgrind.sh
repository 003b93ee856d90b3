#!/usr/bin/env bash
# Memory checking (issue 12), black box: the daemon -- master and its forked workers -- run under
# valgrind (memcheck, --leak-check=full) behind nginx, for a bounded set of requests: sign-up,
# sign-in, get-session by cookie and by bearer, token, jwks, update-user, list-sessions, a
# validation error, a bad JSON body, an unknown route, sign-out.  Then TERM: every process's
# valgrind log must say 0 errors and no definitely lost bytes (definite leaks count as errors:
# --errors-for-leak-kinds=definite), and the master exits 0 (not --error-exitcode 99).
#
# Environment: NA_BIN, NA_TEST_PGPORT, NA_TEST_TMP, KEEP=1, NA_TEST_TIMEOUT (300 s).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_auth.sh"
NA_TEST_TIMEOUT=${NA_TEST_TIMEOUT:-300}
la_init valgrind
if ! command -v valgrind >/dev/null; then
  t_skip "workers under valgrind" "valgrind is not installed (scripts/install-deps)"
  t_done; exit 0
fi

DB=vg_$LA_SUFFIX URL=$ORIGIN/$DB/auth
la_db_create "$DB" || { echo "Bail out! cannot create database $DB"; exit 1; }
# one worker (each is a valgrind process), time for valgrind's pace
la_conf "$CONF" 1 60 "$(la_branch main "/$DB/auth" "$DB")"
sed -i 's/request_timeout = 30;/request_timeout = 120;/; s/shutdown_timeout = 5;/shutdown_timeout = 60;/' "$CONF"
out=$("$NA_BIN" migrate --branch main -c "$CONF" 2>&1) || { echo "Bail out! migrate failed: $out"; exit 1; }
out=$("$NA_BIN" config set main settings.rate_limit '{"enabled":false}' -c "$CONF" 2>&1) ||
  { echo "Bail out! config set: $out"; exit 1; }
# bearer is off by default (issue 12 #1): on here, so the bearer path runs under valgrind too
out=$("$NA_BIN" config set main settings.bearer true -c "$CONF" 2>&1) ||
  { echo "Bail out! config set: $out"; exit 1; }

# ---------------------------------------------------------------- the daemon under valgrind

NA_WRAP=(valgrind --tool=memcheck --log-file="$T/vg.%p" --error-exitcode=99
  --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite
  --num-callers=30 --child-silent-after-fork=no)
log_mark
na_start "$CONF" "$LOG"
MASTER=$NA_PID; DAEMONS+=("$MASTER")
unset NA_WRAP
if na_wait_ms 90000 test -S "$SOCK" && na_wait_http "$STATUS_URL" 90 && na_wait_ms 60000 pool_full; then
  t_ok "the daemon and its worker start under valgrind"
else
  echo "Bail out! the daemon did not come up under valgrind: $(log_since | tail -n 5)"; exit 1
fi

# ---------------------------------------------------------------- requests

export NA_HTTP_TIMEOUT=120
H=(-H "Origin: $ORIGIN")
E=vg-$LA_SUFFIX@example.com PW=password-0123
la_sign_up "$URL" "$E" "$PW" "Val Grind"
t_is "$HTTP_CODE" 200 "sign-up"
la_sign_in "$URL" "$E" "$PW"
t_is "$HTTP_CODE" 200 "sign-in"
C=$COOKIE B=$BEARER
la_session "$URL" "$C"
t_is "$HTTP_CODE $SESSION_USER" "200 $E" "get-session by cookie"
if [ -n "$B" ]; then
  la_req GET "$URL/get-session" "" -H "Authorization: Bearer $B"
  t_is "$HTTP_CODE $(jq -r '.user.email // empty' <<<"$HTTP_BODY" 2>/dev/null)" "200 $E" "get-session by bearer"
else
  t_skip "get-session by bearer" "the branch hands out no set-auth-token (settings.bearer off)"
fi
la_req GET "$URL/token" "" -H "Cookie: neon-auth.session_token=$C"
t_is "$HTTP_CODE $(jq -r '.token | split(".") | length' <<<"$HTTP_BODY" 2>/dev/null)" "200 3" "token: a JWT"
la_req GET "$URL/jwks"
t_is "$HTTP_CODE $(jq -r '.keys | length' <<<"$HTTP_BODY" 2>/dev/null)" "200 1" "jwks: one key"
la_req POST "$URL/update-user" '{"name":"Val"}' "${H[@]}" -H "Cookie: neon-auth.session_token=$C"
t_is "$HTTP_CODE" 200 "update-user"
la_req GET "$URL/list-sessions" "" -H "Cookie: neon-auth.session_token=$C"
t_is "$HTTP_CODE $(jq -r 'length' <<<"$HTTP_BODY" 2>/dev/null)" "200 2" "list-sessions: the sign-up's and the sign-in's"
la_req POST "$URL/sign-in/email" '{"email":1}' "${H[@]}"
t_is "$HTTP_CODE $(la_code)" "400 VALIDATION_ERROR" "a validation error"
la_req POST "$URL/sign-up/email" '{"email":"a@example.com","pass' "${H[@]}"
t_is "$HTTP_CODE $(la_code)" "400 BAD_REQUEST" "a truncated JSON body"
la_req GET "$URL/no-such-route"
t_is "$HTTP_CODE" 404 "an unknown route"
la_req POST "$URL/sign-out" '{}' "${H[@]}" -H "Cookie: neon-auth.session_token=$C"
t_is "$HTTP_CODE" 200 "sign-out"

# ---------------------------------------------------------------- valgrind's verdict

na_stop "$MASTER" 90
MASTER=""
t_is "$NA_RC" 0 "the master exits 0 after TERM (valgrind's --error-exitcode is 99)"
logs=("$T"/vg.*)
n=0 bad=""
for f in "${logs[@]}"; do
  [ -f "$f" ] || continue
  n=$((n + 1))
  errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$f" | tail -n 1)
  lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tail -n 1 | tr -d ,)
  if [ -z "$errs" ]; then bad="$bad $(basename "$f"): no summary (killed?);"
  elif [ "$errs" != 0 ] || [ "${lost:-0}" != 0 ]; then bad="$bad $(basename "$f"): $errs errors, ${lost:-0} bytes definitely lost;"; fi
done
if [ "$n" -ge 2 ] && [ -z "$bad" ]; then
  t_ok "valgrind: $n processes (master, worker, respawns), 0 errors, nothing definitely lost"
else
  t_fail "valgrind: every process clean ($n logs)" "$bad" \
    "$(for f in "${logs[@]}"; do grep -m1 -A25 -E '^==[0-9]+== (Invalid|Conditional|Use of|Syscall|[0-9,]+ bytes in .* definitely)' "$f"; done | head -n 60)"
fi
t_done
