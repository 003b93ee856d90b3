/*
 * test_cookie.c -- unit tests for the cookie style (http/cookie.c,
 * settings.cookies.style, branchcfg_neon_cookies): names and Set-Cookie
 * attributes on http, http loopback and https Auth URLs with each style
 * and same_site, and the loopback host rule (lib/netaddr.c); the issue 12
 * hardening: __Host- names, per-branch Path, the prefix checked on read,
 * the reply-header backstop, the bearer and localhost defaults.
 *
 * Requests are built by hand: a branch, its parsed config, an arena.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/arena.h"
#include "lib/netaddr.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/cookie.h"
#include "http/request.h"

struct fix {
	struct arena		 a;
	struct branch		 br;
	struct branchcfg	 cfg;
	struct request		 r;
};

/* r for an Auth URL and a settings object, as a worker would have them */
static void
fix_init(struct fix *f, const char *auth_url, const char *settings)
{
	char		 host[128];
	const char	*p, *e;
	json_object	*row;

	memset(f, 0, sizeof(*f));
	arena_init(&f->a, 4096);
	p = strstr(auth_url, "://") + 3;
	e = strchr(p, '/');
	snprintf(host, sizeof(host), "%.*s", (int)(e ? e - p : (long)strlen(p)),
	    p);
	f->br.name = "main";
	f->br.auth_url = (char *)auth_url;
	f->br.host = arena_strdup(&f->a, host);
	f->br.secure = strncmp(auth_url, "https:", 6) == 0;
	row = json_tokener_parse(arena_printf(&f->a, "{\"settings\":%s}",
	    settings));
	assert_non_null(row);
	branchcfg_parse(&f->cfg, row);
	f->r.a = &f->a;
	f->r.branch = &f->br;
	f->r.bcfg = &f->cfg;
}

static void
fix_free(struct fix *f)
{
	branchcfg_clear(&f->cfg);
	arena_free(&f->a);
}

/* the one Set-Cookie line of the reply */
static const char *
set_cookie(struct fix *f)
{
	const struct reply_header	*h;
	const char			*v = NULL;
	int				 n = 0;

	for (h = f->r.headers; h != NULL; h = h->next)
		if (strcmp(h->name, "Set-Cookie") == 0) {
			v = h->value;
			n++;
		}
	assert_int_equal(n, 1);
	return (v);
}

static void
check(const char *auth_url, const char *settings, const char *want_name,
    const char *want_attrs)
{
	struct fix	 f;
	const char	*name;

	fix_init(&f, auth_url, settings);
	name = cookie_name(&f.r, "session_token");
	if (strcmp(name, want_name) != 0)
		fail_msg("%s %s: name %s, want %s", auth_url, settings, name,
		    want_name);
	cookie_set(&f.r, name, "v", 60);
	if (strcmp(set_cookie(&f), arena_printf(&f.a, "%s=v; Max-Age=60; %s",
	    want_name, want_attrs)) != 0)
		fail_msg("%s %s: %s, want attributes %s", auth_url, settings,
		    set_cookie(&f), want_attrs);
	fix_free(&f);
}

#define LAX	"Path=/; HttpOnly; SameSite=Lax"
#define LAX_S	"Path=/; HttpOnly; Secure; SameSite=Lax"
#define NONE	"Path=/; HttpOnly; Secure; SameSite=None; Partitioned"

static void
test_styles(void **state)
{
	(void)state;
	/* auto: the Auth URL's scheme decides, same_site adds None */
	check("http://127.0.0.1:8080/neondb/auth", "{}",
	    "neon-auth.session_token", LAX);
	check("http://localhost:3000/neondb/auth", "{\"cookies\":{\"style\":"
	    "\"auto\"}}", "neon-auth.session_token", LAX);
	check("https://auth.example.com/neondb/auth", "{}",
	    "__Secure-neon-auth.session_token", LAX_S);
	check("http://127.0.0.1:8080/neondb/auth", "{\"cookies\":{"
	    "\"same_site\":\"none\"}}", "neon-auth.session_token", NONE);
	/* neon: Neon's names and attributes on https and http loopback */
	check("http://127.0.0.1:8080/neondb/auth", "{\"cookies\":{\"style\":"
	    "\"neon\"}}", "__Secure-neon-auth.session_token", NONE);
	check("http://localhost:3000/neondb/auth", "{\"cookies\":{\"style\":"
	    "\"neon\"}}", "__Secure-neon-auth.session_token", NONE);
	check("http://[::1]:3000/neondb/auth", "{\"cookies\":{\"style\":"
	    "\"neon\"}}", "__Secure-neon-auth.session_token", NONE);
	check("http://app.localhost/auth", "{\"cookies\":{\"style\":"
	    "\"neon\",\"prefix\":\"better-auth\"}}",
	    "__Secure-better-auth.session_token", NONE);
	check("https://auth.example.com/neondb/auth", "{\"cookies\":{"
	    "\"style\":\"neon\",\"same_site\":\"lax\"}}",
	    "__Secure-neon-auth.session_token", NONE);
	/* neon on http elsewhere: not applied (a browser drops them) */
	check("http://auth.internal:8080/neondb/auth", "{\"cookies\":{"
	    "\"style\":\"neon\"}}", "neon-auth.session_token", LAX);
	check("http://10.0.0.5/neondb/auth", "{\"cookies\":{\"style\":"
	    "\"neon\"}}", "neon-auth.session_token", LAX);
	/* an unknown style stored with SQL reads as the default */
	check("http://127.0.0.1:8080/neondb/auth", "{\"cookies\":{\"style\":"
	    "\"Neon\"}}", "neon-auth.session_token", LAX);
}

static void
test_expire_keeps_style(void **state)
{
	struct fix	 f;

	(void)state;
	fix_init(&f, "http://127.0.0.1:8080/neondb/auth",
	    "{\"cookies\":{\"style\":\"neon\"}}");
	cookie_expire(&f.r, cookie_name(&f.r, "session_data"));
	assert_string_equal(set_cookie(&f), "__Secure-neon-auth.session_data=; "
	    "Max-Age=0; " NONE);
	fix_free(&f);
}

static void
test_validate(void **state)
{
	struct arena	 a;
	json_object	*v;

	(void)state;
	arena_init(&a, 1024);
	v = json_tokener_parse("{\"style\":\"neon\"}");
	assert_null(branchcfg_validate(&a, "settings.cookies", v));
	json_object_put(v);
	v = json_tokener_parse("{\"style\":\"secure\"}");
	assert_non_null(branchcfg_validate(&a, "settings.cookies", v));
	json_object_put(v);
	v = json_tokener_parse("{\"style\":true}");
	assert_non_null(branchcfg_validate(&a, "settings.cookies", v));
	json_object_put(v);
	arena_free(&a);
}

/* style "host": __Host- names on https only (issue 12, #13) */
static void
test_host_style(void **state)
{
	(void)state;
	check("https://auth.example.com/neondb/auth", "{\"cookies\":{"
	    "\"style\":\"host\"}}", "__Host-neon-auth.session_token", LAX_S);
	check("https://auth.example.com/neondb/auth", "{\"cookies\":{"
	    "\"style\":\"host\",\"same_site\":\"none\"}}",
	    "__Host-neon-auth.session_token", NONE);
	/* on http a __Host- cookie would be dropped: the auto names */
	check("http://127.0.0.1:8080/neondb/auth", "{\"cookies\":{\"style\":"
	    "\"host\"}}", "neon-auth.session_token", LAX);
}

/*
 * A templated branch shares its host with every database of the template:
 * Path is its base path (issue 12, #8); __Host- needs Path=/, so style
 * "host" gives the __Secure- names there.
 */
static void
test_templated_path(void **state)
{
	struct fix	 f;

	(void)state;
	fix_init(&f, "https://b1.auth.example.com/db1/auth", "{}");
	f.br.templated = 1;
	f.br.base_path = "/db1/auth";
	assert_string_equal(cookie_path(&f.r), "/db1/auth");
	cookie_set(&f.r, cookie_name(&f.r, "session_token"), "v", 60);
	assert_string_equal(set_cookie(&f), "__Secure-neon-auth.session_token="
	    "v; Max-Age=60; Path=/db1/auth; HttpOnly; Secure; SameSite=Lax");
	fix_free(&f);
	fix_init(&f, "https://b1.auth.example.com/db1/auth",
	    "{\"cookies\":{\"style\":\"host\"}}");
	f.br.templated = 1;
	f.br.base_path = "/db1/auth";
	assert_string_equal(cookie_name(&f.r, "session_token"),
	    "__Secure-neon-auth.session_token");
	fix_free(&f);
	/*
	 * a request that carries the cookie (maybe set at Path=/ before the
	 * scope): the reply also expires it at Path=/, once per reply
	 */
	fix_init(&f, "https://b1.auth.example.com/db1/auth", "{}");
	f.br.templated = 1;
	f.br.base_path = "/db1/auth";
	{
		char *params[] = { "HTTP_COOKIE=__Secure-neon-auth."
		    "session_token=x", NULL };
		const struct reply_header *h;
		int n = 0;

		f.r.params = params;
		cookie_expire(&f.r, cookie_name(&f.r, "session_token"));
		cookie_expire(&f.r, cookie_name(&f.r, "session_token"));
		for (h = f.r.headers; h != NULL; h = h->next, n++)
			assert_string_equal(h->value, n == 0 ?
			    "__Secure-neon-auth.session_token=; Max-Age=0; "
			    "Path=/db1/auth; HttpOnly; Secure; SameSite=Lax" :
			    "__Secure-neon-auth.session_token=; Max-Age=0; "
			    "Path=/; HttpOnly; Secure; SameSite=Lax");
		assert_int_equal(n, 2);
		f.r.params = NULL;
	}
	fix_free(&f);
	/* a listed branch, and a templated one at the host root: Path=/ */
	fix_init(&f, "https://auth.example.com/db1/auth", "{}");
	f.br.base_path = "/db1/auth";
	assert_string_equal(cookie_path(&f.r), "/");
	f.br.templated = 1;
	f.br.base_path = "";
	assert_string_equal(cookie_path(&f.r), "/");
	fix_free(&f);
}

/* a prefix written with SQL is charset-checked on read (issue 12, #11) */
static void
test_prefix_on_read(void **state)
{
	(void)state;
	check("http://127.0.0.1:8080/neondb/auth", "{\"cookies\":{\"prefix\":"
	    "\"x\\r\\nSet-Cookie: a=b\"}}", "neon-auth.session_token", LAX);
	check("http://127.0.0.1:8080/neondb/auth", "{\"cookies\":{\"prefix\":"
	    "\"a b\"}}", "neon-auth.session_token", LAX);
	check("http://127.0.0.1:8080/neondb/auth", "{\"cookies\":{\"prefix\":"
	    "\"my_app-1\"}}", "my_app-1.session_token", LAX);
	assert_false(branchcfg_prefix_ok(""));
	assert_false(branchcfg_prefix_ok("a;b"));
	assert_true(branchcfg_prefix_ok("better-auth"));
}

/* no reply header carries a control byte, whatever built it (#11) */
static void
test_header_backstop(void **state)
{
	struct fix			 f;
	const struct reply_header	*h;
	int				 n = 0;

	(void)state;
	fix_init(&f, "http://127.0.0.1:8080/neondb/auth", "{}");
	reply_header_add(&f.r, "Location", "https://a.example/\r\nX-Evil: 1");
	reply_header_add(&f.r, "X-A", "one\ntwo");
	reply_header_add(&f.r, "X-B\r\nX-Evil", "1");
	reply_header_add(&f.r, "X-C", "nul\x01");
	reply_header_add(&f.r, "X-D", "tab\tand caf\xc3\xa9 are fine");
	for (h = f.r.headers; h != NULL; h = h->next) {
		assert_string_equal(h->name, "X-D");
		n++;
	}
	assert_int_equal(n, 1);
	fix_free(&f);
}

/*
 * the check reads eight bytes at a time: every control byte (and DEL) at
 * every position of a long value, in a word or in the tail, is caught;
 * tabs and bytes above 0x7f anywhere are not
 */
static void
test_header_backstop_positions(void **state)
{
	static const unsigned char	 bad[] = { 0x01, 0x0a, 0x0d, 0x1f, 0x7f };
	struct fix			 f;
	const struct reply_header	*h;
	char				 v[41];
	size_t				 i, k, len;
	int				 n;

	(void)state;
	for (len = 1; len < sizeof(v); len += 7)
		for (i = 0; i < len; i++)
			for (k = 0; k < sizeof(bad); k++) {
				fix_init(&f, "http://127.0.0.1:8080/neondb/auth", "{}");
				memset(v, 'a', len);
				v[len] = '\0';
				v[i] = (char)bad[k];
				reply_header_add(&f.r, "X-Bad", v);
				v[i] = (char)(i % 2 ? '\t' : 0xe9);
				reply_header_add(&f.r, "X-Good", v);
				n = 0;
				for (h = f.r.headers; h != NULL; h = h->next) {
					assert_string_equal(h->name, "X-Good");
					assert_string_equal(h->value, v);
					n++;
				}
				assert_int_equal(n, 1);
				fix_free(&f);
			}
}

/* issue 12 defaults: bearer off, signed only; the cache cap */
static void
test_hardened_defaults(void **state)
{
	struct fix	 f;

	(void)state;
	fix_init(&f, "https://auth.example.com/neondb/auth", "{}");
	assert_int_equal(f.cfg.bearer, 0);
	assert_int_equal(f.cfg.bearer_require_signature, 1);
	assert_int_equal(f.cfg.allow_localhost_on_https, 0);
	fix_free(&f);
	fix_init(&f, "https://auth.example.com/neondb/auth", "{\"bearer\":true,"
	    "\"bearer_require_signature\":false,\"session\":{"
	    "\"cookie_cache_max_age\":31536000}}");
	assert_int_equal(f.cfg.bearer, 1);
	assert_int_equal(f.cfg.bearer_require_signature, 0);
	/* a row written before the cap reads as the cap */
	assert_int_equal(f.cfg.cookie_cache_max_age,
	    BRANCHCFG_COOKIE_CACHE_MAX);
	fix_free(&f);
	fix_init(&f, "https://auth.example.com/neondb/auth", "{\"session\":{"
	    "\"cookie_cache_max_age\":600}}");
	assert_int_equal(f.cfg.cookie_cache_max_age, 600);
	fix_free(&f);
}

/* allow_localhost on an https Auth URL: off unless opted in (#12) */
static void
test_localhost_https(void **state)
{
	struct fix	 f;

	(void)state;
	fix_init(&f, "https://auth.example.com/neondb/auth", "{}");
	f.cfg.allow_localhost = 1;
	assert_false(branchcfg_localhost(&f.cfg, &f.br));
	assert_false(branchcfg_localhost_warn(&f.cfg, &f.br));
	fix_free(&f);
	fix_init(&f, "https://auth.example.com/neondb/auth",
	    "{\"allow_localhost_on_https\":true,\"cookies\":{\"same_site\":"
	    "\"none\"}}");
	f.cfg.allow_localhost = 1;
	assert_true(branchcfg_localhost(&f.cfg, &f.br));
	assert_true(branchcfg_localhost_warn(&f.cfg, &f.br));
	f.cfg.allow_localhost = 0;
	assert_false(branchcfg_localhost(&f.cfg, &f.br));
	fix_free(&f);
	fix_init(&f, "http://127.0.0.1:8080/neondb/auth",
	    "{\"cookies\":{\"same_site\":\"none\"}}");
	f.cfg.allow_localhost = 1;
	assert_true(branchcfg_localhost(&f.cfg, &f.br));
	assert_false(branchcfg_localhost_warn(&f.cfg, &f.br));
	fix_free(&f);
}

static void
test_loopback_hosts(void **state)
{
	static const char *const yes[] = { "localhost", "localhost:3000",
	    "localhost.", "app.localhost", "a.b.localhost:8080", "127.0.0.1",
	    "127.0.0.1:8080", "127.1.2.3", "[::1]", "[::1]:3000", NULL };
	static const char *const no[] = { "", "example.com", "localhost.com",
	    "notlocalhost", "xlocalhost:80", "128.0.0.1", "10.0.0.5:80",
	    "0.0.0.0", "[::2]", "[::1", "[::1]x", "[::ffff:10.0.0.1]",
	    "::1", "127.0.0.1.example.com", NULL };
	size_t	 i;

	(void)state;
	for (i = 0; yes[i] != NULL; i++)
		if (!netaddr_host_loopback(yes[i]))
			fail_msg("%s should be loopback", yes[i]);
	for (i = 0; no[i] != NULL; i++)
		if (netaddr_host_loopback(no[i]))
			fail_msg("%s should not be loopback", no[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_styles),
		cmocka_unit_test(test_expire_keeps_style),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_loopback_hosts),
		cmocka_unit_test(test_host_style),
		cmocka_unit_test(test_templated_path),
		cmocka_unit_test(test_prefix_on_read),
		cmocka_unit_test(test_header_backstop),
		cmocka_unit_test(test_header_backstop_positions),
		cmocka_unit_test(test_hardened_defaults),
		cmocka_unit_test(test_localhost_https),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
