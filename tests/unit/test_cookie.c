/*
 * test_cookie.c -- unit tests for the cookie style (http/cookie.c,
 * settings.cookies.style, branchcfg_neon_cookies): names and Set-Cookie
 * attributes on http, http loopback and https Auth URLs with each style
 * and same_site, and the loopback host rule (lib/netaddr.c).
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
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
