/*
 * store_admin.h -- the SQL of the admin plugin (protocol.md §11.1): users
 * listed, searched, created, changed, banned and removed by an operator,
 * their sessions listed and revoked, impersonation sessions.
 *
 * Shared by the admin endpoints (api/api_admin.c) and `neon-authd user`
 * (proc/cli_user.c).  Every value travels as a parameter; list-users'
 * statement is assembled from constant fragments chosen from the tables
 * in store_admin.c, never from the caller's text.  User ids are uuids: an
 * id that is not one names no user (0, no statement sent).  Functions
 * return 1 (done / found), 0 (no such row), -1 (database error; err_db
 * tells why), and STORE_ADMIN_TAKEN where an email is in use.
 */
#ifndef NEON_AUTHD_STORE_ADMIN_H
#define NEON_AUTHD_STORE_ADMIN_H

#include <stdint.h>

#include "lib/arena.h"
#include "store/record.h"
#include "store/store.h"

struct db_conn;

#define STORE_ADMIN_TAKEN	2

/* the user fields, by Better Auth's names (the columns of "user") */
enum store_admin_field {
	SAF_ID, SAF_NAME, SAF_EMAIL, SAF_EMAIL_VERIFIED, SAF_IMAGE,
	SAF_CREATED_AT, SAF_UPDATED_AT, SAF_ROLE, SAF_BANNED, SAF_BAN_REASON,
	SAF_BAN_EXPIRES, SAF__COUNT
};

/* store_admin_field: the field called name ("emailVerified"), or -1. */
int	 store_admin_field(const char *name);
/* store_admin_field_type: its SQL type ("text", "boolean", "uuid", ...). */
const char *store_admin_field_type(int field);

/* the where operators of Better Auth's adapters */
enum store_admin_op {
	SAO_EQ, SAO_NE, SAO_LT, SAO_LTE, SAO_GT, SAO_GTE, SAO_IN, SAO_NOT_IN,
	SAO_CONTAINS, SAO_STARTS_WITH, SAO_ENDS_WITH
};

/*
 * One condition: field op value.  Comparisons take value as text (cast
 * to the column's type by PostgreSQL); in / not_in take values[0..n-1];
 * contains / starts_with / ends_with are LIKE '%value%', 'value%',
 * '%value' (the value's own % and _ stay wildcards, as in Better Auth),
 * on text fields only.
 */
struct store_admin_cond {
	int			 field;
	enum store_admin_op	 op;
	const char		*value;
	const char *const	*values;
	int			 nvalues;
};

struct store_admin_query {
	struct store_admin_cond	 cond[2];	/* search, filter: ANDed */
	int			 ncond;
	int			 sort;		/* a field; -1: createdAt */
	int			 desc;
	int64_t			 limit;		/* >= 0 */
	int64_t			 offset;	/* >= 0 */
};

/*
 * store_admin_list: a page of users (in a, *n of them) and the exact
 * number of users that match, in one statement and one snapshot.  A
 * like-operator on a field that is not text, or a value the column's type
 * refuses, fails with a DB_ERR_QUERY error (the endpoint answers an empty
 * list, as Better Auth does when its adapter throws).
 */
int	 store_admin_list(struct db_conn *c, struct arena *a,
	    const struct store_admin_query *q, struct user_rec **users, int *n,
	    int64_t *total);

/* store_admin_user: the user with that id. */
int	 store_admin_user(struct db_conn *c, struct arena *a, const char *id,
	    struct user_rec *u);

/* what create-user inserts: text values, NULL for the default */
struct store_admin_new {
	const char	*id;		/* data.id, or a new uuid */
	const char	*name;
	const char	*email;		/* lower-cased */
	const char	*role;
	const char	*email_verified, *image, *banned, *ban_reason,
			*ban_expires, *created_at, *updated_at;
	const char	*password_hash;	/* NULL: no credential account */
};

/* store_admin_create: user and credential account, one statement. */
int	 store_admin_create(struct db_conn *c, struct arena *a,
	    const struct store_admin_new *nu, struct user_rec *u);

/*
 * What update-user changes: for each field but id, set and its new value
 * as text (NULL: SQL NULL).  updatedAt is now unless it is set.
 */
struct store_admin_patch {
	int		 set[SAF__COUNT];
	const char	*value[SAF__COUNT];
};

/* store_admin_update: 1, 0 (no such user), STORE_ADMIN_TAKEN, -1. */
int	 store_admin_update(struct db_conn *c, struct arena *a, const char *id,
	    const struct store_admin_patch *p, struct user_rec *u);

/*
 * store_admin_ban: banned, banReason, banExpires (NULL: never) and the
 * user's sessions deleted, in one statement (its trigger notifies the
 * workers, sql/009_admin.sql).
 */
int	 store_admin_ban(struct db_conn *c, struct arena *a, const char *id,
	    const char *reason, const char *expires_iso, struct user_rec *u);
/*
 * store_admin_unban: banned false, banReason and banExpires NULL; with
 * only_expired, only when the user's ban has expired (0 otherwise).
 */
int	 store_admin_unban(struct db_conn *c, struct arena *a, const char *id,
	    int only_expired, struct user_rec *u);

/* store_admin_sessions: the user's live sessions (impersonations too). */
int	 store_admin_sessions(struct db_conn *c, struct arena *a,
	    const char *user_id, struct session_rec **out, int *n);
/* store_admin_revoke_session: delete one session by token; 0: none. */
int	 store_admin_revoke_session(struct db_conn *c, struct arena *a,
	    const char *token, struct session_rec *gone);
/* store_admin_revoke_sessions: delete all of them; *count deleted. */
int	 store_admin_revoke_sessions(struct db_conn *c, struct arena *a,
	    const char *user_id, int64_t *count);
/* store_admin_remove: the user, its accounts, sessions and memberships. */
int	 store_admin_remove(struct db_conn *c, struct arena *a, const char *id);
/* store_admin_set_password: the credential account's, made if missing. */
int	 store_admin_set_password(struct db_conn *c, struct arena *a,
	    const char *user_id, const char *hash);
/*
 * store_admin_impersonate: a session of user_id with impersonatedBy =
 * admin_id, created as n says.
 */
int	 store_admin_impersonate(struct db_conn *c, struct arena *a,
	    const char *user_id, const char *admin_id,
	    const struct session_new *n, struct session_rec *out);
/*
 * store_admin_user_facts: for `user show`: live sessions, and the
 * providers of its accounts ("credential,github", "" when none).
 */
int	 store_admin_user_facts(struct db_conn *c, struct arena *a,
	    const char *id, int64_t *sessions, const char **providers);

/* store_admin_uuid_ok: s is a uuid as PostgreSQL reads one. */
int	 store_admin_uuid_ok(const char *s);

#endif
