/*
 * webhook.c -- Neon's webhooks: subscription, envelope, signature and
 * delivery (see webhook.h).
 *
 * Nothing here logs a code, a link, a token, an address or the URL (it
 * may carry a secret): lines name the branch, the event, its id and the
 * outcome.
 */
#include <string.h>

#include <json-c/json.h>

#include "auth/webhook.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/clientip.h"
#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/httpc.h"
#include "lib/json.h"
#include "lib/jwt.h"
#include "lib/log.h"
#include "store/record.h"
#include "store/store.h"
#include "store/store_jwks.h"
#include "store/store_webhook.h"

/* ---- the subscription */

int
webhook_config_target(json_object *wc, const char *event,
    struct webhook_target *t)
{
	json_object	*v, *ev;
	size_t		 i, n;
	int		 listed = 0;

	if (wc == NULL || !json_object_is_type(wc, json_type_object))
		return (0);
	if (!json_object_object_get_ex(wc, "enabled", &v) ||
	    !json_object_get_boolean(v))
		return (0);
	if (!json_object_object_get_ex(wc, "webhook_url", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    *json_object_get_string(v) == '\0')
		return (0);
	t->url = json_object_get_string(v);
	if (json_object_object_get_ex(wc, "enabled_events", &ev) &&
	    json_object_is_type(ev, json_type_array)) {
		n = json_object_array_length(ev);
		for (i = 0; i < n && !listed; i++) {
			v = json_object_array_get_idx(ev, i);
			listed = json_object_is_type(v, json_type_string) &&
			    strcmp(json_object_get_string(v), event) == 0;
		}
		if (!listed)
			return (0);
	}
	t->timeout_s = WEBHOOK_TIMEOUT_S;
	if (json_object_object_get_ex(wc, "timeout_seconds", &v) &&
	    json_object_is_type(v, json_type_int) &&
	    json_object_get_int(v) >= 1 && json_object_get_int(v) <= 10)
		t->timeout_s = json_object_get_int(v);
	return (1);
}

int
webhook_target_of(struct request *r, const char *event,
    struct webhook_target *t)
{
	json_object	*wc = NULL;

	memset(t, 0, sizeof(*t));
	if (r->bcfg == NULL || r->bcfg->row == NULL)
		return (0);
	json_object_object_get_ex(r->bcfg->row, "webhook_config", &wc);
	if (!webhook_config_target(wc, event, t))
		return (0);
	t->branch_name = r->branch->name;
	t->key_url = r->branch->key_url;
	t->secrets = r->env->secrets;
	t->jwt_alg = r->bcfg->jwt_alg;
	t->jwt_ttl = r->bcfg->jwt_ttl;
	t->allow_loopback = r->env->webhook_allow_loopback;
	return (1);
}

int
webhook_subscribed(struct request *r, const char *event)
{
	struct webhook_target	 t;

	return (webhook_target_of(r, event, &t));
}

const char *
webhook_url_check(const char *url, int allow_loopback)
{
	struct httpc_url	 u;

	if (url == NULL || httpc_url_parse(NULL, url, &u) == -1)
		return ("not a URL");
	if (u.has_user)
		return ("the URL names a user");
	if (strcmp(u.scheme, "https") == 0)
		return (NULL);
	if (strcmp(u.scheme, "http") == 0 && allow_loopback)
		return (NULL);
	return ("not an https URL");
}

/* ---- the envelope */

void
webhook_user_of(struct webhook_user *w, const struct user_rec *u)
{
	memset(w, 0, sizeof(*w));
	w->phone_number_verified = -1;
	if (u == NULL)
		return;
	w->id = u->id;
	w->email = u->email;
	w->name = u->name;
	w->image = u->image;
	w->created_at = u->created_at;
	w->email_verified = u->email_verified;
}

static void
add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static char *
new_uuid(struct arena *a)
{
	unsigned char	 b[16];

	if (crypto_random_bytes(b, sizeof(b)) == -1)
		return (NULL);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	return (arena_printf(a, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	    b[15]));
}

char *
webhook_envelope(struct arena *a, const struct branch *b,
    const struct branchcfg *c, const char *event,
    const struct webhook_user *u, json_object *event_data,
    const char **id_out)
{
	json_object	*o, *ctx, *uo, *ep = NULL;
	const char	*id, *endpoint = NULL;
	char		*text;

	if ((id = new_uuid(a)) == NULL) {
		json_object_put(event_data);
		return (NULL);
	}
	if (c != NULL && c->row != NULL &&
	    json_object_object_get_ex(c->row, "endpoint_id", &ep) &&
	    json_object_is_type(ep, json_type_string))
		endpoint = json_object_get_string(ep);
	o = json_object_new_object();
	add_str(o, "event_id", id);
	add_str(o, "event_type", event);
	add_str(o, "timestamp", clock_iso(a, clock_now_ms()));
	ctx = json_object_new_object();
	add_str(ctx, "endpoint_id", endpoint != NULL ? endpoint : b->name);
	add_str(ctx, "project_name", c != NULL && c->app_name[0] != '\0' ?
	    c->app_name : b->name);
	json_object_object_add(o, "context", ctx);
	uo = json_object_new_object();
	add_str(uo, "id", u->id);
	add_str(uo, "email", u->email);
	add_str(uo, "name", u->name);
	add_str(uo, "phone_number", u->phone_number);
	add_str(uo, "image", u->image);
	json_object_object_add(uo, "email_verified",
	    json_object_new_boolean(u->email_verified));
	json_object_object_add(uo, "phone_number_verified",
	    u->phone_number_verified < 0 ? NULL :
	    json_object_new_boolean(u->phone_number_verified));
	add_str(uo, "created_at", u->created_at);
	json_object_object_add(o, "user", uo);
	json_object_object_add(o, "event_data", event_data != NULL ?
	    event_data : json_object_new_object());
	text = json_dump(a, o);
	json_object_put(o);
	if (id_out != NULL)
		*id_out = id;
	return (text);
}

/* ip_address and user_agent, which every event_data carries */
static json_object *
event_data_new(struct request *r)
{
	json_object	*d = json_object_new_object();

	add_str(d, "ip_address", clientip_str(r));
	add_str(d, "user_agent", request_header(r, "HTTP_USER_AGENT"));
	return (d);
}

/* ---- signature and delivery */

char *
webhook_sign(struct db_conn *db, struct arena *a,
    const struct webhook_target *t, const char *body, size_t len,
    int64_t ts_ms, const char **kid)
{
	const struct jwt_key	*k;
	enum store_jwks_err	 err;
	enum jwt_alg		 alg;
	const char		*hdr;
	char			*b64, *payload, *jws, *dot1, *dot2;

	alg = jwt_alg_parse(t->jwt_alg != NULL ? t->jwt_alg : "");
	if (alg == JWT_ALG_NONE)
		alg = JWT_ALG_EDDSA;
	k = store_jwks_signing_key(db, a, t->branch_name, t->key_url,
	    t->secrets, alg,
	    t->jwt_ttl > 0 ? t->jwt_ttl : 900, clock_now_ms(), &err);
	if (k == NULL) {
		log_warnx("branch %s: webhook: no signing key",
		    t->branch_name);
		return (NULL);
	}
	if ((b64 = crypto_base64url_encode(a, body, len)) == NULL)
		return (NULL);
	payload = arena_printf(a, "%lld.%s", (long long)ts_ms, b64);
	hdr = arena_printf(a, "{\"alg\":\"%s\",\"kid\":%s}",
	    jwt_alg_name(jwt_key_alg(k)), json_quote(a, jwt_key_kid(k)));
	jws = jwt_sign_header(a, k, str_c(hdr), str_c(payload));
	if (jws == NULL || (dot1 = strchr(jws, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL)
		return (NULL);
	/* detached: the payload segment dropped */
	memmove(dot1 + 1, dot2, strlen(dot2) + 1);
	*kid = arena_strdup(a, jwt_key_kid(k));
	return (jws);
}

int
webhook_deliver(struct db_conn *db, struct arena *a,
    const struct webhook_target *t, const char *event, const char *event_id,
    const char *body, int max_attempts, int64_t budget_ms,
    struct webhook_result *res)
{
	struct httpc_req	 q;
	struct httpc_resp	 out;
	const char		*hdrs[9], *kid, *why, *bad;
	char			*sig;
	int64_t			 start = clock_mono_ms(), left, ts;
	size_t			 len = strlen(body);
	int			 n;

	memset(res, 0, sizeof(*res));
	if ((bad = webhook_url_check(t->url, t->allow_loopback)) != NULL) {
		res->why = bad;
		return (-1);
	}
	for (n = 1; n <= max_attempts; n++) {
		left = budget_ms - (clock_mono_ms() - start);
		if (left <= 0) {
			res->why = "budget spent";
			break;
		}
		ts = clock_now_ms();
		if ((sig = webhook_sign(db, a, t, body, len, ts, &kid)) ==
		    NULL) {
			res->why = "cannot sign";
			res->retryable = 1;
			return (-1);
		}
		hdrs[0] = "Content-Type: application/json";
		hdrs[1] = arena_printf(a, "X-Neon-Signature: %s", sig);
		hdrs[2] = arena_printf(a, "X-Neon-Signature-Kid: %s", kid);
		hdrs[3] = arena_printf(a, "X-Neon-Timestamp: %lld",
		    (long long)ts);
		hdrs[4] = arena_printf(a, "X-Neon-Event-Type: %s", event);
		hdrs[5] = arena_printf(a, "X-Neon-Event-Id: %s", event_id);
		hdrs[6] = arena_printf(a, "X-Neon-Delivery-Attempt: %d",
		    t->attempts_before + n);
		hdrs[7] = "Accept: application/json";
		hdrs[8] = NULL;
		memset(&q, 0, sizeof(q));
		q.method = "POST";
		q.url = t->url;
		q.headers = hdrs;
		q.body = body;
		q.body_len = len;
		q.timeout_ms = (long)t->timeout_s * 1000 < left ?
		    (long)t->timeout_s * 1000 : (long)left;
		q.max_body = WEBHOOK_REPLY_MAX;
		q.guard = t->allow_loopback ? HTTPC_GUARD_LOOPBACK :
		    HTTPC_GUARD_PUBLIC;
		res->attempts = n;
		why = NULL;
		if (httpc_fetch(a, &q, &out, &why) == -1) {
			res->status = 0;
			res->why = why;
			/* a refused address or an oversized reply stays so */
			res->retryable = strncmp(why, "address refused", 15) !=
			    0 && strcmp(why, "response too large") != 0 &&
			    strcmp(why, "not an http(s) URL") != 0;
			if (!res->retryable)
				return (-1);
			continue;
		}
		res->status = out.status;
		res->body = out.body;
		if (out.status >= 200 && out.status < 300) {
			res->ok = 1;
			res->why = NULL;
			return (0);
		}
		res->why = "status";
		res->retryable = out.status >= 500 || out.status == 429 ||
		    out.status == 408;
		if (!res->retryable)
			return (-1);
	}
	return (-1);
}

/* deliver a blocking event of r now */
static int
blocking(struct request *r, const struct webhook_target *t,
    const char *event, const struct webhook_user *u, json_object *data,
    struct webhook_result *res)
{
	const char	*id;
	char		*body;

	body = webhook_envelope(r->a, r->branch, r->bcfg, event, u, data,
	    &id);
	if (body == NULL) {
		memset(res, 0, sizeof(*res));
		res->why = "cannot build the event";
		return (-1);
	}
	if (webhook_deliver(r->db, r->a, t, event, id, body,
	    WEBHOOK_ATTEMPTS, WEBHOOK_BUDGET_MS, res) == 0) {
		log_info("branch %s: webhook %s id=%s delivered status=%ld "
		    "attempts=%d", r->branch->name, event, id, res->status,
		    res->attempts);
		return (0);
	}
	log_warnx("branch %s: webhook %s id=%s failed: %s status=%ld "
	    "attempts=%d", r->branch->name, event, id, res->why ? res->why :
	    "-", res->status, res->attempts);
	return (-1);
}

/* the user an address or a phone number names, for the envelope */
static void
user_for(struct request *r, const char *to, int phone,
    struct webhook_user *w)
{
	struct user_rec	 u;
	const char	*hash;

	webhook_user_of(w, NULL);
	if (phone) {
		w->phone_number = to;
		return;
	}
	w->email = to;
	if (store_user_by_email(r->db, r->a, to, &u, &hash) == 1)
		webhook_user_of(w, &u);
}

int
webhook_send_otp(struct request *r, const char *to, const char *otp,
    const char *otp_type, const char *delivery, int expires_s)
{
	struct webhook_target	 t;
	struct webhook_result	 res;
	struct webhook_user	 u;
	json_object		*d;

	if (!webhook_target_of(r, "send.otp", &t))
		return (-1);
	user_for(r, to, strcmp(delivery, "sms") == 0, &u);
	d = event_data_new(r);
	add_str(d, "otp_code", otp);
	add_str(d, "otp_type", otp_type);
	add_str(d, "delivery_preference", delivery);
	add_str(d, "expires_at", clock_iso(r->a, clock_now_ms() +
	    (int64_t)expires_s * 1000));
	return (blocking(r, &t, "send.otp", &u, d, &res));
}

int
webhook_send_magic_link(struct request *r, const char *email,
    const char *link_type, const char *url, const char *token,
    int expires_s)
{
	struct webhook_target	 t;
	struct webhook_result	 res;
	struct webhook_user	 u;
	json_object		*d;

	if (!webhook_target_of(r, "send.magic_link", &t))
		return (-1);
	user_for(r, email, 0, &u);
	d = event_data_new(r);
	add_str(d, "link_type", link_type);
	add_str(d, "link_url", url);
	add_str(d, "token", token);
	add_str(d, "expires_at", clock_iso(r->a, clock_now_ms() +
	    (int64_t)expires_s * 1000));
	return (blocking(r, &t, "send.magic_link", &u, d, &res));
}

static const char *
reply_str(json_object *o, const char *k, size_t max)
{
	json_object	*v;
	const char	*s;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	s = json_object_get_string(v);
	return (*s != '\0' && strlen(s) <= max ? s : NULL);
}

/* an error_code a client can switch on: [A-Z0-9_], 1..64 */
static int
code_ok(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '_'))
			return (0);
	return (i > 0 && i <= 64);
}

enum err
webhook_before_create(struct request *r, const struct user_rec *nu,
    const char *provider)
{
	struct webhook_target	 t;
	struct webhook_result	 res;
	struct webhook_user	 u;
	json_object		*d, *rep, *v;
	const char		*code, *msg;
	int			 is_null;

	if (!webhook_target_of(r, "user.before_create", &t))
		return (ERR_NONE);
	webhook_user_of(&u, nu);
	d = event_data_new(r);
	add_str(d, "auth_provider", provider);
	if (blocking(r, &t, "user.before_create", &u, d, &res) == -1)
		return (ERR_WEBHOOK_BEFORE_CREATE_FAILED);
	rep = json_parse(res.body.p, res.body.len, &is_null);
	if (rep == NULL || !json_object_is_type(rep, json_type_object) ||
	    !json_object_object_get_ex(rep, "allowed", &v) ||
	    !json_object_is_type(v, json_type_boolean)) {
		json_object_put(rep);
		log_warnx("branch %s: webhook user.before_create: the reply "
		    "is not {\"allowed\": true|false}", r->branch->name);
		return (ERR_WEBHOOK_BEFORE_CREATE_FAILED);
	}
	json_own(r->a, rep);
	if (json_object_get_boolean(v))
		return (ERR_NONE);
	code = reply_str(rep, "error_code", 64);
	msg = reply_str(rep, "error_message", 1024);
	log_info("branch %s: webhook user.before_create refused the sign-up",
	    r->branch->name);
	return (err_msg_code(r, ERR_WEBHOOK_SIGN_UP_REFUSED,
	    code != NULL && code_ok(code) ? arena_strdup(r->a, code) : NULL,
	    msg != NULL ? arena_strdup(r->a, msg) : NULL));
}

int
webhook_queue(struct request *r, const char *event,
    const struct webhook_user *u, const char *provider)
{
	struct webhook_target	 t;
	json_object		*d;
	const char		*id;
	char			*body;

	if (!webhook_target_of(r, event, &t))
		return (0);
	d = event_data_new(r);
	if (provider != NULL)
		add_str(d, "auth_provider", provider);
	if ((body = webhook_envelope(r->a, r->branch, r->bcfg, event, u, d,
	    &id)) == NULL)
		return (-1);
	if (store_webhook_queue(r->db, r->a, id, r->branch->auth_url, event,
	    body) == -1)
		return (-1);
	log_info("branch %s: webhook %s id=%s queued", r->branch->name,
	    event, id);
	return (0);
}
