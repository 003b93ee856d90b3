/*
 * provider_google.c -- Google (protocol.md §8.6): OpenID Connect with
 * the user read from the id token of the code flow, id-token sign-in
 * against Google's JWKS, refresh tokens.  Scopes "openid email profile"
 * (spec/README.md decision 19).
 */
#include "auth/oauth.h"
#include "auth/provider.h"

/* the code flow: the id token's payload, without a signature check */
static int
google_user(struct request *r, const struct oauth_prov *p,
    const struct oauth_tokens *t, struct oauth_user *u)
{
	(void)p;
	return (oauth_user_from_claims(r, oauth_jwt_claims(r, t->id_token),
	    u));
}

const struct provider provider_google = {
	.kind = "google",
	.authorize_url = "https://accounts.google.com/o/oauth2/v2/auth",
	.token_url = "https://oauth2.googleapis.com/token",
	.jwks_uri = "https://www.googleapis.com/oauth2/v3/certs",
	.issuer = "https://accounts.google.com",
	.alt_issuer = "accounts.google.com",
	.scopes = "openid email profile",
	.flags = PROV_OIDC | PROV_ID_TOKEN | PROV_REFRESH,
	.max_token_age = 3600,
	.auth_extra = "include_granted_scopes=true",
	.user_info = google_user,
};
