#!/usr/bin/env bash
# Hostile input (issue 12), black box: the catalogue tests/hostile/cases/*.jsonl (one case a
# line: the request, the status and error code it must get) sent through a real nginx to the
# real binary by tests/hostile/run.py -- every endpoint group: malformed, truncated and deeply
# nested JSON, huge strings and numbers, wrong types for each field, invalid UTF-8, NUL bytes,
# duplicate and unknown keys, CRLF and open redirects in every URL field, SQL metacharacters,
# oversized bodies and headers, slow and half-sent requests, Host headers and paths aimed at
# PostgreSQL's own databases and at aliases of one database (a branch_template).
#
# Then, for the whole run:
#   - the database holds exactly what it held before plus what the valid cases created (each
#     neon_auth table dumped before and after: no row changed or gone but the ones a case says
#     it "touches", the new rows as many as the cases' "creates" say; the audit trail may grow);
#   - no worker was restarted (the status page's worker pids, max_requests 0; the metrics'
#     neon_authd_worker_exits_total), none crashed (the log), and no error-level log line came
#     from the hostile requests;
#   - the daemon still serves (sign-in with the fixture user).
#
# Environment: NA_BIN, NA_TEST_PGPORT, NA_TEST_TMP, KEEP=1, NA_TEST_TIMEOUT (240 s),
# HOSTILE_ONLY (an id prefix: run only those cases).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# the client's Host header as it came (port kept, case kept): the Host cases need it
export NA_NGINX_HTTP_HOST='$http_host'
. "$(dirname "${BASH_SOURCE[0]}")/lib_auth.sh"
NA_TEST_TIMEOUT=${NA_TEST_TIMEOUT:-240}
la_init hostile
HOSTILE=$NA_TOP/tests/hostile
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

DB=hostile_$LA_SUFFIX
URL=$ORIGIN/$DB/auth
la_db_create "$DB" || { echo "Bail out! cannot create database $DB"; exit 1; }
# a template beside the listed branch: {branch} from the Host, {database} from the path
tpl="branch_template = { auth_url = \"http://{branch}.hostile.test:$NA_NGINX_PORT/{database}/auth\"; database = \"host=127.0.0.1 port=$NA_PG_PORT user=postgres dbname={database} application_name={branch}\"; };"
# mail on (the email flows, OTP and magic link go past "isn't enabled"): a spool and an SMTP port
# nobody listens on; nothing is ever delivered, the messages wait in the spool
SMTP_PORT=$(na_free_port "$NA_NGINX_PORT" "$NA_PG_PORT")
mail="mail = { spool_dir = \"$T/spool\"; host = \"127.0.0.1\"; port = $SMTP_PORT; security = \"none\"; sender_email = \"auth@example.com\"; retry_base = 60; retry_max = 60; max_attempts = 2; timeout = 2; connect_timeout = 1; };"
la_conf "$CONF" 2 60 "$(la_branch main "/$DB/auth" "$DB")" "$tpl
$mail"
cfg() { "$NA_BIN" config "$@" -c "$CONF"; }
out=$("$NA_BIN" migrate --branch main -c "$CONF" 2>&1) || { echo "Bail out! migrate failed: $out"; exit 1; }
# every case is judged on its own: no rate limit; magic link on (its group is in the catalogue)
for kv in 'settings.rate_limit {"enabled":false}' \
    'plugin_configs {"magic-link":{"enabled":true},"organization":{"enabled":true}}' \
    "trusted_origins [\"$ORIGIN\"]"; do
  out=$(cfg set main ${kv%% *} "${kv#* }" 2>&1) || { echo "Bail out! config set $kv: $out"; exit 1; }
done
la_up || { echo "Bail out! daemon did not start"; t_diag "$LA_DIAG"; exit 1; }
t_diag "branch main = $URL; template http://{branch}.hostile.test:$NA_NGINX_PORT/{database}/auth"

# ---------------------------------------------------------------- fixtures (before the snapshot)

UE=user-$LA_SUFFIX@example.com AE=admin-$LA_SUFFIX@example.com PW=password-0123
la_sign_up "$URL" "$UE" "$PW" "Hostile User"
[ "$HTTP_CODE" = 200 ] && [ -n "$COOKIE" ] || { echo "Bail out! fixture sign-up: $(la_diag)"; exit 1; }
UC=$COOKIE UID_=$(jq -r '.user.id' <<<"$HTTP_BODY")
la_sign_up "$URL" "$AE" "$PW" "Hostile Admin"
[ "$HTTP_CODE" = 200 ] || { echo "Bail out! fixture admin sign-up: $(la_diag)"; exit 1; }
"$NA_BIN" user set-role main "$AE" admin -c "$CONF" >/dev/null 2>&1 || { echo "Bail out! set-role admin"; exit 1; }
la_sign_in "$URL" "$AE" "$PW"
AC=$COOKIE
la_req POST "$URL/organization/create" "{\"name\":\"Hostile Org\",\"slug\":\"hostile-$LA_SUFFIX\"}" \
  -H "Origin: $ORIGIN" -H "Cookie: neon-auth.session_token=$UC"
ORG_ID=$(jq -r '.id // empty' <<<"$HTTP_BODY" 2>/dev/null)
[ -n "$ORG_ID" ] || { echo "Bail out! fixture organization: $(la_diag)"; exit 1; }
# the branch's signing key exists before the snapshot (the first token makes it)
la_req GET "$URL/token" "" -H "Cookie: neon-auth.session_token=$UC"
[ "$HTTP_CODE" = 200 ] || { echo "Bail out! fixture token: $(la_diag)"; exit 1; }
t_ok "fixtures: a user, an admin, an organization, the signing key"

# ---------------------------------------------------------------- snapshot

TABLES=$(la_psql "$DB" -tAc "SELECT tablename FROM pg_tables WHERE schemaname = 'neon_auth' ORDER BY 1")
# the audit trail records hostile requests on purpose; the rest must only grow by the valid cases
SKIP_TABLES=" audit_log "
snapshot() { # DIR
  local t; mkdir -p "$1"
  for t in $TABLES; do
    case "$SKIP_TABLES" in *" $t "*) continue ;; esac
    la_psql "$DB" -c "COPY (SELECT * FROM neon_auth.\"$t\") TO STDOUT" | LC_ALL=C sort > "$1/$t"
  done
}
snapshot "$T/before"
PIDS_BEFORE=$(worker_pids)
# the scoreboard's count of worker exits (Prometheus metrics; each exit is a replacement)
exits() {
  curl -s --max-time 3 "$ORIGIN/_neon-authd/metrics" |
    awk '/^neon_authd_worker_exits_total/ {s += $NF; n++} END {if (n) print s + 0; else print "none"}'
}
EXITS_BEFORE=$(exits)
log_mark

# ---------------------------------------------------------------- the catalogue

ncases=$(cat "$HOSTILE"/cases/*.jsonl | grep -cv '^\s*\(//.*\)\?$')
t_diag "$ncases cases in tests/hostile/cases"
RESULTS=$T/results.jsonl
while IFS= read -r line; do
  case "$line" in
    "ok - "*) t_ok "${line#ok - }" ;;
    "not ok - "*) t_fail "${line#not ok - }" ;;
    *) echo "$line" ;;
  esac
done < <(HOSTILE_ORIGIN=$ORIGIN HOSTILE_BASE=/$DB/auth HOSTILE_USER_COOKIE=$UC HOSTILE_ADMIN_COOKIE=$AC \
  HOSTILE_SOCK=$SOCK HOSTILE_RESULTS=$RESULTS HOSTILE_CREATES=$T/creates.tsv HOSTILE_RUNID=$LA_SUFFIX \
  HOSTILE_VARS="USER_EMAIL=$UE
USER_ID=$UID_
ORG_ID=$ORG_ID
DB=$DB
PORT=$NA_NGINX_PORT
PGPORT=$NA_PG_PORT" "$PY" "$HOSTILE/run.py" 2>&1)

# ---------------------------------------------------------------- afterwards

sleep 0.5   # the last worker's access line
snapshot "$T/after"
# the rows the valid cases say they create, per table (run.py sums them)
declare -A WANT=() TOUCH=()
while IFS=$'\t' read -r t n m; do WANT[$t]=$n; TOUCH[$t]=$m; done < "$T/creates.tsv"
bad=""
for t in $TABLES; do
  case "$SKIP_TABLES" in *" $t "*) continue ;; esac
  gone=$(LC_ALL=C comm -23 "$T/before/$t" "$T/after/$t" | wc -l)
  added=$(LC_ALL=C comm -13 "$T/before/$t" "$T/after/$t" | wc -l)
  want=${WANT[$t]:-0} touch=${TOUCH[$t]:-0}
  # a touched row shows as one gone and one added
  if [ "$gone" -gt "$touch" ] || [ "$added" != $((want + gone)) ]; then
    bad="$bad $t: $gone rows changed or gone (may $touch), $((added - gone)) added (want $want);"
  fi
done
if [ -z "$bad" ]; then
  t_ok "the database holds what it held plus the valid cases' rows ($(echo "$TABLES" | wc -w) tables compared)"
else
  t_fail "the database holds what it held plus the valid cases' rows" "$bad" \
    "$(for t in $TABLES; do [ -f "$T/after/$t" ] && LC_ALL=C comm -3 "$T/before/$t" "$T/after/$t" | head -n 3 | cut -c1-200; done)"
fi
PIDS_AFTER=$(worker_pids)
t_is "$PIDS_AFTER" "$PIDS_BEFORE" "no worker restarted (status page worker pids)"
EXITS_AFTER=$(exits)
if [ "$EXITS_BEFORE" = none ]; then t_fail "worker exits in the metrics" "no neon_authd_worker_exits_total at $ORIGIN/_neon-authd/metrics"
else t_is "$EXITS_AFTER" "$EXITS_BEFORE" "no worker exit counted (neon_authd_worker_exits_total)"; fi
crashes=$(log_since | grep -cE 'signal [0-9]+|killed|dumped core|exited with status [1-9]' || true)
t_is "$crashes" 0 "the log reports no worker crash or abnormal exit"
errs=$(log_since | grep -E '^<[0-3]>' | grep -v 'the database is unavailable' || true)
if [ -z "$errs" ]; then t_ok "no error-level log line from the hostile requests"
else
  t_fail "no error-level log line from the hostile requests" "$(echo "$errs" | sort | uniq -c | sort -rn | head -n 5 | cut -c1-200)"
fi
if log_since | grep -qF -- "$PW"; then t_fail "no password in the log"; else t_ok "no password in the log"; fi
la_sign_in "$URL" "$UE" "$PW"
t_is "$HTTP_CODE" 200 "the fixture user still signs in afterwards"

t_done
