# shellcheck shell=bash
# lib_pgbouncer.sh -- a real PgBouncer (Debian's pgbouncer package) in transaction pooling mode
# on loopback, for test_pgbouncer.sh and tests/bench/pgbouncer.sh (sourced; never run).
#
#   pgb_start DIR PG_PORT POOL_SIZE DB...   pgbouncer on a free 127.0.0.1 port (PGB_PORT) in
#                             front of PostgreSQL on PG_PORT, auth_type trust, pool_mode
#                             transaction, POOL_SIZE server connections per database; run as
#                             the postgres user when we are root (pgbouncer refuses root).
#                             1 when it did not start (PGB_DIAG says why).
#   pgb_stop                  stop it (SIGINT: immediate shutdown), bounded
#   pgb_conninfo DB           a libpq connection string through it
#   pgb_skip_reason           "" when pgbouncer is installed, else why not

PGB_PID="" PGB_PORT="" PGB_DIR=""

pgb_bin() { command -v pgbouncer 2>/dev/null || ls /usr/sbin/pgbouncer 2>/dev/null; }
pgb_skip_reason() { [ -n "$(pgb_bin)" ] || echo "pgbouncer not installed (scripts/install-deps)"; }

pgb_start() {
  local dir=$1 pgport=$2 size=$3 db
  shift 3
  PGB_DIR=$dir
  mkdir -p "$dir" && chmod 777 "$dir"
  PGB_PORT=$(na_free_port "$pgport" "${NA_NGINX_PORT:-0}")
  {
    echo "[databases]"
    for db in "$@"; do
      echo "$db = host=127.0.0.1 port=$pgport dbname=$db user=postgres pool_size=$size"
    done
    cat <<CONF
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
pool_mode = transaction
max_client_conn = 200
default_pool_size = $size
server_reset_query =
admin_users = postgres
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
CONF
  } > "$dir/pgbouncer.ini"
  echo '"postgres" ""' > "$dir/users.txt"
  chmod 644 "$dir/pgbouncer.ini" "$dir/users.txt"
  if na_is_root; then
    runuser -u postgres -- "$(pgb_bin)" -d "$dir/pgbouncer.ini" >"$dir/start.out" 2>&1
  else
    "$(pgb_bin)" -d "$dir/pgbouncer.ini" >"$dir/start.out" 2>&1
  fi
  if ! na_wait_ms 5000 test -s "$dir/pgbouncer.pid" || ! na_wait_ms 5000 na_port_listening "$PGB_PORT"; then
    PGB_DIAG=$(cat "$dir/start.out" "$dir/pgbouncer.log" 2>/dev/null | tail -n 5)
    return 1
  fi
  PGB_PID=$(cat "$dir/pgbouncer.pid")
}

pgb_stop() {
  [ -n "$PGB_PID" ] || return 0
  na_kill_wait "$PGB_PID" 5 INT >/dev/null 2>&1 || kill -KILL "$PGB_PID" 2>/dev/null
  PGB_PID=""
}

pgb_conninfo() { echo "host=127.0.0.1 port=$PGB_PORT dbname=$1 user=postgres"; }
