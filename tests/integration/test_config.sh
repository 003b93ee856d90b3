#!/usr/bin/env bash
# Per-branch configuration from the database (issue 3), black box: the real binary behind nginx,
# three workers, the branch's neon_auth.project_config changed with SQL and with the CLI.
#
#   a  a change made with SQL is in effect on the very next request on every worker (NOTIFY),
#      with no reload: 12 consecutive sign-ups right after the UPDATE all see it
#   b  the same for changes made with `neon-authd config set` (email_and_password, then
#      settings.password) -- and a scalar value (allow_localhost false) is accepted
#   c  `config get BRANCH [FIELD]` prints JSON
#   d  `config set` with invalid JSON, an unknown field, a bad value: non-zero exit, a message
#      naming the field, nothing changed
#   e  a branch whose project_config row was deleted gets a row with the defaults on first use
#   f  config_ttl: without a NOTIFY (session_replication_role = replica) the cached row is kept
#      (no polling); with config_ttl = 2 it is reloaded within the TTL
#   g  check-config on a bad file exits 78 naming file:line: option
#   h  no reload and no worker restart happened through a-e (same master, workers, generation)
#
# Environment: NA_BIN, NA_TEST_PGPORT (use this running cluster), NA_TEST_TMP, KEEP=1,
# NA_TEST_TIMEOUT (170 s).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_auth.sh"
la_init config

DB=cfg_$LA_SUFFIX
BASE=$ORIGIN/$DB/auth
la_db_create "$DB" || { echo "Bail out! cannot create database $DB"; exit 1; }
branches=$(la_branch main "/$DB/auth" "$DB")
la_conf "$CONF" 3 3600 "$branches"
cfg() { "$NA_BIN" config "$@" -c "$CONF"; }

out=$("$NA_BIN" migrate --branch main -c "$CONF" 2>&1) || { echo "Bail out! migrate failed: $out"; exit 1; }
# the row as migrate creates it, without id and timestamps (compared with a re-created row in e)
ROW_SQL="SELECT (to_jsonb(p) - 'id' - 'created_at' - 'updated_at')::text FROM neon_auth.project_config p"
MIGRATE_ROW=$(la_psql "$DB" -tAc "$ROW_SQL")
out=$(cfg set main settings.rate_limit '{"enabled":false}' 2>&1) || { echo "Bail out! config set rate_limit: $out"; exit 1; }
la_up || { echo "Bail out! daemon did not start"; t_diag "$LA_DIAG"; exit 1; }
MASTER0=$MASTER
PIDS0=$(worker_pids)
GEN0=$(status_json | jq -r .generation)
t_diag "daemon $MASTER0, workers $PIDS0, branch main = $BASE"

# ---------------------------------------------------------------- helpers

N_USER=0
# warm: requests until every worker has served this branch (and so cached its row)
warm() {
  local i
  log_mark
  for i in $(seq 30); do
    curl -s --max-time 5 -o /dev/null "$BASE/get-session"
    [ "$(log_pids get-session | wc -w)" -ge 3 ] && [ "$i" -ge 3 ] && return 0
  done
  return 1
}
# per-worker request counters from the status endpoint, "pid:requests ..."
counters() { status_json | jq -r '.workers[] | "\(.pid):\(.requests)"' 2>/dev/null | xargs; }
# workers whose counter grew by at least 2 between two counters() snapshots
grown() {
  local before=$1 after=$2 kv pid n b count=0
  for kv in $after; do
    pid=${kv%%:*}; n=${kv#*:}
    b=$(tr ' ' '\n' <<<"$before" | sed -n "s/^$pid://p")
    [ -n "$b" ] && [ $((n - b)) -ge 2 ] && count=$((count + 1))
  done
  echo "$count"
}
# series N PASSWORD WANT_HTTP WANT_CODE: N consecutive sign-ups with new emails; sets S_OK (how
# many matched), S_BAD (what did not), S_PIDS (workers that served them, from the access log),
# S_GROWN (workers whose status counter grew)
series() {
  local n=$1 pw=$2 want=$3 wcode=$4 i before
  S_OK=0 S_BAD=""
  before=$(counters)
  log_mark
  for i in $(seq "$n"); do
    N_USER=$((N_USER + 1))
    la_sign_up "$BASE" "user$N_USER-$LA_SUFFIX@example.com" "$pw" "User $N_USER"
    if [ "$HTTP_CODE" = "$want" ] && { [ -z "$wcode" ] || [ "$(la_code)" = "$wcode" ]; }; then
      S_OK=$((S_OK + 1))
    else
      S_BAD+="request $i: HTTP $HTTP_CODE ${HTTP_BODY:0:160}"$'\n'
    fi
  done
  na_wait_ms 1000 eval '[ "$(log_since | grep -c "route=sign-up/email status=")" -ge '"$n"' ]'
  S_PIDS=$(log_pids sign-up/email)
  S_GROWN=$(grown "$before" "$(counters)")
}
# check_series DESC N: one TAP line for the last series
check_series() {
  local desc=$1 n=$2 np
  np=$(wc -w <<<"$S_PIDS")
  if [ "$S_OK" = "$n" ] && [ "$np" = 3 ] && [ "$S_GROWN" -ge 2 ]; then
    t_ok "$desc: $S_OK/$n, served by workers $S_PIDS ($S_GROWN status counters grew)"
  else
    t_fail "$desc" "$S_OK/$n as expected; workers (access log): '$S_PIDS'; status counters grown: $S_GROWN" \
      "${S_BAD:-}" "$(log_since | tail -n 5)"
  fi
}

# ---------------------------------------------------------------- a: SQL

test_a() {
  warm || t_diag "warm-up did not reach all 3 workers: $(log_pids get-session)"
  series 3 "password-0123" 200 ""
  if [ "$S_OK" = 3 ]; then t_ok "a: sign-up is open before the change (3/3 -> 200)"
  else t_fail "a: sign-up is open before the change" "$S_BAD"; fi
  la_psql "$DB" -c "UPDATE neon_auth.project_config SET email_and_password = email_and_password || '{\"disable_sign_up\":true}'" >/dev/null ||
    t_fail "a: UPDATE project_config with psql"
  series 12 "password-0123" 400 EMAIL_PASSWORD_SIGN_UP_DISABLED
  check_series "a: SQL UPDATE disable_sign_up=true -> the next 12 sign-ups all 400 EMAIL_PASSWORD_SIGN_UP_DISABLED" 12
}

# ---------------------------------------------------------------- b: CLI

test_b() {
  local out rc
  out=$(cfg set main email_and_password '{"enabled":true,"disable_sign_up":false}' 2>"$T/set.err"); rc=$?
  if [ "$rc" = 0 ]; then t_ok "b: config set main email_and_password {...disable_sign_up:false} -> exit 0: $out"
  else t_fail "b: config set main email_and_password -> exit 0" "exit $rc: $out $(cat "$T/set.err")"; fi
  series 12 "password-0123" 200 ""
  check_series "b: after the CLI change the next 12 sign-ups all 200" 12

  out=$(cfg set main settings.password '{"min_length":12}' 2>&1); rc=$?
  if [ "$rc" = 0 ]; then t_ok "b: config set main settings.password {\"min_length\":12} -> exit 0"
  else t_fail "b: config set main settings.password -> exit 0" "exit $rc: $out"; fi
  series 12 "pass-01234" 400 PASSWORD_TOO_SHORT
  check_series "b: the next 12 sign-ups with a 10-character password all 400 PASSWORD_TOO_SHORT" 12
  series 3 "password-0123" 200 ""
  if [ "$S_OK" = 3 ]; then t_ok "b: a 13-character password is still accepted (3/3 -> 200)"
  else t_fail "b: a 13-character password is still accepted" "$S_BAD"; fi

  # a scalar JSON value: `config set main allow_localhost false`
  out=$(cfg set main allow_localhost false 2>&1); rc=$?
  local got; got=$(cfg get main allow_localhost 2>/dev/null)
  if [ "$rc" = 0 ] && [ "$got" = false ]; then t_ok "b: config set main allow_localhost false -> exit 0, config get says false"
  else t_fail "b: config set main allow_localhost false -> exit 0, config get says false" "exit $rc: $out" "config get: $got"; fi
  cfg set main allow_localhost ' true ' >/dev/null 2>&1
}

# ---------------------------------------------------------------- c: config get

test_c() {
  local out rc
  out=$(cfg get main 2>/dev/null); rc=$?
  if [ "$rc" = 0 ] && jq -e 'type == "object" and has("name") and has("trusted_origins") and has("email_and_password")
      and has("settings") and .settings.password.min_length == 12' <<<"$out" >/dev/null 2>&1; then
    t_ok "c: config get main prints the row as a JSON object ($(jq -r 'keys | join(",")' <<<"$out" | cut -c1-100)...)"
  else t_fail "c: config get main prints the row as a JSON object" "exit $rc" "$out"; fi
  out=$(cfg get main settings 2>/dev/null); rc=$?
  if [ "$rc" = 0 ] && jq -e '.password.min_length == 12 and .rate_limit.enabled == false' <<<"$out" >/dev/null 2>&1; then
    t_ok "c: config get main settings prints JSON: $(jq -c . <<<"$out")"
  else t_fail "c: config get main settings prints JSON with password and rate_limit" "exit $rc" "$out"; fi
  out=$(cfg get main settings.password 2>/dev/null); rc=$?
  if [ "$rc" = 0 ] && [ "$(jq -c . <<<"$out" 2>/dev/null)" = '{"min_length":12}' ]; then
    t_ok "c: config get main settings.password prints {\"min_length\":12}"
  else t_fail "c: config get main settings.password prints {\"min_length\":12}" "exit $rc" "$out"; fi
  out=$(cfg get main email_and_password 2>/dev/null); rc=$?
  if [ "$rc" = 0 ] && jq -e '.disable_sign_up == false' <<<"$out" >/dev/null 2>&1; then
    t_ok "c: config get main email_and_password prints JSON: $(jq -c . <<<"$out")"
  else t_fail "c: config get main email_and_password prints JSON" "exit $rc" "$out"; fi
  out=$(cfg get nosuchbranch 2>&1); rc=$?
  if [ "$rc" != 0 ] && grep -q nosuchbranch <<<"$out"; then t_ok "c: config get of an unknown branch fails (exit $rc): $(grep nosuchbranch <<<"$out" | head -1)"
  else t_fail "c: config get of an unknown branch fails naming it" "exit $rc: $out"; fi
}

# ---------------------------------------------------------------- d: config set errors

# set_fails DESC FIELD JSON ERE: non-zero exit, stderr matches ERE and names FIELD, nothing on
# stdout, the row unchanged (updated_at included)
set_fails() {
  local desc=$1 field=$2 val=$3 ere=$4 before after out err rc
  before=$(la_psql "$DB" -tAc "SELECT row_to_json(p) FROM neon_auth.project_config p")
  out=$("$NA_BIN" config set main "$field" "$val" -c "$CONF" 2>"$T/set.err"); rc=$?
  err=$(grep -v 'pool_connect' "$T/set.err")
  after=$(la_psql "$DB" -tAc "SELECT row_to_json(p) FROM neon_auth.project_config p")
  if [ "$rc" != 0 ] && [ -z "$out" ] && grep -qE -- "$ere" <<<"$err" && grep -qF -- "$field" <<<"$err" &&
     [ -n "$before" ] && [ "$before" = "$after" ]; then
    t_ok "d: $desc -> exit $rc, \"$(head -1 <<<"$err")\", row unchanged"
  else
    t_fail "d: $desc -> non-zero exit, message matching /$ere/ naming $field, row unchanged" \
      "exit $rc stdout '$out'" "stderr: $err" "row changed: $([ "$before" = "$after" ] && echo no || echo yes)"
  fi
}

test_d() {
  set_fails "config set main email_and_password '{\"enabled\":' (invalid JSON)" \
    email_and_password '{"enabled":' 'not valid JSON'
  set_fails "config set main no_such_field '\"x\"' (unknown field)" no_such_field '"x"' 'unknown field'
  set_fails "config set main trusted_origins '\"x\"' (bad value)" trusted_origins '"x"' 'must be an array'
  set_fails "config set main settings.no_such_key '{}' (unknown settings key)" settings.no_such_key '{}' 'unknown'
  set_fails "config set main settings.cookies '{\"same_site\":\"strict\"}' (bad value)" \
    settings.cookies '{"same_site":"strict"}' 'same_site'
  set_fails "config set main settings.password '{\"min_length\":\"twelve\"}' (wrong type inside an object)" \
    settings.password '{"min_length":"twelve"}' 'min_length'
  # whatever happened above, the branch keeps min_length 12
  cfg set main settings.password '{"min_length":12}' >/dev/null 2>&1
}

# ---------------------------------------------------------------- e: deleted row

test_e() {
  local n codes="" i row
  la_psql "$DB" -c "DELETE FROM neon_auth.project_config" >/dev/null || t_fail "e: DELETE FROM neon_auth.project_config"
  n=$(la_psql "$DB" -tAc "SELECT count(*) FROM neon_auth.project_config")
  t_is "$n" 0 "e: project_config row deleted"
  log_mark
  for i in 1 2 3 4 5 6; do
    la_req GET "$BASE/get-session"; codes+="$HTTP_CODE "
  done
  n=$(la_psql "$DB" -tAc "SELECT count(*) FROM neon_auth.project_config")
  if [ "$codes" = "200 200 200 200 200 200 " ] && [ "$n" = 1 ]; then
    t_ok "e: the next 6 requests answer 200 and the branch has a project_config row again"
  else
    t_fail "e: the next requests answer 200 and the branch has a project_config row again" "codes: $codes" "rows: $n" "$(log_since | tail -n 5)"
  fi
  # "the defaults": the row a first use creates is the row migrate creates
  row=$(la_psql "$DB" -tAc "$ROW_SQL")
  if [ "$row" = "$MIGRATE_ROW" ]; then
    t_ok "e: the re-created row holds the same defaults as the row migrate creates"
  else
    t_fail "e: the re-created row holds the same defaults as the row migrate creates" "migrate:   $MIGRATE_ROW" "first use: $row"
  fi
  # the defaults are in effect on every worker: min_length back to 8, sign-up open
  cfg set main settings.rate_limit '{"enabled":false}' >/dev/null 2>&1
  series 6 "pass-0123" 200 ""
  if [ "$S_OK" = 6 ] && [ "$(wc -w <<<"$S_PIDS")" = 3 ]; then
    t_ok "e: defaults in effect on every worker: 9-character passwords accepted again (6/6, workers $S_PIDS)"
  else t_fail "e: defaults in effect on every worker (9-character password accepted)" "$S_OK/6, workers '$S_PIDS'" "$S_BAD"; fi
}

# ---------------------------------------------------------------- h: no reload happened

test_h() {
  local j
  j=$(status_json)
  if [ "$(jq -r .pid <<<"$j")" = "$MASTER0" ] && [ "$(jq -r .generation <<<"$j")" = "$GEN0" ] &&
     [ "$(worker_pids)" = "$PIDS0" ] && na_pid_alive "$MASTER0"; then
    t_ok "h: no reload, no worker restart through a-e (master $MASTER0, generation $GEN0, workers $PIDS0)"
  else
    t_fail "h: no reload, no worker restart through a-e" "before: master $MASTER0 gen $GEN0 workers $PIDS0" "now: $j"
  fi
}

# ---------------------------------------------------------------- f: config_ttl

silent_sql() { # SQL without firing the NOTIFY trigger
  la_psql "$DB" -c "SET session_replication_role = replica; $1" >/dev/null
}

test_f() {
  warm
  silent_sql "UPDATE neon_auth.project_config SET email_and_password = coalesce(email_and_password, '{}') || '{\"disable_sign_up\":true}'" ||
    t_fail "f: silent UPDATE"
  series 6 "password-0123" 200 ""
  if [ "$S_OK" = 6 ]; then
    t_ok "f: an UPDATE that sends no NOTIFY is not seen with config_ttl=3600 (6/6 sign-ups still 200: cached, no polling)"
  else t_fail "f: an UPDATE that sends no NOTIFY is not seen with config_ttl=3600 (cache kept)" "$S_OK/6" "$S_BAD"; fi

  # reload with config_ttl = 2: the new workers read the row afresh
  local gen1 j
  gen1=$(status_json | jq -r .generation)
  la_conf "$CONF" 3 2 "$branches"
  kill -HUP "$MASTER"
  reloaded() {
    j=$(status_json) || return 1
    [ "$(jq -r .generation <<<"$j")" != "$gen1" ] && [ "$(jq -r '.workers | length' <<<"$j")" = 3 ] &&
      [ "$(jq -r '[.workers[].generation] | unique | length' <<<"$j")" = 1 ]
  }
  if ! na_wait_ms 8000 reloaded; then t_fail "f: SIGHUP with config_ttl=2 -> new generation" "$(status_json)"; return; fi
  series 6 "password-0123" 400 EMAIL_PASSWORD_SIGN_UP_DISABLED
  if [ "$S_OK" = 6 ]; then t_ok "f: after SIGHUP (config_ttl=2) the new workers read the row: sign-up disabled (6/6)"
  else t_fail "f: after SIGHUP the new workers read the row: sign-up disabled" "$S_OK/6" "$S_BAD"; fi
  silent_sql "UPDATE neon_auth.project_config SET email_and_password = coalesce(email_and_password, '{}') || '{\"disable_sign_up\":false}'" ||
    t_fail "f: silent UPDATE back"
  sleep 2.3
  series 12 "password-0123" 200 ""
  check_series "f: config_ttl=2 backstop: 2.3 s after an UPDATE without NOTIFY the next 12 sign-ups all 200" 12
}

# ---------------------------------------------------------------- g: check-config

test_g() {
  local bad=$T/bad.conf out rc line
  # 1: a value out of range, on a known line
  la_conf "$bad" 3 60 "$branches"
  sed -i 's/^  workers = 3;$/  workers = 0;/' "$bad"
  line=$(grep -n '^  workers = 0;$' "$bad" | cut -d: -f1)
  out=$("$NA_BIN" check-config -c "$bad" 2>&1); rc=$?
  if [ "$rc" = 78 ] && grep -qF "$bad:$line:" <<<"$out" && grep -q 'pool.workers' <<<"$out"; then
    t_ok "g: check-config, workers = 0 -> exit 78: $out"
  else t_fail "g: check-config, workers = 0 -> exit 78 naming $bad:$line: pool.workers" "exit $rc: $out"; fi
  # 2: an unknown option
  la_conf "$bad" 3 60 "$branches" "frobnicate = true;"
  line=$(grep -n '^frobnicate' "$bad" | cut -d: -f1)
  out=$("$NA_BIN" check-config -c "$bad" 2>&1); rc=$?
  if [ "$rc" = 78 ] && grep -qF "$bad:$line:" <<<"$out" && grep -q 'frobnicate' <<<"$out"; then
    t_ok "g: check-config, unknown option -> exit 78: $out"
  else t_fail "g: check-config, unknown option -> exit 78 naming $bad:$line: frobnicate" "exit $rc: $out"; fi
  # 3: a branch without a database
  la_conf "$bad" 3 60 "  { name = \"x\"; auth_url = \"$ORIGIN/x/auth\"; }"
  line=$(grep -n 'name = "x"' "$bad" | cut -d: -f1)
  out=$("$NA_BIN" check-config -c "$bad" 2>&1); rc=$?
  if [ "$rc" = 78 ] && grep -qF "$bad:$line:" <<<"$out" && grep -q 'branches\[0\]' <<<"$out"; then
    t_ok "g: check-config, branch without database -> exit 78: $out"
  else t_fail "g: check-config, branch without database -> exit 78 naming $bad:$line: branches[0]" "exit $rc: $out"; fi
  # 4: a syntax error
  printf 'pool = { workers = 3 \nlisten = ;\n' > "$bad"
  out=$("$NA_BIN" check-config -c "$bad" 2>&1); rc=$?
  if [ "$rc" = 78 ] && grep -qE "$bad:[0-9]+:" <<<"$out"; then
    t_ok "g: check-config, syntax error -> exit 78: $out"
  else t_fail "g: check-config, syntax error -> exit 78 naming $bad:LINE" "exit $rc: $out"; fi
}

test_a
test_b
test_c
test_d
test_e
test_h
test_f
test_g

if grep -qiE 'AddressSanitizer|double free|corrupted|stack smashing|core dumped|exited on signal' "$LOG"; then
  t_fail "daemon log shows no crash" "$(grep -iE 'AddressSanitizer|double free|corrupted|stack smashing|core dumped|exited on signal' "$LOG" | head)"
else
  t_ok "daemon log shows no crash"
fi
la_down
t_done
