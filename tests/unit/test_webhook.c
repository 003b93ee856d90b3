/*
 * test_webhook.c -- the pure parts of the webhooks: the SSRF guard's
 * address classes (lib/netaddr.c), the subscription read from a
 * webhook_config (auth/webhook.c) and the URL rule, the retry schedule
 * of the webhook sender.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "auth/webhook.h"
#include "lib/netaddr.h"
#include "proc/webhooksend.h"

static const char *
cls(const char *s)
{
	struct in6_addr	 a;

	assert_int_equal(netaddr_parse(s, strlen(s), &a, NULL), 0);
	return (netaddr_refused_class(&a));
}

static void
test_classes(void **state)
{
	static const char *const cases[][2] = {
		{ "127.0.0.1", "loopback" }, { "127.255.0.9", "loopback" },
		{ "::1", "loopback" }, { "::ffff:127.0.0.1", "loopback" },
		{ "10.0.0.1", "private" }, { "172.16.0.1", "private" },
		{ "172.31.255.255", "private" }, { "192.168.1.1", "private" },
		{ "100.64.0.1", "private" }, { "fc00::1", "private" },
		{ "fd12:3456::1", "private" },
		{ "169.254.169.254", "link-local" }, { "fe80::1", "link-local" },
		{ "100.100.100.200", "metadata" },
		{ "fd00:ec2::254", "metadata" },
		{ "0.0.0.0", "reserved" }, { "224.0.0.1", "reserved" },
		{ "255.255.255.255", "reserved" }, { "::", "reserved" },
		{ "ff02::1", "reserved" }, { "198.18.0.1", "reserved" },
	};
	static const char *const public[] = { "8.8.8.8", "172.32.0.1",
	    "172.15.255.255", "100.128.0.1", "169.253.1.1", "93.184.216.34",
	    "2606:4700::1111", "::ffff:1.1.1.1", NULL };
	const char	*got;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = cls(cases[i][0]);
		if (got == NULL || strcmp(got, cases[i][1]) != 0)
			fail_msg("%s: %s, want %s", cases[i][0],
			    got ? got : "public", cases[i][1]);
	}
	for (i = 0; public[i] != NULL; i++)
		if ((got = cls(public[i])) != NULL)
			fail_msg("%s: %s, want public", public[i], got);
}

static void
test_target(void **state)
{
	struct webhook_target	 t;
	json_object		*wc;

	(void)state;
	wc = json_tokener_parse("{\"enabled\":true,\"webhook_url\":"
	    "\"https://h.example/x\",\"enabled_events\":[\"send.otp\"],"
	    "\"timeout_seconds\":7}");
	memset(&t, 0, sizeof(t));
	assert_int_equal(webhook_config_target(wc, "send.otp", &t), 1);
	assert_string_equal(t.url, "https://h.example/x");
	assert_int_equal(t.timeout_s, 7);
	assert_int_equal(webhook_config_target(wc, "user.created", &t), 0);
	json_object_object_del(wc, "enabled_events");
	json_object_object_del(wc, "timeout_seconds");
	assert_int_equal(webhook_config_target(wc, "user.created", &t), 1);
	assert_int_equal(t.timeout_s, WEBHOOK_TIMEOUT_S);
	json_object_object_add(wc, "enabled", json_object_new_boolean(0));
	assert_int_equal(webhook_config_target(wc, "user.created", &t), 0);
	json_object_put(wc);
	assert_int_equal(webhook_config_target(NULL, "send.otp", &t), 0);
}

static void
test_url(void **state)
{
	(void)state;
	assert_null(webhook_url_check("https://hooks.example.com/x", 0));
	assert_non_null(webhook_url_check("http://hooks.example.com/x", 0));
	assert_null(webhook_url_check("http://127.0.0.1:9/x", 1));
	assert_non_null(webhook_url_check("https://u:p@hooks.example.com/", 0));
	assert_non_null(webhook_url_check("ftp://hooks.example.com/", 1));
	assert_non_null(webhook_url_check("not a url", 0));
	assert_non_null(webhook_url_check(NULL, 0));
}

static void
test_retry(void **state)
{
	(void)state;
	assert_int_equal(webhooksend_retry_s(1), 10);
	assert_int_equal(webhooksend_retry_s(2), 30);
	assert_int_equal(webhooksend_retry_s(6), 3600);
	assert_int_equal(webhooksend_retry_s(60), 3600);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_target),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_retry),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
