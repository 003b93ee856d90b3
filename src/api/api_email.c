/*
 * api_email.c -- email and password: sign-up/email and sign-in/email
 * (protocol.md §1.1, §1.2; neon.md §9.4).
 */
#include <string.h>

#include "api/route.h"
#include "auth/admin.h"
#include "auth/audit.h"
#include "auth/email.h"
#include "auth/password.h"
#include "auth/session.h"
#include "auth/signup.h"
#include "auth/verify.h"
#include "auth/webhook.h"
#include "http/body.h"
#include "http/branchcfg.h"
#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/text.h"
#include "store/store.h"

static void
reply_user_token(struct request *r, const char *token, const struct user_rec *u,
    const char *url, int with_redirect)
{
	struct jbuf	 b;

	jb_init(&b, r->a, 512);
	jb_lit(&b, "{");
	if (with_redirect) {
		jb_lit(&b, "\"redirect\":");
		jb_bool(&b, url != NULL);
		jb_lit(&b, ",");
	}
	jb_lit(&b, "\"token\":");
	jb_str(&b, token);
	if (url) {
		jb_lit(&b, ",\"url\":");
		jb_str(&b, url);
	}
	jb_lit(&b, ",\"user\":");
	user_write(&b, u);
	jb_lit(&b, "}");
	reply_json_str(r, 200, jb_done(&b));
}

/* ---- POST /sign-up/email */

struct sign_up_in {
	const char	*name, *email, *password, *image, *callback;
	int		 remember;
};

static enum err
parse_sign_up(struct request *r, void **inp)
{
	struct sign_up_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx		 v;

	v_begin(&v, r, V_OBJECT_RECORD);
	in->name = v_str(&v, "name", 1);
	in->email = v_email(&v, "email");
	in->password = v_str(&v, "password", 1);
	in->image = v_str(&v, "image", 0);
	in->callback = v_str(&v, "callbackURL", 0);
	in->remember = v_bool(&v, "rememberMe", 1);
	*inp = in;
	return (v_end(&v));
}

static enum err
sign_up(struct request *r, void *inp)
{
	const struct branchcfg	*c = r->bcfg;
	struct sign_up_in	*in = inp;
	struct session_new	 sn;
	struct signup_new	 su;
	const char		*email;
	char			*hash;
	int			 rc;
	struct auth		 a;
	enum err		 e;

	if (!c->ep_enabled || c->disable_sign_up)
		return (ERR_EMAIL_PASSWORD_SIGN_UP_DISABLED);
	if (*in->password == '\0')
		return (ERR_INVALID_PASSWORD);
	if ((e = password_check_length(r, in->password, 1)) != ERR_NONE)
		return (e);
	/* the admin plugin's input:false fields (protocol.md §1.1) */
	if ((e = admin_user_input_check(r, r->json, 0)) != ERR_NONE)
		return (e);
	email = text_lower(r->a, in->email);
	if ((e = password_hash(r, in->password, &hash,
	    ERR_FAILED_TO_CREATE_USER)) != ERR_NONE)
		return (e);
	sn = session_new(r, !in->remember);
	memset(&a, 0, sizeof(a));
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_FAILED_TO_CREATE_USER));
	su.email = email;
	su.name = in->name;
	su.image = in->image;
	su.email_verified = 0;
	su.provider = "credential";
	if ((e = signup_check(r, r->db, &su)) != ERR_NONE) {
		store_rollback(r->db);
		return (e);
	}
	rc = store_sign_up(r->db, r->a, in->name, email, in->image, hash,
	    admin_settings(c)->default_role,
	    c->require_email_verification ? NULL : &sn, &a.u, &a.s);
	if (rc == 1 && audit_event(r, "sign_up", a.u.id, NULL, ERR_NONE,
	    "{\"provider\":\"credential\"}") == -1)
		rc = -1;
	if (rc == 1) {
		struct webhook_user	 wu;

		webhook_user_of(&wu, &a.u);
		if (webhook_queue(r, "user.created", &wu, "credential") == -1)
			rc = -1;
	}
	if (rc == -1) {
		e = err_db(r, r->db, ERR_FAILED_TO_CREATE_USER);
		store_rollback(r->db);
		return (e);
	}
	if (rc == 0)	/* taken: nothing was written */
		store_rollback(r->db);
	else if (store_commit(r->db) == -1)
		return (err_db(r, r->db, ERR_FAILED_TO_CREATE_USER));
	if (rc == 0) {
		if (c->require_email_verification) {
			/* do not reveal the account: a synthetic user */
			struct user_rec	 fake;
			int64_t		 now = clock_now_ms();

			memset(&fake, 0, sizeof(fake));
			fake.id = crypto_random_id(r->a);
			fake.name = in->name;
			fake.email = email;
			fake.image = in->image;
			fake.created_at = fake.updated_at =
			    clock_iso(r->a, now);
			fake.role = admin_settings(c)->default_role;
			fake.banned = 0;
			reply_user_token(r, NULL, &fake, NULL, 0);
			return (ERR_NONE);
		}
		return (ERR_USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL);
	}
	log_info("route=sign-up/email user=%s created", a.u.id);
	/* sendOnSignUp ?? requireEmailVerification (protocol.md §1.1 step 7) */
	if ((c->send_verification_email_on_sign_up ||
	    c->require_email_verification) && email_enabled_verify(r) &&
	    verify_send(r, &a.u, NULL, in->callback) == -1)
		log_warnx("route=sign-up/email the verification was not queued");
	if (c->require_email_verification) {
		reply_user_token(r, NULL, &a.u, NULL, 0);
		return (ERR_NONE);
	}
	session_set_cookie(r, &a, !in->remember);
	reply_user_token(r, a.s.token, &a.u, NULL, 0);
	return (ERR_NONE);
}

/* ---- POST /sign-in/email */

struct sign_in_in {
	const char	*email, *password, *callback;
	int		 remember;
};

static enum err
parse_sign_in(struct request *r, void **inp)
{
	struct sign_in_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx		 v;

	v_begin(&v, r, V_OBJECT);
	in->email = v_str(&v, "email", 1);
	in->password = v_str(&v, "password", 1);
	in->callback = v_str(&v, "callbackURL", 0);
	in->remember = v_bool(&v, "rememberMe", 1);
	*inp = in;
	return (v_end(&v));
}

/* a refused sign-in: recorded on its own (nothing to roll back), answered e */
static enum err
sign_in_failed(struct request *r, const char *user_id, enum err e)
{
	if (audit_event(r, "sign_in", user_id, NULL, e,
	    "{\"provider\":\"credential\"}") == -1)
		log_warnx("route=sign-in/email audit row not written");
	return (e);
}

static enum err
sign_in(struct request *r, void *inp)
{
	const struct branchcfg	*c = r->bcfg;
	struct sign_in_in	*in = inp;
	struct session_new	 sn;
	const char		*hash = NULL;
	char			*rehash;
	int			 rc, match;
	struct auth		 a;
	enum err		 e;

	if (!c->ep_enabled)
		return (ERR_EMAIL_PASSWORD_DISABLED);
	if (!body_email_ok(in->email))
		return (ERR_INVALID_EMAIL);
	if ((e = password_check_length(r, in->password, 0)) != ERR_NONE)
		return (e);
	memset(&a, 0, sizeof(a));
	rc = store_user_by_email(r->db, r->a, text_lower(r->a, in->email),
	    &a.u, &hash);
	if (rc == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	/* unknown users burn the same hash inside the same gate */
	if ((e = password_verify(r, in->password, rc == 1 ? hash : NULL,
	    &match)) != ERR_NONE)
		return (e);
	if (!match)
		return (sign_in_failed(r, rc == 1 ? a.u.id : NULL,
		    ERR_INVALID_EMAIL_OR_PASSWORD));
	if (c->require_email_verification && !a.u.email_verified) {
		if (c->send_verification_email_on_sign_in &&
		    email_enabled_verify(r) &&
		    verify_send(r, &a.u, NULL, in->callback) == -1)
			log_warnx("route=sign-in/email the verification was not "
			    "queued");
		return (sign_in_failed(r, a.u.id, ERR_EMAIL_NOT_VERIFIED));
	}
	if ((e = admin_ban_check(r, &a.u, ERR_FAILED_TO_CREATE_SESSION_401)) !=
	    ERR_NONE)
		return (sign_in_failed(r, a.u.id, e));
	/* an imported bcrypt hash becomes Better Auth's scrypt now */
	rehash = NULL;
	if (password_needs_rehash(hash) && (e = password_hash(r, in->password,
	    &rehash, ERR_FAILED_TO_CREATE_SESSION_401)) != ERR_NONE)
		return (e);
	sn = session_new(r, !in->remember);
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_FAILED_TO_CREATE_SESSION_401));
	if ((rehash != NULL && (store_password_set(r->db, r->a, a.u.id,
	    rehash) == -1 || audit_event(r, "password_rehash", a.u.id, NULL,
	    ERR_NONE, "{\"from\":\"bcrypt\",\"to\":\"scrypt\"}") == -1)) ||
	    store_session_create(r->db, r->a, a.u.id, &sn, &a.s) == -1 ||
	    audit_event(r, "sign_in", a.u.id, NULL, ERR_NONE,
	    "{\"provider\":\"credential\"}") == -1 ||
	    store_commit(r->db) == -1) {
		e = err_db(r, r->db, ERR_FAILED_TO_CREATE_SESSION_401);
		store_rollback(r->db);
		return (e);
	}
	session_set_cookie(r, &a, !in->remember);
	if (in->callback)
		reply_header_add(r, "Location", in->callback);
	reply_user_token(r, a.s.token, &a.u, in->callback, 1);
	return (ERR_NONE);
}

static const struct route routes[] = {
	{ "POST", "/sign-up/email", "sign-up/email", parse_sign_up, sign_up,
	    SESS_NONE, RL_STRICT, ROUTE_DB | ROUTE_FORM | ROUTE_CSRF,
	    "{\"type\":\"object\",\"properties\":{\"token\":{\"type\":[\"string\",\"null\"]},\"user\":{\"$ref\":\"#/components/schemas/User\"}}}" },
	{ "POST", "/sign-in/email", "sign-in/email", parse_sign_in, sign_in,
	    SESS_NONE, RL_STRICT, ROUTE_DB | ROUTE_FORM | ROUTE_CSRF,
	    "{\"type\":\"object\",\"properties\":{\"redirect\":{\"type\":\"boolean\"},\"token\":{\"type\":\"string\"},\"url\":{\"type\":\"string\"},\"user\":{\"$ref\":\"#/components/schemas/User\"}}}" },
	{ NULL, NULL, NULL, NULL, NULL, SESS_NONE, RL_BRANCH, 0, NULL }
};

/* settings.sign_up (auth/signup.c) is registered with this group */
const struct api_group api_email_group = { "email-and-password", routes,
    NULL, &signup_settings_group };
