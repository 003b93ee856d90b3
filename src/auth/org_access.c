/*
 * org_access.c -- organization roles and permissions (see org_access.h).
 */
#include <stddef.h>
#include <string.h>

#include "auth/org_access.h"
#include "http/branchcfg.h"

static const char *const creator_roles[] = { "owner", "admin", NULL };

#define OS(m)	offsetof(struct org_settings, m)
static const struct group_setting org_members[] = {
	{ "enabled", GSET_BOOL, 1, 0, 0, NULL, NULL, OS(enabled), 0, NULL },
	{ "organization_limit", GSET_INT, 10, 1, 1000000, NULL, NULL,
	    OS(organization_limit), 0, NULL },
	{ "membership_limit", GSET_INT, 100, 1, 1000000, NULL, NULL,
	    OS(membership_limit), 0, NULL },
	{ "creator_role", GSET_STR, 0, 0, 0, "owner", creator_roles,
	    OS(creator_role), sizeof(((struct org_settings *)0)->creator_role),
	    NULL },
	{ "send_invitation_email", GSET_BOOL, 0, 0, 0, NULL, NULL,
	    OS(send_invitation_email), 0, NULL },
	{ NULL, GSET_BOOL, 0, 0, 0, NULL, NULL, 0, 0, NULL }
};
#undef OS

const struct settings_group org_settings_group = {
	"plugin_configs.organization", org_members,
	sizeof(struct org_settings), NULL
};

const struct org_settings *
org_settings(const struct branchcfg *c)
{
	return (branchcfg_group(c, &org_settings_group));
}

/* Better Auth's default statements (organization/access/statement) */
struct statement {
	const char		*resource;
	const char *const	*actions;	/* NULL-ended; empty: none */
};

static const char *const a_none[] = { NULL };
static const char *const a_org_owner[] = { "update", "delete", NULL };
static const char *const a_org_admin[] = { "update", NULL };
static const char *const a_cud[] = { "create", "update", "delete", NULL };
static const char *const a_inv[] = { "create", "cancel", NULL };
static const char *const a_ac[] = { "create", "read", "update", "delete",
	NULL };
static const char *const a_read[] = { "read", NULL };

static const struct statement st_owner[] = {
	{ "organization", a_org_owner }, { "member", a_cud },
	{ "invitation", a_inv }, { "team", a_cud }, { "ac", a_ac },
	{ NULL, NULL }
};
static const struct statement st_admin[] = {
	{ "organization", a_org_admin }, { "member", a_cud },
	{ "invitation", a_inv }, { "team", a_cud }, { "ac", a_ac },
	{ NULL, NULL }
};
static const struct statement st_member[] = {
	{ "organization", a_none }, { "member", a_none },
	{ "invitation", a_none }, { "team", a_none }, { "ac", a_read },
	{ NULL, NULL }
};

static const struct {
	const char		*name;
	const struct statement	*st;
} roles[] = {
	{ "owner", st_owner }, { "admin", st_admin }, { "member", st_member },
	{ NULL, NULL }
};

static const struct statement *
statements_of(const char *role)
{
	size_t	 i;

	for (i = 0; roles[i].name != NULL; i++)
		if (strcmp(roles[i].name, role) == 0)
			return (roles[i].st);
	return (NULL);
}

int
org_role_known(const char *role)
{
	return (role != NULL && statements_of(role) != NULL);
}

/*
 * The length of the JavaScript white space (String.prototype.trim) at p:
 * TAB, LF, VT, FF, CR, SPACE, U+00A0, U+1680, U+2000-U+200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000, U+FEFF.  0 when p starts otherwise.
 */
static size_t
js_space(const unsigned char *p, const unsigned char *end)
{
	size_t	 n = (size_t)(end - p);

	if (n >= 1 && (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r')))
		return (1);
	if (n >= 2 && p[0] == 0xc2 && p[1] == 0xa0)
		return (2);
	if (n < 3)
		return (0);
	if (p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
		return (3);
	if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] <= 0x8a || p[2] == 0xa8 ||
	    p[2] == 0xa9 || p[2] == 0xaf))
		return (3);
	if (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)
		return (3);
	if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
		return (3);
	if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		return (3);
	return (0);
}

/* the last JavaScript white space character ending at end, or 0 */
static size_t
js_space_back(const unsigned char *start, const unsigned char *end)
{
	size_t	 k;

	for (k = 1; k <= 3 && end - k >= start; k++)
		if (js_space(end - k, end) == k)
			return (k);
	return (0);
}

size_t
org_roles_parse(struct arena *a, const char *const *in, size_t n,
    const char ***out)
{
	const unsigned char	*p, *e, *s, *t;
	const char		**list;
	size_t			 i, count = 0, cap = 0, k;

	for (i = 0; i < n; i++)
		if (in[i] != NULL)
			cap += strlen(in[i]) / 2 + 1;
	list = arena_alloc(a, (cap + 1) * sizeof(*list));
	for (i = 0; i < n; i++) {
		if (in[i] == NULL)
			continue;
		p = (const unsigned char *)in[i];
		e = p + strlen(in[i]);
		while (p <= e) {
			s = p;
			while (p < e && *p != ',')
				p++;
			t = p;
			while (s < t && (k = js_space(s, t)) > 0)
				s += k;
			while (t > s && (k = js_space_back(s, t)) > 0)
				t -= k;
			if (t > s && count < cap)
				list[count++] = arena_strndup(a,
				    (const char *)s, (size_t)(t - s));
			p++;	/* past the ',' (or the end) */
		}
	}
	list[count] = NULL;
	*out = list;
	return (count);
}

char *
org_roles_join(struct arena *a, const char *const *roles, size_t n)
{
	size_t	 i, len = 0;
	char	*s, *p;

	for (i = 0; i < n; i++)
		len += strlen(roles[i]) + 1;
	p = s = arena_alloc(a, len + 1);
	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ',';
		memcpy(p, roles[i], strlen(roles[i]));
		p += strlen(roles[i]);
	}
	*p = '\0';
	return (s);
}

int
org_roles_include(struct arena *a, const char *stored, const char *role)
{
	const char	**list;
	size_t		 i, n;

	n = org_roles_parse(a, &stored, 1, &list);
	for (i = 0; i < n; i++)
		if (strcmp(list[i], role) == 0)
			return (1);
	return (0);
}

static int
has_action(const struct statement *st, const char *resource,
    const char *action, int *resource_known)
{
	size_t	 i, j;

	*resource_known = 0;
	for (i = 0; st[i].resource != NULL; i++) {
		if (strcmp(st[i].resource, resource) != 0)
			continue;
		*resource_known = 1;
		for (j = 0; st[i].actions[j] != NULL; j++)
			if (strcmp(st[i].actions[j], action) == 0)
				return (1);
		return (0);
	}
	return (0);
}

int
org_allowed(struct arena *a, const char *stored, const char *resource,
    const char *action)
{
	const struct statement	*st;
	const char		**list;
	size_t			 i, n;
	int			 known;

	n = org_roles_parse(a, &stored, 1, &list);
	for (i = 0; i < n; i++)
		if ((st = statements_of(list[i])) != NULL &&
		    has_action(st, resource, action, &known))
			return (1);
	return (0);
}

/* one role's authorize() with the AND connector (access/access) */
static int
role_authorizes(const struct statement *st, json_object *perms)
{
	json_object_iter	 it;
	json_object		*act;
	size_t			 j, n;
	int			 any = 0, known;

	json_object_object_foreachC(perms, it) {
		if (it.val == NULL || !json_object_is_type(it.val,
		    json_type_array))
			return (0);
		n = json_object_array_length(it.val);
		(void)has_action(st, it.key, "", &known);
		if (!known || n == 0)
			return (0);
		for (j = 0; j < n; j++) {
			act = json_object_array_get_idx(it.val, j);
			if (act == NULL || !json_object_is_type(act,
			    json_type_string) || !has_action(st, it.key,
			    json_object_get_string(act), &known))
				return (0);
		}
		any = 1;
	}
	return (any);
}

int
org_allowed_all(struct arena *a, const char *stored, json_object *perms)
{
	const struct statement	*st;
	const char		**list;
	size_t			 i, n;

	if (perms == NULL || !json_object_is_type(perms, json_type_object))
		return (0);
	n = org_roles_parse(a, &stored, 1, &list);
	for (i = 0; i < n; i++)
		if ((st = statements_of(list[i])) != NULL &&
		    role_authorizes(st, perms))
			return (1);
	return (0);
}
