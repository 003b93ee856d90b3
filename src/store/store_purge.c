/*
 * store_purge.c -- SQL for expired rows (see store_purge.h).  Both
 * tables have an index on "expiresAt" (sql/007_expiry_indexes.sql).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/db.h"
#include "store/store_purge.h"

static const char *const purge_sql[] = {
	[STORE_PURGE_SESSIONS] =
	    "DELETE FROM \"neon_auth\".\"session\" WHERE \"id\" IN ("
	    "SELECT \"id\" FROM \"neon_auth\".\"session\" "
	    "WHERE \"expiresAt\" < now() ORDER BY \"expiresAt\" "
	    "LIMIT $1::integer FOR UPDATE SKIP LOCKED)",
	[STORE_PURGE_VERIFICATIONS] =
	    "DELETE FROM \"neon_auth\".\"verification\" WHERE \"id\" IN ("
	    "SELECT \"id\" FROM \"neon_auth\".\"verification\" "
	    "WHERE \"expiresAt\" < now() ORDER BY \"expiresAt\" "
	    "LIMIT $1::integer FOR UPDATE SKIP LOCKED)",
};

static const char *const purge_name[] = {
	[STORE_PURGE_SESSIONS] = "purge_sessions",
	[STORE_PURGE_VERIFICATIONS] = "purge_verifications",
};

#define COUNT_SQL \
	"SELECT (SELECT count(*) FROM (SELECT 1 FROM \"neon_auth\".\"session\" " \
	"WHERE \"expiresAt\" < now() LIMIT $1::bigint) s), " \
	"(SELECT count(*) FROM (SELECT 1 FROM \"neon_auth\".\"verification\" " \
	"WHERE \"expiresAt\" < now() LIMIT $1::bigint) v)"

int
store_purge_batch(struct db_conn *c, struct arena *a,
    enum store_purge_table t, int batch, int64_t *deleted)
{
	struct db_result	*res;
	const char		*p[1];

	*deleted = 0;
	if (t < STORE_PURGE_SESSIONS || t > STORE_PURGE_VERIFICATIONS ||
	    batch < 1)
		return (-1);
	p[0] = arena_printf(a, "%d", batch);
	if ((res = db_exec(c, a, purge_name[t], purge_sql[t], 1, p)) == NULL)
		return (-1);
	*deleted = db_cmd_tuples(res);
	return (*deleted > 0 ? 1 : 0);
}

int
store_expired_counts(struct db_conn *c, struct arena *a, int64_t cap,
    int64_t *sessions, int64_t *verifications)
{
	struct db_result	*res;
	const char		*p[1];

	p[0] = arena_printf(a, "%" PRId64, cap);
	if ((res = db_exec(c, a, "expired_counts", COUNT_SQL, 1, p)) == NULL ||
	    db_ntuples(res) != 1)
		return (-1);
	*sessions = strtoll(db_getvalue(res, 0, 0), NULL, 10);
	*verifications = strtoll(db_getvalue(res, 0, 1), NULL, 10);
	return (1);
}
