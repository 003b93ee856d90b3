#!/usr/bin/env bash
# Email (issue 13), black box: the real binary behind nginx, a real SMTP server on loopback
# (tests/integration/smtp_sink.py, Debian's python3-aiosmtpd), every flow followed from the
# delivered message (the link opened, the code typed), the database and the session checked.
#
#   a  reset by link: the message (From in RFC 2047, Message-ID, Date, text and HTML parts),
#      GET reset-password/:token -> 302 ?token=, POST reset-password, sign-in with the new
#      password; an unknown address gets the same answer and no mail; the token refused when
#      reused, tampered, expired; two concurrent uses: one wins; revoke_sessions_on_reset
#   b  verification by link: require_email_verification + link method: sign-up mails the link
#      and answers no session, sign-in is 403 EMAIL_NOT_VERIFIED, the link verifies and signs in
#      (auto_sign_in_after_verification); expired, tampered and foreign-secret tokens refused
#      (401 / ?error=); send-verification-email's floor without a session (reported)
#   c  verification by code (otp method): wrong code INVALID_OTP, three wrong TOO_MANY_ATTEMPTS,
#      expired OTP_EXPIRED, the right code verifies and signs in; codes stored hashed
#   d  sign-in/email-otp creates a verified user; disable_sign_up refuses; an unverified
#      password account loses its password and sessions when a code proves the address
#   e  reset by code (email-otp/request-password-reset, reset-password): a user without a
#      password gets a credential account; the code is single use
#   f  magic link: plugin off -> 404; link -> session + newUserCallbackURL; reuse -> errorCallbackURL
#      ?error=INVALID_TOKEN; disable_sign_up -> new_user_signup_disabled; expiry
#   g  change of a verified address: confirmation to the old address, then verification to the
#      new one, then the address changes (audit email_change)
#   h  delete-user by emailed link (settings.delete_user_verification)
#   i  templates: settings.templates overrides with non-ASCII subject (RFC 2047), placeholders
#      HTML-escaped in the HTML part; a bad template refused by config set
#   j  no transport (mail.host removed, reload): the mail endpoints answer "isn't enabled" and
#      write nothing; the mail sender restarts with the new file
#   k  SMTP down while 20 messages are queued, back after 30 s: all 20 arrive, none twice; the
#      request times during the outage are reported (never asserted); mail status and the status
#      page show the backlog
#   l  SMTP that accepts and stalls: the attempt ends at the timeout and is retried, workers
#      keep serving; a 5xx answer fails the message at once (permanent)
#   m  branch copy: a database copied (CREATE DATABASE ... TEMPLATE) while mail is queued for it:
#      the parent's messages go out once, as the parent's; the copy sends only its own
#   n  TLS: STARTTLS and implicit TLS with a certificate from a test CA (mail.ca_file), AUTH with
#      a password; a certificate for another name is refused (verified); a wrong password is 5xx
#   o  the mail sender: killed -> respawned, TERM -> drained
#
# Environment: NA_BIN, NA_TEST_PGPORT (use this running cluster), NA_TEST_TMP, KEEP=1,
# NA_TEST_TIMEOUT (480 s).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_auth.sh"
NA_TEST_TIMEOUT=${NA_TEST_TIMEOUT:-480}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
la_init email

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if ! "$PY" -c 'import aiosmtpd' 2>/dev/null; then
  t_skip "email suite" "python3-aiosmtpd is not installed (scripts/install-deps)"
  t_done; exit 0
fi

DB=mail_$LA_SUFFIX DB2=mail2_$LA_SUFFIX
URL=$ORIGIN/$DB/auth URL2=$ORIGIN/$DB2/auth
la_db_create "$DB" || { echo "Bail out! cannot create database $DB"; exit 1; }
LA_DBS+=("$DB2")
SPOOL=$T/spool MAIL=$T/mail
SMTP_PORT=$(na_free_port "$NA_NGINX_PORT" "$NA_PG_PORT")
mail_conf() { # [HOST]: the mail group, the server default transport on HOST (none when "")
  local host=${1-127.0.0.1}
  printf 'mail = { spool_dir = "%s"; host = "%s"; port = %s; security = "none"; sender_email = "auth@example.com"; sender_name = "Tést Äpp"; retry_base = 1; retry_max = 3; max_attempts = 40; timeout = 3; connect_timeout = 2; ca_file = "%s"; };' \
    "$SPOOL" "$host" "$SMTP_PORT" "$T/tls/ca.pem"
}
branches="$(la_branch main "/$DB/auth" "$DB"),
$(la_branch copy "/$DB2/auth" "$DB2")"
la_conf "$CONF" 3 60 "$branches" "$(mail_conf)"
cfg() { "$NA_BIN" config "$@" -c "$CONF"; }
out=$("$NA_BIN" migrate --branch main -c "$CONF" 2>&1) || { echo "Bail out! migrate failed: $out"; exit 1; }
out=$(cfg set main settings.rate_limit '{"enabled":false}' 2>&1) || { echo "Bail out! config set: $out"; exit 1; }

# ---------------------------------------------------------------- SMTP sinks

declare -A SINK
sink_start() { # NAME PORT DIR [ARGS...]: a sink, ready when it says so
  local name=$1 port=$2 dir=$3; shift 3
  mkdir -p "$dir"
  "$PY" "$HERE/smtp_sink.py" --port "$port" --dir "$dir" "$@" > "$T/sink-$name.log" 2>&1 &
  SINK[$name]=$!; BG+=("$!")
  na_wait_ms 10000 grep -q '^ready' "$T/sink-$name.log"
}
sink_stop() { local p=${SINK[$1]:-}; [ -n "$p" ] && kill "$p" 2>/dev/null && na_wait_ms 5000 na_pid_dead "$p"; SINK[$1]=""; }
mcount() { find "${1:-$MAIL}" -maxdepth 1 -name '*.eml' 2>/dev/null | wc -l; }
# mail_for RCPT [DIR]: the newest message for RCPT
mail_for() { grep -l -i "^X-Sink-To: $1" "${2:-$MAIL}"/*.eml 2>/dev/null | sort | tail -n 1; }
mails_for() { grep -l -i "^X-Sink-To: $1" "${2:-$MAIL}"/*.eml 2>/dev/null | wc -l; }
# wait_mail RCPT N [SECONDS] [DIR]: until N messages for RCPT have arrived; MSG = the newest
wait_mail() {
  local rcpt=$1 n=$2 secs=${3:-15} dir=${4:-$MAIL}
  na_wait_ms $((secs * 1000)) eval "[ \"\$(mails_for '$rcpt' '$dir')\" -ge $n ]"
  local rc=$?
  MSG=$(mail_for "$rcpt" "$dir")
  return $rc
}
mr() { "$PY" "$HERE/mail_read.py" "$@"; }
mail_status() { "$NA_BIN" mail status --json -c "$CONF" 2>/dev/null; }
# the queue is empty: every message sent or failed
queue_empty() { [ "$(mail_status | jq '.queued + .retrying | length')" = 0 ]; }

H=(-H "Origin: $ORIGIN")
post() { la_req POST "$1" "$2" "${H[@]}" "${@:3}"; }
with_cookie() { echo "Cookie: neon-auth.session_token=$1"; }
q() { la_psql "${2:-$DB}" -tAc "$1"; }
user_col() { q "SELECT \"$2\" FROM neon_auth.\"user\" WHERE email = '$1'"; }
# email_of TAG: a new address each time (a counter in a file: callers run it in $(...))
email_of() {
  local n; n=$(( $(cat "$T/.n" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$T/.n"
  echo "$1-$n-$LA_SUFFIX@example.com"
}

sink_start main "$SMTP_PORT" "$MAIL" || { echo "Bail out! the SMTP sink did not start: $(cat "$T/sink-main.log")"; exit 1; }
la_up || { echo "Bail out! daemon did not start"; t_diag "$LA_DIAG"; exit 1; }
t_diag "branch main = $URL, SMTP sink 127.0.0.1:$SMTP_PORT, spool $SPOOL"
PW=password-0123 PW2=new-password-4567

# ---------------------------------------------------------------- a: reset by link

test_a() {
  local e; e=$(email_of reset)
  la_sign_up "$URL" "$e" "$PW" "Ada Lovelace"
  [ "$HTTP_CODE" = 200 ] || { t_fail "a: sign-up" "$(la_diag)"; return; }
  local c1=$COOKIE before=$(mcount)
  post "$URL/request-password-reset" "{\"email\":\"$e\",\"redirectTo\":\"/reset\"}"
  t_is "$HTTP_CODE $HTTP_BODY" '200 {"status":true,"message":"If this email exists in our system, check your email for the reset link"}' \
    "a: request-password-reset answers 200 with Better Auth's message"
  if wait_mail "$e" 1; then t_ok "a: the reset mail arrived at the SMTP server"; else t_fail "a: the reset mail arrived" "$(tail -n 5 "$LOG")"; return; fi
  local m=$MSG link
  if mr "$m" check && [ "$(mr "$m" parts | tr '\n' ' ')" = "multipart/alternative text/plain text/html " ]; then
    t_ok "a: the message has a Message-ID, a Date, a From, a text and an HTML part"
  else t_fail "a: message structure" "$(head -c 1200 "$m")"; fi
  t_is "$(mr "$m" from)" "Tést Äpp <auth@example.com>" "a: From: the sender name decodes from RFC 2047 (non-ASCII)"
  case "$(mr "$m" header:From)" in =?UTF-8?B?*) t_ok "a: the raw From header is an encoded word" ;; *) t_fail "a: raw From header encoded" "$(mr "$m" header:From)" ;; esac
  t_is "$(mr "$m" kind)" reset "a: X-Neon-Authd-Kind: reset"
  link=$(mr "$m" link)
  case "$link" in "$URL/reset-password/"*"?callbackURL=%2Freset") t_ok "a: the link is AUTH_URL/reset-password/<token>?callbackURL=%2Freset" ;;
    *) t_fail "a: link format" "$link" ;; esac
  grep -qF "$link" <(mr "$m" html | sed 's/&amp;/\&/g') && t_ok "a: the HTML part carries the same link" || t_fail "a: HTML part link" "$(mr "$m" html | head -c 400)"
  local tok=${link#"$URL/reset-password/"}; tok=${tok%%\?*}
  [ ${#tok} = 24 ] && t_ok "a: the token has 24 characters" || t_fail "a: token length" "$tok"
  la_req GET "$link"
  local loc; loc=$(sed -n 's/^[Ll]ocation: //p' <<<"$HTTP_HDRS")
  t_is "$HTTP_CODE $loc" "302 $ORIGIN/reset?token=$tok" "a: following the link: 302 to the app with ?token="
  # unknown address: same answer, nothing queued, nothing sent
  local q0; q0=$(ls "$SPOOL/queue" "$SPOOL/done" | wc -l)
  post "$URL/request-password-reset" "{\"email\":\"nobody-$LA_SUFFIX@example.com\"}"
  sleep 1
  t_is "$HTTP_CODE $(ls "$SPOOL/queue" "$SPOOL/done" | wc -l) $(mails_for "nobody-$LA_SUFFIX@example.com")" "200 $q0 0" \
    "a: an unknown address: the same 200, nothing queued, no mail"
  # tampered, then the right token
  local hash0; hash0=$(q "SELECT password FROM neon_auth.account a JOIN neon_auth.\"user\" u ON u.id = a.\"userId\" WHERE u.email = '$e'")
  post "$URL/reset-password" "{\"newPassword\":\"$PW2\",\"token\":\"${tok:0:23}X\"}"
  t_is "$HTTP_CODE $(la_code)" "400 INVALID_TOKEN" "a: a tampered token -> 400 INVALID_TOKEN"
  post "$URL/reset-password" "{\"newPassword\":\"$PW2\",\"token\":\"$tok\"}"
  t_is "$HTTP_CODE $HTTP_BODY" '200 {"status":true}' "a: reset-password with the mailed token -> 200"
  local hash1; hash1=$(q "SELECT password FROM neon_auth.account a JOIN neon_auth.\"user\" u ON u.id = a.\"userId\" WHERE u.email = '$e'")
  [ "$hash1" != "$hash0" ] && [ -n "$hash1" ] && t_ok "a: the credential password changed in the database" || t_fail "a: password changed"
  la_sign_in "$URL" "$e" "$PW"; local old=$HTTP_CODE
  la_sign_in "$URL" "$e" "$PW2"
  t_is "$old $HTTP_CODE" "401 200" "a: the old password is refused, the new one signs in"
  la_session "$URL" "$c1"
  t_is "$SESSION_USER" "$e" "a: revoke_sessions_on_reset off: the old session stays"
  post "$URL/reset-password" "{\"newPassword\":\"$PW\",\"token\":\"$tok\"}"
  t_is "$HTTP_CODE $(la_code)" "400 INVALID_TOKEN" "a: the token again -> 400 INVALID_TOKEN (single use)"
  la_req GET "$URL/reset-password/$tok?callbackURL=/reset"
  t_is "$(sed -n 's/^[Ll]ocation: //p' <<<"$HTTP_HDRS")" "$ORIGIN/reset?error=INVALID_TOKEN" "a: the used link -> 302 ?error=INVALID_TOKEN"
  t_is "$(q "SELECT count(*) FROM neon_auth.audit_log WHERE event = 'password_reset' AND user_id = (SELECT id FROM neon_auth.\"user\" WHERE email = '$e')")" 1 \
    "a: one password_reset audit row"

  # expired
  post "$URL/request-password-reset" "{\"email\":\"$e\"}"
  wait_mail "$e" 2 || { t_fail "a: second reset mail"; return; }
  link=$(mr "$MSG" link); tok=${link#"$URL/reset-password/"}; tok=${tok%%\?*}
  q "UPDATE neon_auth.verification SET \"expiresAt\" = now() - interval '1 second' WHERE identifier = 'reset-password:$tok'" >/dev/null
  post "$URL/reset-password" "{\"newPassword\":\"$PW\",\"token\":\"$tok\"}"
  t_is "$HTTP_CODE $(la_code)" "400 INVALID_TOKEN" "a: an expired token -> 400 INVALID_TOKEN"
  la_sign_in "$URL" "$e" "$PW2"
  t_is "$HTTP_CODE" 200 "a: ... and the password stays as it was"

  # two concurrent uses of one token; revoke_sessions_on_reset on
  cfg set main settings.password '{"revoke_sessions_on_reset":true}' >/dev/null
  post "$URL/request-password-reset" "{\"email\":\"$e\"}"
  wait_mail "$e" 3 || { t_fail "a: third reset mail"; return; }
  link=$(mr "$MSG" link); tok=${link#"$URL/reset-password/"}; tok=${tok%%\?*}
  local i pids=()
  for i in 1 2; do
    curl -s -o "$T/race$i" -w '%{http_code}' -H 'Content-Type: application/json' "${H[@]}" \
      -d "{\"newPassword\":\"$PW$i-x\",\"token\":\"$tok\"}" "$URL/reset-password" > "$T/race$i.code" &
    pids+=($!)
  done
  wait "${pids[@]}"
  t_is "$(printf '%s\n' "$(cat "$T/race1.code")" "$(cat "$T/race2.code")" | sort | xargs)" "200 400" "a: two concurrent uses of one token: one 200, one 400"
  t_is "$(q "SELECT count(*) FROM neon_auth.session s JOIN neon_auth.\"user\" u ON u.id = s.\"userId\" WHERE u.email = '$e'")" 0 \
    "a: revoke_sessions_on_reset: every session of the user is gone"
  cfg set main settings.password '{}' >/dev/null
}

# ---------------------------------------------------------------- b: verification by link

# jwt SECRET PAYLOAD: an HS256 token like Better Auth's
jwt() {
  "$PY" - "$1" "$2" <<'PY'
import base64, hashlib, hmac, sys
b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=")
si = b(b'{"alg":"HS256"}') + b"." + b(sys.argv[2].encode())
print((si + b"." + b(hmac.new(sys.argv[1].encode(), si, hashlib.sha256).digest())).decode())
PY
}

test_b() {
  cfg set main email_and_password '{"enabled":true,"require_email_verification":true,"email_verification_method":"link","auto_sign_in_after_verification":true}' >/dev/null
  local e; e=$(email_of verify)
  post "$URL/sign-up/email" "{\"email\":\"$e\",\"password\":\"$PW\",\"name\":\"Vera\",\"callbackURL\":\"/welcome\"}"
  t_is "$HTTP_CODE $(jq -r .token <<<"$HTTP_BODY") $(grep -ci '^set-cookie: neon-auth.session_token' <<<"$HTTP_HDRS")" "200 null 0" \
    "b: require_email_verification: sign-up answers no session"
  if wait_mail "$e" 1; then t_ok "b: sign-up mailed the verification link"; else t_fail "b: verification mail"; return; fi
  t_is "$(mr "$MSG" kind)" verification "b: kind verification"
  la_sign_in "$URL" "$e" "$PW"
  t_is "$HTTP_CODE $(la_code)" "403 EMAIL_NOT_VERIFIED" "b: sign-in before verifying -> 403 EMAIL_NOT_VERIFIED"
  local link tok; link=$(mr "$MSG" link); tok=${link#*token=}; tok=${tok%%&*}
  case "$link" in "$URL/verify-email?token="*"&callbackURL=%2Fwelcome") t_ok "b: the link is AUTH_URL/verify-email?token=<jwt>&callbackURL=%2Fwelcome" ;;
    *) t_fail "b: link format" "$link" ;; esac
  local payload; payload=$(cut -d. -f2 <<<"$tok" | tr '_-' '/+' | base64 -d 2>/dev/null)
  [ "$(jq -r '[.email, (.exp - .iat)] | join(" ")' <<<"$payload" 2>/dev/null)" = "$e 900" ] &&
    t_ok "b: the JWT carries the address and lives 15 minutes (Neon's lifetime)" || t_fail "b: JWT claims" "$payload"
  # refused tokens: tampered, another secret, expired; nothing changes
  # a changed character in the signature's first, fully significant, position
  local sig=${tok##*.} bad; [ "${sig:0:1}" = A ] && bad=B || bad=A
  la_req GET "$URL/verify-email?token=${tok%.*}.$bad${sig:1}"
  t_is "$HTTP_CODE $(la_code)" "401 INVALID_TOKEN" "b: a tampered token -> 401 INVALID_TOKEN"
  local uid; uid=$(user_col "$e" id)
  local now; now=$(date +%s)
  la_req GET "$URL/verify-email?token=$(jwt other-secret-0123456789abcdefghij "{\"email\":\"$e\",\"userId\":\"$uid\",\"iat\":$now,\"exp\":$((now + 600))}")&callbackURL=/welcome"
  t_is "$HTTP_CODE $(sed -n 's/^[Ll]ocation: //p' <<<"$HTTP_HDRS")" "302 /welcome?error=INVALID_TOKEN" "b: a token signed with another secret -> 302 /welcome?error=INVALID_TOKEN"
  la_req GET "$URL/verify-email?token=$(jwt "$LA_SECRET" "{\"email\":\"$e\",\"userId\":\"$uid\",\"iat\":$((now - 1000)),\"exp\":$((now - 100))}")"
  t_is "$HTTP_CODE $(la_code)" "401 TOKEN_EXPIRED" "b: an expired token -> 401 TOKEN_EXPIRED"
  t_is "$(user_col "$e" emailVerified)" f "b: after the refused tokens the address is still unverified"
  la_req GET "$link"
  local loc; loc=$(sed -n 's/^[Ll]ocation: //p' <<<"$HTTP_HDRS")
  la_cookies_from_reply
  t_is "$HTTP_CODE $loc $([ -n "$COOKIE" ] && echo cookie)" "302 /welcome cookie" "b: the link -> 302 /welcome with a session cookie (auto sign-in)"
  t_is "$(user_col "$e" emailVerified)" t "b: emailVerified is true in the database"
  la_session "$URL" "$COOKIE"
  t_is "$SESSION_USER $(jq -r .user.emailVerified <<<"$HTTP_BODY")" "$e true" "b: get-session with that cookie: the user, verified"
  la_sign_in "$URL" "$e" "$PW"
  t_is "$HTTP_CODE" 200 "b: sign-in works once verified"
  la_req GET "$link"
  t_is "$HTTP_CODE $(sed -n 's/^[Ll]ocation: //p' <<<"$HTTP_HDRS")" "302 /welcome" "b: the link again: already verified -> 302 callbackURL"
  t_is "$(q "SELECT count(*) FROM neon_auth.audit_log WHERE event = 'email_verify' AND user_id = '$uid'")" 1 "b: one email_verify audit row"
  # send-verification-email without a session: the 500 ms floor, reported
  local e2 t0 t1 t2; e2=$(email_of verify2)
  post "$URL/sign-up/email" "{\"email\":\"$e2\",\"password\":\"$PW\",\"name\":\"V2\"}"
  wait_mail "$e2" 1
  t0=$(na_now_ms); post "$URL/send-verification-email" "{\"email\":\"$e2\"}"; t1=$(na_now_ms)
  post "$URL/send-verification-email" "{\"email\":\"nobody-$LA_SUFFIX@example.com\"}"; t2=$(na_now_ms)
  t_is "$HTTP_CODE $HTTP_BODY" '200 {"status":true}' "b: send-verification-email without a session: 200 for an unknown address too"
  t_diag "send-verification-email without a session: $((t1 - t0)) ms (unverified user), $((t2 - t1)) ms (unknown address); floor 500 ms"
  if wait_mail "$e2" 2; then t_ok "b: ... and the unverified user got a second link"; else t_fail "b: second link"; fi
  cfg set main email_and_password '{"enabled":true}' >/dev/null
}

# ---------------------------------------------------------------- c: verification by code

test_c() {
  cfg set main email_and_password '{"enabled":true,"require_email_verification":true,"email_verification_method":"otp"}' >/dev/null
  local e; e=$(email_of code)
  post "$URL/sign-up/email" "{\"email\":\"$e\",\"password\":\"$PW\",\"name\":\"Otto\"}"
  wait_mail "$e" 1 || { t_fail "c: the code mail arrived"; return; }
  t_is "$(mr "$MSG" kind)" otp-email-verification "c: sign-up mailed an email-verification code (otp method)"
  local code; code=$(mr "$MSG" code)
  t_is "$(mr "$MSG" subject)" "$code is your $DB code" "c: the subject carries the code and the application name"
  local stored; stored=$(q "SELECT value FROM neon_auth.verification WHERE identifier = 'email-verification-otp-$e'")
  local want; want=$(printf %s "$code" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
  t_is "$stored" "$want:0" "c: the code is stored hashed: base64url(sha256(otp)):0"
  local wrong=000000; [ "$code" = 000000 ] && wrong=111111
  post "$URL/email-otp/verify-email" "{\"email\":\"$e\",\"otp\":\"$wrong\"}"
  t_is "$HTTP_CODE $(la_code)" "400 INVALID_OTP" "c: a wrong code -> 400 INVALID_OTP"
  post "$URL/email-otp/verify-email" "{\"email\":\"$e\",\"otp\":\"$wrong\"}"
  post "$URL/email-otp/verify-email" "{\"email\":\"$e\",\"otp\":\"$wrong\"}"
  post "$URL/email-otp/verify-email" "{\"email\":\"$e\",\"otp\":\"$code\"}"
  t_is "$HTTP_CODE $(la_code)" "403 TOO_MANY_ATTEMPTS" "c: after three wrong codes even the right one -> 403 TOO_MANY_ATTEMPTS"
  t_is "$(user_col "$e" emailVerified)" f "c: ... and the address is not verified"
  post "$URL/send-verification-email" "{\"email\":\"$e\"}"
  wait_mail "$e" 2 || { t_fail "c: a new code"; return; }
  code=$(mr "$MSG" code)
  q "UPDATE neon_auth.verification SET \"expiresAt\" = now() - interval '1 second' WHERE identifier = 'email-verification-otp-$e'" >/dev/null
  post "$URL/email-otp/verify-email" "{\"email\":\"$e\",\"otp\":\"$code\"}"
  t_is "$HTTP_CODE $(la_code)" "400 OTP_EXPIRED" "c: an expired code -> 400 OTP_EXPIRED"
  post "$URL/email-otp/send-verification-otp" "{\"email\":\"$e\",\"type\":\"email-verification\"}"
  wait_mail "$e" 3 || { t_fail "c: a third code"; return; }
  code=$(mr "$MSG" code)
  post "$URL/email-otp/check-verification-otp" "{\"email\":\"$e\",\"type\":\"email-verification\",\"otp\":\"$code\"}"
  t_is "$HTTP_CODE $HTTP_BODY" '200 {"success":true}' "c: check-verification-otp: the right code (not consumed)"
  post "$URL/email-otp/verify-email" "{\"email\":\"$e\",\"otp\":\"$code\"}"
  la_cookies_from_reply
  t_is "$HTTP_CODE $(jq -r '[.status, .user.emailVerified, (.token | length)] | join(" ")' <<<"$HTTP_BODY")" "200 true true 32" \
    "c: email-otp/verify-email with the code: status, a verified user and a session token"
  la_session "$URL" "$COOKIE"
  t_is "$SESSION_USER" "$e" "c: the session cookie works (auto sign-in)"
  t_is "$(user_col "$e" emailVerified)" t "c: emailVerified is true in the database"
  post "$URL/email-otp/verify-email" "{\"email\":\"$e\",\"otp\":\"$code\"}"
  t_is "$HTTP_CODE $(la_code)" "400 INVALID_OTP" "c: the code again -> 400 INVALID_OTP (consumed)"
  cfg set main email_and_password '{"enabled":true}' >/dev/null
}

# ---------------------------------------------------------------- d: sign-in with a code

test_d() {
  local e; e=$(email_of otp-new)
  post "$URL/email-otp/send-verification-otp" "{\"email\":\"$e\",\"type\":\"sign-in\"}"
  wait_mail "$e" 1 || { t_fail "d: sign-in code for a new address"; return; }
  post "$URL/sign-in/email-otp" "{\"email\":\"$e\",\"otp\":\"$(mr "$MSG" code)\",\"name\":\"Neu\"}"
  la_cookies_from_reply
  t_is "$HTTP_CODE $(jq -r '[.user.email, .user.emailVerified, .user.name] | join(" ")' <<<"$HTTP_BODY")" "200 $e true Neu" \
    "d: sign-in/email-otp for a new address creates a verified user"
  la_session "$URL" "$COOKIE"
  t_is "$SESSION_USER $(q "SELECT count(*) FROM neon_auth.account a JOIN neon_auth.\"user\" u ON u.id = a.\"userId\" WHERE u.email = '$e'")" "$e 0" \
    "d: ... with a session and no password account"
  OTP_ONLY=$e
  cfg set main email_and_password '{"enabled":true,"disable_sign_up":true}' >/dev/null
  local e2; e2=$(email_of otp-nosignup)
  post "$URL/email-otp/send-verification-otp" "{\"email\":\"$e2\",\"type\":\"sign-in\"}"
  sleep 1
  t_is "$HTTP_CODE $(mails_for "$e2") $(q "SELECT count(*) FROM neon_auth.verification WHERE identifier = 'sign-in-otp-$e2'")" "200 0 0" \
    "d: disable_sign_up: an unknown address gets the same 200 and no code"
  cfg set main email_and_password '{"enabled":true}' >/dev/null
  # an unverified password account proven by a code loses what predates the proof
  local e3; e3=$(email_of otp-unproven)
  la_sign_up "$URL" "$e3" "$PW" "Unproven"
  local c3=$COOKIE
  post "$URL/email-otp/send-verification-otp" "{\"email\":\"$e3\",\"type\":\"sign-in\"}"
  wait_mail "$e3" 1 || { t_fail "d: code for the unverified account"; return; }
  post "$URL/sign-in/email-otp" "{\"email\":\"$e3\",\"otp\":\"$(mr "$MSG" code)\"}"
  local st=$HTTP_CODE
  la_session "$URL" "$c3"
  t_is "$st $(user_col "$e3" emailVerified) $(q "SELECT count(*) FROM neon_auth.account a JOIN neon_auth.\"user\" u ON u.id = a.\"userId\" WHERE u.email = '$e3'") [$SESSION_USER]" \
    "200 t 0 []" "d: an unverified password account signed in by code: verified, its password and old sessions gone"
}

# ---------------------------------------------------------------- e: reset by code

test_e() {
  local e=${OTP_ONLY:-}
  [ -n "$e" ] || { t_skip "e: reset by code" "no user from d"; return; }
  post "$URL/email-otp/request-password-reset" "{\"email\":\"$e\"}"
  t_is "$HTTP_CODE $HTTP_BODY" '200 {"success":true}' "e: email-otp/request-password-reset -> 200"
  wait_mail "$e" 2 || { t_fail "e: the reset code arrived"; return; }
  t_is "$(mr "$MSG" kind)" otp-forget-password "e: a forget-password code"
  local code; code=$(mr "$MSG" code)
  post "$URL/email-otp/reset-password" "{\"email\":\"$e\",\"otp\":\"$code\",\"password\":\"short\"}"
  t_is "$HTTP_CODE $(la_code)" "400 PASSWORD_TOO_SHORT" "e: a short password -> PASSWORD_TOO_SHORT (nothing consumed)"
  post "$URL/email-otp/reset-password" "{\"email\":\"$e\",\"otp\":\"$code\",\"password\":\"$PW2\"}"
  t_is "$HTTP_CODE $HTTP_BODY" '200 {"success":true}' "e: email-otp/reset-password with the code -> 200"
  la_sign_in "$URL" "$e" "$PW2"
  t_is "$HTTP_CODE $(q "SELECT count(*) FROM neon_auth.account a JOIN neon_auth.\"user\" u ON u.id = a.\"userId\" WHERE u.email = '$e' AND a.\"providerId\" = 'credential'")" \
    "200 1" "e: a user without a password got a credential account and signs in with it"
  post "$URL/email-otp/reset-password" "{\"email\":\"$e\",\"otp\":\"$code\",\"password\":\"$PW\"}"
  t_is "$HTTP_CODE $(la_code)" "400 INVALID_OTP" "e: the code again -> 400 INVALID_OTP"
  post "$URL/forget-password/email-otp" "{\"email\":\"$e\"}"
  wait_mail "$e" 3 && t_ok "e: the deprecated forget-password/email-otp sends a code too" || t_fail "e: forget-password/email-otp"
}

# ---------------------------------------------------------------- f: magic link

test_f() {
  local e; e=$(email_of magic)
  post "$URL/sign-in/magic-link" "{\"email\":\"$e\"}"
  t_is "$HTTP_CODE" 404 "f: magic link off (plugin_configs) -> 404"
  cfg set main plugin_configs '{"organization":{"enabled":true},"magic-link":{"enabled":true,"expires_in":5}}' >/dev/null
  post "$URL/sign-in/magic-link" "{\"email\":\"$e\",\"name\":\"Magda\",\"callbackURL\":\"/home\",\"newUserCallbackURL\":\"/hello\",\"errorCallbackURL\":\"/oops\"}"
  t_is "$HTTP_CODE $HTTP_BODY" '200 {"status":true}' "f: sign-in/magic-link -> 200"
  wait_mail "$e" 1 || { t_fail "f: the magic link arrived"; return; }
  local link; link=$(mr "$MSG" link)
  case "$link" in "$URL/magic-link/verify?token="*"&callbackURL=%2Fhome&newUserCallbackURL=%2Fhello&errorCallbackURL=%2Foops") t_ok "f: the link carries the token and the three callbacks" ;;
    *) t_fail "f: link format" "$link" ;; esac
  la_req GET "$link"
  la_cookies_from_reply
  t_is "$HTTP_CODE $(sed -n 's/^[Ll]ocation: //p' <<<"$HTTP_HDRS") $([ -n "$COOKIE" ] && echo cookie)" "302 $ORIGIN/hello cookie" \
    "f: the link for a new user -> 302 newUserCallbackURL with a session"
  la_session "$URL" "$COOKIE"
  t_is "$SESSION_USER $(user_col "$e" emailVerified) $(user_col "$e" name)" "$e t Magda" "f: the session is the new, verified user Magda"
  la_req GET "$link"
  t_is "$HTTP_CODE $(sed -n 's/^[Ll]ocation: //p' <<<"$HTTP_HDRS")" "302 $ORIGIN/oops?error=INVALID_TOKEN" "f: the link again -> errorCallbackURL?error=INVALID_TOKEN"
  post "$URL/sign-in/magic-link" "{\"email\":\"$e\",\"callbackURL\":\"/home\"}"
  wait_mail "$e" 2
  link=$(mr "$MSG" link)
  local tok=${link#*token=}; tok=${tok%%&*}
  q "UPDATE neon_auth.verification SET \"expiresAt\" = now() - interval '1 second' WHERE identifier = 'magic-link:$tok'" >/dev/null
  la_req GET "$link"
  t_is "$HTTP_CODE $(sed -n 's/^[Ll]ocation: //p' <<<"$HTTP_HDRS")" "302 $ORIGIN/home?error=INVALID_TOKEN" "f: an expired link -> callbackURL?error=INVALID_TOKEN"
  cfg set main plugin_configs '{"organization":{"enabled":true},"magic-link":{"enabled":true,"disable_sign_up":true}}' >/dev/null
  local e2; e2=$(email_of magic-nosignup)
  post "$URL/sign-in/magic-link" "{\"email\":\"$e2\"}"
  wait_mail "$e2" 1 || { t_fail "f: magic link (disable_sign_up)"; return; }
  la_req GET "$(mr "$MSG" link)"
  t_is "$HTTP_CODE $(sed -n 's/^[Ll]ocation: //p' <<<"$HTTP_HDRS") $(q "SELECT count(*) FROM neon_auth.\"user\" WHERE email = '$e2'")" \
    "302 $ORIGIN/?error=new_user_signup_disabled 0" "f: disable_sign_up: ?error=new_user_signup_disabled, no user"
  la_req GET "$URL/magic-link/verify?token=x&callbackURL=https://evil.example.net/"
  t_is "$HTTP_CODE $(la_code)" "403 INVALID_CALLBACK_URL" "f: an untrusted callbackURL -> 403 INVALID_CALLBACK_URL"
}

# ---------------------------------------------------------------- g: change of address

test_g() {
  local e new; e=$(email_of change); new=$(email_of changed)
  la_sign_up "$URL" "$e" "$PW" "Chang"
  local c=$COOKIE
  q "UPDATE neon_auth.\"user\" SET \"emailVerified\" = true WHERE email = '$e'" >/dev/null
  post "$URL/change-email" "{\"newEmail\":\"$new\",\"callbackURL\":\"/changed\"}" -H "$(with_cookie "$c")"
  t_is "$HTTP_CODE $HTTP_BODY $(user_col "$e" email)" "200 {\"status\":true} $e" "g: change-email for a verified address -> 200, nothing changed yet"
  wait_mail "$e" 1 || { t_fail "g: the confirmation went to the current address"; return; }
  t_is "$(mr "$MSG" kind)" change_email "g: a change_email confirmation to the current address"
  grep -q "$new" <<<"$(mr "$MSG" text)" && t_ok "g: ... naming the new address" || t_fail "g: new address in the text"
  la_req GET "$(mr "$MSG" link)" "" -H "$(with_cookie "$c")"
  t_is "$HTTP_CODE $(sed -n 's/^[Ll]ocation: //p' <<<"$HTTP_HDRS") $(user_col "$e" email)" "302 /changed $e" "g: the confirmation link -> 302 /changed, address unchanged"
  wait_mail "$new" 1 || { t_fail "g: the verification went to the new address"; return; }
  la_req GET "$(mr "$MSG" link)" "" -H "$(with_cookie "$c")"
  t_is "$HTTP_CODE $(user_col "$new" emailVerified) $(q "SELECT count(*) FROM neon_auth.\"user\" WHERE email = '$e'")" "302 t 0" \
    "g: the new address's link -> 302; the user now has the new address, still verified"
  la_session "$URL" "$c"
  t_is "$SESSION_USER" "$new" "g: the session shows the new address"
  t_is "$(q "SELECT data->>'to' FROM neon_auth.audit_log WHERE event = 'email_change' AND user_id = (SELECT id FROM neon_auth.\"user\" WHERE email = '$new')")" \
    "$new" "g: an email_change audit row with the new address"
}

# ---------------------------------------------------------------- h: delete-user by emailed link

test_h() {
  cfg set main settings.delete_user_verification true >/dev/null
  local e; e=$(email_of delete)
  la_sign_up "$URL" "$e" "$PW" "Del"
  local c=$COOKIE
  post "$URL/delete-user" '{"callbackURL":"/bye"}' -H "$(with_cookie "$c")"
  t_is "$HTTP_CODE $HTTP_BODY $(q "SELECT count(*) FROM neon_auth.\"user\" WHERE email = '$e'")" \
    '200 {"success":true,"message":"Verification email sent"} 1' "h: delete-user with delete_user_verification: a link is sent, the user stays"
  wait_mail "$e" 1 || { t_fail "h: the deletion link arrived"; return; }
  local link; link=$(mr "$MSG" link)
  la_req GET "${link%%&*}&callbackURL=/bye"
  t_is "$HTTP_CODE $(la_code)" "404 FAILED_TO_GET_USER_INFO" "h: the link without the session -> 404 FAILED_TO_GET_USER_INFO"
  la_req GET "$link" "" -H "$(with_cookie "$c")"
  t_is "$HTTP_CODE $(sed -n 's/^[Ll]ocation: //p' <<<"$HTTP_HDRS") $(q "SELECT count(*) FROM neon_auth.\"user\" WHERE email = '$e'")" "302 /bye 0" \
    "h: the link with the session -> 302 /bye, the user is deleted"
  cfg set main settings.delete_user_verification false >/dev/null
}

# ---------------------------------------------------------------- i: templates

test_i() {
  local tpl='{"reset":{"subject":"Réinitialisez votre mot de passe — {{app_name}}","text":"Bonjour {{user_name}}: {{url}}","html":"<p>Bonjour {{user_name}}</p><a href=\"{{url}}\">ici</a>"}}'
  local out; out=$(cfg set main settings.templates "$tpl" 2>&1)
  t_is "$out" "branch main: settings.templates updated" "i: config set settings.templates (reset)"
  out=$(cfg set main settings.templates '{"reset":{"text":"{{nope}}"}}' 2>&1)
  case "$out" in *"{{nope}}"*) t_ok "i: an unknown placeholder is refused by config set" ;; *) t_fail "i: unknown placeholder refused" "$out" ;; esac
  local e; e=$(email_of tpl)
  la_sign_up "$URL" "$e" "$PW" "<b>Bob</b> & 'Co'"
  post "$URL/request-password-reset" "{\"email\":\"$e\"}"
  wait_mail "$e" 1 || { t_fail "i: templated mail"; return; }
  t_is "$(mr "$MSG" subject)" "Réinitialisez votre mot de passe — $DB" "i: the branch's subject, non-ASCII, decodes (RFC 2047)"
  case "$(mr "$MSG" header:Subject)" in =?UTF-8?B?*) t_ok "i: the raw Subject is encoded words" ;; *) t_fail "i: raw subject" "$(mr "$MSG" header:Subject)" ;; esac
  grep -qF '<p>Bonjour &lt;b&gt;Bob&lt;/b&gt; &amp; &#39;Co&#39;</p>' <<<"$(mr "$MSG" html)" &&
    t_ok "i: placeholders are HTML-escaped in the HTML part" || t_fail "i: HTML escaping" "$(mr "$MSG" html)"
  grep -qF "Bonjour <b>Bob</b> & 'Co':" <<<"$(mr "$MSG" text)" && t_ok "i: ... and as they are in the text part" || t_fail "i: text part" "$(mr "$MSG" text)"
  cfg set main settings.templates '{}' >/dev/null
}

# ---------------------------------------------------------------- j: no transport

test_j() {
  local pid0; pid0=$(status_json | jq -r .mail.pid)
  la_conf "$CONF" 3 60 "$branches" "$(mail_conf "")"
  kill -HUP "$MASTER"
  na_wait_ms 10000 eval '[ "$(status_json | jq -r ".mail.pid // empty")" != "" ] && [ "$(status_json | jq -r .mail.pid)" != "$pid0" ]'
  local pid1; pid1=$(status_json | jq -r .mail.pid)
  [ -n "$pid1" ] && [ "$pid1" != "$pid0" ] && t_ok "j: SIGHUP: the mail sender restarted ($pid0 -> $pid1)" || t_fail "j: mail sender restarted on HUP" "$(status_json | jq -c .mail)"
  local e; e=$(email_of nomail)
  la_sign_up "$URL" "$e" "$PW" "NoMail"
  local v0; v0=$(q "SELECT count(*) FROM neon_auth.verification")
  post "$URL/request-password-reset" "{\"email\":\"$e\"}"; local r1="$HTTP_CODE $(la_code)"
  post "$URL/send-verification-email" "{\"email\":\"$e\"}"; local r2="$HTTP_CODE $(la_code)"
  post "$URL/email-otp/send-verification-otp" "{\"email\":\"$e\",\"type\":\"sign-in\"}"; local r3="$HTTP_CODE $HTTP_BODY"
  t_is "$r1" "400 RESET_PASSWORD_DISABLED" "j: no transport: request-password-reset -> 400 RESET_PASSWORD_DISABLED"
  t_is "$r2" "400 VERIFICATION_EMAIL_NOT_ENABLED" "j: send-verification-email -> 400 VERIFICATION_EMAIL_NOT_ENABLED"
  t_is "$r3" '400 {"message":"send email verification is not implemented"}' "j: email-otp/send-verification-otp -> 400 (Better Auth's message)"
  t_is "$(q "SELECT count(*) FROM neon_auth.verification")" "$v0" "j: ... and nothing was written"
  # a branch's own provider works without a server default
  cfg set main email_provider "{\"type\":\"standard\",\"host\":\"127.0.0.1\",\"port\":$SMTP_PORT,\"security\":\"none\",\"sender_email\":\"branch@example.com\",\"sender_name\":\"Branch\"}" >/dev/null
  post "$URL/request-password-reset" "{\"email\":\"$e\"}"
  wait_mail "$e" 1 && t_is "$(mr "$MSG" from)" "Branch <branch@example.com>" "j: the branch's own email_provider sends without a server default" ||
    t_fail "j: branch email_provider"
  out=$(cfg set main email_provider '{"type":"standard","host":"smtp.example.com","port":99999}' 2>&1)
  case "$out" in *port*) t_ok "j: config set refuses an email_provider with a bad port" ;; *) t_fail "j: bad email_provider refused" "$out" ;; esac
  cfg set main email_provider null >/dev/null
  la_conf "$CONF" 3 60 "$branches" "$(mail_conf)"
  kill -HUP "$MASTER"
  na_wait_ms 10000 eval '[ "$(status_json | jq -r ".mail.pid // empty")" != "" ] && [ "$(status_json | jq -r .mail.pid)" != "$pid1" ]'
}

# ---------------------------------------------------------------- k: SMTP down, then back

test_k() {
  local i e codes=() t0 t1 max=0 sum=0 emails=()
  for i in $(seq 20); do
    e=$(email_of outage); emails+=("$e")
    la_sign_up "$URL" "$e" "$PW" "Out $i" >/dev/null
  done
  sink_stop main
  local sent0; sent0=$(status_json | jq -r .mail.sent)
  for e in "${emails[@]}"; do
    t0=$(na_now_ms)
    post "$URL/request-password-reset" "{\"email\":\"$e\"}"
    t1=$(na_now_ms)
    codes+=("$HTTP_CODE"); sum=$((sum + t1 - t0)); [ $((t1 - t0)) -gt $max ] && max=$((t1 - t0))
  done
  t_is "$(printf '%s\n' "${codes[@]}" | sort -u | xargs)" 200 "k: SMTP down: 20 request-password-reset all answer 200"
  t_diag "request times with SMTP down: mean $((sum / 20)) ms, max $max ms (20 requests; not asserted)"
  t0=$(na_now_ms); la_req GET "$URL/ok"; t1=$(na_now_ms)
  t_diag "GET ok during the outage: $((t1 - t0)) ms"
  na_wait_ms 8000 eval '[ "$(mail_status | jq ".retrying | length")" -ge 1 ]'
  local st; st=$(mail_status)
  t_is "$(jq '(.queued | length) + (.retrying | length)' <<<"$st")" 20 "k: mail status: 20 messages waiting (queued or retrying)"
  case "$(jq -r '.retrying[0].last_error' <<<"$st")" in *"127.0.0.1:$SMTP_PORT"*) t_ok "k: mail status: retrying with the last error ($(jq -r '.retrying[0].last_error' <<<"$st"))" ;;
    *) t_fail "k: retrying with last error" "$st" ;; esac
  local page; page=$(status_json | jq -c .mail)
  [ "$(jq '.queued + .retrying + .sending' <<<"$page")" = 20 ] && t_ok "k: the status page counts them: $page" || t_fail "k: status page counts" "$page"
  local human; human=$("$NA_BIN" mail status -c "$CONF" 2>&1 | head -n 1)
  case "$human" in *"retrying"*) t_ok "k: neon-authd mail status: $human" ;; *) t_fail "k: mail status text" "$human" ;; esac
  t_diag "SMTP down; starting it again in 30 s"
  sleep 30
  sink_start main "$SMTP_PORT" "$MAIL" || { t_fail "k: sink restarted"; return; }
  local all; all() { local e; for e in "${emails[@]}"; do [ "$(mails_for "$e")" -ge 1 ] || return 1; done; }
  t0=$(na_now_ms)
  if na_wait_ms 60000 all; then t_ok "k: SMTP back: all 20 messages arrived ($(( ($(na_now_ms) - t0) / 1000 )) s after it came back)"
  else t_fail "k: all 20 arrived" "$(mail_status)"; fi
  sleep 2
  local twice=0; for e in "${emails[@]}"; do [ "$(mails_for "$e")" = 1 ] || twice=$((twice + 1)); done
  t_is "$twice" 0 "k: none arrived twice"
  na_wait_ms 10000 queue_empty
  t_is "$(mail_status | jq '(.queued + .retrying) | length') $(( $(status_json | jq -r .mail.sent) - sent0 ))" "0 20" "k: the queue is empty and 20 more are counted sent"
}

# ---------------------------------------------------------------- l: SMTP that stalls, and 5xx

test_l() {
  local sp; sp=$(na_free_port "$SMTP_PORT" "$NA_NGINX_PORT" "$NA_PG_PORT")
  sink_start stall "$sp" "$T/mail-stall" --mode stall || { t_fail "l: stalling server"; return; }
  cfg set main email_provider "{\"type\":\"standard\",\"host\":\"127.0.0.1\",\"port\":$sp,\"security\":\"none\",\"sender_email\":\"stall@example.com\"}" >/dev/null
  local e; e=$(email_of stall)
  la_sign_up "$URL" "$e" "$PW" "Stall"
  local t0 t1; t0=$(na_now_ms)
  post "$URL/request-password-reset" "{\"email\":\"$e\"}"
  t1=$(na_now_ms)
  t_is "$HTTP_CODE" 200 "l: a stalling SMTP server: the request answers 200 (queued)"
  t_diag "request-password-reset with a stalling server: $((t1 - t0)) ms"
  local i ok=0; t0=$(na_now_ms)
  for i in $(seq 10); do la_req GET "$URL/ok"; [ "$HTTP_CODE" = 200 ] && ok=$((ok + 1)); done
  t_is "$ok" 10 "l: workers keep serving while the sender waits ($(( $(na_now_ms) - t0 )) ms for 10 requests)"
  stalled() { mail_status | jq -e --arg b main '.retrying[] | select(.last_error != null) | select(.attempts >= 1)' >/dev/null; }
  if na_wait_ms 20000 stalled; then
    t_ok "l: the attempt gave up at the timeout and is retrying: $(mail_status | jq -r '.retrying[0].last_error')"
  else t_fail "l: stalled attempt retried" "$(mail_status)"; fi
  sink_stop stall
  local rp; rp=$(na_free_port "$SMTP_PORT" "$NA_NGINX_PORT" "$NA_PG_PORT" "$sp")
  sink_start reject "$rp" "$T/mail-reject" --mode reject || { t_fail "l: rejecting server"; return; }
  cfg set main email_provider "{\"type\":\"standard\",\"host\":\"127.0.0.1\",\"port\":$rp,\"security\":\"none\",\"sender_email\":\"rej@example.com\"}" >/dev/null
  local e2; e2=$(email_of reject)
  la_sign_up "$URL" "$e2" "$PW" "Rej"
  local f0; f0=$(mail_status | jq '.failed | length')
  post "$URL/request-password-reset" "{\"email\":\"$e2\"}"
  failed_one() { [ "$(mail_status | jq '.failed | length')" -gt "$f0" ]; }
  if na_wait_ms 15000 failed_one; then
    local f; f=$(mail_status | jq -c '.failed[-1] | {attempts, last_error}')
    [ "$(jq -r .attempts <<<"$f")" = 1 ] && t_ok "l: a 5xx answer fails the message at the first attempt: $f" || t_fail "l: 5xx permanent" "$f"
  else t_fail "l: 5xx fails the message" "$(mail_status)"; fi
  sink_stop reject
  cfg set main email_provider null >/dev/null
  # the stalled message gives up eventually; take it out of the way of the next checks
  rm -f "$SPOOL"/queue/*
}

# ---------------------------------------------------------------- m: branch copy while mail is queued

test_m() {
  local emails=() e i
  for i in 1 2 3; do e=$(email_of copy); emails+=("$e"); la_sign_up "$URL" "$e" "$PW" "Copy $i" >/dev/null; done
  sink_stop main
  for e in "${emails[@]}"; do post "$URL/request-password-reset" "{\"email\":\"$e\"}"; done
  local rc=1 out=""
  for i in 1 2 3 4 5; do
    la_psql postgres -tAc "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE datname = '$DB' AND pid <> pg_backend_pid()" >/dev/null 2>&1
    out=$(la_psql postgres -c "CREATE DATABASE \"$DB2\" TEMPLATE \"$DB\"" 2>&1) && { rc=0; break; }
    sleep 0.3
  done
  [ "$rc" = 0 ] && t_ok "m: CREATE DATABASE $DB2 TEMPLATE $DB while 3 messages are queued for main" || { t_fail "m: copy" "$out"; sink_start main "$SMTP_PORT" "$MAIL"; return; }
  sink_start main "$SMTP_PORT" "$MAIL"
  local all; all() { local e; for e in "${emails[@]}"; do [ "$(mails_for "$e")" -ge 1 ] || return 1; done; }
  na_wait_ms 30000 all
  sleep 3
  local bad=0; for e in "${emails[@]}"; do
    [ "$(mails_for "$e")" = 1 ] && case "$(mr "$(mail_for "$e")" link)" in "$URL/"*) ;; *) bad=$((bad + 1)) ;; esac || bad=$((bad + 1))
  done
  t_is "$bad" 0 "m: each of main's 3 messages arrived once, with main's links"
  # the copy serves the same users, and sends only what it queues itself
  post "$URL2/request-password-reset" "{\"email\":\"${emails[0]}\"}"
  wait_mail "${emails[0]}" 2
  t_is "$(mails_for "${emails[0]}") $(mr "$MSG" link | cut -c1-${#URL2})" "2 $URL2" "m: the copy's own request: one message, with the copy's links"
  sleep 2
  t_is "$(mails_for "${emails[1]}") $(mails_for "${emails[2]}")" "1 1" "m: the copy sent nothing of main's queue"
}

# ---------------------------------------------------------------- n: TLS and AUTH

test_n() {
  local d=$T/tls
  mkdir -p "$d"
  if ! { openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=neon-authd test CA" -keyout "$d/ca.key" -out "$d/ca.pem" &&
         openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$d/srv.key" -out "$d/srv.csr" &&
         printf 'subjectAltName=DNS:localhost\n' > "$d/ext" &&
         openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 -extfile "$d/ext" -out "$d/srv.pem"; } >/dev/null 2>&1; then
    t_skip "n: TLS" "openssl could not make a test CA"; return
  fi
  local p1 p2; p1=$(na_free_port "$SMTP_PORT" "$NA_NGINX_PORT" "$NA_PG_PORT"); p2=$(na_free_port "$SMTP_PORT" "$NA_NGINX_PORT" "$NA_PG_PORT" "$p1")
  sink_start starttls "$p1" "$T/mail-tls" --tls-cert "$d/srv.pem" --tls-key "$d/srv.key" --auth "mailer:s3cret pass" || { t_fail "n: STARTTLS sink" "$(cat "$T/sink-starttls.log")"; return; }
  sink_start smtps "$p2" "$T/mail-tls" --tls-cert "$d/srv.pem" --tls-key "$d/srv.key" --implicit-tls || { t_fail "n: TLS sink"; return; }
  local e; e=$(email_of tls)
  la_sign_up "$URL" "$e" "$PW" "Tess"
  cfg set main email_provider "{\"type\":\"standard\",\"host\":\"localhost\",\"port\":$p1,\"security\":\"starttls\",\"username\":\"mailer\",\"password\":\"s3cret pass\",\"sender_email\":\"tls@example.com\"}" >/dev/null
  post "$URL/request-password-reset" "{\"email\":\"$e\"}"
  wait_mail "$e" 1 20 "$T/mail-tls" && t_ok "n: STARTTLS (certificate from the test CA, mail.ca_file) with AUTH: delivered" || t_fail "n: STARTTLS + AUTH" "$(mail_status)"
  cfg set main email_provider "{\"type\":\"standard\",\"host\":\"localhost\",\"port\":$p2,\"security\":\"tls\",\"sender_email\":\"tls@example.com\"}" >/dev/null
  post "$URL/request-password-reset" "{\"email\":\"$e\"}"
  wait_mail "$e" 2 20 "$T/mail-tls" && t_ok "n: implicit TLS (security tls): delivered" || t_fail "n: implicit TLS" "$(mail_status)"
  # 127.0.0.1 is not a name in the certificate: refused, retried
  cfg set main email_provider "{\"type\":\"standard\",\"host\":\"127.0.0.1\",\"port\":$p2,\"security\":\"tls\",\"sender_email\":\"tls@example.com\"}" >/dev/null
  local r0; r0=$(mail_status | jq '.retrying | length')
  post "$URL/request-password-reset" "{\"email\":\"$e\"}"
  na_wait_ms 15000 eval '[ "$(mail_status | jq ".retrying | length")" -gt '"$r0"' ]'
  sleep 1
  t_is "$(mails_for "$e" "$T/mail-tls") $(mail_status | jq '.retrying | length')" "2 $((r0 + 1))" \
    "n: a certificate that does not name the host is refused (not delivered, retrying: $(mail_status | jq -r '.retrying[-1].last_error'))"
  rm -f "$SPOOL"/queue/*
  cfg set main email_provider "{\"type\":\"standard\",\"host\":\"localhost\",\"port\":$p1,\"security\":\"starttls\",\"username\":\"mailer\",\"password\":\"wrong\",\"sender_email\":\"tls@example.com\"}" >/dev/null
  local f0; f0=$(mail_status | jq '.failed | length')
  post "$URL/request-password-reset" "{\"email\":\"$e\"}"
  na_wait_ms 15000 eval '[ "$(mail_status | jq ".failed | length")" -gt '"$f0"' ]'
  t_is "$(mail_status | jq -r '.failed[-1] | .attempts')" 1 "n: a wrong SMTP password: 5xx, failed at once ($(mail_status | jq -r '.failed[-1].last_error'))"
  grep -q 's3cret' "$LOG" && t_fail "n: the SMTP password never reaches the log" || t_ok "n: the SMTP password never reaches the log"
  sink_stop starttls; sink_stop smtps
  cfg set main email_provider null >/dev/null
}

# ---------------------------------------------------------------- o: the mail sender process

test_o() {
  local p0; p0=$(status_json | jq -r .mail.pid)
  kill -KILL "$p0"
  if na_wait_ms 10000 eval '[ "$(status_json | jq -r ".mail.pid // empty")" != "" ] && [ "$(status_json | jq -r .mail.pid)" != "'"$p0"'" ]'; then
    t_ok "o: the mail sender killed -> respawned ($p0 -> $(status_json | jq -r .mail.pid))"
  else t_fail "o: mail sender respawned" "$(status_json | jq -c .mail)"; fi
  local e; e=$(email_of after-respawn)
  la_sign_up "$URL" "$e" "$PW" "After"
  post "$URL/request-password-reset" "{\"email\":\"$e\"}"
  wait_mail "$e" 1 && t_ok "o: the new sender delivers" || t_fail "o: delivery after respawn"
  # no token, code or link of any delivered message in the daemon's log
  local f w leaked="" checked=0
  for f in "$MAIL"/*.eml; do
    for w in $(mr "$f" link | grep -oE '(reset-password/|token=)[A-Za-z0-9._-]{16,}' | sed 's/^[^/=]*[/=]//') $(mr "$f" code); do
      checked=$((checked + 1))
      grep -qF -- "$w" "$LOG" && leaked="$leaked $w"
    done
  done
  if [ -z "$leaked" ] && [ "$checked" -gt 10 ]; then t_ok "o: none of the $checked tokens and codes mailed appears in the log"
  else t_fail "o: no token or code in the log" "checked $checked, leaked:$leaked"; fi
  local mp; mp=$(status_json | jq -r .mail.pid)
  la_down
  if na_pid_dead "$mp" && grep -q 'mailer: stopped' "$LOG"; then t_ok "o: SIGTERM: the mail sender drained and stopped with the master"
  else t_fail "o: mail sender stopped" "$(tail -n 5 "$LOG")"; fi
}

# NA_EMAIL_ONLY="a k": only those sections (they build on each other: d before e)
for s in ${NA_EMAIL_ONLY:-a b c d e f g h i j k l m n o}; do "test_$s"; done
t_done
