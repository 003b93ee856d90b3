/*
 * sesscache.h -- the session cache the workers of a host share: a
 * session row and its user by (branch, token), so that get-session,
 * token and set-auth-jwt answer a hit with no database round trip.
 *
 * The master maps it before the first fork (pool.session_cache entries;
 * 0 turns it off).  Bounded: a set-associative table, buckets of
 * SESSCACHE_WAYS entries, each bucket under its own robust process-shared
 * mutex, least recently used out within the bucket.
 *
 * Correctness rests on three rules:
 *
 *   * Invalidation by user: every change to a session or its user sends
 *     NOTIFY neon_auth_session with the user's id (sql/013); each worker
 *     drains it at the start of each request (branchcfg_acquire), and the
 *     committing worker drains its own before it answers.  A note bumps
 *     the user's stripe to a new generation; an entry is valid only while
 *     its stripe is no newer than the generation taken before its row was
 *     read, so a read racing an invalidation is never stored valid.
 *   * A process trusts an entry only when its row was read after the
 *     process started listening on that branch: notifications sent while
 *     it was not listening are lost (a new or reset connection).
 *   * Keys carry the branch's identity (its name and connection string),
 *     so databases copied from one another never share entries.
 */
#ifndef NEON_AUTHD_SESSCACHE_H
#define NEON_AUTHD_SESSCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "store/record.h"

#define SESSCACHE_WAYS		8
#define SESSCACHE_DEFAULT	4096	/* entries */

struct sesscache_key {
	uint64_t	 h[2];
};

struct sesscache_stats {
	uint64_t	 hits, misses, puts, notes, entries;
};

/*
 * sesscache_create: map a cache of about entries entries shared with the
 * processes forked afterwards (0: the cache is off).  0, or -1 (logged;
 * then the cache is off).  Again: the old mapping is dropped.
 */
int	 sesscache_create(size_t entries);
/* sesscache_enabled: 1 when a cache is mapped. */
int	 sesscache_enabled(void);
/* sesscache_key: the identity of a branch (name and conninfo). */
struct sesscache_key sesscache_key(const char *name, const char *conninfo);
/* what sesscache_put needs to know of the moment before the read */
struct sesscache_ticket {
	uint64_t	 gen;
	int64_t		 at_us;
};

/* sesscache_begin: the ticket to pass to sesscache_put, taken before the
 * row is read. */
struct sesscache_ticket sesscache_begin(void);
/*
 * sesscache_get: 1 with *s and *u filled (strings in a) from a valid
 * entry for token, else 0.
 */
int	 sesscache_get(const struct sesscache_key *k, const char *token,
	    struct arena *a, struct session_rec *s, struct user_rec *u);
/*
 * sesscache_put: store the row read after t was taken (ignored when
 * it does not fit an entry or was invalidated meanwhile).
 */
void	 sesscache_put(const struct sesscache_key *k,
	    const struct sesscache_ticket *t, const struct session_rec *s,
	    const struct user_rec *u);
/*
 * sesscache_note: user_id (of branch k) or one of its sessions changed.
 * user_id NULL: this process may have missed such news for k (it trusts
 * no entry of k read before now).
 */
void	 sesscache_note(const struct sesscache_key *k, const char *user_id);
/* sesscache_stats: counters since the mapping (all processes). */
void	 sesscache_stats(struct sesscache_stats *st);

#endif
