#!/usr/bin/env bash
# test_next.sh -- the Neon SDK's Next.js server side against neon-authd (issue 17).
#
# Builds tests/browser/next (Next.js, pinned: the SDK's proxy handler at /api/auth/[...path],
# its middleware guarding /dashboard, server components that render auth().getSession()),
# brings up a throwaway stack (tests/stack) and drives the app in headless Chromium
# (drive_next.mjs) against two Auth URLs on the same database:
#
#   http        the stack's own Auth URL (http://127.0.0.1:P/neondb/auth) with the branch's
#               settings.cookies.style "neon": __Secure-neon-auth.* cookies (Secure,
#               SameSite=None, Partitioned) on http loopback, the only names the SDK forwards
#               (with the default style they are neon-auth.* there and the server sees nothing)
#   https       a second neon-authd for the same database behind an nginx with a throwaway
#               certificate (https://127.0.0.1:Q/neondb/auth), default style:
#               __Secure-neon-auth.* with SameSite=Lax
#   https-neon  the same with style "neon"
#
# The app itself runs on http://127.0.0.1:N (`next start`), the branch trusts that origin only.
# Prints TAP; screenshots in the work directory (kept when a check fails or with KEEP=1).
#
# Environment: NA_TEST_TMP, NA_TEST_TIMEOUT (420 s), CHROMIUM (/usr/bin/chromium),
# NEXT_DEPLOYMENTS ("http https https-neon").
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
HERE=$NA_TOP/tests/browser
APP=$HERE/next
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export NEXT_TELEMETRY_DISABLED=1
t_init browser-next

T=$(mktemp -d "${NA_TEST_TMP:-${TMPDIR:-/tmp}}/neon-authd-next.XXXXXX") || { echo "Bail out! mktemp"; exit 1; }
chmod 755 "$T"
export STACK_DIR=$T/stack
TLS_NGX=$T/nginx-tls
STACK_STARTED=0
# Chromium's profile and its singleton socket go to TMPDIR: a short path, the socket's must fit
# in sun_path (108 bytes), which a work directory under run-all's does not
CHROME_TMP=$(mktemp -d /tmp/na-chromium.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
AUTHD2_PID="" NEXT_PID=""

stop_next() {
	[ -n "$NEXT_PID" ] || return 0
	kill -TERM -- "-$NEXT_PID" 2>/dev/null   # its own process group (setsid)
	na_wait_ms 10000 na_pid_dead "$NEXT_PID" || kill -KILL -- "-$NEXT_PID" 2>/dev/null
	NEXT_PID=""
}
cleanup() {
	rm -rf "$CHROME_TMP"
	stop_next
	[ -f "$TLS_NGX/nginx.pid" ] && na_nginx_stop "$TLS_NGX"
	[ -n "$AUTHD2_PID" ] && na_stop "$AUTHD2_PID" 10
	[ "$STACK_STARTED" = 1 ] && "$NA_TOP/tests/stack" down >/dev/null 2>&1
	[ "$STACK_STARTED" = 1 ] && [ "$T_FAIL" = 0 ] && [ "${KEEP:-0}" != 1 ] &&
		"$NA_TOP/tests/stack" wipe >/dev/null 2>&1
	na_test_release
}
na_test_guard cleanup 420 test_next

finish() { t_done; exit $?; }

# ---------------------------------------------------------------- prerequisites

if [ ! -x "$CHROMIUM" ]; then
	t_skip "Next.js server-side tests" "no $CHROMIUM (Debian package chromium; scripts/install-deps installs it)"
	finish
fi
if ! command -v node >/dev/null || ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
	t_skip "Next.js server-side tests" "Node.js >= 20 not found"
	finish
fi
if ! command -v openssl >/dev/null; then
	t_skip "Next.js server-side tests" "openssl not found (scripts/install-deps installs it)"
	finish
fi

npm_ci() { # DIR LOG: node_modules from the lock file, reinstalled only when it changed
	local dir=$1 log=$2 want stamp=$1/node_modules/.na-lock.sha256
	want=$(sha256sum < "$dir/package-lock.json" | cut -d' ' -f1)
	[ -d "$dir/node_modules" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
	(cd "$dir" && timeout 300 npm ci --no-audit --no-fund) > "$log" 2>&1 || return 1
	echo "$want" > "$stamp"
}
if npm_ci "$HERE" "$T/npm-ci-browser.log" && npm_ci "$APP" "$T/npm-ci-next.log"; then
	t_ok "npm ci (tests/browser and tests/browser/next lock files)"
else
	t_fail "npm ci (tests/browser and tests/browser/next lock files)" \
		"$(tail -n 20 "$T/npm-ci-browser.log" "$T/npm-ci-next.log" 2>/dev/null)"
	finish
fi

# next build, skipped when the sources and the lock file are what the last build was made of
src_sum=$(cd "$APP" && find app lib proxy.js next.config.mjs package-lock.json -type f | sort |
	xargs sha256sum | sha256sum | cut -d' ' -f1)
if [ -s "$APP/.next/BUILD_ID" ] && [ "$(cat "$APP/.next/.na-src.sha256" 2>/dev/null)" = "$src_sum" ]; then
	t_ok "next build (up to date with the sources)"
elif (cd "$APP" && timeout 300 node_modules/.bin/next build) > "$T/next-build.log" 2>&1 &&
	[ -s "$APP/.next/BUILD_ID" ]; then
	echo "$src_sum" > "$APP/.next/.na-src.sha256"
	t_ok "next build"
else
	t_fail "next build" "$(tail -n 25 "$T/next-build.log")"; finish
fi

# ---------------------------------------------------------------- the stack (http Auth URL)

export NA_NGINX_HTTP_HOST='$http_host'
STACK_STARTED=1
if env_out=$(timeout 300 "$NA_TOP/tests/stack" up 2>"$T/stack-up.log"); then
	eval "$(printf '%s\n' "$env_out" | sed -n 's/^\(AUTH_URL\|DATABASE_URL\)=\(.*\)$/\1="\2"/p')"
fi
if [ -n "${AUTH_URL:-}" ]; then t_ok "tests/stack up"
else t_fail "tests/stack up" "$(tail -n 20 "$T/stack-up.log")"; finish; fi
CONF=$STACK_DIR/neon-authd.conf
PG_PORT=${DATABASE_URL##*:}; PG_PORT=${PG_PORT%%/*}

# ---------------------------------------------------------------- the https Auth URL

TLS_PORT=$(na_free_port "${AUTH_URL##*:}")
HTTPS_AUTH_URL=https://127.0.0.1:$TLS_PORT$NA_BASE_PATH
mkdir -p "$T/tls"
tls_up() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$T/tls/key.pem" -out "$T/tls/cert.pem" \
		> "$T/tls/openssl.log" 2>&1 || return 1
	na_conf "$T/authd-tls.conf" listen="unix:$T/authd-tls.sock" workers=2 status=false \
		secret="$(cat "$STACK_DIR/secret")" auth_url="$HTTPS_AUTH_URL" \
		database="host=127.0.0.1 port=$PG_PORT dbname=$NA_DBNAME user=postgres" || return 1
	na_start "$T/authd-tls.conf" "$T/authd-tls.log"
	AUTHD2_PID=$NA_PID
	na_wait_ms 10000 test -S "$T/authd-tls.sock" || return 1
	# the stack's nginx settings, plus a TLS listener with the throwaway certificate
	NA_NGINX_EXTRA="    listen 127.0.0.1:$TLS_PORT ssl;
    ssl_certificate $T/tls/cert.pem;
    ssl_certificate_key $T/tls/key.pem;" \
		na_nginx_conf "$TLS_NGX" "$(na_free_port "$TLS_PORT")" "unix:$T/authd-tls.sock"
	na_nginx_start "$TLS_NGX" || return 1
	na_wait_ms 10000 eval "[ \"\$(curl -s --cacert '$T/tls/cert.pem' -o /dev/null -w '%{http_code}' '$HTTPS_AUTH_URL/ok')\" = 200 ]"
}
if tls_up; then t_ok "https Auth URL $HTTPS_AUTH_URL (second neon-authd, same database)"
else
	t_fail "https Auth URL $HTTPS_AUTH_URL" "$(tail -n 5 "$T/authd-tls.log" "$TLS_NGX/logs/error.log" "$T/tls/openssl.log" 2>/dev/null)"
	finish
fi

# ---------------------------------------------------------------- branch and user

NEXT_PORT=$(na_free_port "${AUTH_URL##*:}" "$TLS_PORT")
NEXT_URL=http://127.0.0.1:$NEXT_PORT
cfg() { "$NA_BIN" -c "$CONF" config set main "$@" >> "$T/config.log" 2>&1; }
# the rate limit is off: each deployment signs in twice within seconds (the Auth URL directly,
# then the browser through the proxy), all from 127.0.0.1 (sign-in is 3 per 10 s)
if cfg trusted_origins "[\"$NEXT_URL\"]" && cfg allow_localhost false &&
	cfg settings.rate_limit '{"enabled":false}'; then
	t_ok "branch config: trusted_origins [$NEXT_URL], allow_localhost false, rate limit off"
else
	t_fail "branch config: trusted_origins, allow_localhost, rate limit" "$(cat "$T/config.log")"; finish
fi
EMAIL=next-$$-$(date +%s)@example.com
PASSWORD=Correct-Horse-Battery-1
na_http "$AUTH_URL/sign-up/email" -H 'content-type: application/json' -H "origin: ${AUTH_URL%"$NA_BASE_PATH"}" \
	-d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"name\":\"Next Server\"}"
t_is "$HTTP_CODE" 200 "sign up $EMAIL on the branch"

# ---------------------------------------------------------------- Next.js, once per Auth URL

# style STYLE: the branch's settings.cookies.style for the next deployment; both neon-authd
# instances read it from the database (a NOTIFY, drained at each one's next request)
style() {
	if cfg settings.cookies "{\"style\":\"$1\"}"; then
		sleep 0.5   # the NOTIFY reaches every worker (each drains it at its next request)
		t_ok "branch config: settings.cookies.style \"$1\""
	else
		t_fail "branch config: settings.cookies.style \"$1\"" "$(tail -n 3 "$T/config.log")"; return 1
	fi
}

# auth_cookie DEPLOYMENT AUTH_URL ATTRIBUTES: what the Auth URL itself sets on sign-in (the
# SDK's proxy sets the cookie again for the app, with attributes of its own)
auth_cookie() {
	local got
	got=$(curl -s --max-time 10 --cacert "$T/tls/cert.pem" -D - -o /dev/null \
		-H 'content-type: application/json' -H "origin: ${2%"$NA_BASE_PATH"}" \
		-d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" "$2/sign-in/email" |
		tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^=]*session_token\)=[^;]*; Max-Age=[0-9]*; Path=\/; /\1; /p')
	t_is "$got" "__Secure-neon-auth.session_token; $3" "$1: the Auth URL sets __Secure-neon-auth.session_token; $3"
}

run_next() { # DEPLOYMENT AUTH_URL SET_COOKIE_ATTRIBUTES
	local dep=$1 url=$2 out=$T/drive-$1.tap rc p f s
	auth_cookie "$dep" "$url" "$3"
	(cd "$APP" && NEON_AUTH_BASE_URL=$url NEON_AUTH_COOKIE_SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n') \
		NODE_EXTRA_CA_CERTS=$T/tls/cert.pem exec setsid node_modules/.bin/next start -H 127.0.0.1 -p "$NEXT_PORT") \
		< /dev/null > "$T/next-$dep.log" 2>&1 &
	NEXT_PID=$!
	if ! na_wait_http "$NEXT_URL/auth/sign-in" 30; then
		t_fail "$dep: next start answers on $NEXT_URL" "$(tail -n 20 "$T/next-$dep.log")"
		stop_next; return
	fi
	mkdir -p "$T/$dep" "$CHROME_TMP/$dep"
	(cd "$HERE" && DEPLOYMENT=$dep NEXT_URL=$NEXT_URL EMAIL=$EMAIL PASSWORD=$PASSWORD WORK=$T/$dep \
		TMPDIR=$CHROME_TMP/$dep TAP_START=$T_N CHROMIUM=$CHROMIUM timeout -k 5 120 node drive_next.mjs) \
		< /dev/null 2>"$T/drive-$dep.err" | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(grep -cE '^ok ' "$out"); f=$(grep -cE '^not ok ' "$out")
	s=$(grep -ciE '^ok [0-9]+ .*# SKIP' "$out")
	T_N=$((T_N + p + f)); T_PASS=$((T_PASS + p - s)); T_SKIP=$((T_SKIP + s)); T_FAIL=$((T_FAIL + f))
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then t_fail "$dep: the driver exited $rc" "$(tail -n 20 "$T/drive-$dep.err")"; fi
	if grep -qE 'Error|ERR_' "$T/next-$dep.log"; then t_diag "next start ($dep) logged: $(grep -E 'Error|ERR_' "$T/next-$dep.log" | head -5)"; fi
	stop_next
}
NEON_ATTRS="HttpOnly; Secure; SameSite=None; Partitioned"
for d in ${NEXT_DEPLOYMENTS:-http https https-neon}; do
	case "$d" in
	http) style neon && run_next http "$AUTH_URL" "$NEON_ATTRS" ;;
	https) style auto && run_next https "$HTTPS_AUTH_URL" "HttpOnly; Secure; SameSite=Lax" ;;
	https-neon) style neon && run_next https-neon "$HTTPS_AUTH_URL" "$NEON_ATTRS" ;;
	*) t_fail "unknown deployment $d" ;;
	esac
done
finish
