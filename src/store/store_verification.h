/*
 * store_verification.h -- neon_auth.verification: the single-use rows
 * behind reset links, deletion links, email OTPs and magic links
 * (protocol.md §4.5).
 *
 * Lookups take the newest row of an identifier.  Consuming deletes that
 * row and every older one of the identifier in one statement, so of two
 * concurrent consumers exactly one gets the row.  Expired rows are
 * purged on lookup, at most once a minute per branch connection.
 */
#ifndef NEON_AUTHD_STORE_VERIFICATION_H
#define NEON_AUTHD_STORE_VERIFICATION_H

#include <stdint.h>

#include "lib/arena.h"

struct db_conn;

struct verification_rec {
	const char	*id;
	const char	*identifier;
	const char	*value;
	int64_t		 expires_ms;
	int64_t		 created_ms;
};

/* store_verification_create: a new row expiring at expires_ms. 1 or -1. */
int	 store_verification_create(struct db_conn *c, struct arena *a,
	    const char *identifier, const char *value, int64_t expires_ms);
/* store_verification_find: the newest row of identifier (expired too). */
int	 store_verification_find(struct db_conn *c, struct arena *a,
	    const char *identifier, struct verification_rec *v);
/*
 * store_verification_consume: take the newest row of identifier and
 * delete it with the older ones: 1 with *v (expired rows too: the
 * caller checks), 0 when there was none (or a concurrent consumer won).
 */
int	 store_verification_consume(struct db_conn *c, struct arena *a,
	    const char *identifier, struct verification_rec *v);
/* store_verification_delete: every row of identifier. 1 or -1. */
int	 store_verification_delete(struct db_conn *c, struct arena *a,
	    const char *identifier);

#endif
