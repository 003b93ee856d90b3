/*
 * admin.h -- the admin plugin's policy, shared by every endpoint that
 * creates a session and by the admin endpoints (protocol.md §11.1):
 * Better Auth's default roles and their permissions, who counts as an
 * admin, the ban gate, and the user fields nobody may set.
 *
 * Roles are the admin plugin's defaults: "admin" (every user and session
 * permission but user:impersonate-admins) and "user" (none).  A user's
 * role is a comma-separated list; no role means the branch's
 * settings.admin.default_role.
 */
#ifndef NEON_AUTHD_ADMIN_H
#define NEON_AUTHD_ADMIN_H

#include <stdint.h>

#include <json-c/json.h>

#include "http/error.h"
#include "http/request.h"
#include "store/record.h"

struct branchcfg;
struct settings_group;

/*
 * admin_can: Better Auth's hasPermission for one action on one resource
 * ("user", "ban") by a user whose role is role (NULL or "": the default
 * role).
 */
int	 admin_can(const struct branchcfg *c, const char *role,
	    const char *resource, const char *action);
/*
 * admin_has_permissions: hasPermission for a permissions object
 * {"<resource>": ["<action>", ...], ...} (validated by the caller): every
 * resource and action allowed by one of the roles.  An empty object is
 * no permission.
 */
int	 admin_has_permissions(const struct branchcfg *c, const char *role,
	    json_object *permissions);
/*
 * settings.admin (protocol.md §11.1), the admin plugin's own settings
 * (http/branchcfg.h "A group's own settings").
 */
struct admin_settings {
	char	 roles[128];		/* adminRoles, comma-separated */
	char	 default_role[64];	/* defaultRole */
	int	 impersonation_s;	/* impersonationSessionDuration */
};
extern const struct settings_group admin_settings_group;

/* admin_settings: the branch's settings.admin, defaults filled in. */
const struct admin_settings *admin_settings(const struct branchcfg *c);

/*
 * admin_is_admin: one of the roles is one of settings.admin.admin_roles
 * (who may not be impersonated).
 */
int	 admin_is_admin(const struct branchcfg *c, const char *role);

/* admin_banned: u is banned at now_ms (a ban past its banExpires is not). */
int	 admin_banned(const struct user_rec *u, int64_t now_ms);

/*
 * admin_ban_check: the gate every way of signing in passes before it
 * creates a session for u (the admin plugin's session hook): ERR_NONE,
 * or ERR_BANNED_USER (403, Better Auth's bannedUserMessage) while the ban
 * lasts.  A ban that has expired is lifted here, in the database and in
 * *u.  on_fail is the answer when that write fails.
 */
enum err admin_ban_check(struct request *r, struct user_rec *u,
	    enum err on_fail);

/*
 * admin_user_input_check: the user fields the admin plugin declares
 * input:false (role, banned, banReason, banExpires) given a truthy value
 * in body: FIELD_NOT_ALLOWED "<field> is not allowed to be set", in that
 * order.  For a new user (update 0) banned, which has a default, is
 * silently ignored instead, as Better Auth does.  emailVerified is not an
 * input field at all: Better Auth drops it, so do the callers.
 */
enum err admin_user_input_check(struct request *r, json_object *body,
	    int update);

#endif
