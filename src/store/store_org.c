/*
 * store_org.c -- organizations, members and invitations (see store_org.h).
 */
#include <ctype.h>
#include <string.h>

#include "store/db.h"
#include "store/store_org.h"

/* 1 when s has the 8-4-4-4-12 hex shape PostgreSQL's uuid input takes */
static int
is_uuid(const char *s)
{
	int	 i;

	if (s == NULL || strlen(s) != 36)
		return (0);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (0);
		} else if (!isxdigit((unsigned char)s[i]))
			return (0);
	}
	return (1);
}

int
store_org_claim(struct db_conn *c, struct arena *a, const char *org_id,
    const char *user_id, struct org_claim *out)
{
	static const char sql[] =
	    "SELECT o.id::text, o.slug, m.role "
	    "FROM neon_auth.organization o "
	    "JOIN neon_auth.member m ON m.\"organizationId\" = o.id "
	    "WHERE o.id = $1::uuid AND m.\"userId\" = $2::uuid LIMIT 1";
	struct db_result	*res;
	const char		*p[2];

	if (!is_uuid(org_id) || !is_uuid(user_id))
		return (0);
	p[0] = org_id;
	p[1] = user_id;
	if ((res = db_exec(c, a, "jwt_org", sql, 2, p)) == NULL)
		return (-1);
	if (db_ntuples(res) != 1)
		return (0);
	out->id = db_getvalue(res, 0, 0);
	out->slug = db_getvalue(res, 0, 1);
	out->role = db_getvalue(res, 0, 2);
	return (1);
}
