/*
 * httpc.h -- everything that goes through libcurl: URL helpers over the
 * curl_url API (absolute URL -> scheme, host, port, path and the
 * WHATWG-style origin) and the outbound HTTP client the OAuth flow uses
 * (token endpoints, user info, discovery, JWKS).
 *
 * httpc.c is the only file that includes curl/curl.h (besides the mail
 * transport).
 */
#ifndef NEON_AUTHD_HTTPC_H
#define NEON_AUTHD_HTTPC_H

#include "lib/arena.h"

#define HTTPC_SCHEME_MAX	32
#define HTTPC_HOST_MAX		256	/* DNS names stop at 253 */

/*
 * struct httpc_url: the parts of an absolute URL that origin checks need,
 * normalised as browsers serialise url.origin / url.host:
 *   scheme    lower case ("https")
 *   host      lower case, IPv4 in dotted-quad form (curl normalises
 *             "127.1" and "0x7f.1"), IPv6 in brackets ("[::1]")
 *   port      the explicit port, 0 when absent or equal to the scheme's
 *             default (80 for http, 443 for https)
 *   hostport  host[":" port], what JavaScript calls url.host
 *   origin    scheme "://" hostport, what JavaScript calls url.origin
 *   path      the path ("/" at least), only when an arena was given
 *   has_user, has_query, has_fragment   the URL names a user (or
 *             password), a query, a fragment
 */
struct httpc_url {
	char	 scheme[HTTPC_SCHEME_MAX];
	char	 host[HTTPC_HOST_MAX];
	int	 port;
	char	 hostport[HTTPC_HOST_MAX + 8];
	char	 origin[HTTPC_SCHEME_MAX + HTTPC_HOST_MAX + 16];
	char	*path;
	int	 has_user;
	int	 has_query;
	int	 has_fragment;
};

/*
 * httpc_url_parse: parse an absolute URL ("scheme://authority/...") into
 * u.  The path is copied into a when a is not NULL (else u->path is NULL).
 *
 * Stricter than a browser on purpose: bytes outside printable ASCII
 * (controls, spaces, non-ASCII, so no IDN), a backslash (which browsers
 * read as '/', curl as data), and URLs curl refuses all fail, so the
 * host reported here is never different from the one a browser would
 * navigate to.  Returns 0, or -1 when the URL is not acceptable (not
 * logged: callers treat it as untrusted input).
 */
int	 httpc_url_parse(struct arena *a, const char *url, struct httpc_url *u);

/*
 * httpc_url_relative_same_origin: 1 when the relative reference rel,
 * resolved against a dummy origin, stays on that origin (protocol.md §6.5
 * "safe relative URL", last rule), else 0.
 */
int	 httpc_url_relative_same_origin(const char *rel);

/*
 * httpc_origin_normalise: the normalised origin of an http or https URL
 * ("https://app.example.com:8443"), allocated in a; NULL when url is not
 * an acceptable http(s) URL.
 */
char	*httpc_origin_normalise(struct arena *a, const char *url);

/*
 * The outbound client.  One request at a time per process (a worker is
 * single-threaded); the handle and its connections are kept between
 * requests.  Redirects are never followed (a 3xx is returned as it is),
 * only http and https are spoken, TLS peers are verified, and every
 * request has a total time limit, so a slow or dead peer costs at most
 * timeout_ms.
 */
struct httpc_req {
	const char		*method;	/* "GET" or "POST" */
	const char		*url;
	const char *const	*headers;	/* "Name: value", NULL-ended */
	const char		*body;		/* POST body, may be NULL */
	size_t			 body_len;
	long			 timeout_ms;	/* whole request, > 0 */
	size_t			 max_body;	/* response cap; 0: 1 MiB */
	int			 guard;		/* HTTPC_GUARD_*, 0: none */
};

/*
 * The SSRF guard (webhooks): every address curl is about to connect to,
 * after its own DNS resolution, is checked (netaddr_refused_class) and a
 * refused one is never connected to; no proxy is used and no connection
 * is reused from an unguarded request.  HTTPC_GUARD_PUBLIC admits public
 * addresses only; HTTPC_GUARD_LOOPBACK loopback too (the server file's
 * webhooks.allow_loopback, for tests).  A refusal fails the fetch with
 * *why "address refused (<class>)".
 */
#define HTTPC_GUARD_PUBLIC	1
#define HTTPC_GUARD_LOOPBACK	2

struct httpc_resp {
	long		 status;	/* HTTP status */
	struct str	 body;		/* NUL-terminated, in the arena */
	char		 content_type[128];	/* "" when none */
};

/*
 * httpc_fetch: send q and read the whole answer into out (body in a).
 * Returns 0 when a response arrived (any status), -1 on a transport
 * failure, a timeout, a refused URL or an oversized body; *why (may be
 * NULL) then gets a short static reason for logs, without the URL (it may
 * carry secrets).
 */
int	 httpc_fetch(struct arena *a, const struct httpc_req *q,
	    struct httpc_resp *out, const char **why);

/* httpc_cleanup: drop the kept handle (worker exit). */
void	 httpc_cleanup(void);

/*
 * httpc_url_resolve: new URL(ref, base).href: ref resolved against the
 * absolute URL base and normalised by curl_url (lower-case scheme and
 * host, a path of at least "/"), in a; NULL when either is no URL.
 */
char	*httpc_url_resolve(struct arena *a, const char *base, const char *ref);

#endif
