#!/usr/bin/env bash
# test_jwt.sh -- JWTs, JWKS, key rotation and RLS end to end (issue 5).
#
# Starts a throwaway local stack (tests/stack: PostgreSQL + neon-authd +
# nginx) whose secret is the reference server's, a second neon-authd +
# nginx serving a copy of the branch at another origin, and (when npm can
# install it) the reference Better Auth server (../shared/peer) on the same
# database; then runs tests/interop/jwt/check.mjs, which checks everything
# with jose and psql and prints TAP.  Everything is stopped on exit.
#
# Environment:
#   NA_TEST_TMP       parent of the work directory (default ${TMPDIR:-/tmp})
#   NEON_AUTHD_PEER   the reference server's folder (default ../shared/peer)
#   JWT_NO_PEER=1     do not start the reference server (its checks skip)
#   KEEP_TMP=1        keep the work directory
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

PEER=${NEON_AUTHD_PEER:-$NA_TOP/../shared/peer}
INTEROP=$NA_TOP/tests/interop/jwt
# the reference server's fixed secret (shared/peer/server.mjs): both sides
# must use one secret for key rows to move between them
PEER_SECRET=peer-fixed-secret-9f3c1b7e2a4d6f8h0j2k4m6n8p0r2t4v6x8z

bail() { echo "Bail out! $*"; exit 1; }

TMP=$(mktemp -d "${NA_TEST_TMP:-${TMPDIR:-/tmp}}/neon-authd-jwt.XXXXXX") || bail "mktemp"
chmod 755 "$TMP"
export STACK_DIR=$TMP/stack
# Host with its port, as browsers send it: the Auth URL has a port
export NA_NGINX_HTTP_HOST=${NA_NGINX_HTTP_HOST:-'$http_host'}
AUTHD2_PID="" PEER_STARTED=0

cleanup() {
	[ "$PEER_STARTED" = 1 ] && PEER_WORK=$TMP/peer bash "$PEER/stop.sh" >/dev/null 2>&1
	[ -d "$TMP/nginx2" ] && na_nginx_stop "$TMP/nginx2"
	[ -n "$AUTHD2_PID" ] && na_stop "$AUTHD2_PID" 10
	"$NA_TOP/tests/stack" down >/dev/null 2>&1
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "# kept $TMP"
	else
		"$NA_TOP/tests/stack" wipe >/dev/null 2>&1
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v node >/dev/null || bail "node not found"
command -v npm >/dev/null || bail "npm not found"

# 1. the stack, with the reference server's secret
mkdir -p "$STACK_DIR"
(umask 077; printf %s "$PEER_SECRET" > "$STACK_DIR/secret")
env_out=$(timeout 300 "$NA_TOP/tests/stack" up 2>"$TMP/stack-up.log") || {
	tail -n 30 "$TMP/stack-up.log" | sed 's/^/# /'
	bail "tests/stack up failed"
}
eval "$(printf '%s\n' "$env_out" | sed -n 's/^\(AUTH_URL\|DATABASE_URL\)=\(.*\)$/\1="\2"/p')"
[ -n "${AUTH_URL:-}" ] && [ -n "${DATABASE_URL:-}" ] || bail "stack printed no AUTH_URL/DATABASE_URL"
PG_PORT=$(printf %s "$DATABASE_URL" | sed -n 's|.*@127\.0\.0\.1:\([0-9]*\)/.*|\1|p')
[ -n "$PG_PORT" ] || bail "cannot read the port of $DATABASE_URL"
echo "# stack: $AUTH_URL"

# 2. jose
if ! (cd "$INTEROP" && timeout 300 npm ci --no-audit --no-fund) >"$TMP/npm-ci.log" 2>&1; then
	tail -n 20 "$TMP/npm-ci.log" | sed 's/^/# /'
	bail "npm ci in tests/interop/jwt failed"
fi

# 3. a second branch: an empty database now, a copy of neondb later
#    (check.mjs dumps it once users exist), served by its own daemon at
#    another origin
DB2=neondb_jwtcopy
DATABASE_URL2="postgresql://postgres@127.0.0.1:$PG_PORT/$DB2"
AUTH_URL2=""
na_psql "$PG_PORT" postgres -c "DROP DATABASE IF EXISTS $DB2" >/dev/null 2>&1
if na_psql "$PG_PORT" postgres -c "CREATE DATABASE $DB2" >/dev/null; then
	P2=$(na_free_port "$PG_PORT")
	SOCK2=$TMP/authd2.sock
	na_conf "$TMP/authd2.conf" listen="unix:$SOCK2" workers=2 \
	    secret="$PEER_SECRET" log_level=notice \
	    auth_url="http://127.0.0.1:$P2/$DB2/auth" \
	    database="host=127.0.0.1 port=$PG_PORT dbname=$DB2 user=postgres"
	na_start "$TMP/authd2.conf" "$TMP/authd2.log"
	AUTHD2_PID=$NA_PID
	na_nginx_conf "$TMP/nginx2" "$P2" "unix:$SOCK2"
	if na_wait_ms 5000 test -S "$SOCK2" && na_nginx_start "$TMP/nginx2"; then
		AUTH_URL2="http://127.0.0.1:$P2/$DB2/auth"
	else
		echo "# second branch did not start"; tail -n 5 "$TMP/authd2.log" | sed 's/^/# /'
	fi
fi

# 4. the reference server on the same database (schema neon_auth_peer)
PEER_URL=""
if [ "${JWT_NO_PEER:-0}" != 1 ] && [ -f "$PEER/start.sh" ]; then
	PP=$(na_free_port "$PG_PORT" "${P2:-0}")
	mkdir -p "$TMP/peer"
	# reuse an installed node_modules of the same lock file, if any
	d=${TMPDIR:-/tmp}/neon-authd-peer
	if [ -d "$d/node_modules/better-auth" ] &&
	    cmp -s "$d/package-lock.json" "$PEER/package-lock.json"; then
		cp -a "$d/node_modules" "$TMP/peer/" 2>/dev/null
	fi
	PEER_STARTED=1
	if PEER_WORK=$TMP/peer PEER_PORT=$PP PEER_DATABASE_URL=$DATABASE_URL \
	    timeout 240 bash "$PEER/start.sh" >"$TMP/peer-start.log" 2>&1; then
		PEER_URL="http://127.0.0.1:$PP/api/auth"
	else
		echo "# reference server did not start (its checks skip):"
		tail -n 5 "$TMP/peer-start.log" | sed 's/^/# /'
	fi
elif [ "${JWT_NO_PEER:-0}" != 1 ]; then
	echo "# no reference server at $PEER (its checks skip)"
fi

# 5. the checks
AUTH_URL=$AUTH_URL DATABASE_URL=$DATABASE_URL AUTH_URL2=$AUTH_URL2 \
    DATABASE_URL2=$DATABASE_URL2 PEER_URL=$PEER_URL \
    PSQL="$(na_pgbin)/psql" PG_DUMP="$(na_pgbin)/pg_dump" \
    NA_BIN=$NA_BIN NA_CONF=$STACK_DIR/neon-authd.conf BRANCH=main \
    WORKERS=${STACK_WORKERS:-4} \
    timeout 300 node "$INTEROP/check.mjs"
rc=$?
if [ "$rc" != 0 ]; then
	echo "# neon-authd log (tail):"
	tail -n 30 "$STACK_DIR/neon-authd.log" 2>/dev/null | sed 's/^/#   /'
fi
exit $rc
