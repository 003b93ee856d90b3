/*
 * provider_oidc.c -- any OpenID Connect provider by its issuer
 * ({"id", "type": "standard", "client_id", "client_secret", "issuer"}):
 * endpoints from the discovery document (cached per worker), PKCE S256,
 * a nonce bound to each request and checked in the id token, whose
 * signature is verified against the provider's JWKS on the callback; the
 * user from the id token, else from the userinfo endpoint.
 */
#include <string.h>

#include "auth/oauth.h"
#include "auth/provider.h"

static int
oidc_user(struct request *r, const struct oauth_prov *p,
    const struct oauth_tokens *t, struct oauth_user *u)
{
	json_object	*c = NULL, *info;
	const char	*sub = NULL, *isub;

	memset(u, 0, sizeof(*u));
	if (t->id_token != NULL && (c = oauth_jwt_claims(r, t->id_token)) !=
	    NULL) {
		sub = oauth_jstr(c, "sub");
		if (sub != NULL && oauth_jstr(c, "email") != NULL)
			return (oauth_user_from_claims(r, c, u));
	}
	if (p->userinfo_url == NULL || t->access_token == NULL ||
	    oauth_get_json(r, p->userinfo_url, t->access_token, &info) == -1 ||
	    oauth_user_from_claims(r, info, u) == -1)
		return (-1);
	/* the userinfo answer must be about the id token's subject */
	isub = oauth_jstr(info, "sub");
	if (sub != NULL && (isub == NULL || strcmp(isub, sub) != 0))
		return (-1);
	return (0);
}

const struct provider provider_oidc = {
	.kind = "oidc",
	.scopes = "openid email profile",
	.flags = PROV_OIDC | PROV_ID_TOKEN | PROV_REFRESH | PROV_NONCE |
	    PROV_DISCOVERY,
	.user_info = oidc_user,
};
