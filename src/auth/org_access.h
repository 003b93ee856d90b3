/*
 * org_access.h -- the organization plugin's roles and their permissions
 * (protocol.md §10.1): Better Auth's default access-control statements
 * for owner, admin and member, and its role lists ("admin,owner").
 *
 * Pure functions over strings; everything they return lives in the arena
 * they are given.  Also the plugin's own settings,
 * plugin_configs.organization (neon.md §9.2, §9.3).
 */
#ifndef NEON_AUTHD_ORG_ACCESS_H
#define NEON_AUTHD_ORG_ACCESS_H

#include <stddef.h>

#include <json-c/json.h>

#include "lib/arena.h"

struct branchcfg;
struct settings_group;

/* plugin_configs.organization, Neon's names and defaults */
struct org_settings {
	int	 enabled;
	int	 organization_limit;	/* organizations per user */
	int	 membership_limit;	/* members per organization */
	char	 creator_role[8];	/* "owner" | "admin" */
	int	 send_invitation_email;
};
extern const struct settings_group org_settings_group;

/* org_settings: the branch's plugin_configs.organization. */
const struct org_settings *org_settings(const struct branchcfg *c);

/* org_role_known: 1 for the roles the default statements define. */
int	 org_role_known(const char *role);

/*
 * org_roles_parse: role names from n values, each split on ',', every
 * name trimmed of JavaScript whitespace, empty names dropped (Better
 * Auth's parseRoleList).  Returns how many; the names are in *out.
 * A NULL value counts as no role.
 */
size_t	 org_roles_parse(struct arena *a, const char *const *in, size_t n,
	    const char ***out);
/* org_roles_join: the stored form of a role list: names joined by ','. */
char	*org_roles_join(struct arena *a, const char *const *roles, size_t n);
/* org_roles_include: 1 when the stored role list holds role. */
int	 org_roles_include(struct arena *a, const char *stored,
	    const char *role);

/*
 * org_allowed: 1 when one of the roles in the stored list may do action
 * on resource.
 */
int	 org_allowed(struct arena *a, const char *stored, const char *resource,
	    const char *action);
/*
 * org_allowed_all: the has-permission check: 1 when one of the roles
 * authorises every action of every resource in perms (an object of
 * arrays of strings, as the endpoint validated it).  An empty object, an
 * unknown resource or an empty action list is not authorised.
 */
int	 org_allowed_all(struct arena *a, const char *stored,
	    json_object *perms);

#endif
