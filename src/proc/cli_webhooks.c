/*
 * cli_webhooks.c -- `neon-authd webhooks test|status` (see
 * cli_webhooks.h).  A test event is the real thing (envelope, headers,
 * signature, budget, SSRF guard) with a sample user and event_data; its
 * event_data carries "test": true.  Sent even when the branch's
 * enabled_events does not list the event, but never when webhooks are off
 * or no URL is set.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "auth/webhook.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "lib/clock.h"
#include "lib/config.h"
#include "proc/cli.h"
#include "proc/cli_webhooks.h"
#include "store/store_webhook.h"

static const char *const events[] = { "send.otp", "send.magic_link",
	"user.before_create", "user.created", "phone_number.verified", NULL };

static void
usage(void)
{
	fprintf(stderr,
	    "usage: neon-authd webhooks test BRANCH EVENT [-c FILE]\n"
	    "       neon-authd webhooks status BRANCH [-c FILE]\n"
	    "  EVENT: send.otp, send.magic_link, user.before_create, "
	    "user.created,\n         phone_number.verified\n");
}

static void
add(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static json_object *
sample_data(struct arena *a, const char *event, const char *auth_url)
{
	json_object	*d = json_object_new_object();
	const char	*exp = clock_iso(a, clock_now_ms() + 300000);

	if (strcmp(event, "send.otp") == 0) {
		add(d, "otp_code", "123456");
		add(d, "otp_type", "sign-in");
		add(d, "delivery_preference", "email");
		add(d, "expires_at", exp);
	} else if (strcmp(event, "send.magic_link") == 0) {
		add(d, "link_type", "magic-link");
		add(d, "link_url", arena_printf(a, "%s/magic-link/verify?"
		    "token=test-token", auth_url));
		add(d, "token", "test-token");
		add(d, "expires_at", exp);
	} else if (strcmp(event, "phone_number.verified") != 0)
		add(d, "auth_provider", "credential");
	add(d, "ip_address", "127.0.0.1");
	add(d, "user_agent", "neon-authd webhooks test");
	json_object_object_add(d, "test", json_object_new_boolean(1));
	return (d);
}

static int
do_test(struct cli_branch *cb, const struct config *c, const char *event)
{
	struct webhook_target	 t;
	struct webhook_result	 res;
	struct webhook_user	 u;
	json_object		*wc = NULL, *copy = NULL, *all;
	const char		*id, *bad;
	char			*body;
	size_t			 i;

	for (i = 0; events[i] != NULL && strcmp(events[i], event) != 0; i++)
		;
	if (events[i] == NULL) {
		fprintf(stderr, "neon-authd webhooks: unknown event %s\n",
		    event);
		usage();
		return (64);
	}
	memset(&t, 0, sizeof(t));
	if (cb->cfg.row != NULL)
		json_object_object_get_ex(cb->cfg.row, "webhook_config", &wc);
	/* every event, whatever enabled_events lists */
	if (wc != NULL && json_object_is_type(wc, json_type_object) &&
	    json_object_deep_copy(wc, &copy, NULL) == 0) {
		json_object_object_del(copy, "enabled_events");
		all = copy;
	} else
		all = NULL;
	if (!webhook_config_target(all, event, &t)) {
		json_object_put(copy);
		fprintf(stderr, "neon-authd webhooks: branch %s has no "
		    "webhook (webhook_config.enabled and webhook_url)\n",
		    cb->branch->name);
		return (1);
	}
	t.url = arena_strdup(&cb->a, t.url);
	json_object_put(copy);
	t.branch_name = cb->branch->name;
	t.key_url = cb->branch->key_url;
	t.secrets = &c->secrets;
	t.jwt_alg = cb->cfg.jwt_alg;
	t.jwt_ttl = cb->cfg.jwt_ttl;
	t.allow_loopback = c->webhook_allow_loopback;
	if ((bad = webhook_url_check(t.url, t.allow_loopback)) != NULL) {
		fprintf(stderr, "neon-authd webhooks: webhook_url refused: "
		    "%s\n", bad);
		return (1);
	}
	memset(&u, 0, sizeof(u));
	u.id = "00000000-0000-4000-8000-000000000000";
	u.email = "test@example.com";
	u.name = "Test User";
	u.created_at = clock_iso(&cb->a, clock_now_ms());
	u.phone_number = strcmp(event, "phone_number.verified") == 0 ?
	    "+15555550100" : NULL;
	u.phone_number_verified = u.phone_number != NULL ? 1 : -1;
	body = webhook_envelope(&cb->a, cb->branch, &cb->cfg, event, &u,
	    sample_data(&cb->a, event, cb->branch->auth_url), &id);
	if (body == NULL) {
		fprintf(stderr, "neon-authd webhooks: cannot build the "
		    "event\n");
		return (1);
	}
	(void)webhook_deliver(cb->conn, &cb->a, &t, event, id, body,
	    WEBHOOK_ATTEMPTS, WEBHOOK_BUDGET_MS, &res);
	printf("event:     %s\nevent_id:  %s\nattempts:  %d\n", event, id,
	    res.attempts);
	if (res.status != 0)
		printf("status:    %ld\n", res.status);
	else
		printf("status:    none (%s)\n", res.why ? res.why : "-");
	if (res.body.p != NULL && res.body.len > 0)
		printf("reply:     %.*s\n", (int)(res.body.len > 500 ? 500 :
		    res.body.len), res.body.p);
	printf("result:    %s\n", res.ok ? "delivered" : "failed");
	return (res.ok ? 0 : 1);
}

int
cli_webhooks(struct config *c, int argc, char **argv)
{
	struct cli_branch	 cb;
	int64_t			 n;
	int			 rc;

	if (argc < 2 || (strcmp(argv[0], "test") == 0 && argc != 3) ||
	    (strcmp(argv[0], "status") == 0 && argc != 2) ||
	    (strcmp(argv[0], "test") != 0 && strcmp(argv[0], "status") != 0)) {
		usage();
		return (64);
	}
	if ((rc = cli_branch_open(&cb, "webhooks", c, argv[1])) == 0) {
		if (strcmp(argv[0], "test") == 0)
			rc = do_test(&cb, c, argv[2]);
		else if ((n = store_webhook_pending(cb.conn, &cb.a,
		    cb.branch->auth_url)) < 0) {
			fprintf(stderr, "neon-authd webhooks: cannot read "
			    "neon_auth.webhook_outbox\n");
			rc = 1;
		} else
			printf("branch %s: %lld event%s waiting in the "
			    "outbox\n", cb.branch->name, (long long)n,
			    n == 1 ? "" : "s");
	}
	cli_branch_close(&cb);
	return (rc);
}
