#!/usr/bin/env bash
# test_ui.sh -- the stock auth UI in a real browser against the local stack (issue 17).
#
# Builds the test app (tests/browser/app: Vite + React; page ba/ renders the stock components of
# @daveyplate/better-auth-ui on better-auth's React client, page neon/ renders
# @neondatabase/auth-ui on @neondatabase/auth), brings up a throwaway stack (tests/stack:
# PostgreSQL + neon-authd + nginx) and drives both pages in headless Chromium (Debian's
# /usr/bin/chromium through playwright-core, see drive.mjs) on two deployments:
#
#   same-origin    the app's static build and the Auth URL behind the stack's one nginx
#                  (http://127.0.0.1:P/app/... and http://127.0.0.1:P/neondb/auth)
#   cross-origin   the app served by a second nginx on another port; the Auth URL answers it
#                  with credentialed CORS because its origin is the branch's one trusted origin
#                  (allow_localhost off); the same app from http://localhost:Q is not trusted
#
# Social sign-in goes to a real OpenID provider on loopback (oidc.mjs: oidc-provider from
# tests/interop's lock file, with its own login and consent pages), configured on the branch as
# provider "google" with that issuer's endpoints, so the UI's Google button leads there. The
# same-origin run also opens the API reference page (GET reference) with every request off the
# Auth URL's origin refused (offline). Mail (verification codes, reset links) goes to a real SMTP
# server on loopback (tests/integration/smtp_sink.py, Debian's python3-aiosmtpd), the branch's
# email_provider; the driver reads the messages it stores.
#
# Prints TAP. Screenshots of every step (shots/) and the calls each page made (calls-*.json)
# stay in the work directory when a check fails or with KEEP=1.
#
# Environment: NA_TEST_TMP (parent of the work directory), NA_TEST_TIMEOUT (480 s), CHROMIUM
# (/usr/bin/chromium), BROWSER_DEPLOYMENTS ("same-origin cross-origin"), LIBS ("ba,neon").
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
HERE=$NA_TOP/tests/browser
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
t_init browser-ui

T=$(mktemp -d "${NA_TEST_TMP:-${TMPDIR:-/tmp}}/neon-authd-browser.XXXXXX") || { echo "Bail out! mktemp"; exit 1; }
chmod 755 "$T"
export STACK_DIR=$T/stack
APP_NGX=$T/nginx-app
STACK_STARTED=0
# Chromium's profile and its singleton socket go to TMPDIR: a short path, the socket's must fit
# in sun_path (108 bytes), which a work directory under run-all's does not
CHROME_TMP=$(mktemp -d /tmp/na-chromium.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
OIDC_PID="" SMTP_PID=""

cleanup() {
	rm -rf "$CHROME_TMP"
	if [ -n "$SMTP_PID" ]; then
		kill -TERM "$SMTP_PID" 2>/dev/null
		na_wait_ms 5000 na_pid_dead "$SMTP_PID" || kill -KILL "$SMTP_PID" 2>/dev/null
	fi
	if [ -n "$OIDC_PID" ]; then
		kill -TERM "$OIDC_PID" 2>/dev/null
		na_wait_ms 5000 na_pid_dead "$OIDC_PID" || kill -KILL "$OIDC_PID" 2>/dev/null
	fi
	[ -f "$APP_NGX/nginx.pid" ] && na_nginx_stop "$APP_NGX"
	[ "$STACK_STARTED" = 1 ] && "$NA_TOP/tests/stack" down >/dev/null 2>&1
	[ "$STACK_STARTED" = 1 ] && [ "$T_FAIL" = 0 ] && [ "${KEEP:-0}" != 1 ] &&
		"$NA_TOP/tests/stack" wipe >/dev/null 2>&1
	na_test_release
}
na_test_guard cleanup 480 test_ui

finish() { t_done; exit $?; }

# ---------------------------------------------------------------- prerequisites

if [ ! -x "$CHROMIUM" ]; then
	t_skip "browser tests" "no $CHROMIUM (Debian package chromium; scripts/install-deps installs it)"
	finish
fi
if ! command -v node >/dev/null || ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
	t_skip "browser tests" "Node.js >= 20 not found"
	finish
fi

# node_modules from the lock file, reinstalled only when the lock file changed
npm_ci() { # DIR LOG
	local dir=$1 log=$2 want stamp=$1/node_modules/.na-lock.sha256
	want=$(sha256sum < "$dir/package-lock.json" | cut -d' ' -f1)
	[ -d "$dir/node_modules" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
	(cd "$dir" && timeout 300 npm ci --no-audit --no-fund) > "$log" 2>&1 || return 1
	echo "$want" > "$stamp"
}
if npm_ci "$HERE" "$T/npm-ci.log"; then t_ok "npm ci (tests/browser/package-lock.json)"
else t_fail "npm ci (tests/browser/package-lock.json)" "$(tail -n 20 "$T/npm-ci.log")"; finish; fi

WWW=$T/www
if (cd "$HERE" && APP_OUT_DIR=$WWW/app timeout 180 node_modules/.bin/vite build) > "$T/vite-build.log" 2>&1 &&
	[ -s "$WWW/app/ba/index.html" ] && [ -s "$WWW/app/neon/index.html" ]; then
	t_ok "vite build of the test app"
else
	t_fail "vite build of the test app" "$(tail -n 20 "$T/vite-build.log")"; finish
fi

# ---------------------------------------------------------------- the stack, app same-origin

# static_locations CONFIG_JS_BODY: the nginx lines that serve the built app under /app/
static_locations() {
	cat <<EOF
    include /etc/nginx/mime.types;
    location = /favicon.ico { return 204; }
    location = /app/config.js {
      default_type application/javascript;
      add_header Cache-Control no-store;
      return 200 '$1';
    }
    location /app/ba/ { root $WWW; try_files \$uri /app/ba/index.html; }
    location /app/neon/ { root $WWW; try_files \$uri /app/neon/index.html; }
    location /app/ { root $WWW; try_files \$uri \$uri/index.html =404; }
EOF
}

# the app's run-time configuration: the Auth URL, and the social provider the branch gets below
# (its button shows on the sign-in page)
SOCIAL_JS='window.NA_SOCIAL = ["google"];'
export NA_NGINX_EXTRA
NA_NGINX_EXTRA=$(static_locations "window.NA_AUTH_URL = location.origin + \"$NA_BASE_PATH\"; $SOCIAL_JS")
# Host with its port, as browsers send it
export NA_NGINX_HTTP_HOST='$http_host'
STACK_STARTED=1
if env_out=$(timeout 300 "$NA_TOP/tests/stack" up 2>"$T/stack-up.log"); then
	eval "$(printf '%s\n' "$env_out" | sed -n 's/^\(AUTH_URL\|DATABASE_URL\)=\(.*\)$/\1="\2"/p')"
fi
if [ -n "${AUTH_URL:-}" ]; then t_ok "tests/stack up (app and Auth URL behind one nginx)"
else t_fail "tests/stack up (app and Auth URL behind one nginx)" "$(tail -n 20 "$T/stack-up.log")"; finish; fi
SAME_ORIGIN=${AUTH_URL%"$NA_BASE_PATH"}
CONF=$STACK_DIR/neon-authd.conf

# ---------------------------------------------------------------- the app on another origin

APP_PORT=$(na_free_port "${SAME_ORIGIN##*:}")
CROSS_ORIGIN=http://127.0.0.1:$APP_PORT
UNTRUSTED=http://localhost:$APP_PORT
mkdir -p "$APP_NGX/tmp" "$APP_NGX/logs"
user=""; na_is_root && user="user root;"
cat > "$APP_NGX/nginx.conf" <<EOF
# the test app alone, on another origin than the Auth URL (tests/browser/test_ui.sh)
$user
daemon on;
worker_processes 1;
pid $APP_NGX/nginx.pid;
error_log $APP_NGX/logs/error.log notice;
events { worker_connections 256; }
http {
$(na_nginx_paths "$APP_NGX")
  server {
    listen 127.0.0.1:$APP_PORT;
$(static_locations "window.NA_AUTH_URL = \"$AUTH_URL\"; $SOCIAL_JS")
  }
}
EOF
if na_nginx_start "$APP_NGX" && na_wait_http "$CROSS_ORIGIN/app/ba/" 5; then
	t_ok "app served on $CROSS_ORIGIN"
else
	t_fail "app served on $CROSS_ORIGIN" "$(tail -n 5 "$APP_NGX/logs/error.log" 2>/dev/null)"; finish
fi

# The branch trusts the cross-origin app and nothing else (allow_localhost would trust every
# loopback origin); the browser signs in many times in a few seconds from one address, so the
# rate limit is off for this branch.
cfg() { "$NA_BIN" -c "$CONF" config set main "$@" >> "$T/config.log" 2>&1; }
if cfg trusted_origins "[\"$CROSS_ORIGIN\"]" && cfg allow_localhost false &&
	cfg settings.rate_limit '{"enabled":false}'; then
	t_ok "branch config: trusted_origins [$CROSS_ORIGIN], allow_localhost false, rate limit off"
else
	t_fail "branch config: trusted_origins, allow_localhost, rate limit" "$(cat "$T/config.log")"; finish
fi

# ---------------------------------------------------------------- the OpenID provider

# tests/interop's node_modules (oidc-provider, jose): run-all's interop step installs them; a
# run of this file alone does it when they are missing or older than the lock file
interop_modules() {
	local dir=$NA_TOP/tests/interop
	[ -d "$dir/node_modules/oidc-provider" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ] &&
		return 0
	(cd "$dir" && timeout 300 npm ci --no-audit --no-fund) > "$T/npm-ci-interop.log" 2>&1
}
OIDC_ISSUER="" OIDC_WHY=""
if ! interop_modules; then
	OIDC_WHY="tests/interop has no node_modules (npm ci failed: $(tail -n 1 "$T/npm-ci-interop.log"))"
else
	(cd "$HERE" && AUTH_URL=$AUTH_URL DATABASE_URL=$DATABASE_URL exec node oidc.mjs) \
		< /dev/null > "$T/oidc.out" 2> "$T/oidc.err" &
	OIDC_PID=$!
	na_wait_ms 15000 grep -q '^OIDC_CLIENT_SECRET=' "$T/oidc.out"
	OIDC_ISSUER=$(sed -n 's/^OIDC_ISSUER=//p' "$T/oidc.out")
	OIDC_CLIENT_ID=$(sed -n 's/^OIDC_CLIENT_ID=//p' "$T/oidc.out")
	OIDC_CLIENT_SECRET=$(sed -n 's/^OIDC_CLIENT_SECRET=//p' "$T/oidc.out")
fi
if [ -n "$OIDC_ISSUER" ] && [ -n "$OIDC_CLIENT_SECRET" ] && cfg social_providers "[{\"id\":\"google\",
	\"client_id\":\"$OIDC_CLIENT_ID\",\"client_secret\":\"$OIDC_CLIENT_SECRET\",\"issuer\":\"$OIDC_ISSUER\",
	\"authorization_endpoint\":\"$OIDC_ISSUER/auth\",\"token_endpoint\":\"$OIDC_ISSUER/token\",
	\"jwks_uri\":\"$OIDC_ISSUER/jwks\"}]"; then
	t_ok "OpenID provider on $OIDC_ISSUER, the branch's social provider \"google\" points at it"
elif [ -n "$OIDC_WHY" ]; then
	t_skip "OpenID provider for social sign-in" "$OIDC_WHY"
else
	OIDC_ISSUER=""
	t_fail "OpenID provider for social sign-in" "$(tail -n 5 "$T/oidc.err" "$T/config.log")"
fi

# ---------------------------------------------------------------- the SMTP server

# Debian's python3 (the sink's #! line), where python3-aiosmtpd lives
PY=/usr/bin/python3 MAIL_DIR=$T/mail MAIL_WHY=""
SMTP_PORT=$(na_free_port "${SAME_ORIGIN##*:}" "$APP_PORT")
if ! "$PY" -c 'import aiosmtpd' 2>/dev/null; then
	MAIL_WHY="no python3-aiosmtpd for the SMTP server (scripts/install-deps installs it)"
	t_skip "SMTP server for the mail the UI flows need" "$MAIL_WHY"
else
	mkdir -p "$MAIL_DIR"
	"$PY" "$NA_TOP/tests/integration/smtp_sink.py" --port "$SMTP_PORT" --dir "$MAIL_DIR" \
		< /dev/null > "$T/smtp.log" 2>&1 &
	SMTP_PID=$!
	if na_wait_ms 10000 grep -q '^ready' "$T/smtp.log" && cfg email_provider "{\"type\":\"standard\",
		\"host\":\"127.0.0.1\",\"port\":$SMTP_PORT,\"security\":\"none\",\"sender_email\":\"auth@example.com\",
		\"sender_name\":\"neon-authd browser tests\"}"; then
		t_ok "SMTP server on 127.0.0.1:$SMTP_PORT, the branch's email_provider"
	else
		MAIL_WHY="the SMTP server did not start"
		t_fail "SMTP server on 127.0.0.1:$SMTP_PORT, the branch's email_provider" "$(tail -n 5 "$T/smtp.log" "$T/config.log")"
	fi
fi

# ---------------------------------------------------------------- the browser

drive() { # DEPLOYMENT APP_URL [UNTRUSTED]
	local out=$T/drive-$1.tap rc
	mkdir -p "$T/$1" "$CHROME_TMP/$1"
	(cd "$HERE" && DEPLOYMENT=$1 APP_URL=$2 UNTRUSTED=${3:-} AUTH_URL=$AUTH_URL WORK=$T/$1 \
		TMPDIR=$CHROME_TMP/$1 TAP_START=$T_N CHROMIUM=$CHROMIUM OIDC_ISSUER=$OIDC_ISSUER \
		OIDC_WHY=${OIDC_WHY:-the OpenID provider did not start} REFERENCE=${4:-} \
		MAIL_DIR=$([ -z "$MAIL_WHY" ] && echo "$MAIL_DIR") MAIL_WHY=$MAIL_WHY PY=$PY \
		NA_BIN=$NA_BIN CONF=$CONF \
		timeout -k 5 240 node drive.mjs) < /dev/null 2>"$T/drive-$1.err" | tee "$out"
	rc=${PIPESTATUS[0]}
	# the driver's results join this file's count
	local p f s
	p=$(grep -cE '^ok ' "$out"); f=$(grep -cE '^not ok ' "$out")
	s=$(grep -ciE '^ok [0-9]+ .*# SKIP' "$out")
	T_N=$((T_N + p + f)); T_PASS=$((T_PASS + p - s)); T_SKIP=$((T_SKIP + s)); T_FAIL=$((T_FAIL + f))
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		t_fail "$1: the driver exited $rc" "$(tail -n 20 "$T/drive-$1.err")"
	fi
}

for d in ${BROWSER_DEPLOYMENTS:-same-origin cross-origin}; do
	case "$d" in
	same-origin) drive same-origin "$SAME_ORIGIN" "" reference ;;
	cross-origin) drive cross-origin "$CROSS_ORIGIN" "$UNTRUSTED" ;;
	*) t_fail "unknown deployment $d" ;;
	esac
done

# the daemon logged no secret and no crash while the UI ran
# (nor a reset token, nor an address the mail went to)
BAD='Correct-Horse|session_token=|reset-password/[A-Za-z0-9]{8}|@example\.com|segfault|signal 11'
if grep -qiE "$BAD" "$STACK_DIR/neon-authd.log"; then
	t_fail "neon-authd log has no password, cookie, token, address or crash" "$(grep -iE "$BAD" "$STACK_DIR/neon-authd.log" | head -5)"
else
	t_ok "neon-authd log has no password, cookie, token, address or crash"
fi
finish
