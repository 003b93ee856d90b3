/*
 * api_session.c -- the signed-in user's endpoints: get-session, sign-out,
 * session lists and revocation, update-user/session, change-email,
 * change-password, verify-password, delete-user (protocol.md §1.5-1.17).
 */
#include <string.h>

#include "api/route.h"
#include "auth/admin.h"
#include "auth/audit.h"
#include "auth/oauth.h"
#include "auth/email.h"
#include "auth/password.h"
#include "auth/session.h"
#include "auth/token.h"
#include "auth/verify.h"
#include "http/body.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/cookie.h"
#include "http/origin.h"
#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/text.h"
#include "lib/url.h"
#include "store/store.h"
#include "store/store_verification.h"

/* deleteTokenExpiresIn (protocol.md §0.3) */
#define DELETE_TOKEN_TTL_S	86400

static enum err
reply_status_true(struct request *r)
{
	reply_json_str(r, 200, "{\"status\":true}");
	return (ERR_NONE);
}

/* a non-empty query value means true (z.coerce.boolean) */
static int
query_flag(struct request *r, const char *key)
{
	const char	*v = request_query(r, key);

	return (v != NULL && *v != '\0');
}

/* JavaScript truthiness of a JSON member (NULL: undefined) */
static int
truthy(json_object *o)
{
	if (o == NULL)
		return (0);
	switch (json_object_get_type(o)) {
	case json_type_boolean:
		return (json_object_get_boolean(o));
	case json_type_int:
	case json_type_double:
		return (json_object_get_double(o) != 0);
	case json_type_string:
		return (json_object_get_string_len(o) > 0);
	case json_type_null:
		return (0);
	default:
		return (1);
	}
}

/* ---- GET /get-session (protocol.md §1.6) */

static enum err
get_session(struct request *r, void *in)
{
	struct auth	 a;
	struct jbuf	 b;
	const char	*verifier;
	enum err	 e;
	int		 found, replied;

	(void)in;
	reply_header_add(r, "Cache-Control", "no-store");
	reply_header_add(r, "Pragma", "no-cache");
	/*
	 * Neon's session verifier (neon.md §8), also on a POST: the SDK's
	 * Next.js middleware forwards the incoming method (neon.md §6.2).
	 */
	verifier = request_query(r, "neon_auth_session_verifier");
	if (verifier != NULL && *verifier != '\0') {
		e = oauth_verifier_exchange(r, verifier, &a, &replied);
		if (e != ERR_NONE || replied)
			return (e);
		found = 1;
	} else if (strcmp(r->method, "POST") == 0)
		return (ERR_METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED);
	else if ((e = session_load(r, (query_flag(r, "disableRefresh") ?
	    SESSION_NO_REFRESH : 0) | (query_flag(r, "disableCookieCache") ?
	    SESSION_NO_CACHE : 0), &a, &found)) != ERR_NONE)
		return (e);
	if (!found) {
		reply_json_str(r, 200, "null");
		return (ERR_NONE);
	}
	token_attach(r, &a);
	jb_init(&b, r->a, 1024);
	jb_lit(&b, "{\"session\":");
	session_write(&b, &a.s);
	jb_lit(&b, ",\"user\":");
	user_write(&b, &a.u);
	jb_lit(&b, "}");
	reply_json_str(r, 200, jb_done(&b));
	return (ERR_NONE);
}

/* ---- POST /sign-out */

static enum err
parse_sign_out(struct request *r, void **in)
{
	struct vctx	 v;

	(void)in;
	v_begin(&v, r, V_OBJECT_OPT);
	(void)v_str(&v, "callbackURL", 0);
	(void)v_bool(&v, "disableRedirect", 0);
	(void)v_str(&v, "state", 0);
	return (v_end(&v));
}

/*
 * Run the write of a handler and its audit row in one transaction:
 * write() returns 1 done, 0 nothing to do (nothing recorded), -1 failed.
 * ERR_NONE, or err_db's answer with `otherwise`.
 */
static enum err
in_tx(struct request *r, int (*write)(struct request *, void *), void *arg,
    enum err otherwise)
{
	enum err	 e;
	int		 rc;

	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, otherwise));
	if ((rc = write(r, arg)) == -1 || store_commit(r->db) == -1) {
		e = err_db(r, r->db, otherwise);
		store_rollback(r->db);
		return (e);
	}
	return (ERR_NONE);
}

static int
sign_out_write(struct request *r, void *arg)
{
	struct session_rec	 gone;
	int			 rc;

	rc = store_session_delete(r->db, r->a, arg, &gone);
	if (rc != 1)
		return (rc);
	return (audit_event(r, "sign_out", gone.user_id, NULL, ERR_NONE,
	    arena_printf(r->a, "{\"session_id\":\"%s\"}", gone.id)));
}

static enum err
sign_out(struct request *r, void *in)
{
	const char	*token;

	(void)in;
	token = session_token_of(r);
	if (token != NULL && in_tx(r, sign_out_write, (void *)token,
	    ERR_INTERNAL_EMPTY) != ERR_NONE)
		log_warnx("route=sign-out could not delete the session");
	session_clear_cookies(r);
	reply_json_str(r, 200, "{\"success\":true}");
	return (ERR_NONE);
}

/* ---- session lists and revocation */

static enum err
list_sessions(struct request *r, void *in)
{
	char	*list;

	(void)in;
	if (store_session_list(r->db, r->a, r->auth->u.id, &list) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	reply_json_str(r, 200, list);
	return (ERR_NONE);
}

static enum err
parse_token(struct request *r, void **inp)
{
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT);
	*inp = (void *)v_str(&v, "token", 1);
	return (v_end(&v));
}

static int
revoke_write(struct request *r, void *arg)
{
	const struct session_rec	*s = arg;

	if (store_session_delete(r->db, r->a, s->token, NULL) == -1)
		return (-1);
	return (audit_event(r, "session_revoke", s->user_id, NULL, ERR_NONE,
	    arena_printf(r->a, "{\"session_id\":\"%s\"}", s->id)));
}

static enum err
revoke_session(struct request *r, void *in)
{
	const char		*token = in;
	struct session_rec	 s;
	struct user_rec		 u;
	enum err		 e;
	int			 rc;

	rc = store_session_lookup(r->db, r->a, token, &s, &u);
	if (rc == -1)
		return (err_db(r, r->db, ERR_INTERNAL_SERVER_ERROR));
	if (rc == 1 && strcmp(s.user_id, r->auth->u.id) == 0) {
		if ((e = in_tx(r, revoke_write, &s,
		    ERR_INTERNAL_SERVER_ERROR)) != ERR_NONE)
			return (e);
		if (strcmp(token, r->auth->s.token) == 0)
			session_clear_cookies(r);
	}
	return (reply_status_true(r));
}

static int
revoke_all_write(struct request *r, void *arg)
{
	int	 others = arg != NULL;

	if (store_sessions_delete_user(r->db, r->a, r->auth->u.id,
	    others ? r->auth->s.token : NULL, others) == -1)
		return (-1);
	return (audit_event(r, others ? "sessions_revoke_others" :
	    "sessions_revoke", r->auth->u.id, NULL, ERR_NONE, NULL));
}

static enum err
revoke_sessions(struct request *r, void *in)
{
	enum err	 e;

	(void)in;
	if ((e = in_tx(r, revoke_all_write, NULL,
	    ERR_INTERNAL_SERVER_ERROR)) != ERR_NONE)
		return (e);
	session_clear_cookies(r);
	return (reply_status_true(r));
}

static enum err
revoke_other_sessions(struct request *r, void *in)
{
	enum err	 e;

	(void)in;
	if ((e = in_tx(r, revoke_all_write, r,
	    ERR_INTERNAL_SERVER_ERROR)) != ERR_NONE)
		return (e);
	return (reply_status_true(r));
}

/* ---- POST /update-user, /update-session */

struct update_user_in {
	const char	*name, *image;
	int		 set_image;
};

static enum err
parse_update_user(struct request *r, void **inp)
{
	struct update_user_in	*in = arena_alloc(r->a, sizeof(*in));
	json_object		*x;
	struct vctx		 v;

	memset(in, 0, sizeof(*in));
	v_begin(&v, r, V_RECORD);
	if (v_present(&v, "name"))
		in->name = v_str(&v, "name", 0);
	if (v.body && json_object_object_get_ex(r->json, "image", &x)) {
		in->set_image = 1;
		if (x != NULL)
			in->image = v_str(&v, "image", 0);
	}
	*inp = in;
	return (v_end(&v));
}

static enum err
update_user(struct request *r, void *inp)
{
	struct update_user_in	*in = inp;
	struct auth		*a = r->auth;
	json_object		*x;
	enum err		 e;

	if (json_object_object_get_ex(r->json, "email", &x) && truthy(x))
		return (ERR_EMAIL_CAN_NOT_BE_UPDATED);
	/* the admin plugin's input:false fields (auth/admin.h) */
	if ((e = admin_user_input_check(r, r->json, 1)) != ERR_NONE)
		return (e);
	if (in->name == NULL && !in->set_image)
		return (ERR_NO_FIELDS_TO_UPDATE);
	if (store_user_update(r->db, r->a, a->u.id, in->name, in->set_image,
	    in->image, &a->u) == -1)
		return (err_db(r, r->db, ERR_FAILED_TO_UPDATE_USER));
	session_set_cookie(r, a, -1);
	return (reply_status_true(r));
}

static enum err
parse_record(struct request *r, void **in)
{
	struct vctx	 v;

	(void)in;
	v_begin(&v, r, V_RECORD);
	return (v_end(&v));
}

static enum err
update_session(struct request *r, void *in)
{
	json_object_iter	 it;

	(void)in;
	/* no session field accepts input here (activeOrganizationId: input:false) */
	json_object_object_foreachC(r->json, it) {
		if (truthy(it.val))
			return (err_msg(r, ERR_FIELD_NOT_ALLOWED,
			    arena_printf(r->a, "%s is not allowed to be set",
			    it.key)));
	}
	return (ERR_NO_FIELDS_TO_UPDATE);
}

/* ---- POST /change-email (protocol.md §1.13) */

struct change_email_in {
	const char	*email, *callback;
};

static enum err
parse_change_email(struct request *r, void **inp)
{
	struct change_email_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx		 v;

	v_begin(&v, r, V_OBJECT);
	in->email = v_email(&v, "newEmail");
	in->callback = v_str(&v, "callbackURL", 0);
	*inp = in;
	return (v_end(&v));
}

static int
change_email_write(struct request *r, void *arg)
{
	struct auth	*a = r->auth;
	const char	*old = a->u.email;
	int		 rc;

	if ((rc = store_user_set_email(r->db, r->a, a->u.id, arg, &a->u)) != 1)
		return (rc);
	return (audit_event(r, "email_change", a->u.id, NULL, ERR_NONE,
	    arena_printf(r->a, "{\"from\":%s,\"to\":%s}",
	    json_quote(r->a, old), json_quote(r->a, a->u.email))));
}

static enum err
change_email(struct request *r, void *inp)
{
	struct change_email_in	*in = inp;
	struct auth		*a = r->auth;
	struct verify_claims	 c;
	struct email_vars	 v;
	const char		*email = text_lower(r->a, in->email), *tok;
	int			 rc, can_send = email_enabled(r);
	enum err		 e;

	if (strcmp(email, a->u.email) == 0)
		return (ERR_EMAIL_IS_THE_SAME);
	/*
	 * An unverified address changes at once (updateEmailWithoutVerification);
	 * a verified one needs mail: a confirmation to the current address,
	 * whose link then sends a verification to the new one.
	 */
	if (a->u.email_verified && !can_send)
		return (ERR_VERIFICATION_EMAIL_NOT_ENABLED_MSG);
	memset(&c, 0, sizeof(c));
	c.email = a->u.email;
	c.update_to = email;
	c.user_id = a->u.id;
	if ((rc = store_email_taken(r->db, r->a, email)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 1) {
		(void)verify_token_make(r, &c);	/* the same work */
		return (reply_status_true(r));
	}
	if (!a->u.email_verified) {
		if ((e = in_tx(r, change_email_write, (void *)email,
		    ERR_FAILED_TO_UPDATE_USER)) != ERR_NONE)
			return (e);
		session_set_cookie(r, a, -1);
		if (can_send && verify_send(r, &a->u, NULL, in->callback) == -1)
			log_warnx("route=change-email the verification was not "
			    "queued");
		return (reply_status_true(r));
	}
	c.request_type = "change-email-confirmation";
	if ((tok = verify_token_make(r, &c)) == NULL)
		return (ERR_INTERNAL_EMPTY);
	memset(&v, 0, sizeof(v));
	v.url = verify_link(r, tok, in->callback);
	v.user_name = a->u.name;
	v.new_email = email;
	v.expires_s = r->bcfg->lt_verification_link;
	if (email_send(r, MAIL_CHANGE_EMAIL, a->u.email, &v) == -1)
		log_warnx("route=change-email the confirmation was not queued");
	else if (audit_event(r, "email_change_request", a->u.id, NULL,
	    ERR_NONE, arena_printf(r->a, "{\"to\":%s}", json_quote(r->a,
	    email))) == -1)
		log_warnx("route=change-email audit row not written");
	return (reply_status_true(r));
}

/* ---- passwords of the signed-in user */

/*
 * the caller's current password against its credential account: *match
 * 1 or 0; ERR_CREDENTIAL_ACCOUNT_NOT_FOUND when need_account and it has
 * none (else no account is a mismatch).
 */
static enum err
check_current(struct request *r, const char *pw, int need_account,
    int *match)
{
	const char	*hash;
	int		 rc;

	*match = 0;
	if ((rc = store_password_of(r->db, r->a, r->auth->u.id, &hash)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0 || hash == NULL)
		return (need_account ? ERR_CREDENTIAL_ACCOUNT_NOT_FOUND :
		    ERR_NONE);
	return (password_verify(r, pw, hash, match));
}

struct change_password_in {
	const char	*newpw, *cur;
	int		 revoke;
};

static enum err
parse_change_password(struct request *r, void **inp)
{
	struct change_password_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx			 v;

	v_begin(&v, r, V_OBJECT);
	in->newpw = v_str(&v, "newPassword", 1);
	in->cur = v_str(&v, "currentPassword", 1);
	in->revoke = v_bool(&v, "revokeOtherSessions", 0);
	*inp = in;
	return (v_end(&v));
}

static enum err
change_password(struct request *r, void *inp)
{
	struct change_password_in	*in = inp;
	struct auth			*a = r->auth;
	struct session_new		 sn;
	char				*hash;
	int				 match;
	struct jbuf			 b;
	enum err			 e;

	if ((e = password_check_length(r, in->newpw, 1)) != ERR_NONE ||
	    (e = password_check_length(r, in->cur, 0)) != ERR_NONE)
		return (e);
	if ((e = check_current(r, in->cur, 1, &match)) != ERR_NONE)
		return (e);
	if (!match)
		return (ERR_INVALID_PASSWORD);
	if ((e = password_hash(r, in->newpw, &hash,
	    ERR_INTERNAL_SERVER_ERROR)) != ERR_NONE)
		return (e);
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_SERVER_ERROR));
	if (store_password_set(r->db, r->a, a->u.id, hash) == -1)
		goto fail;
	if (in->revoke) {
		sn = session_new(r, 0);
		if (store_sessions_delete_user(r->db, r->a, a->u.id, NULL,
		    0) == -1 || store_session_create(r->db, r->a, a->u.id, &sn,
		    &a->s) == -1)
			goto fail;
	}
	if (audit_event(r, "password_change", a->u.id, NULL, ERR_NONE,
	    in->revoke ? "{\"revoked_other_sessions\":true}" : NULL) == -1)
		goto fail;
	if (store_commit(r->db) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_SERVER_ERROR));
	if (in->revoke)
		session_set_cookie(r, a, -1);
	jb_init(&b, r->a, 512);
	jb_lit(&b, "{\"token\":");
	jb_str(&b, in->revoke ? a->s.token : NULL);
	jb_lit(&b, ",\"user\":");
	user_write(&b, &a->u);
	jb_lit(&b, "}");
	reply_json_str(r, 200, jb_done(&b));
	return (ERR_NONE);
 fail:
	e = err_db(r, r->db, ERR_INTERNAL_SERVER_ERROR);
	store_rollback(r->db);
	return (e);
}

static enum err
parse_password(struct request *r, void **inp)
{
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT);
	*inp = (void *)v_str(&v, "password", 1);
	return (v_end(&v));
}

static enum err
verify_password(struct request *r, void *in)
{
	int		 match;
	enum err	 e;

	if ((e = password_check_length(r, in, 0)) != ERR_NONE)
		return (e);
	if ((e = check_current(r, in, 0, &match)) != ERR_NONE)
		return (e);
	if (!match)
		return (ERR_INVALID_PASSWORD);
	return (reply_status_true(r));
}

/* ---- POST /delete-user, GET /delete-user/callback (§1.16, §1.17) */

struct delete_user_in {
	const char	*pw, *token, *callback;
};

static enum err
parse_delete_user(struct request *r, void **inp)
{
	struct delete_user_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx		 v;

	v_begin(&v, r, V_OBJECT_OPT);
	in->callback = v_str(&v, "callbackURL", 0);
	in->pw = v_str(&v, "password", 0);
	in->token = v_str(&v, "token", 0);
	*inp = in;
	return (v_end(&v));
}

static int
delete_user_write(struct request *r, void *arg)
{
	(void)arg;
	if (store_user_delete(r->db, r->a, r->auth->u.id) == -1)
		return (-1);
	return (audit_event(r, "user_delete", r->auth->u.id, NULL, ERR_NONE,
	    NULL));
}

/*
 * the emailed deletion link's token (delete-account-<token>, value the
 * user's id), consumed: the user goes, and the answer is "User deleted"
 * (or a redirect to callback)
 */
static enum err
delete_with_token(struct request *r, const char *token, const char *callback)
{
	struct verification_rec	 vr;
	enum err		 e;
	int			 rc;

	rc = store_verification_consume(r->db, r->a, arena_printf(r->a,
	    "delete-account-%s", token), &vr);
	if (rc == -1)
		return (err_db(r, r->db, ERR_INTERNAL_SERVER_ERROR));
	if (rc == 0 || vr.expires_ms < clock_now_ms() ||
	    strcmp(vr.value, r->auth->u.id) != 0)
		return (ERR_INVALID_TOKEN_404);
	if ((e = in_tx(r, delete_user_write, NULL,
	    ERR_INTERNAL_SERVER_ERROR)) != ERR_NONE)
		return (e);
	log_info("route=%s user=%s deleted by emailed link", r->route_name,
	    r->auth->u.id);
	session_clear_cookies(r);
	if (callback != NULL && *callback != '\0') {
		reply_redirect(r, callback);
		return (ERR_NONE);
	}
	reply_json_str(r, 200, "{\"success\":true,\"message\":\"User deleted\"}");
	return (ERR_NONE);
}

/* sendDeleteAccountVerification: the link instead of the deletion */
static enum err
delete_send_link(struct request *r, const char *callback)
{
	struct email_vars	 v;
	char			*token;

	if ((token = crypto_random_string(r->a, 32,
	    CRYPTO_ALPHABET_LOWER_ALNUM)) == NULL)
		return (ERR_INTERNAL_SERVER_ERROR);
	if (store_verification_create(r->db, r->a, arena_printf(r->a,
	    "delete-account-%s", token), r->auth->u.id, clock_now_ms() +
	    DELETE_TOKEN_TTL_S * 1000) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_SERVER_ERROR));
	memset(&v, 0, sizeof(v));
	v.url = arena_printf(r->a, "%s/delete-user/callback?token=%s&"
	    "callbackURL=%s", r->branch->auth_url, token, url_encode(r->a,
	    callback != NULL && *callback != '\0' ? callback : "/"));
	v.user_name = r->auth->u.name;
	v.expires_s = DELETE_TOKEN_TTL_S;
	if (email_send(r, MAIL_DELETE_ACCOUNT, r->auth->u.email, &v) == -1)
		log_warnx("route=delete-user the confirmation was not queued");
	reply_json_str(r, 200,
	    "{\"success\":true,\"message\":\"Verification email sent\"}");
	return (ERR_NONE);
}

static enum err
delete_user(struct request *r, void *inp)
{
	struct delete_user_in	*in = inp;
	struct auth		*a = r->auth;
	int			 match;
	enum err		 e;

	if (!r->bcfg->delete_user)
		return (ERR_NOT_FOUND_EMPTY);
	if (in->pw != NULL) {
		if ((e = password_check_length(r, in->pw, 0)) != ERR_NONE)
			return (e);
		if ((e = check_current(r, in->pw, 1, &match)) != ERR_NONE)
			return (e);
		if (!match)
			return (ERR_INVALID_PASSWORD);
	}
	if (in->token != NULL && *in->token != '\0')
		return (delete_with_token(r, in->token, NULL));
	if (r->bcfg->delete_user_verification && email_enabled(r))
		return (delete_send_link(r, in->callback));
	if (in->pw == NULL && !session_is_fresh(r, a))
		return (ERR_SESSION_EXPIRED);
	if ((e = in_tx(r, delete_user_write, NULL,
	    ERR_INTERNAL_SERVER_ERROR)) != ERR_NONE)
		return (e);
	log_info("route=delete-user user=%s deleted", a->u.id);
	session_clear_cookies(r);
	reply_json_str(r, 200, "{\"success\":true,\"message\":\"User deleted\"}");
	return (ERR_NONE);
}

static enum err
delete_user_callback(struct request *r, void *in)
{
	struct auth	 a;
	const char	*token = request_query(r, "token");
	enum err	 e;
	int		 found;

	(void)in;
	if ((e = origin_check_query_callback(r)) != ERR_NONE)
		return (e);
	if (token == NULL)
		return (err_msg(r, ERR_VALIDATION_ERROR, "[query.token] "
		    "Invalid input: expected string, received undefined"));
	if (!r->bcfg->delete_user)
		return (ERR_NOT_FOUND);
	if ((e = session_load(r, SESSION_SENSITIVE, &a, &found)) != ERR_NONE)
		return (e);
	if (!found)
		return (ERR_FAILED_TO_GET_USER_INFO_404);
	r->auth = &a;
	return (delete_with_token(r, token, request_query(r, "callbackURL")));
}

#define R_DB	ROUTE_DB

static const struct route routes[] = {
	{ "POST", "/sign-out", "sign-out", parse_sign_out, sign_out,
	    SESS_NONE, RL_BRANCH, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"success\":{\"type\":\"boolean\"}}}" },
	{ "GET", "/get-session", "get-session", NULL, get_session,
	    SESS_NONE, RL_BRANCH, R_DB,
	    "{\"oneOf\":[{\"type\":\"null\"},{\"type\":\"object\",\"properties\":{\"session\":{\"$ref\":\"#/components/schemas/Session\"},\"user\":{\"$ref\":\"#/components/schemas/User\"}}}]}" },
	{ "POST", "/get-session", "get-session", NULL, get_session,
	    SESS_NONE, RL_BRANCH, R_DB,
	    "{\"oneOf\":[{\"type\":\"null\"},{\"type\":\"object\",\"properties\":{\"session\":{\"$ref\":\"#/components/schemas/Session\"},\"user\":{\"$ref\":\"#/components/schemas/User\"}}}]}" },
	{ "GET", "/list-sessions", "list-sessions", NULL, list_sessions,
	    SESS_FRESH, RL_BRANCH, R_DB,
	    "{\"type\":\"array\",\"items\":{\"$ref\":\"#/components/schemas/Session\"}}" },
	{ "POST", "/revoke-session", "revoke-session", parse_token,
	    revoke_session, SESS_SENSITIVE, RL_BRANCH, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"status\":{\"type\":\"boolean\"}}}" },
	{ "POST", "/revoke-sessions", "revoke-sessions", NULL,
	    revoke_sessions, SESS_SENSITIVE, RL_BRANCH, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"status\":{\"type\":\"boolean\"}}}" },
	{ "POST", "/revoke-other-sessions", "revoke-other-sessions", NULL,
	    revoke_other_sessions, SESS_SENSITIVE, RL_BRANCH, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"status\":{\"type\":\"boolean\"}}}" },
	{ "POST", "/update-user", "update-user", parse_update_user,
	    update_user, SESS_REQUIRED, RL_BRANCH, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"status\":{\"type\":\"boolean\"}}}" },
	{ "POST", "/update-session", "update-session", parse_record,
	    update_session, SESS_REQUIRED, RL_BRANCH, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"session\":{\"$ref\":\"#/components/schemas/Session\"}}}" },
	{ "POST", "/change-email", "change-email", parse_change_email,
	    change_email, SESS_SENSITIVE, RL_STRICT, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"status\":{\"type\":\"boolean\"}}}" },
	{ "POST", "/change-password", "change-password",
	    parse_change_password, change_password, SESS_SENSITIVE,
	    RL_STRICT, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"token\":{\"type\":[\"string\",\"null\"]},\"user\":{\"$ref\":\"#/components/schemas/User\"}}}" },
	{ "POST", "/verify-password", "verify-password", parse_password,
	    verify_password, SESS_SENSITIVE, RL_BRANCH, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"status\":{\"type\":\"boolean\"}}}" },
	{ "POST", "/delete-user", "delete-user", parse_delete_user,
	    delete_user, SESS_SENSITIVE, RL_BRANCH, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"success\":{\"type\":\"boolean\"},\"message\":{\"type\":\"string\"}}}" },
	{ "GET", "/delete-user/callback", "delete-user/callback", NULL,
	    delete_user_callback, SESS_NONE, RL_BRANCH, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"success\":{\"type\":\"boolean\"},\"message\":{\"type\":\"string\"}}}" },
	{ NULL, NULL, NULL, NULL, NULL, SESS_NONE, RL_BRANCH, 0, NULL }
};

const struct api_group api_session_group = { "core/session", routes, NULL, NULL };
