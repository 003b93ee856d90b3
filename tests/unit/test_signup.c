/*
 * test_signup.c -- unit tests for the sign-up gate's pure parts: the
 * function names store/store_hooks.c accepts, settings.sign_up and
 * settings.jwt.claims_function as `config set` checks them
 * (http/branchcfg.c, auth/signup.c), and signup_check's domain rules and
 * fail-closed cases, none of which reach the database.
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
#include "auth/signup.h"
#include "http/branchcfg.h"
#include "http/error.h"
#include "http/request.h"
#include "lib/arena.h"
#include "store/store_hooks.h"

static void
test_names(void **state)
{
	static const char *const good[] = { "app.allow_sign_up", "a.b",
		"_x.y$1", "s0.f_9", NULL };
	static const char *const bad[] = { "", "app", ".f", "app.", "a..b",
		"a.b.c", "App.f", "app.F", "1a.f", "a.f()", "a.f;", "a b.f",
		"\"a\".f", "a.f--", NULL };
	char		 long_part[80];
	size_t		 i;

	(void)state;
	for (i = 0; good[i] != NULL; i++)
		assert_true(store_hooks_name_ok(good[i]));
	for (i = 0; bad[i] != NULL; i++)
		assert_false(store_hooks_name_ok(bad[i]));
	assert_false(store_hooks_name_ok(NULL));
	/* 63 bytes per part at most (NAMEDATALEN - 1) */
	memset(long_part, 'a', sizeof(long_part));
	long_part[0] = 'a';
	long_part[1] = '.';
	long_part[2 + 63] = '\0';
	assert_true(store_hooks_name_ok(long_part));
	long_part[2 + 63] = 'a';
	long_part[2 + 64] = '\0';
	assert_false(store_hooks_name_ok(long_part));
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
test_validation(void **state)
{
	struct arena	 a;

	(void)state;
	arena_init(&a, 4096);
	assert_null(check(&a, "settings.sign_up", "{}"));
	assert_null(check(&a, "settings.sign_up",
	    "{\"allowed_email_domains\":[\"example.com\",\"Corp.Example\"],"
	    "\"blocked_email_domains\":[],\"function\":\"app.allow\"}"));
	assert_null(check(&a, "settings.sign_up", "{\"function\":\"\"}"));
	assert_non_null(check(&a, "settings.sign_up",
	    "{\"allowed_email_domains\":\"example.com\"}"));
	assert_non_null(check(&a, "settings.sign_up",
	    "{\"allowed_email_domains\":[\"a@b.com\"]}"));
	assert_non_null(check(&a, "settings.sign_up",
	    "{\"blocked_email_domains\":[\"a..com\"]}"));
	assert_non_null(check(&a, "settings.sign_up",
	    "{\"blocked_email_domains\":[7]}"));
	assert_non_null(check(&a, "settings.sign_up",
	    "{\"function\":\"allow\"}"));
	assert_non_null(check(&a, "settings.sign_up", "{\"function\":1}"));
	assert_non_null(check(&a, "settings.sign_up", "{\"other\":1}"));
	assert_null(check(&a, "settings.jwt",
	    "{\"claims_function\":\"app.jwt_claims\"}"));
	assert_null(check(&a, "settings.jwt", "{\"claims_function\":\"\"}"));
	assert_non_null(check(&a, "settings.jwt",
	    "{\"claims_function\":\"jwt_claims\"}"));
	assert_non_null(check(&a, "settings.jwt",
	    "{\"claims_function\":[\"app.x\"]}"));
	arena_free(&a);
}

/* signup_check of email on a branch whose settings.sign_up is json */
static enum err
gate(const char *json, const char *email)
{
	struct branchcfg	 c;
	struct request		 r;
	struct arena		 a;
	struct signup_new	 n;
	json_object		*row = json_object_new_object(), *st;
	enum err		 e;

	st = json_object_new_object();
	json_object_object_add(st, "sign_up", json_tokener_parse(json));
	json_object_object_add(row, "settings", st);
	branchcfg_parse(&c, row);
	arena_init(&a, 4096);
	memset(&r, 0, sizeof(r));
	r.a = &a;
	r.bcfg = &c;
	memset(&n, 0, sizeof(n));
	n.email = email;
	n.provider = "credential";
	/* no function set (or an invalid one): no database needed */
	e = signup_check(&r, NULL, &n);
	arena_free(&a);
	branchcfg_clear(&c);
	return (e);
}

static void
test_domains(void **state)
{
	const char	*both = "{\"allowed_email_domains\":[\"Example.com\","
	    "\"corp.test\"],\"blocked_email_domains\":[\"corp.test\"]}";

	(void)state;
	assert_int_equal(gate("{}", "a@anything.test"), ERR_NONE);
	assert_int_equal(gate(both, "a@example.com"), ERR_NONE);
	assert_int_equal(gate(both, "a@other.com"),
	    ERR_SIGN_UP_EMAIL_DOMAIN_NOT_ALLOWED);
	/* blocked wins over allowed; exact match, no subdomains */
	assert_int_equal(gate(both, "a@corp.test"),
	    ERR_SIGN_UP_EMAIL_DOMAIN_NOT_ALLOWED);
	assert_int_equal(gate(both, "a@x.example.com"),
	    ERR_SIGN_UP_EMAIL_DOMAIN_NOT_ALLOWED);
	assert_int_equal(gate(both, "a@ample.com"),
	    ERR_SIGN_UP_EMAIL_DOMAIN_NOT_ALLOWED);
	assert_int_equal(gate(both, "a@example.co"),
	    ERR_SIGN_UP_EMAIL_DOMAIN_NOT_ALLOWED);
	/* the last @ names the domain */
	assert_int_equal(gate(both, "\"x@other.com\"@example.com"), ERR_NONE);
	assert_int_equal(gate("{\"blocked_email_domains\":[\"spam.test\"]}",
	    "a@spam.test"), ERR_SIGN_UP_EMAIL_DOMAIN_NOT_ALLOWED);
	assert_int_equal(gate("{\"blocked_email_domains\":[\"spam.test\"]}",
	    "a@ham.test"), ERR_NONE);
	/* what config set refuses, written with SQL: fail closed */
	assert_int_equal(gate("{\"allowed_email_domains\":\"example.com\"}",
	    "a@example.com"), ERR_SIGN_UP_CHECK_FAILED);
	assert_int_equal(gate("{\"blocked_email_domains\":[1]}",
	    "a@example.com"), ERR_SIGN_UP_CHECK_FAILED);
	assert_int_equal(gate("{\"function\":\"drop table x\"}",
	    "a@example.com"), ERR_SIGN_UP_CHECK_FAILED);
	assert_int_equal(gate("{\"function\":7}", "a@example.com"),
	    ERR_SIGN_UP_CHECK_FAILED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_domains),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	if (router_register_settings() == -1)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
