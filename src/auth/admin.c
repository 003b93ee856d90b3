/*
 * admin.c -- the admin plugin's roles, permissions and ban gate (see
 * admin.h).  The statements are Better Auth 1.7.25's defaultRoles
 * (plugins/admin/access/statement); authorize() is its access-control
 * role check with the "AND" connector: every requested resource must be
 * known to the role and every requested action allowed.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/admin.h"
#include "http/branchcfg.h"
#include "lib/clock.h"
#include "store/store_admin.h"

static const char *const admin_user[] = { "create", "list", "set-role", "ban",
	"impersonate", "delete", "set-password", "set-email", "set-phone",
	"get", "update", NULL };
static const char *const admin_session[] = { "list", "revoke", "delete",
	NULL };
static const char *const none[] = { NULL };

static const struct statement {
	const char		*role;
	const char		*resource;
	const char *const	*actions;
} statements[] = {
	{ "admin", "user", admin_user },
	{ "admin", "session", admin_session },
	{ "user", "user", none },
	{ "user", "session", none },
};

#define NSTATEMENTS	(sizeof(statements) / sizeof(statements[0]))

/* the actions role (n bytes) may take on resource; NULL: unknown to it */
static const char *const *
allowed(const char *role, size_t n, const char *resource)
{
	size_t	 i;

	for (i = 0; i < NSTATEMENTS; i++)
		if (strlen(statements[i].role) == n &&
		    memcmp(statements[i].role, role, n) == 0 &&
		    strcmp(statements[i].resource, resource) == 0)
			return (statements[i].actions);
	return (NULL);
}

static int
is_role(const char *role, size_t n)
{
	size_t	 i;

	for (i = 0; i < NSTATEMENTS; i++)
		if (strlen(statements[i].role) == n &&
		    memcmp(statements[i].role, role, n) == 0)
			return (1);
	return (0);
}

static int
has(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return (1);
	return (0);
}

/*
 * adminRoles: one or both of the admin plugin's roles, in any case
 * (Better Auth refuses an admin role that is not a defined role).
 */
static const char *
roles_check(struct arena *a, json_object *v)
{
	json_object	*e;
	size_t		 i;

	(void)a;
	if (!json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) == 0 ||
	    json_object_array_length(v) > 2)
		return ("must be an array of \"admin\" and \"user\"");
	for (i = 0; i < json_object_array_length(v); i++) {
		e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_string) ||
		    (strcasecmp(json_object_get_string(e), "admin") != 0 &&
		    strcasecmp(json_object_get_string(e), "user") != 0))
			return ("must be an array of \"admin\" and \"user\"");
	}
	return (NULL);
}

/* adminRoles joined with ',' (at most "admin,user"); default "admin" */
static void
admin_finish(void *vals, json_object *obj, const struct branchcfg *c)
{
	struct admin_settings	*s = vals;
	json_object		*roles;
	size_t			 i, n;

	(void)c;
	snprintf(s->roles, sizeof(s->roles), "%s", "admin");
	if (obj == NULL || !json_object_object_get_ex(obj, "admin_roles",
	    &roles) || roles_check(NULL, roles) != NULL)
		return;
	s->roles[0] = '\0';
	for (i = 0, n = 0; i < json_object_array_length(roles); i++)
		n += (size_t)snprintf(s->roles + n, sizeof(s->roles) - n,
		    "%s%s", i > 0 ? "," : "", json_object_get_string(
		    json_object_array_get_idx(roles, i)));
}

static const struct group_setting admin_members[] = {
	/* the admin plugin's roles are its defaults: admin and user */
	{ "admin_roles", GSET_JSON, 0, 0, 0, NULL, NULL, 0, 0, roles_check },
	{ "default_role", GSET_STR, 0, 1, 63, "user", NULL,
	    offsetof(struct admin_settings, default_role),
	    sizeof(((struct admin_settings *)0)->default_role), NULL },
	{ "impersonation_duration", GSET_INT, 3600, 60, 86400, NULL, NULL,
	    offsetof(struct admin_settings, impersonation_s), 0, NULL },
	{ NULL, GSET_BOOL, 0, 0, 0, NULL, NULL, 0, 0, NULL }
};

const struct settings_group admin_settings_group = {
	"settings.admin", admin_members, sizeof(struct admin_settings),
	admin_finish
};

const struct admin_settings *
admin_settings(const struct branchcfg *c)
{
	return (branchcfg_group(c, &admin_settings_group));
}

/* role || defaultRole || "user" */
static const char *
roles_of(const struct branchcfg *c, const char *role)
{
	if (role != NULL && *role != '\0')
		return (role);
	if (c != NULL && admin_settings(c)->default_role[0] != '\0')
		return (admin_settings(c)->default_role);
	return ("user");
}

/* authorize(): one role (n bytes) against the request, connector AND */
static int
authorize(const char *role, size_t n, json_object *perms)
{
	json_object_iter	 it;
	const char *const	*ok;
	json_object		*act;
	size_t			 i, len;
	int			 any = 0;

	json_object_object_foreachC(perms, it) {
		if ((ok = allowed(role, n, it.key)) == NULL)
			return (0);
		if (!json_object_is_type(it.val, json_type_array) ||
		    (len = json_object_array_length(it.val)) == 0)
			return (0);
		for (i = 0; i < len; i++) {
			act = json_object_array_get_idx(it.val, i);
			if (!json_object_is_type(act, json_type_string) ||
			    !has(ok, json_object_get_string(act)))
				return (0);
		}
		any = 1;
	}
	return (any);
}

int
admin_has_permissions(const struct branchcfg *c, const char *role,
    json_object *permissions)
{
	const char	*p = roles_of(c, role), *e;

	if (permissions == NULL ||
	    !json_object_is_type(permissions, json_type_object))
		return (0);
	/* roles.split(","): no trimming, as Better Auth */
	for (;;) {
		e = strchr(p, ',');
		if (is_role(p, e ? (size_t)(e - p) : strlen(p)) &&
		    authorize(p, e ? (size_t)(e - p) : strlen(p), permissions))
			return (1);
		if (e == NULL)
			return (0);
		p = e + 1;
	}
}

int
admin_can(const struct branchcfg *c, const char *role, const char *resource,
    const char *action)
{
	const char		*p = roles_of(c, role), *e;
	const char *const	*ok;
	size_t			 n;

	for (;;) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		if ((ok = allowed(p, n, resource)) != NULL && has(ok, action))
			return (1);
		if (e == NULL)
			return (0);
		p = e + 1;
	}
}

int
admin_is_admin(const struct branchcfg *c, const char *role)
{
	const char	*p = roles_of(c, role), *e, *q, *f;
	size_t		 n, m;

	for (;;) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		/* adminRoles.includes(role): exact */
		for (q = admin_settings(c)->roles; *q != '\0'; q = f ? f + 1 : q + m) {
			f = strchr(q, ',');
			m = f ? (size_t)(f - q) : strlen(q);
			if (m == n && memcmp(p, q, n) == 0)
				return (1);
			if (f == NULL)
				break;
		}
		if (e == NULL)
			return (0);
		p = e + 1;
	}
}

int
admin_banned(const struct user_rec *u, int64_t now_ms)
{
	int64_t	 until;

	if (u->banned != 1)
		return (0);
	if (u->ban_expires == NULL)
		return (1);
	until = clock_iso_parse(u->ban_expires);
	return (until < 0 || until >= now_ms);
}

enum err
admin_ban_check(struct request *r, struct user_rec *u, enum err on_fail)
{
	struct user_rec	 lifted;
	int		 rc;

	if (u->banned != 1)
		return (ERR_NONE);
	if (admin_banned(u, clock_now_ms()))
		return (ERR_BANNED_USER);
	/* the ban has expired: lift it (Better Auth's session hook) */
	if ((rc = store_admin_unban(r->db, r->a, u->id, 1, &lifted)) == -1)
		return (err_db(r, r->db, on_fail));
	if (rc == 1)
		*u = lifted;
	return (ERR_NONE);
}

enum err
admin_user_input_check(struct request *r, json_object *body, int update)
{
	static const char *const fields[] = { "role", "banned", "banReason",
		"banExpires", NULL };
	json_object	*v;
	int		 i, truthy;

	if (body == NULL || !json_object_is_type(body, json_type_object))
		return (ERR_NONE);
	for (i = 0; fields[i] != NULL; i++) {
		if (!json_object_object_get_ex(body, fields[i], &v))
			continue;
		/* banned has a default: a new user takes it, whatever came */
		if (!update && strcmp(fields[i], "banned") == 0)
			continue;
		switch (v == NULL ? json_type_null : json_object_get_type(v)) {
		case json_type_null:
			truthy = 0;
			break;
		case json_type_boolean:
			truthy = json_object_get_boolean(v);
			break;
		case json_type_int:
		case json_type_double:
			truthy = json_object_get_double(v) != 0;
			break;
		case json_type_string:
			truthy = json_object_get_string_len(v) > 0;
			break;
		default:
			truthy = 1;
		}
		if (truthy)
			return (err_msg(r, ERR_FIELD_NOT_ALLOWED,
			    arena_printf(r->a, "%s is not allowed to be set",
			    fields[i])));
	}
	return (ERR_NONE);
}
