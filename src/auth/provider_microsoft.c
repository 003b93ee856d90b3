/*
 * provider_microsoft.c -- Microsoft Entra ID v2.0: OpenID Connect by
 * tenant (microsoft_tenant_id, default "common"; the endpoints are built
 * in auth/oauth.c), the user from the id token with "oid" as the account
 * subject, id-token sign-in, refresh with the scopes repeated.  The
 * profile photo from Microsoft Graph is not fetched: image stays null.
 */
#include <string.h>

#include "auth/oauth.h"
#include "auth/provider.h"
#include "http/branchcfg.h"

#define MS_AUTHORITY	"https://login.microsoftonline.com"
#define MS_CONSUMERS	"9188040d-6c67-4c5b-b112-36a304b66dad"

/* a JSON array of strings holding s */
static int
array_has(json_object *o, const char *k, const char *s)
{
	json_object	*v, *e;
	size_t		 i;

	if (s == NULL || !json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_array))
		return (0);
	for (i = 0; i < json_object_array_length(v); i++) {
		e = json_object_array_get_idx(v, i);
		if (json_object_is_type(e, json_type_string) &&
		    strcmp(json_object_get_string(e), s) == 0)
			return (1);
	}
	return (0);
}

static int
ms_user(struct request *r, const struct oauth_prov *p,
    const struct oauth_tokens *t, struct oauth_user *u)
{
	json_object	*c = oauth_jwt_claims(r, t->id_token);
	const char	*oid;

	(void)p;
	if (oauth_user_from_claims(r, c, u) == -1 ||
	    (oid = oauth_jstr(c, "oid")) == NULL || *oid == '\0')
		return (-1);
	u->id = oid;
	if (json_object_object_get_ex(c, "email_verified", NULL))
		u->email_verified = oauth_jbool(c, "email_verified");
	else
		u->email_verified = u->email != NULL &&
		    (array_has(c, "verified_primary_email", u->email) ||
		    array_has(c, "verified_secondary_email", u->email));
	return (0);
}

/*
 * The multi-tenant endpoints do not fix the issuer: it must name the
 * token's own tenant, and the account class must fit the configured one.
 */
static int
ms_claims_ok(const struct oauth_prov *p, json_object *c)
{
	const char	*tid = oauth_jstr(c, "tid"), *iss = oauth_jstr(c, "iss");
	const char	*tenant = p->cfg->tenant ? p->cfg->tenant : "common";
	size_t		 n = strlen(MS_AUTHORITY);

	if (p->cfg->issuer != NULL)
		return (1);	/* the configured issuer was checked */
	if (tid == NULL || iss == NULL || strncmp(iss, MS_AUTHORITY, n) != 0 ||
	    iss[n] != '/' || strncmp(iss + n + 1, tid, strlen(tid)) != 0 ||
	    strcmp(iss + n + 1 + strlen(tid), "/v2.0") != 0)
		return (0);
	if (strcmp(tenant, "organizations") == 0 &&
	    strcmp(tid, MS_CONSUMERS) == 0)
		return (0);
	if (strcmp(tenant, "consumers") == 0 && strcmp(tid, MS_CONSUMERS) != 0)
		return (0);
	return (1);
}

const struct provider provider_microsoft = {
	.kind = "microsoft",
	.scopes = "openid profile email User.Read offline_access",
	.flags = PROV_OIDC | PROV_ID_TOKEN | PROV_REFRESH | PROV_REFRESH_SCOPE,
	.max_token_age = 3600,
	.user_info = ms_user,
	.claims_ok = ms_claims_ok,
};
