/*
 * api_verify.c -- email verification by link: POST send-verification-email
 * and GET verify-email, with the change-email flows the link carries
 * (protocol.md §1.21, §1.22, §4.4; neon.md §9.4).
 */
#include <string.h>
#include <time.h>

#include "api/route.h"
#include "auth/admin.h"
#include "auth/audit.h"
#include "auth/email.h"
#include "auth/session.h"
#include "auth/verify.h"
#include "http/body.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/origin.h"
#include "lib/clock.h"
#include "lib/httpc.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/text.h"
#include "store/store.h"
#include "store/store_account.h"

#define SEND_FLOOR_MS	500	/* no session: protocol.md §1.21 */

/* ---- POST /send-verification-email */

struct send_in {
	const char	*email, *callback;
};

static enum err
parse_send(struct request *r, void **inp)
{
	struct send_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT);
	in->email = v_email(&v, "email");
	in->callback = v_str(&v, "callbackURL", 0);
	*inp = in;
	return (v_end(&v));
}

/* wait out the rest of the floor (the same answer time for every address) */
static void
floor_wait(int64_t start)
{
	int64_t		 left;
	struct timespec	 ts;

	left = SEND_FLOOR_MS - (clock_mono_ms() - start);
	if (left <= 0)
		return;
	ts.tv_sec = left / 1000;
	ts.tv_nsec = (left % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1)
		;
}

static enum err
send_verification(struct request *r, void *inp)
{
	struct send_in	*in = inp;
	struct auth	 a;
	struct user_rec	 u;
	struct verify_claims c;
	const char	*hash;
	int64_t		 start = clock_mono_ms();
	int		 found, rc, failed = 0;
	enum err	 e;

	if (!email_enabled_verify(r))
		return (ERR_VERIFICATION_EMAIL_NOT_ENABLED);
	if ((e = session_load(r, 0, &a, &found)) != ERR_NONE)
		return (e);
	if (!found) {
		rc = store_user_by_email(r->db, r->a, text_lower(r->a,
		    in->email), &u, &hash);
		if (rc == -1)
			return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
		if (rc == 1 && !u.email_verified)
			failed = verify_send(r, &u, NULL, in->callback) == -1;
		else {
			/* the work a real send does, for the same timing */
			memset(&c, 0, sizeof(c));
			c.email = in->email;
			(void)verify_token_make(r, &c);
		}
		floor_wait(start);
		if (failed)
			return (ERR_INTERNAL_EMPTY);
		reply_json_str(r, 200, "{\"status\":true}");
		return (ERR_NONE);
	}
	if (strcmp(text_lower(r->a, a.u.email), text_lower(r->a,
	    in->email)) != 0)
		return (ERR_EMAIL_MISMATCH);
	if (a.u.email_verified)
		return (ERR_EMAIL_ALREADY_VERIFIED);
	if (verify_send(r, &a.u, NULL, in->callback) == -1)
		return (ERR_INTERNAL_EMPTY);
	reply_json_str(r, 200, "{\"status\":true}");
	return (ERR_NONE);
}

/* ---- GET /verify-email */

/*
 * appendQueryParams(input, query): query added to input's own (absolute
 * URLs normalised, root-relative ones kept relative), the fragment last
 */
static char *
append_query(struct request *r, const char *input, const char *query)
{
	const char	*base = input, *hash, *qm;
	size_t		 n;

	if (input[0] != '/') {
		base = httpc_url_resolve(r->a, input, input);
		if (base == NULL)
			base = input;
	}
	hash = strchr(base, '#');
	n = hash ? (size_t)(hash - base) : strlen(base);
	qm = memchr(base, '?', n);
	return (arena_printf(r->a, "%.*s%s%s%s", (int)n, base,
	    qm == NULL ? "?" : qm == base + n - 1 || base[n - 1] == '&' ? "" :
	    "&", query, hash ? hash : ""));
}

/* an error of the link: ?error=CODE on the callbackURL, else 401 JSON */
static enum err
link_error(struct request *r, const char *cb, enum err e)
{
	const struct err_info	*i = err_info(e);

	if (cb != NULL && *cb != '\0') {
		reply_redirect(r, append_query(r, cb, arena_printf(r->a,
		    "error=%s", i->code)));
		return (ERR_NONE);
	}
	return (e);
}

/* the answer of a link that worked: the callbackURL as given, or JSON */
static enum err
link_done(struct request *r, const char *cb, const char *json)
{
	if (cb != NULL && *cb != '\0')
		reply_redirect(r, cb);
	else
		reply_json_str(r, 200, json);
	return (ERR_NONE);
}

static char *
status_user(struct request *r, const struct user_rec *u)
{
	struct jbuf	 b;

	jb_init(&b, r->a, 512);
	jb_lit(&b, "{\"status\":true,\"user\":");
	user_write(&b, u);
	jb_lit(&b, "}");
	return (jb_done(&b));
}

/* the change-email flows: the token carries updateTo (§1.22) */
static enum err
verify_change(struct request *r, const char *cb,
    const struct verify_claims *c)
{
	struct verify_claims	 nc;
	struct email_vars	 v;
	struct user_rec		 bound, nu;
	struct auth		 a;
	const char		*tok;
	int			 rc, found, legacy, verified;
	enum err		 e;

	if (c->user_id == NULL)
		return (link_error(r, cb, ERR_INVALID_TOKEN_401));
	if ((rc = store_user_by_id(r->db, r->a, c->user_id, &bound)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0)
		return (link_error(r, cb, ERR_USER_NOT_FOUND_401));
	if (strcmp(text_lower(r->a, bound.email), c->email) != 0)
		return (link_error(r, cb, ERR_INVALID_TOKEN_401));
	if ((e = session_load(r, 0, &a, &found)) != ERR_NONE)
		return (e);
	if (found && strcmp(a.u.id, bound.id) != 0)
		return (link_error(r, cb, ERR_INVALID_USER_401));
	if (c->request_type != NULL &&
	    strcmp(c->request_type, "change-email-confirmation") == 0) {
		/* approved: now prove the new address */
		memset(&nc, 0, sizeof(nc));
		nc.email = c->email;
		nc.update_to = c->update_to;
		nc.request_type = "change-email-verification";
		nc.user_id = bound.id;
		if ((tok = verify_token_make(r, &nc)) == NULL)
			return (ERR_INTERNAL_EMPTY);
		memset(&v, 0, sizeof(v));
		v.url = verify_link(r, tok, cb);
		v.user_name = bound.name;
		v.expires_s = r->bcfg->lt_verification_link;
		if (email_enabled(r) && email_send(r, MAIL_VERIFICATION,
		    c->update_to, &v) == -1)
			log_warnx("route=verify-email the new address's "
			    "verification was not queued");
		return (link_done(r, cb, "{\"status\":true}"));
	}
	legacy = c->request_type == NULL ||
	    strcmp(c->request_type, "change-email-verification") != 0;
	verified = legacy ? 0 : bound.email_verified;
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_FAILED_TO_UPDATE_USER));
	rc = store_user_change_email(r->db, r->a, bound.id, c->update_to,
	    verified, &nu);
	if (rc == 1 && audit_event(r, "email_change", bound.id, NULL,
	    ERR_NONE, arena_printf(r->a, "{\"from\":%s,\"to\":%s,"
	    "\"confirmed\":true}", json_quote(r->a, bound.email),
	    json_quote(r->a, nu.email))) == -1)
		rc = -1;
	if (rc != 1 || store_commit(r->db) == -1) {
		e = rc == 0 ? ERR_FAILED_TO_UPDATE_USER :
		    err_db(r, r->db, ERR_FAILED_TO_UPDATE_USER);
		store_rollback(r->db);
		return (e);
	}
	if (legacy && email_enabled_verify(r) &&
	    verify_send(r, &nu, NULL, cb) == -1)
		log_warnx("route=verify-email the new address's verification "
		    "was not queued");
	if (found) {
		a.u = nu;
		session_set_cookie(r, &a, -1);
	}
	return (link_done(r, cb, status_user(r, &nu)));
}

static enum err
verify_email(struct request *r, void *in)
{
	struct verify_claims	 c;
	struct session_new	 sn;
	struct user_rec		 u;
	struct auth		 a, cur;
	const char		*token, *cb, *hash;
	char			*issues = NULL;
	int			 rc, found, new_session, banned;
	enum err		 e;

	(void)in;
	token = body_query_str(r, "token", 1, &issues);
	cb = body_query_str(r, "callbackURL", 0, &issues);
	if (issues != NULL)
		return (err_msg(r, ERR_VALIDATION_ERROR, issues));
	if ((e = origin_check_query_callback(r)) != ERR_NONE)
		return (e);
	switch (verify_token_check(r, token, &c)) {
	case ERR_NONE:
		break;
	case ERR_TOKEN_EXPIRED:
		return (link_error(r, cb, ERR_TOKEN_EXPIRED_401));
	default:
		return (link_error(r, cb, ERR_INVALID_TOKEN_401));
	}
	if (c.update_to != NULL)
		return (verify_change(r, cb, &c));
	rc = store_user_by_email(r->db, r->a, c.email, &u, &hash);
	if (rc == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0)
		return (link_error(r, cb, ERR_USER_NOT_FOUND_401));
	if (c.user_id != NULL && strcmp(c.user_id, u.id) != 0)
		return (link_error(r, cb, ERR_INVALID_TOKEN_401));
	if (u.email_verified)
		return (link_done(r, cb, "{\"status\":true,\"user\":null}"));
	found = new_session = 0;
	if (r->bcfg->auto_sign_in_after_verification) {
		if ((e = session_load(r, 0, &cur, &found)) != ERR_NONE)
			return (e);
		new_session = !found || strcmp(cur.u.email, c.email) != 0;
	}
	/*
	 * the admin plugin's session hook: a banned user's address is
	 * verified, but it gets no session (BANNED_USER)
	 */
	banned = 0;
	if (new_session) {
		e = admin_ban_check(r, &u, ERR_FAILED_TO_CREATE_SESSION);
		if (e == ERR_BANNED_USER) {
			banned = 1;
			new_session = 0;
		} else if (e != ERR_NONE)
			return (e);
	}
	memset(&a, 0, sizeof(a));
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_FAILED_TO_UPDATE_USER));
	rc = store_user_set_verified(r->db, r->a, u.id, &a.u);
	if (rc == 1 && new_session) {
		sn = session_new(r, 0);
		if (store_session_create(r->db, r->a, u.id, &sn, &a.s) == -1)
			rc = -1;
	}
	if (rc == 1 && audit_event(r, "email_verify", u.id, NULL, ERR_NONE,
	    new_session ? "{\"method\":\"link\",\"signed_in\":true}" :
	    "{\"method\":\"link\"}") == -1)
		rc = -1;
	if (rc != 1 || store_commit(r->db) == -1) {
		e = err_db(r, r->db, new_session ?
		    ERR_FAILED_TO_CREATE_SESSION : ERR_FAILED_TO_UPDATE_USER);
		store_rollback(r->db);
		return (e);
	}
	if (banned)	/* JSON even with a callbackURL, as Better Auth */
		return (ERR_BANNED_USER);
	if (new_session)
		session_set_cookie(r, &a, 0);
	else if (r->bcfg->auto_sign_in_after_verification && found) {
		cur.u = a.u;
		session_set_cookie(r, &cur, -1);
	}
	return (link_done(r, cb, "{\"status\":true,\"user\":null}"));
}

static const struct route routes[] = {
	{ "POST", "/send-verification-email", "send-verification-email",
	    parse_send, send_verification, SESS_NONE, RL_MAIL, ROUTE_DB,
	    "{\"type\":\"object\",\"properties\":{\"status\":"
	    "{\"type\":\"boolean\"}}}" },
	{ "GET", "/verify-email", "verify-email", NULL, verify_email,
	    SESS_NONE, RL_BRANCH, ROUTE_DB,
	    "{\"type\":\"object\",\"properties\":{\"status\":"
	    "{\"type\":\"boolean\"},\"user\":{\"oneOf\":[{\"$ref\":"
	    "\"#/components/schemas/User\"},{\"type\":\"null\"}]}}}" },
	{ NULL, NULL, NULL, NULL, NULL, SESS_NONE, RL_BRANCH, 0, NULL }
};

const struct api_group api_verify_group = { "email-verification", routes,
    NULL, NULL };
