/*
 * api_email.c -- email and password: sign-up/email and sign-in/email
 * (protocol.md §1.1, §1.2; neon.md §9.4).
 */
#include <string.h>

#include "api/api.h"
#include "http/body.h"
#include "http/branchcfg.h"
#include "lib/crypto.h"
#include "lib/hashgate.h"
#include "lib/json.h"
#include "lib/log.h"
#include "http/origin.h"
#include "auth/session.h"
#include "store/store.h"
#include "lib/clock.h"
#include "lib/text.h"

/*
 * api_password_prepare: NFKC-normalise a password (identity for ASCII,
 * PostgreSQL's normalize() otherwise).  NULL on a database failure, with
 * the reply set.
 */
const char *
api_password_prepare(struct request *r, const char *pw)
{
	const char	*out;

	if (crypto_is_ascii(str_c(pw)))
		return (pw);
	if (store_nfkc(r, pw, &out) == -1) {
		store_fail(r, NULL, NULL);
		return (NULL);
	}
	return (out);
}


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

void
api_sign_up_email(struct request *r)
{
	const struct branchcfg	*c = r->bcfg;
	struct vctx		 v;
	const char		*name, *email, *password, *image, *pw;
	char			*hash;
	int			 remember, with_session, rc;
	size_t			 len;
	struct auth		 a;

	v_begin(&v, r, V_OBJECT_RECORD);
	name = v_str(&v, "name", 1);
	email = v_email(&v, "email");
	password = v_str(&v, "password", 1);
	image = v_str(&v, "image", 0);
	(void)v_str(&v, "callbackURL", 0);
	remember = v_bool(&v, "rememberMe", 1);
	if (v_end(&v) == -1)
		return;
	if (origin_form_csrf(r) == -1)
		return;
	if (!c->ep_enabled || c->disable_sign_up) {
		reply_error(r, 400, "EMAIL_PASSWORD_SIGN_UP_DISABLED",
		    "Email and password sign up is not enabled");
		return;
	}
	if (*password == '\0') {
		reply_error(r, 400, "INVALID_PASSWORD", "Invalid password");
		return;
	}
	len = text_js_length(password, strlen(password));
	if (len < (size_t)c->pw_min) {
		reply_error(r, 400, "PASSWORD_TOO_SHORT", "Password too short");
		return;
	}
	if (len > (size_t)c->pw_max) {
		reply_error(r, 400, "PASSWORD_TOO_LONG", "Password too long");
		return;
	}
	email = text_lower(r->a, email);
	if ((pw = api_password_prepare(r, password)) == NULL)
		return;
	if (hashgate_password_hash(r->a, str_c(pw), &hash) == -1) {
		reply_error(r, 422, "FAILED_TO_CREATE_USER",
		    "Failed to create user");
		return;
	}
	with_session = !c->require_email_verification;
	memset(&a, 0, sizeof(a));
	rc = store_sign_up(r, name, email, image, hash, with_session,
	    !remember, &a.u, &a.s);
	if (rc == -1) {
		store_fail(r, "FAILED_TO_CREATE_USER", "Failed to create user");
		if (r->status == 500)
			reply_error(r, 422, "FAILED_TO_CREATE_USER",
			    "Failed to create user");
		return;
	}
	if (rc == 0) {
		if (c->require_email_verification) {
			/* do not reveal the account: a synthetic user */
			struct user_rec	 fake;
			int64_t		 now = clock_now_ms();

			memset(&fake, 0, sizeof(fake));
			fake.id = crypto_random_id(r->a);
			fake.name = name;
			fake.email = email;
			fake.image = image;
			fake.created_at = fake.updated_at =
			    clock_iso(r->a, now);
			fake.role = "user";
			fake.banned = 0;
			reply_user_token(r, NULL, &fake, NULL, 0);
			return;
		}
		reply_error(r, 422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
		    "User already exists. Use another email.");
		return;
	}
	log_info("route=sign-up/email user=%s created", a.u.id);
	if (!with_session) {
		reply_user_token(r, NULL, &a.u, NULL, 0);
		return;
	}
	session_set_cookie(r, &a, !remember);
	reply_user_token(r, a.s.token, &a.u, NULL, 0);
}

void
api_sign_in_email(struct request *r)
{
	const struct branchcfg	*c = r->bcfg;
	struct vctx		 v;
	const char		*email, *password, *cb, *hash, *pw;
	int			 remember, rc;
	struct auth		 a;

	v_begin(&v, r, V_OBJECT);
	email = v_str(&v, "email", 1);
	password = v_str(&v, "password", 1);
	cb = v_str(&v, "callbackURL", 0);
	remember = v_bool(&v, "rememberMe", 1);
	if (v_end(&v) == -1)
		return;
	if (origin_form_csrf(r) == -1)
		return;
	if (!c->ep_enabled) {
		reply_error(r, 400, "EMAIL_PASSWORD_DISABLED",
		    "Email and password is not enabled");
		return;
	}
	if (!body_email_ok(email)) {
		reply_error(r, 400, "INVALID_EMAIL", "Invalid email");
		return;
	}
	if (text_js_length(password, strlen(password)) > (size_t)c->pw_max) {
		reply_error(r, 400, "PASSWORD_TOO_LONG", "Password too long");
		return;
	}
	if ((pw = api_password_prepare(r, password)) == NULL)
		return;
	memset(&a, 0, sizeof(a));
	rc = store_user_by_email(r, text_lower(r->a, email), &a.u, &hash);
	if (rc == -1) {
		store_fail(r, NULL, NULL);
		return;
	}
	if (rc == 0 || hash == NULL) {
		crypto_password_burn(str_c(pw));
		reply_error(r, 401, "INVALID_EMAIL_OR_PASSWORD",
		    "Invalid email or password");
		return;
	}
	if (hashgate_password_verify(str_c(pw), hash) != 1) {
		reply_error(r, 401, "INVALID_EMAIL_OR_PASSWORD",
		    "Invalid email or password");
		return;
	}
	if (c->require_email_verification && !a.u.email_verified) {
		reply_error(r, 403, "EMAIL_NOT_VERIFIED", "Email not verified");
		return;
	}
	if (store_session_create(r, a.u.id, !remember, &a.s) == -1) {
		store_fail(r, "FAILED_TO_CREATE_SESSION",
		    "Failed to create session");
		if (r->status == 500)
			reply_error(r, 401, "FAILED_TO_CREATE_SESSION",
			    "Failed to create session");
		return;
	}
	session_set_cookie(r, &a, !remember);
	if (cb)
		reply_header_add(r, "Location", cb);
	reply_user_token(r, a.s.token, &a.u, cb, 1);
}
