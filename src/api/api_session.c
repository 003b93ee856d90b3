/*
 * api_session.c -- the signed-in user's endpoints: get-session, sign-out,
 * session lists and revocation, update-user/session, change-email,
 * change-password, verify-password, delete-user (protocol.md §1.5-1.17).
 */
#include <string.h>

#include "api/api.h"
#include "http/body.h"
#include "http/branchcfg.h"
#include "http/cookie.h"
#include "lib/crypto.h"
#include "lib/hashgate.h"
#include "lib/json.h"
#include "http/origin.h"
#include "lib/log.h"
#include "auth/session.h"
#include "store/store.h"
#include "lib/clock.h"
#include "lib/text.h"

static void
reply_status_true(struct request *r)
{
	reply_json_str(r, 200, "{\"status\":true}");
}

/* a non-empty query value means true (z.coerce.boolean) */
static int
query_flag(struct request *r, const char *key)
{
	const char	*v = request_query(r, key);

	return (v != NULL && *v != '\0');
}

void
api_get_session(struct request *r)
{
	struct auth	 a;
	struct jbuf	 b;
	int		 rc;

	reply_header_add(r, "Cache-Control", "no-store");
	reply_header_add(r, "Pragma", "no-cache");
	if (strcmp(r->method, "POST") == 0) {
		reply_error(r, 405, "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED",
		    "POST method requires deferSessionRefresh to be enabled "
		    "in session config");
		return;
	}
	rc = session_load(r, (query_flag(r, "disableRefresh") ?
	    SESSION_NO_REFRESH : 0) | (query_flag(r, "disableCookieCache") ?
	    SESSION_NO_CACHE : 0), &a);
	if (rc == -1)
		return;
	if (rc == 0) {
		reply_json_str(r, 200, "null");
		return;
	}
	api_jwt_attach(r, &a);
	jb_init(&b, r->a, 1024);
	jb_lit(&b, "{\"session\":");
	session_write(&b, &a.s);
	jb_lit(&b, ",\"user\":");
	user_write(&b, &a.u);
	jb_lit(&b, "}");
	reply_json_str(r, 200, jb_done(&b));
}

void
api_sign_out(struct request *r)
{
	const char	*token;
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT_OPT);
	(void)v_str(&v, "callbackURL", 0);
	(void)v_bool(&v, "disableRedirect", 0);
	(void)v_str(&v, "state", 0);
	if (v_end(&v) == -1)
		return;
	token = session_token_of(r);
	if (token != NULL && store_session_delete(r, token) == -1)
		log_warnx("route=sign-out could not delete the session");
	session_clear_cookies(r);
	reply_json_str(r, 200, "{\"success\":true}");
}

void
api_list_sessions(struct request *r)
{
	struct auth	 a;
	char		*list;

	if (session_require(r, SESSION_FRESH, &a) == -1)
		return;
	if (store_session_list(r, a.u.id, &list) == -1) {
		store_fail(r, NULL, NULL);
		return;
	}
	reply_json_str(r, 200, list);
}

void
api_revoke_session(struct request *r)
{
	struct vctx	 v;
	struct auth	 a, other;
	const char	*token;
	int		 rc;

	v_begin(&v, r, V_OBJECT);
	token = v_str(&v, "token", 1);
	if (v_end(&v) == -1)
		return;
	if (session_require(r, SESSION_SENSITIVE, &a) == -1)
		return;
	rc = store_session_lookup(r, token, &other);
	if (rc == -1) {
		store_fail(r, "INTERNAL_SERVER_ERROR", "Internal Server Error");
		return;
	}
	if (rc == 1 && strcmp(other.s.user_id, a.u.id) == 0) {
		if (store_session_delete(r, token) == -1) {
			store_fail(r, "INTERNAL_SERVER_ERROR",
			    "Internal Server Error");
			return;
		}
		if (strcmp(token, a.s.token) == 0)
			session_clear_cookies(r);
	}
	reply_status_true(r);
}

void
api_revoke_sessions(struct request *r)
{
	struct auth	 a;

	if (session_require(r, SESSION_SENSITIVE, &a) == -1)
		return;
	if (store_sessions_delete_user(r, a.u.id, NULL, 0) == -1) {
		store_fail(r, "INTERNAL_SERVER_ERROR", "Internal Server Error");
		return;
	}
	session_clear_cookies(r);
	reply_status_true(r);
}

void
api_revoke_other_sessions(struct request *r)
{
	struct auth	 a;

	if (session_require(r, SESSION_SENSITIVE, &a) == -1)
		return;
	if (store_sessions_delete_user(r, a.u.id, a.s.token, 1) == -1) {
		store_fail(r, "INTERNAL_SERVER_ERROR", "Internal Server Error");
		return;
	}
	reply_status_true(r);
}

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

/* user fields that only the server sets (admin plugin: input:false) */
static const char *const user_input_false[] = {
	"role", "banned", "banReason", "banExpires", NULL
};

void
api_update_user(struct request *r)
{
	struct auth	 a;
	json_object	*x;
	const char	*name = NULL, *image = NULL;
	int		 set_image = 0, i, rc;
	struct vctx	 v;

	v_begin(&v, r, V_RECORD);
	if (v_present(&v, "name"))
		name = v_str(&v, "name", 0);
	if (v.body && json_object_object_get_ex(r->json, "image", &x)) {
		set_image = 1;
		if (x != NULL)
			image = v_str(&v, "image", 0);
	}
	if (v_end(&v) == -1)
		return;
	if (session_require(r, 0, &a) == -1)
		return;
	if (json_object_object_get_ex(r->json, "email", &x) && truthy(x)) {
		reply_error(r, 400, "EMAIL_CAN_NOT_BE_UPDATED",
		    "Email can not be updated");
		return;
	}
	for (i = 0; user_input_false[i] != NULL; i++)
		if (json_object_object_get_ex(r->json, user_input_false[i],
		    &x) && truthy(x)) {
			reply_error(r, 400, "FIELD_NOT_ALLOWED",
			    arena_printf(r->a, "%s is not allowed to be set",
			    user_input_false[i]));
			return;
		}
	if (name == NULL && !set_image) {
		reply_error(r, 400, NULL, "No fields to update");
		return;
	}
	rc = store_user_update(r, a.u.id, name, set_image, image, &a.u);
	if (rc == -1) {
		store_fail(r, "FAILED_TO_UPDATE_USER", "Failed to update user");
		return;
	}
	session_set_cookie(r, &a, -1);
	reply_status_true(r);
}

void
api_update_session(struct request *r)
{
	struct auth		 a;
	json_object_iter	 it;
	struct vctx		 v;

	v_begin(&v, r, V_RECORD);
	if (v_end(&v) == -1)
		return;
	if (session_require(r, 0, &a) == -1)
		return;
	/* no session field accepts input here (activeOrganizationId: input:false) */
	json_object_object_foreachC(r->json, it) {
		if (truthy(it.val)) {
			reply_error(r, 400, "FIELD_NOT_ALLOWED",
			    arena_printf(r->a, "%s is not allowed to be set",
			    it.key));
			return;
		}
	}
	reply_error(r, 400, NULL, "No fields to update");
}

void
api_change_email(struct request *r)
{
	struct vctx	 v;
	struct auth	 a;
	const char	*email;
	int		 rc;

	v_begin(&v, r, V_OBJECT);
	email = v_email(&v, "newEmail");
	(void)v_str(&v, "callbackURL", 0);
	if (v_end(&v) == -1)
		return;
	if (session_require(r, SESSION_SENSITIVE, &a) == -1)
		return;
	email = text_lower(r->a, email);
	if (strcmp(email, a.u.email) == 0) {
		reply_error(r, 400, NULL, "Email is the same");
		return;
	}
	/*
	 * The direct path (updateEmailWithoutVerification) for an unverified
	 * address; the confirmed path needs email delivery.
	 */
	if (a.u.email_verified) {
		reply_error(r, 400, NULL, "Verification email isn't enabled");
		return;
	}
	if ((rc = store_email_taken(r, email)) == -1) {
		store_fail(r, NULL, NULL);
		return;
	}
	if (rc == 1) {
		(void)crypto_random_id(r->a);
		reply_status_true(r);
		return;
	}
	if ((rc = store_user_set_email(r, a.u.id, email, &a.u)) == -1) {
		store_fail(r, "FAILED_TO_UPDATE_USER", "Failed to update user");
		return;
	}
	if (rc == 1)
		session_set_cookie(r, &a, -1);
	reply_status_true(r);
}

/* length checks shared by the password endpoints; -1 with the reply set */
static int
check_length(struct request *r, const char *pw, int check_min)
{
	size_t	 len = text_js_length(pw, strlen(pw));

	if (check_min && len < (size_t)r->bcfg->pw_min) {
		reply_error(r, 400, "PASSWORD_TOO_SHORT", "Password too short");
		return (-1);
	}
	if (len > (size_t)r->bcfg->pw_max) {
		reply_error(r, 400, "PASSWORD_TOO_LONG", "Password too long");
		return (-1);
	}
	return (0);
}

/* 1 match, 0 mismatch or no password, -1 with the reply set */
static int
check_current(struct request *r, const char *user_id, const char *pw,
    int need_account)
{
	const char	*hash, *p;
	int		 rc;

	if ((rc = store_password_of(r, user_id, &hash)) == -1) {
		store_fail(r, NULL, NULL);
		return (-1);
	}
	if (rc == 0 || hash == NULL) {
		if (need_account) {
			reply_error(r, 400, "CREDENTIAL_ACCOUNT_NOT_FOUND",
			    "Credential account not found");
			return (-1);
		}
		return (0);
	}
	if ((p = api_password_prepare(r, pw)) == NULL)
		return (-1);
	return (hashgate_password_verify(str_c(p), hash) == 1);
}

void
api_change_password(struct request *r)
{
	struct vctx	 v;
	struct auth	 a;
	const char	*newpw, *cur, *p;
	char		*hash;
	int		 revoke, rc;
	struct jbuf	 b;

	v_begin(&v, r, V_OBJECT);
	newpw = v_str(&v, "newPassword", 1);
	cur = v_str(&v, "currentPassword", 1);
	revoke = v_bool(&v, "revokeOtherSessions", 0);
	if (v_end(&v) == -1)
		return;
	if (session_require(r, SESSION_SENSITIVE, &a) == -1)
		return;
	if (check_length(r, newpw, 1) == -1 || check_length(r, cur, 0) == -1)
		return;
	if ((rc = check_current(r, a.u.id, cur, 1)) == -1)
		return;
	if (rc == 0) {
		reply_error(r, 400, "INVALID_PASSWORD", "Invalid password");
		return;
	}
	if ((p = api_password_prepare(r, newpw)) == NULL)
		return;
	if (hashgate_password_hash(r->a, str_c(p), &hash) == -1) {
		reply_error(r, 500, "INTERNAL_SERVER_ERROR",
		    "Internal Server Error");
		return;
	}
	if (store_begin(r) == -1)
		return;
	if (store_password_set(r, a.u.id, hash) == -1)
		goto fail;
	if (revoke) {
		if (store_sessions_delete_user(r, a.u.id, NULL, 0) == -1 ||
		    store_session_create(r, a.u.id, 0, &a.s) == -1)
			goto fail;
	}
	if (store_commit(r) == -1)
		return;
	if (revoke)
		session_set_cookie(r, &a, -1);
	jb_init(&b, r->a, 512);
	jb_lit(&b, "{\"token\":");
	jb_str(&b, revoke ? a.s.token : NULL);
	jb_lit(&b, ",\"user\":");
	user_write(&b, &a.u);
	jb_lit(&b, "}");
	reply_json_str(r, 200, jb_done(&b));
	return;
 fail:
	store_rollback(r);
	store_fail(r, "INTERNAL_SERVER_ERROR", "Internal Server Error");
}

void
api_verify_password(struct request *r)
{
	struct vctx	 v;
	struct auth	 a;
	const char	*pw;
	int		 rc;

	v_begin(&v, r, V_OBJECT);
	pw = v_str(&v, "password", 1);
	if (v_end(&v) == -1)
		return;
	if (session_require(r, SESSION_SENSITIVE, &a) == -1)
		return;
	if (check_length(r, pw, 0) == -1)
		return;
	if ((rc = check_current(r, a.u.id, pw, 0)) == -1)
		return;
	if (rc == 0) {
		reply_error(r, 400, "INVALID_PASSWORD", "Invalid password");
		return;
	}
	reply_status_true(r);
}

void
api_delete_user(struct request *r)
{
	struct vctx	 v;
	struct auth	 a;
	const char	*pw, *token;
	int		 rc;

	v_begin(&v, r, V_OBJECT_OPT);
	(void)v_str(&v, "callbackURL", 0);
	pw = v_str(&v, "password", 0);
	token = v_str(&v, "token", 0);
	if (v_end(&v) == -1)
		return;
	if (session_require(r, SESSION_SENSITIVE, &a) == -1)
		return;
	if (!r->bcfg->delete_user) {
		reply_raw(r, 404, "application/json", "", 0);
		return;
	}
	if (pw != NULL) {
		if (check_length(r, pw, 0) == -1)
			return;
		if ((rc = check_current(r, a.u.id, pw, 1)) == -1)
			return;
		if (rc == 0) {
			reply_error(r, 400, "INVALID_PASSWORD",
			    "Invalid password");
			return;
		}
	}
	if (token != NULL) {
		/* deletion tokens come with email delivery; none is valid yet */
		reply_error(r, 404, "INVALID_TOKEN", "Invalid token");
		return;
	}
	if (pw == NULL && r->bcfg->session_fresh_age != 0 &&
	    clock_now_ms() - a.s.created_ms >=
	    r->bcfg->session_fresh_age * 1000) {
		reply_error(r, 400, "SESSION_EXPIRED", "Session expired. "
		    "Re-authenticate to perform this action.");
		return;
	}
	if (store_user_delete(r, a.u.id) == -1) {
		store_fail(r, "INTERNAL_SERVER_ERROR", "Internal Server Error");
		return;
	}
	log_info("route=delete-user user=%s deleted", a.u.id);
	session_clear_cookies(r);
	reply_json_str(r, 200, "{\"success\":true,\"message\":\"User deleted\"}");
}

void
api_delete_user_callback(struct request *r)
{
	struct auth	 a;
	const char	*token = request_query(r, "token");
	int		 rc;

	if (origin_check_query_callback(r) == -1)
		return;
	if (token == NULL) {
		reply_error(r, 400, "VALIDATION_ERROR",
		    "[query.token] Invalid input: expected string, received "
		    "undefined");
		return;
	}
	if (!r->bcfg->delete_user) {
		reply_error(r, 404, "NOT_FOUND", "Not found");
		return;
	}
	if ((rc = session_load(r, SESSION_SENSITIVE, &a)) == -1)
		return;
	if (rc == 0) {
		reply_error(r, 404, "FAILED_TO_GET_USER_INFO",
		    "Failed to get user info");
		return;
	}
	/* no deletion token has been issued without email delivery */
	reply_error(r, 404, "INVALID_TOKEN", "Invalid token");
}
