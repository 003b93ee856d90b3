/*
 * api_magic_link.c -- the magic-link plugin: POST sign-in/magic-link (an
 * emailed single-use link) and GET magic-link/verify (the link: a
 * session, and a redirect to callbackURL, newUserCallbackURL or
 * errorCallbackURL).  Neon's plugin_configs["magic-link"] switches it
 * on, sets the lifetime (expires_in, minutes) and disable_sign_up
 * (neon.md §3.1, §9.2).  Without a way to send mail the plugin is off
 * too (404): a link nobody can receive is no sign-in method.
 */
#include <stddef.h>
#include <string.h>

#include "api/route.h"
#include "auth/admin.h"
#include "auth/audit.h"
#include "auth/email.h"
#include "auth/webhook.h"
#include "auth/session.h"
#include "auth/signup.h"
#include "http/body.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/origin.h"
#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/httpc.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/text.h"
#include "lib/url.h"
#include "store/store.h"
#include "store/store_account.h"
#include "store/store_verification.h"

#define ML_TOKEN_LEN	32
#define ML_ALPHABET \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

/*
 * plugin_configs["magic-link"], the plugin's own settings (Neon's names):
 * expires_in in minutes (5..1440), else settings.lifetimes.magic_link.
 */
struct ml_settings {
	int	 enabled;
	int	 disable_sign_up;
	int	 expires_min;	/* as given; 0: not given */
	int	 expires_s;	/* what the plugin uses */
};

#define MS(m)	offsetof(struct ml_settings, m)
static const struct group_setting ml_members[] = {
	{ "enabled", GSET_BOOL, 0, 0, 0, NULL, NULL, MS(enabled), 0, NULL },
	{ "expires_in", GSET_INT, 0, 5, 1440, NULL, NULL, MS(expires_min), 0,
	    NULL },
	{ "disable_sign_up", GSET_BOOL, 0, 0, 0, NULL, NULL,
	    MS(disable_sign_up), 0, NULL },
	{ NULL, GSET_BOOL, 0, 0, 0, NULL, NULL, 0, 0, NULL }
};
#undef MS

static void
ml_finish(void *vals, json_object *obj, const struct branchcfg *c)
{
	struct ml_settings	*s = vals;

	(void)obj;
	s->expires_s = s->expires_min > 0 ? s->expires_min * 60 :
	    c != NULL ? c->lt_magic_link : 300;
}

static const struct settings_group ml_settings_group = {
	"plugin_configs.magic-link", ml_members, sizeof(struct ml_settings),
	ml_finish
};

static const struct ml_settings *
ml_settings(const struct branchcfg *c)
{
	return (branchcfg_group(c, &ml_settings_group));
}

static int
ml_enabled(const struct branchcfg *c)
{
	return (ml_settings(c)->enabled);
}

/* ---- POST /sign-in/magic-link */

struct ml_in {
	const char	*email, *name, *cb, *new_cb, *err_cb;
};

static enum err
parse_sign_in(struct request *r, void **inp)
{
	struct ml_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx	 v;
	json_object	*m;

	v_begin(&v, r, V_OBJECT);
	in->email = v_email(&v, "email");
	in->name = v_str(&v, "name", 0);
	in->cb = v_str(&v, "callbackURL", 0);
	in->new_cb = v_str(&v, "newUserCallbackURL", 0);
	in->err_cb = v_str(&v, "errorCallbackURL", 0);
	/* metadata: z.record(z.string(), z.any()).optional() */
	if (r->describe == NULL && v.body != NULL &&
	    json_object_object_get_ex(v.body, "metadata", &m) &&
	    !json_object_is_type(m, json_type_object))
		v.issues = arena_printf(r->a, "%s%s[body.metadata] Invalid "
		    "input: expected record, received %s", v.issues ?
		    v.issues : "", v.issues ? "; " : "", m == NULL ? "null" :
		    json_object_is_type(m, json_type_array) ? "array" :
		    json_object_is_type(m, json_type_string) ? "string" :
		    json_object_is_type(m, json_type_boolean) ? "boolean" :
		    "number");
	*inp = in;
	return (v_end(&v));
}

static enum err
sign_in_magic_link(struct request *r, void *inp)
{
	struct ml_in		*in = inp;
	struct email_vars	 v;
	struct jbuf		 b;
	char			*token, *url;

	if (!email_enabled_kind(r, MAIL_MAGIC_LINK)) {
		reply_empty(r, 404);
		return (ERR_NONE);
	}
	if ((token = crypto_random_string(r->a, ML_TOKEN_LEN,
	    ML_ALPHABET)) == NULL)
		return (ERR_INTERNAL_EMPTY);
	jb_init(&b, r->a, 128);
	jb_lit(&b, "{\"type\":\"magic-link\",\"email\":");
	jb_str(&b, in->email);
	if (in->name != NULL) {
		jb_lit(&b, ",\"name\":");
		jb_str(&b, in->name);
	}
	jb_lit(&b, "}");
	if (store_verification_create(r->db, r->a, arena_printf(r->a,
	    "magic-link:%s", token), jb_done(&b), clock_now_ms() +
	    (int64_t)ml_settings(r->bcfg)->expires_s * 1000) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	url = arena_printf(r->a, "%s/magic-link/verify", r->branch->auth_url);
	url = url_search_set(r->a, url, "token", token);
	url = url_search_set(r->a, url, "callbackURL", in->cb != NULL &&
	    *in->cb != '\0' ? in->cb : "/");
	if (in->new_cb != NULL && *in->new_cb != '\0')
		url = url_search_set(r->a, url, "newUserCallbackURL",
		    in->new_cb);
	if (in->err_cb != NULL && *in->err_cb != '\0')
		url = url_search_set(r->a, url, "errorCallbackURL", in->err_cb);
	memset(&v, 0, sizeof(v));
	v.url = url;
	v.token = token;
	v.expires_s = ml_settings(r->bcfg)->expires_s;
	/* the sender's failure is the endpoint's (Better Auth awaits it) */
	if (email_send(r, MAIL_MAGIC_LINK, in->email, &v) == -1)
		return (ERR_INTERNAL_EMPTY);
	reply_json_str(r, 200, "{\"status\":true}");
	return (ERR_NONE);
}

/* ---- GET /magic-link/verify */

struct verify_urls {
	char	*cb, *err_cb, *new_cb;
};

static char *
resolve(struct request *r, const char *u)
{
	char	*abs = httpc_url_resolve(r->a, r->branch->auth_url, u);

	return (abs != NULL ? abs : arena_strdup(r->a, u));
}

static enum err
fail(struct request *r, const struct verify_urls *u, const char *error)
{
	reply_redirect(r, url_search_set(r->a, u->err_cb, "error", error));
	return (ERR_NONE);
}

/* the record's email and name: {"type":"magic-link","email",...} */
static int
record_parse(struct request *r, const char *value, const char **email,
    const char **name)
{
	json_object_iter	 it;
	json_object		*o = json_parse(value, strlen(value), NULL);
	int			 type = 0;

	*email = *name = NULL;
	if (o == NULL)
		return (0);
	json_own(r->a, o);
	if (!json_object_is_type(o, json_type_object))
		return (0);
	/* z.object({type, email, name?}).strict() */
	json_object_object_foreachC(o, it) {
		if (strcmp(it.key, "type") == 0 && json_object_is_type(it.val,
		    json_type_string) && strcmp(json_object_get_string(it.val),
		    "magic-link") == 0)
			type = 1;
		else if (strcmp(it.key, "email") == 0 &&
		    json_object_is_type(it.val, json_type_string))
			*email = json_object_get_string(it.val);
		else if (strcmp(it.key, "name") == 0 &&
		    json_object_is_type(it.val, json_type_string))
			*name = json_object_get_string(it.val);
		else
			return (0);
	}
	return (type && *email != NULL && body_email_ok(*email));
}

static enum err
magic_link_verify(struct request *r, void *in)
{
	struct verification_rec	 vr;
	struct verify_urls	 u;
	struct session_new	 sn;
	struct signup_new	 su;
	struct auth		 a;
	const char		*token, *qcb, *qerr, *qnew, *email, *name;
	const char		*hash, *id;
	char			*issues = NULL;
	struct jbuf		 b;
	int			 rc, created = 0, banned;
	enum err		 e;

	(void)in;
	token = body_query_str(r, "token", 1, &issues);
	qcb = body_query_str(r, "callbackURL", 0, &issues);
	qerr = body_query_str(r, "errorCallbackURL", 0, &issues);
	qnew = body_query_str(r, "newUserCallbackURL", 0, &issues);
	if (issues != NULL)
		return (err_msg(r, ERR_VALIDATION_ERROR, issues));
	if ((qcb && *qcb && !origin_trusted(r, qcb, 1)) ||
	    (qnew && *qnew && !origin_trusted(r, qnew, 1)) ||
	    (qerr && *qerr && !origin_trusted(r, qerr, 1)))
		return (ERR_INVALID_CALLBACK_URL);
	if (!email_enabled_kind(r, MAIL_MAGIC_LINK)) {
		reply_empty(r, 404);
		return (ERR_NONE);
	}
	u.cb = resolve(r, qcb != NULL && *qcb != '\0' ? qcb : "/");
	u.err_cb = qerr != NULL && *qerr != '\0' ? resolve(r, qerr) : u.cb;
	u.new_cb = qnew != NULL && *qnew != '\0' ? resolve(r, qnew) : u.cb;
	id = arena_printf(r->a, "magic-link:%s", token);
	if ((rc = store_verification_find(r->db, r->a, id, &vr)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0 || !record_parse(r, vr.value, &email, &name))
		return (fail(r, &u, "INVALID_TOKEN"));
	/* single use: of two clicks, one consumes */
	if ((rc = store_verification_consume(r->db, r->a, id, &vr)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0 || vr.expires_ms < clock_now_ms() ||
	    !record_parse(r, vr.value, &email, &name))
		return (fail(r, &u, "INVALID_TOKEN"));
	email = text_lower(r->a, email);
	memset(&a, 0, sizeof(a));
	if ((rc = store_user_by_email(r->db, r->a, email, &a.u, &hash)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0 && ml_settings(r->bcfg)->disable_sign_up)
		return (fail(r, &u, "new_user_signup_disabled"));
	/*
	 * the admin plugin's session hook: a banned user gets no session,
	 * 403 BANNED_USER as JSON even with a callbackURL, after the link
	 * proved the address (Better Auth 1.7.25 verifies it, then
	 * createSession throws)
	 */
	banned = 0;
	if (rc == 1 && (e = admin_ban_check(r, &a.u, ERR_INTERNAL_EMPTY)) !=
	    ERR_NONE) {
		if (e != ERR_BANNED_USER)
			return (e);
		banned = 1;
	}
	sn = session_new(r, 0);
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0) {
		su.email = email;
		su.name = name;
		su.image = NULL;
		su.email_verified = 1;
		su.provider = "magic-link";
		if ((e = signup_check(r, r->db, &su)) != ERR_NONE) {
			store_rollback(r->db);
			/* the refusal's code on the error callback */
			if (e == ERR_DATABASE_UNAVAILABLE ||
			    err_info(e)->code == NULL)
				return (e);
			return (fail(r, &u, err_info(e)->code));
		}
		rc = store_user_create_verified(r->db, r->a, email,
		    name ? name : "", NULL, &a.u);
		if (rc != 1) {
			store_rollback(r->db);
			return (rc == 0 ? fail(r, &u, "failed_to_create_user") :
			    err_db(r, r->db, ERR_INTERNAL_EMPTY));
		}
		created = 1;
		if (audit_event(r, "sign_up", a.u.id, NULL, ERR_NONE,
		    "{\"provider\":\"magic-link\"}") == -1)
			rc = -1;
		if (rc == 1) {
			struct webhook_user	 wu;

			webhook_user_of(&wu, &a.u);
			if (webhook_queue(r, "user.created", &wu,
			    "magic-link") == -1)
				rc = -1;
		}
	} else if (!a.u.email_verified) {
		rc = store_user_revoke_unproven(r->db, r->a, a.u.id, &a.u);
		if (rc == 0) {
			store_rollback(r->db);
			return (fail(r, &u, "user_not_found"));
		}
	}
	if (rc == 1 && banned) {
		if (store_commit(r->db) == -1) {
			e = err_db(r, r->db, ERR_INTERNAL_EMPTY);
			store_rollback(r->db);
			return (e);
		}
		return (ERR_BANNED_USER);
	}
	if (rc == 1 && store_session_create(r->db, r->a, a.u.id, &sn,
	    &a.s) == -1)
		rc = -1;
	if (rc == 1 && audit_event(r, "sign_in", a.u.id, NULL, ERR_NONE,
	    "{\"provider\":\"magic-link\"}") == -1)
		rc = -1;
	if (rc != 1 || store_commit(r->db) == -1) {
		e = err_db(r, r->db, ERR_INTERNAL_EMPTY);
		store_rollback(r->db);
		if (e == ERR_INTERNAL_EMPTY)
			return (fail(r, &u, "failed_to_create_session"));
		return (e);
	}
	session_set_cookie(r, &a, 0);
	if (qcb == NULL || *qcb == '\0') {
		jb_init(&b, r->a, 1024);
		jb_lit(&b, "{\"token\":");
		jb_str(&b, a.s.token);
		jb_lit(&b, ",\"user\":");
		user_write(&b, &a.u);
		jb_lit(&b, ",\"session\":");
		session_write(&b, &a.s);
		jb_lit(&b, "}");
		reply_json_str(r, 200, jb_done(&b));
		return (ERR_NONE);
	}
	reply_redirect(r, created ? u.new_cb : u.cb);
	return (ERR_NONE);
}

static const struct route routes[] = {
	{ "POST", "/sign-in/magic-link", "sign-in/magic-link", parse_sign_in,
	    sign_in_magic_link, SESS_NONE, RL_MAGIC, ROUTE_DB | ROUTE_CSRF,
	    "{\"type\":\"object\",\"properties\":{\"status\":"
	    "{\"type\":\"boolean\"}}}" },
	{ "GET", "/magic-link/verify", "magic-link/verify", NULL,
	    magic_link_verify, SESS_NONE, RL_MAGIC, ROUTE_DB,
	    "{\"type\":\"object\",\"properties\":{\"token\":{\"type\":"
	    "\"string\"},\"user\":{\"$ref\":\"#/components/schemas/User\"},"
	    "\"session\":{\"$ref\":\"#/components/schemas/Session\"}}}" },
	{ NULL, NULL, NULL, NULL, NULL, SESS_NONE, RL_BRANCH, 0, NULL }
};

const struct api_group api_magic_link_group = { "magic-link", routes,
    ml_enabled, &ml_settings_group };
