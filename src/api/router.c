/*
 * router.c -- the route table (see router.h).
 */
#include <string.h>

#include "api/api.h"
#include "api/router.h"

static const struct route routes[] = {
	{ "GET",  "/ok",		api_ok,		"ok",		0 },
	{ "GET",  "/error",		api_error_page,	"error",	0 },
	{ "GET",  "/debug/sleep",	api_debug_sleep, "debug/sleep",	0 },
	{ "POST", "/sign-up/email",	api_sign_up_email, "sign-up/email", ROUTE_DB | ROUTE_FORM_OK },
	{ "POST", "/sign-in/email",	api_sign_in_email, "sign-in/email", ROUTE_DB | ROUTE_FORM_OK },
	{ "POST", "/sign-out",		api_sign_out,	"sign-out",	ROUTE_DB },
	{ "GET",  "/get-session",	api_get_session, "get-session",	ROUTE_DB },
	{ "POST", "/get-session",	api_get_session, "get-session",	ROUTE_DB },
	{ "GET",  "/list-sessions",	api_list_sessions, "list-sessions", ROUTE_DB },
	{ "POST", "/revoke-session",	api_revoke_session, "revoke-session", ROUTE_DB },
	{ "POST", "/revoke-sessions",	api_revoke_sessions, "revoke-sessions", ROUTE_DB },
	{ "POST", "/revoke-other-sessions", api_revoke_other_sessions, "revoke-other-sessions", ROUTE_DB },
	{ "POST", "/update-user",	api_update_user, "update-user",	ROUTE_DB },
	{ "POST", "/update-session",	api_update_session, "update-session", ROUTE_DB },
	{ "POST", "/change-email",	api_change_email, "change-email", ROUTE_DB },
	{ "POST", "/change-password",	api_change_password, "change-password", ROUTE_DB },
	{ "POST", "/verify-password",	api_verify_password, "verify-password", ROUTE_DB },
	{ "POST", "/delete-user",	api_delete_user, "delete-user",	ROUTE_DB },
	{ "GET",  "/delete-user/callback", api_delete_user_callback, "delete-user/callback", ROUTE_DB },
	{ "GET",  "/token",		api_token,	"token",	ROUTE_DB },
	{ "GET",  "/token/anonymous",	api_token_anonymous, "token/anonymous", ROUTE_DB },
	{ "GET",  "/jwks",		api_jwks,	"jwks",		ROUTE_DB },
	{ "GET",  "/.well-known/jwks.json", api_jwks,	"jwks",		ROUTE_DB },
	{ NULL, NULL, NULL, NULL, 0 }
};

const struct route *
router_match(const char *method, struct str path, int *path_known)
{
	const struct route	*rt;
	size_t			 n;

	*path_known = 0;
	for (rt = routes; rt->path != NULL; rt++) {
		n = strlen(rt->path);
		if (rt->flags & ROUTE_PREFIX) {
			if (path.len <= n || memcmp(path.p, rt->path, n) != 0 ||
			    memchr(path.p + n, '/', path.len - n) != NULL)
				continue;
		} else if (path.len != n || memcmp(path.p, rt->path, n) != 0)
			continue;
		*path_known = 1;
		if (strcmp(method, rt->method) == 0)
			return (rt);
	}
	return (NULL);
}
