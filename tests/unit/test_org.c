/*
 * test_org.c -- unit tests for the organization plugin's pure parts: the
 * role lists and the default permission statements (auth/org_access.c),
 * the branch's plugin_configs.organization (http/branchcfg.c), and the
 * routes' input parsers through the router (api/api_org.c), whose zod
 * messages must read as Better Auth's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "api/router.h"
#include "auth/org_access.h"
#include "http/branchcfg.h"
#include "http/error.h"
#include "http/request.h"
#include "lib/arena.h"
#include "lib/json.h"

static void
test_roles_parse(void **state)
{
	struct arena	 a;
	const char	**list;
	const char	*in[3];
	size_t		 n;

	(void)state;
	arena_init(&a, 4096);
	in[0] = " admin , owner,,";
	n = org_roles_parse(&a, in, 1, &list);
	assert_int_equal(n, 2);
	assert_string_equal(list[0], "admin");
	assert_string_equal(list[1], "owner");
	assert_string_equal(org_roles_join(&a, list, n), "admin,owner");
	/* JavaScript trim(): no-break and ideographic spaces, line breaks */
	in[0] = "\xc2\xa0member\xe3\x80\x80";
	in[1] = "\n\tadmin\r";
	in[2] = NULL;
	n = org_roles_parse(&a, in, 3, &list);
	assert_int_equal(n, 2);
	assert_string_equal(list[0], "member");
	assert_string_equal(list[1], "admin");
	in[0] = " , ,";
	assert_int_equal(org_roles_parse(&a, in, 1, &list), 0);
	assert_string_equal(org_roles_join(&a, list, 0), "");
	in[0] = "";
	assert_int_equal(org_roles_parse(&a, in, 1, &list), 0);
	assert_true(org_roles_include(&a, "member, owner", "owner"));
	assert_false(org_roles_include(&a, "member,owners", "owner"));
	assert_false(org_roles_include(&a, NULL, "owner"));
	assert_true(org_role_known("admin"));
	assert_false(org_role_known("Admin"));
	assert_false(org_role_known(NULL));
	arena_free(&a);
}

static void
test_statements(void **state)
{
	struct arena	 a;

	(void)state;
	arena_init(&a, 4096);
	/* Better Auth's default statements, protocol.md §10.1 */
	assert_true(org_allowed(&a, "owner", "organization", "delete"));
	assert_true(org_allowed(&a, "owner", "organization", "update"));
	assert_false(org_allowed(&a, "admin", "organization", "delete"));
	assert_true(org_allowed(&a, "admin", "organization", "update"));
	assert_true(org_allowed(&a, "admin", "member", "delete"));
	assert_true(org_allowed(&a, "admin", "invitation", "cancel"));
	assert_false(org_allowed(&a, "member", "organization", "update"));
	assert_false(org_allowed(&a, "member", "invitation", "create"));
	assert_true(org_allowed(&a, "member", "ac", "read"));
	assert_false(org_allowed(&a, "member", "ac", "create"));
	assert_false(org_allowed(&a, "boss", "member", "create"));
	/* any one role of the list */
	assert_true(org_allowed(&a, "member,admin", "member", "update"));
	assert_true(org_allowed(&a, "boss, owner", "organization", "delete"));
	arena_free(&a);
}

static int
allowed_all(struct arena *a, const char *roles, const char *perms)
{
	json_object	*o = json_tokener_parse(perms);
	int		 rc;

	assert_non_null(o);
	rc = org_allowed_all(a, roles, o);
	json_object_put(o);
	return (rc);
}

static void
test_has_permission(void **state)
{
	struct arena	 a;

	(void)state;
	arena_init(&a, 4096);
	assert_true(allowed_all(&a, "admin",
	    "{\"member\":[\"create\",\"delete\"],\"invitation\":[\"cancel\"]}"));
	/* every action of every resource, from one role */
	assert_false(allowed_all(&a, "admin",
	    "{\"member\":[\"create\"],\"organization\":[\"delete\"]}"));
	assert_true(allowed_all(&a, "admin,owner",
	    "{\"member\":[\"create\"],\"organization\":[\"delete\"]}"));
	assert_false(allowed_all(&a, "member,admin",
	    "{\"organization\":[\"delete\"]}"));
	/* nothing asked, an unknown resource, an empty action list */
	assert_false(allowed_all(&a, "owner", "{}"));
	assert_false(allowed_all(&a, "owner",
	    "{\"organization\":[\"update\"],\"billing\":[\"read\"]}"));
	assert_false(allowed_all(&a, "owner", "{\"organization\":[]}"));
	assert_false(allowed_all(&a, "member", "{\"organization\":[]}"));
	assert_true(allowed_all(&a, "member", "{\"ac\":[\"read\"]}"));
	assert_false(allowed_all(&a, "", "{\"ac\":[\"read\"]}"));
	assert_false(org_allowed_all(&a, "owner", NULL));
	arena_free(&a);
}

static void
test_branchcfg_org(void **state)
{
	struct branchcfg	 c;
	struct arena		 a;
	json_object		*v;

	(void)state;
	/* Neon's defaults when the row says nothing (neon.md §9.3) */
	branchcfg_parse(&c, json_tokener_parse("{}"));
	assert_true(org_settings(&c)->enabled);
	assert_int_equal(org_settings(&c)->organization_limit, 10);
	assert_int_equal(org_settings(&c)->membership_limit, 100);
	assert_string_equal(org_settings(&c)->creator_role, "owner");
	assert_false(org_settings(&c)->send_invitation_email);
	assert_int_equal(c.lt_invitation, 172800);
	branchcfg_clear(&c);
	branchcfg_parse(&c, json_tokener_parse("{\"plugin_configs\":"
	    "{\"organization\":{\"enabled\":false,\"organization_limit\":3,"
	    "\"membership_limit\":5,\"creator_role\":\"admin\","
	    "\"send_invitation_email\":true}},\"settings\":{\"lifetimes\":"
	    "{\"invitation\":3600}}}"));
	assert_false(org_settings(&c)->enabled);
	assert_int_equal(org_settings(&c)->organization_limit, 3);
	assert_int_equal(org_settings(&c)->membership_limit, 5);
	assert_string_equal(org_settings(&c)->creator_role, "admin");
	assert_true(org_settings(&c)->send_invitation_email);
	assert_int_equal(c.lt_invitation, 3600);
	branchcfg_clear(&c);
	/* what is out of range or unknown falls back to the default */
	branchcfg_parse(&c, json_tokener_parse("{\"plugin_configs\":"
	    "{\"organization\":{\"membership_limit\":0,\"organization_limit\":"
	    "0,\"creator_role\":\"boss\",\"enabled\":\"yes\"}}}"));
	assert_true(org_settings(&c)->enabled);
	assert_int_equal(org_settings(&c)->membership_limit, 100);
	assert_int_equal(org_settings(&c)->organization_limit, 10);
	assert_string_equal(org_settings(&c)->creator_role, "owner");
	branchcfg_clear(&c);

	arena_init(&a, 4096);
	v = json_tokener_parse("{\"organization\":{\"enabled\":true,"
	    "\"organization_limit\":3,\"creator_role\":\"admin\"},"
	    "\"magic-link\":{\"enabled\":false}}");
	assert_null(branchcfg_validate(&a, "plugin_configs", v));
	json_object_put(v);
	v = json_tokener_parse("{\"organization\":{\"creator_role\":\"boss\"}}");
	assert_non_null(strstr(branchcfg_validate(&a, "plugin_configs", v),
	    "creator_role"));
	json_object_put(v);
	v = json_tokener_parse("{\"organization\":{\"teams\":true}}");
	assert_non_null(strstr(branchcfg_validate(&a, "plugin_configs", v),
	    "organization.teams: unknown key"));
	json_object_put(v);
	v = json_tokener_parse("{\"organization\":{\"membership_limit\":-1}}");
	assert_non_null(branchcfg_validate(&a, "plugin_configs", v));
	json_object_put(v);
	v = json_tokener_parse("{\"organization\":[]}");
	assert_non_null(branchcfg_validate(&a, "plugin_configs", v));
	json_object_put(v);
	v = json_tokener_parse("{\"lifetimes\":{\"invitation\":10}}");
	assert_non_null(branchcfg_validate(&a, "settings", v));
	json_object_put(v);
	arena_free(&a);
}

/*
 * Run a route's parser on a JSON body (or a query string for GET) and
 * return the validation message, NULL when it passed.
 */
static const char *
parse(struct arena *a, const char *method, const char *path,
    const char *body, const char *query)
{
	const struct route	*rt;
	struct request		 r;
	void			*in = NULL;
	enum err		 e;
	int			 known;

	rt = router_match(method, str_c(path), &known, NULL);
	assert_non_null(rt);
	assert_non_null(rt->parse);
	memset(&r, 0, sizeof(r));
	r.a = a;
	r.method = method;
	if (body != NULL) {
		r.json = json_parse(body, strlen(body), &r.json_null);
		if (r.json != NULL)
			json_own(a, r.json);
	}
	r.query = str_c(query != NULL ? query : "");
	e = rt->parse(&r, &in);
	if (e == ERR_NONE)
		return (NULL);
	assert_int_equal(e, ERR_VALIDATION_ERROR);
	return (r.err_message);
}

static void
test_parsers(void **state)
{
	struct arena	 a;

	(void)state;
	arena_init(&a, 8192);
	assert_null(parse(&a, "POST", "/organization/create",
	    "{\"name\":\"n\",\"slug\":\"s\",\"logo\":null,\"metadata\":{},"
	    "\"userId\":5,\"extra\":1}", NULL));
	assert_string_equal(parse(&a, "POST", "/organization/create",
	    "{\"name\":\"\",\"slug\":1,\"metadata\":\"x\","
	    "\"keepCurrentActiveOrganization\":\"no\"}", NULL),
	    "[body.name] Too small: expected string to have >=1 characters; "
	    "[body.slug] Invalid input: expected string, received number; "
	    "[body.metadata] Invalid input: expected record, received string; "
	    "[body.keepCurrentActiveOrganization] Invalid input: expected "
	    "boolean, received string");
	assert_string_equal(parse(&a, "POST", "/organization/create", NULL,
	    NULL), "[body] Invalid input: expected object, received undefined");
	/* nested: the path names the member */
	assert_string_equal(parse(&a, "POST", "/organization/update",
	    "{\"data\":{\"name\":5,\"logo\":[],\"metadata\":null},"
	    "\"organizationId\":1}", NULL),
	    "[body.data.name] Invalid input: expected string, received number; "
	    "[body.data.logo] Invalid input: expected string, received array; "
	    "[body.data.metadata] Invalid input: expected record, received "
	    "null; [body.organizationId] Invalid input: expected string, "
	    "received number");
	assert_string_equal(parse(&a, "POST", "/organization/update",
	    "{\"data\":null}", NULL),
	    "[body.data] Invalid input: expected object, received null");
	assert_null(parse(&a, "POST", "/organization/update",
	    "{\"data\":{}}", NULL));
	/* unions */
	assert_null(parse(&a, "POST", "/organization/invite-member",
	    "{\"email\":\"a@b.co\",\"role\":[\"admin\",\"member\"],"
	    "\"teamId\":[\"t\"]}", NULL));
	assert_string_equal(parse(&a, "POST", "/organization/invite-member",
	    "{\"email\":\"a@b.co\",\"role\":[\"admin\",2],\"resend\":1}", NULL),
	    "[body.role] Invalid input; [body.resend] Invalid input: expected "
	    "boolean, received number");
	assert_string_equal(parse(&a, "POST",
	    "/organization/update-member-role", "{}", NULL),
	    "[body.role] Invalid input; [body.memberId] Invalid input: "
	    "expected string, received undefined");
	/* has-permission: exactly one of permission and permissions */
	assert_null(parse(&a, "POST", "/organization/has-permission",
	    "{\"permissions\":{\"member\":[\"create\"]}}", NULL));
	assert_null(parse(&a, "POST", "/organization/has-permission",
	    "{\"permissions\":{\"member\":[\"create\"]},\"permission\":5}",
	    NULL));
	assert_string_equal(parse(&a, "POST", "/organization/has-permission",
	    "{\"permissions\":{},\"permission\":{}}", NULL),
	    "[body] Invalid input: more than one option matched");
	assert_string_equal(parse(&a, "POST", "/organization/has-permission",
	    "{\"permissions\":{\"member\":\"create\"},\"organizationId\":2}",
	    NULL), "[body.organizationId] Invalid input: expected string, "
	    "received number; [body] Invalid input");
	assert_string_equal(parse(&a, "POST", "/organization/has-permission",
	    "[1]", NULL), "[body] Invalid input: expected object, received "
	    "array; [body] Invalid input");
	/* set-active: organizationId may be null */
	assert_null(parse(&a, "POST", "/organization/set-active",
	    "{\"organizationId\":null}", NULL));
	/* queries */
	assert_null(parse(&a, "GET", "/organization/list-members", NULL,
	    "limit=1&filterValue=a&filterValue=b&filterOperator=in"));
	assert_string_equal(parse(&a, "GET", "/organization/list-members",
	    NULL, "limit=1&limit=2&sortDirection=up&organizationId=a&"
	    "organizationId=b"), "[query.limit] Invalid input; "
	    "[query.sortDirection] Invalid option: expected one of "
	    "\"asc\"|\"desc\"; [query.organizationId] Invalid input: expected "
	    "string, received array");
	assert_string_equal(parse(&a, "GET", "/organization/get-invitation",
	    NULL, NULL), "[query.id] Invalid input: expected string, received "
	    "undefined");
	assert_string_equal(parse(&a, "GET",
	    "/organization/get-full-organization", NULL,
	    "membersLimit=1&membersLimit=2"), "[query.membersLimit] Invalid "
	    "input");
	arena_free(&a);
}

/* a group's own settings: declared by the group, parsed and checked here */
struct demo_settings {
	int	 on;
	int	 n;
	char	 mode[8];
	int	 twice;
};
static const char *const demo_modes[] = { "fast", "slow", NULL };
static const struct group_setting demo_members[] = {
	{ "on", GSET_BOOL, 1, 0, 0, NULL, NULL,
	    offsetof(struct demo_settings, on), 0, NULL },
	{ "n", GSET_INT, 7, 1, 9, NULL, NULL,
	    offsetof(struct demo_settings, n), 0, NULL },
	{ "mode", GSET_STR, 0, 0, 0, "fast", demo_modes,
	    offsetof(struct demo_settings, mode), 8, NULL },
	{ NULL, GSET_BOOL, 0, 0, 0, NULL, NULL, 0, 0, NULL }
};
static void
demo_finish(void *vals, json_object *obj, const struct branchcfg *c)
{
	struct demo_settings	*d = vals;

	(void)obj;
	(void)c;
	d->twice = d->n * 2;
}
static const struct settings_group demo_group = {
	"plugin_configs.demo", demo_members, sizeof(struct demo_settings),
	demo_finish
};

static void
test_group_settings(void **state)
{
	const struct demo_settings	*d;
	struct branchcfg		 c;
	struct arena			 a;
	json_object			*v;
	const char			*e;

	(void)state;
	assert_int_equal(branchcfg_register(&demo_group), 0);
	d = branchcfg_group(NULL, &demo_group);	/* the defaults */
	assert_true(d->on);
	assert_int_equal(d->n, 7);
	assert_string_equal(d->mode, "fast");
	assert_int_equal(d->twice, 14);
	branchcfg_parse(&c, json_tokener_parse("{\"plugin_configs\":{\"demo\":"
	    "{\"on\":false,\"n\":3,\"mode\":\"slow\"}}}"));
	d = branchcfg_group(&c, &demo_group);
	assert_false(d->on);
	assert_int_equal(d->n, 3);
	assert_string_equal(d->mode, "slow");
	assert_int_equal(d->twice, 6);
	branchcfg_clear(&c);
	/* a value `config set` would refuse is read as the default */
	branchcfg_parse(&c, json_tokener_parse("{\"plugin_configs\":{\"demo\":"
	    "{\"on\":1,\"n\":30,\"mode\":\"warp\"}}}"));
	d = branchcfg_group(&c, &demo_group);
	assert_true(d->on);
	assert_int_equal(d->n, 7);
	assert_string_equal(d->mode, "fast");
	branchcfg_clear(&c);

	arena_init(&a, 4096);
	v = json_tokener_parse("{\"demo\":{\"n\":2,\"mode\":\"slow\"}}");
	assert_null(branchcfg_validate(&a, "plugin_configs", v));
	json_object_put(v);
	v = json_tokener_parse("{\"demo\":{\"colour\":1}}");
	e = branchcfg_validate(&a, "plugin_configs", v);
	assert_string_equal(e, "plugin_configs.demo.colour: unknown key");
	json_object_put(v);
	v = json_tokener_parse("{\"demo\":{\"n\":10}}");
	e = branchcfg_validate(&a, "plugin_configs", v);
	assert_string_equal(e, "plugin_configs.demo.n: must be an integer "
	    "from 1 to 9");
	json_object_put(v);
	v = json_tokener_parse("{\"demo\":{\"mode\":\"warp\"}}");
	e = branchcfg_validate(&a, "plugin_configs", v);
	assert_string_equal(e, "plugin_configs.demo.mode: must be one of "
	    "fast, slow");
	json_object_put(v);
	v = json_tokener_parse("{\"demo\":[]}");
	e = branchcfg_validate(&a, "plugin_configs", v);
	assert_string_equal(e, "plugin_configs.demo: must be an object");
	json_object_put(v);
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles_parse),
		cmocka_unit_test(test_statements),
		cmocka_unit_test(test_has_permission),
		cmocka_unit_test(test_branchcfg_org),
		cmocka_unit_test(test_group_settings),
		cmocka_unit_test(test_parsers),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	if (router_register_settings() == -1)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
