/*
 * store_ratelimit.c -- rate-limit counters in neon_auth."rateLimit"
 * (see store_ratelimit.h).
 *
 * The upsert inserts a first request (count 1), restarts an expired
 * window (count 1), counts an allowed one (count + 1); a request over the
 * limit matches the ON CONFLICT ... WHERE nowhere, so nothing is written
 * and nothing is returned.  Concurrent requests for one key serialise on
 * the row lock, and the WHERE is evaluated again on the newest row, so two
 * hosts never both take the last allowed request.  The outer SELECT reads
 * the row as it was before the statement: for a denial, the lastRequest
 * the window runs from.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/db.h"
#include "store/store_ratelimit.h"

#define SQL_RL_HIT \
	"WITH u AS (" \
	"INSERT INTO neon_auth.\"rateLimit\" AS r (\"key\", \"count\", " \
	"\"lastRequest\") VALUES ($1, 1, " \
	"(extract(epoch FROM clock_timestamp()) * 1000)::bigint) " \
	"ON CONFLICT (\"key\") DO UPDATE SET " \
	"\"count\" = CASE WHEN EXCLUDED.\"lastRequest\" - r.\"lastRequest\" " \
	">= $2::bigint THEN 1 ELSE r.\"count\" + 1 END, " \
	"\"lastRequest\" = EXCLUDED.\"lastRequest\" " \
	"WHERE EXCLUDED.\"lastRequest\" - r.\"lastRequest\" >= $2::bigint " \
	"OR r.\"count\" < $3::integer RETURNING 1) " \
	"SELECT (SELECT count(*) FROM u), " \
	"(SELECT \"lastRequest\" FROM neon_auth.\"rateLimit\" " \
	"WHERE \"key\" = $1), " \
	"(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

static long long
num(const struct db_result *res, int col)
{
	const char	*s = db_getvalue(res, 0, col);
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0')
		return (0);
	errno = 0;
	v = strtoll(s, &end, 10);
	return (errno != 0 || *end != '\0' ? 0 : v);
}

int
store_ratelimit_hit(struct db_conn *c, struct arena *a, const char *key,
    int window_s, int max, int *retry_after_s)
{
	struct db_result	*res;
	const char		*params[3];
	char			 wbuf[24], mbuf[16];
	long long		 last, now, left;

	if (retry_after_s != NULL)
		*retry_after_s = 0;
	(void)snprintf(wbuf, sizeof(wbuf), "%lld", (long long)window_s * 1000);
	(void)snprintf(mbuf, sizeof(mbuf), "%d", max);
	params[0] = key;
	params[1] = wbuf;
	params[2] = mbuf;
	res = db_exec(c, a, "ratelimit_hit", SQL_RL_HIT, 3, params);
	if (res == NULL || db_ntuples(res) != 1)
		return (-1);
	if (num(res, 0) == 1)
		return (1);
	last = num(res, 1);
	now = num(res, 2);
	left = last + (long long)window_s * 1000 - now;
	if (retry_after_s != NULL)
		*retry_after_s = left > 0 ? (int)((left + 999) / 1000) : 0;
	return (0);
}
