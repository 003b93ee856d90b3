/*
 * test_oauth.c -- unit tests for the oauth group's pure parts: the
 * social_providers validation and parsing (http/branchcfg.c), the public
 * account object (store_account.c), tokens at rest and the flow choice
 * (auth/oauth.c).  The flows themselves run against real providers in
 * tests/interop/oauth.test.mjs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "auth/oauth.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/request.h"
#include "lib/arena.h"
#include "lib/json.h"
#include "store/store_account.h"

static const char *
check(struct arena *a, const char *json)
{
	json_object	*v = json_tokener_parse(json);
	const char	*why;

	assert_non_null(v);
	why = branchcfg_validate(a, "social_providers", v);
	json_object_put(v);
	return (why);
}

static void
test_providers_validate(void **state)
{
	struct arena	 a;

	(void)state;
	arena_init(&a, 4096);
	assert_null(check(&a, "[]"));
	assert_null(check(&a, "[{\"id\":\"google\",\"client_id\":\"c\","
	    "\"client_secret\":\"s\"},{\"id\":\"corp\",\"type\":\"standard\","
	    "\"client_id\":\"c\",\"client_secret\":\"s\",\"issuer\":"
	    "\"https://login.corp.example\",\"scopes\":[\"openid\"],"
	    "\"trusted\":true}]"));
	/* http only on loopback */
	assert_null(check(&a, "[{\"id\":\"x\",\"client_id\":\"c\","
	    "\"issuer\":\"http://127.0.0.1:9000\"}]"));
	assert_null(check(&a, "[{\"id\":\"x\",\"client_id\":\"c\","
	    "\"issuer\":\"http://[::1]:9000\"}]"));
	assert_non_null(check(&a, "[{\"id\":\"x\",\"client_id\":\"c\","
	    "\"issuer\":\"http://idp.example\"}]"));
	assert_non_null(check(&a, "[{\"id\":\"github\",\"client_id\":\"c\","
	    "\"token_endpoint\":\"ftp://x.example/t\"}]"));
	/* a generic provider needs its issuer, every provider its client */
	assert_non_null(check(&a, "[{\"id\":\"corp\",\"client_id\":\"c\"}]"));
	assert_non_null(check(&a, "[{\"id\":\"google\",\"type\":\"shared\"}]"));
	assert_non_null(check(&a, "[{\"id\":\"google\",\"client_id\":\"c\","
	    "\"typo\":1}]"));
	assert_non_null(check(&a, "[{\"id\":\"google\",\"client_id\":\"c\","
	    "\"scopes\":\"openid\"}]"));
	assert_non_null(check(&a, "[{\"id\":\"google\",\"client_id\":\"c\","
	    "\"scopes\":[1]}]"));
	assert_non_null(check(&a, "[{\"id\":\"Bad Id\",\"client_id\":\"c\"}]"));
	assert_non_null(check(&a, "[{\"id\":\"google\",\"client_id\":\"c\"},"
	    "{\"id\":\"google\",\"client_id\":\"d\"}]"));
	assert_non_null(check(&a, "{\"id\":\"google\"}"));
	assert_non_null(check(&a, "[{\"id\":\"google\",\"client_id\":\"c\","
	    "\"trusted\":\"yes\"}]"));
	arena_free(&a);
}

static void
test_providers_parse(void **state)
{
	struct branchcfg		 c;
	const struct branch_provider	*p;

	(void)state;
	branchcfg_parse(&c, json_tokener_parse("{\"social_providers\":["
	    "{\"id\":\"github\",\"client_id\":\"gh\",\"client_secret\":\"s\","
	    "\"userinfo_endpoint\":\"http://127.0.0.1:1/user\"},"
	    "{\"id\":\"broken\"},"
	    "{\"id\":\"corp\",\"client_id\":\"c\",\"issuer\":"
	    "\"https://idp.example\",\"disable_sign_up\":true}],"
	    "\"settings\":{\"oauth\":{\"flow\":\"verifier\",\"timeout\":3,"
	    "\"encrypt_tokens\":false},\"account_linking\":"
	    "{\"allow_unlinking_all\":true}}}"));
	assert_int_equal(c.nproviders, 2);
	p = branchcfg_provider(&c, "github");
	assert_non_null(p);
	assert_string_equal(p->userinfo_endpoint, "http://127.0.0.1:1/user");
	assert_null(p->issuer);
	assert_null(branchcfg_provider(&c, "broken"));
	p = branchcfg_provider(&c, "corp");
	assert_non_null(p);
	assert_int_equal(p->disable_sign_up, 1);
	assert_int_equal(c.oauth_flow, OAUTH_FLOW_VERIFIER);
	assert_int_equal(c.oauth_timeout, 3);
	assert_int_equal(c.oauth_encrypt_tokens, 0);
	assert_int_equal(c.link_unlink_all, 1);
	assert_int_equal(c.link_require_local_verified, 1);
	branchcfg_clear(&c);

	branchcfg_parse(&c, json_tokener_parse("{\"settings\":{\"oauth\":"
	    "{\"flow\":\"sideways\",\"timeout\":999}}}"));
	assert_int_equal(c.nproviders, 0);
	assert_int_equal(c.oauth_flow, OAUTH_FLOW_AUTO);
	assert_int_equal(c.oauth_timeout, 10);
	assert_int_equal(c.oauth_encrypt_tokens, 1);
	branchcfg_clear(&c);
}

static void
test_account_object(void **state)
{
	struct arena		 a;
	struct account_rec	 acc;
	struct jbuf		 b;

	(void)state;
	arena_init(&a, 4096);
	memset(&acc, 0, sizeof(acc));
	acc.id = "i";
	acc.provider_id = "github";
	acc.account_id = "12345";
	acc.user_id = "u";
	acc.created_at = "2026-11-27T13:45:13.422Z";
	acc.updated_at = "2026-11-27T13:45:13.422Z";
	acc.scope = " read:user , ,user:email,";
	jb_init(&b, &a, 64);
	account_public_write(&b, &acc);
	assert_string_equal(jb_done(&b), "{\"id\":\"i\",\"providerId\":"
	    "\"github\",\"accountId\":\"12345\",\"userId\":\"u\",\"createdAt\":"
	    "\"2026-11-27T13:45:13.422Z\",\"updatedAt\":"
	    "\"2026-11-27T13:45:13.422Z\",\"scopes\":[\"read:user\","
	    "\"user:email\"]}");
	acc.scope = NULL;
	jb_init(&b, &a, 64);
	account_public_write(&b, &acc);
	assert_non_null(strstr(jb_done(&b), "\"scopes\":[]}"));
	arena_free(&a);
}

struct fix {
	struct arena		 a;
	struct request		 r;
	struct request_env	 env;
	struct branch		 br;
	struct branchcfg	 cfg;
};

static void
fix_init(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	arena_init(&f->a, 8192);
	f->r.a = &f->a;
	f->env.secret = "a-very-long-secret-value-for-testing-purposes-1234567890";
	f->r.env = &f->env;
	f->br.auth_url = "https://auth.example.com/neondb/auth";
	f->br.origin = "https://auth.example.com";
	f->r.branch = &f->br;
	f->cfg.oauth_encrypt_tokens = 1;
	f->r.bcfg = &f->cfg;
}

static void
test_tokens_at_rest(void **state)
{
	struct fix	 f;
	const char	*s;

	(void)state;
	fix_init(&f);
	s = oauth_seal(&f.r, "gho_abc123");
	assert_non_null(s);
	assert_string_not_equal(s, "gho_abc123");
	assert_int_equal(strspn(s, "0123456789abcdef"), strlen(s));
	assert_string_equal(oauth_open(&f.r, s), "gho_abc123");
	/* tokens written in clear (before encryption was on) read as they are */
	assert_string_equal(oauth_open(&f.r, "ya29.plain"), "ya29.plain");
	assert_string_equal(oauth_open(&f.r, "deadbeef"), "deadbeef");
	assert_null(oauth_open(&f.r, NULL));
	f.cfg.oauth_encrypt_tokens = 0;
	assert_string_equal(oauth_seal(&f.r, "plain"), "plain");
	arena_free(&f.a);
}

static void
test_flow_choice(void **state)
{
	struct fix	 f;

	(void)state;
	fix_init(&f);
	f.cfg.oauth_flow = OAUTH_FLOW_AUTO;
	assert_int_equal(oauth_uses_verifier(&f.r, NULL), 0);
	assert_int_equal(oauth_uses_verifier(&f.r, "/dash"), 0);
	assert_int_equal(oauth_uses_verifier(&f.r,
	    "https://auth.example.com/x"), 0);
	assert_int_equal(oauth_uses_verifier(&f.r,
	    "https://app.example.com/x"), 0);
	assert_int_equal(oauth_uses_verifier(&f.r, "https://app.other.dev/x"),
	    1);
	assert_int_equal(oauth_uses_verifier(&f.r, "http://app.example.com/x"),
	    1);
	assert_int_equal(oauth_uses_verifier(&f.r, "myapp://done"), 1);
	f.br.auth_url = "http://127.0.0.1:8080/neondb/auth";
	assert_int_equal(oauth_uses_verifier(&f.r, "http://127.0.0.1:3000/"),
	    0);
	assert_int_equal(oauth_uses_verifier(&f.r, "http://localhost:3000/"),
	    1);
	f.cfg.oauth_flow = OAUTH_FLOW_COOKIE;
	assert_int_equal(oauth_uses_verifier(&f.r, "myapp://done"), 0);
	f.cfg.oauth_flow = OAUTH_FLOW_VERIFIER;
	assert_int_equal(oauth_uses_verifier(&f.r, "/dash"), 1);
	arena_free(&f.a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_providers_validate),
		cmocka_unit_test(test_providers_parse),
		cmocka_unit_test(test_account_object),
		cmocka_unit_test(test_tokens_at_rest),
		cmocka_unit_test(test_flow_choice),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
