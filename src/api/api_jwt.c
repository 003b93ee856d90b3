/*
 * api_jwt.c -- the jwt plugin's endpoints as Neon serves them: GET token,
 * GET token/anonymous, GET jwks and .well-known/jwks.json (also at the
 * host root when the host names one branch) (protocol.md §9, neon.md §7).
 * The tokens themselves come from auth/token.c.
 */
#include <string.h>

#include "api/route.h"
#include "auth/session.h"
#include "auth/token.h"
#include "http/branchcfg.h"
#include "lib/json.h"

static enum err
token(struct request *r, void *in)
{
	struct jbuf	 b;
	char		*tok;
	enum err	 e;

	(void)in;
	if ((e = token_session(r, r->auth, &tok)) != ERR_NONE)
		return (e);
	/* the hot route: written, not built as objects and serialized */
	jb_init(&b, r->a, strlen(tok) + 16);
	jb_lit(&b, "{\"token\":");
	jb_str(&b, tok);
	jb_lit(&b, "}");
	reply_json_str(r, 200, jb_done(&b));
	return (ERR_NONE);
}

static enum err
token_anon(struct request *r, void *in)
{
	json_object	*o;
	char		*tok;
	int64_t		 exp;
	enum err	 e;

	(void)in;
	if (!r->bcfg->anonymous_token) {
		reply_empty(r, 404);
		return (ERR_NONE);
	}
	if ((e = token_anonymous(r, &tok, &exp)) != ERR_NONE)
		return (e);
	o = json_object_new_object();
	json_object_object_add(o, "token", json_object_new_string(tok));
	json_object_object_add(o, "expires_at", json_object_new_int64(exp));
	reply_json_obj(r, 200, o);
	return (ERR_NONE);
}

static enum err
jwks(struct request *r, void *in)
{
	const char	*doc;
	size_t		 len;
	enum err	 e;

	(void)in;
	if ((e = token_jwks(r, &doc, &len)) != ERR_NONE)
		return (e);
	reply_raw(r, 200, "application/json", arena_strndup(r->a, doc, len),
	    len);
	return (ERR_NONE);
}

static const struct route routes[] = {
	{ "GET", "/token", "token", NULL, token, SESS_REQUIRED, RL_BRANCH,
	    ROUTE_DB,
	    "{\"type\":\"object\",\"properties\":{\"token\":{\"type\":\"string\",\"description\":\"a JWT\"}}}" },
	{ "GET", "/token/anonymous", "token/anonymous", NULL, token_anon,
	    SESS_NONE, RL_BRANCH, ROUTE_DB,
	    "{\"type\":\"object\",\"properties\":{\"token\":{\"type\":\"string\"},\"expires_at\":{\"type\":\"integer\"}}}" },
	{ "GET", "/jwks", "jwks", NULL, jwks, SESS_NONE, RL_BRANCH, ROUTE_DB,
	    "{\"type\":\"object\",\"properties\":{\"keys\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}}}}" },
	{ "GET", "/.well-known/jwks.json", "jwks", NULL, jwks, SESS_NONE,
	    RL_BRANCH, ROUTE_DB | ROUTE_HOST_ROOT,
	    "{\"type\":\"object\",\"properties\":{\"keys\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}}}}" },
	{ NULL, NULL, NULL, NULL, NULL, SESS_NONE, RL_BRANCH, 0, NULL }
};

const struct api_group api_jwt_group = { "jwt", routes, NULL, NULL };
