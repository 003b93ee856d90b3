/*
 * request.c -- reply construction shared by every handler (see request.h).
 * JSON escaping of error messages goes through json.c so that the output
 * matches JSON.stringify.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/json.h"
#include "lib/log.h"
#include "lib/text.h"
#include "http/request.h"
#include "lib/url.h"

const char *
request_header(struct request *r, const char *cgi_name)
{
	size_t		 n = strlen(cgi_name);
	char *const	*p;

	/* the first byte first: most parameters differ there (or at HTTP_) */
	for (p = r->params; p != NULL && *p != NULL; p++)
		if ((*p)[0] == cgi_name[0] && strncmp(*p, cgi_name, n) == 0 &&
		    (*p)[n] == '=')
			return (*p + n + 1);
	return (NULL);
}

/*
 * A value that is not UTF-8 once decoded reads as absent: no such bytes
 * reach NFKC or PostgreSQL, which refuse them (issue 12, #15).
 */
char *
request_query_n(struct request *r, const char *key, int *count)
{
	char	*v = url_query_get(r->a, r->query.p, r->query.len, key, count);

	return (v != NULL && !text_utf8_valid(v, strlen(v)) ? NULL : v);
}

char *
request_query(struct request *r, const char *key)
{
	return (request_query_n(r, key, NULL));
}

/*
 * s's length, or (size_t)-1 when it has a control byte (tab aside): CR/LF
 * would split the header.  One pass does the check and strlen's work.
 */
static size_t
ctl_len(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	const uint64_t		 ones = 0x0101010101010101ULL;
	const uint64_t		 highs = 0x8080808080808080ULL;
	size_t			 n = strlen(s), i = 0;
	uint64_t		 w, x;

	/*
	 * eight bytes at a time (a JWT or a cookie is a kilobyte): a word
	 * with no byte below 0x20 and none equal to 0x7f is clean; a word
	 * that may hold one (a tab too) is checked byte by byte
	 */
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		x = w ^ (0x7f * ones);
		if ((((w - 0x20 * ones) & ~w) | ((x - ones) & ~x)) & highs)
			break;
	}
	for (; i < n; i++)
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			return ((size_t)-1);
	return (n);
}

void
reply_header_add(struct request *r, const char *name, const char *value)
{
	struct reply_header	*h;
	size_t			 nl = ctl_len(name), vl = ctl_len(value);

	/*
	 * the backstop against header injection (issue 12, #11): whatever
	 * built the value, a control byte never reaches the web server
	 */
	if (nl == (size_t)-1 || vl == (size_t)-1) {
		log_warnx("reply header %.40s dropped: control bytes in it",
		    nl == (size_t)-1 ? "(name)" : name);
		return;
	}
	h = arena_alloc(r->a, sizeof(*h));

	h->name = arena_strndup(r->a, name, nl);
	h->value = arena_strndup(r->a, value, vl);
	if (r->headers_tail)
		r->headers_tail->next = h;
	else
		r->headers = h;
	r->headers_tail = h;
}

void
reply_header_remove(struct request *r, const char *name,
    const char *value_prefix)
{
	struct reply_header	*h, *prev = NULL;
	size_t			 pl = value_prefix ? strlen(value_prefix) : 0;

	for (h = r->headers; h != NULL; prev = h, h = h->next) {
		if (strcasecmp(h->name, name) != 0 ||
		    (pl && strncmp(h->value, value_prefix, pl) != 0))
			continue;
		if (prev)
			prev->next = h->next;
		else
			r->headers = h->next;
		if (r->headers_tail == h)
			r->headers_tail = prev;
		return;
	}
}

void
reply_raw(struct request *r, int status, const char *ctype, const char *body,
    size_t len)
{
	/* a later reply replaces an earlier one's content type */
	reply_header_remove(r, "Content-Type", NULL);
	r->status = status;
	if (ctype)
		reply_header_add(r, "Content-Type", ctype);
	r->reply_body = body;
	r->reply_len = len;
}

void
reply_json_str(struct request *r, int status, const char *json)
{
	reply_raw(r, status, "application/json", json, strlen(json));
}

void
reply_json_obj(struct request *r, int status, json_object *o)
{
	reply_json_str(r, status, json_dump(r->a, o));
	json_object_put(o);
}

void
reply_empty(struct request *r, int status)
{
	reply_raw(r, status, NULL, "", 0);
}

void
reply_redirect(struct request *r, const char *location)
{
	reply_header_add(r, "Location", location);
	reply_raw(r, 302, NULL, "", 0);
}

const char *
reply_reason(int status)
{
	switch (status) {
	case 200: return ("OK");
	case 201: return ("Created");
	case 204: return ("No Content");
	case 302: return ("Found");
	case 304: return ("Not Modified");
	case 400: return ("Bad Request");
	case 401: return ("Unauthorized");
	case 403: return ("Forbidden");
	case 404: return ("Not Found");
	case 405: return ("Method Not Allowed");
	case 409: return ("Conflict");
	case 413: return ("Payload Too Large");
	case 415: return ("Unsupported Media Type");
	case 417: return ("Expectation Failed");
	case 422: return ("Unprocessable Entity");
	case 429: return ("Too Many Requests");
	case 500: return ("Internal Server Error");
	case 503: return ("Service Unavailable");
	default: return ("Unknown");
	}
}

void
reply_expose(struct request *r, const char *name)
{
	if (r->expose == NULL)
		r->expose = arena_strdup(r->a, name);
	else if (strstr(r->expose, name) == NULL)
		r->expose = arena_printf(r->a, "%s, %s", r->expose, name);
}
