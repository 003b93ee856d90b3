/*
 * revoke.h -- which cookie-cache cookies a worker must no longer trust.
 *
 * The session_data cookie cache (protocol.md §3.4) answers without the
 * database by design, so a ban, which deletes the user's sessions, would
 * otherwise go unnoticed until the cookie expires.  sql/008_admin.sql
 * makes every ban and every user deletion send NOTIFY neon_auth_revoke
 * with the user's id; branchcfg_acquire drains it at the start of each
 * request (no round trip) into this per-worker, per-branch table, and the
 * session reader refuses a cached session of a user revoked after its
 * cookie was minted: the request falls through to the database, which
 * knows.
 *
 * The table is bounded.  When it overflows, or when notifications may
 * have been lost (a new or reset connection: NOTIFYs sent while not
 * listening are gone), every cookie minted before that moment is refused
 * once instead: correct, and only costs database reads.  Times carry a
 * margin for clock skew between the hosts that mint cookies.
 */
#ifndef NEON_AUTHD_REVOKE_H
#define NEON_AUTHD_REVOKE_H

#include <stdint.h>

/*
 * revoke_note: user_id (of branch) was banned or deleted now; NULL: any
 * user may have been (trust no cookie minted before now).
 */
void	 revoke_note(const char *branch, const char *user_id);
/*
 * revoke_stale: 1 when a cookie-cache cookie of user_id on branch, minted
 * at minted_ms (its signed "updatedAt"), must not be trusted; max_age_s is
 * the branch's cookie_cache_max_age (how long entries matter).  0 else.
 */
int	 revoke_stale(const char *branch, const char *user_id,
	    int64_t minted_ms, int64_t max_age_s);
/* revoke_drain_cb: revoke_note for a branch name (db_drain_notifies_cb). */
void	 revoke_drain_cb(void *branch, const char *user_id);

#endif
