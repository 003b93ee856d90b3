/*
 * oauth.h -- social sign-in underneath the endpoints: the branch's
 * providers resolved (discovery cached per worker), state and PKCE, the
 * authorization URL, the code exchange and refresh, id-token
 * verification against the provider's JWKS (cached per worker, refetched
 * on an unknown kid), user resolution and account linking, the callback
 * algorithm, token storage, and Neon's session verifier (protocol.md §8,
 * neon.md §8).
 *
 * Every provider call goes through lib/httpc with the branch's
 * settings.oauth.timeout; tokens never reach a log line.
 */
#ifndef NEON_AUTHD_OAUTH_H
#define NEON_AUTHD_OAUTH_H

#include <json-c/json.h>

#include "auth/provider.h"
#include "auth/session.h"
#include "http/error.h"
#include "http/request.h"
#include "store/store_account.h"

struct branch_provider;

/* a branch's provider, resolved for one request */
struct oauth_prov {
	const struct provider		*kind;
	const struct branch_provider	*cfg;
	const char	*id;
	const char	*client_id;
	const char	*client_secret;
	const char	*authorize_url;
	const char	*token_url;
	const char	*userinfo_url;	/* NULL when none */
	const char	*jwks_uri;	/* NULL when none */
	const char	*issuer;	/* NULL when none */
	const char	*scopes;	/* default scopes, space-separated */
	int		 trusted;
};

/*
 * oauth_provider: the provider id of r's branch, resolved.  1 found (p
 * filled), 0 not configured, -1 configured but unusable now (discovery
 * failed: logged).
 */
int	 oauth_provider(struct request *r, const char *id, struct oauth_prov *p);

/* ---- helpers for the provider files */

/*
 * oauth_get_json: GET url (Authorization: Bearer <bearer> when not NULL,
 * "User-Agent: better-auth" as GitHub wants it) and parse a JSON answer
 * of a 2xx status.  0 with *out (arena-owned), or -1.
 */
int	 oauth_get_json(struct request *r, const char *url, const char *bearer,
	    json_object **out);
/* oauth_jwt_claims: the payload of a JWT, not verified (arena-owned). */
json_object *oauth_jwt_claims(struct request *r, const char *jwt);
/* oauth_jstr: a string member, NULL when absent or not a string. */
const char *oauth_jstr(json_object *o, const char *k);
/* oauth_jbool: a member that is true or "true". */
int	 oauth_jbool(json_object *o, const char *k);
/*
 * oauth_user_from_claims: the OpenID Connect standard claims (sub, email,
 * email_verified, name, picture) into u; 0, or -1 without a sub.
 */
int	 oauth_user_from_claims(struct request *r, json_object *claims,
	    struct oauth_user *u);
/*
 * oauth_id_token_verify: a client or token-endpoint id token checked the
 * way Better Auth does it (signature with the provider's JWKS, the key by
 * kid, "alg":"none" refused; iss, aud = client id, exp, iat and the token
 * age with 30 s of tolerance; sub; nonce when one is expected; the
 * provider's own claim rules).  1 with *claims, 0 when not valid.
 */
int	 oauth_id_token_verify(struct request *r, const struct oauth_prov *p,
	    const char *token, const char *nonce, json_object **claims);

/* ---- tokens at rest */

/* oauth_seal: a token as stored (encrypted when the branch says so). */
const char *oauth_seal(struct request *r, const char *token);
/* oauth_open: a stored token in clear (plain ones are returned as they are). */
const char *oauth_open(struct request *r, const char *stored);

/* ---- the flows */

/* what sign-in/social and link-social hand to the redirect flow */
struct oauth_start {
	const char	*callback_url;		/* NULL: the branch origin */
	const char	*new_user_url;
	const char	*error_url;
	int		 request_sign_up;
	json_object	*scopes;		/* array of strings, or NULL */
	const char	*login_hint;
	json_object	*additional_params;	/* object of strings, or NULL */
	json_object	*additional_data;	/* object, or NULL */
	const struct auth *link;		/* link-social: the caller */
	const char	*challenge;		/* verifier flow: its hash */
};

/*
 * oauth_uses_verifier: whether this sign-in hands the session over with
 * Neon's verifier (settings.oauth.flow; "auto": the callbackURL is on
 * another site than the Auth URL).
 */
int	 oauth_uses_verifier(struct request *r, const char *callback_url);

/*
 * oauth_redirect_url: state (verification row + signed state cookie),
 * PKCE and nonce, and the provider's authorization URL in *url.
 * ERR_NONE or the error to answer.
 */
enum err oauth_redirect_url(struct request *r, const struct oauth_prov *p,
	    const struct oauth_start *s, char **url);

/*
 * oauth_init_create: Neon's two-step start (neon.md §8): the start data
 * in a verification row, the challenge cookie, and in *url
 * <Auth URL>/sign-in/social/init?token=<row id>.
 * oauth_init_follow: GET sign-in/social/init: the row of token, then the
 * provider's authorization URL in *url.  ERR_NONE or the error.
 */
enum err oauth_init_create(struct request *r, const char *provider_id,
	    struct oauth_start *s, char **url);
enum err oauth_init_follow(struct request *r, const char *token, char **url);

/* the callback's input (protocol.md §1.4) */
struct oauth_cb {
	const char	*code, *error, *error_description, *state, *iss;
};

/*
 * oauth_callback: the whole of protocol.md §8.3 for provider id; always
 * sets a 302 reply (success or ?error=).
 */
void	 oauth_callback(struct request *r, const char *id,
	    const struct oauth_cb *cb);

/*
 * oauth_sign_in_user: user resolution (§8.4) and a new session for the
 * provider's user u with tokens t: a->s and a->u filled, *is_new set.
 * Returns NULL, or the resolution error as Better Auth words it
 * ("account not linked", "signup disabled", "unable to create user",
 * "unable to link account", "unable to create session",
 * "email_not_verified"), or OAUTH_BANNED_USER (admin_ban_check refused
 * the user: BANNED_USER); *dberr set when a statement failed.
 */
#define OAUTH_BANNED_USER	"BANNED_USER"
/*
 * OAUTH_SIGN_UP_REFUSED: signup_check (auth/signup.h) refused the new
 * user; *refused is its error (SIGN_UP_EMAIL_DOMAIN_NOT_ALLOWED, ...).
 */
#define OAUTH_SIGN_UP_REFUSED	"SIGN_UP_REFUSED"
const char *oauth_sign_in_user(struct request *r, const struct oauth_prov *p,
	    const struct oauth_user *u, const struct oauth_tokens *t,
	    int disable_sign_up, struct auth *a, int *is_new, int *dberr,
	    enum err *refused);

/*
 * oauth_exchange_code / oauth_refresh: the token endpoint with the
 * authorization_code or refresh_token grant.  0 with *t, -1 (logged
 * without secrets).
 */
int	 oauth_exchange_code(struct request *r, const struct oauth_prov *p,
	    const char *code, const char *verifier, struct oauth_tokens *t);
int	 oauth_refresh(struct request *r, const struct oauth_prov *p,
	    const char *refresh_token, struct oauth_tokens *t);

/*
 * oauth_verifier_exchange: GET get-session?neon_auth_session_verifier=v
 * (neon.md §8): with the challenge cookie, the verifier (single use)
 * becomes the session cookie and *a.  ERR_NONE with *a filled, or the
 * error; *replied is set when the reply was written here (the challenge
 * cookie missing: Neon's own envelope).
 */
enum err oauth_verifier_exchange(struct request *r, const char *verifier,
	    struct auth *a, int *replied);

/* oauth_cache_clear: drop the per-worker discovery and JWKS caches. */
void	 oauth_cache_clear(void);

#endif
