/*
 * origin.h -- trusted origins, the Origin/CSRF guards of Better Auth
 * (protocol.md §6) and credentialed CORS (neon.md §13, spec README
 * decision 17).
 *
 * The trusted list of a branch is its own origin (r->branch->origin), the
 * entries of project_config.trusted_origins (r->bcfg), and, when
 * allow_localhost is on, http/https on localhost, 127.0.0.1 and [::1]
 * with any port (decision 13).  With r->bcfg NULL only the branch origin
 * is trusted.
 *
 * Guards that fail set the exact error reply on r and return -1.
 */
#ifndef NEON_AUTHD_ORIGIN_H
#define NEON_AUTHD_ORIGIN_H

#include <json-c/json.h>

#include "http/error.h"
#include "http/request.h"

/*
 * origin_match: Better Auth's matchesOriginPattern(url, pattern)
 * (protocol.md §6.5).  1 when url matches pattern, else 0.
 *
 *  - url starting with '/': only when allow_relative, and only a safe
 *    relative URL (no "//", no '\', no control characters, no %2F/%5C
 *    in the path, stays on the origin it is resolved against);
 *  - pattern with '*' or '?' and no "://": glob over the URL's
 *    host[:port] ('*' spans dots, '?' is one character);
 *  - pattern with wildcards and "://": glob over the URL's origin;
 *  - http/https URL, pattern without wildcards: exact equality of the
 *    URL's origin and the pattern string;
 *  - any other scheme (myapp://, exp://): same scheme, the pattern's
 *    authority (if any) equal to or globbing the URL's, the pattern's
 *    path (if any) a path-segment prefix (or glob) of the URL's path
 *    after percent-decoding and dot-segment removal.
 * A glob whose host part is only digits, dots and wildcards
 * ("192.168.*.*") needs the URL's host to be an IPv4 address.
 * javascript:, data: and vbscript: URLs, and absolute URLs holding
 * control characters, never match.
 */
int	 origin_match(const char *url, const char *pattern, int allow_relative);

/*
 * origin_trusted: 1 when url matches one of r's trusted origins (see the
 * top of this file), else 0.  NULL or "" is never trusted.
 */
int	 origin_trusted(struct request *r, const char *url, int allow_relative);

/*
 * origin_check: the router-level originCheckMiddleware (protocol.md
 * §6.2), to call for every routed request after body parsing and before
 * validation.  A no-op for GET, HEAD and OPTIONS.  Otherwise:
 *  1. with a Cookie header: Origin (else Referer; "Origin: null" with
 *     "Sec-Fetch-Site: same-origin" stands for the branch's own origin)
 *     must be present -> 403 MISSING_OR_NULL_ORIGIN, and trusted -> 403
 *     INVALID_ORIGIN.  Requests without cookies (bearer) skip this;
 *  2. body.callbackURL (else query.callbackURL), body.redirectTo,
 *     body.errorCallbackURL, body.newUserCallbackURL, when present (JS
 *     truthy), must be strings -> 400 {"message":"Invalid <label>:
 *     expected a string"} and trusted (relative allowed) -> 403
 *     INVALID_CALLBACK_URL / INVALID_REDIRECT_URL /
 *     INVALID_ERROR_CALLBACK_URL / INVALID_NEW_USER_CALLBACK_URL.
 * body may be NULL (no body) and is borrowed.  Returns ERR_NONE or the
 * error.
 */
enum err origin_check(struct request *r, json_object *body);

/*
 * origin_form_csrf: formCsrfMiddleware (protocol.md §6.3) for
 * /sign-up/email, /sign-in/email and /email-otp/send-verification-otp,
 * after input validation.  Returns ERR_NONE, or
 * ERR_CROSS_SITE_NAVIGATION_LOGIN_BLOCKED, ERR_MISSING_OR_NULL_ORIGIN,
 * ERR_INVALID_ORIGIN.
 */
enum err origin_form_csrf(struct request *r);

/*
 * origin_check_query_callback: the endpoint check of protocol.md §6.4
 * for GET /verify-email, /reset-password/:token and
 * /delete-user/callback: a non-empty query.callbackURL (its first value;
 * call after query validation) must be trusted, relative allowed.
 * Returns ERR_NONE or ERR_INVALID_CALLBACK_URL.
 */
enum err origin_check_query_callback(struct request *r);

/* What preflights allow (neon.md §6.1, §13). */
#define CORS_ALLOW_METHODS	"GET, POST, OPTIONS"
#define CORS_ALLOW_HEADERS	"content-type, authorization, " \
				"x-neon-client-info, x-force-fetch, " \
				"x-neon-ret-request-id"
#define CORS_MAX_AGE		"600"

/*
 * cors_preflight: answer an OPTIONS request: always 204 with an empty
 * body and "Vary: Origin, Access-Control-Request-Method,
 * Access-Control-Request-Headers".  When the Origin header is a trusted
 * origin (relative not allowed, "null" never), also
 * Access-Control-Allow-Origin: <Origin>, -Allow-Credentials: true,
 * -Allow-Methods, -Allow-Headers, -Max-Age (and -Allow-Private-Network
 * when asked for).  An untrusted or missing Origin gets the bare 204:
 * the browser then refuses the real request, and nothing about the
 * trusted list leaks (decision 17).  Returns 1 when CORS was granted,
 * else 0; the reply is set either way.
 */
int	 cors_preflight(struct request *r);

/*
 * cors_headers: when the Origin header is trusted, add
 * Access-Control-Allow-Origin: <Origin> and -Allow-Credentials: true, and
 * put set-auth-jwt, set-auth-token and x-retry-after on the expose list
 * (reply_expose(): the worker emits r->expose as one
 * Access-Control-Expose-Headers header at the end); always add
 * "Vary: Origin".  Call once per response of a branch, before or after
 * the handler (headers added here survive reply_raw()), so that errors,
 * 429 and redirects carry them too.  Idempotent: does nothing when the
 * reply already has a Vary header naming Origin (a preflight answer).
 */
void	 cors_headers(struct request *r);

#endif
