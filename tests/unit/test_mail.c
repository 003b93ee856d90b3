/*
 * test_mail.c -- unit tests for the pure parts of email: lib/mail.c
 * (templates, HTML escaping, RFC 2047 encoded words, quoted-printable,
 * the RFC 5322 date, the whole message), lib/spool.c (a queue file
 * written, read back, retried and retired), lib/smtp.c's settings
 * (security modes, default ports, loopback hosts), lib/url.c's
 * searchParams.set, and the mail sender's backoff.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/arena.h"
#include "lib/crypto.h"
#include "lib/mail.h"
#include "lib/smtp.h"
#include "lib/spool.h"
#include "lib/url.h"
#include "proc/mailer.h"

static struct arena	 A;

static int
setup(void **state)
{
	(void)state;
	arena_init(&A, 16384);
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	arena_free(&A);
	return (0);
}

static void
test_render(void **state)
{
	const struct mail_var	 vars[] = {
		{ "url", "https://x.example/?a=1&b=2" },
		{ "user_name", "<b>Bob</b> & 'Co' \"Q\"" },
		{ "otp", NULL },
		{ NULL, NULL },
	};

	(void)state;
	assert_string_equal(mail_render(&A, "Hi {{user_name}}: {{ url }}{{otp}}!",
	    vars, 0), "Hi <b>Bob</b> & 'Co' \"Q\": https://x.example/?a=1&b=2!");
	assert_string_equal(mail_render(&A, "<a href=\"{{url}}\">{{user_name}}</a>",
	    vars, 1), "<a href=\"https://x.example/?a=1&amp;b=2\">&lt;b&gt;Bob"
	    "&lt;/b&gt; &amp; &#39;Co&#39; &quot;Q&quot;</a>");
	/* unknown placeholders stay as written, a lone brace is text */
	assert_string_equal(mail_render(&A, "{{nope}} { {{", vars, 0),
	    "{{nope}} { {{");
}

static void
test_template_check(void **state)
{
	(void)state;
	assert_null(mail_template_check(&A, MAIL_RESET, "{{url}} {{app_name}} "
	    "{{ user_name }} {{email}} {{expires_minutes}}"));
	assert_non_null(mail_template_check(&A, MAIL_RESET, "{{otp}}"));
	assert_null(mail_template_check(&A, MAIL_OTP, "{{otp}} {{purpose}}"));
	assert_non_null(mail_template_check(&A, MAIL_OTP, "{{url}}"));
	assert_non_null(mail_template_check(&A, MAIL_MAGIC_LINK, "{{url"));
	assert_non_null(mail_template_check(&A, MAIL_VERIFICATION, "\xff"));
	assert_int_equal(mail_kind_parse("magic_link"), MAIL_MAGIC_LINK);
	assert_int_equal(mail_kind_parse("change_email"), MAIL_CHANGE_EMAIL);
	assert_int_equal(mail_kind_parse("delete_account"),
	    MAIL_DELETE_ACCOUNT);
	assert_int_equal(mail_kind_parse("magic-link"), -1);
	/* every built-in template uses only its own placeholders */
	for (int k = 0; k < MAIL_KIND_COUNT; k++) {
		const struct mail_template *t = mail_builtin(k);

		assert_null(mail_template_check(&A, k, t->subject));
		assert_null(mail_template_check(&A, k, t->text));
		assert_null(mail_template_check(&A, k, t->html));
	}
}

static void
test_headers(void **state)
{
	struct mail_addr	 m;
	char			*w;

	(void)state;
	assert_string_equal(mail_header_text(&A, "Reset your password"),
	    "Reset your password");
	assert_string_equal(mail_header_text(&A, "Café"),
	    "=?UTF-8?B?Q2Fmw6k=?=");
	/* CR/LF cannot inject a header */
	assert_string_equal(mail_header_text(&A, "a\r\nBcc: x"), "a  Bcc: x");
	/* long non-ASCII: several words, each at most 75, cut on characters */
	w = mail_header_text(&A, "ééééééééééééééééééééééééééééééééééééééééé"
	    "éééééééééééééééééééé");
	assert_non_null(strstr(w, "?=\r\n =?UTF-8?B?"));
	for (char *p = w, *e; *p; p = e + (*e ? 3 : 0)) {
		e = strstr(p, "\r\n ");
		if (e == NULL)
			e = p + strlen(p);
		assert_true(e - p <= 75);
		assert_int_equal((e - p - 12) % 4, 0);
		if (*e == '\0')
			break;
	}
	m = (struct mail_addr){ "Tést Äpp", "a@example.com" };
	assert_string_equal(mail_mailbox(&A, &m),
	    "=?UTF-8?B?VMOpc3Qgw4RwcA==?= <a@example.com>");
	m = (struct mail_addr){ "My \"App\"", "a@example.com" };
	assert_string_equal(mail_mailbox(&A, &m),
	    "\"My \\\"App\\\"\" <a@example.com>");
	m = (struct mail_addr){ NULL, "a@example.com" };
	assert_string_equal(mail_mailbox(&A, &m), "<a@example.com>");
	assert_true(mail_addr_ok("a.b+c@example.com"));
	assert_false(mail_addr_ok("a b@example.com"));
	assert_false(mail_addr_ok("a@b@example.com"));
	assert_false(mail_addr_ok("<a@example.com>"));
	assert_false(mail_addr_ok("a@example.com\r\nRCPT TO:<b@x>"));
	assert_false(mail_addr_ok("@example.com"));
	assert_false(mail_addr_ok("a@"));
	assert_string_equal(mail_date(&A, INT64_C(1796190557326)),
	    "Wed, 02 Dec 2026 05:49:17 +0000");
}

static void
test_qp(void **state)
{
	char	 longline[200];
	char	*q, *p;

	(void)state;
	assert_string_equal(mail_qp(&A, "a=b\nc"), "a=3Db\r\nc");
	assert_string_equal(mail_qp(&A, "é"), "=C3=A9");
	assert_string_equal(mail_qp(&A, "trailing \nx"), "trailing=20\r\nx");
	assert_string_equal(mail_qp(&A, ".leading dot"), "=2Eleading dot");
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	q = mail_qp(&A, longline);
	for (p = q; *p; ) {
		char	*e = strstr(p, "\r\n");

		if (e == NULL)
			e = p + strlen(p);
		assert_true(e - p <= 76);
		p = *e ? e + 2 : e;
	}
}

static void
test_build(void **state)
{
	struct mail_msg	 m;
	size_t		 len;
	char		*s;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.from = (struct mail_addr){ "App", "auth@example.com" };
	m.to = (struct mail_addr){ NULL, "u@example.net" };
	m.subject = "Grüße";
	m.text = "Hello\n";
	m.html = "<p>Hello</p>";
	m.date_ms = INT64_C(1796190557326);
	m.kind = "reset";
	s = mail_build(&A, &m, &len);
	assert_non_null(s);
	assert_int_equal(strlen(s), len);
	assert_non_null(strstr(s, "From: \"App\" <auth@example.com>\r\n"));
	assert_non_null(strstr(s, "To: <u@example.net>\r\n"));
	assert_non_null(strstr(s, "Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"));
	assert_non_null(strstr(s, "Date: Wed, 02 Dec 2026 05:49:17 +0000\r\n"));
	assert_non_null(strstr(s, "@example.com>\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr(s, "Message-ID: <"));
	assert_non_null(strstr(s, "X-Neon-Authd-Kind: reset\r\n"));
	assert_non_null(strstr(s, "multipart/alternative; boundary="));
	assert_non_null(strstr(s, "Content-Type: text/plain; charset=UTF-8"));
	assert_non_null(strstr(s, "Content-Type: text/html; charset=UTF-8"));
	/* no bare LF anywhere */
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\n')
			assert_int_equal(s[i - 1], '\r');
	m.to.addr = "bad address@example.net";
	assert_null(mail_build(&A, &m, &len));
	m.to.addr = "u@example.net";
	m.text = "\xc3";
	assert_null(mail_build(&A, &m, &len));
}

static void
test_spool(void **state)
{
	char			 dir[] = "/tmp/neon-authd-test-spool.XXXXXX";
	struct spool_msg	 m, r;
	char			**ids;
	size_t			 n;
	int			 fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(spool_prepare(dir), 0);
	memset(&m, 0, sizeof(m));
	m.branch = "main";
	m.kind = "otp-sign-in";
	m.from = "auth@example.com";
	m.to = "u@example.net";
	m.host = "smtp.example.com";
	m.port = 587;
	m.security = "starttls";
	m.user = "user name";
	m.pass = "p\nass: word";
	m.error = "";
	m.body = "Subject: x\r\n\r\nbody\r\n";
	m.body_len = strlen(m.body);
	assert_int_equal(spool_put(dir, &A, &m), 0);
	assert_true(spool_id_ok(m.id));
	assert_int_equal(spool_list(dir, "queue", &A, &ids, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(ids[0], m.id);
	assert_int_equal(spool_read(dir, "queue", &A, m.id, 1, &r), 0);
	assert_string_equal(r.branch, "main");
	assert_string_equal(r.kind, "otp-sign-in");
	assert_string_equal(r.host, "smtp.example.com");
	assert_int_equal(r.port, 587);
	assert_string_equal(r.security, "starttls");
	assert_string_equal(r.user, "user name");
	assert_string_equal(r.pass, "p\nass: word");
	assert_int_equal(r.body_len, m.body_len);
	assert_memory_equal(r.body, m.body, m.body_len);
	r.attempts = 2;
	r.next_ms = 123;
	r.error = "host:25: refused\r\nX-Evil: 1";
	assert_int_equal(spool_retry(dir, &A, &r), 0);
	assert_int_equal(spool_read(dir, "queue", &A, r.id, 1, &m), 0);
	assert_int_equal(m.attempts, 2);
	assert_int_equal(m.next_ms, 123);
	assert_string_equal(m.error, "host:25: refused??X-Evil: 1");
	assert_memory_equal(m.body, r.body, r.body_len);
	m.outcome = "sent";
	m.done_ms = 456;
	assert_int_equal(spool_finish(dir, &A, &m), 0);
	assert_int_equal(spool_list(dir, "queue", &A, &ids, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(spool_read(dir, "done", &A, m.id, 0, &r), 0);
	assert_string_equal(r.outcome, "sent");
	assert_int_equal(r.done_ms, 456);
	assert_string_equal(r.pass, "");	/* no credentials in done/ */
	/* one sender at a time */
	fd = spool_lock(dir);
	assert_true(fd >= 0);
	assert_int_equal(spool_lock(dir), -1);
	close(fd);
	assert_false(spool_id_ok("../etc"));
	assert_int_equal(spool_read(dir, "queue", &A, "../lock", 0, &r), -1);
	assert_int_equal(system(arena_printf(&A, "rm -rf '%s'", dir)), 0);
}

static void
test_smtp_settings(void **state)
{
	int	 sec, port;

	(void)state;
	assert_int_equal(smtp_security_parse("tls"), SMTP_TLS);
	assert_int_equal(smtp_security_parse("starttls"), SMTP_STARTTLS);
	assert_int_equal(smtp_security_parse("none"), SMTP_NONE);
	assert_int_equal(smtp_security_parse("ssl"), -1);
	sec = -1, port = 465;
	smtp_resolve(&sec, &port);
	assert_int_equal(sec, SMTP_TLS);
	sec = -1, port = 0;
	smtp_resolve(&sec, &port);
	assert_int_equal(sec, SMTP_STARTTLS);
	assert_int_equal(port, 587);
	sec = SMTP_TLS, port = 0;
	smtp_resolve(&sec, &port);
	assert_int_equal(port, 465);
	assert_true(smtp_host_loopback("127.0.0.1"));
	assert_true(smtp_host_loopback("::1"));
	assert_true(smtp_host_loopback("localhost"));
	assert_false(smtp_host_loopback("smtp.example.com"));
	assert_true(smtp_host_ok("smtp.example.com"));
	assert_false(smtp_host_ok("smtp.example.com/x"));
	assert_false(smtp_host_ok("a b"));
	assert_false(smtp_host_ok(""));
}

static void
test_search_set(void **state)
{
	(void)state;
	assert_string_equal(url_search_set(&A, "https://a.example/r", "token",
	    "T"), "https://a.example/r?token=T");
	assert_string_equal(url_search_set(&A, "https://a.example/r?x=a%20b~"
	    "&token=old&token=2#f", "token", "n w"),
	    "https://a.example/r?x=a+b%7E&token=n+w#f");
	assert_string_equal(url_form_encode(&A, "a*-._~ /"), "a*-._%7E+%2F");
	assert_int_equal(mailer_backoff_s(1, 30, 3600), 30);
	assert_int_equal(mailer_backoff_s(3, 30, 3600), 120);
	assert_int_equal(mailer_backoff_s(20, 30, 3600), 3600);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_render, setup, teardown),
		cmocka_unit_test_setup_teardown(test_template_check, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smtp_settings, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_search_set, setup,
		    teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
