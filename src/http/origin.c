/*
 * origin.c -- trusted-origin matching, Better Auth's origin and CSRF
 * guards, and credentialed CORS (see origin.h).
 *
 * Matching follows protocol.md §6.5.  http/https URLs are parsed with
 * curl_url through httpc.c, which normalises the origin the way a browser
 * serialises it and refuses the inputs where curl and a browser would
 * disagree about the host.  Other schemes (native-app callbacks such as
 * myapp:// or exp://) are split by hand, as Better Auth does, because
 * URL parsers disagree on non-special schemes.
 *
 * Invariants: a URL that cannot be parsed is never trusted; nothing here
 * allocates outside the request arena except short-lived heap buffers
 * freed before returning.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/branch.h"
#include "http/branchcfg.h"
#include "lib/httpc.h"
#include "http/origin.h"
#include "lib/url.h"


static const char *
hdr(struct request *r, const char *cgi_name)
{
	return (request_header(r, cgi_name));
}

/* ---- small string helpers ---- */

static int
has_wildcard(const char *s, size_t n)
{
	return (memchr(s, '*', n) != NULL || memchr(s, '?', n) != NULL);
}

/*
 * Glob: '*' matches any run of bytes (dots and slashes included), '?'
 * exactly one byte.  Iterative, remembering the last '*' only, which is
 * enough for this language and linear in practice.
 */
static int
glob_match(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t	 pi = 0, si = 0, star = (size_t)-1, mark = 0;

	while (si < sn) {
		if (pi < pn && (p[pi] == '?' || p[pi] == s[si])) {
			pi++;
			si++;
		} else if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			si = ++mark;
		} else
			return (0);
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return (pi == pn);
}

/* length of host[:port] without the ":port" part */
static size_t
host_len(const char *h, size_t n)
{
	const char	*c;

	if (n > 0 && h[0] == '[') {
		c = memchr(h, ']', n);
		return (c ? (size_t)(c - h) + 1 : n);
	}
	for (c = h + n; c > h; c--)
		if (c[-1] == ':')
			return ((size_t)(c - 1 - h));
	return (n);
}

/* "192.168.*.*": only digits, dots and wildcards, with a digit */
static int
ipv4_like(const char *h, size_t n)
{
	size_t	 i;
	int	 digit = 0;

	for (i = 0; i < n; i++) {
		if (h[i] >= '0' && h[i] <= '9')
			digit = 1;
		else if (h[i] != '.' && h[i] != '*' && h[i] != '?')
			return (0);
	}
	return (digit);
}

static int
is_ipv4(const char *s, size_t n)
{
	char		 buf[INET_ADDRSTRLEN];
	struct in_addr	 in;

	if (n == 0 || n >= sizeof(buf))
		return (0);
	memcpy(buf, s, n);
	buf[n] = '\0';
	return (inet_pton(AF_INET, buf, &in) == 1);
}

/*
 * The IPv4 rule of §6.5 for a host glob: when the pattern's host is
 * IPv4-like, the URL's host (both given as host[:port]) must be an IPv4
 * address, so "192.168.*.*" does not match "192.168.1.2.evil.com".
 */
static int
ipv4_rule_ok(const char *phost, size_t pn, const char *uhost, size_t un)
{
	if (!ipv4_like(phost, host_len(phost, pn)))
		return (1);
	return (is_ipv4(uhost, host_len(uhost, un)));
}

/* RFC 3986 scheme at the start of s; its length (before ':'), or 0 */
static size_t
scheme_len(const char *s)
{
	size_t	 i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return (0);
	for (i = 1; s[i] != '\0' && s[i] != ':'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '+' || s[i] == '-' || s[i] == '.'))
			return (0);
	return (s[i] == ':' ? i : 0);
}

static int
scheme_is(const char *s, size_t n, const char *name)
{
	return (strlen(name) == n && strncasecmp(s, name, n) == 0);
}

/* ---- safe relative URLs (§6.5, first rule) ---- */

static int
safe_relative(const char *url)
{
	const unsigned char	*p = (const unsigned char *)url;
	size_t			 i, pathlen;

	if (p[0] != '/' || p[1] == '/')
		return (0);
	for (i = 0; p[i] != '\0'; i++) {
		if (p[i] == '\\' || p[i] < 0x20 || p[i] == 0x7f)
			return (0);
		/* U+0080..U+009F, UTF-8 C2 80..C2 9F */
		if (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return (0);
	}
	pathlen = strcspn(url, "?#");
	for (i = 0; i + 2 < pathlen; i++)
		if (url[i] == '%' && ((url[i + 1] == '2' &&
		    (url[i + 2] == 'f' || url[i + 2] == 'F')) ||
		    (url[i + 1] == '5' &&
		    (url[i + 2] == 'c' || url[i + 2] == 'C'))))
			return (0);
	return (httpc_url_relative_same_origin(url));
}

/* ---- custom schemes (myapp://host/path) ---- */

struct custom_url {
	char	*buf;		/* owns scheme, authority and path */
	char	*scheme;	/* lower case */
	char	*authority;	/* lower case, "" when none */
	char	*path;		/* decoded, dots resolved, "" for root */
};

static void
lower_n(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/*
 * Resolve "." and ".." in the percent-decoded path in, writing to out
 * (at least strlen(in) + 2 bytes).  The result is "/seg/seg", or ""
 * when nothing remains.
 */
static void
normalise_path(const char *in, char *out)
{
	const char	*seg, *end;
	char		*o = out, *slash;
	size_t		 n;

	*o = '\0';
	while (*in != '\0') {
		while (*in == '/')
			in++;
		if (*in == '\0')
			break;
		seg = in;
		end = strchr(seg, '/');
		if (end == NULL)
			end = seg + strlen(seg);
		n = (size_t)(end - seg);
		in = end;
		if (n == 1 && seg[0] == '.')
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			slash = strrchr(out, '/');
			o = slash ? slash : out;
			*o = '\0';
			continue;
		}
		*o++ = '/';
		memcpy(o, seg, n);
		o += n;
		*o = '\0';
	}
}

static int
custom_split(const char *s, struct custom_url *cu)
{
	const char	*rest;
	size_t		 sl, len = strlen(s), an, pl;
	char		*dec;

	memset(cu, 0, sizeof(*cu));
	if ((sl = scheme_len(s)) == 0)
		return (-1);
	/* scheme, authority, decoded path, normalised path */
	if ((cu->buf = malloc(4 * (len + 2))) == NULL)
		return (-1);
	cu->scheme = cu->buf;
	memcpy(cu->scheme, s, sl);
	cu->scheme[sl] = '\0';
	lower_n(cu->scheme);
	rest = s + sl + 1;
	cu->authority = cu->scheme + len + 2;
	cu->authority[0] = '\0';
	if (rest[0] == '/' && rest[1] == '/') {
		rest += 2;
		an = strcspn(rest, "/?#");
		memcpy(cu->authority, rest, an);
		cu->authority[an] = '\0';
		lower_n(cu->authority);
		rest += an;
	}
	dec = cu->authority + len + 2;
	cu->path = dec + len + 2;
	pl = strcspn(rest, "?#");
	/* decodeURIComponent, falling back to the raw path if malformed */
	if (url_pct_decode(rest, pl, dec, 0, 1) == -1) {
		memcpy(dec, rest, pl);
		dec[pl] = '\0';
	}
	normalise_path(dec, cu->path);
	return (0);
}

static void
custom_free(struct custom_url *cu)
{
	free(cu->buf);
	cu->buf = NULL;
}

/* host of an authority: without "user@" */
static const char *
auth_host(const char *auth)
{
	const char	*at = strrchr(auth, '@');

	return (at ? at + 1 : auth);
}

static int
path_prefix_match(const char *pp, const char *up)
{
	size_t	 n = strlen(pp);

	if (*pp == '\0')
		return (1);
	if (has_wildcard(pp, n)) {
		if (glob_match(pp, n, up, strlen(up)))
			return (1);
		/* a trailing "/" "*" or "/" "**" also covers the bare prefix */
		if (n >= 3 && strcmp(pp + n - 3, "/**") == 0)
			return (glob_match(pp, n - 3, up, strlen(up)));
		if (n >= 2 && strcmp(pp + n - 2, "/*") == 0)
			return (glob_match(pp, n - 2, up, strlen(up)));
		return (0);
	}
	return (strcmp(up, pp) == 0 ||
	    (strncmp(up, pp, n) == 0 && up[n] == '/'));
}

static int
custom_match(const char *url, const char *pattern)
{
	struct custom_url	 u, p;
	const char		*uh, *ph;
	int			 ok = 0;

	if (custom_split(url, &u) == -1)
		return (0);
	if (custom_split(pattern, &p) == -1) {
		custom_free(&u);
		return (0);
	}
	if (strcmp(u.scheme, p.scheme) != 0)
		goto done;
	if (p.authority[0] != '\0') {
		if (has_wildcard(p.authority, strlen(p.authority))) {
			uh = auth_host(u.authority);
			ph = auth_host(p.authority);
			if (!glob_match(p.authority, strlen(p.authority),
			    u.authority, strlen(u.authority)) ||
			    !ipv4_rule_ok(ph, strlen(ph), uh, strlen(uh)))
				goto done;
		} else if (strcmp(u.authority, p.authority) != 0)
			goto done;
	}
	ok = path_prefix_match(p.path, u.path);
 done:
	custom_free(&u);
	custom_free(&p);
	return (ok);
}

/* ---- the matcher ---- */

/* C0 controls or DEL anywhere: never a URL we hand back in a header */
static int
has_control(const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return (1);
	return (0);
}

static int
is_http(const char *scheme, size_t n)
{
	return (scheme_is(scheme, n, "http") || scheme_is(scheme, n, "https"));
}

int
origin_match(const char *url, const char *pattern, int allow_relative)
{
	struct httpc_url	 u;
	struct custom_url	 cu;
	const char		*sep, *ph, *uh;
	size_t			 usl, pn, phn;
	int			 ok;

	if (url == NULL || pattern == NULL || *url == '\0' || *pattern == '\0')
		return (0);
	if (url[0] == '/')
		return (allow_relative && safe_relative(url));
	if ((usl = scheme_len(url)) == 0 || has_control(url))
		return (0);
	if (scheme_is(url, usl, "javascript") || scheme_is(url, usl, "data") ||
	    scheme_is(url, usl, "vbscript"))
		return (0);
	pn = strlen(pattern);

	if (has_wildcard(pattern, pn)) {
		sep = strstr(pattern, "://");
		if (sep != NULL) {
			if (!is_http(url, usl))
				return (custom_match(url, pattern));
			if (httpc_url_parse(NULL, url, &u) == -1)
				return (0);
			/* the pattern's host[:port] */
			ph = sep + 3;
			phn = strcspn(ph, "/");
			return (glob_match(pattern, pn, u.origin,
			    strlen(u.origin)) &&
			    ipv4_rule_ok(ph, phn, u.hostport,
			    strlen(u.hostport)));
		}
		/* host-only pattern: glob over url.host */
		if (is_http(url, usl)) {
			if (httpc_url_parse(NULL, url, &u) == -1)
				return (0);
			return (glob_match(pattern, pn, u.hostport,
			    strlen(u.hostport)) &&
			    ipv4_rule_ok(pattern, pn, u.hostport,
			    strlen(u.hostport)));
		}
		if (custom_split(url, &cu) == -1)
			return (0);
		uh = auth_host(cu.authority);
		ok = *uh != '\0' && glob_match(pattern, pn, uh, strlen(uh)) &&
		    ipv4_rule_ok(pattern, pn, uh, strlen(uh));
		custom_free(&cu);
		return (ok);
	}
	if (is_http(url, usl)) {
		if (httpc_url_parse(NULL, url, &u) == -1)
			return (0);
		return (strcmp(pattern, u.origin) == 0);
	}
	return (custom_match(url, pattern));
}

/* ---- the trusted list ---- */

static int
localhost_url(const char *url)
{
	struct httpc_url	 u;

	if (url[0] == '/' || httpc_url_parse(NULL, url, &u) == -1)
		return (0);
	if (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0)
		return (0);
	return (strcmp(u.host, "localhost") == 0 ||
	    strcmp(u.host, "127.0.0.1") == 0 || strcmp(u.host, "[::1]") == 0);
}

int
origin_trusted(struct request *r, const char *url, int allow_relative)
{
	json_object	*list, *e;
	size_t		 i, n;

	if (url == NULL || *url == '\0')
		return (0);
	if (r->branch != NULL && r->branch->origin != NULL &&
	    origin_match(url, r->branch->origin, allow_relative))
		return (1);
	if (r->bcfg == NULL)
		return (0);
	list = r->bcfg->trusted_origins;
	if (list != NULL && json_object_is_type(list, json_type_array)) {
		n = json_object_array_length(list);
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(list, i);
			if (json_object_is_type(e, json_type_string) &&
			    origin_match(url, json_object_get_string(e),
			    allow_relative))
				return (1);
		}
	}
	return (branchcfg_localhost(r->bcfg, r->branch) && localhost_url(url));
}

/* ---- §6.2 / §6.3 guards ---- */

/* validateOrigin: the Origin (or Referer) must be present and trusted */
static enum err
validate_origin(struct request *r)
{
	const char	*o = hdr(r, "HTTP_ORIGIN");
	const char	*ref = hdr(r, "HTTP_REFERER");
	const char	*site = hdr(r, "HTTP_SEC_FETCH_SITE");
	const char	*v;

	v = (o && *o) ? o : (ref && *ref) ? ref : NULL;
	if (o && strcmp(o, "null") == 0 && site &&
	    strcmp(site, "same-origin") == 0 && r->branch != NULL &&
	    r->branch->origin != NULL)
		v = r->branch->origin;
	if (v == NULL || strcmp(v, "null") == 0)
		return (ERR_MISSING_OR_NULL_ORIGIN);
	if (!origin_trusted(r, v, 0))
		return (ERR_INVALID_ORIGIN);
	return (ERR_NONE);
}

/* JavaScript truthiness of a JSON value (NULL is undefined) */
static int
js_truthy(json_object *v)
{
	double	 d;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return (0);
	case json_type_boolean:
		return (json_object_get_boolean(v));
	case json_type_int:
		return (json_object_get_int64(v) != 0);
	case json_type_double:
		d = json_object_get_double(v);
		return (!isnan(d) && d != 0.0);
	case json_type_string:
		return (json_object_get_string_len(v) > 0);
	default:
		return (1);	/* objects and arrays */
	}
}

struct url_field {
	const char	*field;		/* body member */
	const char	*label;		/* Better Auth's label */
	enum err	 err;
};

static const struct url_field url_fields[] = {
	{ "callbackURL", "callbackURL", ERR_INVALID_CALLBACK_URL },
	{ "redirectTo", "redirectURL", ERR_INVALID_REDIRECT_URL },
	{ "errorCallbackURL", "errorCallbackURL",
	    ERR_INVALID_ERROR_CALLBACK_URL },
	{ "newUserCallbackURL", "newUserCallbackURL",
	    ERR_INVALID_NEW_USER_CALLBACK_URL },
};

static enum err
check_url_value(struct request *r, const struct url_field *f,
    const char *value, int is_string)
{
	if (!is_string)
		return (err_msg(r, ERR_INVALID_URL_TYPE, arena_printf(r->a,
		    "Invalid %s: expected a string", f->label)));
	if (!origin_trusted(r, value, 1))
		return (f->err);
	return (ERR_NONE);
}

enum err
origin_check(struct request *r, json_object *body)
{
	const struct url_field	*f;
	json_object		*v;
	const char		*m = r->method;
	char			*qv;
	size_t			 i;
	int			 count;
	enum err		 e;

	if (m == NULL || strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
	    strcmp(m, "OPTIONS") == 0)
		return (ERR_NONE);
	if (hdr(r, "HTTP_COOKIE") != NULL &&
	    (e = validate_origin(r)) != ERR_NONE)
		return (e);
	if (body != NULL && !json_object_is_type(body, json_type_object))
		body = NULL;
	for (i = 0; i < sizeof(url_fields) / sizeof(url_fields[0]); i++) {
		f = &url_fields[i];
		v = NULL;
		if (body != NULL)
			json_object_object_get_ex(body, f->field, &v);
		if (v != NULL && js_truthy(v)) {
			if ((e = check_url_value(r, f,
			    json_object_get_string(v), json_object_is_type(v,
			    json_type_string))) != ERR_NONE)
				return (e);
			continue;
		}
		if (i != 0)	/* only callbackURL falls back to the query */
			continue;
		qv = request_query_n(r, f->field, &count);
		if (count == 0 || (count == 1 && *qv == '\0'))
			continue;
		if ((e = check_url_value(r, f, qv, count == 1)) != ERR_NONE)
			return (e);
	}
	return (ERR_NONE);
}

enum err
origin_form_csrf(struct request *r)
{
	const char	*site, *mode, *dest, *o, *ref;
	int		 meta;

	if (hdr(r, "HTTP_COOKIE") != NULL)
		return (validate_origin(r));
	site = hdr(r, "HTTP_SEC_FETCH_SITE");
	mode = hdr(r, "HTTP_SEC_FETCH_MODE");
	dest = hdr(r, "HTTP_SEC_FETCH_DEST");
#define PRESENT(s)	((s) != NULL && (s)[strspn((s), " \t")] != '\0')
	meta = PRESENT(site) || PRESENT(mode) || PRESENT(dest);
#undef PRESENT
	if (meta) {
		if (site && strcmp(site, "cross-site") == 0 && mode &&
		    strcmp(mode, "navigate") == 0)
			return (ERR_CROSS_SITE_NAVIGATION_LOGIN_BLOCKED);
		return (validate_origin(r));
	}
	o = hdr(r, "HTTP_ORIGIN");
	ref = hdr(r, "HTTP_REFERER");
	if ((o && *o) || (ref && *ref))
		return (validate_origin(r));
	return (ERR_NONE);
}

enum err
origin_check_query_callback(struct request *r)
{
	char	*cb;
	int	 count;

	cb = request_query_n(r, "callbackURL", &count);
	if (cb == NULL || *cb == '\0' || origin_trusted(r, cb, 1))
		return (ERR_NONE);
	return (ERR_INVALID_CALLBACK_URL);
}

/* ---- CORS ---- */

/* 1 when the comma-separated list v names word (ASCII, any case) */
static int
has_word_ci(const char *v, const char *word)
{
	size_t	 n = strlen(word), l;

	while (*v != '\0') {
		v += strspn(v, " \t,");
		l = strcspn(v, ",");
		while (l > 0 && (v[l - 1] == ' ' || v[l - 1] == '\t'))
			l--;
		if (l == n && strncasecmp(v, word, n) == 0)
			return (1);
		v += strcspn(v, ",");
	}
	return (0);
}

/* the Origin header, if trusted and safe to echo in a header */
static const char *
cors_origin(struct request *r)
{
	const char		*o = hdr(r, "HTTP_ORIGIN");
	const unsigned char	*p;

	if (o == NULL || *o == '\0' || strcmp(o, "null") == 0)
		return (NULL);
	for (p = (const unsigned char *)o; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return (NULL);
	return (origin_trusted(r, o, 0) ? o : NULL);
}

int
cors_preflight(struct request *r)
{
	const char	*o, *pna;

	reply_empty(r, 204);
	reply_header_add(r, "Vary", "Origin, Access-Control-Request-Method, "
	    "Access-Control-Request-Headers");
	if ((o = cors_origin(r)) == NULL)
		return (0);
	reply_header_add(r, "Access-Control-Allow-Origin", o);
	reply_header_add(r, "Access-Control-Allow-Credentials", "true");
	reply_header_add(r, "Access-Control-Allow-Methods", CORS_ALLOW_METHODS);
	reply_header_add(r, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
	reply_header_add(r, "Access-Control-Max-Age", CORS_MAX_AGE);
	pna = hdr(r, "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK");
	if (pna && strcasecmp(pna, "true") == 0)
		reply_header_add(r, "Access-Control-Allow-Private-Network",
		    "true");
	return (1);
}

void
cors_headers(struct request *r)
{
	const struct reply_header	*h;
	const char			*o;

	for (h = r->headers; h != NULL; h = h->next)
		if (strcasecmp(h->name, "Vary") == 0 &&
		    has_word_ci(h->value, "origin"))
			return;
	if ((o = cors_origin(r)) != NULL) {
		reply_header_add(r, "Access-Control-Allow-Origin", o);
		reply_header_add(r, "Access-Control-Allow-Credentials", "true");
		reply_expose(r, "set-auth-jwt");
		reply_expose(r, "set-auth-token");
		reply_expose(r, "x-retry-after");
	}
	reply_header_add(r, "Vary", "Origin");
}
