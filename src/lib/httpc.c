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

#include <curl/curl.h>

#include "lib/httpc.h"

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
	char		*path = NULL;
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
