/*
 * netaddr.c -- IP addresses and CIDR blocks (see netaddr.h), over
 * inet_pton/inet_ntop.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/netaddr.h"

int
netaddr_parse(const char *s, size_t n, struct in6_addr *a, int *is4)
{
	char		 buf[INET6_ADDRSTRLEN + 1];
	struct in_addr	 a4;
	int		 four = 0, rc = -1;

	if (n == 0 || n >= sizeof(buf))
		return (-1);
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		memset(a, 0, sizeof(*a));
		a->s6_addr[10] = 0xff;
		a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &a4, 4);
		four = 1;
		rc = 0;
	} else if (inet_pton(AF_INET6, buf, a) == 1)
		rc = 0;
	if (is4 != NULL)
		*is4 = four;
	return (rc);
}

int
netaddr_cidr_parse(const char *s, struct netaddr_cidr *c)
{
	const char	*slash;
	char		*end;
	long		 bits;
	int		 is4;

	if (s == NULL)
		return (-1);
	slash = strchr(s, '/');
	if (netaddr_parse(s, slash ? (size_t)(slash - s) : strlen(s), &c->net,
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
netaddr_cidr_match(const struct in6_addr *a, const struct netaddr_cidr *c)
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

int
netaddr_is_loopback(const struct in6_addr *a)
{
	return (IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) &&
	    a->s6_addr[12] == 127));
}

int
netaddr_host_loopback(const char *host)
{
	struct in6_addr	 a;
	const char	*end;
	size_t		 n;

	if (*host == '[') {
		if ((end = strchr(host, ']')) == NULL ||
		    (end[1] != '\0' && end[1] != ':'))
			return (0);
		return (netaddr_parse(host + 1, (size_t)(end - host - 1), &a,
		    NULL) == 0 && netaddr_is_loopback(&a));
	}
	n = (end = strchr(host, ':')) ? (size_t)(end - host) : strlen(host);
	if (n > 0 && host[n - 1] == '.')	/* "localhost." */
		n--;
	if ((n == 9 && strncmp(host, "localhost", 9) == 0) ||
	    (n > 10 && strncmp(host + n - 10, ".localhost", 10) == 0))
		return (1);
	return (netaddr_parse(host, n, &a, NULL) == 0 &&
	    netaddr_is_loopback(&a));
}

const char *
netaddr_refused_class(const struct in6_addr *a)
{
	const unsigned char	*b = a->s6_addr;

	if (netaddr_is_loopback(a))
		return ("loopback");
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		b += 12;
		if (b[0] == 169 && b[1] == 254)
			return ("link-local");
		if (b[0] == 100 && b[1] == 100 && b[2] == 100 && b[3] == 200)
			return ("metadata");
		if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		    (b[0] == 192 && b[1] == 168) ||
		    (b[0] == 100 && (b[1] & 0xc0) == 64))
			return ("private");
		if (b[0] == 0 || b[0] >= 224 || (b[0] == 192 && b[1] == 0 &&
		    b[2] == 0) || (b[0] == 198 && (b[1] & 0xfe) == 18))
			return ("reserved");
		return (NULL);
	}
	/* fd00:ec2::254, AWS's IPv6 metadata address */
	if (b[0] == 0xfd && b[1] == 0 && b[2] == 0x0e && b[3] == 0xc2 &&
	    b[14] == 0x02 && b[15] == 0x54)
		return ("metadata");
	if (IN6_IS_ADDR_LINKLOCAL(a))
		return ("link-local");
	if ((b[0] & 0xfe) == 0xfc || IN6_IS_ADDR_SITELOCAL(a))
		return ("private");
	if (IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_MULTICAST(a) ||
	    b[0] == 0)
		return ("reserved");
	return (NULL);
}

int
netaddr_format(const struct in6_addr *a, char *buf, size_t len)
{
	if (IN6_IS_ADDR_V4MAPPED(a))
		return (inet_ntop(AF_INET, &a->s6_addr[12], buf,
		    (socklen_t)len) == NULL ? -1 : 0);
	return (inet_ntop(AF_INET6, a, buf, (socklen_t)len) == NULL ? -1 : 0);
}
