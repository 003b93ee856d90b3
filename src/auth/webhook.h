/*
 * webhook.h -- Neon's webhooks (neon.md §11): the branch's subscription
 * (project_config.webhook_config), the envelope, the detached-JWS
 * signature with the branch's JWT key, and delivery under Neon's budget.
 *
 * Blocking events (send.otp, send.magic_link, user.before_create) are
 * delivered inline by the request that raises them: 3 attempts, 15 s in
 * all, each attempt at most the branch's timeout_seconds, retried on a
 * network error, 5xx, 429 or 408, a reply of at most 10 KB.  Non-blocking
 * ones (user.created, phone_number.verified) are queued in
 * neon_auth.webhook_outbox within the request's transaction and sent by
 * the webhook sender (proc/webhooksend.c).
 *
 * The receiver's URL must be https and resolve to public addresses only
 * (lib/httpc.h's guard); the server file's webhooks.allow_loopback admits
 * loopback receivers over http or https, for tests.
 */
#ifndef NEON_AUTHD_WEBHOOK_H
#define NEON_AUTHD_WEBHOOK_H

#include <stdint.h>

#include <json-c/json.h>

#include "http/error.h"
#include "http/request.h"
#include "lib/arena.h"
#include "lib/crypto.h"

#define WEBHOOK_ATTEMPTS	3
#define WEBHOOK_BUDGET_MS	15000
#define WEBHOOK_REPLY_MAX	10240
#define WEBHOOK_TIMEOUT_S	5	/* timeout_seconds' default */

struct branch;
struct branchcfg;
struct db_conn;
struct user_rec;

/* where and how to deliver for one branch */
struct webhook_target {
	const char			*url;
	int				 timeout_s;
	const char			*branch_name;	/* its key cache */
	const char			*key_url;	/* the Auth URL its keys serve */
	const struct crypto_secrets	*secrets;
	const char			*jwt_alg;	/* branch's, "" EdDSA */
	int				 jwt_ttl;
	int				 allow_loopback;
	/* a queued event's earlier attempts: X-Neon-Delivery-Attempt
	 * counts on from there */
	int				 attempts_before;
};

/* the outcome of a delivery */
struct webhook_result {
	int		 ok;		/* a 2xx arrived */
	int		 attempts;
	long		 status;	/* the last status, 0 when none */
	struct str	 body;		/* the last reply */
	const char	*why;		/* why not ok, for logs */
	int		 retryable;	/* the failure may pass on a retry */
};

/* the user in an envelope (NULL strings are JSON null) */
struct webhook_user {
	const char	*id, *email, *name, *image, *created_at;
	const char	*phone_number;
	int		 email_verified;
	int		 phone_number_verified;	/* -1: null */
};

/*
 * webhook_config_target: the subscription in a webhook_config object for
 * event: 1 with *t's url and timeout set when the config is enabled, has
 * a URL and lists the event (a missing enabled_events lists all), else 0.
 */
int	 webhook_config_target(json_object *wc, const char *event,
	    struct webhook_target *t);
/* webhook_target_of: the same for r's branch, the rest of *t filled. */
int	 webhook_target_of(struct request *r, const char *event,
	    struct webhook_target *t);
/* webhook_subscribed: 1 when r's branch subscribes to event. */
int	 webhook_subscribed(struct request *r, const char *event);
/*
 * webhook_url_check: why url may not receive webhooks ("not https",
 * ...), NULL when it may (before DNS; the addresses are checked when
 * connecting).
 */
const char *webhook_url_check(const char *url, int allow_loopback);
/* webhook_user_of: the envelope user of a user row. */
void	 webhook_user_of(struct webhook_user *w, const struct user_rec *u);
/*
 * webhook_envelope: the event's JSON text: {event_id, event_type,
 * timestamp, context {endpoint_id, project_name}, user, event_data}.
 * event_data is consumed.  *id_out gets the new event id (a uuid).
 */
char	*webhook_envelope(struct arena *a, const struct branch *b,
	    const struct branchcfg *c, const char *event,
	    const struct webhook_user *u, json_object *event_data,
	    const char **id_out);
/*
 * webhook_sign: X-Neon-Signature for body at ts_ms: the detached JWS
 * "<header>..<signature>" over header "." base64url(ts "." base64url
 * (body)), with the branch's signing key; *kid gets its kid.  NULL on
 * failure (logged).
 */
char	*webhook_sign(struct db_conn *db, struct arena *a,
	    const struct webhook_target *t, const char *body, size_t len,
	    int64_t ts_ms, const char **kid);
/*
 * webhook_deliver: POST body to t under the budget (attempts at most
 * max_attempts, in all at most budget_ms), each attempt signed afresh.
 * 0 when a 2xx arrived, -1 otherwise; *res says what happened.
 */
int	 webhook_deliver(struct db_conn *db, struct arena *a,
	    const struct webhook_target *t, const char *event,
	    const char *event_id, const char *body, int max_attempts,
	    int64_t budget_ms, struct webhook_result *res);

/*
 * webhook_send_otp: the send.otp event for an email code or a phone
 * code (delivery "email" or "sms"), blocking.  to is the address or the
 * number; the user is looked up by it.  0 once the subscriber took it,
 * -1 otherwise (logged).
 */
int	 webhook_send_otp(struct request *r, const char *to,
	    const char *otp, const char *otp_type, const char *delivery,
	    int expires_s);
/* webhook_send_magic_link: send.magic_link, blocking; 0 or -1. */
int	 webhook_send_magic_link(struct request *r, const char *email,
	    const char *link_type, const char *url, const char *token,
	    int expires_s);
/*
 * webhook_before_create: user.before_create for a user about to be
 * created by provider ("credential", "google", ...), fail-closed:
 * ERR_NONE when nobody subscribes or the subscriber answered
 * {"allowed":true}; {"allowed":false,...} gives
 * ERR_WEBHOOK_SIGN_UP_REFUSED with the subscriber's error_code and
 * error_message; no valid answer gives ERR_WEBHOOK_BEFORE_CREATE_FAILED.
 */
enum err webhook_before_create(struct request *r, const struct user_rec *nu,
	    const char *provider);
/*
 * webhook_queue: a non-blocking event (user.created,
 * phone_number.verified) for u into the outbox, on r->db within the
 * caller's transaction.  0 (also when nobody subscribes), -1 on a
 * database error.
 */
int	 webhook_queue(struct request *r, const char *event,
	    const struct webhook_user *u, const char *provider);

#endif
