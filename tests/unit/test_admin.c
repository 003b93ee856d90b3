/*
 * test_admin.c -- the admin plugin's policy (auth/admin.c): Better Auth's
 * default roles and permissions, admin roles, bans and their expiry, the
 * input:false fields; the revocation table (http/revoke.c); the uuid
 * syntax of store_admin.c; settings.admin in branchcfg.c.
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
#include "auth/admin.h"
#include "http/branchcfg.h"
#include "http/error.h"
#include "http/request.h"
#include "http/revoke.h"
#include "lib/arena.h"
#include "lib/clock.h"
#include "store/record.h"
#include "store/store_admin.h"

/* a branch configuration from a settings object (JSON text) */
static void
cfg_from(struct branchcfg *c, const char *settings)
{
	json_object	*row = json_object_new_object();

	json_object_object_add(row, "settings", json_tokener_parse(settings));
	branchcfg_parse(c, row);
}

static void
test_permissions(void **state)
{
	struct branchcfg	 c;

	(void)state;
	cfg_from(&c, "{}");
	assert_true(admin_can(&c, "admin", "user", "list"));
	assert_true(admin_can(&c, "admin", "user", "set-password"));
	assert_true(admin_can(&c, "admin", "session", "revoke"));
	assert_false(admin_can(&c, "admin", "user", "impersonate-admins"));
	assert_false(admin_can(&c, "admin", "project", "list"));
	assert_false(admin_can(&c, "user", "user", "list"));
	assert_false(admin_can(&c, NULL, "user", "list"));
	assert_false(admin_can(&c, "", "user", "get"));
	assert_false(admin_can(&c, "superhero", "user", "list"));
	/* a role list: one is enough; no trimming, as Better Auth */
	assert_true(admin_can(&c, "user,admin", "user", "ban"));
	assert_false(admin_can(&c, "user, admin", "user", "ban"));
	assert_false(admin_can(&c, "Admin", "user", "ban"));
	branchcfg_clear(&c);
	/* no role: the default role's permissions */
	cfg_from(&c, "{\"admin\":{\"default_role\":\"admin\"}}");
	assert_true(admin_can(&c, NULL, "user", "list"));
	assert_true(admin_can(&c, "", "user", "list"));
	assert_false(admin_can(&c, "user", "user", "list"));
	branchcfg_clear(&c);
}

static int
perms(const struct branchcfg *c, const char *role, const char *json)
{
	json_object	*p = json_tokener_parse(json);
	int		 rc;

	assert_non_null(p);
	rc = admin_has_permissions(c, role, p);
	json_object_put(p);
	return (rc);
}

static void
test_has_permissions(void **state)
{
	struct branchcfg	 c;

	(void)state;
	cfg_from(&c, "{}");
	assert_true(perms(&c, "admin", "{\"user\":[\"list\",\"ban\"]}"));
	assert_true(perms(&c, "admin", "{\"user\":[\"get\"],\"session\":"
	    "[\"list\",\"delete\"]}"));
	assert_false(perms(&c, "admin", "{}"));
	assert_false(perms(&c, "admin", "{\"user\":[]}"));
	assert_false(perms(&c, "admin",
	    "{\"user\":[\"list\"],\"foo\":[\"x\"]}"));
	assert_false(perms(&c, "admin", "{\"user\":[\"list\",\"nope\"]}"));
	assert_false(perms(&c, "user", "{\"user\":[\"list\"]}"));
	assert_false(perms(&c, NULL, "{\"session\":[\"list\"]}"));
	assert_true(perms(&c, "editor,admin", "{\"session\":[\"list\"]}"));
	branchcfg_clear(&c);
}

static void
test_admin_roles(void **state)
{
	struct branchcfg	 c;

	(void)state;
	cfg_from(&c, "{}");
	assert_string_equal(admin_settings(&c)->roles, "admin");
	assert_string_equal(admin_settings(&c)->default_role, "user");
	assert_int_equal(admin_settings(&c)->impersonation_s, 3600);
	assert_true(admin_is_admin(&c, "admin"));
	assert_true(admin_is_admin(&c, "user,admin"));
	assert_false(admin_is_admin(&c, "user"));
	assert_false(admin_is_admin(&c, NULL));
	assert_false(admin_is_admin(&c, "Admin"));
	assert_false(admin_is_admin(&c, "administrator"));
	branchcfg_clear(&c);
	cfg_from(&c, "{\"admin\":{\"admin_roles\":[\"admin\",\"user\"],"
	    "\"default_role\":\"member\",\"impersonation_duration\":600}}");
	assert_string_equal(admin_settings(&c)->roles, "admin,user");
	assert_string_equal(admin_settings(&c)->default_role, "member");
	assert_int_equal(admin_settings(&c)->impersonation_s, 600);
	assert_true(admin_is_admin(&c, "user"));
	assert_false(admin_is_admin(&c, NULL));	/* the default: member */
	branchcfg_clear(&c);
	/* what validation refuses, a reader never takes */
	cfg_from(&c, "{\"admin\":{\"admin_roles\":[\"root\"],"
	    "\"impersonation_duration\":5,\"default_role\":7}}");
	assert_string_equal(admin_settings(&c)->roles, "admin");
	assert_string_equal(admin_settings(&c)->default_role, "user");
	assert_int_equal(admin_settings(&c)->impersonation_s, 3600);
	branchcfg_clear(&c);
}

static const char *
check(struct arena *a, const char *field, const char *json)
{
	json_object	*v = json_tokener_parse(json);
	const char	*msg;

	assert_non_null(v);
	msg = branchcfg_validate(a, field, v);
	json_object_put(v);
	return (msg);
}

static void
test_settings_validation(void **state)
{
	struct arena	 a;

	(void)state;
	arena_init(&a, 4096);
	assert_null(check(&a, "settings.admin", "{\"admin_roles\":[\"admin\"],"
	    "\"default_role\":\"user\",\"impersonation_duration\":3600}"));
	assert_null(check(&a, "settings.admin", "{\"admin_roles\":[\"ADMIN\","
	    "\"user\"]}"));
	assert_null(check(&a, "settings", "{\"admin\":{}}"));
	assert_non_null(check(&a, "settings.admin", "{\"admin_roles\":[]}"));
	assert_non_null(check(&a, "settings.admin",
	    "{\"admin_roles\":\"admin\"}"));
	assert_non_null(check(&a, "settings.admin",
	    "{\"admin_roles\":[\"owner\"]}"));
	assert_non_null(check(&a, "settings.admin", "{\"default_role\":\"\"}"));
	assert_non_null(check(&a, "settings.admin", "{\"default_role\":5}"));
	assert_non_null(check(&a, "settings.admin",
	    "{\"impersonation_duration\":59}"));
	assert_non_null(check(&a, "settings.admin",
	    "{\"impersonation_duration\":86401}"));
	assert_non_null(check(&a, "settings.admin", "{\"colour\":\"red\"}"));
	assert_non_null(check(&a, "settings", "{\"admin\":[]}"));
	arena_free(&a);
}

static void
test_banned(void **state)
{
	struct arena	 a;
	struct user_rec	 u;
	int64_t		 now = clock_now_ms();

	(void)state;
	arena_init(&a, 1024);
	memset(&u, 0, sizeof(u));
	u.banned = 1;
	assert_true(admin_banned(&u, now));
	u.ban_expires = clock_iso(&a, now + 60000);
	assert_true(admin_banned(&u, now));
	u.ban_expires = clock_iso(&a, now - 1);
	assert_false(admin_banned(&u, now));	/* expired: lifted */
	u.ban_expires = "garbage";
	assert_true(admin_banned(&u, now));	/* unreadable: still banned */
	u.ban_expires = NULL;
	u.banned = 0;
	assert_false(admin_banned(&u, now));
	u.banned = -1;				/* NULL in the database */
	assert_false(admin_banned(&u, now));
	arena_free(&a);
}

static enum err
input(struct request *r, const char *json, int update)
{
	json_object	*b = json_tokener_parse(json);
	enum err	 e;

	assert_non_null(b);
	r->err_message = NULL;
	e = admin_user_input_check(r, b, update);
	json_object_put(b);
	return (e);
}

static void
test_input_fields(void **state)
{
	struct arena	 a;
	struct request	 r;

	(void)state;
	arena_init(&a, 4096);
	memset(&r, 0, sizeof(r));
	r.a = &a;
	assert_int_equal(input(&r, "{\"role\":\"admin\"}", 0),
	    ERR_FIELD_NOT_ALLOWED);
	assert_string_equal(r.err_message, "role is not allowed to be set");
	/* banned has a default: ignored for a new user, refused on update */
	assert_int_equal(input(&r, "{\"banned\":true}", 0), ERR_NONE);
	assert_int_equal(input(&r, "{\"banned\":true}", 1),
	    ERR_FIELD_NOT_ALLOWED);
	assert_string_equal(r.err_message, "banned is not allowed to be set");
	/* falsy values are let through, as Better Auth does */
	assert_int_equal(input(&r, "{\"role\":\"\",\"banned\":false,"
	    "\"banReason\":null,\"banExpires\":0}", 1), ERR_NONE);
	assert_int_equal(input(&r, "{\"banExpires\":{}}", 1),
	    ERR_FIELD_NOT_ALLOWED);
	assert_string_equal(r.err_message,
	    "banExpires is not allowed to be set");
	/* the schema's order: role first */
	assert_int_equal(input(&r, "{\"banReason\":\"x\",\"role\":\"y\"}", 0),
	    ERR_FIELD_NOT_ALLOWED);
	assert_string_equal(r.err_message, "role is not allowed to be set");
	/* emailVerified is no input field at all */
	assert_int_equal(input(&r, "{\"emailVerified\":true}", 0), ERR_NONE);
	arena_free(&a);
}

static void
test_uuid(void **state)
{
	static const char *const good[] = {
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
		"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
		"a0eebc999c0b4ef8bb6d6bb9bd380a11",
		"a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
		NULL
	};
	static const char *const bad[] = {
		"", "nope", "null", "'; DROP TABLE x; --",
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
		"a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11",
		"-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-",
		"a0eeb-c99-9c0b-4ef8-bb6d-6bb9bd380a11",
		"g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
		NULL
	};
	int	 i;

	(void)state;
	/* what PostgreSQL's uuid_in reads, and nothing else */
	for (i = 0; good[i] != NULL; i++)
		assert_true(store_admin_uuid_ok(good[i]));
	for (i = 0; bad[i] != NULL; i++)
		assert_false(store_admin_uuid_ok(bad[i]));
}

static void
test_revoke(void **state)
{
	int64_t	 now = clock_now_ms();
	char	 id[40];
	int	 i;

	(void)state;
	/* a branch this process has heard nothing of: distrust the past */
	assert_true(revoke_stale("b1", "u1", now));
	revoke_test_forget("b1");
	assert_false(revoke_stale("b1", "u1", now));
	revoke_note("b1", "u1");
	assert_true(revoke_stale("b1", "u1", now - 60000));
	/* within the skew margin; minted after; another user, branch */
	assert_true(revoke_stale("b1", "u1", now));
	assert_false(revoke_stale("b1", "u1", now + 6000));
	assert_false(revoke_stale("b1", "u2", now - 60000));
	revoke_test_forget("b2");
	assert_false(revoke_stale("b2", "u1", now - 60000));
	/* the same news twice (every worker drains it) is one entry */
	revoke_note("b1", "u1");
	assert_true(revoke_stale("b1", "u1", now - 1));
	/* news may have been lost: everything older is distrusted */
	revoke_note("b2", NULL);
	assert_true(revoke_stale("b2", "u9", now));
	assert_false(revoke_stale("b1", "u9", now));	/* only that branch */
	/* the ring wraps over entries that still matter: distrust all */
	for (i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "wrap-%d", i);
		revoke_note("b3", id);
	}
	assert_true(revoke_stale("b1", "u9", now));
	assert_false(revoke_stale("b1", "u9", now + 6000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_has_permissions),
		cmocka_unit_test(test_admin_roles),
		cmocka_unit_test(test_settings_validation),
		cmocka_unit_test(test_banned),
		cmocka_unit_test(test_input_fields),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_revoke),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	if (router_register_settings() == -1)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
