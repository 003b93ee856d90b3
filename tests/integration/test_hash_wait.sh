#!/usr/bin/env bash
# The hash gate's bounded wait (issue 12 #9, pool.hash_wait), black box: the real binary behind
# nginx with pool.hash_concurrency = 1 and 3 workers, sign-ins sent 9 at once.
#
#   a  pool.hash_wait = 1 ms: every sign-in answers 200 (with its cookie) or 503
#      {"code":"SERVICE_BUSY"} (the protocol's error JSON, no partial reply); get-session answers
#      200 while the sign-ins run; nothing is logged at error level
#   b  pool.hash_wait = 0 (no bound, the old behaviour): the same burst answers 200 every time
#   c  check-config refuses a negative pool.hash_wait
#
# Environment: NA_BIN, NA_TEST_PGPORT (use this running cluster), NA_TEST_TMP, KEEP=1.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_auth.sh"
la_init hash_wait

DB=hw_$LA_SUFFIX
la_db_create "$DB" || { echo "Bail out! cannot create database $DB"; exit 1; }
URL=$ORIGIN/$DB/auth
conf() {  # HASH_WAIT
  la_conf "$CONF" 3 60 "$(la_branch main "/$DB/auth" "$DB")"
  sed -i "s/^  shutdown_timeout = 5;/  shutdown_timeout = 5;\n  hash_concurrency = 1;\n  hash_wait = $1;/" "$CONF"
}
conf 1
out=$("$NA_BIN" migrate --branch main -c "$CONF" 2>&1) || { echo "Bail out! migrate failed: $out"; exit 1; }
"$NA_BIN" config set main settings.rate_limit '{"enabled":false}' -c "$CONF" >/dev/null 2>&1 ||
  { echo "Bail out! config set failed"; exit 1; }
la_up || { echo "Bail out! daemon did not start"; t_diag "$LA_DIAG"; exit 1; }
EMAIL=hw-$LA_SUFFIX@example.com PW=password-0123
la_sign_up "$URL" "$EMAIL" "$PW" "H"
[ "$HTTP_CODE" = 200 ] && [ -n "$COOKIE" ] || la_sign_up "$URL" "$EMAIL" "$PW" "H"
[ -n "$COOKIE" ] || { echo "Bail out! sign-up failed: $(la_diag)"; exit 1; }
C0=$COOKIE

# burst TAG: 9 sign-ins at once, and get-session meanwhile; sets N200 N503 BAD GS
burst() {
  local i pids=() f c
  for i in $(seq 1 9); do
    curl -s --max-time 20 -o "$T/$1.$i.body" -D "$T/$1.$i.hdr" -w '%{http_code}' -H 'Content-Type: application/json' \
      --data-binary "{\"email\":\"$EMAIL\",\"password\":\"$PW\"}" "$URL/sign-in/email" >"$T/$1.$i.code" &
    pids+=($!)
  done
  la_session "$URL" "$C0"; GS="$HTTP_CODE $SESSION_USER"
  wait "${pids[@]}"
  N200=0 N503=0 BAD=""
  for i in $(seq 1 9); do
    c=$(cat "$T/$1.$i.code")
    case $c in
      200) if grep -qi '^set-cookie: neon-auth.session_token=' "$T/$1.$i.hdr"; then N200=$((N200 + 1)); else BAD="$BAD 200-without-cookie"; fi ;;
      503) if jq -e '.code == "SERVICE_BUSY" and (.message | type == "string")' "$T/$1.$i.body" >/dev/null 2>&1; then
             N503=$((N503 + 1)); else BAD="$BAD 503:$(head -c 80 "$T/$1.$i.body")"; fi ;;
      *) BAD="$BAD $c" ;;
    esac
  done
}

log_mark
burst a
t_is "${BAD:-none}" none "a: hash_wait 1 ms: 9 sign-ins at once, each 200 with a cookie or 503 SERVICE_BUSY ($N200 x 200, $N503 x 503)"
t_is "$GS" "200 $EMAIL" "a: get-session answers meanwhile"
n=$(log_since | grep -c '^<[0-3]>' || true)
t_is "$n" 0 "a: no error-level log line"

la_down
conf 0
la_up || { echo "Bail out! daemon did not restart"; t_diag "$LA_DIAG"; exit 1; }
burst b
t_is "${BAD:-none} $N200" "none 9" "b: hash_wait 0 (no bound): the same burst, 9 x 200"
la_down

sed -i "s/hash_wait = 0;/hash_wait = -1;/" "$CONF"
out=$("$NA_BIN" check-config -c "$CONF" 2>&1); rc=$?
if [ "$rc" != 0 ] && grep -q hash_wait <<<"$out"; then t_ok "c: check-config refuses pool.hash_wait = -1: $out"
else t_fail "c: check-config refuses pool.hash_wait = -1" "rc $rc: $out"; fi
t_done
