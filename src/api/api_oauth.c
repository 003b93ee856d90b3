/*
 * api_oauth.c -- social sign-in and linked accounts: sign-in/social,
 * callback/:id, link-social, list-accounts, unlink-account,
 * get-access-token (POST, and GET with the same fields as query
 * parameters: spec/README.md decision 3), refresh-token, account-info
 * (protocol.md §1.3, §1.4, §1.23-§1.26, §8), and Neon's
 * sign-in/social/init (neon.md §3.3, §8).  The flows themselves live in
 * auth/oauth.c; this file validates input and writes the replies.
 */
#include <string.h>
#include <strings.h>

#include "api/route.h"
#include "auth/audit.h"
#include "auth/oauth.h"
#include "auth/session.h"
#include "http/body.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/request.h"
#include "lib/clock.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/url.h"
#include "store/store.h"
#include "store/store_account.h"

#define RESERVED_PARAMS "state, client_id, redirect_uri, response_type, " \
	"code_challenge, code_challenge_method, nonce, scope"

static const char *const reserved_params[] = { "state", "client_id",
	"redirect_uri", "response_type", "code_challenge",
	"code_challenge_method", "nonce", "scope", NULL };

struct id_token_in {
	const char	*token, *nonce, *access_token, *refresh_token;
};

struct social_in {
	const char		*provider;
	struct oauth_start	 s;
	int			 disable_redirect;
	struct id_token_in	*id_token;
};

/* ---- validation helpers (zod's messages) */

static json_object *
member(struct vctx *v, const char *k)
{
	json_object	*x;

	if (v->body == NULL || !json_object_object_get_ex(v->body, k, &x))
		return (NULL);
	return (x != NULL ? x : json_object_new_null());
}

static void
want(struct vctx *v, const char *path, const char *type, json_object *x)
{
	v_issue(v, path, arena_printf(v->r->a, "Invalid input: expected %s, "
	    "received %s", type, v_type_name(json_object_is_type(x,
	    json_type_null) ? NULL : x)));
}

static json_object *
v_strings(struct vctx *v, const char *k)
{
	json_object	*x = member(v, k), *e;
	size_t		 i;
	int		 ok = 1;

	if (v_describe(v, k, "{\"type\":\"array\",\"items\":"
	    "{\"type\":\"string\"}}", 0) || x == NULL)
		return (NULL);
	if (!json_object_is_type(x, json_type_array)) {
		want(v, k, "array", x);
		return (NULL);
	}
	for (i = 0; i < json_object_array_length(x); i++) {
		e = json_object_array_get_idx(x, i);
		if (e == NULL || !json_object_is_type(e, json_type_string)) {
			want(v, arena_printf(v->r->a, "%s.%zu", k, i), "string",
			    e ? e : json_object_new_null());
			ok = 0;
		}
	}
	return (ok ? x : NULL);
}

static json_object *
v_record(struct vctx *v, const char *k, int strings)
{
	json_object		*x = member(v, k);
	json_object_iter	 it;
	int			 ok = 1;

	if (v_describe(v, k, strings ? "{\"type\":\"object\","
	    "\"additionalProperties\":{\"type\":\"string\"}}" :
	    "{\"type\":\"object\"}", 0) || x == NULL)
		return (NULL);
	if (!json_object_is_type(x, json_type_object)) {
		want(v, k, "record", x);
		return (NULL);
	}
	if (strings)
		json_object_object_foreachC(x, it)
			if (it.val == NULL ||
			    !json_object_is_type(it.val, json_type_string)) {
				want(v, arena_printf(v->r->a, "%s.%s", k,
				    it.key), "string", it.val ? it.val :
				    json_object_new_null());
				ok = 0;
			}
	return (ok ? x : NULL);
}

/* additionalParams: record<string,string> without the reserved keys */
static json_object *
v_params(struct vctx *v)
{
	json_object	*x = v_record(v, "additionalParams", 1);
	size_t		 i;

	for (i = 0; x != NULL && reserved_params[i] != NULL; i++)
		if (json_object_object_get_ex(x, reserved_params[i], NULL)) {
			v_issue(v, "additionalParams", "additionalParams cannot "
			    "include reserved OAuth parameters: "
			    RESERVED_PARAMS);
			return (NULL);
		}
	return (x);
}

static const char *
sub_str(struct vctx *v, json_object *o, const char *obj, const char *k,
    int required)
{
	json_object	*x;

	if (!json_object_object_get_ex(o, k, &x)) {
		if (required)
			v_issue(v, arena_printf(v->r->a, "%s.%s", obj, k),
			    "Invalid input: expected string, received "
			    "undefined");
		return (NULL);
	}
	if (x == NULL || !json_object_is_type(x, json_type_string)) {
		want(v, arena_printf(v->r->a, "%s.%s", obj, k), "string",
		    x ? x : json_object_new_null());
		return (NULL);
	}
	return (json_object_get_string(x));
}

static struct id_token_in *
v_id_token(struct vctx *v, int sign_in)
{
	struct id_token_in	*t;
	json_object		*x = member(v, "idToken"), *y;

	if (v_describe(v, "idToken", "{\"type\":\"object\",\"properties\":"
	    "{\"token\":{\"type\":\"string\"},\"nonce\":{\"type\":"
	    "\"string\"},\"accessToken\":{\"type\":\"string\"},"
	    "\"refreshToken\":{\"type\":\"string\"}},\"required\":"
	    "[\"token\"]}", 0) || x == NULL)
		return (NULL);
	if (!json_object_is_type(x, json_type_object)) {
		want(v, "idToken", "object", x);
		return (NULL);
	}
	t = arena_alloc(v->r->a, sizeof(*t));
	t->token = sub_str(v, x, "idToken", "token", 1);
	t->nonce = sub_str(v, x, "idToken", "nonce", 0);
	t->access_token = sub_str(v, x, "idToken", "accessToken", 0);
	t->refresh_token = sub_str(v, x, "idToken", "refreshToken", 0);
	if (sign_in && json_object_object_get_ex(x, "expiresAt", &y) &&
	    (y == NULL || (!json_object_is_type(y, json_type_int) &&
	    !json_object_is_type(y, json_type_double))))
		want(v, "idToken.expiresAt", "number", y ? y :
		    json_object_new_null());
	if (sign_in && json_object_object_get_ex(x, "user", &y) &&
	    (y == NULL || !json_object_is_type(y, json_type_object)))
		want(v, "idToken.user", "object", y ? y :
		    json_object_new_null());
	return (t->token != NULL ? t : NULL);
}

static enum err
parse_social_common(struct request *r, void **inp, int link)
{
	struct social_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx		 v;

	v_begin(&v, r, V_OBJECT);
	in->s.callback_url = v_str(&v, "callbackURL", 0);
	if (!link)
		in->s.new_user_url = v_str(&v, "newUserCallbackURL", 0);
	in->s.error_url = v_str(&v, "errorCallbackURL", 0);
	in->provider = v_str(&v, "provider", 1);
	in->disable_redirect = v_bool(&v, "disableRedirect", 0);
	in->id_token = v_id_token(&v, !link);
	in->s.scopes = v_strings(&v, "scopes");
	in->s.request_sign_up = v_bool(&v, "requestSignUp", 0);
	in->s.login_hint = v_str(&v, "loginHint", 0);
	in->s.additional_params = v_params(&v);
	in->s.additional_data = v_record(&v, "additionalData", 0);
	*inp = in;
	return (v_end(&v));
}

static enum err
parse_social(struct request *r, void **inp)
{
	return (parse_social_common(r, inp, 0));
}

static enum err
parse_link(struct request *r, void **inp)
{
	return (parse_social_common(r, inp, 1));
}

/* the provider of a request: ERR_NONE with p, or the error */
static enum err
provider_for(struct request *r, const char *id, struct oauth_prov *p)
{
	switch (oauth_provider(r, id, p)) {
	case 1:
		return (ERR_NONE);
	case 0:
		return (ERR_PROVIDER_NOT_FOUND);
	default:
		return (ERR_PROVIDER_UNAVAILABLE);
	}
}

/* {"url":...,"redirect":...} and Location unless disableRedirect */
static enum err
reply_redirect_flow(struct request *r, const char *url, int disable)
{
	struct jbuf	 b;

	jb_init(&b, r->a, 256 + strlen(url));
	jb_lit(&b, "{\"url\":");
	jb_str(&b, url);
	jb_lit(&b, ",\"redirect\":");
	jb_bool(&b, !disable);
	jb_lit(&b, "}");
	if (!disable)
		reply_header_add(r, "Location", url);
	reply_json_str(r, 200, jb_done(&b));
	return (ERR_NONE);
}

/* an id token from the client: verified, and its user */
static enum err
id_token_user(struct request *r, const struct oauth_prov *p,
    const struct id_token_in *it, struct oauth_tokens *t,
    struct oauth_user *u)
{
	json_object	*claims;

	if (!(p->kind->flags & PROV_ID_TOKEN))
		return (ERR_ID_TOKEN_NOT_SUPPORTED);
	if (!oauth_id_token_verify(r, p, it->token, it->nonce, &claims)) {
		log_info("oauth: %s: a client id token did not verify", p->id);
		return (ERR_INVALID_TOKEN_401);
	}
	memset(t, 0, sizeof(*t));
	t->id_token = it->token;
	t->access_token = it->access_token;
	t->refresh_token = it->refresh_token;
	if (p->kind->user_info(r, p, t, u) == -1 || u->id == NULL)
		return (ERR_FAILED_TO_GET_USER_INFO_401);
	if (u->email == NULL || *u->email == '\0')
		return (ERR_USER_EMAIL_NOT_FOUND_401);
	return (ERR_NONE);
}

/* ---- POST /sign-in/social (protocol.md §1.3, neon.md §8) */

static enum err
sign_in_social(struct request *r, void *inp)
{
	struct social_in	*in = inp;
	struct oauth_prov	 p;
	struct oauth_tokens	 t;
	struct oauth_user	 u;
	struct auth		 a;
	struct jbuf		 b;
	const char		*fail;
	char			*url;
	enum err		 e;
	int			 is_new, dberr;
	enum err		 refused;

	if ((e = provider_for(r, in->provider, &p)) != ERR_NONE)
		return (e);
	if (in->id_token != NULL) {
		if ((e = id_token_user(r, &p, in->id_token, &t, &u)) !=
		    ERR_NONE)
			return (e);
		t.refresh_token = NULL;	/* the account keeps what Better Auth keeps */
		fail = oauth_sign_in_user(r, &p, &u, &t, p.cfg->disable_sign_up &&
		    !in->s.request_sign_up, &a, &is_new, &dberr, &refused);
		if (fail != NULL && strcmp(fail, OAUTH_SIGN_UP_REFUSED) == 0)
			return (refused);
		if (fail != NULL && dberr) {
			e = err_db(r, r->db, ERR_OAUTH_LINK_ERROR);
			return (e == ERR_OAUTH_LINK_ERROR ? err_msg(r, e, fail) :
			    e);
		}
		if (fail != NULL && strcmp(fail, OAUTH_BANNED_USER) == 0)
			return (ERR_BANNED_USER);
		if (fail != NULL)
			return (strcmp(fail, "email_not_verified") == 0 ?
			    ERR_EMAIL_NOT_VERIFIED : err_msg(r,
			    ERR_OAUTH_LINK_ERROR, fail));
		session_set_cookie(r, &a, 0);
		jb_init(&b, r->a, 1024);
		jb_lit(&b, "{\"redirect\":false,\"token\":");
		jb_str(&b, a.s.token);
		jb_lit(&b, ",\"user\":");
		user_write(&b, &a.u);
		jb_lit(&b, "}");
		reply_json_str(r, 200, jb_done(&b));
		return (ERR_NONE);
	}
	if (oauth_uses_verifier(r, in->s.callback_url))
		e = oauth_init_create(r, p.id, &in->s, &url);
	else
		e = oauth_redirect_url(r, &p, &in->s, &url);
	if (e != ERR_NONE)
		return (e);
	return (reply_redirect_flow(r, url, in->disable_redirect));
}

/* ---- GET /sign-in/social/init?token= (neon.md §8 step 2) */

static enum err
social_init(struct request *r, void *in)
{
	char		*url;
	enum err	 e;

	(void)in;
	if ((e = oauth_init_follow(r, request_query(r, "token"), &url)) !=
	    ERR_NONE)
		return (e);
	reply_empty(r, 302);
	reply_header_add(r, "Location", url);
	return (ERR_NONE);
}

/* ---- GET and POST /callback/:id (protocol.md §1.4, §8.3) */

static const char *const cb_fields[] = { "code", "error", "device_id",
	"error_description", "state", "user", "iss", NULL };

static enum err
callback_get(struct request *r, void *in)
{
	struct oauth_cb	 cb;
	const char	*id = arena_strndup(r->a, r->route.p + 10,
			    r->route.len - 10);
	char		*v[7];
	int		 i, n;

	(void)in;
	for (i = 0; cb_fields[i] != NULL; i++) {
		v[i] = request_query_n(r, cb_fields[i], &n);
		if (n > 1) {
			/* a repeated key is an array: the schema refuses it */
			reply_empty(r, 302);
			reply_header_add(r, "Location", arena_printf(r->a,
			    "%s/error?error=invalid_callback_request",
			    r->branch->auth_url));
			return (ERR_NONE);
		}
	}
	memset(&cb, 0, sizeof(cb));
	cb.code = v[0];
	cb.error = v[1];
	cb.error_description = v[3];
	cb.state = v[4];
	cb.iss = v[6];
	oauth_callback(r, id, &cb);
	return (ERR_NONE);
}

/* POST: merge body and query (query wins) and redirect to the GET */
static enum err
callback_post(struct request *r, void *in)
{
	const char	*id = arena_strndup(r->a, r->route.p + 10,
			    r->route.len - 10);
	const char	*val;
	json_object	*x;
	struct jbuf	 b;
	int		 i, n;

	(void)in;
	jb_init(&b, r->a, 256);
	for (i = 0; cb_fields[i] != NULL; i++) {
		val = request_query_n(r, cb_fields[i], &n);
		if (val == NULL && r->json != NULL &&
		    json_object_is_type(r->json, json_type_object) &&
		    json_object_object_get_ex(r->json, cb_fields[i], &x) &&
		    x != NULL && json_object_is_type(x, json_type_string))
			val = json_object_get_string(x);
		if (val == NULL)
			continue;
		if (b.len > 0)
			jb_lit(&b, "&");
		jb_raw(&b, cb_fields[i], strlen(cb_fields[i]));
		jb_lit(&b, "=");
		{
			/* URLSearchParams encoding */
			static const char hex[] = "0123456789ABCDEF";
			const unsigned char	*p;
			char			 e[3];

			for (p = (const unsigned char *)val; *p; p++) {
				if ((*p >= 'a' && *p <= 'z') ||
				    (*p >= 'A' && *p <= 'Z') ||
				    (*p >= '0' && *p <= '9') || *p == '*' ||
				    *p == '-' || *p == '.' || *p == '_')
					jb_raw(&b, (const char *)p, 1);
				else if (*p == ' ')
					jb_lit(&b, "+");
				else {
					e[0] = '%';
					e[1] = hex[*p >> 4];
					e[2] = hex[*p & 15];
					jb_raw(&b, e, 3);
				}
			}
		}
	}
	reply_empty(r, 302);
	reply_header_add(r, "Location", arena_printf(r->a, "%s/callback/%s?%s",
	    r->branch->auth_url, id, jb_done(&b)));
	return (ERR_NONE);
}

/* ---- POST /link-social (protocol.md §1.23) */

static const char *
provider_detail(struct request *r, const char *id)
{
	return (arena_printf(r->a, "{\"provider\":%s}", json_quote(r->a, id)));
}

static enum err
link_id_token(struct request *r, const struct oauth_prov *p,
    const struct id_token_in *it)
{
	struct oauth_tokens	 t;
	struct oauth_user	 u;
	struct account_tokens	 at;
	struct account_rec	 acc;
	struct user_rec		 owner;
	struct auth		*me = r->auth;
	enum err		 e;
	int			 rc, orphan;

	if ((e = id_token_user(r, p, it, &t, &u)) != ERR_NONE)
		return (e);
	memset(&at, 0, sizeof(at));
	at.access_token = oauth_seal(r, it->access_token);
	at.refresh_token = oauth_seal(r, it->refresh_token);
	at.id_token = oauth_seal(r, it->token);
	if ((rc = store_account_find(r->db, r->a, p->id, u.id, &acc, &owner,
	    &orphan)) == -1)
		return (err_db(r, r->db, ERR_LINKING_FAILED));
	if (rc == 1 && strcmp(acc.user_id, me->u.id) == 0) {
		if (store_account_update(r->db, r->a, acc.id, &at, NULL) == -1)
			return (err_db(r, r->db, ERR_LINKING_FAILED));
		goto done;
	}
	if (rc == 1)
		return (ERR_SOCIAL_ACCOUNT_ALREADY_LINKED_409);
	if ((!p->trusted && !u.email_verified) || !r->bcfg->link_enabled)
		return (ERR_LINKING_NOT_ALLOWED);
	if (strcasecmp(u.email, me->u.email) != 0 &&
	    !r->bcfg->link_different_emails)
		return (ERR_LINKING_DIFFERENT_EMAILS_NOT_ALLOWED);
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_LINKING_FAILED));
	if (store_account_insert(r->db, r->a, me->u.id, p->id, u.id, &at,
	    NULL) == -1 || audit_event(r, "account_link", me->u.id, NULL,
	    ERR_NONE, provider_detail(r, p->id)) == -1 ||
	    store_commit(r->db) == -1) {
		e = err_db(r, r->db, ERR_LINKING_FAILED);
		store_rollback(r->db);
		return (e);
	}
 done:
	reply_json_str(r, 200, "{\"url\":\"\",\"status\":true,"
	    "\"redirect\":false}");
	return (ERR_NONE);
}

static enum err
link_social(struct request *r, void *inp)
{
	struct social_in	*in = inp;
	struct oauth_prov	 p;
	char			*url;
	enum err		 e;

	if ((e = provider_for(r, in->provider, &p)) != ERR_NONE)
		return (e);
	if (in->id_token != NULL)
		return (link_id_token(r, &p, in->id_token));
	in->s.link = r->auth;
	in->s.new_user_url = NULL;
	if (oauth_uses_verifier(r, in->s.callback_url))
		e = oauth_init_create(r, p.id, &in->s, &url);
	else
		e = oauth_redirect_url(r, &p, &in->s, &url);
	if (e != ERR_NONE)
		return (e);
	return (reply_redirect_flow(r, url, in->disable_redirect));
}

/* ---- GET /list-accounts (protocol.md §1.24) */

static enum err
list_accounts(struct request *r, void *in)
{
	struct account_rec	*acc;
	struct jbuf		 b;
	int			 i, n;

	(void)in;
	if (store_account_list(r->db, r->a, r->auth->u.id, &acc, &n) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	jb_init(&b, r->a, 256 * (size_t)(n + 1));
	jb_lit(&b, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			jb_lit(&b, ",");
		account_public_write(&b, &acc[i]);
	}
	jb_lit(&b, "]");
	reply_json_str(r, 200, jb_done(&b));
	return (ERR_NONE);
}

/* ---- POST /unlink-account (protocol.md §1.25) */

static enum err
parse_unlink(struct request *r, void **inp)
{
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT);
	*inp = (void *)v_str(&v, "accountId", 1);
	return (v_end(&v));
}

static enum err
unlink_account(struct request *r, void *in)
{
	const char		*id = in;
	struct account_rec	*acc, *found = NULL;
	enum err		 e;
	int			 i, n;

	if (store_account_list(r->db, r->a, r->auth->u.id, &acc, &n) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_SERVER_ERROR));
	if (n == 1 && !r->bcfg->link_unlink_all)
		return (ERR_FAILED_TO_UNLINK_LAST_ACCOUNT);
	for (i = 0; i < n; i++)
		if (strcmp(acc[i].id, id) == 0)
			found = &acc[i];
	if (found == NULL)
		return (ERR_ACCOUNT_NOT_FOUND);
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_SERVER_ERROR));
	if (store_account_delete(r->db, r->a, r->auth->u.id, id) == -1 ||
	    audit_event(r, "account_unlink", r->auth->u.id, NULL, ERR_NONE,
	    provider_detail(r, found->provider_id)) == -1 ||
	    store_commit(r->db) == -1) {
		e = err_db(r, r->db, ERR_INTERNAL_SERVER_ERROR);
		store_rollback(r->db);
		return (e);
	}
	reply_json_str(r, 200, "{\"status\":true}");
	return (ERR_NONE);
}

/* ---- account selection: get-access-token, refresh-token, account-info */

struct select_in {
	const char	*account_id;	/* NULL: useAccountCookie */
};

/*
 * z.union([strictObject({accountId, userId?}), strictObject({
 * useAccountCookie: true, userId?})]) over the body, or over the query
 * (from_query): any failure is zod's "Invalid input" for the union.
 */
static enum err
parse_select_common(struct request *r, void **inp, int from_query)
{
	struct select_in	*in = arena_alloc(r->a, sizeof(*in));
	const char		*where = from_query ? "query" : "body";
	const char		*p, *end, *acc = NULL, *uid = NULL, *cookie = NULL;
	json_object_iter	 it;
	char			*k, *val;
	int			 ok = 1, dup = 0;

	*inp = in;
	if (r->describe != NULL) {
		struct vctx	 v;

		v_begin(&v, r, V_OBJECT);
		(void)v_str(&v, "accountId", 1);
		(void)v_str(&v, "userId", 0);
		return (v_end(&v));
	}
	if (from_query) {
		p = r->query.p;
		end = p + r->query.len;
		while (url_pair_next(r->a, &p, end, &k, &val)) {
			if (strcmp(k, "accountId") == 0)
				dup |= acc != NULL, acc = val;
			else if (strcmp(k, "userId") == 0)
				dup |= uid != NULL, uid = val;
			else if (strcmp(k, "useAccountCookie") == 0)
				dup |= cookie != NULL, cookie = val;
			else
				ok = 0;
		}
		/* a query value is a string: useAccountCookie: true cannot be */
		ok = ok && !dup && acc != NULL && cookie == NULL;
	} else {
		if (r->json == NULL || !json_object_is_type(r->json,
		    json_type_object))
			ok = 0;
		else {
			json_object_object_foreachC(r->json, it) {
				if (strcmp(it.key, "accountId") == 0 &&
				    it.val != NULL && json_object_is_type(it.val,
				    json_type_string))
					acc = json_object_get_string(it.val);
				else if (strcmp(it.key, "userId") == 0 &&
				    it.val != NULL && json_object_is_type(it.val,
				    json_type_string))
					uid = json_object_get_string(it.val);
				else if (strcmp(it.key, "useAccountCookie") ==
				    0 && it.val != NULL &&
				    json_object_is_type(it.val,
				    json_type_boolean) &&
				    json_object_get_boolean(it.val))
					cookie = "true";
				else
					ok = 0;
			}
			ok = ok && ((acc != NULL) != (cookie != NULL));
		}
	}
	(void)uid;
	if (!ok)
		return (err_msg(r, ERR_VALIDATION_ERROR, arena_printf(r->a,
		    "[%s] Invalid input", where)));
	in->account_id = acc;
	return (ERR_NONE);
}

static enum err
parse_select_body(struct request *r, void **inp)
{
	return (parse_select_common(r, inp, 0));
}

static enum err
parse_select_query(struct request *r, void **inp)
{
	return (parse_select_common(r, inp, 1));
}

/*
 * The caller's session (DB-authoritative) and the selected account: a
 * request without a session gets 401 with an empty body.
 */
static enum err
selected_account(struct request *r, const struct select_in *in,
    struct account_rec *acc)
{
	struct auth	*a = arena_alloc(r->a, sizeof(*a));
	enum err	 e;
	int		 found, rc;

	if ((e = session_load(r, SESSION_SENSITIVE, a, &found)) != ERR_NONE)
		return (e);
	if (!found)
		return (ERR_UNAUTHORIZED_EMPTY);
	r->auth = a;
	if (in->account_id == NULL)	/* no account cookie with a database */
		return (ERR_ACCOUNT_NOT_FOUND);
	if ((rc = store_account_of_user(r->db, r->a, a->u.id, in->account_id,
	    acc)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_SERVER_ERROR));
	return (rc == 1 ? ERR_NONE : ERR_ACCOUNT_NOT_FOUND);
}

/* the stored refresh of one account: new tokens into the row */
static int
store_refreshed(struct request *r, const struct account_rec *acc,
    const struct oauth_tokens *nt)
{
	struct account_tokens	 at;

	memset(&at, 0, sizeof(at));
	at.access_token = oauth_seal(r, nt->access_token);
	at.refresh_token = oauth_seal(r, nt->refresh_token);
	at.id_token = oauth_seal(r, nt->id_token);
	at.access_expires_ms = nt->access_expires_ms;
	at.refresh_expires_ms = nt->refresh_expires_ms;
	return (store_account_update(r->db, r->a, acc->id, &at, NULL));
}

struct valid_token {
	const char	*access_token;
	int64_t		 expires_ms;	/* 0: none */
	const char	*id_token;
};

/* getValidAccessToken: refresh when within 5 s of expiry */
static enum err
valid_access_token(struct request *r, const struct oauth_prov *p,
    const struct account_rec *acc, struct valid_token *vt)
{
	struct oauth_tokens	 nt;

	memset(vt, 0, sizeof(*vt));
	vt->access_token = oauth_open(r, acc->access_token);
	vt->expires_ms = acc->access_expires_ms;
	vt->id_token = oauth_open(r, acc->id_token);
	if (acc->refresh_token != NULL && acc->access_expires_ms > 0 &&
	    acc->access_expires_ms - clock_now_ms() < 5000 &&
	    (p->kind->flags & PROV_REFRESH)) {
		if (oauth_refresh(r, p, oauth_open(r, acc->refresh_token),
		    &nt) == -1)
			return (ERR_FAILED_TO_GET_ACCESS_TOKEN);
		if (store_refreshed(r, acc, &nt) == -1)
			return (err_db(r, r->db, ERR_FAILED_TO_GET_ACCESS_TOKEN));
		if (nt.access_token != NULL)
			vt->access_token = nt.access_token;
		if (nt.access_expires_ms > 0)
			vt->expires_ms = nt.access_expires_ms;
		if (nt.id_token != NULL)
			vt->id_token = nt.id_token;
	}
	if (vt->access_token == NULL)
		vt->access_token = "";
	return (ERR_NONE);
}

static void
scopes_write(struct jbuf *b, const struct account_rec *acc)
{
	struct jbuf	 tmp;
	const char	*s, *e;

	/* the same split as list-accounts */
	jb_init(&tmp, b->a, 64);
	account_public_write(&tmp, acc);
	s = strstr(jb_done(&tmp), ",\"scopes\":");
	e = s ? strrchr(s, '}') : NULL;
	if (s == NULL || e == NULL) {
		jb_lit(b, "[]");
		return;
	}
	s += strlen(",\"scopes\":");
	jb_raw(b, s, (size_t)(e - s));
}

static enum err
get_access_token(struct request *r, void *inp)
{
	struct account_rec	 acc;
	struct oauth_prov	 p;
	struct valid_token	 vt;
	struct jbuf		 b;
	enum err		 e;
	int			 rc;

	if ((e = selected_account(r, inp, &acc)) != ERR_NONE)
		return (e);
	if ((rc = oauth_provider(r, acc.provider_id, &p)) == 0)
		return (err_msg(r, ERR_PROVIDER_NOT_SUPPORTED, arena_printf(
		    r->a, "Provider %s is not supported.", acc.provider_id)));
	if (rc == -1)
		return (ERR_FAILED_TO_GET_ACCESS_TOKEN);
	if ((e = valid_access_token(r, &p, &acc, &vt)) != ERR_NONE)
		return (e);
	jb_init(&b, r->a, 1024);
	jb_lit(&b, "{\"accessToken\":");
	jb_str(&b, vt.access_token);
	if (vt.expires_ms > 0) {
		jb_lit(&b, ",\"accessTokenExpiresAt\":");
		jb_str(&b, clock_iso(r->a, vt.expires_ms));
	}
	jb_lit(&b, ",\"scopes\":");
	scopes_write(&b, &acc);
	if (vt.id_token != NULL) {
		jb_lit(&b, ",\"idToken\":");
		jb_str(&b, vt.id_token);
	}
	jb_lit(&b, "}");
	reply_json_str(r, 200, jb_done(&b));
	return (ERR_NONE);
}

static enum err
refresh_token(struct request *r, void *inp)
{
	struct account_rec	 acc, upd;
	struct oauth_prov	 p;
	struct oauth_tokens	 nt;
	struct jbuf		 b;
	const char		*rt;
	enum err		 e;
	int			 rc;

	if ((e = selected_account(r, inp, &acc)) != ERR_NONE)
		return (e);
	if ((rc = oauth_provider(r, acc.provider_id, &p)) == 0)
		return (err_msg(r, ERR_PROVIDER_NOT_SUPPORTED, arena_printf(
		    r->a, "Provider %s is not supported.", acc.provider_id)));
	if (rc == -1)
		return (ERR_FAILED_TO_REFRESH_ACCESS_TOKEN);
	if (!(p.kind->flags & PROV_REFRESH))
		return (err_msg(r, ERR_TOKEN_REFRESH_NOT_SUPPORTED, arena_printf(
		    r->a, "Provider %s does not support token refreshing.",
		    acc.provider_id)));
	if (acc.refresh_token == NULL)
		return (ERR_REFRESH_TOKEN_NOT_FOUND);
	rt = oauth_open(r, acc.refresh_token);
	if (oauth_refresh(r, &p, rt, &nt) == -1)
		return (ERR_FAILED_TO_REFRESH_ACCESS_TOKEN);
	{
		struct account_tokens	 at;

		memset(&at, 0, sizeof(at));
		at.access_token = oauth_seal(r, nt.access_token);
		at.refresh_token = oauth_seal(r, nt.refresh_token);
		at.id_token = oauth_seal(r, nt.id_token);
		at.access_expires_ms = nt.access_expires_ms;
		at.refresh_expires_ms = nt.refresh_expires_ms;
		if ((rc = store_account_update(r->db, r->a, acc.id, &at,
		    &upd)) == -1)
			return (err_db(r, r->db,
			    ERR_FAILED_TO_REFRESH_ACCESS_TOKEN));
		if (rc == 0)
			upd = acc;
	}
	jb_init(&b, r->a, 1024);
	jb_lit(&b, "{\"accessToken\":");
	jb_str(&b, nt.access_token);
	jb_lit(&b, ",\"refreshToken\":");
	jb_str(&b, nt.refresh_token != NULL ? nt.refresh_token : rt);
	if (nt.access_expires_ms > 0) {
		jb_lit(&b, ",\"accessTokenExpiresAt\":");
		jb_str(&b, clock_iso(r->a, nt.access_expires_ms));
	}
	jb_lit(&b, ",\"refreshTokenExpiresAt\":");
	jb_str(&b, upd.refresh_expires_at);
	jb_lit(&b, ",\"scope\":");
	jb_str(&b, upd.scope);
	jb_lit(&b, ",\"idToken\":");
	jb_str(&b, nt.id_token != NULL ? nt.id_token : oauth_open(r,
	    acc.id_token));
	jb_lit(&b, ",\"providerId\":");
	jb_str(&b, acc.provider_id);
	jb_lit(&b, ",\"accountId\":");
	jb_str(&b, acc.id);
	jb_lit(&b, "}");
	reply_json_str(r, 200, jb_done(&b));
	return (ERR_NONE);
}

static enum err
account_info(struct request *r, void *inp)
{
	struct account_rec	 acc;
	struct oauth_prov	 p;
	struct valid_token	 vt;
	struct oauth_tokens	 t;
	struct oauth_user	 u;
	struct jbuf		 b;
	enum err		 e;

	if ((e = selected_account(r, inp, &acc)) != ERR_NONE)
		return (e);
	if (oauth_provider(r, acc.provider_id, &p) != 1)
		return (ERR_PROVIDER_NOT_CONFIGURED);
	if ((e = valid_access_token(r, &p, &acc, &vt)) != ERR_NONE)
		return (e);
	if (*vt.access_token == '\0')
		return (ERR_ACCESS_TOKEN_NOT_FOUND);
	memset(&t, 0, sizeof(t));
	t.access_token = vt.access_token;
	t.id_token = vt.id_token;
	memset(&u, 0, sizeof(u));
	if (p.kind->user_info(r, &p, &t, &u) == -1)
		return (ERR_FAILED_TO_GET_USER_INFO_401);
	jb_init(&b, r->a, 2048);
	jb_lit(&b, "{\"user\":{\"name\":");
	jb_str(&b, u.name);
	jb_lit(&b, ",\"email\":");
	jb_str(&b, u.email);
	if (u.image != NULL) {
		jb_lit(&b, ",\"image\":");
		jb_str(&b, u.image);
	}
	jb_lit(&b, ",\"emailVerified\":");
	jb_bool(&b, u.email_verified);
	jb_lit(&b, "},\"data\":");
	if (u.profile != NULL) {
		const char	*d = json_dump(r->a, u.profile);

		jb_raw(&b, d, strlen(d));
	} else
		jb_lit(&b, "{}");
	jb_lit(&b, ",\"account\":{\"id\":");
	jb_str(&b, acc.id);
	jb_lit(&b, ",\"providerId\":");
	jb_str(&b, acc.provider_id);
	jb_lit(&b, ",\"accountId\":");
	jb_str(&b, acc.account_id);
	jb_lit(&b, "}}");
	reply_json_str(r, 200, jb_done(&b));
	return (ERR_NONE);
}

#define R_DB	ROUTE_DB
#define RESP_REDIRECT	"{\"type\":\"object\",\"properties\":{\"url\":" \
	"{\"type\":\"string\"},\"redirect\":{\"type\":\"boolean\"}}," \
	"\"required\":[\"redirect\"]}"
#define RESP_ACCOUNTS	"{\"type\":\"array\",\"items\":{\"type\":" \
	"\"object\",\"properties\":{\"id\":{\"type\":\"string\"}," \
	"\"providerId\":{\"type\":\"string\"},\"accountId\":{\"type\":" \
	"\"string\"},\"userId\":{\"type\":\"string\"},\"createdAt\":" \
	"{\"type\":\"string\",\"format\":\"date-time\"},\"updatedAt\":" \
	"{\"type\":\"string\",\"format\":\"date-time\"},\"scopes\":" \
	"{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}}"

static const struct route routes[] = {
	{ "POST", "/sign-in/social", "sign-in/social", parse_social,
	    sign_in_social, SESS_NONE, RL_STRICT, R_DB, RESP_REDIRECT },
	{ "GET", "/sign-in/social/init", "sign-in/social/init", NULL,
	    social_init, SESS_NONE, RL_STRICT, R_DB, NULL },
	{ "GET", "/callback/", "callback", NULL, callback_get, SESS_NONE,
	    RL_BRANCH, R_DB | ROUTE_PREFIX, NULL },
	{ "POST", "/callback/", "callback", NULL, callback_post, SESS_NONE,
	    RL_BRANCH, R_DB | ROUTE_PREFIX | ROUTE_FORM, NULL },
	{ "POST", "/link-social", "link-social", parse_link, link_social,
	    SESS_SENSITIVE, RL_BRANCH, R_DB, RESP_REDIRECT },
	{ "GET", "/list-accounts", "list-accounts", NULL, list_accounts,
	    SESS_REQUIRED, RL_BRANCH, R_DB, RESP_ACCOUNTS },
	{ "POST", "/unlink-account", "unlink-account", parse_unlink,
	    unlink_account, SESS_FRESH, RL_BRANCH, R_DB, NULL },
	{ "POST", "/get-access-token", "get-access-token", parse_select_body,
	    get_access_token, SESS_NONE, RL_BRANCH, R_DB, NULL },
	{ "GET", "/get-access-token", "get-access-token", parse_select_query,
	    get_access_token, SESS_NONE, RL_BRANCH, R_DB, NULL },
	{ "POST", "/refresh-token", "refresh-token", parse_select_body,
	    refresh_token, SESS_NONE, RL_BRANCH, R_DB, NULL },
	{ "GET", "/account-info", "account-info", parse_select_query,
	    account_info, SESS_NONE, RL_BRANCH, R_DB, NULL },
	{ NULL, NULL, NULL, NULL, NULL, SESS_NONE, RL_BRANCH, 0, NULL }
};

const struct api_group api_oauth_group = { "core/oauth", routes, NULL, NULL };
