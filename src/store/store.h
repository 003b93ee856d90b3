/*
 * store.h -- the SQL for users, accounts and sessions in neon_auth.
 *
 * Every statement is parameterised and prepared on first use per
 * connection.  Timestamps travel as ISO-8601 text with milliseconds and
 * come back formatted the same way, plus milliseconds since the epoch.
 * Functions return 1 (found / done), 0 (not found / nothing changed) or
 * -1 on a database error, leaving the reply to the caller (store_fail).
 */
#ifndef NEON_AUTHD_STORE_H
#define NEON_AUTHD_STORE_H

#include <stdint.h>

#include "http/request.h"
#include "auth/session.h"

/* store_now_ms: wall clock in milliseconds. */
int64_t	 store_now_ms(void);
/* store_iso: "2026-11-27T13:45:13.422Z" for ms since the epoch. */
char	*clock_iso(struct arena *a, int64_t ms);
/* store_ip / store_ua: what a new session records (protocol.md §4.3). */
const char *store_ip(struct request *r);
const char *store_ua(struct request *r);
/*
 * store_fail: set the reply for a failed statement (503 when the database
 * is unavailable or the schema is missing, else 500 with the given code
 * and message) and return -1.
 */
int	 store_fail(struct request *r, const char *code, const char *message);

/* store_begin / store_commit / store_rollback: a transaction on r->db;
 * begin and commit set the failure reply themselves and return -1. */
int	 store_begin(struct request *r);
int	 store_commit(struct request *r);
void	 store_rollback(struct request *r);

int	 store_session_lookup(struct request *r, const char *token,
	    struct auth *out);
int	 store_session_create(struct request *r, const char *user_id,
	    int dont_remember, struct session_rec *out);
/* store_session_extend: slide expiresAt; fills s with the new values. */
int	 store_session_extend(struct request *r, struct session_rec *s,
	    int64_t expires_ms, int64_t now_ms);
int	 store_session_delete(struct request *r, const char *token);
/* store_session_list: the user's live sessions as a JSON array (text). */
int	 store_session_list(struct request *r, const char *user_id,
	    char **out);
/* store_sessions_delete_user: all (except keep_token, when given). */
int	 store_sessions_delete_user(struct request *r, const char *user_id,
	    const char *keep_token, int only_live);

/*
 * store_user_by_email: the user and its credential password hash (NULL
 * when it has none).
 */
int	 store_user_by_email(struct request *r, const char *email,
	    struct user_rec *u, const char **password_hash);
/* store_password_of: the credential password hash of a user. */
int	 store_password_of(struct request *r, const char *user_id,
	    const char **password_hash);
/*
 * store_sign_up: insert user, credential account and (when with_session)
 * a session in one statement.  0 when the email is taken.
 */
int	 store_sign_up(struct request *r, const char *name, const char *email,
	    const char *image, const char *password_hash, int with_session,
	    int dont_remember, struct user_rec *u, struct session_rec *s);
/* store_user_update: name and/or image (NULL = unchanged, image_null). */
int	 store_user_update(struct request *r, const char *user_id,
	    const char *name, int set_image, const char *image,
	    struct user_rec *u);
int	 store_user_set_email(struct request *r, const char *user_id,
	    const char *email, struct user_rec *u);
int	 store_password_set(struct request *r, const char *user_id,
	    const char *hash);
int	 store_user_delete(struct request *r, const char *user_id);
int	 store_email_taken(struct request *r, const char *email);
/* store_nfkc: NFKC normalisation in PostgreSQL for non-ASCII input. */
int	 store_nfkc(struct request *r, const char *s, const char **out);

#endif
