/*
 * fuzz_fcgi.c -- libFuzzer target: a FastCGI byte stream from the web
 * server to a request (http/fcgi.c fcgi_accept over libfcgi: records,
 * parameters, REQUEST_URI split, HTTP_HOST and SERVER_PORT, the body
 * read with CONTENT_LENGTH and its cap), then the request readers
 * (headers, query, cookies) and the reply written back.  The input is
 * written into one end of a socketpair and the writing side shut down.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/cookie.h"
#include "http/fcgi.h"
#include "http/request.h"
#include "lib/arena.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * huge_param: does a PARAMS stream announce a name or value of more than
 * 1 MiB?  libfcgi's ReadParams mallocs nameLen + valueLen + 2 in an int,
 * which overflows for lengths near 2^31 and aborts on the failed malloc:
 * a FastCGI peer can end a worker that way (a web server never sends such
 * lengths; fcgiapp.c Malloc asserts).  That is libfcgi's code, not ours:
 * those inputs are skipped.
 */
static int
huge_param_at(const uint8_t *d, size_t n, int padding)
{
	static uint8_t	 buf[100000];
	size_t		 off = 0, len = 0, i, l[2];
	int		 k;

	while (off + 8 <= n) {
		size_t	 clen = ((size_t)d[off + 4] << 8) | d[off + 5];
		size_t	 plen = d[off + 6];

		/* a record cut short by the end of the input counts too */
		if (off + 8 + clen > n)
			clen = n - off - 8;
		/* libfcgi takes parameters from records of other types too */
		if (d[off + 1] != 1 && len + clen <= sizeof(buf)) {
			memcpy(buf + len, d + off + 8, clen);
			len += clen;
		}
		off += 8 + clen + (padding ? plen : 0);
	}
	for (i = 0; i < len; ) {
		for (k = 0; k < 2; k++) {
			if (i >= len)
				return (0);
			if (buf[i] & 0x80) {
				if (i + 4 > len)
					return (1);
				l[k] = ((size_t)(buf[i] & 0x7f) << 24) |
				    ((size_t)buf[i + 1] << 16) |
				    ((size_t)buf[i + 2] << 8) | buf[i + 3];
				i += 4;
			} else
				l[k] = buf[i++];
			if (l[k] > (1u << 20))
				return (1);
		}
		i += l[0] + l[1];
	}
	return (0);
}

/* libfcgi does not skip every record's padding the same way: try both */
static int
huge_param(const uint8_t *d, size_t n)
{
	return (huge_param_at(d, n, 1) || huge_param_at(d, n, 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 ready;
	struct arena		 a;
	struct request		 r;
	struct request_env	 env = { 0 };
	int			 sv[2], rc;
	size_t			 off = 0;
	ssize_t			 n;

	if (!ready) {
		log_init(LOG_LVL_CRIT, NULL);
		if (fcgi_init() != 0)
			abort();
		ready = 1;
	}
	if (size > 100000 || huge_param(data, size))
		return (0);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	{
		int	 sz = 1 << 20;

		(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		(void)setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	while (off < size) {
		n = write(sv[1], data + off, size - off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	shutdown(sv[1], SHUT_WR);
	memset(&r, 0, sizeof(r));
	arena_init(&a, 4096);
	r.a = &a;
	env.secret = "fuzz-secret-0123456789abcdefghijklmnopqrstuvwxyz";
	r.env = &env;
	rc = fcgi_accept(&r, sv[0], 1024);
	if (rc == 0) {
		if (r.uri.p == NULL || r.path.len > r.uri.len ||
		    r.method == NULL || r.scheme == NULL)
			__builtin_trap();
		(void)request_header(&r, "HTTP_COOKIE");
		(void)request_header(&r, "HTTP_ORIGIN");
		(void)request_query(&r, "callbackURL");
		(void)cookie_get(&r, "neon-auth.session_token");
		reply_json_str(&r, r.body_error ? r.body_error : 200,
		    "{\"ok\":true}");
		(void)fcgi_send(&r);
		fcgi_finish(&r);
	}
	/* fcgi_finish (or the failed accept) closed our end; or not */
	if (fcntl(sv[0], F_GETFD) != -1)
		close(sv[0]);
	close(sv[1]);
	arena_free(&a);
	return (0);
}
