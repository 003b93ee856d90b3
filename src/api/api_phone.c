/*
 * api_phone.c -- the phone-number plugin as Neon runs it (neon.md §3.1,
 * §3.3): sign-in only, the code delivered ONLY through the send.otp
 * webhook with delivery_preference "sms" (auth/webhook.h).
 *
 *   POST /phone-number/send-otp {phoneNumber}
 *   POST /phone-number/verify {phoneNumber, code, updatePhoneNumber?,
 *        disableSession?}
 *
 * Numbers are E.164 (^\+[1-9]\d{1,14}$).  A code is 6 digits, stored
 * hashed as the email OTPs are (identifier: the number, value
 * "<base64url(sha256(code))>:<attempts>"), for plugin_configs
 * ["phone-number"].otp_expires_in seconds (60..600, default 300); the
 * third wrong code invalidates it.  verify signs in the user who has the
 * number (verified then), or with updatePhoneNumber gives the number to
 * the signed-in user; either way phone_number.verified is queued.
 * Without a send.otp subscriber send-otp answers PHONE_NO_SENDER.
 * 10 requests per 60 s per address (the plugin's rule).
 */
#include <stddef.h>
#include <string.h>

#include "api/route.h"
#include "auth/audit.h"
#include "auth/session.h"
#include "auth/verify.h"
#include "auth/webhook.h"
#include "http/body.h"
#include "http/branchcfg.h"
#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/json.h"
#include "lib/log.h"
#include "store/record.h"
#include "store/store.h"
#include "store/store_account.h"
#include "store/store_phone.h"
#include "store/store_verification.h"

#define RL_PHONE	{ 60, 10 }
#define PHONE_OTP_LEN	6

struct phone_settings {
	int	 enabled;
	int	 otp_expires_in;	/* seconds */
};

#define PS(m)	offsetof(struct phone_settings, m)
static const struct group_setting phone_members[] = {
	{ "enabled", GSET_BOOL, 0, 0, 0, NULL, NULL, PS(enabled), 0, NULL },
	{ "otp_expires_in", GSET_INT, 300, 60, 600, NULL, NULL,
	    PS(otp_expires_in), 0, NULL },
	{ NULL, GSET_BOOL, 0, 0, 0, NULL, NULL, 0, 0, NULL }
};
#undef PS

static void
phone_finish(void *vals, json_object *obj, const struct branchcfg *c)
{
	struct phone_settings	*s = vals;

	(void)obj;
	(void)c;
	if (s->otp_expires_in < 60 || s->otp_expires_in > 600)
		s->otp_expires_in = 300;
}

static const struct settings_group phone_settings_group = {
	"plugin_configs.phone-number", phone_members,
	sizeof(struct phone_settings), phone_finish
};

static const struct phone_settings *
phone_settings(const struct branchcfg *c)
{
	return (branchcfg_group(c, &phone_settings_group));
}

static int
phone_enabled(const struct branchcfg *c)
{
	return (phone_settings(c)->enabled);
}

/* E.164: "+", a digit 1-9, then 1..14 digits */
static int
e164_ok(const char *s)
{
	size_t	 i;

	if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return (0);
	for (i = 2; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return (0);
	return (i >= 3 && i <= 16);
}

struct phone_in {
	const char	*phone, *code;
	int		 update, no_session;
};

/* ---- POST /phone-number/send-otp */

static enum err
parse_send(struct request *r, void **inp)
{
	struct phone_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT);
	in->phone = v_str(&v, "phoneNumber", 1);
	*inp = in;
	return (v_end(&v));
}

static enum err
send_otp(struct request *r, void *inp)
{
	struct phone_in	*in = inp;
	int		 ttl = phone_settings(r->bcfg)->otp_expires_in;
	const char	*hash;
	char		*code;

	if (!e164_ok(in->phone))
		return (ERR_INVALID_PHONE_NUMBER);
	if (!webhook_subscribed(r, "send.otp"))
		return (ERR_PHONE_NO_SENDER);
	if ((code = crypto_random_string(r->a, PHONE_OTP_LEN,
	    CRYPTO_ALPHABET_DIGITS)) == NULL ||
	    (hash = crypto_sha256_base64url(r->a, str_c(code))) == NULL)
		return (ERR_INTERNAL_EMPTY);
	if (store_verification_delete(r->db, r->a, in->phone) == -1 ||
	    store_verification_create(r->db, r->a, in->phone,
	    arena_printf(r->a, "%s:0", hash), clock_now_ms() +
	    (int64_t)ttl * 1000) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (webhook_send_otp(r, in->phone, code, "sign-in", "sms", ttl) ==
	    -1) {
		(void)store_verification_delete(r->db, r->a, in->phone);
		return (ERR_WEBHOOK_SEND_FAILED);
	}
	reply_json_str(r, 200, "{\"message\":\"code sent\"}");
	return (ERR_NONE);
}

/* ---- POST /phone-number/verify */

static enum err
parse_verify(struct request *r, void **inp)
{
	struct phone_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT);
	in->phone = v_str(&v, "phoneNumber", 1);
	in->code = v_str(&v, "code", 1);
	in->no_session = v_bool(&v, "disableSession", 0);
	in->update = v_bool(&v, "updatePhoneNumber", 0);
	*inp = in;
	return (v_end(&v));
}

/* {"status":true,"token":…,"user":{…,"phoneNumber",
 * "phoneNumberVerified"}} */
static void
reply_verified(struct request *r, const char *token,
    const struct user_rec *u, const char *phone)
{
	struct jbuf	 b, ub;
	char		*us;
	size_t		 n;

	jb_init(&ub, r->a, 512);
	user_write(&ub, u);
	us = jb_done(&ub);
	n = strlen(us);
	jb_init(&b, r->a, 768);
	jb_lit(&b, "{\"status\":true,\"token\":");
	jb_str(&b, token);
	jb_lit(&b, ",\"user\":");
	jb_raw(&b, us, n > 0 ? n - 1 : 0);	/* without its '}' */
	jb_lit(&b, ",\"phoneNumber\":");
	jb_str(&b, phone);
	jb_lit(&b, ",\"phoneNumberVerified\":true}}");
	reply_json_str(r, 200, jb_done(&b));
}

static enum err
verify(struct request *r, void *inp)
{
	struct phone_in		*in = inp;
	struct session_new	 sn;
	struct webhook_user	 wu;
	struct auth		 a;
	const char		*uid;
	int			 rc;
	enum err		 e;

	if (!e164_ok(in->phone))
		return (ERR_INVALID_PHONE_NUMBER);
	if (in->update && r->auth == NULL)
		return (ERR_UNAUTHORIZED);
	if ((e = verify_otp_check(r, in->phone, in->code, 0)) != ERR_NONE)
		return (e);
	memset(&a, 0, sizeof(a));
	if (in->update) {
		a = *r->auth;
		uid = a.u.id;
	} else {
		rc = store_phone_user(r->db, r->a, in->phone, &uid);
		if (rc == -1)
			return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
		if (rc == 0)	/* sign-in only, as on Neon */
			return (ERR_PHONE_NUMBER_NOT_EXIST);
		if ((rc = store_user_by_id(r->db, r->a, uid, &a.u)) != 1)
			return (rc == 0 ? ERR_PHONE_NUMBER_NOT_EXIST :
			    err_db(r, r->db, ERR_INTERNAL_EMPTY));
	}
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_FAILED_TO_CREATE_SESSION));
	rc = in->update ? store_phone_set(r->db, r->a, uid, in->phone) :
	    store_phone_verified(r->db, r->a, uid);
	if (rc == 0) {
		store_rollback(r->db);
		return (in->update ? ERR_PHONE_NUMBER_EXIST :
		    ERR_PHONE_NUMBER_NOT_EXIST);
	}
	if (rc == 1 && !in->update && !in->no_session) {
		sn = session_new(r, 0);
		if (store_session_create(r->db, r->a, uid, &sn, &a.s) == -1)
			rc = -1;
		if (rc == 1 && audit_event(r, "sign_in", uid, NULL, ERR_NONE,
		    "{\"provider\":\"phone-number\"}") == -1)
			rc = -1;
	}
	if (rc == 1) {
		webhook_user_of(&wu, &a.u);
		wu.phone_number = in->phone;
		wu.phone_number_verified = 1;
		if (webhook_queue(r, "phone_number.verified", &wu, NULL) == -1)
			rc = -1;
	}
	if (rc != 1 || store_commit(r->db) == -1) {
		e = err_db(r, r->db, ERR_FAILED_TO_CREATE_SESSION);
		store_rollback(r->db);
		return (e);
	}
	if (!in->update && !in->no_session) {
		session_set_cookie(r, &a, 0);
		reply_verified(r, a.s.token, &a.u, in->phone);
	} else
		reply_verified(r, in->update ? r->auth->s.token : NULL, &a.u,
		    in->phone);
	return (ERR_NONE);
}

#define USER_PHONE_SCHEMA \
	"{\"type\":\"object\",\"properties\":{\"status\":{\"type\":" \
	"\"boolean\"},\"token\":{\"type\":[\"string\",\"null\"]},\"user\":" \
	"{\"$ref\":\"#/components/schemas/User\"}}}"

static const struct route routes[] = {
	{ "POST", "/phone-number/send-otp", "phone-number/send-otp",
	    parse_send, send_otp, SESS_NONE, RL_PHONE, ROUTE_DB,
	    "{\"type\":\"object\",\"properties\":{\"message\":"
	    "{\"type\":\"string\"}}}" },
	{ "POST", "/phone-number/verify", "phone-number/verify",
	    parse_verify, verify, SESS_OPTIONAL, RL_PHONE, ROUTE_DB,
	    USER_PHONE_SCHEMA },
	{ NULL, NULL, NULL, NULL, NULL, SESS_NONE, RL_BRANCH, 0, NULL }
};

const struct api_group api_phone_group = { "phone-number", routes,
    phone_enabled, &phone_settings_group };
