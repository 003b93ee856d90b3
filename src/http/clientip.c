/*
 * clientip.c -- the client's address behind trusted proxies (see
 * clientip.h).
 */
#include <arpa/inet.h>
#include <string.h>

#include "http/clientip.h"
#include "http/request.h"
#include "lib/netaddr.h"

static struct netaddr_cidr	 trusted[CLIENTIP_MAX_PROXIES];
static int			 ntrusted = -1;	/* -1: the default, loopback */

int
clientip_parse(const char *s)
{
	struct netaddr_cidr	 c;

	return (netaddr_cidr_parse(s, &c));
}

int
clientip_configure(const char *const *list, int *bad)
{
	struct netaddr_cidr	 tmp[CLIENTIP_MAX_PROXIES];
	int			 n = 0;

	if (list == NULL) {
		ntrusted = -1;
		return (0);
	}
	for (; list[n] != NULL; n++) {
		if (n >= CLIENTIP_MAX_PROXIES || netaddr_cidr_parse(list[n],
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
is_trusted(const struct in6_addr *a)
{
	int	 i;

	if (ntrusted < 0)
		return (netaddr_is_loopback(a));
	for (i = 0; i < ntrusted; i++)
		if (netaddr_cidr_match(a, &trusted[i]))
			return (1);
	return (0);
}

int
clientip_peer_trusted(struct request *r)
{
	struct in6_addr	 a;

	return (r->remote_addr != NULL && netaddr_parse(r->remote_addr,
	    strlen(r->remote_addr), &a, NULL) == 0 && is_trusted(&a));
}

int
clientip_of(struct request *r, char *buf, size_t len, struct in6_addr *out)
{
	struct in6_addr	 cur, hop;
	const char	*xff = NULL, *xri, *s, *e, *end;

	if (len > 0)
		buf[0] = '\0';
	if (r->remote_addr == NULL || netaddr_parse(r->remote_addr,
	    strlen(r->remote_addr), &cur, NULL) == -1)
		return (-1);
	if (is_trusted(&cur)) {
		xff = request_header(r, "HTTP_X_FORWARDED_FOR");
		/* X-Real-IP: one address, believed only without X-F-F */
		if ((xff == NULL || *xff == '\0') &&
		    (xri = request_header(r, "HTTP_X_REAL_IP")) != NULL &&
		    netaddr_parse(xri, strlen(xri), &hop, NULL) == 0)
			cur = hop;
	}
	/* right to left: each entry was appended by the hop to its right */
	end = xff ? xff + strlen(xff) : NULL;
	while (end != NULL && is_trusted(&cur)) {
		for (s = end; s > xff && s[-1] != ','; s--)
			;
		for (e = end; s < e && (*s == ' ' || *s == '\t'); s++)
			;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (netaddr_parse(s, (size_t)(e - s), &hop, NULL) == -1)
			break;	/* garbage: the last trusted hop answers */
		cur = hop;
		while (s > xff && s[-1] != ',')
			s--;
		end = s > xff ? s - 1 : NULL;	/* before the ',' */
	}
	if (out)
		*out = cur;
	return (netaddr_format(&cur, buf, len));
}

const char *
clientip_str(struct request *r)
{
	char	 buf[INET6_ADDRSTRLEN];

	if (clientip_of(r, buf, sizeof(buf), NULL) == -1)
		return ("");
	return (arena_strdup(r->a, buf));
}
