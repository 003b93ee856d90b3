/*
 * store_purge.h -- expired rows: sessions past their expiresAt and
 * verification rows (links, OTPs) past theirs, deleted in bounded batches
 * (`neon-authd purge`) and counted for the status page.
 */
#ifndef NEON_AUTHD_STORE_PURGE_H
#define NEON_AUTHD_STORE_PURGE_H

#include <stdint.h>

#include "lib/arena.h"

struct db_conn;

enum store_purge_table {
	STORE_PURGE_SESSIONS = 0,	/* neon_auth.session */
	STORE_PURGE_VERIFICATIONS,	/* neon_auth.verification */
};

/*
 * store_purge_batch: delete at most batch expired rows of table t in one
 * statement (rows locked by someone else are skipped).  *deleted gets the
 * count.  1 when rows were deleted, 0 when none were, -1 on a database
 * error (db_last_error).
 */
int	 store_purge_batch(struct db_conn *c, struct arena *a,
	    enum store_purge_table t, int batch, int64_t *deleted);

/*
 * store_expired_counts: expired sessions and verification rows, each
 * counted up to cap (a count equal to cap means "at least").  1, or -1 on
 * a database error.
 */
int	 store_expired_counts(struct db_conn *c, struct arena *a, int64_t cap,
	    int64_t *sessions, int64_t *verifications);

#endif
