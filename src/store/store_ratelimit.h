/*
 * store_ratelimit.h -- the rate limiter's counters in the database
 * (settings.rate_limit.storage "database", sql/014_rate_limit.sql).
 *
 * The same rule as the shared-memory limiter (http/ratelimit.h, Better
 * Auth's protocol.md §7), kept in neon_auth."rateLimit" so that every
 * host on the database counts a client once.  One statement per limited
 * request: an upsert that counts the request when it is allowed and
 * leaves the row alone when it is not, on the database's clock.
 */
#ifndef NEON_AUTHD_STORE_RATELIMIT_H
#define NEON_AUTHD_STORE_RATELIMIT_H

#include "lib/arena.h"
#include "store/db.h"

/*
 * store_ratelimit_hit: count one request for key under max requests per
 * window_s seconds.  1 allowed, 0 denied (*retry_after_s, may be NULL,
 * gets the seconds until the window ends), -1 on a database error
 * (db_last_error; the caller decides, the limiter lets it through).
 */
int	 store_ratelimit_hit(struct db_conn *c, struct arena *a,
	    const char *key, int window_s, int max, int *retry_after_s);

#endif
