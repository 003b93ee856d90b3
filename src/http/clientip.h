/*
 * clientip.h -- who is the client: the one rule for believing
 * X-Forwarded-For, used by the rate limiter, the session's ipAddress and
 * the access log.
 *
 * The connection's peer (REMOTE_ADDR) is the client unless it is a
 * trusted proxy (server file: trusted_proxies, addresses and CIDRs; the
 * default is loopback only).  Then X-Forwarded-For is walked from the
 * right, skipping trusted hops, and the first untrusted address is the
 * client.  A malformed entry stops the walk at the last trusted hop.
 * Without an X-Forwarded-For header, a trusted peer's X-Real-IP (one
 * address) is believed instead.
 */
#ifndef NEON_AUTHD_CLIENTIP_H
#define NEON_AUTHD_CLIENTIP_H

#include <stddef.h>
#include <netinet/in.h>

struct request;

#define CLIENTIP_MAX_PROXIES	64

/*
 * clientip_configure: the trusted proxies, as "addr" or "addr/bits"
 * strings (NULL-terminated; NULL list = the default, loopback).  Returns
 * 0, or -1 with the bad entry's index in *bad.
 */
int	 clientip_configure(const char *const *list, int *bad);
/* clientip_parse: validate one entry (for the configuration checker). */
int	 clientip_parse(const char *s);

/*
 * clientip_of: the client's address for r, written as text into buf
 * ("203.0.113.5", "2001:db8::1"); 0, or -1 (buf "") when no valid
 * address is known.  *addr (when not NULL) gets it as IPv6 (IPv4 mapped).
 */
int	 clientip_of(struct request *r, char *buf, size_t len,
	    struct in6_addr *addr);
/* clientip_str: the same into the request arena; "" when unknown. */
const char *clientip_str(struct request *r);
/*
 * clientip_peer_trusted: 1 when the connection's peer (REMOTE_ADDR) is a
 * trusted proxy, whose headers (X-Request-Id, ...) may be believed.
 */
int	 clientip_peer_trusted(struct request *r);

#endif
