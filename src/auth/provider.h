/*
 * provider.h -- what one kind of social provider knows about itself:
 * its default endpoints and scopes, whether it speaks OpenID Connect,
 * refreshes tokens or verifies client id tokens, and how it turns tokens
 * into a user (protocol.md §8.6).  Each provider_<id>.c exports one
 * const struct provider; auth/oauth.c picks it by the branch's provider
 * id and fills in credentials and overrides (DESIGN.md "Branch
 * settings").
 */
#ifndef NEON_AUTHD_PROVIDER_H
#define NEON_AUTHD_PROVIDER_H

#include <stdint.h>

#include <json-c/json.h>

#include "http/request.h"

struct oauth_prov;

/* what a token endpoint answered (protocol.md §8.6) */
struct oauth_tokens {
	const char	*access_token;
	const char	*refresh_token;
	const char	*id_token;
	int64_t		 access_expires_ms;	/* 0 when not given */
	int64_t		 refresh_expires_ms;
	const char	*scope;		/* granted scopes joined with ",", or NULL */
};

/* the provider's user (protocol.md §8.4 input) */
struct oauth_user {
	const char	*id;		/* the account subject */
	const char	*email;		/* NULL when none */
	const char	*name;		/* "" when none */
	const char	*image;		/* NULL when none */
	int		 email_verified;
	json_object	*profile;	/* the raw profile (account-info "data"),
					   owned by the request arena */
};

#define PROV_OIDC	0x01	/* id tokens: issuer, JWKS, iss check */
#define PROV_ID_TOKEN	0x02	/* idToken sign-in (protocol.md §1.3) */
#define PROV_REFRESH	0x04	/* refresh_token grant */
#define PROV_NONCE	0x08	/* nonce in the request, checked in the id token */
#define PROV_DISCOVERY	0x10	/* endpoints from <issuer>/.well-known/openid-configuration */
#define PROV_REFRESH_SCOPE 0x20	/* the refresh request repeats the scopes */

struct provider {
	const char	*kind;		/* "google", ..., "oidc" */
	const char	*authorize_url;	/* defaults; NULL: discovery or config */
	const char	*token_url;
	const char	*userinfo_url;
	const char	*jwks_uri;
	const char	*issuer;	/* NULL: config, discovery or none */
	const char	*alt_issuer;	/* a second accepted iss (google) */
	const char	*scopes;	/* default scopes, space-separated */
	unsigned	 flags;
	int64_t		 max_token_age;	/* id tokens: seconds since iat, 0: any */
	/*
	 * extra authorization parameters after the standard ones, as
	 * "k=v" pairs already encoded (google: include_granted_scopes=true);
	 * NULL for none
	 */
	const char	*auth_extra;
	/* the user behind tokens: 0, or -1 (no user: unable_to_get_user_info) */
	int		(*user_info)(struct request *r, const struct oauth_prov *p,
			    const struct oauth_tokens *t, struct oauth_user *u);
	/* further id-token claim checks (microsoft tenants); NULL: none */
	int		(*claims_ok)(const struct oauth_prov *p, json_object *claims);
};

extern const struct provider provider_google;
extern const struct provider provider_github;
extern const struct provider provider_microsoft;
extern const struct provider provider_vercel;
extern const struct provider provider_oidc;

#endif
