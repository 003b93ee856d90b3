# shellcheck shell=bash
# Shared helpers for neon-authd's shell tests and the local stack (sourced, never run).
#
#   ports        na_free_port [EXCLUDED...]
#   processes    na_pid_alive PID, na_children PID, na_kill_wait PID SECONDS
#   PostgreSQL   na_pg_datadir_for DIR, na_pg_start DATADIR PORT LOG, na_pg_stop DATADIR,
#                na_pg_running DATADIR, na_pg_createdb PORT DB, na_psql PORT DB ARGS...
#   nginx        na_nginx_conf PREFIX PORT UPSTREAM, na_nginx_start|reload|stop PREFIX,
#                na_nginx_errors PREFIX
#   neon-authd   na_build, na_conf FILE key=value..., na_start CONF LOG [ARGS...] (sets NA_PID),
#                na_stop [PID] [SECONDS] (sets NA_RC), na_start_detached CONF LOG PIDFILE
#   HTTP         na_wait_http URL SECONDS [CODE], na_http URL [CURL ARGS...] (sets HTTP_CODE,
#                HTTP_BODY, HTTP_CT), na_wrk_parse FILE (sets WRK_REQS, WRK_NON2XX, WRK_SOCKERR)
#   TAP          t_init NAME, t_ok DESC, t_fail DESC [DIAG...], t_skip DESC WHY, t_check DESC CMD...,
#                t_is GOT WANT DESC, t_diag TEXT..., t_done
#
# Every wait is bounded in time; everything listens on 127.0.0.1 only.

NA_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
NA_BIN=${NA_BIN:-$NA_TOP/src/neon-authd}
NA_DBNAME=${NA_DBNAME:-neondb}
NA_BASE_PATH=${NA_BASE_PATH:-/neondb/auth}

na_msg() { echo "$*" >&2; }
na_die() { echo "error: $*" >&2; exit 1; }
na_is_root() { [ "$(id -u)" = 0 ]; }
na_now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- polling

# na_wait_ms MS CMD...: run CMD every 50 ms until it succeeds or MS ms have passed.
na_wait_ms() {
  local ms=$1 end; shift
  end=$(( $(na_now_ms) + ms ))
  while :; do
    "$@" && return 0
    [ "$(na_now_ms)" -ge "$end" ] && return 1
    sleep 0.05
  done
}

# ---------------------------------------------------------------- ports

# na_free_port [EXCLUDED...]: print a TCP port in 20000..32767 (below Linux's ephemeral range,
# so outgoing connections never take it) that nothing has bound on 127.0.0.1 and that is not
# among EXCLUDED.
na_free_port() {
  python3 - "$@" <<'PY'
import random, socket, sys
excluded = {int(a) for a in sys.argv[1:] if a.isdigit()}
for _ in range(200):
    p = random.randint(20000, 32767)
    if p in excluded:
        continue
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", p))   # no SO_REUSEADDR: TIME_WAIT leftovers count as busy
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    sys.exit(0)
sys.exit("no free port found")
PY
}

# na_port_listening PORT: is something accepting on 127.0.0.1:PORT?
na_port_listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------- processes

# na_pid_alive PID: running and not a zombie (an orphan's zombie may never be reaped here).
na_pid_alive() {
  local st
  [ -n "${1:-}" ] || return 1
  { read -r st < "/proc/$1/stat"; } 2>/dev/null || return 1
  st=${st##*) }
  case "${st%% *}" in Z|X|x) return 1 ;; esac
  return 0
}
na_pid_dead() { ! na_pid_alive "$1"; }

# na_children PID: live (non-zombie) processes whose parent is PID.
na_children() {
  local parent=$1 f st pid rest state ppid out=""
  for f in /proc/[0-9]*/stat; do
    { read -r st < "$f"; } 2>/dev/null || continue
    pid=${st%% *}; rest=${st##*) }
    state=${rest%% *}; rest=${rest#* }; ppid=${rest%% *}
    [ "$ppid" = "$parent" ] || continue
    case "$state" in Z|X|x) continue ;; esac
    out="$out $pid"
  done
  echo $out
}

# na_kill_wait PID SECONDS [SIGNAL]: send SIGNAL (TERM), wait up to SECONDS, then KILL.
# Returns 0 if the process ended within the grace time.
na_kill_wait() {
  local pid=$1 secs=$2 sig=${3:-TERM}
  na_pid_alive "$pid" || return 0
  kill "-$sig" "$pid" 2>/dev/null
  if na_wait_ms $((secs * 1000)) na_pid_dead "$pid"; then return 0; fi
  kill -KILL "$pid" 2>/dev/null
  na_wait_ms 2000 na_pid_dead "$pid"
  return 1
}

# ---------------------------------------------------------------- PostgreSQL

na_pgbin() {
  if [ -n "${PGBIN:-}" ]; then echo "$PGBIN"; return; fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

# Run a server-side PostgreSQL binary as the cluster owner (initdb and postgres refuse root).
na_as_pg() {
  if na_is_root; then (cd / && runuser -u postgres -- "$@"); else (cd / && "$@"); fi
}

# na_pg_datadir_for DIR: DIR/pg if the postgres user can reach it, else a directory under
# /tmp named after DIR (a root-only parent such as /root would lock postgres out).
na_pg_datadir_for() {
  local dir=$1
  mkdir -p "$dir"
  if ! na_is_root || na_as_pg test -x "$dir" 2>/dev/null; then
    echo "$dir/pg"
  else
    echo "${TMPDIR:-/tmp}/neon-authd-pg-$(printf %s "$dir" | cksum | cut -d' ' -f1)"
  fi
}

na_pg_running() {
  local bin; bin=$(na_pgbin)
  [ -s "$1/PG_VERSION" ] && [ -s "$1/postmaster.pid" ] &&
    na_as_pg "$bin/pg_ctl" -D "$1" status >/dev/null 2>&1
}

# na_pg_port DATADIR: the port a running cluster listens on.
na_pg_port() { sed -n 4p "$1/postmaster.pid" 2>/dev/null; }

# na_pg_start DATADIR PORT LOGFILE: initdb if needed, start if not running (loopback TCP only,
# no unix socket, trust auth, fsync off: a throwaway cluster).  NA_PG_MAX_CONNECTIONS (200) is
# its max_connections, read when the cluster is made.
na_pg_start() {
  local data=$1 port=$2 log=$3 bin
  bin=$(na_pgbin)
  [ -n "$bin" ] && [ -x "$bin/pg_ctl" ] || { na_msg "PostgreSQL server binaries not found (apt-get install postgresql)"; return 1; }
  if na_is_root; then
    id -u postgres >/dev/null 2>&1 || { na_msg "OS user postgres missing (apt-get install postgresql)"; return 1; }
  fi
  if [ ! -s "$data/PG_VERSION" ]; then
    mkdir -p "$data" || return 1
    na_is_root && chown postgres: "$data"
    chmod 700 "$data"
    na_as_pg test -w "$data" || { na_msg "user postgres cannot write $data (a parent directory is not searchable)"; return 1; }
    na_as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null || {
      na_msg "initdb failed in $data"; return 1; }
    na_as_pg sh -c "cat >> '$data/postgresql.conf'" <<CONF
# --- neon-authd throwaway test cluster ---
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = ${NA_PG_MAX_CONNECTIONS:-200}
shared_buffers = 64MB
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
CONF
  fi
  if na_pg_running "$data"; then
    [ "$(na_pg_port "$data")" = "$port" ] && return 0
    na_msg "cluster $data already runs on port $(na_pg_port "$data"), not $port"; return 1
  fi
  mkdir -p "$(dirname "$log")"; touch "$log"
  na_is_root && chown postgres: "$log"
  if ! na_as_pg "$bin/pg_ctl" -D "$data" -l "$log" -o "-p $port" -w -t 60 start >/dev/null; then
    tail -n 20 "$log" >&2; na_msg "postgres did not start (log $log)"; return 1
  fi
  na_wait_ms 10000 "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres
}

na_pg_stop() {
  local bin; bin=$(na_pgbin)
  na_pg_running "$1" || return 0
  na_as_pg "$bin/pg_ctl" -D "$1" -m fast -w -t 30 stop >/dev/null
}

na_psql() {
  local port=$1 db=$2; shift 2
  "$(na_pgbin)/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$db" "$@"
}

# na_pg_createdb PORT DB: create DB unless it exists.
na_pg_createdb() {
  local port=$1 db=$2
  if [ "$(na_psql "$port" postgres -tAc "select 1 from pg_database where datname = '$db'")" != 1 ]; then
    na_psql "$port" postgres -c "create database \"$db\"" >/dev/null
  fi
}

# ---------------------------------------------------------------- nginx

# na_nginx_conf PREFIX PORT UPSTREAM: write PREFIX/nginx.conf for nginx -p PREFIX, listening on
# 127.0.0.1:PORT and passing every request to UPSTREAM ("unix:/path" or "127.0.0.1:9000").
# na_nginx_paths PREFIX: the http{} lines every test nginx shares: access log and temp paths
na_nginx_paths() {
  local p=$1 t
  echo "  access_log $p/logs/access.log;"
  for t in client_body fastcgi proxy uwsgi scgi; do echo "  ${t}_temp_path $p/tmp/${t#client_};"; done
}

na_nginx_conf() {
  local p=$1 port=$2 up=$3 user=""
  mkdir -p "$p/tmp" "$p/logs"
  if [ -r /etc/nginx/fastcgi_params ]; then cp /etc/nginx/fastcgi_params "$p/fastcgi_params"; fi
  # Debian's fastcgi_params sends HTTP_HOST as $host (no port). NA_NGINX_HTTP_HOST='$http_host'
  # replaces that line, to behave like upstream nginx's file (the client's Host header, port kept).
  if [ -n "${NA_NGINX_HTTP_HOST:-}" ] && [ -f "$p/fastcgi_params" ]; then
    sed -i '/HTTP_HOST/d' "$p/fastcgi_params"
    echo "fastcgi_param  HTTP_HOST  $NA_NGINX_HTTP_HOST;" >> "$p/fastcgi_params"
  fi
  # as root the workers would run as nobody and could not reach a unix socket in a 0700 tree
  na_is_root && user="user root;"
  # NA_NGINX_EXTRA: raw lines put in the server{} block before "location /" (the browser tests
  # serve their static app beside the Auth URL with it: tests/browser/test_ui.sh)
  # NA_NGINX_WORKERS: nginx worker processes (1: on a small machine that nginx shares with the
  # daemon, PostgreSQL and the load, one event loop gave the shorter tail: tests/bench/README.md)
  cat > "$p/nginx.conf" <<EOF
# generated by tests/lib.sh (na_nginx_conf)
$user
daemon on;
worker_processes ${NA_NGINX_WORKERS:-1};
pid $p/nginx.pid;
error_log $p/logs/error.log notice;
events { worker_connections 1024; }
http {
$(na_nginx_paths "$p")
  server {
    listen 127.0.0.1:$port;
    server_name 127.0.0.1;
    client_max_body_size 1m;
$(printf '%s' "${NA_NGINX_EXTRA:-}")
    location / {
      include fastcgi_params;
      fastcgi_param REQUEST_URI \$request_uri;
      fastcgi_pass $up;
      fastcgi_keep_conn off;
      fastcgi_read_timeout 60s;
    }
  }
}
EOF
}

na_nginx_pid() {
  local pid; pid=$(cat "$1/nginx.pid" 2>/dev/null) || return 1
  na_pid_alive "$pid" && echo "$pid"
}

na_nginx_start() {
  local p=$1
  na_nginx_pid "$p" >/dev/null && { na_nginx_reload "$p"; return; }
  # nginx's own output goes to a file, never to our stdout (a caller may be reading it to EOF)
  if ! { nginx -t -q -p "$p/" -c "$p/nginx.conf" -e "$p/logs/error.log" &&
         nginx -p "$p/" -c "$p/nginx.conf" -e "$p/logs/error.log"; } </dev/null >"$p/logs/start.log" 2>&1; then
    cat "$p/logs/start.log" >&2; return 1
  fi
  na_wait_ms 5000 na_nginx_pid "$p" >/dev/null
}

# na_nginx_reload PREFIX: re-read nginx.conf (graceful), wait until the old workers are gone.
na_nginx_reload() {
  local p=$1 pid
  pid=$(na_nginx_pid "$p") || return 1
  nginx -t -q -p "$p/" -c "$p/nginx.conf" -e "$p/logs/error.log" </dev/null >&2 || return 1
  local before; before=$(na_children "$pid")
  kill -HUP "$pid"
  local w
  for w in $before; do na_wait_ms 5000 na_pid_dead "$w"; done
  return 0
}

na_nginx_stop() {
  local p=$1 pid
  pid=$(na_nginx_pid "$p") || return 0
  na_kill_wait "$pid" 5 QUIT || true
  rm -f "$p/nginx.pid"
}

# na_nginx_errors PREFIX: print [alert]/[emerg] lines of the error log; false if there are none.
na_nginx_errors() { grep -E '\[(alert|emerg)\]' "$1/logs/error.log" 2>/dev/null; }

# ---------------------------------------------------------------- build

# na_build [LOG]: autoreconf (if no configure), configure (if not configured), make. In NA_TOP.
# Output goes to LOG (appended) or, without LOG, to stdout.
na_build() {
  if [ $# -gt 0 ]; then na_build_steps >>"$1" 2>&1; else na_build_steps 2>&1; fi
}
na_build_steps() {
  (
    cd "$NA_TOP" || exit 1
    [ -f configure.ac ] || { echo "no configure.ac in $NA_TOP"; exit 1; }
    mkdir -p m4   # AC_CONFIG_MACRO_DIR; git does not keep an empty directory
    if [ ! -x configure ] || [ configure.ac -nt configure ]; then autoreconf -fi || exit 1; fi
    if [ ! -f Makefile ] || [ ! -f config.status ]; then ./configure ${NA_CONFIGURE_FLAGS:-} || exit 1; fi
    make -j"$(nproc 2>/dev/null || echo 2)" || exit 1
  )
}

# ---------------------------------------------------------------- neon-authd

# na_conf FILE key=value...: write a neon-authd configuration. Keys (default):
#   listen (unix:DIR/neon-authd.sock)  workers (3)  max_requests (10000)  jitter (1000)
#   request_timeout (30)  shutdown_timeout (10)  body_max (65536)  log_level (info)
#   log_file ("")  status (true)  status_path (/_neon-authd/status)  secret (fixed test secret)
#   auth_url (http://127.0.0.1:$NA_NGINX_PORT$NA_BASE_PATH)
#   database (host=127.0.0.1 port=$NA_PG_PORT dbname=$NA_DBNAME user=postgres)
#   sleep (false: testing.sleep_endpoint)   sql_dir ($NA_TOP/sql, for migrate from the tree)
#   extra (raw text appended)
na_conf() {
  local file=$1; shift
  local listen="unix:$(dirname "$file")/neon-authd.sock" workers=3 max_requests=10000 jitter=1000
  local request_timeout=30 shutdown_timeout=10 hash_concurrency=0 body_max=65536 log_level=info log_file=""
  local status=true status_path=/_neon-authd/status sleep=false extra="" sql_dir=$NA_TOP/sql
  local secret="neon-authd-test-secret-0123456789abcdefghijklmnop"
  local auth_url="http://127.0.0.1:${NA_NGINX_PORT:-8080}$NA_BASE_PATH"
  local database="host=127.0.0.1 port=${NA_PG_PORT:-5432} dbname=$NA_DBNAME user=postgres"
  local kv k v
  for kv in "$@"; do
    k=${kv%%=*}; v=${kv#*=}
    case "$k" in
      listen|workers|max_requests|jitter|request_timeout|shutdown_timeout|hash_concurrency|body_max|log_level|\
      log_file|status|status_path|secret|auth_url|database|sleep|sql_dir|extra) printf -v "$k" '%s' "$v" ;;
      *) na_msg "na_conf: unknown key $k"; return 1 ;;
    esac
  done
  cat > "$file" <<EOF
# generated by tests/lib.sh (na_conf)
listen = { address = "$listen"; mode = "0660"; backlog = 511; };
pool = {
  workers = $workers;
  max_requests = $max_requests;
  max_requests_jitter = $jitter;
  request_timeout = $request_timeout;
  shutdown_timeout = $shutdown_timeout;
  hash_concurrency = $hash_concurrency;
};
body_max = $body_max;
log_level = "$log_level";
log_file = "$log_file";
status = { enabled = $status; path = "$status_path"; };
secret = "$secret";
sql_dir = "$sql_dir";
database = { connect_timeout = 5; statement_timeout = 5000; max_branches = 16; config_ttl = 60; };
branches = (
  { name = "main"; auth_url = "$auth_url"; database = "$database"; }
);
testing = { sleep_endpoint = $sleep; };
$extra
EOF
}

# na_start CONF LOG [ARGS...]: start the daemon in the foreground mode, in the background of this
# shell (so `wait` can collect its exit status). NA_WRAP (an array) is put in front of the binary,
# e.g. NA_WRAP=(systemd-socket-activate -l 127.0.0.1:9000). Sets NA_PID.
na_start() {
  local conf=$1 log=$2; shift 2
  local -a wrap=()
  if declare -p NA_WRAP >/dev/null 2>&1; then wrap=("${NA_WRAP[@]}"); fi
  "${wrap[@]}" "$NA_BIN" -f -c "$conf" "$@" </dev/null >>"$log" 2>&1 &
  NA_PID=$!
}

# na_start_detached CONF LOG PIDFILE: start the daemon in its own session (it outlives the
# calling script and the terminal), record its pid.
na_start_detached() {
  local conf=$1 log=$2 pidfile=$3 pid
  # Without job control a background child is not a process-group leader, so setsid(1) calls
  # setsid() and execs in place: $! is the daemon's pid.
  setsid "$NA_BIN" -f -c "$conf" </dev/null >>"$log" 2>&1 &
  pid=$!
  echo "$pid" > "$pidfile"
  na_wait_ms 2000 na_is_authd "$pid" || { na_msg "neon-authd (pid $pid) did not start; see $log"; return 1; }
}

# na_is_authd PID: PID is alive and runs the neon-authd binary.
na_is_authd() {
  # a rebuilt binary shows as "<path> (deleted)" in /proc/PID/exe
  local exe; exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
  na_pid_alive "$1" && [ "${exe% (deleted)}" = "$(readlink -f "$NA_BIN")" ]
}

# na_stop [PID] [SECONDS]: SIGTERM, wait up to SECONDS (15), SIGKILL. Sets NA_RC to the exit
# status when PID is a child of this shell, else to 0 (ended) or 1 (had to be killed).
na_stop() {
  local pid=${1:-${NA_PID:-}} secs=${2:-15} graceful=0
  NA_RC=0
  [ -n "$pid" ] || return 0
  na_kill_wait "$pid" "$secs" TERM || graceful=1
  NA_RC=$graceful
  if wait "$pid" 2>/dev/null; then NA_RC=0; else
    local rc=$?
    [ "$rc" != 127 ] && NA_RC=$rc   # 127: not our child
  fi
  return 0
}

# ---------------------------------------------------------------- HTTP

# na_http URL [CURL ARGS...]: one request (10 s max). Sets HTTP_CODE, HTTP_BODY, HTTP_CT.
na_http() {
  local url=$1; shift
  local out; out=$(mktemp)
  HTTP_CODE=$(curl -s --max-time "${NA_HTTP_TIMEOUT:-10}" -o "$out" \
    -w '%{http_code}\t%{content_type}' "$@" "$url" 2>/dev/null) || true
  HTTP_CT=${HTTP_CODE#*$'\t'}
  HTTP_CODE=${HTTP_CODE%%$'\t'*}
  HTTP_BODY=$(cat "$out")
  rm -f "$out"
}

# na_wait_http URL SECONDS [CODE]: poll until URL answers CODE (200).
na_wait_http() {
  local url=$1 secs=${2:-10} want=${3:-200}
  na_wait_ms $((secs * 1000)) eval \
    "[ \"\$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' '$url' 2>/dev/null)\" = '$want' ]"
}

# na_wrk_parse FILE: read wrk's report. Sets WRK_REQS, WRK_NON2XX, WRK_SOCKERR (sum of
# connect, read, write and timeout errors).
na_wrk_parse() {
  local f=$1 line
  WRK_REQS=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$f" | head -1)
  WRK_REQS=${WRK_REQS:-0}
  WRK_NON2XX=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9][0-9]*\).*/\1/p' "$f" | head -1)
  WRK_NON2XX=${WRK_NON2XX:-0}
  WRK_SOCKERR=0
  line=$(grep -m1 'Socket errors:' "$f" || true)
  if [ -n "$line" ]; then
    local n
    for n in $(echo "$line" | grep -oE '[0-9]+'); do WRK_SOCKERR=$((WRK_SOCKERR + n)); done
  fi
}

# ---------------------------------------------------------------- TAP

T_NAME=test T_N=0 T_PASS=0 T_FAIL=0 T_SKIP=0

t_init() { T_NAME=$1; T_N=0; T_PASS=0; T_FAIL=0; T_SKIP=0; }
t_diag() { local l; while IFS= read -r l; do echo "# $l"; done <<< "$*"; }
t_ok() { T_N=$((T_N + 1)); T_PASS=$((T_PASS + 1)); echo "ok $T_N - $1"; }
t_fail() {
  T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $1"; shift
  local d; for d in "$@"; do t_diag "$d"; done
  return 0
}
t_skip() { T_N=$((T_N + 1)); T_SKIP=$((T_SKIP + 1)); echo "ok $T_N - $1 # SKIP ${2:-}"; }
# t_check DESC CMD...: ok if CMD succeeds.
t_check() { local d=$1; shift; if "$@"; then t_ok "$d"; else t_fail "$d"; fi; }
# t_is GOT WANT DESC
# A running daemon, seen by a test: its status page (STATUS_URL) and its log (LOG) since a mark.
status_json() { curl -s --max-time 3 "$STATUS_URL" 2>/dev/null; }
worker_pids() { status_json | jq -r '.workers[].pid' 2>/dev/null | sort -n | xargs; }
# pool_full: every slot listed and alive, as many as pool_size
pool_full() {
  local j n size p
  j=$(status_json) || return 1
  size=$(jq -r '.pool_size' <<<"$j" 2>/dev/null) || return 1
  n=$(jq -r '.workers | length' <<<"$j" 2>/dev/null) || return 1
  [ -n "$size" ] && [ "$n" = "$size" ] || return 1
  for p in $(jq -r '.workers[].pid' <<<"$j"); do na_pid_alive "$p" || return 1; done
}
log_mark() { MARK=$(stat -c %s "$LOG"); }
log_since() { tail -c +$((MARK + 1)) "$LOG"; }

# na_test_pg PORT [own]: the PostgreSQL server of a test file: the running cluster named by
# NA_TEST_PGPORT unless "own" is given, else a private one in $T on PORT (PG_DATA and PG_LOG set;
# na_test_release stops it). Sets NA_PG_PORT; 1 when the private cluster did not start.
na_test_pg() {
  if [ -n "${NA_TEST_PGPORT:-}" ] && [ "${2:-}" != own ]; then
    NA_PG_PORT=$NA_TEST_PGPORT
    return 0
  fi
  NA_PG_PORT=$1
  PG_DATA=$(na_pg_datadir_for "$T")
  PG_LOG=$T/postgres.log
  na_pg_start "$PG_DATA" "$NA_PG_PORT" "$PG_LOG"
}

# na_test_release [DB...]: the end of a test file's cleanup: drop its databases on a shared
# cluster (NA_TEST_PGPORT) or stop its private one (PG_DATA), stop the watchdog, and keep the
# work directory $T when something failed or KEEP=1, else remove it (and a private cluster
# that lives outside it).
na_test_release() {
  local d
  if [ -n "${NA_PG_PORT:-}" ] && [ -z "${PG_DATA:-}" ]; then
    for d in "$@"; do
      na_psql "$NA_PG_PORT" postgres -c "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)" >/dev/null 2>&1
    done
  fi
  [ -n "${PG_DATA:-}" ] && na_pg_stop "$PG_DATA" >/dev/null 2>&1
  [ -n "${WATCHDOG:-}" ] && kill "$WATCHDOG" 2>/dev/null
  if [ "$T_FAIL" -gt 0 ] || [ "${KEEP:-0}" = 1 ]; then echo "# work files kept in $T"
  else
    [ -n "${PG_DATA:-}" ] && case "$PG_DATA" in "$T"/*) ;; *) rm -rf "$PG_DATA" ;; esac
    rm -rf "$T"
  fi
}

# na_test_guard CLEANUP SECONDS NAME: on EXIT run CLEANUP, on INT/TERM bail out, and stop this
# script after SECONDS (NA_TEST_TIMEOUT overrides) with a "Bail out!" line; sets WATCHDOG.
na_test_guard() {
  local secs=${NA_TEST_TIMEOUT:-$2} name=$3
  trap "$1" EXIT
  trap 'echo "Bail out! interrupted"; T_FAIL=$((T_FAIL + 1)); exit 1' INT TERM
  ( trap 'kill $s 2>/dev/null; exit 0' TERM
    sleep "$secs" >/dev/null 2>&1 & s=$!; wait $s
    echo "Bail out! $name timed out after ${secs}s"; kill -TERM $$ ) &
  WATCHDOG=$!
}

t_is() {
  if [ "$1" = "$2" ]; then t_ok "$3"; else t_fail "$3" "got:  '$1'" "want: '$2'"; fi
}
# t_done: print the plan and a summary; the status to exit with.
t_done() {
  echo "1..$T_N"
  echo "# $T_NAME: pass $T_PASS, fail $T_FAIL, skip $T_SKIP"
  [ "$T_FAIL" = 0 ]
}
