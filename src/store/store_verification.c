/*
 * store_verification.c -- SQL for neon_auth.verification (see
 * store_verification.h).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "store/db.h"
#include "store/store_verification.h"

#define MS(x) "floor(extract(epoch from " x ") * 1000)::bigint"
#define V_COLS(v) \
	v ".id, " v ".identifier, " v ".value, " MS(v ".\"expiresAt\"") ", " \
	MS(v ".\"createdAt\"")

#define PURGE_SLOTS	16
#define PURGE_EVERY_MS	60000

/* when each connection last purged (connections live in the worker pool) */
static struct {
	struct db_conn	*c;
	int64_t		 at;
} purged[PURGE_SLOTS];

static void
fill(const struct db_result *res, int row, struct verification_rec *v)
{
	v->id = db_getvalue(res, row, 0);
	v->identifier = db_getvalue(res, row, 1);
	v->value = db_getvalue(res, row, 2);
	v->expires_ms = strtoll(db_getvalue(res, row, 3), NULL, 10);
	v->created_ms = strtoll(db_getvalue(res, row, 4), NULL, 10);
}

/* the opportunistic purge of expired rows (Better Auth does it too) */
static void
maybe_purge(struct db_conn *c, struct arena *a)
{
	int64_t		 now = clock_mono_ms();
	int		 i, slot = 0;

	for (i = 0; i < PURGE_SLOTS; i++) {
		if (purged[i].c == c) {
			slot = i;
			break;
		}
		if (purged[i].at < purged[slot].at)
			slot = i;
	}
	if (purged[slot].c == c && now - purged[slot].at < PURGE_EVERY_MS)
		return;
	purged[slot].c = c;
	purged[slot].at = now;
	/* inside a caller's transaction a failure would abort it: not there */
	if (db_in_transaction(c))
		return;
	(void)db_exec(c, a, "verification_purge", "DELETE FROM "
	    "neon_auth.verification WHERE \"expiresAt\" < now()", 0, NULL);
}

int
store_verification_create(struct db_conn *c, struct arena *a,
    const char *identifier, const char *value, int64_t expires_ms)
{
	static const char sql[] = "INSERT INTO neon_auth.verification"
	    " (identifier, value, \"expiresAt\", \"createdAt\", \"updatedAt\")"
	    " VALUES ($1, $2, $3::timestamptz, clock_timestamp(),"
	    " clock_timestamp())";
	const char	*p[3];

	p[0] = identifier;
	p[1] = value;
	p[2] = clock_iso(a, expires_ms);
	return (db_exec(c, a, "verification_create", sql, 3, p) == NULL ? -1 :
	    1);
}

int
store_verification_find(struct db_conn *c, struct arena *a,
    const char *identifier, struct verification_rec *v)
{
	static const char sql[] = "SELECT " V_COLS("v")
	    " FROM neon_auth.verification v WHERE v.identifier = $1"
	    " ORDER BY v.\"createdAt\" DESC LIMIT 1";
	const char		*p[1] = { identifier };
	struct db_result	*res;

	maybe_purge(c, a);
	if ((res = db_exec(c, a, "verification_find", sql, 1, p)) == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	fill(res, 0, v);
	return (1);
}

int
store_verification_consume(struct db_conn *c, struct arena *a,
    const char *identifier, struct verification_rec *v)
{
	/*
	 * The newest row is locked first: a concurrent consumer waits for
	 * it, finds it deleted and gets nothing.
	 */
	static const char sql[] = "WITH latest AS (SELECT id, \"createdAt\""
	    " FROM neon_auth.verification WHERE identifier = $1"
	    " ORDER BY \"createdAt\" DESC LIMIT 1 FOR UPDATE),"
	    " gone AS (DELETE FROM neon_auth.verification v USING latest"
	    " WHERE v.identifier = $1"
	    " AND v.\"createdAt\" <= latest.\"createdAt\""
	    " RETURNING v.*, v.id = latest.id AS chosen)"
	    " SELECT " V_COLS("g") " FROM gone g WHERE g.chosen";
	const char		*p[1] = { identifier };
	struct db_result	*res;

	if ((res = db_exec(c, a, "verification_consume", sql, 1, p)) == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	fill(res, 0, v);
	return (1);
}

int
store_verification_delete(struct db_conn *c, struct arena *a,
    const char *identifier)
{
	const char	*p[1] = { identifier };

	return (db_exec(c, a, "verification_delete", "DELETE FROM "
	    "neon_auth.verification WHERE identifier = $1", 1, p) == NULL ?
	    -1 : 1);
}
