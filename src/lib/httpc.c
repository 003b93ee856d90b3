/*
 * httpc.c -- libcurl wrapper (see httpc.h).  The only file that includes
 * curl/curl.h.
 *
 * URL parsing uses curl_url (DESIGN.md "Use the library for it").  curl
 * and the WHATWG URL parser browsers use disagree on a few inputs
 * (backslashes, stray whitespace, IDN); those are refused before curl
 * sees them, so an accepted URL names the same host for both.  The
 * results are normalised here (lower-case scheme and host, default port
 * dropped) because curl keeps the host's case as written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <curl/curl.h>

#include "lib/httpc.h"
#include "lib/netaddr.h"

/* dummy base for relative references; .invalid never resolves */
#define DUMMY_BASE	"http://neon-authd.invalid/"
#define DUMMY_HOST	"neon-authd.invalid"

static void
lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* printable ASCII without space and backslash */
static int
plain_ascii(const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '\\')
			return (0);
	return (1);
}

static int
copy_part(char *dst, size_t dstlen, const char *src)
{
	int	 n;

	n = snprintf(dst, dstlen, "%s", src);
	return (n < 0 || (size_t)n >= dstlen ? -1 : 0);
}

static int
default_port(const char *scheme)
{
	if (strcmp(scheme, "http") == 0)
		return (80);
	if (strcmp(scheme, "https") == 0)
		return (443);
	return (-1);
}

int
httpc_url_parse(struct arena *a, const char *url, struct httpc_url *u)
{
	CURLU		*h = NULL;
	char		*scheme = NULL, *host = NULL, *port = NULL;
	char		*path = NULL, *part = NULL;
	char		*end;
	long		 pn;
	int		 rc = -1, n;

	memset(u, 0, sizeof(*u));
	if (url == NULL || *url == '\0' || !plain_ascii(url))
		return (-1);
	/* an authority is required: "https:host" is refused */
	if ((end = strchr(url, ':')) == NULL || strncmp(end, "://", 3) != 0)
		return (-1);
	if ((h = curl_url()) == NULL)
		return (-1);
	if (curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) !=
	    CURLUE_OK)
		goto done;
	if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    *host == '\0')
		goto done;
	if (copy_part(u->scheme, sizeof(u->scheme), scheme) == -1 ||
	    copy_part(u->host, sizeof(u->host), host) == -1)
		goto done;
	lower(u->scheme);
	lower(u->host);
	switch (curl_url_get(h, CURLUPART_PORT, &port, 0)) {
	case CURLUE_OK:
		pn = strtol(port, &end, 10);
		if (*end != '\0' || pn < 0 || pn > 65535)
			goto done;
		u->port = pn == default_port(u->scheme) ? 0 : (int)pn;
		break;
	case CURLUE_NO_PORT:
		u->port = 0;
		break;
	default:
		goto done;
	}
	if (u->port)
		n = snprintf(u->hostport, sizeof(u->hostport), "%s:%d",
		    u->host, u->port);
	else
		n = snprintf(u->hostport, sizeof(u->hostport), "%s", u->host);
	if (n < 0 || (size_t)n >= sizeof(u->hostport))
		goto done;
	n = snprintf(u->origin, sizeof(u->origin), "%s://%s", u->scheme,
	    u->hostport);
	if (n < 0 || (size_t)n >= sizeof(u->origin))
		goto done;
	if (a != NULL) {
		if (curl_url_get(h, CURLUPART_PATH, &path, 0) != CURLUE_OK)
			goto done;
		u->path = arena_strdup(a, path);
	}
	u->has_user = curl_url_get(h, CURLUPART_USER, &part, 0) ==
	    CURLUE_OK;
	curl_free(part);
	part = NULL;
	if (!u->has_user) {
		u->has_user = curl_url_get(h, CURLUPART_PASSWORD, &part, 0) ==
		    CURLUE_OK;
		curl_free(part);
		part = NULL;
	}
	u->has_query = curl_url_get(h, CURLUPART_QUERY, &part, 0) ==
	    CURLUE_OK;
	curl_free(part);
	part = NULL;
	u->has_fragment = curl_url_get(h, CURLUPART_FRAGMENT, &part, 0) ==
	    CURLUE_OK;
	curl_free(part);
	part = NULL;
	rc = 0;
 done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(h);
	if (rc == -1)
		memset(u, 0, sizeof(*u));
	return (rc);
}

int
httpc_url_relative_same_origin(const char *rel)
{
	CURLU	*h;
	char	*scheme = NULL, *host = NULL, *port = NULL;
	int	 ok = 0;

	if ((h = curl_url()) == NULL)
		return (0);
	if (curl_url_set(h, CURLUPART_URL, DUMMY_BASE, 0) != CURLUE_OK)
		goto done;
	/* spaces are legal in a path (browsers percent-encode them) */
	if (curl_url_set(h, CURLUPART_URL, rel, CURLU_ALLOW_SPACE) !=
	    CURLUE_OK)
		goto done;
	if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto done;
	if (curl_url_get(h, CURLUPART_PORT, &port, 0) != CURLUE_NO_PORT)
		goto done;
	ok = strcmp(scheme, "http") == 0 && strcmp(host, DUMMY_HOST) == 0;
 done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(h);
	return (ok);
}

char *
httpc_origin_normalise(struct arena *a, const char *url)
{
	struct httpc_url	 u;

	if (httpc_url_parse(NULL, url, &u) == -1 ||
	    (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0))
		return (NULL);
	return (arena_strdup(a, u.origin));
}

/* ---- the outbound client ---- */

#define HTTPC_DEFAULT_MAX	(1024 * 1024)

static CURL	*handle;
static int	 global_done;

struct sink {
	struct arena	*a;
	char		*buf;
	size_t		 len, cap, max;
	int		 overflow;
};

static size_t
sink_write(char *p, size_t size, size_t n, void *arg)
{
	struct sink	*s = arg;
	size_t		 add = size * n, ncap;
	char		*nb;

	if (s->len + add > s->max) {
		s->overflow = 1;
		return (0);
	}
	if (s->len + add + 1 > s->cap) {
		ncap = s->cap ? s->cap * 2 : 4096;
		while (ncap < s->len + add + 1)
			ncap *= 2;
		nb = arena_alloc(s->a, ncap);
		if (s->len)
			memcpy(nb, s->buf, s->len);
		s->buf = nb;
		s->cap = ncap;
	}
	memcpy(s->buf + s->len, p, add);
	s->len += add;
	s->buf[s->len] = '\0';
	return (add);
}

struct guard {
	int		 mode;
	const char	*refused;	/* the class of the last refusal */
};

static curl_socket_t
guard_open(void *arg, curlsocktype purpose, struct curl_sockaddr *sa)
{
	struct guard		*g = arg;
	struct in6_addr		 a;
	const char		*cls;

	(void)purpose;
	memset(&a, 0, sizeof(a));
	if (sa->family == AF_INET) {
		a.s6_addr[10] = a.s6_addr[11] = 0xff;
		memcpy(&a.s6_addr[12],
		    &((struct sockaddr_in *)(void *)&sa->addr)->sin_addr, 4);
	} else if (sa->family == AF_INET6)
		a = ((struct sockaddr_in6 *)(void *)&sa->addr)->sin6_addr;
	else {
		g->refused = "not IP";
		return (CURL_SOCKET_BAD);
	}
	cls = netaddr_refused_class(&a);
	if (cls != NULL && !(g->mode == HTTPC_GUARD_LOOPBACK &&
	    strcmp(cls, "loopback") == 0)) {
		g->refused = cls;
		return (CURL_SOCKET_BAD);
	}
	return (socket(sa->family, sa->socktype, sa->protocol));
}

int
httpc_fetch(struct arena *a, const struct httpc_req *q, struct httpc_resp *out,
    const char **why)
{
	struct curl_slist	*hl = NULL, *t;
	struct sink		 s;
	struct guard		 g;
	struct httpc_url	 u;
	const char		*dummy, *ct = NULL;
	CURLcode		 cc;
	size_t			 i;
	int			 rc = -1;

	if (why == NULL)
		why = &dummy;
	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	s.a = a;
	s.max = q->max_body ? q->max_body : HTTPC_DEFAULT_MAX;
	if (httpc_url_parse(NULL, q->url, &u) == -1 ||
	    (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0)) {
		*why = "not an http(s) URL";
		return (-1);
	}
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			*why = "curl_global_init failed";
			return (-1);
		}
		global_done = 1;
	}
	if (handle == NULL && (handle = curl_easy_init()) == NULL) {
		*why = "curl_easy_init failed";
		return (-1);
	}
	curl_easy_reset(handle);
	for (i = 0; q->headers != NULL && q->headers[i] != NULL; i++) {
		if ((t = curl_slist_append(hl, q->headers[i])) == NULL) {
			*why = "out of memory";
			goto done;
		}
		hl = t;
	}
	/* no "Expect: 100-continue" round trip on POST */
	if ((t = curl_slist_append(hl, "Expect:")) == NULL) {
		*why = "out of memory";
		goto done;
	}
	hl = t;
	curl_easy_setopt(handle, CURLOPT_URL, q->url);
	curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, q->timeout_ms > 0 ?
	    q->timeout_ms : 5000L);
	curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, q->timeout_ms > 0 ?
	    q->timeout_ms : 5000L);
	curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(handle, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(handle, CURLOPT_USERAGENT, "neon-authd");
	curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(handle, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(handle, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)s.max);
	memset(&g, 0, sizeof(g));
	g.mode = q->guard;
	if (q->guard) {
		curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION,
		    guard_open);
		curl_easy_setopt(handle, CURLOPT_OPENSOCKETDATA, &g);
		curl_easy_setopt(handle, CURLOPT_PROXY, "");
		curl_easy_setopt(handle, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(handle, CURLOPT_FORBID_REUSE, 1L);
	}
	if (q->method != NULL && strcmp(q->method, "POST") == 0) {
		curl_easy_setopt(handle, CURLOPT_POST, 1L);
		curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)q->body_len);
		curl_easy_setopt(handle, CURLOPT_POSTFIELDS,
		    q->body ? q->body : "");
	} else
		curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
	cc = curl_easy_perform(handle);
	if (cc != CURLE_OK && g.refused != NULL) {
		*why = arena_printf(a, "address refused (%s)", g.refused);
		goto done;
	}
	if (cc != CURLE_OK) {
		*why = s.overflow || cc == CURLE_FILESIZE_EXCEEDED ?
		    "response too large" : cc == CURLE_OPERATION_TIMEDOUT ?
		    "timed out" : "transport error";
		goto done;
	}
	curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &out->status);
	if (curl_easy_getinfo(handle, CURLINFO_CONTENT_TYPE, &ct) ==
	    CURLE_OK && ct != NULL)
		(void)copy_part(out->content_type, sizeof(out->content_type),
		    ct);
	out->body.p = s.buf ? s.buf : arena_strdup(a, "");
	out->body.len = s.len;
	rc = 0;
 done:
	/* the handle keeps pointers to the list and the sink: clear them */
	curl_easy_setopt(handle, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(handle, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(handle, CURLOPT_OPENSOCKETDATA, NULL);
	curl_slist_free_all(hl);
	return (rc);
}

void
httpc_cleanup(void)
{
	if (handle != NULL)
		curl_easy_cleanup(handle);
	handle = NULL;
}

char *
httpc_url_resolve(struct arena *a, const char *base, const char *ref)
{
	static const char	 hex[] = "0123456789ABCDEF";
	CURLU			*h;
	char			*out = NULL, *res = NULL, *host = NULL;
	char			*port = NULL, *scheme = NULL, *enc, *lh;
	const unsigned char	*p;
	size_t			 o = 0;

	/* what a browser percent-encodes: spaces, controls, non-ASCII */
	enc = arena_alloc(a, strlen(ref) * 3 + 1);
	for (p = (const unsigned char *)ref; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f) {
			enc[o++] = '%';
			enc[o++] = hex[*p >> 4];
			enc[o++] = hex[*p & 15];
		} else
			enc[o++] = (char)*p;
	enc[o] = '\0';
	if (!plain_ascii(base) || strchr(enc, '\\') != NULL ||
	    (h = curl_url()) == NULL)
		return (NULL);
	if (curl_url_set(h, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME) !=
	    CURLUE_OK || curl_url_set(h, CURLUPART_URL, enc,
	    CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
		goto done;
	/* url.href: lower-case host, no default port */
	if (curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		lh = arena_strdup(a, host);
		lower(lh);
		(void)curl_url_set(h, CURLUPART_HOST, lh, 0);
	}
	if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_PORT, &port, 0) == CURLUE_OK &&
	    strtol(port, NULL, 10) == default_port(scheme))
		(void)curl_url_set(h, CURLUPART_PORT, NULL, 0);
	if (curl_url_get(h, CURLUPART_URL, &out, 0) == CURLUE_OK)
		res = arena_strdup(a, out);
 done:
	curl_free(out);
	curl_free(host);
	curl_free(port);
	curl_free(scheme);
	curl_url_cleanup(h);
	return (res);
}
