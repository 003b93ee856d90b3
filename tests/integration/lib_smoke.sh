# shellcheck shell=bash
# lib_smoke.sh -- the smoke suite that test_webservers.sh runs through every web-server front,
# also used by test_packaging.sh and test_systemd.sh (sourced after tests/lib.sh; never run).
#
#   sm_req METHOD URL [CURL ARGS...]   one request (15 s max); sets SM_CODE, SM_BODY, SM_HDRS
#                                      (the response headers, CR stripped)
#   sm_header NAME                     value of the last NAME header of SM_HDRS
#   sm_cert DIR                        a self-signed certificate for 127.0.0.1:
#                                      DIR/cert.pem (also the CA file for curl), DIR/key.pem
#   sm_suite LABEL BASE [CURL ARGS...] TAP lines for: ok, sign-up, sign-in, get-session with the
#                                      cookie, a bearer request, sign-out, a large body -> 413.
#                                      BASE is the Auth URL (https://... for the TLS fronts: the
#                                      session cookie must then be "__Host-" and Secure, or
#                                      SM_HTTPS_PREFIX's).
#                                      The CURL ARGS go to every request (--cacert FILE).
#                                      SM_413_FROM ("the web server" or "neon-authd"), when
#                                      set, is who must refuse the large body (a JSON body
#                                      means neon-authd).
#   sm_signup_signin LABEL BASE [CURL ARGS...]   sign-up, sign-in and get-session only
#
# Sign-up and sign-in carry no Origin and no fetch-metadata header (curl sends none), which
# neon-authd accepts from a non-browser client; sign-out carries a cookie, so it sends the
# Origin of the Auth URL, as a browser would (without one: 403 MISSING_OR_NULL_ORIGIN).

SM_PASSWORD="smoke-password-123"
SM_BIG_KIB=${SM_BIG_KIB:-200}

sm_req() {
  local method=$1 url=$2 h b; shift 2
  h=$(mktemp) b=$(mktemp)
  SM_CODE=$(curl -s --max-time 15 -X "$method" -D "$h" -o "$b" -w '%{http_code}' "$@" "$url" 2>/dev/null) || true
  SM_HDRS=$(tr -d '\r' < "$h")
  SM_BODY=$(cat "$b")
  rm -f "$h" "$b"
}

sm_header() {
  grep -i "^$1:" <<<"$SM_HDRS" | tail -n 1 | sed 's/^[^:]*:[[:space:]]*//'
}

sm_cert() {
  local d=$1
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 2 \
    -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$d/key.pem" -out "$d/cert.pem" >/dev/null 2>&1 || return 1
  chmod 600 "$d/key.pem"
}

# sm_diag: the last reply, for a failed check
sm_diag() { echo "HTTP $SM_CODE; headers: $(head -c 600 <<<"$SM_HDRS" | tr '\n' '|')"; echo "body: $(head -c 400 <<<"$SM_BODY")"; }

# sm_origin URL: scheme://host[:port] of URL
sm_origin() { sed -E 's|^([a-z]+://[^/]+).*|\1|' <<<"$1"; }

sm_email() { echo "smoke-$(tr -c 'a-z0-9\n' '-' <<<"$1")-$$-$RANDOM@example.com"; }

# sm_signup LABEL BASE EMAIL CURLARGS...: sign-up; checks the cookie name/attributes
sm_signup() {
  local label=$1 base=$2 email=$3 cname="neon-auth.session_token" setc; shift 3
  # https: a freshly migrated branch has __Host- names (settings.cookies.style "host",
  # sql/015); SM_HTTPS_PREFIX=__Secure- for a branch with the "auto" or "neon" names
  case $base in https://*) cname="${SM_HTTPS_PREFIX:-__Host-}$cname" ;; esac
  sm_req POST "$base/sign-up/email" "$@" -H 'Content-Type: application/json' \
    --data "{\"email\":\"$email\",\"password\":\"$SM_PASSWORD\",\"name\":\"Smoke Test\"}"
  setc=$(grep -i '^set-cookie:' <<<"$SM_HDRS" | grep -F " $cname=" | head -n 1)
  if [ "$SM_CODE" = 200 ] && [ "$(jq -r '.user.email' <<<"$SM_BODY" 2>/dev/null)" = "$email" ] &&
     [ -n "$setc" ]; then
    case $base in
      https://*)
        if grep -qi '; *Secure' <<<"$setc" && grep -qi '; *HttpOnly' <<<"$setc"; then
          t_ok "$label: sign-up -> 200, cookie $cname; Secure; HttpOnly"
        else
          t_fail "$label: sign-up sets a Secure, HttpOnly $cname cookie" "$setc"
        fi ;;
      *)
        if grep -qi '; *Secure' <<<"$setc"; then t_fail "$label: sign-up over http sets no Secure cookie" "$setc"
        else t_ok "$label: sign-up -> 200, cookie $cname (not Secure over http)"; fi ;;
    esac
  else
    t_fail "$label: sign-up -> 200 with user $email and a $cname cookie" "$(sm_diag)"
  fi
}

# sm_signin LABEL BASE EMAIL JAR CURLARGS...: sets SM_TOKEN (set-auth-token)
sm_signin() {
  local label=$1 base=$2 email=$3 jar=$4; shift 4
  sm_req POST "$base/sign-in/email" "$@" -c "$jar" -H 'Content-Type: application/json' \
    --data "{\"email\":\"$email\",\"password\":\"$SM_PASSWORD\"}"
  SM_TOKEN=$(sm_header set-auth-token)
  if [ "$SM_CODE" = 200 ] && [ "$(jq -r '.user.email' <<<"$SM_BODY" 2>/dev/null)" = "$email" ] &&
     [ -n "$SM_TOKEN" ] && grep -q 'session_token' "$jar" 2>/dev/null; then
    t_ok "$label: sign-in -> 200, session cookie kept by curl, set-auth-token header"
  else
    t_fail "$label: sign-in -> 200 with a session cookie and set-auth-token" "$(sm_diag)"
  fi
}

# sm_session_cookie LABEL BASE EMAIL JAR CURLARGS...
sm_session_cookie() {
  local label=$1 base=$2 email=$3 jar=$4; shift 4
  sm_req GET "$base/get-session" "$@" -b "$jar"
  if [ "$SM_CODE" = 200 ] && [ "$(jq -r '.user.email' <<<"$SM_BODY" 2>/dev/null)" = "$email" ] &&
     [ -n "$(jq -r '.session.id // empty' <<<"$SM_BODY" 2>/dev/null)" ]; then
    t_ok "$label: get-session with the cookie -> the session of $email"
  else
    t_fail "$label: get-session with the cookie -> the session of $email" "$(sm_diag)"
  fi
}

sm_signup_signin() {
  local label=$1 base=$2 email jar; shift 2
  email=$(sm_email "$label"); jar=$(mktemp)
  sm_signup "$label" "$base" "$email" "$@"
  sm_signin "$label" "$base" "$email" "$jar" "$@"
  sm_session_cookie "$label" "$base" "$email" "$jar" "$@"
  rm -f "$jar"
}

sm_suite() {
  local label=$1 base=$2 email jar big; shift 2
  email=$(sm_email "$label"); jar=$(mktemp); big=$(mktemp)

  sm_req GET "$base/ok" "$@"
  if [ "$SM_CODE" = 200 ] && [ "$(jq -r '.ok' <<<"$SM_BODY" 2>/dev/null)" = true ]; then
    t_ok "$label: GET /ok -> 200 $SM_BODY"
  else
    t_fail "$label: GET /ok -> 200 {\"ok\":true}" "$(sm_diag)"
  fi

  sm_signup "$label" "$base" "$email" "$@"
  sm_signin "$label" "$base" "$email" "$jar" "$@"
  sm_session_cookie "$label" "$base" "$email" "$jar" "$@"

  # the bearer plugin: only the Authorization header, no cookie
  sm_req GET "$base/get-session" "$@" -H "Authorization: Bearer $SM_TOKEN"
  if [ -n "$SM_TOKEN" ] && [ "$SM_CODE" = 200 ] &&
     [ "$(jq -r '.user.email' <<<"$SM_BODY" 2>/dev/null)" = "$email" ]; then
    t_ok "$label: get-session with Authorization: Bearer <set-auth-token> (no cookie) -> the session"
  else
    t_fail "$label: get-session with Authorization: Bearer -> the session (Authorization passed through?)" "$(sm_diag)"
  fi

  # a cookie-carrying POST needs an Origin (Better Auth's origin check), as a browser sends it
  sm_req POST "$base/sign-out" "$@" -b "$jar" -c "$jar" -H "Origin: $(sm_origin "$base")" \
    -H 'Content-Type: application/json' --data '{}'
  local out_code=$SM_CODE out_body=$SM_BODY
  sm_req GET "$base/get-session" "$@" -H "Authorization: Bearer $SM_TOKEN"
  if [ "$out_code" = 200 ] && [ "$(jq -r '.success' <<<"$out_body" 2>/dev/null)" = true ] &&
     [ "$SM_CODE" = 200 ] && [ "$SM_BODY" = null ]; then
    t_ok "$label: sign-out -> 200 {\"success\":true}; the token no longer gives a session"
  else
    t_fail "$label: sign-out -> 200, then get-session -> null" "sign-out: HTTP $out_code $out_body" "$(sm_diag)"
  fi

  { printf '{"email":"%s","password":"%s","name":"' "$email" "$SM_PASSWORD"
    head -c $((SM_BIG_KIB * 1024)) /dev/zero | tr '\0' a; printf '"}'; } > "$big"
  # HTTP/1.1: over HTTP/2 lighttpd 1.4.69 resets the stream instead (curl then sees no status).
  # Expect: 100-continue lets the server refuse before the body is sent; without it a server that
  # answers 413 early and closes can reset the connection while curl is still uploading (seen with
  # lighttpd over TLS), and curl then reports no status at all.
  sm_req POST "$base/sign-up/email" "$@" --http1.1 -H 'Expect: 100-continue' \
    -H 'Content-Type: application/json' --data-binary @"$big"
  if [ "$SM_CODE" = 413 ]; then
    local who="the web server"
    jq -e 'type == "object"' <<<"$SM_BODY" >/dev/null 2>&1 && who="neon-authd"
    if [ -z "${SM_413_FROM:-}" ] || [ "$who" = "$SM_413_FROM" ]; then
      t_ok "$label: a ${SM_BIG_KIB} KiB body -> 413 (from $who)"
    else
      t_fail "$label: a ${SM_BIG_KIB} KiB body -> 413 from $SM_413_FROM" "413 came from $who: $(sm_diag)"
    fi
  else
    t_fail "$label: a ${SM_BIG_KIB} KiB body -> 413" "$(sm_diag)"
  fi
  rm -f "$jar" "$big"
}
