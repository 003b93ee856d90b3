/*
 * api_otp.c -- the email OTP plugin, as Neon runs it (OTPs stored hashed,
 * neon.md §2.5, §3.3; protocol.md §11.2): send-verification-otp,
 * check-verification-otp, verify-email, sign-in/email-otp,
 * request-password-reset (and the deprecated forget-password/email-otp),
 * reset-password.
 *
 * Codes live in neon_auth.verification as "<type>-otp-<email>" with the
 * value "<base64url(sha256(otp))>:<attempts>", for the branch's
 * settings.lifetimes.otp; auth/verify.h checks them as Better Auth's
 * atomicVerifyOTP does.
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
#include "store/store_account.h"
#include "store/store_verification.h"

static const char *const otp_types[] = { "email-verification", "sign-in",
    "forget-password", "change-email", NULL };

struct otp_in {
	const char	*email, *type, *otp, *password, *name, *image;
};

static struct otp_in *
otp_in(struct request *r)
{
	return (arena_alloc(r->a, sizeof(struct otp_in)));
}

/* ---- sending a code */

/*
 * Better Auth's resolveOTP, then the send: the code is stored before
 * the user is looked up (the same work for every address) and dropped
 * again when nobody should get it.
 */
static enum err
send_code(struct request *r, const char *email, const char *type,
    int send_unknown)
{
	struct email_vars	 v;
	struct user_rec		 u;
	const char		*id, *hash;
	char			*otp;
	int			 rc;

	id = verify_otp_identifier(r, type, email);
	if ((otp = verify_otp_issue(r, id)) == NULL)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	rc = store_user_by_email(r->db, r->a, email, &u, &hash);
	if (rc == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0 && !send_unknown) {
		if (store_verification_delete(r->db, r->a, id) == -1)
			return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
		reply_json_str(r, 200, "{\"success\":true}");
		return (ERR_NONE);
	}
	memset(&v, 0, sizeof(v));
	v.otp = otp;
	v.otp_type = type;
	v.user_name = rc == 1 ? u.name : NULL;
	v.expires_s = r->bcfg->lt_otp;
	/* Better Auth logs a failed send here and answers as always */
	if (email_send(r, MAIL_OTP, rc == 1 ? u.email : email, &v) == -1)
		log_warnx("route=%s the code was not queued", r->route_name);
	reply_json_str(r, 200, "{\"success\":true}");
	return (ERR_NONE);
}

static enum err
parse_send(struct request *r, void **inp)
{
	struct otp_in	*in = otp_in(r);
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT);
	in->email = v_str(&v, "email", 1);
	in->type = v_enum(&v, "type", otp_types);
	*inp = in;
	return (v_end(&v));
}

static enum err
send_verification_otp(struct request *r, void *inp)
{
	struct otp_in	*in = inp;
	const char	*email = text_lower(r->a, in->email);

	if (!email_enabled_kind(r, MAIL_OTP))
		return (ERR_OTP_SEND_NOT_IMPLEMENTED);
	if (!body_email_ok(email))
		return (ERR_INVALID_EMAIL);
	if (strcmp(in->type, "change-email") == 0)
		return (ERR_INVALID_OTP_TYPE);
	return (send_code(r, email, in->type, strcmp(in->type, "sign-in") ==
	    0 && !r->bcfg->disable_sign_up));
}

static enum err
parse_email(struct request *r, void **inp)
{
	struct otp_in	*in = otp_in(r);
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT);
	in->email = v_str(&v, "email", 1);
	*inp = in;
	return (v_end(&v));
}

static enum err
request_password_reset(struct request *r, void *inp)
{
	struct otp_in	*in = inp;
	const char	*email = text_lower(r->a, in->email);

	if (!email_enabled_kind(r, MAIL_OTP))
		return (ERR_OTP_SEND_NOT_IMPLEMENTED);
	if (!body_email_ok(email))
		return (ERR_INVALID_EMAIL);
	return (send_code(r, email, "forget-password", 0));
}

/* ---- checking a code */

static enum err
parse_check(struct request *r, void **inp)
{
	struct otp_in	*in = otp_in(r);
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT);
	in->email = v_str(&v, "email", 1);
	in->type = v_enum(&v, "type", otp_types);
	in->otp = v_str(&v, "otp", 1);
	*inp = in;
	return (v_end(&v));
}

static enum err
check_verification_otp(struct request *r, void *inp)
{
	struct otp_in	*in = inp;
	const char	*email = text_lower(r->a, in->email), *hash;
	struct user_rec	 u;
	enum err	 e;
	int		 rc;

	if (!body_email_ok(email))
		return (ERR_INVALID_EMAIL);
	if ((e = verify_otp_check(r, verify_otp_identifier(r, in->type, email),
	    in->otp, 1)) != ERR_NONE)
		return (e);
	if ((rc = store_user_by_email(r->db, r->a, email, &u, &hash)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0)
		return (ERR_USER_NOT_FOUND);
	reply_json_str(r, 200, "{\"success\":true}");
	return (ERR_NONE);
}

static enum err
parse_email_otp(struct request *r, void **inp)
{
	struct otp_in	*in = otp_in(r);
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT);
	in->email = v_str(&v, "email", 1);
	in->otp = v_str(&v, "otp", 1);
	*inp = in;
	return (v_end(&v));
}

static void
reply_status_token_user(struct request *r, const char *status_key,
    const char *token, const struct user_rec *u)
{
	struct jbuf	 b;

	jb_init(&b, r->a, 512);
	jb_lit(&b, "{");
	if (status_key != NULL) {
		jb_raw(&b, status_key, strlen(status_key));
		jb_lit(&b, ",");
	}
	jb_lit(&b, "\"token\":");
	jb_str(&b, token);
	jb_lit(&b, ",\"user\":");
	user_write(&b, u);
	jb_lit(&b, "}");
	reply_json_str(r, 200, jb_done(&b));
}

static enum err
verify_email_otp(struct request *r, void *inp)
{
	struct otp_in		*in = inp;
	const char		*email = text_lower(r->a, in->email), *hash;
	struct session_new	 sn;
	struct user_rec		 u;
	struct auth		 a, cur;
	int			 rc, auto_in, found, banned;
	enum err		 e;

	if (!body_email_ok(email))
		return (ERR_INVALID_EMAIL);
	if ((e = verify_otp_check(r, verify_otp_identifier(r,
	    "email-verification", email), in->otp, 0)) != ERR_NONE)
		return (e);
	if ((rc = store_user_by_email(r->db, r->a, email, &u, &hash)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0)
		return (ERR_USER_NOT_FOUND);
	auto_in = r->bcfg->auto_sign_in_after_verification;
	/* a banned user's address is verified, but it gets no session */
	banned = 0;
	if (auto_in) {
		e = admin_ban_check(r, &u, ERR_FAILED_TO_CREATE_SESSION);
		if (e == ERR_BANNED_USER) {
			banned = 1;
			auto_in = 0;
		} else if (e != ERR_NONE)
			return (e);
	}
	memset(&a, 0, sizeof(a));
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_FAILED_TO_UPDATE_USER));
	rc = store_user_set_verified(r->db, r->a, u.id, &a.u);
	if (rc == 1 && auto_in) {
		sn = session_new(r, 0);
		if (store_session_create(r->db, r->a, u.id, &sn, &a.s) == -1)
			rc = -1;
	}
	if (rc == 1 && audit_event(r, "email_verify", u.id, NULL, ERR_NONE,
	    auto_in ? "{\"method\":\"otp\",\"signed_in\":true}" :
	    "{\"method\":\"otp\"}") == -1)
		rc = -1;
	if (rc != 1 || store_commit(r->db) == -1) {
		e = err_db(r, r->db, ERR_FAILED_TO_UPDATE_USER);
		store_rollback(r->db);
		return (e);
	}
	if (banned)
		return (ERR_BANNED_USER);
	if (auto_in) {
		session_set_cookie(r, &a, 0);
		reply_status_token_user(r, "\"status\":true", a.s.token, &a.u);
		return (ERR_NONE);
	}
	/* signed in as that user: the cookie cache learns it is verified */
	if ((e = session_load(r, 0, &cur, &found)) != ERR_NONE)
		return (e);
	if (found && strcmp(cur.u.id, a.u.id) == 0) {
		cur.u = a.u;
		session_set_cookie(r, &cur, -1);
	}
	reply_status_token_user(r, "\"status\":true", NULL, &a.u);
	return (ERR_NONE);
}

static enum err
parse_sign_in(struct request *r, void **inp)
{
	struct otp_in	*in = otp_in(r);
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT_RECORD);
	in->email = v_str(&v, "email", 1);
	in->otp = v_str(&v, "otp", 1);
	in->name = v_str(&v, "name", 0);
	in->image = v_str(&v, "image", 0);
	*inp = in;
	return (v_end(&v));
}

static enum err
sign_in_email_otp(struct request *r, void *inp)
{
	struct otp_in		*in = inp;
	const char		*email = text_lower(r->a, in->email), *hash;
	struct session_new	 sn;
	struct signup_new	 su;
	struct auth		 a;
	int			 rc, created = 0, banned;
	enum err		 e;

	if ((e = verify_otp_check(r, verify_otp_identifier(r, "sign-in",
	    email), in->otp, 0)) != ERR_NONE)
		return (e);
	memset(&a, 0, sizeof(a));
	if ((rc = store_user_by_email(r->db, r->a, email, &a.u, &hash)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0 && r->bcfg->disable_sign_up)
		return (ERR_INVALID_OTP);
	/*
	 * the admin plugin's session hook: a banned user gets no session,
	 * but the code still proves the address (Better Auth 1.7.25 verifies
	 * it before createSession throws)
	 */
	banned = 0;
	if (rc == 1 && (e = admin_ban_check(r, &a.u,
	    ERR_FAILED_TO_CREATE_SESSION)) != ERR_NONE) {
		if (e != ERR_BANNED_USER)
			return (e);
		banned = 1;
	}
	sn = session_new(r, 0);
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_FAILED_TO_CREATE_SESSION));
	if (rc == 0) {
		/* the code proved the address: a verified user, no password */
		su.email = email;
		su.name = in->name;
		su.image = in->image;
		su.email_verified = 1;
		su.provider = "email-otp";
		if ((e = signup_check(r, r->db, &su)) != ERR_NONE) {
			store_rollback(r->db);
			return (e);
		}
		rc = store_user_create_verified(r->db, r->a, email,
		    in->name ? in->name : "", in->image, &a.u);
		created = rc == 1;
		if (rc == 0)	/* created concurrently */
			rc = -1;
		if (rc == 1 && audit_event(r, "sign_up", a.u.id, NULL,
		    ERR_NONE, "{\"provider\":\"email-otp\"}") == -1)
			rc = -1;
		if (rc == 1) {
			struct webhook_user	 wu;

			webhook_user_of(&wu, &a.u);
			if (webhook_queue(r, "user.created", &wu,
			    "email-otp") == -1)
				rc = -1;
		}
	} else if (!a.u.email_verified)
		rc = store_user_revoke_unproven(r->db, r->a, a.u.id, &a.u);
	if (rc == 1 && banned) {
		if (store_commit(r->db) == -1) {
			e = err_db(r, r->db, ERR_FAILED_TO_CREATE_SESSION);
			store_rollback(r->db);
			return (e);
		}
		return (ERR_BANNED_USER);
	}
	if (rc == 1 && store_session_create(r->db, r->a, a.u.id, &sn,
	    &a.s) == -1)
		rc = -1;
	if (rc == 1 && audit_event(r, "sign_in", a.u.id, NULL, ERR_NONE,
	    "{\"provider\":\"email-otp\"}") == -1)
		rc = -1;
	if (rc != 1 || store_commit(r->db) == -1) {
		e = err_db(r, r->db, created ? ERR_FAILED_TO_CREATE_USER :
		    ERR_FAILED_TO_CREATE_SESSION);
		store_rollback(r->db);
		return (rc == 0 ? ERR_INVALID_OTP : e);
	}
	session_set_cookie(r, &a, 0);
	reply_status_token_user(r, NULL, a.s.token, &a.u);
	return (ERR_NONE);
}

/* ---- reset-password with a code */

static enum err
parse_reset(struct request *r, void **inp)
{
	struct otp_in	*in = otp_in(r);
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT);
	in->email = v_str(&v, "email", 1);
	in->otp = v_str(&v, "otp", 1);
	in->password = v_str(&v, "password", 1);
	*inp = in;
	return (v_end(&v));
}

/* the code once more, inside the reset's transaction (single use) */
static int
consume_again(struct request *r, const char *id, const char *otp)
{
	struct verification_rec	 got;
	const char		*colon;
	int			 rc;

	if ((rc = store_verification_consume(r->db, r->a, id, &got)) != 1)
		return (rc);
	if (got.expires_ms < clock_now_ms() ||
	    (colon = strrchr(got.value, ':')) == NULL ||
	    strtol(colon + 1, NULL, 10) >= VERIFY_OTP_ATTEMPTS)
		return (0);
	return (crypto_otp_verify_hashed(str_c(otp), (struct str){ got.value,
	    (size_t)(colon - got.value) }));
}

static enum err
reset_password_otp(struct request *r, void *inp)
{
	struct otp_in	*in = inp;
	const char	*email = text_lower(r->a, in->email), *hash, *id;
	struct user_rec	 u, nu;
	char		*newhash;
	int		 rc;
	enum err	 e;

	if (!body_email_ok(email))
		return (ERR_INVALID_EMAIL);
	if ((e = password_check_length(r, in->password, 1)) != ERR_NONE)
		return (e);
	id = verify_otp_identifier(r, "forget-password", email);
	if ((e = verify_otp_check(r, id, in->otp, 1)) != ERR_NONE)
		return (e);
	if ((rc = store_user_by_email(r->db, r->a, email, &u, &hash)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0)
		return (ERR_USER_NOT_FOUND);
	if ((e = password_hash(r, in->password, &newhash,
	    ERR_INTERNAL_EMPTY)) != ERR_NONE)
		return (e);
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if ((rc = consume_again(r, id, in->otp)) == 0) {
		store_rollback(r->db);
		return (ERR_INVALID_OTP);
	}
	if (rc == -1 || (r->bcfg->pw_revoke_on_reset &&
	    store_sessions_delete_user(r->db, r->a, u.id, NULL, 0) == -1) ||
	    store_credential_set(r->db, r->a, u.id, newhash) == -1 ||
	    (!u.email_verified && store_user_set_verified(r->db, r->a, u.id,
	    &nu) == -1) ||
	    audit_event(r, "password_reset", u.id, NULL, ERR_NONE,
	    "{\"method\":\"otp\"}") == -1 || store_commit(r->db) == -1) {
		e = err_db(r, r->db, ERR_INTERNAL_EMPTY);
		store_rollback(r->db);
		return (e);
	}
	log_info("route=email-otp/reset-password user=%s password reset", u.id);
	reply_json_str(r, 200, "{\"success\":true}");
	return (ERR_NONE);
}

#define R_OTP	ROUTE_DB
#define SUCCESS	"{\"type\":\"object\",\"properties\":{\"success\":" \
		"{\"type\":\"boolean\"}}}"
#define TOKEN_USER "{\"type\":\"object\",\"properties\":{\"token\":" \
		"{\"type\":[\"string\",\"null\"]},\"user\":{\"$ref\":" \
		"\"#/components/schemas/User\"}}}"

static const struct route routes[] = {
	{ "POST", "/email-otp/send-verification-otp",
	    "email-otp/send-verification-otp", parse_send,
	    send_verification_otp, SESS_NONE, RL_MAIL, R_OTP | ROUTE_CSRF,
	    SUCCESS },
	{ "POST", "/email-otp/check-verification-otp",
	    "email-otp/check-verification-otp", parse_check,
	    check_verification_otp, SESS_NONE, RL_MAIL, R_OTP, SUCCESS },
	{ "POST", "/email-otp/verify-email", "email-otp/verify-email",
	    parse_email_otp, verify_email_otp, SESS_NONE, RL_MAIL, R_OTP,
	    TOKEN_USER },
	{ "POST", "/sign-in/email-otp", "sign-in/email-otp", parse_sign_in,
	    sign_in_email_otp, SESS_NONE, RL_MAIL, R_OTP, TOKEN_USER },
	{ "POST", "/email-otp/request-password-reset",
	    "email-otp/request-password-reset", parse_email,
	    request_password_reset, SESS_NONE, RL_MAIL, R_OTP, SUCCESS },
	{ "POST", "/forget-password/email-otp", "forget-password/email-otp",
	    parse_email, request_password_reset, SESS_NONE, RL_MAIL, R_OTP,
	    SUCCESS },
	{ "POST", "/email-otp/reset-password", "email-otp/reset-password",
	    parse_reset, reset_password_otp, SESS_NONE, RL_MAIL, R_OTP,
	    SUCCESS },
	{ NULL, NULL, NULL, NULL, NULL, SESS_NONE, RL_BRANCH, 0, NULL }
};

const struct api_group api_otp_group = { "email-otp", routes, NULL, NULL };
