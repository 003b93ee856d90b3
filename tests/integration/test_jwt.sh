#!/usr/bin/env bash
# test_jwt.sh -- JWTs, JWKS, key rotation and RLS end to end (issue 5).
#
# Starts a throwaway local stack (tests/stack: PostgreSQL + neon-authd +
# nginx) whose secret is the reference server's, a second neon-authd +
# nginx serving a copy of the branch at another origin, and the reference
# Better Auth server (tests/reference/start.sh) on the same database; then runs tests/interop/jwt/check.mjs, which checks everything
# with jose and psql and prints TAP.  Everything is stopped on exit.
#
# Environment:
#   NA_TEST_TMP       parent of the work directory (default ${TMPDIR:-/tmp})
#   JWT_NO_PEER=1     do not start the reference server (its checks skip)
#   KEEP_TMP=1        keep the work directory
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

REF=$NA_TOP/tests/reference
INTEROP=$NA_TOP/tests/interop/jwt
# one secret on both sides (neon-authd's and the reference server's
# PEER_SECRET), for key rows to move between them
PEER_SECRET=jwt-test-shared-secret-5d1e8a3c7b9f2e4a6c8d0b1f3e5a7c9d

bail() { echo "Bail out! $*"; exit 1; }

TMP=$(mktemp -d "${NA_TEST_TMP:-${TMPDIR:-/tmp}}/neon-authd-jwt.XXXXXX") || bail "mktemp"
chmod 755 "$TMP"
export STACK_DIR=$TMP/stack
# Host with its port, as browsers send it: the Auth URL has a port
export NA_NGINX_HTTP_HOST=${NA_NGINX_HTTP_HOST:-'$http_host'}
AUTHD2_PID="" PEER_STARTED=0

cleanup() {
	[ "$PEER_STARTED" = 1 ] && PEER_WORK=$TMP/peer bash "$REF/stop.sh" >/dev/null 2>&1
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
if [ "${JWT_NO_PEER:-0}" != 1 ]; then
	PEER_STARTED=1
	if out=$(env -u PEER_PLUGINS -u PEER_OPTIONS -u PEER_PLUGIN_OPTIONS -u PEER_SMTP_PORT \
	    PEER_WORK=$TMP/peer PEER_SECRET=$PEER_SECRET PEER_DATABASE_URL=$DATABASE_URL \
	    PEER_PORT=$(na_free_port "$PG_PORT" "${P2:-0}") \
	    timeout 400 bash "$REF/start.sh" 2>"$TMP/peer-start.log"); then
		PEER_URL=$(printf '%s\n' "$out" | sed -n 's/^PEER_URL=//p')
	fi
	if [ -z "$PEER_URL" ]; then
		tail -n 10 "$TMP/peer-start.log" | sed 's/^/# /'
		bail "the reference server (tests/reference/start.sh) did not start"
	fi
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
