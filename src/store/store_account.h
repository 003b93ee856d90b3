/*
 * store_account.h -- the SQL of social sign-in: neon_auth.account rows
 * (list, find by provider key, link, token updates, unlink), the user a
 * provider creates, and the verification rows the OAuth flow keeps
 * (state, the Neon init token and session verifier; protocol.md §4.5,
 * §8.2, neon.md §8).
 *
 * Token columns travel as stored: the caller encrypts before writing and
 * decrypts after reading (auth/oauth.c), so nothing here sees a token in
 * clear unless the branch stores them so.  Functions return 1 / 0 / -1 as
 * store.h describes.
 */
#ifndef NEON_AUTHD_STORE_ACCOUNT_H
#define NEON_AUTHD_STORE_ACCOUNT_H

#include <stdint.h>

#include "lib/arena.h"
#include "store/record.h"

struct db_conn;

struct account_rec {
	const char	*id;
	const char	*account_id;
	const char	*provider_id;
	const char	*user_id;
	const char	*access_token;		/* NULL when none */
	const char	*refresh_token;
	const char	*id_token;
	const char	*access_expires_at;	/* ISO, NULL when none */
	const char	*refresh_expires_at;
	int64_t		 access_expires_ms;	/* 0 when none */
	int64_t		 refresh_expires_ms;
	const char	*scope;			/* comma-separated, NULL */
	const char	*created_at;
	const char	*updated_at;
};

/*
 * What a token response or an id token gives an account.  A NULL member
 * (0 for the dates) leaves the column as it is on update.
 */
struct account_tokens {
	const char	*access_token;
	const char	*refresh_token;
	const char	*id_token;
	int64_t		 access_expires_ms;
	int64_t		 refresh_expires_ms;
	const char	*scope;
};

/* account_public_write: the list-accounts object (protocol.md §0.6). */
void	 account_public_write(struct jbuf *b, const struct account_rec *acc);

/* store_account_list: the user's accounts, oldest first (*n of them). */
int	 store_account_list(struct db_conn *c, struct arena *a,
	    const char *user_id, struct account_rec **out, int *n);
/*
 * store_account_find: the account of (provider_id, account_id) and its
 * user; *orphan is 1 when the row names a user that does not exist (u
 * is then empty).  0 when there is no such account.
 */
int	 store_account_find(struct db_conn *c, struct arena *a,
	    const char *provider_id, const char *account_id,
	    struct account_rec *acc, struct user_rec *u, int *orphan);
/* store_account_of_user: the user's account with that row id. */
int	 store_account_of_user(struct db_conn *c, struct arena *a,
	    const char *user_id, const char *id, struct account_rec *acc);
/* store_account_insert: link a provider account to a user. */
int	 store_account_insert(struct db_conn *c, struct arena *a,
	    const char *user_id, const char *provider_id,
	    const char *account_id, const struct account_tokens *t,
	    struct account_rec *out);
/*
 * store_account_update: set the non-NULL tokens of t (scope too when
 * t->scope is set); 0 when the row is gone.
 */
int	 store_account_update(struct db_conn *c, struct arena *a,
	    const char *id, const struct account_tokens *t,
	    struct account_rec *out);
/* store_account_delete: remove one of the user's accounts. */
int	 store_account_delete(struct db_conn *c, struct arena *a,
	    const char *user_id, const char *id);

/*
 * store_social_sign_up: a user (email lower-cased by the caller; role,
 * the admin plugin's default role) and its provider account in one
 * statement; 0 when the email is taken.
 */
int	 store_social_sign_up(struct db_conn *c, struct arena *a,
	    const char *name, const char *email, int email_verified,
	    const char *image, const char *provider_id, const char *account_id,
	    const struct account_tokens *t, const char *role,
	    struct user_rec *u, struct account_rec *acc);
/* store_user_set_verified: emailVerified = true; u is the updated row. */
int	 store_user_set_verified(struct db_conn *c, struct arena *a,
	    const char *user_id, struct user_rec *u);
/* store_user_by_id: one user. */
int	 store_user_by_id(struct db_conn *c, struct arena *a,
	    const char *user_id, struct user_rec *u);

/*
 * Verification rows.  store_verif_put: a row (identifier, value,
 * expiresAt = expires_ms); *id_out (may be NULL) its id.
 * store_verif_get: the newest row of identifier (expired ones too: the
 * caller checks *expires_ms).  store_verif_get_id: the row with that id
 * whose identifier starts with prefix.  store_verif_take: delete every
 * row of identifier, returning the newest (single use: a second take
 * finds nothing).  store_verif_delete: delete them, 1 when any was there.
 */
int	 store_verif_put(struct db_conn *c, struct arena *a,
	    const char *identifier, const char *value, int64_t expires_ms,
	    const char **id_out);
int	 store_verif_get(struct db_conn *c, struct arena *a,
	    const char *identifier, const char **value, int64_t *expires_ms);
int	 store_verif_get_id(struct db_conn *c, struct arena *a,
	    const char *id, const char *prefix, const char **identifier,
	    const char **value, int64_t *expires_ms);
int	 store_verif_take(struct db_conn *c, struct arena *a,
	    const char *identifier, const char **value, int64_t *expires_ms);
int	 store_verif_delete(struct db_conn *c, struct arena *a,
	    const char *identifier);

#endif
