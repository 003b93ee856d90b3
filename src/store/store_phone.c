/*
 * store_phone.c -- the phone-number columns of neon_auth."user" (see
 * store_phone.h).
 */
#include <string.h>

#include "store/db.h"
#include "store/store_phone.h"

int
store_phone_user(struct db_conn *c, struct arena *a, const char *phone,
    const char **user_id)
{
	static const char sql[] = "SELECT id::text FROM neon_auth.\"user\""
	    " WHERE \"phoneNumber\" = $1";
	struct db_result	*res;
	const char		*p[1] = { phone };

	if ((res = db_exec(c, a, "phone_user", sql, 1, p)) == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	*user_id = db_getstr(res, 0, 0).p;
	return (1);
}

int
store_phone_of(struct db_conn *c, struct arena *a, const char *user_id,
    const char **phone, int *verified)
{
	static const char sql[] = "SELECT \"phoneNumber\","
	    " \"phoneNumberVerified\" FROM neon_auth.\"user\""
	    " WHERE id = $1::uuid";
	struct db_result	*res;
	const char		*p[1] = { user_id };

	if ((res = db_exec(c, a, "phone_of", sql, 1, p)) == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	*phone = db_isnull(res, 0, 0) ? NULL : db_getstr(res, 0, 0).p;
	*verified = db_isnull(res, 0, 1) ? -1 :
	    strcmp(db_getstr(res, 0, 1).p, "t") == 0;
	return (1);
}

int
store_phone_set(struct db_conn *c, struct arena *a, const char *user_id,
    const char *phone)
{
	static const char sql[] = "UPDATE neon_auth.\"user\" SET"
	    " \"phoneNumber\" = $2, \"phoneNumberVerified\" = true,"
	    " \"updatedAt\" = now() WHERE id = $1::uuid AND NOT EXISTS"
	    " (SELECT 1 FROM neon_auth.\"user\" o WHERE o.\"phoneNumber\" = $2"
	    " AND o.id <> $1::uuid)";
	struct db_result	*res;
	const char		*p[2] = { user_id, phone };

	if ((res = db_exec(c, a, "phone_set", sql, 2, p)) == NULL)
		return (db_sqlstate(c) != NULL &&
		    strcmp(db_sqlstate(c), "23505") == 0 ? 0 : -1);
	return (db_cmd_tuples(res) > 0 ? 1 : 0);
}

int
store_phone_verified(struct db_conn *c, struct arena *a,
    const char *user_id)
{
	static const char sql[] = "UPDATE neon_auth.\"user\" SET"
	    " \"phoneNumberVerified\" = true WHERE id = $1::uuid";
	struct db_result	*res;
	const char		*p[1] = { user_id };

	if ((res = db_exec(c, a, "phone_verified", sql, 1, p)) == NULL)
		return (-1);
	return (db_cmd_tuples(res) > 0 ? 1 : 0);
}
