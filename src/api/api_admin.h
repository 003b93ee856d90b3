/*
 * api_admin.h -- the admin plugin's operations (protocol.md §11.1), as
 * the admin endpoints run them after their permission checks, and as
 * `neon-authd user` (proc/cli_user.c) runs them for the operator: the
 * same validation, the same SQL (store/store_admin.h), the same audit
 * rows.
 *
 * r is a request: an HTTP one, or the command line's (no headers, its
 * own arena, connection and branch configuration).  actor is the admin's
 * user id, or NULL for the operator (the audit row then says
 * {"via":"cli"}).  Each returns ERR_NONE, or the error Better Auth
 * answers (with err_msg's text where it builds one); r->err_message
 * holds that text for the command line too.
 */
#ifndef NEON_AUTHD_API_ADMIN_H
#define NEON_AUTHD_API_ADMIN_H

#include <stdint.h>

#include <json-c/json.h>

#include "http/error.h"
#include "http/request.h"
#include "store/record.h"

struct admin_new {
	const char	*email;		/* as given: lower-cased and checked */
	const char	*name;
	const char	*role;		/* joined with ','; NULL: the default */
	const char	*password;	/* NULL or "": no credential account */
	int		 check_min;	/* also the minimum length (the CLI) */
	json_object	*data;		/* create-user's data, or NULL */
};

/* api_admin_create_user: INVALID_EMAIL, PASSWORD_TOO_*, already exists. */
enum err api_admin_create_user(struct request *r, const char *actor,
	    const struct admin_new *in, struct user_rec *out);
/* api_admin_set_role: role is the roles joined with ','. */
enum err api_admin_set_role(struct request *r, const char *actor,
	    const char *user_id, const char *role, struct user_rec *out);
/*
 * api_admin_ban_user: reason NULL or "": "No reason"; expires_in_s 0:
 * for ever (Better Auth's banExpiresIn, seconds, may be fractional).
 * Deletes the user's sessions in the same transaction.
 */
enum err api_admin_ban_user(struct request *r, const char *actor,
	    const char *user_id, const char *reason, double expires_in_s,
	    struct user_rec *out);
enum err api_admin_unban_user(struct request *r, const char *actor,
	    const char *user_id, struct user_rec *out);
/* api_admin_revoke_sessions: every session of the user (*count of them). */
enum err api_admin_revoke_sessions(struct request *r, const char *actor,
	    const char *user_id, int64_t *count);
/* api_admin_remove_user: the user and all that is its. */
enum err api_admin_remove_user(struct request *r, const char *actor,
	    const char *user_id);
/* api_admin_set_password: the branch's length policy, then the hash. */
enum err api_admin_set_password(struct request *r, const char *actor,
	    const char *user_id, const char *password);

#endif
