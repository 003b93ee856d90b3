#!/usr/bin/env bash
# Hardening of the process and the branch map (issue 12: #2 #3 #6 #7 #14 #17), black box: the
# real binary behind nginx on loopback, a real PostgreSQL, and a small FastCGI client
# (fcgi_client.py) playing a slow or hostile web server on the daemon's own socket.
#
#   a  #2  a template whose Auth URL takes {branch} from the Host label and whose database
#          does not use it: check-config warns; every label and letter case is one branch (one
#          rate limit: wrong-password sign-ins under six Host labels get 401 401 401 429 ...);
#          a database segment in upper case folds to the database's name
#   b  #7  a template with dbname={branch}: Host template1.*, Postgres.* -> 404 BRANCH_NOT_FOUND,
#          no connection to template1 left behind
#   c  #3  one worker, request_timeout = 2: a client that sends half its FastCGI parameters and
#          one that trickles its body hold the worker no longer than the read deadline: a
#          request through nginx is served while they are still connected; the trickled one is
#          answered 400, its access line counts from accept
#   d  #6  a database that does not exist: repeated requests are all 503 with fewer connection
#          attempts than requests (the backoff); pool.ip_limit answers 429 per client IP before
#          any database work; failure lines are throttled daemon-wide (and say how many were
#          dropped)
#   e  #14 the daemon's PostgreSQL connections carry a TCP keepalive timer of at most 30 s; a
#          connection string's keepalives_idle overrides it
#   f  #17 listen.allow: a TCP peer outside it is refused at accept (logged), inside it is
#          served; check-config warns on a wildcard listen.address without listen.allow
#   g  #16 a copy of the database (CREATE DATABASE ... TEMPLATE) served at another Auth URL
#          signs with a new key, not in the parent's JWKS; the parent's key stays in the copy's
#          JWKS with an end; keys record their Auth URL; a rotated key still signs at once
#
# Environment: NA_BIN, NA_TEST_PGPORT (use this running cluster), NA_TEST_TMP, KEEP=1,
# NA_TEST_TIMEOUT (170 s).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_auth.sh"
la_init harden_proc
FCGI="python3 $NA_TOP/tests/integration/fcgi_client.py"

DBA=hp_a_$LA_SUFFIX
la_db_create "$DBA" || { echo "Bail out! cannot create database $DBA"; exit 1; }
PGCI="host=127.0.0.1 port=$NA_PG_PORT user=postgres"
HOSTP=localhost:$NA_NGINX_PORT

# hp_conf FILE WORKERS TIMEOUT BRANCHES [EXTRA] [POOL_EXTRA] [LISTEN]: like la_conf, with more
# pool settings and another listen address
hp_conf() {
  cat > "$1" <<EOF
listen = { address = "${7:-unix:$SOCK}"; mode = "0660"; backlog = 511; ${8:-} };
pool = { workers = $2; max_requests = 0; max_requests_jitter = 0; request_timeout = $3;
  shutdown_timeout = 5; ${6:-} };
body_max = 65536;
log_level = "info";
log_file = "";
status = { enabled = true; path = "/_neon-authd/status"; };
secret = "$LA_SECRET";
sql_dir = "$NA_TOP/sql";
database = { connect_timeout = 2; statement_timeout = 5000; max_branches = 16; config_ttl = 60; };
branches = (
$4
);
${5:-}
EOF
}
metric() { # NAME LABELS: one sample of the metrics page (0 when absent)
  local v
  v=$(curl -s --max-time 3 "$ORIGIN/_neon-authd/metrics" | grep -F "$1{$2}" | awk '{print $2}' | head -n 1)
  echo "${v:-0}"
}

hp_conf "$CONF" 2 30 "$(la_branch main "/$DBA/auth" "$DBA")"
out=$("$NA_BIN" migrate --branch main -c "$CONF" 2>&1) || { echo "Bail out! migrate failed: $out"; exit 1; }
U1=hp-$LA_SUFFIX@example.com PW=password-0123

# ---------------------------------------------------------------- a: one database, one name

test_a() {
  local tpl out codes i h
  tpl="branch_template = {
  auth_url = \"http://{branch}.$HOSTP/{database}/auth\";
  database = \"$PGCI dbname={database}\";
};"
  hp_conf "$CONF" 2 30 "" "$tpl"
  out=$("$NA_BIN" check-config -c "$CONF" 2>&1)
  if grep -q 'warning: branch_template: the auth_url uses {branch} and the database does not' <<<"$out"; then
    t_ok "a: check-config warns: the auth_url uses {branch}, the database does not"
  else t_fail "a: check-config warns on {branch} unused by the database" "$out"; fi
  la_up || { t_fail "a: daemon starts with the template" "$LA_DIAG"; return; }
  la_req POST "$ORIGIN/$DBA/auth/sign-up/email" "{\"email\":\"$U1\",\"password\":\"$PW\",\"name\":\"H\"}" \
    -H "Host: one.$HOSTP"
  t_is "$HTTP_CODE" 200 "a: sign-up under Host one.$HOSTP"
  codes=""
  for h in Two two TWO three Four five; do
    la_req POST "$ORIGIN/$DBA/auth/sign-in/email" "{\"email\":\"$U1\",\"password\":\"wrong-password\"}" \
      -H "Host: $h.$HOSTP"
    codes+="$HTTP_CODE "
  done
  t_is "$codes" "401 401 401 429 429 429 " \
    "a: wrong-password sign-ins under six Host labels and cases share one rate limit (3 per 10 s)"
  la_req GET "$ORIGIN/${DBA^^}/auth/get-session" "" -H "Host: six.$HOSTP"
  t_is "$HTTP_CODE" 200 "a: /${DBA^^}/auth (upper case) is database $DBA (200, not 503)"
  la_down
}

# ---------------------------------------------------------------- b: reserved names by any field

test_b() {
  local tpl h n
  tpl="branch_template = {
  auth_url = \"http://{branch}.$HOSTP/auth\";
  database = \"$PGCI dbname={branch}\";
};"
  hp_conf "$CONF" 2 30 "" "$tpl"
  la_up || { t_fail "b: daemon starts with a {branch} template" "$LA_DIAG"; return; }
  la_req GET "$ORIGIN/auth/get-session" "" -H "Host: $DBA.$HOSTP"
  t_is "$HTTP_CODE" 200 "b: Host $DBA.$HOSTP -> database $DBA (200)"
  for h in template1 Template0 postgres POSTGRES; do
    la_req GET "$ORIGIN/auth/get-session" "" -H "Host: $h.$HOSTP"
    t_is "$HTTP_CODE $(la_code)" "404 BRANCH_NOT_FOUND" "b: Host $h.$HOSTP (dbname={branch}) -> 404, never a branch"
  done
  sleep 0.2
  n=$(la_psql postgres -tAc "SELECT count(*) FROM pg_stat_activity WHERE datname IN ('template1', 'template0', 'postgres') AND application_name = 'neon-authd'")
  t_is "$n" 0 "b: no neon-authd connection to PostgreSQL's own databases"
  la_psql postgres -tAc "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
    WHERE datname = 'template1' AND application_name = 'neon-authd'" >/dev/null 2>&1
  la_down
}

# ---------------------------------------------------------------- c: slow clients

test_c() {
  local half trickle code res line dur
  hp_conf "$CONF" 1 2 "$(la_branch main "/$DBA/auth" "$DBA")"
  la_up || { t_fail "c: daemon starts with one worker" "$LA_DIAG"; return; }
  la_req GET "$ORIGIN/$DBA/auth/get-session"
  t_is "$HTTP_CODE" 200 "c: one worker serves"
  local pids0; pids0=$(worker_pids)

  log_mark
  $FCGI half "$SOCK" 20 > "$T/half.out" 2>&1 & half=$!; BG+=("$half")
  sleep 0.3
  NA_HTTP_TIMEOUT=12 la_req GET "$ORIGIN/$DBA/auth/get-session"
  t_is "$HTTP_CODE" 200 "c: with a client holding half its FastCGI parameters, the only worker still serves (within 12 s)"
  wait "$half"; res=$(cat "$T/half.out")
  t_is "$res" closed "c: the half-sent request's connection is closed by the daemon (before the client's 20 s)"
  if log_since | grep -q 'request not received within'; then t_ok "c: logged: request not received within the deadline"
  else t_fail "c: the read deadline is logged" "$(log_since | tail -n 5)"; fi

  log_mark
  $FCGI trickle "$SOCK" 20 > "$T/trickle.out" 2>&1 & trickle=$!; BG+=("$trickle")
  sleep 0.3
  NA_HTTP_TIMEOUT=12 la_req GET "$ORIGIN/$DBA/auth/get-session"
  t_is "$HTTP_CODE" 200 "c: with a client trickling its body a byte at a time, the only worker still serves (within 12 s)"
  wait "$trickle"; res=$(cat "$T/trickle.out")
  t_is "$res" "status 400" "c: the trickled request is answered 400 at the read deadline"
  line=$(log_since | grep 'route=sign-in/email\|status=400' | grep -m1 'status=400')
  dur=$(sed -n 's/.* dur_ms=\([0-9]*\).*/\1/p' <<<"$line")
  if [ -n "$dur" ] && [ "$dur" -ge 1500 ]; then t_ok "c: its access line counts from accept (dur_ms=$dur >= the 1500 ms deadline)"
  else t_fail "c: the trickled request's duration counts from accept" "$line"; fi
  t_is "$(worker_pids)" "$pids0" "c: the same worker throughout: the read deadline freed it, nothing killed it"
  la_down
}

# ---------------------------------------------------------------- d: storms

test_d() {
  local tpl dead codes i n want lines
  tpl="branch_template = {
  auth_url = \"$ORIGIN/{database}/auth\";
  database = \"$PGCI dbname={database}\";
};"
  hp_conf "$CONF" 3 30 "" "$tpl"
  la_up || { t_fail "d: daemon starts" "$LA_DIAG"; return; }
  dead=hp_dead_$LA_SUFFIX
  codes="" want=""
  for i in $(seq 12); do la_req GET "$ORIGIN/$dead/auth/get-session"; codes+="$HTTP_CODE "; want+="503 "; done
  t_is "$codes" "$want" "d: 12 requests for a database that does not exist: all 503"
  n=$(metric neon_authd_db_errors_total "branch=\"/$dead\",kind=\"unavailable\"")
  if [ "$n" -ge 1 ] && [ "$n" -lt 12 ]; then t_ok "d: $n connection attempts for 12 requests (backoff per database)"
  else t_fail "d: fewer connection attempts than requests" "attempts: $n"; fi

  log_mark
  seq 60 | xargs -P 6 -I{} curl -s -o /dev/null --max-time 5 "$ORIGIN/nodb_{}_$LA_SUFFIX/auth/get-session"
  lines=$(log_count 'branch .*: database unavailable')
  if [ "$lines" -ge 1 ] && [ "$lines" -lt 60 ]; then t_ok "d: 60 unknown databases at once: $lines failure lines (throttled daemon-wide)"
  else t_fail "d: failure lines are throttled daemon-wide" "lines: $lines"; fi
  sleep 1.1
  la_req GET "$ORIGIN/nodb_last_$LA_SUFFIX/auth/get-session"
  if log_since | grep -qE 'database unavailable: [0-9]+ similar lines not logged'; then
    t_ok "d: the next window says how many lines were not logged"
  else t_fail "d: the dropped lines are counted in the log" "$(log_since | tail -n 3)"; fi
  la_down

  hp_conf "$CONF" 3 30 "" "$tpl" "ip_limit = 5;"
  la_up || { t_fail "d: daemon starts with pool.ip_limit" "$LA_DIAG"; return; }
  codes=""
  for i in $(seq 7); do
    la_req GET "$ORIGIN/$DBA/auth/get-session" "" -H "X-Forwarded-For: 203.0.113.7"; codes+="$HTTP_CODE "
  done
  t_is "$codes" "200 200 200 200 200 429 429 " "d: pool.ip_limit = 5: the sixth request from 203.0.113.7 in 10 s -> 429"
  la_req GET "$ORIGIN/nodb_x_$LA_SUFFIX/auth/get-session" "" -H "X-Forwarded-For: 203.0.113.7"
  t_is "$HTTP_CODE $(jq -r .message <<<"$HTTP_BODY" 2>/dev/null) $(grep -ci '^x-retry-after:' <<<"$HTTP_HDRS")" \
    "429 Too many requests. Please try again later. 1" \
    "d: ... before any database work (an unknown database: 429 with X-Retry-After, not 503)"
  la_req GET "$ORIGIN/$DBA/auth/get-session" "" -H "X-Forwarded-For: 203.0.113.8"
  t_is "$HTTP_CODE" 200 "d: another client IP is served"
  codes=""
  for i in $(seq 7); do la_req GET "$ORIGIN/$DBA/auth/get-session"; codes+="$HTTP_CODE "; done
  t_is "$codes" "200 200 200 200 200 200 200 " "d: loopback clients are not counted"
  la_down
}

# ---------------------------------------------------------------- e: keepalives

# ka_timers: the keepalive timers of established connections to the test cluster
ka_timers() { ss -tno state established "( dport = :$NA_PG_PORT )" 2>/dev/null | grep -o 'timer:(keepalive,[^,]*' | sed 's/timer:(keepalive,//'; }

test_e() {
  local t
  command -v ss >/dev/null || { t_skip "e: TCP keepalive on database connections" "ss (iproute2) missing"; return; }
  hp_conf "$CONF" 1 30 "$(la_branch main "/$DBA/auth" "$DBA")"
  la_up || { t_fail "e: daemon starts" "$LA_DIAG"; return; }
  la_req GET "$ORIGIN/$DBA/auth/get-session"
  t=$(ka_timers | xargs)
  if [ -n "$t" ] && ! grep -qE 'min|h' <<<"$t"; then t_ok "e: the daemon's database connection has a keepalive timer under a minute ($t)"
  else t_fail "e: keepalives_idle 30 s by default" "timers: '$t'"; fi
  la_down
  hp_conf "$CONF" 1 30 "{ name = \"main\"; auth_url = \"$ORIGIN/$DBA/auth\"; database = \"$PGCI dbname=$DBA keepalives_idle=300\"; }"
  la_up || { t_fail "e: daemon starts" "$LA_DIAG"; return; }
  la_req GET "$ORIGIN/$DBA/auth/get-session"
  t=$(ka_timers | xargs)
  if grep -qE 'min' <<<"$t"; then t_ok "e: keepalives_idle=300 in the connection string wins ($t)"
  else t_fail "e: the connection string overrides the keepalive" "timers: '$t'"; fi
  la_down
}

# ---------------------------------------------------------------- f: listen.allow

test_f() {
  local port out pid
  port=$(na_free_port "$NA_NGINX_PORT")
  hp_conf "$CONF" 1 30 "$(la_branch main "/$DBA/auth" "$DBA")" "" "" "0.0.0.0:$port"
  out=$("$NA_BIN" check-config -c "$CONF" 2>&1)
  if grep -q 'warning: listen.address 0.0.0.0:.* listen.allow is unset' <<<"$out"; then t_ok "f: check-config warns on 0.0.0.0 without listen.allow"
  else t_fail "f: check-config warns on a wildcard listen.address" "$out"; fi
  hp_conf "$CONF" 1 30 "$(la_branch main "/$DBA/auth" "$DBA")" "" "" "0.0.0.0:$port" 'allow = [ "10.0.0.0/8" ];'
  out=$("$NA_BIN" check-config -c "$CONF" 2>&1)
  if ! grep -q 'warning: listen.address' <<<"$out"; then t_ok "f: no warning with listen.allow"
  else t_fail "f: no listen warning with listen.allow" "$out"; fi
  hp_conf "$CONF" 1 30 "$(la_branch main "/$DBA/auth" "$DBA")" "" "" "127.0.0.1:$port" 'allow = [ "nonsense" ];'
  out=$("$NA_BIN" check-config -c "$CONF" 2>&1)
  if grep -q 'listen.allow\[0\]: "nonsense" is not an address' <<<"$out"; then t_ok "f: check-config refuses a listen.allow entry that is not an address"
  else t_fail "f: a bad listen.allow entry is refused" "$out"; fi

  hp_conf "$CONF" 1 30 "$(la_branch main "/$DBA/auth" "$DBA")" "" "" "127.0.0.1:$port" 'allow = [ "10.9.9.9", "192.0.2.0/24" ];'
  log_mark
  na_start "$CONF" "$LOG"; pid=$NA_PID; DAEMONS+=("$pid")
  if na_wait_ms 10000 na_port_listening "$port"; then
    out=$($FCGI get "127.0.0.1:$port" /_neon-authd/status)
    t_is "$out" closed "f: listen.allow = [10.9.9.9, 192.0.2.0/24]: a connection from 127.0.0.1 is closed at accept"
    na_wait_ms 2000 sh -c "tail -c +$((MARK + 1)) '$LOG' | grep -q 'connection from 127.0.0.1 refused: not in listen.allow'"
    if log_since | grep -q 'connection from 127.0.0.1 refused: not in listen.allow'; then t_ok "f: the refusal is logged with the peer's address"
    else t_fail "f: the refusal is logged" "$(log_since | tail -n 3)"; fi
  else t_fail "f: daemon listens on 127.0.0.1:$port" "$(log_since | tail -n 5)"; fi
  na_stop "$pid" 10
  hp_conf "$CONF" 1 30 "$(la_branch main "/$DBA/auth" "$DBA")" "" "" "127.0.0.1:$port" 'allow = [ "127.0.0.1" ];'
  na_start "$CONF" "$LOG"; pid=$NA_PID; DAEMONS+=("$pid")
  if na_wait_ms 10000 na_port_listening "$port"; then
    out=$($FCGI get "127.0.0.1:$port" /_neon-authd/status)
    t_is "$out" "status 200" "f: listen.allow = [127.0.0.1]: the web server on loopback is served"
  else t_fail "f: daemon listens on 127.0.0.1:$port" "$(log_since | tail -n 5)"; fi
  na_stop "$pid" 10
}

# ---------------------------------------------------------------- g: keys of a copy

kid_of() { python3 -c 'import sys,json,base64
t=json.loads(sys.stdin.read() or "{}").get("token","")
h=t.split(".")[0]; h+="="*(-len(h)%4)
print(json.loads(base64.urlsafe_b64decode(h))["kid"] if t else "")'; }
jwks_kids() { curl -s --max-time 5 "$1/jwks" | jq -r '.keys[].kid' 2>/dev/null | sort | xargs; }

test_g() {
  local DBC=hp_c_$LA_SUFFIX URLA=$ORIGIN/$DBA/auth URLC KA KC KR ka kc out i rc=1 row
  URLC=$ORIGIN/$DBC/auth
  hp_conf "$CONF" 2 30 "$(la_branch main "/$DBA/auth" "$DBA")"
  la_up || { t_fail "g: daemon starts" "$LA_DIAG"; return; }
  la_sign_in "$URLA" "$U1" "$PW"
  t_is "$HTTP_CODE" 200 "g: sign-in on the parent"
  local C=$COOKIE
  la_req GET "$URLA/token" "" -H "Cookie: neon-auth.session_token=$C"
  KA=$(kid_of <<<"$HTTP_BODY")
  t_is "$HTTP_CODE $([ -n "$KA" ] && echo kid)" "200 kid" "g: the parent mints a JWT (kid $KA)"
  la_down
  LA_DBS+=("$DBC")
  for i in 1 2 3 4 5; do
    la_psql postgres -tAc "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
      WHERE datname = '$DBA' AND pid <> pg_backend_pid()" >/dev/null 2>&1
    out=$(la_psql postgres -c "CREATE DATABASE \"$DBC\" TEMPLATE \"$DBA\"" 2>&1) && { rc=0; break; }
    sleep 0.3
  done
  [ "$rc" = 0 ] || { t_fail "g: CREATE DATABASE $DBC TEMPLATE $DBA" "$out"; return; }
  hp_conf "$CONF" 2 30 "$(la_branch main "/$DBA/auth" "$DBA"),
$(la_branch copy "/$DBC/auth" "$DBC")"
  la_up || { t_fail "g: daemon starts with the copy" "$LA_DIAG"; return; }
  la_req GET "$URLC/token" "" -H "Cookie: neon-auth.session_token=$C"
  KC=$(kid_of <<<"$HTTP_BODY")
  if [ "$HTTP_CODE" = 200 ] && [ -n "$KC" ] && [ "$KC" != "$KA" ]; then
    t_ok "g: the copy, first served at another Auth URL, signs with a new key ($KC, not the parent's)"
  else t_fail "g: the copy signs with a key of its own" "kid '$KC' parent '$KA'" "$(la_diag)"; fi
  ka=$(jwks_kids "$URLA") kc=$(jwks_kids "$URLC")
  case " $ka " in *" $KC "*) t_fail "g: the copy's key is not in the parent's JWKS" "$ka" ;;
    *) t_ok "g: the copy's key is not in the parent's JWKS: its tokens never verify there" ;; esac
  case " $kc " in *" $KA "*) t_ok "g: the parent's public key stays in the copy's JWKS (grace)" ;;
    *) t_fail "g: the parent's key stays in the copy's JWKS" "$kc" ;; esac
  row=$(la_psql "$DBC" -tAc "SELECT u.\"authUrl\" = '$URLA', j.\"expiresAt\" IS NOT NULL AND j.\"expiresAt\" > now() FROM neon_auth.jwks j JOIN neon_auth.jwks_auth_url u ON u.\"keyId\" = j.id WHERE j.id = '$KA'")
  t_is "$row" "t|t" "g: in the copy the parent's key keeps its Auth URL and has an end (one token lifetime)"
  row=$(la_psql "$DBC" -tAc "SELECT \"authUrl\" FROM neon_auth.jwks_auth_url WHERE \"keyId\" = '$KC'")
  t_is "$row" "$URLC" "g: the new key records the Auth URL it was made for"
  if log_since | grep -q 'branch copy: first served at this Auth URL: 1 signing key'; then t_ok "g: logged once: the copy's inherited keys retire"
  else t_fail "g: the retirement is logged" "$(log_since | grep -i key | tail -n 3)"; fi
  la_req GET "$URLA/token" "" -H "Cookie: neon-auth.session_token=$C"
  t_is "$(kid_of <<<"$HTTP_BODY")" "$KA" "g: the parent still signs with its key"
  out=$("$NA_BIN" keys rotate main --grace 60s -c "$CONF" 2>&1) || t_fail "g: keys rotate main" "$out"
  sleep 0.3
  la_req GET "$URLA/token" "" -H "Cookie: neon-auth.session_token=$C"
  KR=$(kid_of <<<"$HTTP_BODY")
  if [ -n "$KR" ] && [ "$KR" != "$KA" ]; then t_ok "g: after keys rotate the new key signs at once (claimed by the parent's Auth URL)"
  else t_fail "g: the rotated key signs" "kid '$KR' (old $KA): $out"; fi
  la_down
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
t_done
