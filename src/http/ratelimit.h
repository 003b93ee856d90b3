/*
 * ratelimit.h -- Better Auth's rate limiter (protocol.md §7) over a
 * fixed-size hash table in shared memory, used by every worker at once.
 *
 * The master maps the table (ratelimit_create) before the first fork;
 * workers inherit the mapping.  The table is split into buckets of
 * RATELIMIT_BUCKET_SLOTS entries, each behind its own process-shared
 * robust mutex: a worker killed while holding one (SIGKILL, hard
 * timeout) hands it over to the next locker, which clears that bucket.
 * A lock that cannot be had within RATELIMIT_LOCK_MS (a stopped holder)
 * lets the request through uncounted rather than stalling the worker.
 *
 * When a bucket is full, the entry to replace is an expired one if any,
 * else the one with the oldest last request (it then starts afresh).
 */
#ifndef NEON_AUTHD_RATELIMIT_H
#define NEON_AUTHD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "http/error.h"
#include "http/request.h"

#define RATELIMIT_BUCKET_SLOTS	8	/* probe window */
#define RATELIMIT_KEY_MAX	192	/* key bytes stored; longer keys are
					   stored truncated, told apart by
					   length and a 64-bit keyed hash */
#define RATELIMIT_LOCK_MS	50

struct ratelimit;

/*
 * ratelimit_create: map a zeroed table with room for at least slots
 * entries (rounded up to a power-of-two number of buckets), with a fresh
 * random hash key.  Call in the master before forking.  Returns NULL on
 * failure (logged).
 */
struct ratelimit	*ratelimit_create(size_t slots);
/* ratelimit_destroy: unmap the table (NULL ok). */
void			 ratelimit_destroy(struct ratelimit *rl);
/* ratelimit_evictions: live entries replaced so far because of space. */
uint64_t		 ratelimit_evictions(const struct ratelimit *rl);

/*
 * ratelimit_hit: count one request for key (NUL-terminated, any length)
 * under a rule of max requests per window_s seconds, at now_ms
 * (CLOCK_MONOTONIC milliseconds, the same clock in every process).
 * Exactly §7:
 *   no record                     -> allow, count = 1, last = now
 *   now - last >= window          -> allow, count = 1, last = now
 *   count >= max                  -> deny, record unchanged
 *   otherwise                     -> allow, count + 1, last = now
 * (every allowed request moves the window).  On denial *retry_after_s
 * (may be NULL) is ceil((last + window*1000 - now) / 1000).
 * Returns 1 allowed, 0 denied.
 */
int	 ratelimit_hit(struct ratelimit *rl, const char *key, int window_s,
	    int max, int64_t now_ms, int *retry_after_s);

/*
 * ratelimit_client_ip: the client part of the key (§7), from the one
 * client-IP rule (http/clientip.h): IPv4 in dotted-quad form (IPv4-mapped
 * IPv6 as IPv4), other IPv6 addresses reduced to their /64 prefix
 * ("2001:db8:1:2::/64"), as Better Auth does by default.  Returns 0, or
 * -1 when there is no usable address (buf then holds "no-trusted-ip").
 */
int	 ratelimit_client_ip(struct request *r, char *buf, size_t len);

/*
 * ratelimit_guard: step 2 of protocol.md §0.4 for a request whose branch
 * is resolved, under the route row's rule (window s, max requests;
 * window 0 = the branch's settings.rate_limit, 10 s / 100 without
 * config): key "<branch>|<ip>|<route>" (trailing slashes removed).
 * ERR_TOO_MANY_REQUESTS (with X-Retry-After set) when denied, else
 * ERR_NONE (also when disabled, rl NULL or no branch).
 */
enum err ratelimit_guard(struct request *r, struct ratelimit *rl, int window,
	    int max);

/*
 * ratelimit_test_hold: lock the bucket of key and keep it locked (unit
 * tests only: a process that dies holding it exercises the recovery).
 * 0, or -1.
 */
int	 ratelimit_test_hold(struct ratelimit *rl, const char *key);

#endif
