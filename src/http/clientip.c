/*
 * clientip.c -- the client's address behind trusted proxies (see
 * clientip.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/clientip.h"
#include "http/request.h"

struct cidr {
	struct in6_addr	 net;
	int		 bits;	/* 0..128 over the IPv6 (or mapped) form */
};

static struct cidr	 trusted[CLIENTIP_MAX_PROXIES];
static int		 ntrusted = -1;	/* -1: the default, loopback */

/* a bare address (n bytes); IPv4 comes back IPv4-mapped.  0 or -1. */
static int
parse_addr(const char *s, size_t n, struct in6_addr *a, int *is4)
{
	char		 buf[INET6_ADDRSTRLEN + 1];
	struct in_addr	 a4;

	if (n == 0 || n >= sizeof(buf))
		return (-1);
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		memset(a, 0, sizeof(*a));
		a->s6_addr[10] = 0xff;
		a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &a4, 4);
		*is4 = 1;
		return (0);
	}
	*is4 = 0;
	return (inet_pton(AF_INET6, buf, a) == 1 ? 0 : -1);
}

static int
parse_cidr(const char *s, struct cidr *c)
{
	const char	*slash = strchr(s, '/');
	char		*end;
	long		 bits;
	int		 is4;

	if (parse_addr(s, slash ? (size_t)(slash - s) : strlen(s), &c->net,
	    &is4) == -1)
		return (-1);
	if (slash == NULL)
		bits = is4 ? 32 : 128;
	else {
		if (slash[1] < '0' || slash[1] > '9')
			return (-1);
		bits = strtol(slash + 1, &end, 10);
		if (*end != '\0' || bits < 0 || bits > (is4 ? 32 : 128))
			return (-1);
	}
	c->bits = (int)bits + (is4 ? 96 : 0);
	return (0);
}

int
clientip_parse(const char *s)
{
	struct cidr	 c;

	return (s == NULL ? -1 : parse_cidr(s, &c));
}

int
clientip_configure(const char *const *list, int *bad)
{
	struct cidr	 tmp[CLIENTIP_MAX_PROXIES];
	int		 n = 0;

	if (list == NULL) {
		ntrusted = -1;
		return (0);
	}
	for (; list[n] != NULL; n++) {
		if (n >= CLIENTIP_MAX_PROXIES || parse_cidr(list[n],
		    &tmp[n]) == -1) {
			if (bad)
				*bad = n;
			return (-1);
		}
	}
	memcpy(trusted, tmp, sizeof(tmp[0]) * (size_t)n);
	ntrusted = n;
	return (0);
}

static int
in_cidr(const struct in6_addr *a, const struct cidr *c)
{
	int	 full = c->bits / 8, rest = c->bits % 8;
	uint8_t	 mask;

	if (memcmp(a->s6_addr, c->net.s6_addr, (size_t)full) != 0)
		return (0);
	if (rest == 0)
		return (1);
	mask = (uint8_t)(0xff << (8 - rest));
	return ((a->s6_addr[full] & mask) == (c->net.s6_addr[full] & mask));
}

static int
is_trusted(const struct in6_addr *a)
{
	int	 i;

	if (ntrusted < 0)
		return (IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) &&
		    a->s6_addr[12] == 127));
	for (i = 0; i < ntrusted; i++)
		if (in_cidr(a, &trusted[i]))
			return (1);
	return (0);
}

static int
format_addr(const struct in6_addr *a, char *buf, size_t len)
{
	if (IN6_IS_ADDR_V4MAPPED(a))
		return (inet_ntop(AF_INET, &a->s6_addr[12], buf,
		    (socklen_t)len) == NULL ? -1 : 0);
	return (inet_ntop(AF_INET6, a, buf, (socklen_t)len) == NULL ? -1 : 0);
}

int
clientip_of(struct request *r, char *buf, size_t len, struct in6_addr *out)
{
	struct in6_addr	 cur, hop;
	const char	*xff, *s, *e, *end;
	int		 is4;

	if (len > 0)
		buf[0] = '\0';
	if (r->remote_addr == NULL || parse_addr(r->remote_addr,
	    strlen(r->remote_addr), &cur, &is4) == -1)
		return (-1);
	xff = is_trusted(&cur) ? request_header(r, "HTTP_X_FORWARDED_FOR") :
	    NULL;
	/* right to left: each entry was appended by the hop to its right */
	end = xff ? xff + strlen(xff) : NULL;
	while (end != NULL && is_trusted(&cur)) {
		for (s = end; s > xff && s[-1] != ','; s--)
			;
		for (e = end; s < e && (*s == ' ' || *s == '\t'); s++)
			;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (parse_addr(s, (size_t)(e - s), &hop, &is4) == -1)
			break;	/* garbage: the last trusted hop answers */
		cur = hop;
		while (s > xff && s[-1] != ',')
			s--;
		end = s > xff ? s - 1 : NULL;	/* before the ',' */
	}
	if (out)
		*out = cur;
	return (format_addr(&cur, buf, len));
}

const char *
clientip_str(struct request *r)
{
	char	 buf[INET6_ADDRSTRLEN];

	if (clientip_of(r, buf, sizeof(buf), NULL) == -1)
		return ("");
	return (arena_strdup(r->a, buf));
}
