/*
 * revoke.h -- which cookie-cache cookies a worker must no longer trust.
 *
 * The session_data cookie cache (protocol.md §3.4) answers without the
 * database by design, so a ban, which deletes the user's sessions, would
 * otherwise go unnoticed until the cookie expires.  What must be checked
 * on a cache hit is only this: has the user been banned (or deleted)
 * since the cookie was minted?  Two ways bring that news, neither a
 * round trip:
 *
 *   * The worker that bans (or removes, or revokes the sessions of) a
 *     user writes it here before it answers, into a table in shared
 *     memory that every worker of this server reads: the very next
 *     request, on any of them, knows.
 *   * Every ban and deletion, whoever makes it (another server on the
 *     same database, `neon-authd user`, plain SQL), sends NOTIFY
 *     neon_auth_revoke (sql/009_admin.sql); branchcfg_acquire drains it
 *     at the start of each request into the same table.  A notification
 *     travels in moments, not synchronously.
 *
 * A hit for a user revoked after its cookie was minted falls through to
 * the database, which knows.  The table is a bounded ring: when it wraps
 * over an entry that may still matter, or when a worker's notifications
 * may have been lost (a new or reset connection), every cookie minted
 * before that moment is distrusted once instead -- always correct, it
 * only costs database reads.  Times carry a margin for clock skew
 * between the hosts that mint cookies.
 */
#ifndef NEON_AUTHD_REVOKE_H
#define NEON_AUTHD_REVOKE_H

#include <stdint.h>

/*
 * revoke_share: put the table in memory shared with the processes forked
 * afterwards (the master, before its first worker).  Without it the
 * table is the process's own.  0, or -1 (logged; then it stays private).
 */
int	 revoke_share(void);
/*
 * revoke_note: user_id (of branch) was banned, deleted or had its
 * sessions revoked now.  user_id NULL: this process may have missed such
 * news for branch (trust no cookie of it minted before now).
 */
void	 revoke_note(const char *branch, const char *user_id);
/*
 * revoke_stale: 1 when a cookie-cache cookie of user_id on branch, minted
 * at minted_ms (its signed "updatedAt"), must not be trusted, else 0.
 */
int	 revoke_stale(const char *branch, const char *user_id,
	    int64_t minted_ms);
/* revoke_drain_cb: revoke_note for a branch name (db_drain_notifies_cb). */
void	 revoke_drain_cb(void *branch, const char *user_id);
/*
 * revoke_test_forget: unit tests only: this process has heard every
 * notification of branch (a connection listening for ever).
 */
void	 revoke_test_forget(const char *branch);

#endif
