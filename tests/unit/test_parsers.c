/*
 * test_parsers.c -- unit tests for the parsers that see attacker bytes and
 * that only end-to-end tests reached before: the Cookie header (cookie.c),
 * percent and form decoding (url.c), ISO dates both ways (clock.c), UTF-8
 * validity (text.c), the record writers against json-c (record.c), and the
 * error table and its renderer (errors.def, error.c).
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

#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/cookie.h"
#include "http/error.h"
#include "http/request.h"
#include "lib/arena.h"
#include "lib/clock.h"
#include "lib/json.h"
#include "lib/text.h"
#include "lib/url.h"
#include "store/record.h"

/* a request whose only FastCGI parameter is the Cookie header */
struct fix {
	struct arena		 a;
	struct request		 r;
	struct request_env	 env;
	struct branch		 br;
	struct branchcfg	 cfg;
	char			*params[2];
};

static struct fix *
fix_new(const char *cookie)
{
	struct fix	*f = calloc(1, sizeof(*f));

	assert_non_null(f);
	arena_init(&f->a, 4096);
	f->r.a = &f->a;
	f->env.secret = "a-very-long-secret-value-for-testing-purposes-1234567890";
	f->r.env = &f->env;
	f->br.name = "main";
	f->r.branch = &f->br;
	snprintf(f->cfg.cookie_prefix, sizeof(f->cfg.cookie_prefix), "%s",
	    "neon-auth");
	f->r.bcfg = &f->cfg;
	if (cookie != NULL)
		f->params[0] = arena_printf(&f->a, "HTTP_COOKIE=%s", cookie);
	f->r.params = f->params;
	return (f);
}

static void
fix_free(struct fix *f)
{
	arena_free(&f->a);
	free(f);
}

static void
expect_cookie(const char *header, const char *name, const char *want)
{
	struct fix	*f = fix_new(header);
	char		*got = cookie_get(&f->r, name);

	if (want == NULL) {
		if (got != NULL)
			fail_msg("%s in [%s]: got [%s], want none", name,
			    header ? header : "(no header)", got);
	} else {
		if (got == NULL || strcmp(got, want) != 0)
			fail_msg("%s in [%s]: got [%s], want [%s]", name,
			    header ? header : "(no header)",
			    got ? got : "(none)", want);
	}
	fix_free(f);
}

static void
test_cookie_header(void **state)
{
	(void)state;
	expect_cookie(NULL, "a", NULL);
	expect_cookie("", "a", NULL);
	expect_cookie("a=1", "a", "1");
	expect_cookie("a=1; b=2", "b", "2");
	expect_cookie("a=1;b=2", "b", "2");
	expect_cookie(" \ta = 1 ; b=2", "a", "1");
	/* the first of two wins, as browsers send the most specific first */
	expect_cookie("a=1; a=2", "a", "1");
	/* names are exact: no prefix, no case folding */
	expect_cookie("ab=1; a=2", "a", "2");
	expect_cookie("A=1", "a", NULL);
	expect_cookie("xa=1", "a", NULL);
	/* quoted values lose their quotes; a lone quote stays */
	expect_cookie("a=\"v\"", "a", "v");
	expect_cookie("a=\"", "a", "\"");
	expect_cookie("a=\"\"", "a", "");
	/* percent-decoded, '+' kept (not a form) */
	expect_cookie("a=x%2Ey%3Dz+w", "a", "x.y=z+w");
	expect_cookie("a=%zz", "a", "%zz");
	/* junk between the pairs is skipped */
	expect_cookie(";;; novalue; a=1", "a", "1");
	expect_cookie("=; a=1", "a", "1");
	expect_cookie("a=", "a", "");
	expect_cookie("a==b", "a", "=b");
}

static void
test_cookie_signed(void **state)
{
	struct fix	*f;
	char		*v, *sig, *hdr;

	(void)state;
	/* the vector of spec/style.md §2.11 */
	f = fix_new(NULL);
	sig = cookie_sign(&f->r, "Mzswhm3eXfiqKJxoecQMLedSYDo9q2Ym");
	assert_string_equal(sig, "Mzswhm3eXfiqKJxoecQMLedSYDo9q2Ym."
	    "sgBR1fOqOCYVxENtAneVOVj5o9hI+KV1EZwacYEodZk=");
	/* outlives f's arena (ASan found the header read after its free) */
	hdr = strdup(arena_printf(&f->a, "neon-auth.session_token=%s",
	    url_encode(&f->a, sig)));
	assert_non_null(hdr);
	fix_free(f);

	f = fix_new(hdr);
	assert_int_equal(cookie_get_signed(&f->r, "neon-auth.session_token",
	    &v), 1);
	assert_string_equal(v, "Mzswhm3eXfiqKJxoecQMLedSYDo9q2Ym");
	fix_free(f);
	free(hdr);

	/* tampered, truncated, unsigned: not valid, never a value */
	f = fix_new("t=Mzswhm3eXfiqKJxoecQMLedSYDo9q2Yn.sgBR1fOqOCYVxENtAneVO"
	    "Vj5o9hI%2BKV1EZwacYEodZk%3D; u=abc.def; w=plain");
	assert_int_not_equal(cookie_get_signed(&f->r, "t", &v), 1);
	assert_null(v);
	assert_int_not_equal(cookie_get_signed(&f->r, "u", &v), 1);
	assert_int_not_equal(cookie_get_signed(&f->r, "w", &v), 1);
	assert_int_not_equal(cookie_get_signed(&f->r, "missing", &v), 1);
	fix_free(f);
}

static void
test_cookie_chunked(void **state)
{
	struct fix	*f;
	char		*v;
	int		 n;

	(void)state;
	f = fix_new("c.0=ab; c.1=cd; c.2=ef; d=whole");
	v = cookie_get_chunked(&f->r, "c", &n);
	assert_string_equal(v, "abcdef");
	assert_int_equal(n, 3);
	v = cookie_get_chunked(&f->r, "d", &n);
	assert_string_equal(v, "whole");
	assert_int_equal(n, 0);
	/* a gap ends the chunks */
	fix_free(f);
	f = fix_new("c.0=ab; c.2=ef");
	v = cookie_get_chunked(&f->r, "c", &n);
	assert_string_equal(v, "ab");
	assert_int_equal(n, 1);
	assert_null(cookie_get_chunked(&f->r, "none", &n));
	fix_free(f);
}

static void
test_url_decode(void **state)
{
	struct arena	 a;
	char		 out[64];
	const char	*p, *end;
	char		*k, *v;
	int		 n;

	(void)state;
	arena_init(&a, 1024);
	assert_int_equal(url_pct_decode("a%20b+c", 7, out, 1, 1), 0);
	assert_string_equal(out, "a b c");
	assert_int_equal(url_pct_decode("a%20b+c", 7, out, 0, 1), 0);
	assert_string_equal(out, "a b+c");
	/* malformed escapes: copied, or refused when strict */
	assert_int_equal(url_pct_decode("%", 1, out, 0, 0), 0);
	assert_string_equal(out, "%");
	assert_int_equal(url_pct_decode("%4", 2, out, 0, 1), -1);
	assert_int_equal(url_pct_decode("%g0", 3, out, 0, 1), -1);
	assert_int_equal(url_pct_decode("%4a%4A", 6, out, 0, 1), 0);
	assert_string_equal(out, "JJ");
	/* a NUL byte decodes into the buffer (callers see a C string) */
	assert_string_equal(url_decode(&a, "x%00y", 5, 0), "x");
	assert_string_equal(url_encode(&a, "a b/é~!*'()-_."),
	    "a%20b%2F%C3%A9~!*'()-_.");

	/* form pairs: empty pairs skipped, a key without '=' has "" */
	p = "a=1&&b&c=x%3Dy+z&=v";
	end = p + strlen(p);
	assert_int_equal(url_pair_next(&a, &p, end, &k, &v), 1);
	assert_string_equal(k, "a");
	assert_string_equal(v, "1");
	assert_int_equal(url_pair_next(&a, &p, end, &k, &v), 1);
	assert_string_equal(k, "b");
	assert_string_equal(v, "");
	assert_int_equal(url_pair_next(&a, &p, end, &k, &v), 1);
	assert_string_equal(k, "c");
	assert_string_equal(v, "x=y z");
	assert_int_equal(url_pair_next(&a, &p, end, &k, &v), 1);
	assert_string_equal(k, "");
	assert_string_equal(v, "v");
	assert_int_equal(url_pair_next(&a, &p, end, &k, &v), 0);

	/* the query lookup: first value, and the count */
	assert_string_equal(url_query_get(&a, "x=1&x=2", 7, "x", &n), "1");
	assert_int_equal(n, 2);
	assert_null(url_query_get(&a, "x=1", 3, "y", &n));
	assert_int_equal(n, 0);
	assert_null(url_query_get(&a, NULL, 0, "y", NULL));
	arena_free(&a);
}

static void
test_iso_parse(void **state)
{
	struct arena	 a;
	int64_t		 ms;

	(void)state;
	arena_init(&a, 1024);
	for (ms = -86400000LL * 400; ms < 86400000LL * 40000;
	    ms += 86400000LL * 97 + 3600000LL * 7 + 61001)
		assert_int_equal(clock_iso_parse(clock_iso(&a, ms)), ms);
	assert_int_equal(clock_iso_parse("1970-01-01T00:00:00.000Z"), 0);
	assert_int_equal(clock_iso_parse("2026-11-27T13:45:13.422Z"),
	    1795787113422LL);
	assert_int_equal(clock_iso_parse(NULL), -1);
	assert_int_equal(clock_iso_parse(""), -1);
	assert_int_equal(clock_iso_parse("2026-11-27T13:45:13Z"), -1);
	assert_int_equal(clock_iso_parse("2026-11-27T13:45:13.422Zx"), -1);
	assert_int_equal(clock_iso_parse("2026-11-27 13:45:13.422Z"), -1);
	arena_free(&a);
}

static void
test_utf8(void **state)
{
	static const struct {
		const char	*s;
		size_t		 n;
		int		 ok;
	} v[] = {
		{ "", 0, 1 },
		{ "plain", 5, 1 },
		{ "caf\xc3\xa9", 5, 1 },
		{ "\xe2\x82\xac", 3, 1 },
		{ "\xf0\x9f\x98\x80", 4, 1 },
		{ "\xf4\x8f\xbf\xbf", 4, 1 },		/* U+10FFFF */
		{ "\x80", 1, 0 },			/* lone continuation */
		{ "\xc3", 1, 0 },			/* truncated */
		{ "\xc0\xaf", 2, 0 },			/* overlong '/' */
		{ "\xe0\x80\xaf", 3, 0 },		/* overlong */
		{ "\xed\xa0\x80", 3, 0 },		/* surrogate U+D800 */
		{ "\xf4\x90\x80\x80", 4, 0 },		/* above U+10FFFF */
		{ "\xf8\x88\x80\x80\x80", 5, 0 },	/* 5-byte form */
		{ "a\xc3(b", 4, 0 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (text_utf8_valid(v[i].s, v[i].n) != v[i].ok)
			fail_msg("case %zu: want %d", i, v[i].ok);
	assert_int_equal(text_js_length("\xf0\x9f\x98\x80" "a\xc3\xa9", 7), 4);
}

/* the writer's output parsed by json-c and written back is the same text */
static void
roundtrip(struct arena *a, const char *text, const char *const *keys)
{
	json_object	*o = json_tokener_parse(text);
	json_object_iter it;
	size_t		 i = 0;

	(void)a;
	if (o == NULL)
		fail_msg("not JSON: %s", text);
	json_object_object_foreachC(o, it) {
		if (keys[i] == NULL || strcmp(keys[i], it.key) != 0)
			fail_msg("key %zu is %s, want %s", i, it.key,
			    keys[i] ? keys[i] : "(end)");
		i++;
	}
	assert_null(keys[i]);
	assert_string_equal(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), text);
	json_object_put(o);
}

static void
test_records(void **state)
{
	static const char *const ukeys[] = { "name", "email", "emailVerified",
	    "image", "createdAt", "updatedAt", "role", "banned", "banReason",
	    "banExpires", "id", NULL };
	static const char *const skeys[] = { "expiresAt", "token", "createdAt",
	    "updatedAt", "ipAddress", "userAgent", "userId", "impersonatedBy",
	    "activeOrganizationId", "id", NULL };
	struct arena		 a;
	struct jbuf		 b;
	struct user_rec		 u;
	struct session_rec	 s;
	char			*t;

	(void)state;
	arena_init(&a, 4096);
	memset(&u, 0, sizeof(u));
	u.id = "0b7c5f8e-1d2a-4e3b-9c4d-5e6f7a8b9c0d";
	u.name = "Zoë \"Q\" \\ </script> \x01\xe2\x80\xa8";
	u.email = "zoe@example.com";
	u.email_verified = 1;
	u.created_at = u.updated_at = "2026-11-27T13:45:13.422Z";
	u.role = "user";
	u.banned = -1;
	jb_init(&b, &a, 16);
	user_write(&b, &u);
	t = jb_done(&b);
	roundtrip(&a, t, ukeys);
	assert_non_null(strstr(t, "\"image\":null"));
	assert_non_null(strstr(t, "\"banned\":null"));
	u.banned = 1;
	u.ban_reason = "spam";
	jb_init(&b, &a, 16);
	user_write(&b, &u);
	roundtrip(&a, jb_done(&b), ukeys);

	memset(&s, 0, sizeof(s));
	s.id = "1b7c5f8e-1d2a-4e3b-9c4d-5e6f7a8b9c0d";
	s.token = "Mzswhm3eXfiqKJxoecQMLedSYDo9q2Ym";
	s.user_id = u.id;
	s.expires_at = s.created_at = s.updated_at = u.created_at;
	s.user_agent = "Mozilla/5.0 (X11; \"Linux\")";
	jb_init(&b, &a, 16);
	session_write(&b, &s);
	t = jb_done(&b);
	roundtrip(&a, t, skeys);
	/* unknown address and agent are "", not null (protocol.md §0.6) */
	s.user_agent = NULL;
	jb_init(&b, &a, 16);
	session_write(&b, &s);
	t = jb_done(&b);
	assert_non_null(strstr(t, "\"ipAddress\":\"\",\"userAgent\":\"\""));
	assert_non_null(strstr(t, "\"impersonatedBy\":null"));
	arena_free(&a);
}

static void
test_error_table(void **state)
{
	const struct err_info	*i, *j;
	struct arena		 a;
	struct request		 r;
	int			 e, f;
	const char		*p;

	(void)state;
	assert_null(err_info(ERR_NONE));
	assert_null(err_info(ERR__COUNT));
	for (e = 1; e < ERR__COUNT; e++) {
		i = err_info((enum err)e);
		assert_non_null(i);
		if (i->status < 400 || i->status > 599)
			fail_msg("%s: status %d", i->name, i->status);
		for (p = i->code; p != NULL && *p; p++)
			if (!(*p >= 'A' && *p <= 'Z') && *p != '_' &&
			    !(*p >= '0' && *p <= '9'))
				fail_msg("%s: code %s", i->name, i->code);
		for (f = 1; f < e; f++) {
			j = err_info((enum err)f);
			if (strcmp(i->name, j->name) == 0)
				fail_msg("%s twice", i->name);
			/* a variant row (CODE_401) keeps its code's message */
			if (i->code && j->code && strcmp(i->code, j->code) == 0 &&
			    strncmp(i->name, j->name, strlen(j->name)) == 0 &&
			    strcmp(i->message, j->message) != 0)
				fail_msg("%s: two messages", i->name);
		}
	}
	arena_init(&a, 1024);
	memset(&r, 0, sizeof(r));
	r.a = &a;
	reply_err(&r, ERR_SESSION_NOT_FRESH);
	assert_int_equal(r.status, 403);
	assert_string_equal(r.reply_body, "{\"message\":\"Session is not "
	    "fresh\",\"code\":\"SESSION_NOT_FRESH\"}");
	reply_err(&r, ERR_TOO_MANY_REQUESTS);
	assert_int_equal(r.status, 429);
	assert_string_equal(r.reply_body,
	    "{\"message\":\"Too many requests. Please try again later.\"}");
	reply_err(&r, err_msg(&r, ERR_FIELD_NOT_ALLOWED,
	    "role is not allowed to be set"));
	assert_string_equal(r.reply_body, "{\"message\":\"role is not allowed "
	    "to be set\",\"code\":\"FIELD_NOT_ALLOWED\"}");
	/* the built message does not leak into the next error */
	reply_err(&r, ERR_FIELD_NOT_ALLOWED);
	assert_string_equal(r.reply_body, "{\"message\":\"Field not allowed "
	    "to be set\",\"code\":\"FIELD_NOT_ALLOWED\"}");
	reply_err(&r, ERR_NOT_FOUND_EMPTY);
	assert_int_equal(r.status, 404);
	assert_int_equal(r.reply_len, 0);
	assert_string_equal(r.headers->value, "application/json");
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_header),
		cmocka_unit_test(test_cookie_signed),
		cmocka_unit_test(test_cookie_chunked),
		cmocka_unit_test(test_url_decode),
		cmocka_unit_test(test_iso_parse),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_error_table),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
