/*
 * provider_vercel.c -- Sign in with Vercel: OAuth 2.0 with PKCE, the
 * user from the userinfo endpoint, no default scopes, no refresh.
 */
#include <string.h>

#include "auth/oauth.h"
#include "auth/provider.h"

static int
vercel_user(struct request *r, const struct oauth_prov *p,
    const struct oauth_tokens *t, struct oauth_user *u)
{
	json_object	*prof;

	memset(u, 0, sizeof(*u));
	if (t->access_token == NULL ||
	    oauth_get_json(r, p->userinfo_url, t->access_token, &prof) == -1 ||
	    oauth_user_from_claims(r, prof, u) == -1)
		return (-1);
	if (*u->name == '\0' && oauth_jstr(prof, "preferred_username"))
		u->name = oauth_jstr(prof, "preferred_username");
	return (0);
}

const struct provider provider_vercel = {
	.kind = "vercel",
	.authorize_url = "https://vercel.com/oauth/authorize",
	.token_url = "https://api.vercel.com/login/oauth/token",
	.userinfo_url = "https://api.vercel.com/login/oauth/userinfo",
	.scopes = "",
	.flags = 0,
	.user_info = vercel_user,
};
