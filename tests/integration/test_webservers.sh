#!/usr/bin/env bash
# Behind real web servers (issue 6): nginx, Apache httpd and lighttpd from Debian's packages, on
# loopback, configured with the snippets shipped in etc/ (only paths, ports and the host name
# rewritten), each running the same smoke suite (tests/integration/lib_smoke.sh) over plain
# HTTP and over HTTPS terminated by the server (a self-signed certificate made here):
#
#   nginx    etc/nginx/neon-authd.conf      unix socket          http
#            etc/nginx/neon-authd-tcp.conf  TCP                  http
#            etc/nginx/neon-authd-site.conf unix socket          https (+ its http -> https redirect)
#   Apache   etc/apache/neon-authd.conf     unix socket          http
#            etc/apache/neon-authd-site.conf                     https
#   lighttpd etc/lighttpd/neon-authd.conf   unix socket          http and https
#            etc/lighttpd/neon-authd-spawn.conf  bin-path (fd 0) http; no process left after stop
#
# The servers run their workers as www-data, as on Debian; the daemon's unix socket is
# root:www-data 0660, as neon-authd.socket makes it. Prints TAP. Bounded: NA_TEST_TIMEOUT (400 s).
#
# Environment: NA_BIN, NA_TEST_PGPORT (use that cluster), NA_TEST_TMP, KEEP=1, NA_WS_ONLY (a
# subset of "nginx apache lighttpd spawn").
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$HERE/../lib.sh"
. "$HERE/lib_smoke.sh"
t_init webservers

[ -x "$NA_BIN" ] || { echo "Bail out! $NA_BIN not built"; exit 1; }
for c in nginx apache2 lighttpd openssl curl jq python3; do
  command -v "$c" >/dev/null || [ -x "/usr/sbin/$c" ] ||
    { echo "Bail out! $c missing (scripts/install-deps)"; exit 1; }
done
PATH=$PATH:/usr/sbin
# what this environment may not allow: a skip with its reason, not a failure
why=""
na_is_root || why="not root: the web servers are started as root and switch to www-data"
[ -n "$why" ] || id -u www-data >/dev/null 2>&1 || why="no www-data user on this machine"
if [ -n "$why" ]; then
  t_skip "nginx, Apache and lighttpd in front of neon-authd (HTTP, HTTPS, FastCGI over unix and TCP)" "$why"
  t_done; exit
fi
ETC=$NA_TOP/etc

T=$(mktemp -d "${NA_TEST_TMP:-${TMPDIR:-/tmp}}/webservers.XXXXXX") || exit 1
chmod 755 "$T"
# www-data must reach the sockets and the document roots under $T
if ! runuser -u www-data -- test -x "$T" 2>/dev/null; then
  rmdir "$T"; T=$(mktemp -d /tmp/webservers.XXXXXX) || exit 1; chmod 755 "$T"
fi
DB=na_webservers_$$
DAEMONS=() SERVERS=() PG_DATA="" WATCHDOG=""

cleanup() {
  local p
  trap - EXIT
  for p in "${SERVERS[@]}"; do na_pid_alive "$p" && na_kill_wait "$p" 5 TERM >/dev/null 2>&1; done
  [ -f "$T/nginx/nginx.pid" ] && na_nginx_stop "$T/nginx" 2>/dev/null
  for p in "${DAEMONS[@]}"; do na_pid_alive "$p" && na_kill_wait "$p" 5 TERM >/dev/null 2>&1; done
  for p in $(spawned_pids); do kill -KILL "$p" 2>/dev/null; done
  na_test_release "$DB"
}
na_test_guard cleanup 400 test_webservers.sh

# a private copy of the binary: lighttpd's bin-path splits on spaces, and a rebuild of the tree
# during the test must not swap it
mkdir -p "$T/bin" && cp "$NA_BIN" "$T/bin/neon-authd" && chmod 755 "$T/bin" "$T/bin/neon-authd"
NA_BIN=$T/bin/neon-authd

# ---------------------------------------------------------------- ports, database, certificate

PORTS=()
port() { local p; p=$(na_free_port "${PORTS[@]}" "${NA_TEST_PGPORT:-}") || return 1; PORTS+=("$p"); echo "$p"; }
NGX_HTTP=$(port); PORTS+=("$NGX_HTTP"); NGX_TCP=$(port); PORTS+=("$NGX_TCP")
NGX_HTTPS=$(port); PORTS+=("$NGX_HTTPS"); NGX_REDIR=$(port); PORTS+=("$NGX_REDIR")
APA_HTTP=$(port); PORTS+=("$APA_HTTP"); APA_HTTPS=$(port); PORTS+=("$APA_HTTPS")
APA_SETENV=$(port); PORTS+=("$APA_SETENV"); APA_NOAUTH=$(port); PORTS+=("$APA_NOAUTH")
LTY_HTTP=$(port); PORTS+=("$LTY_HTTP"); LTY_HTTPS=$(port); PORTS+=("$LTY_HTTPS")
LTY_SPAWN=$(port); PORTS+=("$LTY_SPAWN"); FCGI_TCP=$(port); PORTS+=("$FCGI_TCP")

na_test_pg "$(port)" || { echo "Bail out! postgres did not start"; exit 1; }
na_pg_createdb "$NA_PG_PORT" "$DB" || { echo "Bail out! cannot create database $DB"; exit 1; }
sm_cert "$T/tls" || { echo "Bail out! openssl could not make a certificate"; exit 1; }
CURL_TLS=(--cacert "$T/tls/cert.pem")

# ---------------------------------------------------------------- neon-authd

# one configuration for every front: a branch per (scheme, port), all on the same database
mkdir -p "$T/run" && chmod 755 "$T/run"
SOCK=$T/run/neon-authd.sock
branches() {
  local name url first=1
  echo "branches = ("
  while read -r name url; do
    [ $first = 1 ] || echo ","
    first=0
    printf '  { name = "%s"; auth_url = "%s"; database = "host=127.0.0.1 port=%s dbname=%s user=postgres"; }' \
      "$name" "$url" "$NA_PG_PORT" "$DB"
  done <<EOF
nginx-http http://127.0.0.1:$NGX_HTTP$NA_BASE_PATH
nginx-tcp http://127.0.0.1:$NGX_TCP$NA_BASE_PATH
nginx-https https://127.0.0.1:$NGX_HTTPS$NA_BASE_PATH
apache-http http://127.0.0.1:$APA_HTTP$NA_BASE_PATH
apache-https https://127.0.0.1:$APA_HTTPS$NA_BASE_PATH
apache-setenvif http://127.0.0.1:$APA_SETENV$NA_BASE_PATH
apache-noauth http://127.0.0.1:$APA_NOAUTH$NA_BASE_PATH
lighttpd-http http://127.0.0.1:$LTY_HTTP$NA_BASE_PATH
lighttpd-https https://127.0.0.1:$LTY_HTTPS$NA_BASE_PATH
lighttpd-spawn http://127.0.0.1:$LTY_SPAWN$NA_BASE_PATH
EOF
  echo; echo ");"
}
# daemon_conf FILE LISTEN: na_conf's file with the branches above (and the socket's group)
daemon_conf() {
  na_conf "$1" listen="$2" workers=2 || return 1
  python3 - "$1" "$(branches)" <<'PY' || return 1
import re, sys
path, branches = sys.argv[1], sys.argv[2]
s = open(path).read()
s = re.sub(r'(?ms)^branches = \(.*?^\);\n', lambda m: branches + "\n", s)
s = s.replace('mode = "0660";', 'mode = "0660"; group = "www-data";')
open(path, "w").write(s)
PY
  chmod 644 "$1"
}

daemon_conf "$T/unix.conf" "unix:$SOCK" && daemon_conf "$T/tcp.conf" "127.0.0.1:$FCGI_TCP" &&
  daemon_conf "$T/spawn.conf" "unix:$T/unused.sock" || { echo "Bail out! cannot write configurations"; exit 1; }
# the smoke checks use the bearer plugin, off by default (issue 12): one config for the 10 branches
if out=$("$NA_BIN" check-config -c "$T/unix.conf" 2>&1) && out=$("$NA_BIN" migrate -c "$T/unix.conf" --branch nginx-http 2>&1) &&
   out=$("$NA_BIN" config set nginx-http settings.bearer true -c "$T/unix.conf" 2>&1); then
  t_ok "setup: configuration with 10 branches valid, schema migrated"
else
  echo "Bail out! configuration or migration failed: $out"; exit 1
fi

start_daemon() { # CONF LOG
  na_start "$1" "$2"; DAEMONS+=("$NA_PID")
}
start_daemon "$T/unix.conf" "$T/neon-authd-unix.log"; D_UNIX=$NA_PID
start_daemon "$T/tcp.conf" "$T/neon-authd-tcp.log"; D_TCP=$NA_PID
sock_ready() { [ -S "$SOCK" ] && na_port_listening "$FCGI_TCP"; }
if na_wait_ms 10000 sock_ready; then
  t_is "$(stat -c '%U:%G %a' "$SOCK")" "root:www-data 660" "setup: daemon socket is root:www-data 0660, as neon-authd.socket makes it"
else
  echo "Bail out! neon-authd did not listen"; tail -n 20 "$T"/neon-authd-*.log | sed 's/^/# /'; exit 1
fi

# ---------------------------------------------------------------- snippet rewriting

# who refuses the large body: nginx (client_max_body_size) and lighttpd (max-request-size) do,
# Apache does not limit proxied request bodies, so there neon-authd (body_max) does
SM_413_FROM="the web server"

# rewrite FILE OUT 'from|to'...: copy a shipped snippet with each literal FROM replaced by TO;
# fails (and says which) when a FROM is not in the file, so the test notices a changed snippet
rewrite() {
  local in=$1 out=$2; shift 2
  python3 - "$in" "$out" "$@" <<'PY'
import sys
src, dst, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
s = open(src).read()
for p in pairs:
    a, b = p.split("|", 1)
    if a not in s:
        sys.exit("%s: %r not found" % (src, a))
    s = s.replace(a, b)
open(dst, "w").write(s)
PY
}

# ---------------------------------------------------------------- nginx

NGX=$T/nginx
mkdir -p "$NGX/logs" "$NGX/tmp"
cp /etc/nginx/fastcgi_params "$NGX/fastcgi_params"
nginx_setup() {
  rewrite "$ETC/nginx/neon-authd.conf" "$NGX/neon-authd.conf" \
    "unix:/run/neon-authd/neon-authd.sock|unix:$SOCK" &&
  rewrite "$ETC/nginx/neon-authd-tcp.conf" "$NGX/neon-authd-tcp.conf" \
    "127.0.0.1:9000;|127.0.0.1:$FCGI_TCP;" &&
  rewrite "$ETC/nginx/neon-authd-site.conf" "$NGX/neon-authd-site.conf" \
    "listen      443 ssl http2;|listen      127.0.0.1:$NGX_HTTPS ssl http2;" \
    "listen      [::]:443 ssl http2;|" \
    "listen      80;|listen      127.0.0.1:$NGX_REDIR;" \
    "listen      [::]:80;|" \
    "server_name auth.example.com;|server_name 127.0.0.1;" \
    "/etc/ssl/certs/auth.example.com.pem|$T/tls/cert.pem" \
    "/etc/ssl/private/auth.example.com.key|$T/tls/key.pem" \
    "include snippets/neon-authd.conf;|include $NGX/neon-authd.conf;" || return 1
  cat > "$NGX/nginx.conf" <<EOF
user www-data;
daemon on;
worker_processes 1;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log notice;
events { worker_connections 256; }
http {
$(na_nginx_paths "$NGX")
  server {
    listen 127.0.0.1:$NGX_HTTP;
    server_name 127.0.0.1;
    include $NGX/neon-authd.conf;
  }
  server {
    listen 127.0.0.1:$NGX_TCP;
    server_name 127.0.0.1;
    include $NGX/neon-authd-tcp.conf;
  }
  include $NGX/neon-authd-site.conf;
}
EOF
}

test_nginx() {
  local out
  if ! out=$(nginx_setup 2>&1); then t_fail "nginx: snippets rewritten for the test" "$out"; return; fi
  if ! na_nginx_start "$NGX"; then t_fail "nginx starts with the snippets" "$(tail -n 5 "$NGX/logs/error.log")"; return; fi
  t_ok "nginx $(nginx -v 2>&1 | sed 's/.*\///') runs neon-authd.conf, neon-authd-tcp.conf and neon-authd-site.conf as www-data"
  sm_suite "nginx unix" "http://127.0.0.1:$NGX_HTTP$NA_BASE_PATH"
  sm_suite "nginx tcp" "http://127.0.0.1:$NGX_TCP$NA_BASE_PATH"
  sm_suite "nginx https" "https://127.0.0.1:$NGX_HTTPS$NA_BASE_PATH" "${CURL_TLS[@]}"
  sm_req GET "http://127.0.0.1:$NGX_REDIR$NA_BASE_PATH/ok"
  if [ "$SM_CODE" = 301 ] && [[ "$(sm_header location)" == https://*"$NA_BASE_PATH/ok" ]]; then
    t_ok "nginx: the site's plain-HTTP server redirects to https ($(sm_header location))"
  else
    t_fail "nginx: the site's plain-HTTP server redirects to https" "$(sm_diag)"
  fi
  # the status location is local-only; it answers (404 here: status is off in this configuration)
  sm_req GET "http://127.0.0.1:$NGX_HTTP/_neon-authd/status"
  case $SM_CODE in 200|404) t_ok "nginx: /_neon-authd/status reaches neon-authd from 127.0.0.1 ($SM_CODE)" ;;
    *) t_fail "nginx: /_neon-authd/status reaches neon-authd from 127.0.0.1" "$(sm_diag)" ;; esac
  na_nginx_stop "$NGX"
  if errs=$(na_nginx_errors "$NGX"); then t_fail "nginx: error.log has no [alert]/[emerg]" "$errs"
  else t_ok "nginx: error.log has no [alert]/[emerg]"; fi
}

# ---------------------------------------------------------------- Apache

APA=$T/apache
apache_setup() {
  mkdir -p "$APA/run" "$APA/logs"
  rewrite "$ETC/apache/neon-authd.conf" "$APA/neon-authd.conf" \
    "/run/neon-authd/neon-authd.sock|$SOCK" &&
  rewrite "$ETC/apache/neon-authd-site.conf" "$APA/neon-authd-site.conf" \
    "<VirtualHost *:443>|<VirtualHost 127.0.0.1:$APA_HTTPS>" \
    "ServerName auth.example.com|ServerName 127.0.0.1" \
    "/etc/ssl/certs/auth.example.com.pem|$T/tls/cert.pem" \
    "/etc/ssl/private/auth.example.com.key|$T/tls/key.pem" \
    "Include /etc/apache2/conf-available/neon-authd.conf|Include $APA/neon-authd.conf" || return 1
  # the alternative the snippet names for Apache < 2.4.13, and neither (Apache's default)
  rewrite "$APA/neon-authd.conf" "$APA/neon-authd-setenvif.conf" \
    "    CGIPassAuth On|    SetEnvIf Authorization \"(.+)\" HTTP_AUTHORIZATION=\$1" || return 1
  rewrite "$APA/neon-authd.conf" "$APA/neon-authd-noauth.conf" "    CGIPassAuth On|" || return 1
  local m=/usr/lib/apache2/modules
  cat > "$APA/apache2.conf" <<EOF
ServerRoot "$APA"
DefaultRuntimeDir "$APA/run"
PidFile "$APA/run/apache2.pid"
Mutex file:$APA/run default
ErrorLog "$APA/logs/error.log"
LogLevel warn
LoadModule mpm_event_module $m/mod_mpm_event.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule authz_host_module $m/mod_authz_host.so
LoadModule proxy_module $m/mod_proxy.so
LoadModule proxy_fcgi_module $m/mod_proxy_fcgi.so
LoadModule ssl_module $m/mod_ssl.so
LoadModule alias_module $m/mod_alias.so
LoadModule setenvif_module $m/mod_setenvif.so
User www-data
Group www-data
ServerName 127.0.0.1
StartServers 1
ServerLimit 2
ThreadsPerChild 8
MaxRequestWorkers 16
Listen 127.0.0.1:$APA_HTTP
Listen 127.0.0.1:$APA_HTTPS
Listen 127.0.0.1:$APA_SETENV
Listen 127.0.0.1:$APA_NOAUTH
<VirtualHost 127.0.0.1:$APA_HTTP>
    ServerName 127.0.0.1
    Include $APA/neon-authd.conf
</VirtualHost>
<VirtualHost 127.0.0.1:$APA_SETENV>
    ServerName 127.0.0.1
    Include $APA/neon-authd-setenvif.conf
</VirtualHost>
<VirtualHost 127.0.0.1:$APA_NOAUTH>
    ServerName 127.0.0.1
    Include $APA/neon-authd-noauth.conf
</VirtualHost>
Include $APA/neon-authd-site.conf
EOF
}

# apache_bearer LABEL PORT yes|no: does a bearer request reach neon-authd with its header?
apache_bearer() {
  local label=$1 base="http://127.0.0.1:$2$NA_BASE_PATH" want=$3 email jar got
  email=$(sm_email "apache-$want"); jar=$(mktemp)
  sm_req POST "$base/sign-up/email" -H 'Content-Type: application/json' \
    --data "{\"email\":\"$email\",\"password\":\"$SM_PASSWORD\",\"name\":\"Smoke Test\"}"
  SM_TOKEN=$(sm_header set-auth-token)
  sm_req GET "$base/get-session" -H "Authorization: Bearer $SM_TOKEN"
  got=$(jq -r '.user.email // "null"' <<<"$SM_BODY" 2>/dev/null)
  rm -f "$jar"
  if [ -z "$SM_TOKEN" ]; then t_fail "apache, $label: sign-up gives a token" "$(sm_diag)"
  elif [ "$want" = yes ] && [ "$got" = "$email" ]; then
    t_ok "apache, $label: the bearer token gets through (session of $email)"
  elif [ "$want" = no ] && [ "$SM_CODE" = 200 ] && [ "$got" = null ]; then
    t_ok "apache, $label: Authorization is dropped (get-session -> null): the directive is needed"
  else
    t_fail "apache, $label: bearer request -> $([ "$want" = yes ] && echo "the session" || echo "null")" "$(sm_diag)"
  fi
}

test_apache() {
  local out pid
  if ! out=$(apache_setup 2>&1); then t_fail "apache: snippets rewritten for the test" "$out"; return; fi
  if ! out=$(apache2 -t -f "$APA/apache2.conf" 2>&1); then t_fail "apache: configtest" "$out"; return; fi
  apache2 -f "$APA/apache2.conf" -D FOREGROUND </dev/null >>"$APA/logs/stderr.log" 2>&1 &
  pid=$!; SERVERS+=("$pid")
  if ! na_wait_ms 10000 na_port_listening "$APA_HTTPS"; then
    t_fail "apache starts with the snippets" "$(tail -n 5 "$APA/logs/error.log" "$APA/logs/stderr.log" 2>/dev/null)"; return
  fi
  t_ok "apache $(apache2 -v | sed -n 's/^Server version: Apache\/\([^ ]*\).*/\1/p') runs neon-authd.conf and neon-authd-site.conf (mod_proxy_fcgi, CGIPassAuth) as www-data"
  SM_413_FROM="neon-authd"
  sm_suite "apache unix" "http://127.0.0.1:$APA_HTTP$NA_BASE_PATH"
  sm_suite "apache https" "https://127.0.0.1:$APA_HTTPS$NA_BASE_PATH" "${CURL_TLS[@]}"
  SM_413_FROM="the web server"
  apache_bearer "SetEnvIf Authorization instead of CGIPassAuth" "$APA_SETENV" yes
  apache_bearer "neither CGIPassAuth nor SetEnvIf" "$APA_NOAUTH" no
  na_kill_wait "$pid" 10 TERM; wait "$pid" 2>/dev/null
  if grep -E '\[[a-z_]*:(emerg|alert|crit)\]' "$APA/logs/error.log" >/dev/null 2>&1; then
    t_fail "apache: error log has no emerg/alert/crit" "$(grep -E ':(emerg|alert|crit)\]' "$APA/logs/error.log" | head -5)"
  else
    t_ok "apache: error log has no emerg/alert/crit"
  fi
}

# ---------------------------------------------------------------- lighttpd

LTY=$T/lighttpd
lighttpd_conf() { # DIR PORT SNIPPET TLS(0|1)
  local d=$1 port=$2 snippet=$3 tls=$4
  mkdir -p "$d/htdocs" "$d/logs"
  chown www-data: "$d/logs"   # lighttpd opens its error log after dropping to www-data
  {
    echo "server.document-root = \"$d/htdocs\""
    echo "server.bind = \"127.0.0.1\""
    echo "server.port = $port"
    echo "server.pid-file = \"$d/lighttpd.pid\""
    echo "server.errorlog = \"$d/logs/error.log\""
    echo "server.username = \"www-data\""
    echo "server.groupname = \"www-data\""
    if [ "$tls" = 1 ]; then
      echo "server.modules = ( \"mod_openssl\" )"
    else
      echo "server.modules = ( )"
    fi
    echo "include \"$snippet\""
    if [ "$tls" = 1 ]; then
      echo "\$SERVER[\"socket\"] == \"127.0.0.1:$LTY_HTTPS\" {"
      echo "  ssl.engine = \"enable\""
      echo "  ssl.pemfile = \"$T/tls/cert.pem\""
      echo "  ssl.privkey = \"$T/tls/key.pem\""
      echo "}"
    fi
  } > "$d/lighttpd.conf"
}

start_lighttpd() { # DIR PORT: sets LPID, or LERR on failure
  local d=$1 port=$2
  LPID="" LERR=""
  if ! LERR=$(lighttpd -tt -f "$d/lighttpd.conf" 2>&1); then return 1; fi
  lighttpd -D -f "$d/lighttpd.conf" </dev/null >>"$d/stderr.log" 2>&1 &
  LPID=$!; SERVERS+=("$LPID")
  na_wait_ms 10000 na_port_listening "$port" && return 0
  LERR=$(tail -n 5 "$d/logs/error.log" "$d/stderr.log" 2>/dev/null)
  return 1
}

test_lighttpd() {
  local out
  mkdir -p "$LTY"
  if ! out=$(rewrite "$ETC/lighttpd/neon-authd.conf" "$LTY/neon-authd.conf" \
               "\"socket\"      => \"/run/neon-authd/neon-authd.sock\"|\"socket\"      => \"$SOCK\"" 2>&1); then
    t_fail "lighttpd: snippet rewritten for the test" "$out"; return
  fi
  lighttpd_conf "$LTY" "$LTY_HTTP" "$LTY/neon-authd.conf" 1
  if ! start_lighttpd "$LTY" "$LTY_HTTP" || ! na_wait_ms 5000 na_port_listening "$LTY_HTTPS"; then
    t_fail "lighttpd starts with neon-authd.conf" "$LERR"; return
  fi
  local pid=$LPID
  t_ok "lighttpd $(lighttpd -v | sed -n 's/^lighttpd\/\([^ ]*\).*/\1/p') runs neon-authd.conf (mod_fastcgi to the running daemon) as www-data"
  sm_suite "lighttpd unix" "http://127.0.0.1:$LTY_HTTP$NA_BASE_PATH"
  sm_suite "lighttpd https" "https://127.0.0.1:$LTY_HTTPS$NA_BASE_PATH" "${CURL_TLS[@]}"
  na_kill_wait "$pid" 10 TERM; wait "$pid" 2>/dev/null
}

# pids of the daemons lighttpd spawned (their command line names spawn.conf)
spawned_pids() {
  local pid
  for pid in $(pgrep -f -- "-c $T/spawn.conf"); do na_pid_alive "$pid" && echo "$pid"; done
  return 0
}

test_lighttpd_spawn() {
  local d=$T/lighttpd-spawn out pid procs
  mkdir -p "$d/run"; chown www-data: "$d/run"
  if ! out=$(rewrite "$ETC/lighttpd/neon-authd-spawn.conf" "$d/neon-authd-spawn.conf" \
               "/usr/bin/neon-authd -f -c /etc/neon-authd/neon-authd.conf|$NA_BIN -f -c $T/spawn.conf" \
               "/run/lighttpd/neon-authd.sock|$d/run/neon-authd.sock" 2>&1); then
    t_fail "lighttpd spawn: snippet rewritten for the test" "$out"; return
  fi
  lighttpd_conf "$d" "$LTY_SPAWN" "$d/neon-authd-spawn.conf" 0
  if ! start_lighttpd "$d" "$LTY_SPAWN"; then t_fail "lighttpd starts with neon-authd-spawn.conf" "$LERR"; return; fi
  pid=$LPID
  na_wait_http "http://127.0.0.1:$LTY_SPAWN$NA_BASE_PATH/ok" 10
  procs=$(spawned_pids | xargs)
  local n; n=$(wc -w <<<"$procs")
  if [ "$n" -ge 3 ]; then   # master + pool.workers (2)
    t_ok "lighttpd spawn: bin-path started one neon-authd master that forked its workers ($n processes: $procs, user $(ps -o user= -p "${procs%% *}" | xargs))"
  else
    t_fail "lighttpd spawn: one master and its workers run" "processes: '$procs'" "$(tail -n 10 "$d/logs/error.log" "$d/stderr.log" 2>/dev/null)"
  fi
  sm_suite "lighttpd spawn" "http://127.0.0.1:$LTY_SPAWN$NA_BASE_PATH"
  na_kill_wait "$pid" 10 TERM; wait "$pid" 2>/dev/null
  left() { [ -z "$(spawned_pids)" ]; }
  if na_wait_ms 10000 left; then
    t_ok "lighttpd spawn: after lighttpd stops no neon-authd process is left (was: $procs)"
  else
    t_fail "lighttpd spawn: after lighttpd stops no neon-authd process is left" "still running: $(spawned_pids | xargs)"
  fi
}

# NA_WS_ONLY="apache lighttpd" runs only those fronts (nginx, apache, lighttpd, spawn)
want() { [ -z "${NA_WS_ONLY:-}" ] || [[ " $NA_WS_ONLY " == *" $1 "* ]]; }
want nginx && test_nginx
want apache && test_apache
want lighttpd && test_lighttpd
want spawn && test_lighttpd_spawn

# ---------------------------------------------------------------- the daemons

for p in "$D_UNIX" "$D_TCP"; do na_stop "$p" 15; done
if grep -hE 'exited on signal|AddressSanitizer|double free|corrupted' "$T"/neon-authd-*.log >/dev/null 2>&1; then
  t_fail "neon-authd logs show no crashed worker" "$(grep -hE 'exited on signal|AddressSanitizer|double free|corrupted' "$T"/neon-authd-*.log | head -5)"
else
  t_ok "neon-authd logs show no crashed worker"
fi
t_done
