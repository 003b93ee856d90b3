/*
 * provider_github.c -- GitHub (protocol.md §8.6): OAuth 2.0 with the user
 * from GET /user and the address from GET /user/emails (a private
 * primary email, the "verified" flag).  No id tokens.  The emails
 * endpoint is the user endpoint + "/emails", so one override moves both.
 */
#include <string.h>

#include "auth/oauth.h"
#include "auth/provider.h"

static int
github_user(struct request *r, const struct oauth_prov *p,
    const struct oauth_tokens *t, struct oauth_user *u)
{
	json_object	*prof, *emails = NULL, *e, *id;
	const char	*chosen = NULL, *s;
	size_t		 i, n;

	memset(u, 0, sizeof(*u));
	if (t->access_token == NULL || p->userinfo_url == NULL ||
	    oauth_get_json(r, p->userinfo_url, t->access_token, &prof) == -1 ||
	    !json_object_is_type(prof, json_type_object))
		return (-1);
	if (oauth_get_json(r, arena_printf(r->a, "%s/emails",
	    p->userinfo_url), t->access_token, &emails) == -1 ||
	    !json_object_is_type(emails, json_type_array))
		emails = NULL;
	n = emails ? json_object_array_length(emails) : 0;
	chosen = oauth_jstr(prof, "email");
	if (chosen == NULL && n > 0) {
		/* the primary address, else the first */
		for (i = 0; i < n && chosen == NULL; i++)
			if (oauth_jbool(json_object_array_get_idx(emails, i),
			    "primary"))
				chosen = oauth_jstr(json_object_array_get_idx(
				    emails, i), "email");
		if (chosen == NULL)
			chosen = oauth_jstr(json_object_array_get_idx(emails,
			    0), "email");
	}
	for (i = 0; chosen != NULL && i < n; i++) {
		e = json_object_array_get_idx(emails, i);
		if ((s = oauth_jstr(e, "email")) != NULL &&
		    strcmp(s, chosen) == 0) {
			u->email_verified = oauth_jbool(e, "verified");
			break;
		}
	}
	if (!json_object_object_get_ex(prof, "id", &id) || id == NULL ||
	    (!json_object_is_type(id, json_type_int) &&
	    !json_object_is_type(id, json_type_string)))
		return (-1);
	u->id = arena_strdup(r->a, json_object_get_string(id));
	u->email = chosen;
	if (chosen != NULL && oauth_jstr(prof, "email") == NULL)
		json_object_object_add(prof, "email",
		    json_object_new_string(chosen));
	u->name = oauth_jstr(prof, "name");
	if (u->name == NULL || *u->name == '\0')
		u->name = oauth_jstr(prof, "login");
	if (u->name == NULL)
		u->name = "";
	u->image = oauth_jstr(prof, "avatar_url");
	u->profile = prof;
	return (0);
}

const struct provider provider_github = {
	.kind = "github",
	.authorize_url = "https://github.com/login/oauth/authorize",
	.token_url = "https://github.com/login/oauth/access_token",
	.userinfo_url = "https://api.github.com/user",
	.scopes = "read:user user:email",
	.flags = PROV_REFRESH,
	.user_info = github_user,
};
