/*
 * fcgi.c -- FastCGI transport over libfcgi's reentrant API (fastcgi.md §2).
 *
 * Only this file includes fcgiapp.h.  Parameters that outlive
 * FCGX_Finish_r are copied into the request arena.  The body is read until
 * EOF into a capped buffer (fastcgi.md §2.4): CONTENT_LENGTH over the cap
 * gives 413 without reading, a mismatch gives 400.  FCGX_FPrintF is never
 * used (no %zu, §2.3 #5b).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "http/fcgi.h"
#include "lib/log.h"

static FCGX_Request	 freq;
static int		 initialised;
static int		 body_read;	/* stdin read to its end */
static int		 idle_listener = -1;

int
fcgi_init(void)
{
	struct sockaddr_un	 sun;

	if (FCGX_Init() != 0) {
		log_err("%s: FCGX_Init failed", __func__);
		return (-1);
	}
	/*
	 * The worker accepts connections itself (worker.c) and hands each one
	 * to libfcgi as an open connection.  libfcgi still needs a listening
	 * socket for its retry path (a connection that closed before sending
	 * a request): give it a private, non-blocking one nobody connects to,
	 * so that path returns at once instead of blocking in accept().
	 */
	idle_listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	/* an address of just the family: the kernel picks an abstract name */
	if (idle_listener == -1 || bind(idle_listener, (struct sockaddr *)&sun,
	    sizeof(sa_family_t)) == -1 || listen(idle_listener, 1) == -1) {
		log_warn("%s: private listener", __func__);
		return (-1);
	}
	if (FCGX_InitRequest(&freq, idle_listener, 0) != 0) {
		log_err("%s: FCGX_InitRequest failed", __func__);
		return (-1);
	}
	initialised = 1;
	return (0);
}

static const char *
param_dup(struct request *r, const char *name)
{
	return (arena_strdup(r->a, request_header(r, name)));
}

/* parse CONTENT_LENGTH: "" or absent = -1 (unknown), junk = -2 */
static long long
content_length(const char *s)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0')
		return (-1);
	if (*s < '0' || *s > '9')
		return (-2);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end != '\0' || v < 0)
		return (-2);
	return (v);
}

static void
read_body(struct request *r, size_t body_max)
{
	long long	 cl = content_length(request_header(r, "CONTENT_LENGTH"));
	char		*buf;
	size_t		 cap, len = 0;
	int		 n;

	if (cl == -2) {
		r->body_error = 400;
		return;
	}
	if (cl > (long long)body_max) {
		r->body_error = 413;
		return;
	}
	cap = cl >= 0 ? (size_t)cl : 4096;
	if (cap > body_max)
		cap = body_max;
	/* filled by the reads: not zeroed (4 KiB a GET otherwise) */
	buf = arena_alloc_uninit(r->a, cap + 1);
	for (;;) {
		if (len == cap) {
			char	 probe;

			/* full: one more byte means too big or mismatched */
			if (FCGX_GetStr(&probe, 1, freq.in) <= 0)
				break;
			if (cl >= 0 || cap >= body_max) {
				r->body_error = cl >= 0 ? 400 : 413;
				return;
			}
			{
				size_t	 ncap = cap * 2 > body_max ?
				    body_max : cap * 2;
				char	*nb = arena_alloc_uninit(r->a,
				    ncap + 1);

				memcpy(nb, buf, len);
				buf = nb;
				cap = ncap;
				buf[len++] = probe;
			}
			continue;
		}
		n = FCGX_GetStr(buf + len, (int)(cap - len), freq.in);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (FCGX_GetError(freq.in) != 0) {
		r->body_error = 400;
		return;
	}
	if (cl >= 0 && (size_t)cl != len) {
		r->body_error = 400;
		return;
	}
	buf[len] = '\0';
	r->body.p = buf;
	r->body.len = len;
	body_read = 1;
}

int
fcgi_accept(struct request *r, int conn_fd, size_t body_max)
{
	const char	*https, *q;
	int		 rc;

	if (!initialised) {
		close(conn_fd);
		return (-1);
	}
	/*
	 * Hand libfcgi the accepted connection as if it were a kept one:
	 * FCGX_Accept_r finishes the previous request without closing it,
	 * then reads the new request from it.
	 */
	freq.ipcFd = conn_fd;
	freq.keepConnection = 1;
	body_read = 0;
	if ((rc = FCGX_Accept_r(&freq)) < 0) {
		/* the connection closed before a request: nothing to serve */
		if (rc == -EAGAIN || rc == -EWOULDBLOCK)
			return (1);
		log_warnx("%s: FCGX_Accept_r: %s", __func__, strerror(-rc));
		return (-1);
	}
	r->transport = &freq;
	/* the handlers read the parameters through request_header() */
	r->params = freq.envp;
	r->method = param_dup(r, "REQUEST_METHOD");
	if (r->method == NULL)
		r->method = "GET";
	r->uri.p = param_dup(r, "REQUEST_URI");
	if (r->uri.p == NULL) {
		/* servers that do not send REQUEST_URI: rebuild it */
		const char *sn = request_header(r, "SCRIPT_NAME");
		const char *pi = request_header(r, "PATH_INFO");
		const char *qs = request_header(r, "QUERY_STRING");

		r->uri.p = arena_printf(r->a, "%s%s%s%s", sn ? sn : "",
		    pi ? pi : "", qs && *qs ? "?" : "", qs && *qs ? qs : "");
	}
	r->uri.len = strlen(r->uri.p);
	if ((q = memchr(r->uri.p, '?', r->uri.len)) != NULL) {
		r->path.p = r->uri.p;
		r->path.len = (size_t)(q - r->uri.p);
		r->query.p = q + 1;
		r->query.len = r->uri.len - r->path.len - 1;
	} else {
		r->path = r->uri;
		r->query.p = "";
		r->query.len = 0;
	}
	r->host = param_dup(r, "HTTP_HOST");
	if (r->host == NULL)
		r->host = param_dup(r, "SERVER_NAME");
	https = request_header(r, "HTTPS");
	r->scheme = (https && (strcmp(https, "on") == 0 ||
	    strcmp(https, "1") == 0)) ? "https" : "http";
	/*
	 * Debian's fastcgi_params sends HTTP_HOST as $host, without the
	 * port: put back a non-default SERVER_PORT so that branches served
	 * on other ports still match.
	 */
	if (r->host != NULL && strchr(r->host, ':') == NULL &&
	    r->host[0] != '[') {
		const char *sp = request_header(r, "SERVER_PORT");

		if (sp != NULL && *sp != '\0' && strspn(sp, "0123456789") ==
		    strlen(sp) && strcmp(sp, r->scheme[4] == 's' ? "443" :
		    "80") != 0) {
			/* every request behind a port of its own: no printf */
			size_t	 hl = strlen(r->host), pl = strlen(sp);
			char	*h = arena_alloc_uninit(r->a, hl + pl + 2);

			memcpy(h, r->host, hl);
			h[hl] = ':';
			memcpy(h + hl + 1, sp, pl + 1);
			r->host = h;
		}
	}
	r->content_type = param_dup(r, "CONTENT_TYPE");
	r->remote_addr = param_dup(r, "REMOTE_ADDR");
	read_body(r, body_max);
	return (0);
}

static int
put(const char *s, size_t n)
{
	if (n == 0)
		return (0);
	return (FCGX_PutStr(s, (int)n, freq.out) == (int)n ? 0 : -1);
}

/* v's decimal digits ending at end (no NUL); returns where they start */
static char *
put_dec(char *end, unsigned long long v)
{
	do
		*--end = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return (end);
}

int
fcgi_send(struct request *r)
{
	struct reply_header	*h;
	char			 num[24], *d;
	const char		*reason = reply_reason(r->status);

	/* formatted by hand: this runs once a request, printf showed up */
	d = put_dec(num + sizeof(num), (unsigned long long)(r->status < 0 ?
	    0 : r->status));
	if (put("Status: ", 8) == -1 ||
	    put(d, (size_t)(num + sizeof(num) - d)) == -1 ||
	    put(" ", 1) == -1 || put(reason, strlen(reason)) == -1 ||
	    put("\r\n", 2) == -1)
		return (-1);
	for (h = r->headers; h != NULL; h = h->next) {
		if (put(h->name, strlen(h->name)) == -1 ||
		    put(": ", 2) == -1 ||
		    put(h->value, strlen(h->value)) == -1 ||
		    put("\r\n", 2) == -1)
			return (-1);
	}
	d = put_dec(num + sizeof(num), (unsigned long long)r->reply_len);
	if (put("Content-Length: ", 16) == -1 ||
	    put(d, (size_t)(num + sizeof(num) - d)) == -1 ||
	    put("\r\n\r\n", 4) == -1)
		return (-1);
	if (put(r->reply_body, r->reply_len) == -1)
		return (-1);
	/* no flush: FCGX_Finish_r sends the data and END_REQUEST together */
	return (FCGX_GetError(freq.out) != 0 ? -1 : 0);
}

void
fcgi_finish(struct request *r)
{
	(void)r;
	/*
	 * When the whole request was read, nothing is left for a lingering
	 * close to drain: detach so that libfcgi closes at once instead of
	 * waiting for the web server to close first (fastcgi.md §2.1 #8).
	 * A refused body (413 before reading) keeps the draining close.
	 */
	if (body_read)
		FCGX_Detach(&freq);
	FCGX_Finish_r(&freq);
	/* FCGI_KEEP_CONN is not supported by a prefork worker: close anyway */
	if (freq.ipcFd >= 0)
		FCGX_Free(&freq, 1);
}
