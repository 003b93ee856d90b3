/*
 * netaddr.h -- IP addresses and CIDR blocks as text: parse, match,
 * format.  Pure code shared by the client-IP rule (http/clientip.c),
 * the configuration checker (lib/config.c, trusted_proxies) and the
 * cookie style of a loopback Auth URL (http/branchcfg.c).
 *
 * IPv4 is held IPv4-mapped (::ffff:a.b.c.d) so one comparison serves
 * both families; a CIDR's prefix length counts over that 128-bit form.
 */
#ifndef NEON_AUTHD_NETADDR_H
#define NEON_AUTHD_NETADDR_H

#include <stddef.h>
#include <netinet/in.h>

struct netaddr_cidr {
	struct in6_addr	 net;
	int		 bits;	/* 0..128 over the IPv6 (or mapped) form */
};

/*
 * netaddr_parse: the bare address in s[0..n) ("203.0.113.5",
 * "2001:db8::1"), IPv4 mapped; *is4 (may be NULL) tells which it was.
 * 0, or -1 when it is not an address.
 */
int	 netaddr_parse(const char *s, size_t n, struct in6_addr *a, int *is4);
/* netaddr_cidr_parse: "addr" or "addr/bits" (NUL-terminated); 0 or -1. */
int	 netaddr_cidr_parse(const char *s, struct netaddr_cidr *c);
/* netaddr_cidr_match: 1 when a lies in c, else 0. */
int	 netaddr_cidr_match(const struct in6_addr *a,
	    const struct netaddr_cidr *c);
/* netaddr_is_loopback: 127.0.0.0/8 or ::1. */
int	 netaddr_is_loopback(const struct in6_addr *a);
/*
 * netaddr_host_loopback: 1 when a URL's host ("h", "h:port", "[v6]:port",
 * lower case as httpc_url gives it) names this machine: localhost, a name
 * under .localhost, 127.0.0.0/8 or [::1] (what browsers count as
 * potentially trustworthy over plain http); else 0.
 */
int	 netaddr_host_loopback(const char *host);
/*
 * netaddr_refused_class: why an outbound request (a webhook) must not go
 * to a: "loopback" (127/8, ::1), "link-local" (169.254/16, fe80::/10,
 * which holds the cloud metadata address 169.254.169.254), "private"
 * (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7), "metadata"
 * (fd00:ec2::254, 100.100.100.200) or "reserved" (0/8, 224/4 and above,
 * ::, multicast, 192.0.0/24, 198.18/15, IPv4-compatible forms); NULL when
 * it is a public address.
 */
const char *netaddr_refused_class(const struct in6_addr *a);
/* netaddr_format: a as text (a mapped address as IPv4); 0 or -1. */
int	 netaddr_format(const struct in6_addr *a, char *buf, size_t len);

#endif
