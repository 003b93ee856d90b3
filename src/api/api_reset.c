/*
 * api_reset.c -- password reset by link: POST request-password-reset,
 * GET reset-password/:token (the link in the email) and POST
 * reset-password (protocol.md §1.18-§1.20, §4.5).
 */
#include <string.h>

#include "api/route.h"
#include "auth/audit.h"
#include "auth/email.h"
#include "auth/password.h"
#include "http/body.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/origin.h"
#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/httpc.h"
#include "lib/log.h"
#include "lib/text.h"
#include "lib/url.h"
#include "store/store.h"
#include "store/store_account.h"
#include "store/store_verification.h"

#define RESET_TOKEN_LEN	24
#define RESET_MESSAGE \
	"{\"status\":true,\"message\":\"If this email exists in our system, " \
	"check your email for the reset link\"}"

/* ---- POST /request-password-reset */

struct request_in {
	const char	*email, *redirect_to;
};

static enum err
parse_request(struct request *r, void **inp)
{
	struct request_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx		 v;

	v_begin(&v, r, V_OBJECT);
	in->email = v_email(&v, "email");
	in->redirect_to = v_str(&v, "redirectTo", 0);
	*inp = in;
	return (v_end(&v));
}

static enum err
request_reset(struct request *r, void *inp)
{
	struct request_in	*in = inp;
	struct verification_rec	 vr;
	struct email_vars	 v;
	struct user_rec		 u;
	const char		*hash;
	char			*token;
	int			 rc;
	enum err		 e;

	if (!email_enabled(r))
		return (ERR_RESET_PASSWORD_DISABLED);
	rc = store_user_by_email(r->db, r->a, text_lower(r->a, in->email), &u,
	    &hash);
	if (rc == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0) {
		/* the same work as for a real user, and the same answer */
		(void)crypto_random_string(r->a, RESET_TOKEN_LEN,
		    CRYPTO_ALPHABET_ID);
		if (store_verification_find(r->db, r->a,
		    "dummy-verification-token", &vr) == -1)
			return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
		reply_json_str(r, 200, RESET_MESSAGE);
		return (ERR_NONE);
	}
	if ((token = crypto_random_string(r->a, RESET_TOKEN_LEN,
	    CRYPTO_ALPHABET_ID)) == NULL)
		return (ERR_INTERNAL_EMPTY);
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (store_verification_create(r->db, r->a, arena_printf(r->a,
	    "reset-password:%s", token), u.id, clock_now_ms() +
	    (int64_t)r->bcfg->lt_reset_link * 1000) == -1 ||
	    audit_event(r, "password_reset_request", u.id, NULL, ERR_NONE,
	    "{\"method\":\"link\"}") == -1 || store_commit(r->db) == -1) {
		e = err_db(r, r->db, ERR_INTERNAL_EMPTY);
		store_rollback(r->db);
		return (e);
	}
	memset(&v, 0, sizeof(v));
	v.url = arena_printf(r->a, "%s/reset-password/%s?callbackURL=%s",
	    r->branch->auth_url, token, in->redirect_to ? url_encode(r->a,
	    in->redirect_to) : "");
	v.user_name = u.name;
	v.expires_s = r->bcfg->lt_reset_link;
	/* Better Auth logs a failed send here and answers as always */
	if (email_send(r, MAIL_RESET, u.email, &v) == -1)
		log_warnx("route=request-password-reset the reset mail was not "
		    "queued");
	reply_json_str(r, 200, RESET_MESSAGE);
	return (ERR_NONE);
}

/* ---- GET /reset-password/:token */

/* new URL(callbackURL, AUTH_URL) with key=value set in its query */
static char *
callback_with(struct request *r, const char *cb, const char *key,
    const char *value)
{
	char	*u = httpc_url_resolve(r->a, r->branch->auth_url, cb);

	return (url_search_set(r->a, u ? u : cb, key, value));
}

static enum err
reset_callback(struct request *r, void *in)
{
	struct verification_rec	 vr;
	const char		*cb, *token;
	char			*issues = NULL;
	size_t			 n = sizeof("/reset-password/") - 1;
	int			 rc;
	enum err		 e;

	(void)in;
	cb = body_query_str(r, "callbackURL", 1, &issues);
	if (issues != NULL)
		return (err_msg(r, ERR_VALIDATION_ERROR, issues));
	if ((e = origin_check_query_callback(r)) != ERR_NONE)
		return (e);
	token = url_decode(r->a, r->route.p + n, r->route.len - n, 0);
	if (*token == '\0' || *cb == '\0') {
		reply_redirect(r, *cb == '\0' ? arena_printf(r->a,
		    "%s/error?error=INVALID_TOKEN", r->branch->auth_url) :
		    callback_with(r, cb, "error", "INVALID_TOKEN"));
		return (ERR_NONE);
	}
	rc = store_verification_find(r->db, r->a, arena_printf(r->a,
	    "reset-password:%s", token), &vr);
	if (rc == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0 || vr.expires_ms < clock_now_ms())
		reply_redirect(r, callback_with(r, cb, "error",
		    "INVALID_TOKEN"));
	else
		reply_redirect(r, callback_with(r, cb, "token", token));
	return (ERR_NONE);
}

/* ---- POST /reset-password */

struct reset_in {
	const char	*pw, *token;
};

static enum err
parse_reset(struct request *r, void **inp)
{
	struct reset_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx	 v;
	char		*issues = NULL;
	const char	*qt;
	enum err	 e;

	v_begin(&v, r, V_OBJECT);
	in->pw = v_str(&v, "newPassword", 1);
	in->token = v_str(&v, "token", 0);
	*inp = in;
	if ((e = v_end(&v)) != ERR_NONE)
		return (e);
	if (r->describe != NULL)
		return (ERR_NONE);
	qt = body_query_str(r, "token", 0, &issues);
	if (issues != NULL)
		return (err_msg(r, ERR_VALIDATION_ERROR, issues));
	if (in->token == NULL || *in->token == '\0')
		in->token = qt;
	return (ERR_NONE);
}

static enum err
reset_password(struct request *r, void *inp)
{
	struct reset_in		*in = inp;
	struct verification_rec	 vr;
	struct user_rec		 u;
	const char		*id;
	char			*hash;
	int			 rc;
	enum err		 e;

	if (in->token == NULL || *in->token == '\0')
		return (ERR_INVALID_TOKEN);
	if ((e = password_check_length(r, in->pw, 1)) != ERR_NONE)
		return (e);
	id = arena_printf(r->a, "reset-password:%s", in->token);
	if ((rc = store_verification_find(r->db, r->a, id, &vr)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0 || vr.expires_ms < clock_now_ms())
		return (ERR_INVALID_TOKEN);
	if ((rc = store_user_by_id(r->db, r->a, vr.value, &u)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0)
		return (ERR_USER_NOT_FOUND);
	if ((e = password_hash(r, in->pw, &hash, ERR_INTERNAL_EMPTY)) !=
	    ERR_NONE)
		return (e);
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	/* single use: of two concurrent resets one consumes, one fails */
	rc = store_verification_consume(r->db, r->a, id, &vr);
	if (rc == 1 && (vr.expires_ms < clock_now_ms() ||
	    strcmp(vr.value, u.id) != 0))
		rc = 0;
	if (rc == 0) {
		store_rollback(r->db);
		return (ERR_INVALID_TOKEN);
	}
	if (rc == -1 || (r->bcfg->pw_revoke_on_reset &&
	    store_sessions_delete_user(r->db, r->a, u.id, NULL, 0) == -1) ||
	    store_credential_set(r->db, r->a, u.id, hash) == -1 ||
	    audit_event(r, "password_reset", u.id, NULL, ERR_NONE,
	    r->bcfg->pw_revoke_on_reset ? "{\"method\":\"link\","
	    "\"revoked_sessions\":true}" : "{\"method\":\"link\"}") == -1 ||
	    store_commit(r->db) == -1) {
		e = err_db(r, r->db, ERR_INTERNAL_EMPTY);
		store_rollback(r->db);
		return (e);
	}
	log_info("route=reset-password user=%s password reset", u.id);
	reply_json_str(r, 200, "{\"status\":true}");
	return (ERR_NONE);
}

static const struct route routes[] = {
	{ "POST", "/request-password-reset", "request-password-reset",
	    parse_request, request_reset, SESS_NONE, RL_MAIL, ROUTE_DB,
	    "{\"type\":\"object\",\"properties\":{\"status\":{\"type\":"
	    "\"boolean\"},\"message\":{\"type\":\"string\"}}}" },
	{ "GET", "/reset-password/", "reset-password/:token", NULL,
	    reset_callback, SESS_NONE, RL_BRANCH, ROUTE_DB | ROUTE_PREFIX,
	    "{\"description\":\"302 to callbackURL with ?token= or "
	    "?error=INVALID_TOKEN\"}" },
	{ "POST", "/reset-password", "reset-password", parse_reset,
	    reset_password, SESS_NONE, RL_BRANCH, ROUTE_DB,
	    "{\"type\":\"object\",\"properties\":{\"status\":{\"type\":"
	    "\"boolean\"}}}" },
	{ NULL, NULL, NULL, NULL, NULL, SESS_NONE, RL_BRANCH, 0, NULL }
};

const struct api_group api_reset_group = { "password-reset", routes, NULL, NULL };
