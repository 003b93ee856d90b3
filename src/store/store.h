/*
 * store.h -- the SQL for users, accounts and sessions in neon_auth.
 *
 * Every function takes the branch's connection and an arena, never a
 * request: what it needs from the request (the client's address, the
 * session lifetime) comes in as plain values, and what it finds goes back
 * as records (store/record.h).  Every statement is parameterised and
 * prepared on first use per connection.  Functions return 1 (found /
 * done), 0 (not found / nothing changed) or -1 on a database error; the
 * caller decides the reply (http/error.h err_db reads the cause from the
 * connection).
 */
#ifndef NEON_AUTHD_STORE_H
#define NEON_AUTHD_STORE_H

#include <stdint.h>

#include "lib/arena.h"
#include "store/record.h"

struct db_conn;

/* what a new session row records (protocol.md §4.3) */
struct session_new {
	const char	*ip;		/* client address, "" when unknown */
	const char	*ua;		/* User-Agent, "" when none */
	int64_t		 ttl_s;		/* expiresAt = now + ttl_s */
};

/*
 * store_begin / store_commit / store_rollback: a transaction on c;
 * store_rollback does nothing outside one (after a failed commit).
 */
int	 store_begin(struct db_conn *c);
int	 store_commit(struct db_conn *c);
void	 store_rollback(struct db_conn *c);

/* store_session_lookup: the session of token joined with its user. */
int	 store_session_lookup(struct db_conn *c, struct arena *a,
	    const char *token, struct session_rec *s, struct user_rec *u);
int	 store_session_create(struct db_conn *c, struct arena *a,
	    const char *user_id, const struct session_new *n,
	    struct session_rec *out);
/* store_session_extend: slide expiresAt; fills s with the new values. */
int	 store_session_extend(struct db_conn *c, struct arena *a,
	    struct session_rec *s, int64_t expires_ms, int64_t now_ms);
/* store_session_delete: 1 and the row in *gone (when not NULL), or 0. */
int	 store_session_delete(struct db_conn *c, struct arena *a,
	    const char *token, struct session_rec *gone);
/* store_session_list: the user's live sessions as a JSON array (text). */
int	 store_session_list(struct db_conn *c, struct arena *a,
	    const char *user_id, char **out);
/* store_sessions_delete_user: all (except keep_token, when given). */
int	 store_sessions_delete_user(struct db_conn *c, struct arena *a,
	    const char *user_id, const char *keep_token, int only_live);

/*
 * store_user_by_email: the user and its credential password hash (NULL
 * when it has none).
 */
int	 store_user_by_email(struct db_conn *c, struct arena *a,
	    const char *email, struct user_rec *u, const char **password_hash);
/* store_password_of: the credential password hash of a user. */
int	 store_password_of(struct db_conn *c, struct arena *a,
	    const char *user_id, const char **password_hash);
/*
 * store_sign_up: insert user (with role, the admin plugin's default
 * role), credential account and (when n is not NULL) a session in one
 * statement.  0 when the email is taken.
 */
int	 store_sign_up(struct db_conn *c, struct arena *a, const char *name,
	    const char *email, const char *image, const char *password_hash,
	    const char *role, const struct session_new *n, struct user_rec *u,
	    struct session_rec *s);
/* store_user_update: name and/or image (NULL = unchanged, image_null). */
int	 store_user_update(struct db_conn *c, struct arena *a,
	    const char *user_id, const char *name, int set_image,
	    const char *image, struct user_rec *u);
/* store_user_set_email: 0 when the address is taken (or no such user). */
int	 store_user_set_email(struct db_conn *c, struct arena *a,
	    const char *user_id, const char *email, struct user_rec *u);
int	 store_password_set(struct db_conn *c, struct arena *a,
	    const char *user_id, const char *hash);
int	 store_user_delete(struct db_conn *c, struct arena *a,
	    const char *user_id);
int	 store_email_taken(struct db_conn *c, struct arena *a,
	    const char *email);
/*
 * store_user_cols / store_user_fill: the user columns of alias "u" (for
 * the other store files' statements) and the reader of those columns,
 * starting at column col of row.
 */
struct db_result;
const char	*store_user_cols(void);
#define STORE_USER_NCOLS	11
void	 store_user_fill(struct arena *a, const struct db_result *res,
	    int row, int col, struct user_rec *u);
/* store_session_cols / store_session_fill: the same for alias "s". */
const char	*store_session_cols(void);
#define STORE_SESSION_NCOLS	10
void	 store_session_fill(struct arena *a, const struct db_result *res,
	    int row, int col, struct session_rec *s);
/*
 * store_user_change_email: a new address and emailVerified as given; 0
 * when the address is taken (or no such user).
 */
int	 store_user_change_email(struct db_conn *c, struct arena *a,
	    const char *user_id, const char *email, int verified,
	    struct user_rec *u);
/*
 * store_user_create_verified: a user without a password whose address
 * is proven (email OTP, magic link); 0 when the address is taken.
 */
int	 store_user_create_verified(struct db_conn *c, struct arena *a,
	    const char *email, const char *name, const char *image,
	    struct user_rec *u);
/*
 * store_user_revoke_unproven: for a user whose address was unverified
 * and is now proven: delete its accounts and sessions and mark it
 * verified, in one statement (Better Auth revokeUnprovenAccountAccess).
 * A user verified meanwhile is left as it is.  The user as it is now.
 */
int	 store_user_revoke_unproven(struct db_conn *c, struct arena *a,
	    const char *user_id, struct user_rec *u);
/*
 * store_credential_set: the credential account's password, creating the
 * account (accountId = user id) when the user has none.
 */
int	 store_credential_set(struct db_conn *c, struct arena *a,
	    const char *user_id, const char *hash);
/* store_nfkc: NFKC normalisation in PostgreSQL for non-ASCII input. */
int	 store_nfkc(struct db_conn *c, struct arena *a, const char *s,
	    const char **out);

#endif
