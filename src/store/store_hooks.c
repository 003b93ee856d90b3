/*
 * store_hooks.c -- calls of the branch's own SQL functions named in its
 * settings (sign-up rule, custom JWT claims).
 */
#include <string.h>

#include "store/db.h"
#include "store/store_hooks.h"

static int
ident_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > 63 || !((s[0] >= 'a' && s[0] <= 'z') ||
	    s[0] == '_'))
		return (0);
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '_' || s[i] == '$'))
			return (0);
	return (1);
}

int
store_hooks_name_ok(const char *name)
{
	const char	*dot;

	if (name == NULL || (dot = strchr(name, '.')) == NULL)
		return (0);
	return (ident_ok(name, (size_t)(dot - name)) &&
	    ident_ok(dot + 1, strlen(dot + 1)));
}

/* "schema"."name" of a checked name, or NULL */
static const char *
quoted(struct db_conn *c, struct arena *a, const char *fn)
{
	const char	*dot;
	char		*s, *n;

	if (!store_hooks_name_ok(fn))
		return (NULL);
	dot = strchr(fn, '.');
	if ((s = db_quote_ident(c, a, arena_strndup(a, fn,
	    (size_t)(dot - fn)))) == NULL ||
	    (n = db_quote_ident(c, a, dot + 1)) == NULL)
		return (NULL);
	return (arena_printf(a, "%s.%s", s, n));
}

int
store_hooks_sign_up(struct db_conn *c, struct arena *a, const char *fn,
    const char *email, const char *provider)
{
	const char		*q, *p[2] = { email, provider };
	struct db_result	*res;

	if ((q = quoted(c, a, fn)) == NULL)
		return (-1);
	/* unnamed statement: the name differs between branches */
	if ((res = db_exec(c, a, NULL, arena_printf(a,
	    "SELECT (%s($1::text, $2::text))::boolean IS TRUE", q), 2,
	    p)) == NULL)
		return (-1);
	if (db_ntuples(res) != 1)
		return (-1);
	return (strcmp(db_getvalue(res, 0, 0), "t") == 0);
}

int
store_hooks_jwt_claims(struct db_conn *c, struct arena *a, const char *fn,
    const char *user_id, const char *claims, const char **out)
{
	const char		*q, *p[2] = { user_id, claims };
	struct db_result	*res;

	*out = NULL;
	if ((q = quoted(c, a, fn)) == NULL)
		return (-1);
	/* $1 untyped: the function's own type (uuid or text) */
	if ((res = db_exec(c, a, NULL, arena_printf(a,
	    "SELECT (%s($1, $2::jsonb))::jsonb::text", q), 2, p)) == NULL)
		return (-1);
	if (db_ntuples(res) != 1)
		return (-1);
	if (!db_isnull(res, 0, 0))
		*out = db_getvalue(res, 0, 0);
	return (0);
}
