/*
 * test_origin.c -- unit tests for origin.c and the URL helpers of
 * httpc.c: the matcher examples of protocol.md §6.5, the localhost rule
 * of spec README decision 13, the guard decision tables of §6.2-§6.4 and
 * the CORS answers (neon.md §13, decision 17).
 *
 * Requests are built by hand, their headers as FastCGI parameters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "lib/arena.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "lib/httpc.h"
#include "http/origin.h"
#include "http/request.h"

/* ---- fixture: one branch, its config, fake headers ---- */

#define MAX_HDRS	16

struct fix {
	struct arena		 a;
	struct branch		 br;
	struct branchcfg	 cfg;
	struct request		 r;
	char			*params[MAX_HDRS + 1];	/* "NAME=value" */
	int			 nh;
};

static struct fix	*cur;

/* a request header, as the FastCGI parameters carry it */
static void
set_hdr(const char *name, const char *value)
{
	assert_true(cur->nh < MAX_HDRS);
	cur->params[cur->nh++] = arena_printf(&cur->a, "%s=%s", name, value);
	cur->params[cur->nh] = NULL;
}

/* replace the value of the i-th header set */
static void
set_val(int i, const char *value)
{
	const char	*eq = strchr(cur->params[i], '=');

	cur->params[i] = arena_printf(&cur->a, "%.*s=%s",
	    (int)(eq - cur->params[i]), cur->params[i], value);
}

static int
setup(void **state)
{
	struct fix	*f = calloc(1, sizeof(*f));

	assert_non_null(f);
	arena_init(&f->a, 4096);
	f->br.name = "main";
	f->br.origin = "http://127.0.0.1:8080";
	f->br.auth_url = "http://127.0.0.1:8080/neondb/auth";
	f->cfg.trusted_origins = json_tokener_parse(
	    "[\"https://app.example.com\", \"*.preview.example.com\", "
	    "\"myapp://\", \"\"]");
	assert_non_null(f->cfg.trusted_origins);
	f->cfg.allow_localhost = 1;
	f->r.a = &f->a;
	f->r.method = "POST";
	f->r.branch = &f->br;
	f->r.bcfg = &f->cfg;
	f->r.query = STR("");
	f->r.params = f->params;
	cur = f;
	*state = f;
	return (0);
}

static int
teardown(void **state)
{
	struct fix	*f = *state;

	json_object_put(f->cfg.trusted_origins);
	arena_free(&f->a);
	free(f);
	cur = NULL;
	return (0);
}

static const char *
reply_hdr(struct request *r, const char *name)
{
	const struct reply_header	*h;

	for (h = r->headers; h != NULL; h = h->next)
		if (strcasecmp(h->name, name) == 0)
			return (h->value);
	return (NULL);
}

static int
nhdrs(struct request *r)
{
	const struct reply_header	*h;
	int				 n = 0;

	for (h = r->headers; h != NULL; h = h->next)
		n++;
	return (n);
}

#define assert_reply(r, st, body) do {					\
	assert_int_equal((r)->status, (st));				\
	assert_non_null((r)->reply_body);				\
	assert_string_equal((r)->reply_body, (body));			\
} while (0)

/* ---- httpc URL helpers ---- */

static void
test_httpc_parse(void **state)
{
	struct httpc_url	 u;
	struct arena		 a;

	(void)state;
	arena_init(&a, 1024);
	assert_int_equal(httpc_url_parse(&a,
	    "HTTPS://App.Example.COM:443/x/y?q=1#f", &u), 0);
	assert_string_equal(u.scheme, "https");
	assert_string_equal(u.host, "app.example.com");
	assert_int_equal(u.port, 0);
	assert_string_equal(u.hostport, "app.example.com");
	assert_string_equal(u.origin, "https://app.example.com");
	assert_string_equal(u.path, "/x/y");

	assert_int_equal(httpc_url_parse(NULL, "http://[0:0::1]:3000", &u), 0);
	assert_string_equal(u.origin, "http://[::1]:3000");
	assert_int_equal(u.port, 3000);
	assert_null(u.path);
	assert_int_equal(httpc_url_parse(NULL, "http://127.1:80/", &u), 0);
	assert_string_equal(u.origin, "http://127.0.0.1");
	assert_int_equal(httpc_url_parse(NULL, "https://a.example:0443", &u),
	    0);
	assert_string_equal(u.origin, "https://a.example");
	assert_int_equal(httpc_url_parse(NULL, "exp://192.168.1.5:8081/--/x",
	    &u), 0);
	assert_string_equal(u.hostport, "192.168.1.5:8081");

	/* refused: where curl and a browser would disagree, or junk */
	assert_int_equal(httpc_url_parse(NULL,
	    "https://evil.com\\@app.example.com/", &u), -1);
	assert_int_equal(httpc_url_parse(NULL, "https://a@b@evil.com/", &u),
	    -1);
	assert_int_equal(httpc_url_parse(NULL, "https:evil.com", &u), -1);
	assert_int_equal(httpc_url_parse(NULL, " https://app.example.com",
	    &u), -1);
	assert_int_equal(httpc_url_parse(NULL, "https://b\xc3\xbc" "cher.de",
	    &u), -1);
	assert_int_equal(httpc_url_parse(NULL, "https://x:99999/", &u), -1);
	assert_int_equal(httpc_url_parse(NULL, "https://", &u), -1);
	assert_int_equal(httpc_url_parse(NULL, "app.example.com", &u), -1);
	assert_int_equal(httpc_url_parse(NULL, "", &u), -1);
	assert_int_equal(httpc_url_parse(NULL, NULL, &u), -1);

	assert_string_equal(httpc_origin_normalise(&a,
	    "https://APP.example.com:8443/p"), "https://app.example.com:8443");
	assert_null(httpc_origin_normalise(&a, "myapp://x"));
	assert_int_equal(httpc_url_relative_same_origin("/dashboard"), 1);
	assert_int_equal(httpc_url_relative_same_origin("//evil.com"), 0);
	assert_int_equal(httpc_url_relative_same_origin("/a b"), 1);
	arena_free(&a);
}

/* ---- §6.5 matcher ---- */

static void
test_match_spec_examples(void **state)
{
	(void)state;
	/* the examples listed in protocol.md §6.5 */
	assert_true(origin_match("https://app.example.com/x",
	    "https://app.example.com", 0));
	assert_false(origin_match("https://app.example.com:8443/x",
	    "https://app.example.com", 0));
	assert_false(origin_match("http://app.example.com/x",
	    "https://app.example.com", 0));
	assert_true(origin_match("https://a.b.example.com", "*.example.com",
	    0));
	assert_false(origin_match("https://example.com", "*.example.com", 0));
	assert_true(origin_match("/dashboard", "https://app.example.com", 1));
	assert_false(origin_match("//evil.com", "https://app.example.com", 1));
	assert_false(origin_match("/a%2Fb", "https://app.example.com", 1));
}

static void
test_match_exact(void **state)
{
	(void)state;
	assert_true(origin_match("https://app.example.com:443/x",
	    "https://app.example.com", 0));
	assert_true(origin_match("https://APP.Example.com",
	    "https://app.example.com", 0));
	assert_true(origin_match("https://app.example.com:8443/x",
	    "https://app.example.com:8443", 0));
	assert_true(origin_match("https://user:pw@app.example.com/",
	    "https://app.example.com", 0));
	assert_false(origin_match("https://app.example.com@evil.com/",
	    "https://app.example.com", 0));
	assert_false(origin_match("https://evil.com\\@app.example.com/",
	    "https://app.example.com", 0));
	assert_false(origin_match("https://app.example.com.evil.com",
	    "https://app.example.com", 0));
	/* the pattern is compared as written */
	assert_false(origin_match("https://app.example.com",
	    "https://app.example.com/", 0));
	assert_true(origin_match("http://[::1]:3000/cb", "http://[::1]:3000",
	    0));
	assert_true(origin_match("http://localhost:3000",
	    "http://localhost:3000", 0));
	/* no scheme, or junk */
	assert_false(origin_match("app.example.com", "https://app.example.com",
	    0));
	assert_false(origin_match("", "https://app.example.com", 1));
	assert_false(origin_match("https://app.example.com", "", 1));
	assert_false(origin_match(NULL, "https://app.example.com", 1));
	/* an http(s) URL never matches a custom-scheme pattern */
	assert_false(origin_match("https://app.example.com", "myapp://", 0));
}

static void
test_match_relative(void **state)
{
	(void)state;
	assert_false(origin_match("/dashboard", "https://app.example.com", 0));
	assert_true(origin_match("/", "https://app.example.com", 1));
	assert_true(origin_match("/cb?next=%2Fdash#x",
	    "https://app.example.com", 1));
	assert_true(origin_match("/a/b.c-d_e~f@g", "https://x.example", 1));
	assert_false(origin_match("/a%2fb", "https://app.example.com", 1));
	assert_false(origin_match("/a%5Cb", "https://app.example.com", 1));
	assert_false(origin_match("/a%5cb", "https://app.example.com", 1));
	assert_false(origin_match("/a\\b", "https://app.example.com", 1));
	assert_false(origin_match("/\\evil.com", "https://app.example.com", 1));
	assert_false(origin_match("/a\tb", "https://app.example.com", 1));
	assert_false(origin_match("/a\nb", "https://app.example.com", 1));
	assert_false(origin_match("/a\x7f", "https://app.example.com", 1));
	assert_false(origin_match("/a\xc2\x85", "https://app.example.com", 1));
	assert_true(origin_match("/caf\xc3\xa9", "https://app.example.com", 1));
}

static void
test_match_globs(void **state)
{
	(void)state;
	/* host-only */
	assert_true(origin_match("https://a.example.com", "*.example.com", 0));
	assert_true(origin_match("http://a.example.com:3000/x",
	    "*.example.com:*", 0));
	assert_false(origin_match("https://a.example.com.evil.net",
	    "*.example.com", 0));
	assert_true(origin_match("https://app1.example.com",
	    "app?.example.com", 0));
	assert_false(origin_match("https://app12.example.com",
	    "app?.example.com", 0));
	assert_false(origin_match("not a url", "*", 0));
	/* IPv4-like patterns need an IPv4 host */
	assert_true(origin_match("http://192.168.1.20", "192.168.*.*", 0));
	assert_true(origin_match("http://192.168.1.20:3000/x", "192.168.*.*",
	    0));
	assert_false(origin_match("http://192.168.1.2.evil.com",
	    "192.168.*.*", 0));
	assert_false(origin_match("http://192.168.evil.com", "192.168.*", 0));
	/* over the origin */
	assert_true(origin_match("https://a.b.example.com/x",
	    "https://*.example.com", 0));
	assert_false(origin_match("http://a.example.com",
	    "https://*.example.com", 0));
	assert_false(origin_match("https://example.com",
	    "https://*.example.com", 0));
	assert_true(origin_match("http://localhost:5173/cb",
	    "http://localhost:*", 0));
	assert_false(origin_match("http://localhost/cb", "http://localhost:*",
	    0));
	assert_true(origin_match("http://10.0.0.7:8000",
	    "http://10.0.*.*:*", 0));
	assert_false(origin_match("http://10.0.0.7.evil.io:8000",
	    "http://10.0.*.*:*", 0));
}

static void
test_match_custom_schemes(void **state)
{
	(void)state;
	assert_true(origin_match("myapp://anything/at/all", "myapp://", 0));
	assert_true(origin_match("MyApp://x", "myapp://", 0));
	assert_true(origin_match("myapp:/x", "myapp:/", 0));
	assert_false(origin_match("otherapp://x", "myapp://", 0));
	assert_true(origin_match("myapp://callback", "myapp://callback", 0));
	assert_true(origin_match("myapp://callback/x?y#z", "myapp://callback",
	    0));
	assert_false(origin_match("myapp://callback.attacker.tld",
	    "myapp://callback", 0));
	/* path-segment prefix, after decoding and dot segments */
	assert_true(origin_match("myapp://host/cb", "myapp://host/cb", 0));
	assert_true(origin_match("myapp://host/cb/", "myapp://host/cb", 0));
	assert_true(origin_match("myapp://host/cb/next", "myapp://host/cb", 0));
	assert_true(origin_match("myapp://host/%63b/x", "myapp://host/cb", 0));
	assert_true(origin_match("myapp://host/x/../cb", "myapp://host/cb", 0));
	assert_false(origin_match("myapp://host/cbx", "myapp://host/cb", 0));
	assert_false(origin_match("myapp://host/cb/../evil", "myapp://host/cb",
	    0));
	assert_false(origin_match("myapp://host/cb/%2e%2e/evil",
	    "myapp://host/cb", 0));
	assert_false(origin_match("myapp://host", "myapp://host/cb", 0));
	/* Expo */
	assert_true(origin_match("exp://192.168.1.5:8081/--/x", "exp://", 0));
	assert_true(origin_match("exp://192.168.1.5:8081/--/x", "exp://**",
	    0));
	assert_true(origin_match("exp://192.168.1.5:8081/--/x",
	    "exp://192.168.*.*:*/**", 0));
	assert_true(origin_match("exp://192.168.1.5:8081",
	    "exp://192.168.*.*:*/**", 0));
	assert_false(origin_match("exp://192.168.1.5.evil.com:8081/x",
	    "exp://192.168.*.*:*/**", 0));
	/* host-only glob over a custom URL's host */
	assert_true(origin_match("exp://192.168.1.5:8081/--/x",
	    "192.168.*.*:*", 0));
	/* never control characters, never script URLs */
	assert_false(origin_match("myapp://x\r\nSet-Cookie: a=b", "myapp://",
	    0));
	assert_false(origin_match("myapp://x/\ty", "myapp://", 0));
	assert_false(origin_match("javascript:alert(1)", "javascript:", 0));
	assert_false(origin_match("JavaScript://x/%0aalert(1)", "javascript://",
	    0));
	assert_false(origin_match("data:text/html,x", "data:", 0));
}

/* ---- decision 13: the trusted list of a branch ---- */

static void
test_trusted_list(void **state)
{
	struct fix	*f = *state;
	struct request	*r = &f->r;

	assert_true(origin_trusted(r, "http://127.0.0.1:8080", 0));
	assert_true(origin_trusted(r, "https://app.example.com/x", 0));
	assert_true(origin_trusted(r, "https://pr-1.preview.example.com", 0));
	assert_true(origin_trusted(r, "myapp://cb", 0));
	assert_false(origin_trusted(r, "https://evil.com", 0));
	assert_true(origin_trusted(r, "/dash", 1));
	assert_false(origin_trusted(r, "/dash", 0));
	assert_false(origin_trusted(r, "", 1));
	assert_false(origin_trusted(r, NULL, 1));

	/* allow_localhost: localhost, 127.0.0.1, [::1], any port */
	assert_true(origin_trusted(r, "http://localhost:5173", 0));
	assert_true(origin_trusted(r, "https://localhost", 0));
	assert_true(origin_trusted(r, "http://LOCALHOST:3000/cb", 0));
	assert_true(origin_trusted(r, "http://127.0.0.1:3000", 0));
	assert_true(origin_trusted(r, "http://127.0.0.1", 0));
	assert_true(origin_trusted(r, "http://[::1]:4000", 0));
	assert_true(origin_trusted(r, "https://[0::1]", 0));
	assert_false(origin_trusted(r, "ftp://localhost", 0));
	assert_false(origin_trusted(r, "myscheme://localhost", 0));
	assert_false(origin_trusted(r, "http://localhost.evil.com", 0));
	assert_false(origin_trusted(r, "http://evil.localhost", 0));
	assert_false(origin_trusted(r, "http://127.0.0.2:3000", 0));
	assert_false(origin_trusted(r, "http://[::2]", 0));

	f->cfg.allow_localhost = 0;
	assert_false(origin_trusted(r, "http://localhost:5173", 0));
	assert_false(origin_trusted(r, "http://127.0.0.1:3000", 0));
	assert_true(origin_trusted(r, "http://127.0.0.1:8080/x", 0));

	/* no configuration loaded: the branch origin only */
	r->bcfg = NULL;
	assert_true(origin_trusted(r, "http://127.0.0.1:8080", 0));
	assert_false(origin_trusted(r, "https://app.example.com", 0));
	assert_false(origin_trusted(r, "http://localhost:5173", 0));
}

/* ---- §6.2 router-level check ---- */

static json_object *
body(const char *json)
{
	json_object	*o = json_tokener_parse(json);

	assert_non_null(o);
	return (o);
}

/* run origin_check on a fresh reply; returns its result */
static int
check(struct fix *f, const char *json)
{
	json_object	*b = json ? body(json) : NULL;
	enum err	 e;
	int		 rc;

	f->r.status = 0;
	f->r.reply_body = NULL;
	f->r.headers = f->r.headers_tail = NULL;
	e = origin_check(&f->r, b);
	rc = e == ERR_NONE ? 0 : -1;
	if (rc == -1)
		reply_err(&f->r, e);
	if (b)
		json_object_put(b);
	return (rc);
}

static void
reset_hdrs(struct fix *f)
{
	f->nh = 0;
	f->params[0] = NULL;
}

static void
test_check_origin_part(void **state)
{
	struct fix	*f = *state;

	/* GET, HEAD, OPTIONS: nothing is checked */
	set_hdr("HTTP_COOKIE", "a=b");
	set_hdr("HTTP_ORIGIN", "https://evil.com");
	f->r.method = "GET";
	assert_int_equal(check(f, "{\"callbackURL\":\"https://evil.com\"}"),
	    0);
	f->r.method = "HEAD";
	assert_int_equal(check(f, NULL), 0);
	f->r.method = "OPTIONS";
	assert_int_equal(check(f, NULL), 0);
	f->r.method = "POST";

	/* cookie + untrusted Origin */
	assert_int_equal(check(f, NULL), -1);
	assert_reply(&f->r, 403,
	    "{\"message\":\"Invalid origin\",\"code\":\"INVALID_ORIGIN\"}");
	assert_string_equal(reply_hdr(&f->r, "Content-Type"),
	    "application/json");
	/* the origin error wins over a bad callbackURL */
	assert_int_equal(check(f, "{\"callbackURL\":\"https://evil.com\"}"),
	    -1);
	assert_reply(&f->r, 403,
	    "{\"message\":\"Invalid origin\",\"code\":\"INVALID_ORIGIN\"}");

	/* cookie, no Origin, no Referer */
	reset_hdrs(f);
	set_hdr("HTTP_COOKIE", "a=b");
	assert_int_equal(check(f, NULL), -1);
	assert_reply(&f->r, 403, "{\"message\":\"Missing or null Origin\","
	    "\"code\":\"MISSING_OR_NULL_ORIGIN\"}");
	/* an empty Cookie header still counts as cookies */
	reset_hdrs(f);
	set_hdr("HTTP_COOKIE", "");
	assert_int_equal(check(f, NULL), -1);
	assert_int_equal(f->r.status, 403);
	/* empty Origin counts as missing */
	set_hdr("HTTP_ORIGIN", "");
	assert_int_equal(check(f, NULL), -1);
	assert_reply(&f->r, 403, "{\"message\":\"Missing or null Origin\","
	    "\"code\":\"MISSING_OR_NULL_ORIGIN\"}");

	/* Origin: null */
	reset_hdrs(f);
	set_hdr("HTTP_COOKIE", "a=b");
	set_hdr("HTTP_ORIGIN", "null");
	set_hdr("HTTP_REFERER", "https://app.example.com/p");
	assert_int_equal(check(f, NULL), -1);
	assert_reply(&f->r, 403, "{\"message\":\"Missing or null Origin\","
	    "\"code\":\"MISSING_OR_NULL_ORIGIN\"}");
	/* ... with Sec-Fetch-Site: same-origin stands for our own origin */
	set_hdr("HTTP_SEC_FETCH_SITE", "same-origin");
	assert_int_equal(check(f, NULL), 0);
	reset_hdrs(f);
	set_hdr("HTTP_COOKIE", "a=b");
	set_hdr("HTTP_ORIGIN", "null");
	set_hdr("HTTP_SEC_FETCH_SITE", "same-site");
	assert_int_equal(check(f, NULL), -1);

	/* Referer when there is no Origin */
	reset_hdrs(f);
	set_hdr("HTTP_COOKIE", "a=b");
	set_hdr("HTTP_REFERER", "https://app.example.com/page?x=1");
	assert_int_equal(check(f, NULL), 0);
	reset_hdrs(f);
	set_hdr("HTTP_COOKIE", "a=b");
	set_hdr("HTTP_REFERER", "https://evil.com/page");
	assert_int_equal(check(f, NULL), -1);
	assert_reply(&f->r, 403,
	    "{\"message\":\"Invalid origin\",\"code\":\"INVALID_ORIGIN\"}");

	/* trusted origins: listed, own, localhost */
	reset_hdrs(f);
	set_hdr("HTTP_COOKIE", "a=b");
	set_hdr("HTTP_ORIGIN", "https://app.example.com");
	assert_int_equal(check(f, NULL), 0);
	set_val(1, "http://127.0.0.1:8080");
	assert_int_equal(check(f, NULL), 0);
	set_val(1, "http://localhost:3000");
	assert_int_equal(check(f, NULL), 0);
	/* relative is never an origin */
	set_val(1, "/x");
	assert_int_equal(check(f, NULL), -1);
	assert_int_equal(f->r.status, 403);

	/* no cookie: bearer or server-to-server, Origin not looked at */
	reset_hdrs(f);
	set_hdr("HTTP_AUTHORIZATION", "Bearer abc");
	set_hdr("HTTP_ORIGIN", "https://evil.com");
	assert_int_equal(check(f, NULL), 0);
	reset_hdrs(f);
	assert_int_equal(check(f, NULL), 0);
}

static void
test_check_url_part(void **state)
{
	struct fix	*f = *state;

	/* no cookie: only the URL checks */
	assert_int_equal(check(f, "{\"callbackURL\":\"/dashboard\"}"), 0);
	assert_int_equal(check(f,
	    "{\"callbackURL\":\"https://app.example.com/welcome\"}"), 0);
	assert_int_equal(check(f, "{\"callbackURL\":\"https://evil.com\"}"),
	    -1);
	assert_reply(&f->r, 403, "{\"message\":\"Invalid callbackURL\","
	    "\"code\":\"INVALID_CALLBACK_URL\"}");
	assert_int_equal(check(f, "{\"callbackURL\":\"//evil.com\"}"), -1);
	assert_int_equal(f->r.status, 403);
	assert_int_equal(check(f, "{\"redirectTo\":\"https://evil.com\"}"),
	    -1);
	assert_reply(&f->r, 403, "{\"message\":\"Invalid redirectURL\","
	    "\"code\":\"INVALID_REDIRECT_URL\"}");
	assert_int_equal(check(f,
	    "{\"errorCallbackURL\":\"https://evil.com\"}"), -1);
	assert_reply(&f->r, 403, "{\"message\":\"Invalid errorCallbackURL\","
	    "\"code\":\"INVALID_ERROR_CALLBACK_URL\"}");
	assert_int_equal(check(f,
	    "{\"newUserCallbackURL\":\"https://evil.com\"}"), -1);
	assert_reply(&f->r, 403, "{\"message\":\"Invalid newUserCallbackURL\","
	    "\"code\":\"INVALID_NEW_USER_CALLBACK_URL\"}");
	/* first failing field wins, in Better Auth's order */
	assert_int_equal(check(f, "{\"callbackURL\":\"/ok\","
	    "\"newUserCallbackURL\":\"https://evil.com\","
	    "\"redirectTo\":\"https://evil.com\"}"), -1);
	assert_reply(&f->r, 403, "{\"message\":\"Invalid redirectURL\","
	    "\"code\":\"INVALID_REDIRECT_URL\"}");
	assert_int_equal(check(f, "{\"callbackURL\":\"/a\",\"redirectTo\":"
	    "\"/b\",\"errorCallbackURL\":\"http://localhost:3000/e\","
	    "\"newUserCallbackURL\":\"myapp://new\"}"), 0);

	/* non-strings: 400, message only, Better Auth's labels */
	assert_int_equal(check(f, "{\"callbackURL\":123}"), -1);
	assert_reply(&f->r, 400,
	    "{\"message\":\"Invalid callbackURL: expected a string\"}");
	assert_int_equal(check(f, "{\"redirectTo\":{}}"), -1);
	assert_reply(&f->r, 400,
	    "{\"message\":\"Invalid redirectURL: expected a string\"}");
	assert_int_equal(check(f, "{\"errorCallbackURL\":[]}"), -1);
	assert_reply(&f->r, 400,
	    "{\"message\":\"Invalid errorCallbackURL: expected a string\"}");
	assert_int_equal(check(f, "{\"newUserCallbackURL\":true}"), -1);
	assert_reply(&f->r, 400,
	    "{\"message\":\"Invalid newUserCallbackURL: expected a string\"}");
	/* falsy values are absent */
	assert_int_equal(check(f, "{\"callbackURL\":\"\",\"redirectTo\":null,"
	    "\"errorCallbackURL\":false,\"newUserCallbackURL\":0}"), 0);
	/* a non-object body has no fields */
	assert_int_equal(check(f, "[\"https://evil.com\"]"), 0);
	assert_int_equal(check(f, "\"https://evil.com\""), 0);
}

static void
test_check_query_callback(void **state)
{
	struct fix	*f = *state;

	f->r.query = STR("callbackURL=https%3A%2F%2Fevil.com&x=1");
	assert_int_equal(check(f, NULL), -1);
	assert_reply(&f->r, 403, "{\"message\":\"Invalid callbackURL\","
	    "\"code\":\"INVALID_CALLBACK_URL\"}");
	/* body.callbackURL wins over the query */
	assert_int_equal(check(f, "{\"callbackURL\":\"/ok\"}"), 0);
	/* falsy body value falls back to the query */
	assert_int_equal(check(f, "{\"callbackURL\":\"\"}"), -1);
	assert_int_equal(f->r.status, 403);
	f->r.query = STR("callbackURL=https%3A%2F%2Fapp.example.com%2Fx");
	assert_int_equal(check(f, NULL), 0);
	f->r.query = STR("a=1&callbackURL=%2Fdash+board");
	assert_int_equal(check(f, NULL), 0);
	f->r.query = STR("callbackURL=%2F%2Fevil.com");
	assert_int_equal(check(f, NULL), -1);
	f->r.query = STR("callbackURL=");
	assert_int_equal(check(f, NULL), 0);
	f->r.query = STR("callbackURL");
	assert_int_equal(check(f, NULL), 0);
	/* a repeated key is an array */
	f->r.query = STR("callbackURL=/a&callbackURL=/b");
	assert_int_equal(check(f, NULL), -1);
	assert_reply(&f->r, 400,
	    "{\"message\":\"Invalid callbackURL: expected a string\"}");
	/* only callbackURL is read from the query */
	f->r.query = STR("redirectTo=https://evil.com");
	assert_int_equal(check(f, NULL), 0);
	f->r.query = STR("");
}

/* ---- §6.3 form CSRF ---- */

static int
csrf(struct fix *f)
{
	f->r.status = 0;
	f->r.reply_body = NULL;
	f->r.headers = f->r.headers_tail = NULL;
	enum err	 e = origin_form_csrf(&f->r);

	if (e == ERR_NONE)
		return (0);
	reply_err(&f->r, e);
	return (-1);
}

static void
test_form_csrf(void **state)
{
	struct fix	*f = *state;

	/* curl, server-to-server: nothing to go on, allowed */
	assert_int_equal(csrf(f), 0);

	/* cookies: the full origin check */
	set_hdr("HTTP_COOKIE", "a=b");
	assert_int_equal(csrf(f), -1);
	assert_reply(&f->r, 403, "{\"message\":\"Missing or null Origin\","
	    "\"code\":\"MISSING_OR_NULL_ORIGIN\"}");
	set_hdr("HTTP_ORIGIN", "https://app.example.com");
	assert_int_equal(csrf(f), 0);

	/* fetch metadata: cross-site navigation is blocked */
	reset_hdrs(f);
	set_hdr("HTTP_SEC_FETCH_SITE", "cross-site");
	set_hdr("HTTP_SEC_FETCH_MODE", "navigate");
	set_hdr("HTTP_SEC_FETCH_DEST", "document");
	set_hdr("HTTP_ORIGIN", "https://app.example.com");
	assert_int_equal(csrf(f), -1);
	assert_reply(&f->r, 403, "{\"message\":\"Cross-site navigation login "
	    "blocked. This request appears to be a CSRF attack.\","
	    "\"code\":\"CROSS_SITE_NAVIGATION_LOGIN_BLOCKED\"}");
	/* other metadata: forced origin check */
	set_val(1, "cors");
	assert_int_equal(csrf(f), 0);
	set_val(3, "https://evil.com");
	assert_int_equal(csrf(f), -1);
	assert_reply(&f->r, 403,
	    "{\"message\":\"Invalid origin\",\"code\":\"INVALID_ORIGIN\"}");
	/* Node's fetch sends sec-fetch-mode: cors and no Origin */
	reset_hdrs(f);
	set_hdr("HTTP_SEC_FETCH_MODE", "cors");
	assert_int_equal(csrf(f), -1);
	assert_reply(&f->r, 403, "{\"message\":\"Missing or null Origin\","
	    "\"code\":\"MISSING_OR_NULL_ORIGIN\"}");
	/* same-origin navigation with a trusted Referer */
	reset_hdrs(f);
	set_hdr("HTTP_SEC_FETCH_SITE", "same-origin");
	set_hdr("HTTP_SEC_FETCH_MODE", "navigate");
	set_hdr("HTTP_REFERER", "http://127.0.0.1:8080/login");
	assert_int_equal(csrf(f), 0);
	/* blank metadata counts as none */
	reset_hdrs(f);
	set_hdr("HTTP_SEC_FETCH_SITE", "  ");
	assert_int_equal(csrf(f), 0);

	/* no metadata, but Origin or Referer: forced check */
	reset_hdrs(f);
	set_hdr("HTTP_ORIGIN", "https://evil.com");
	assert_int_equal(csrf(f), -1);
	assert_int_equal(f->r.status, 403);
	reset_hdrs(f);
	set_hdr("HTTP_REFERER", "https://evil.com/x");
	assert_int_equal(csrf(f), -1);
	reset_hdrs(f);
	set_hdr("HTTP_REFERER", "https://app.example.com/x");
	assert_int_equal(csrf(f), 0);
	reset_hdrs(f);
	set_hdr("HTTP_ORIGIN", "null");
	assert_int_equal(csrf(f), -1);
	assert_reply(&f->r, 403, "{\"message\":\"Missing or null Origin\","
	    "\"code\":\"MISSING_OR_NULL_ORIGIN\"}");
}

/* ---- §6.4 GET callbackURL ---- */

static void
test_query_callback_get(void **state)
{
	struct fix	*f = *state;

	f->r.method = "GET";
	f->r.query = STR("token=abc");
	assert_int_equal(origin_check_query_callback(&f->r), ERR_NONE);
	f->r.query = STR("token=abc&callbackURL=%2Fverified");
	assert_int_equal(origin_check_query_callback(&f->r), ERR_NONE);
	f->r.query = STR("callbackURL=http%3A%2F%2Flocalhost%3A5173%2Fok");
	assert_int_equal(origin_check_query_callback(&f->r), ERR_NONE);
	f->r.query = STR("callbackURL=");
	assert_int_equal(origin_check_query_callback(&f->r), ERR_NONE);
	f->r.query = STR("token=abc&callbackURL=https%3A%2F%2Fevil.com");
	assert_int_equal(origin_check_query_callback(&f->r),
	    ERR_INVALID_CALLBACK_URL);
	reply_err(&f->r, ERR_INVALID_CALLBACK_URL);
	assert_reply(&f->r, 403, "{\"message\":\"Invalid callbackURL\","
	    "\"code\":\"INVALID_CALLBACK_URL\"}");
}

/* ---- CORS ---- */

static void
test_cors_preflight(void **state)
{
	struct fix	*f = *state;

	f->r.method = "OPTIONS";
	set_hdr("HTTP_ORIGIN", "https://app.example.com");
	set_hdr("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "POST");
	set_hdr("HTTP_ACCESS_CONTROL_REQUEST_HEADERS",
	    "content-type,x-neon-client-info");
	assert_int_equal(cors_preflight(&f->r), 1);
	assert_int_equal(f->r.status, 204);
	assert_int_equal(f->r.reply_len, 0);
	assert_null(reply_hdr(&f->r, "Content-Type"));
	assert_string_equal(reply_hdr(&f->r, "Access-Control-Allow-Origin"),
	    "https://app.example.com");
	assert_string_equal(reply_hdr(&f->r,
	    "Access-Control-Allow-Credentials"), "true");
	assert_string_equal(reply_hdr(&f->r, "Access-Control-Allow-Methods"),
	    "GET, POST, OPTIONS");
	assert_string_equal(reply_hdr(&f->r, "Access-Control-Allow-Headers"),
	    "content-type, authorization, x-neon-client-info, x-force-fetch, "
	    "x-neon-ret-request-id");
	assert_string_equal(reply_hdr(&f->r, "Access-Control-Max-Age"), "600");
	assert_string_equal(reply_hdr(&f->r, "Vary"), "Origin, "
	    "Access-Control-Request-Method, Access-Control-Request-Headers");
	assert_null(reply_hdr(&f->r, "Access-Control-Allow-Private-Network"));
	assert_int_equal(nhdrs(&f->r), 6);
	/* cors_headers after a preflight adds nothing */
	cors_headers(&f->r);
	assert_int_equal(nhdrs(&f->r), 6);
	assert_null(f->r.expose);

	/* private network access */
	f->r.headers = f->r.headers_tail = NULL;
	set_hdr("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK", "true");
	assert_int_equal(cors_preflight(&f->r), 1);
	assert_string_equal(reply_hdr(&f->r,
	    "Access-Control-Allow-Private-Network"), "true");

	/* localhost under allow_localhost */
	reset_hdrs(f);
	f->r.headers = f->r.headers_tail = NULL;
	set_hdr("HTTP_ORIGIN", "http://localhost:5173");
	assert_int_equal(cors_preflight(&f->r), 1);
	assert_string_equal(reply_hdr(&f->r, "Access-Control-Allow-Origin"),
	    "http://localhost:5173");

	/* untrusted, null, missing, unsafe: bare 204 */
	set_val(0, "https://evil.com");
	f->r.headers = f->r.headers_tail = NULL;
	assert_int_equal(cors_preflight(&f->r), 0);
	assert_int_equal(f->r.status, 204);
	assert_int_equal(nhdrs(&f->r), 1);
	assert_non_null(reply_hdr(&f->r, "Vary"));
	set_val(0, "null");
	f->r.headers = f->r.headers_tail = NULL;
	assert_int_equal(cors_preflight(&f->r), 0);
	assert_int_equal(nhdrs(&f->r), 1);
	set_val(0, "https://app.example.com\r\nX-Evil: 1");
	f->r.headers = f->r.headers_tail = NULL;
	assert_int_equal(cors_preflight(&f->r), 0);
	assert_int_equal(nhdrs(&f->r), 1);
	reset_hdrs(f);
	f->r.headers = f->r.headers_tail = NULL;
	assert_int_equal(cors_preflight(&f->r), 0);
	assert_int_equal(nhdrs(&f->r), 1);
}

static void
test_cors_headers(void **state)
{
	struct fix	*f = *state;

	f->r.method = "GET";
	set_hdr("HTTP_ORIGIN", "https://pr-7.preview.example.com");
	reply_json_str(&f->r, 200, "{\"ok\":true}");
	cors_headers(&f->r);
	assert_string_equal(reply_hdr(&f->r, "Access-Control-Allow-Origin"),
	    "https://pr-7.preview.example.com");
	assert_string_equal(reply_hdr(&f->r,
	    "Access-Control-Allow-Credentials"), "true");
	assert_string_equal(reply_hdr(&f->r, "Vary"), "Origin");
	assert_non_null(f->r.expose);
	assert_non_null(strstr(f->r.expose, "set-auth-jwt"));
	assert_non_null(strstr(f->r.expose, "set-auth-token"));
	assert_non_null(strstr(f->r.expose, "x-retry-after"));
	/* idempotent */
	cors_headers(&f->r);
	assert_int_equal(nhdrs(&f->r), 4);
	/* headers added before the reply survive the error reply */
	reply_err(&f->r, ERR_INVALID_ORIGIN);
	assert_non_null(reply_hdr(&f->r, "Access-Control-Allow-Origin"));

	/* untrusted: only Vary */
	f->r.headers = f->r.headers_tail = NULL;
	f->r.expose = NULL;
	set_val(0, "https://evil.com");
	cors_headers(&f->r);
	assert_int_equal(nhdrs(&f->r), 1);
	assert_string_equal(reply_hdr(&f->r, "Vary"), "Origin");
	assert_null(f->r.expose);
	/* no Origin at all: only Vary */
	reset_hdrs(f);
	f->r.headers = f->r.headers_tail = NULL;
	cors_headers(&f->r);
	assert_int_equal(nhdrs(&f->r), 1);
	/* some other Vary does not stop CORS */
	f->r.headers = f->r.headers_tail = NULL;
	reply_header_add(&f->r, "Vary", "Cookie");
	set_hdr("HTTP_ORIGIN", "https://app.example.com");
	cors_headers(&f->r);
	assert_non_null(reply_hdr(&f->r, "Access-Control-Allow-Origin"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_httpc_parse),
		cmocka_unit_test(test_match_spec_examples),
		cmocka_unit_test(test_match_exact),
		cmocka_unit_test(test_match_relative),
		cmocka_unit_test(test_match_globs),
		cmocka_unit_test(test_match_custom_schemes),
		cmocka_unit_test_setup_teardown(test_trusted_list, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_origin_part, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_url_part, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_query_callback,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_csrf, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_query_callback_get, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cors_preflight, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cors_headers, setup,
		    teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
