#!/usr/bin/env bash
# tests/reference/start.sh -- start one reference server (server.mjs: the real Better Auth
# 1.7.25) in the background and wait until it answers GET /api/auth/ok.
#
# Prints two lines on stdout, for eval:  PEER_URL=http://127.0.0.1:PORT/api/auth  PEER_PID=N
# Progress and errors go to stderr; exits non-zero (with the end of the server's log) when the
# server does not come up within PEER_START_TIMEOUT seconds (60).
#
#   PEER_DATABASE_URL  the PostgreSQL database (required; e.g. the suite's DATABASE_URL)
#   PEER_WORK          work directory: run/server-PORT.pid, logs/server-PORT.log, logs/npm-ci.log
#                      (default ${TMPDIR:-/tmp}/neon-authd-reference-$UID)
#   PEER_PORT          port on 127.0.0.1 (default: a free one)
#   every other PEER_* switch is read by server.mjs (README.md)
#
# node_modules: `npm ci` from package-lock.json into tests/reference (or, where that is not
# writable, into PEER_WORK/app) when missing or installed from another lock file; concurrent
# starts wait for one another. Several servers (ports) may run from one PEER_WORK; stop.sh
# stops them.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$HERE/../lib.sh"

die() { echo "reference: $*" >&2; exit 1; }

PEER_WORK=${PEER_WORK:-${TMPDIR:-/tmp}/neon-authd-reference-$(id -u)}
[ -n "${PEER_DATABASE_URL:-}" ] || die "PEER_DATABASE_URL is not set"
for c in node npm curl flock setsid; do command -v "$c" >/dev/null || die "$c not found (scripts/install-deps)"; done
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  die "Node.js >= 20 is needed, this is $(node --version) (scripts/install-deps says how to get it)"
mkdir -p "$PEER_WORK/run" "$PEER_WORK/logs" || die "cannot create $PEER_WORK"
PEER_WORK=$(cd "$PEER_WORK" && pwd -P)

# ---------------------------------------------------------------- node_modules

APP=$HERE
if ! [ -w "$HERE" ]; then
  APP=$PEER_WORK/app
  mkdir -p "$APP" || die "cannot create $APP"
  for f in package.json package-lock.json server.mjs; do
    cmp -s "$HERE/$f" "$APP/$f" || cp "$HERE/$f" "$APP/$f" || die "cannot copy $f to $APP"
  done
fi
install_modules() {
  local want stamp=$APP/node_modules/.neon-authd-lock.sha256
  want=$(sha256sum < "$APP/package-lock.json" | cut -d' ' -f1)
  [ -d "$APP/node_modules/better-auth" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
  # npm keeps its cache in $HOME: elsewhere when that is not writable
  if [ -z "${npm_config_cache:-}" ] && ! { [ -n "${HOME:-}" ] && [ -w "$HOME" ]; }; then
    export npm_config_cache=$PEER_WORK/npm-cache
  fi
  echo "reference: npm ci in $APP (log $PEER_WORK/logs/npm-ci.log)" >&2
  if ! (cd "$APP" && timeout 300 npm ci --no-audit --no-fund) > "$PEER_WORK/logs/npm-ci.log" 2>&1; then
    tail -n 20 "$PEER_WORK/logs/npm-ci.log" >&2; return 1
  fi
  echo "$want" > "$stamp"
}
{
  flock -w 330 9 || die "timed out waiting for another npm ci in $APP"
  install_modules || die "npm ci failed in $APP"
} 9> "$APP/.install.lock"

# ---------------------------------------------------------------- the server

PEER_PORT=${PEER_PORT:-$(na_free_port)} || die "no free port"
export PEER_PORT PEER_DATABASE_URL NODE_ENV=${NODE_ENV:-production}
PIDF=$PEER_WORK/run/server-$PEER_PORT.pid
LOG=$PEER_WORK/logs/server-$PEER_PORT.log
na_port_listening "$PEER_PORT" && die "port $PEER_PORT is in use"
# setsid: the server outlives this script (stop.sh ends it). Started from a shell without job
# control, the background child is no process-group leader, so setsid execs in place: $! is
# node's pid.
(cd "$APP" && exec setsid node "$APP/server.mjs") < /dev/null >> "$LOG" 2>&1 &
PID=$!
echo "$PID" > "$PIDF"

up() { [ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PEER_PORT/api/auth/ok")" = 200 ]; }
alive() { na_pid_alive "$PID"; }
end=$(( $(date +%s) + ${PEER_START_TIMEOUT:-60} ))
while ! up; do
  if ! alive; then
    rm -f "$PIDF"; tail -n 20 "$LOG" >&2; die "the server exited (log $LOG)"
  fi
  if [ "$(date +%s)" -ge "$end" ]; then
    na_kill_wait "$PID" 5 TERM; rm -f "$PIDF"; tail -n 20 "$LOG" >&2
    die "no answer on 127.0.0.1:$PEER_PORT within ${PEER_START_TIMEOUT:-60} s (log $LOG)"
  fi
  sleep 0.2
done
echo "reference: up on http://127.0.0.1:$PEER_PORT/api/auth (pid $PID, log $LOG)" >&2
echo "PEER_URL=http://127.0.0.1:$PEER_PORT/api/auth"
echo "PEER_PID=$PID"
