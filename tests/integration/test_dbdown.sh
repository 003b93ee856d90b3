#!/usr/bin/env bash
# Database down, schema missing, concurrent migrate (issue 3), black box: the real binary behind
# nginx, three workers, a PostgreSQL cluster of its own (it is stopped and started, so the
# shared NA_TEST_PGPORT cluster is never used here).
#
#   a  PostgreSQL stopped under a bounded load of GET get-session with a valid cookie: every
#      answer is 200 (session) or 503 {"code":"DATABASE_UNAVAILABLE","message":...}; the status
#      endpoint answers during the outage; same master, same workers, no worker exit
#   b  after `pg_ctl start` returns, service resumes by itself within 2 s (polled every 100 ms),
#      then on every worker
#   c  a branch whose database has no neon_auth schema: 503 with code and message, at most one
#      log line naming the branch per worker (not one per request); after
#      `neon-authd migrate --branch NAME` it works, without a restart
#   d  `neon-authd migrate` twice at once and twice in a row: all succeed, each migration is
#      applied once, the later runs apply 0
#
# Environment: NA_BIN, NA_TEST_TMP, KEEP=1, NA_TEST_TIMEOUT (170 s).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_auth.sh"
la_init dbdown own

DB=dd_main DBN=dd_nomig DBM=dd_migc
BASE=$ORIGIN/$DB/auth
BASEN=$ORIGIN/$DBN/auth
for d in "$DB" "$DBN" "$DBM"; do la_db_create "$d" || { echo "Bail out! cannot create database $d"; exit 1; }; done
branches="$(la_branch main "/$DB/auth" "$DB"),
$(la_branch nomig "/$DBN/auth" "$DBN"),
$(la_branch migc "/$DBM/auth" "$DBM")"
la_conf "$CONF" 3 60 "$branches"
out=$("$NA_BIN" migrate --branch main -c "$CONF" 2>&1) || { echo "Bail out! migrate failed: $out"; exit 1; }
out=$("$NA_BIN" config set main settings.rate_limit '{"enabled":false}' -c "$CONF" 2>&1) ||
  { echo "Bail out! config set rate_limit: $out"; exit 1; }
la_up || { echo "Bail out! daemon did not start"; t_diag "$LA_DIAG"; exit 1; }
MASTER0=$MASTER

EMAIL=dbdown-$LA_SUFFIX@example.com
la_sign_up "$BASE" "$EMAIL" "password-0123" "DB Down"
[ "$HTTP_CODE" = 200 ] && [ -n "$COOKIE" ] || { echo "Bail out! sign-up failed: $(la_diag)"; exit 1; }
SESSION_COOKIE=$COOKIE
la_session "$BASE" "$SESSION_COOKIE"
t_is "$HTTP_CODE $SESSION_USER" "200 $EMAIL" "setup: get-session with the cookie returns the session"

# session_ok: one GET get-session with the cookie returns the user
session_ok() {
  [ "$(curl -s --max-time 2 -H "Cookie: neon-auth.session_token=$SESSION_COOKIE" "$BASE/get-session" 2>/dev/null |
    jq -r '.user.email // empty' 2>/dev/null)" = "$EMAIL" ]
}

# The load: wrk with a script that sorts every answer into "200" (the session), "503" (JSON with
# code DATABASE_UNAVAILABLE and a message) or "other:<status>", and prints "CODE <kind> <n>".
write_load_lua() {
  cat > "$T/load.lua" <<LUA
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) kinds = {} end
function response(status, headers, body)
  local k = "other:" .. status
  if status == 200 and body:find('"email":"$EMAIL"', 1, true) then k = "200"
  elseif status == 503 and body:find('"code":"DATABASE_UNAVAILABLE"', 1, true)
      and body:find('"message":"', 1, true) then k = "503" end
  kinds[k] = (kinds[k] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("kinds")) do total[k] = (total[k] or 0) + v end
  end
  for k, v in pairs(total) do io.write(string.format("CODE %s %d\n", k, v)) end
end
LUA
}
kind_count() { sed -n "s/^CODE $1 \([0-9]*\)$/\1/p" "$T/wrk.txt" | head -1; }

# ---------------------------------------------------------------- a, b: PostgreSQL down under load

test_ab() {
  local pids0 gen0 t_stop t_up t0 el j code n_ok n_503 other
  pids0=$(worker_pids); gen0=$(status_json | jq -r .generation)
  command -v wrk >/dev/null || { t_fail "a: wrk is installed"; return; }
  write_load_lua
  wrk -t2 -c4 -d10s --timeout 3s -s "$T/load.lua" -H "Cookie: neon-auth.session_token=$SESSION_COOKIE" \
    "$BASE/get-session" > "$T/wrk.txt" 2>&1 &
  WRK=$!; BG+=("$WRK")
  sleep 1
  log_mark
  na_pg_stop "$PG_DATA" || t_fail "a: pg_ctl stop"
  t_stop=$(na_now_ms)
  sleep 1

  # during the outage
  la_req GET "$BASE/get-session" "" -H "Cookie: neon-auth.session_token=$SESSION_COOKIE"
  code=$(la_code)
  if [ "$HTTP_CODE" = 503 ] && [ "$code" = DATABASE_UNAVAILABLE ] &&
     [ -n "$(jq -r '.message // empty' <<<"$HTTP_BODY" 2>/dev/null)" ]; then
    t_ok "a: database down: get-session -> 503 $HTTP_BODY"
  else
    t_fail "a: database down: get-session -> 503 {\"code\":\"DATABASE_UNAVAILABLE\",\"message\":...}" "$(la_diag)"
  fi
  la_sign_in "$BASE" "$EMAIL" "password-0123"
  if [ "$HTTP_CODE" = 503 ] && [ "$(la_code)" = DATABASE_UNAVAILABLE ]; then
    t_ok "a: database down: sign-in/email -> 503 DATABASE_UNAVAILABLE"
  else t_fail "a: database down: sign-in/email -> 503 DATABASE_UNAVAILABLE" "$(la_diag)"; fi
  j=$(status_json)
  if [ "$(jq -r .pid <<<"$j" 2>/dev/null)" = "$MASTER0" ] && [ "$(jq -r '.workers | length' <<<"$j")" = 3 ]; then
    t_ok "a: database down: the status endpoint answers (master $MASTER0, 3 workers)"
  else t_fail "a: database down: the status endpoint answers with the same master and 3 workers" "$j"; fi
  sleep 1

  # back up
  na_pg_start "$PG_DATA" "$NA_PG_PORT" "$PG_LOG" || t_fail "a: pg_ctl start"
  t_up=$(na_now_ms)
  t0=$t_up
  while ! session_ok; do
    [ $(( $(na_now_ms) - t0 )) -ge 5000 ] && break
    sleep 0.1
  done
  el=$(( $(na_now_ms) - t_up ))
  if session_ok && [ "$el" -le 2000 ]; then
    t_ok "b: service resumed ${el} ms after pg_ctl start returned (outage $(( t_up - t_stop )) ms)"
  else
    t_fail "b: service resumes within 2 s of pg_ctl start returning" "${el} ms, still failing: $(session_ok && echo no || echo yes)" \
      "$(log_since | tail -n 8)"
  fi
  n=0
  for _ in $(seq 15); do session_ok && n=$((n + 1)); done
  t_is "$n" 15 "b: then 15 consecutive get-session requests return the session (every worker)"

  na_wait_ms 15000 na_pid_dead "$WRK"; kill "$WRK" 2>/dev/null; wait "$WRK" 2>/dev/null
  na_wrk_parse "$T/wrk.txt"
  n_ok=$(kind_count 200); n_503=$(kind_count 503)
  other=$(grep '^CODE other' "$T/wrk.txt" | xargs)
  if [ "$WRK_REQS" -gt 100 ] && [ "${n_503:-0}" -gt 0 ] && [ "${n_ok:-0}" -gt 0 ] && [ -z "$other" ] &&
     [ "$WRK_SOCKERR" = 0 ] && [ $(( n_ok + n_503 )) = "$WRK_REQS" ]; then
    t_ok "a: under load (wrk, 10 s): $WRK_REQS answers, $n_ok 200 with the session, $n_503 503 DATABASE_UNAVAILABLE, nothing else"
  else
    t_fail "a: under load every answer is 200 (session) or 503 DATABASE_UNAVAILABLE, no socket error" \
      "$WRK_REQS answers, ${n_ok:-0} 200, ${n_503:-0} 503, others: '$other', socket errors $WRK_SOCKERR" \
      "$(cat "$T/wrk.txt")"
  fi
  j=$(status_json)
  if [ "$(jq -r .pid <<<"$j")" = "$MASTER0" ] && [ "$(worker_pids)" = "$pids0" ] &&
     [ "$(jq -r .generation <<<"$j")" = "$gen0" ] && ! log_since | grep -q 'exited'; then
    t_ok "a: workers stayed up: same master $MASTER0, same workers $pids0, no worker exit logged"
  else
    t_fail "a: workers stayed up (same master, same workers, no exit)" "before: $MASTER0 / $pids0" "now: $j" \
      "$(log_since | grep exited | head -n 5)"
  fi
  t_diag "log lines at warning level during the outage: $(log_since | grep -c '^<4>') for $n_503 503 answers"
}

# ---------------------------------------------------------------- c: schema missing

test_c() {
  local codes="" bodyok=0 n pids nlog
  log_mark
  for _ in $(seq 20); do
    la_req GET "$BASEN/get-session"
    codes+="$HTTP_CODE "
    if [ "$HTTP_CODE" = 503 ] && [ -n "$(la_code)" ] && [ -n "$(jq -r '.message // empty' <<<"$HTTP_BODY" 2>/dev/null)" ]; then
      bodyok=$((bodyok + 1))
    fi
  done
  if [ "$bodyok" = 20 ]; then t_ok "c: branch without neon_auth schema: 20/20 requests -> 503 $HTTP_BODY"
  else t_fail "c: branch without neon_auth schema: requests -> 503 with code and message" "codes: $codes" "last: $(la_diag)"; fi
  na_wait_ms 1000 eval '[ "$(log_since | grep -c "route=get-session status=")" -ge 20 ]'
  pids=$(log_pids get-session)
  nlog=$(log_since | grep -E '^<[0-4]>' | grep -c nomig)
  n=$(wc -w <<<"$pids")
  if [ "$nlog" -ge 1 ] && [ "$nlog" -le "$n" ]; then
    t_ok "c: $nlog log line(s) name the branch for 20 requests served by $n workers (at most one per worker): $(log_since | grep -E '^<[0-4]>' | grep -m1 nomig | cut -c1-140)"
  else
    t_fail "c: at most one log line per worker names the branch (not one per request)" "$nlog lines, $n workers" \
      "$(log_since | grep -E '^<[0-4]>' | grep nomig | head -n 5)"
  fi
  if [ "$nlog" -gt 1 ]; then t_diag "one line per worker, not one per daemon ($nlog lines)"; fi
  t_check "c: master still running" na_pid_alive "$MASTER0"

  local out rc pids0
  pids0=$(worker_pids)
  out=$("$NA_BIN" migrate --branch nomig -c "$CONF" 2>/dev/null); rc=$?
  if [ "$rc" = 0 ] && grep -q 'branch nomig: [1-9][0-9]* migrations\? applied' <<<"$out"; then
    t_ok "c: neon-authd migrate --branch nomig: $out"
  else t_fail "c: neon-authd migrate --branch nomig" "exit $rc: $out"; fi
  codes=""
  for _ in $(seq 12); do la_req GET "$BASEN/get-session"; codes+="$HTTP_CODE "; done
  if [ "$codes" = "$(printf '200 %.0s' $(seq 12))" ] && [ "$HTTP_BODY" = null ]; then
    t_ok "c: after migrate, without a restart, 12/12 get-session -> 200 null"
  else t_fail "c: after migrate, without a restart, get-session -> 200" "codes: $codes" "last: $(la_diag)"; fi
  la_sign_up "$BASEN" "nomig-$LA_SUFFIX@example.com" "password-0123" "No Mig"
  if [ "$HTTP_CODE" = 200 ] && [ -n "$COOKIE" ]; then
    la_session "$BASEN" "$COOKIE"
    t_is "$HTTP_CODE $SESSION_USER" "200 nomig-$LA_SUFFIX@example.com" "c: after migrate, sign-up and get-session work on the branch"
  else t_fail "c: after migrate, sign-up works on the branch" "$(la_diag)"; fi
  t_is "$(worker_pids) $(status_json | jq -r .pid)" "$pids0 $MASTER0" "c: no restart: same master and workers"
}

# ---------------------------------------------------------------- d: migrate at once, in a row

test_d() {
  local nfiles p1 p2 rc1 rc2 a1 a2 ledger rows out rc ok=0
  nfiles=$(ls "$NA_TOP"/sql/[0-9]*_*.sql | wc -l)
  "$NA_BIN" migrate --branch migc -c "$CONF" >"$T/m1.out" 2>"$T/m1.err" & p1=$!
  "$NA_BIN" migrate --branch migc -c "$CONF" >"$T/m2.out" 2>"$T/m2.err" & p2=$!
  BG+=("$p1" "$p2")
  na_wait_ms 30000 eval "na_pid_dead $p1 && na_pid_dead $p2"
  wait "$p1"; rc1=$?; wait "$p2"; rc2=$?
  a1=$(sed -n 's/^branch migc: \([0-9]*\) migrations\? applied$/\1/p' "$T/m1.out")
  a2=$(sed -n 's/^branch migc: \([0-9]*\) migrations\? applied$/\1/p' "$T/m2.out")
  ledger=$(la_psql "$DBM" -tAc "SELECT count(*) || '/' || count(DISTINCT version) FROM neon_auth.schema_migrations")
  rows=$(la_psql "$DBM" -tAc "SELECT count(*) FROM neon_auth.project_config")
  if [ "$rc1" = 0 ] && [ "$rc2" = 0 ] && [ -n "$a1" ] && [ -n "$a2" ] && [ $((a1 + a2)) = "$nfiles" ] &&
     [ "$ledger" = "$nfiles/$nfiles" ] && [ "$rows" = 1 ]; then
    t_ok "d: two migrate runs at once: both exit 0, applied $a1 + $a2 = $nfiles, ledger $ledger, one project_config row"
  else
    t_fail "d: two migrate runs at once: both succeed, each migration applied once" \
      "exit $rc1/$rc2, applied '$a1' + '$a2' (files: $nfiles), ledger $ledger, project_config rows $rows" \
      "$(cat "$T/m1.out" "$T/m1.err" "$T/m2.out" "$T/m2.err" | grep -v 'db_migrate: applied' | head -n 8)"
  fi
  for _ in 1 2; do
    out=$("$NA_BIN" migrate --branch migc -c "$CONF" 2>/dev/null); rc=$?
    [ "$rc" = 0 ] && [ "$out" = "branch migc: 0 migrations applied" ] && ok=$((ok + 1))
  done
  ledger=$(la_psql "$DBM" -tAc "SELECT count(*) FROM neon_auth.schema_migrations")
  if [ "$ok" = 2 ] && [ "$ledger" = "$nfiles" ]; then
    t_ok "d: two more migrate runs in a row: exit 0, 'branch migc: 0 migrations applied' each, ledger still $ledger"
  else t_fail "d: two more migrate runs in a row apply 0" "$ok/2 as expected, last: exit $rc '$out', ledger $ledger"; fi
  # the whole map at once, concurrently with itself
  "$NA_BIN" migrate --all -c "$CONF" >"$T/m3.out" 2>&1 & p1=$!
  "$NA_BIN" migrate --all -c "$CONF" >"$T/m4.out" 2>&1 & p2=$!
  BG+=("$p1" "$p2")
  na_wait_ms 30000 eval "na_pid_dead $p1 && na_pid_dead $p2"
  wait "$p1"; rc1=$?; wait "$p2"; rc2=$?
  if [ "$rc1" = 0 ] && [ "$rc2" = 0 ] && [ "$(grep -c ': 0 migrations applied' "$T/m3.out" "$T/m4.out" | awk -F: '{s+=$2} END {print s}')" = 6 ]; then
    t_ok "d: two migrate --all at once on migrated branches: exit 0, 0 applied on each of the 3 branches"
  else t_fail "d: two migrate --all at once: exit 0, 0 applied" "exit $rc1/$rc2" "$(cat "$T/m3.out" "$T/m4.out" | head -n 10)"; fi
}

test_ab
test_c
test_d

if grep -qiE 'AddressSanitizer|double free|corrupted|stack smashing|core dumped|exited on signal' "$LOG"; then
  t_fail "daemon log shows no crash" "$(grep -iE 'AddressSanitizer|double free|corrupted|stack smashing|core dumped|exited on signal' "$LOG" | head)"
else
  t_ok "daemon log shows no crash"
fi
la_down
t_is "$NA_RC" 0 "daemon stops with SIGTERM, exit 0"
t_done
