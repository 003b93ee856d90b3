/*
 * store_account.c -- accounts, social sign-up and the OAuth verification
 * rows (see store_account.h).
 *
 * Dates travel as epoch milliseconds, as in store.c.  A social sign-up is
 * one statement (user and account through a data-modifying CTE), so a
 * half-created user cannot exist.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/json.h"
#include "store/db.h"
#include "store/store.h"
#include "store/store_account.h"

#define MS(x) "floor(extract(epoch from " x ") * 1000)::bigint"

#define A_COLS(t) \
	t ".id, " t ".\"accountId\", " t ".\"providerId\", " t ".\"userId\", " \
	t ".\"accessToken\", " t ".\"refreshToken\", " t ".\"idToken\", " \
	MS(t ".\"accessTokenExpiresAt\"") ", " \
	MS(t ".\"refreshTokenExpiresAt\"") ", " t ".scope, " \
	MS(t ".\"createdAt\"") ", " MS(t ".\"updatedAt\"")
#define A_NCOLS 12

static const char *
nullable(const struct db_result *res, int row, int col)
{
	return (db_isnull(res, row, col) ? NULL : db_getvalue(res, row, col));
}

static const char *
iso_col(struct arena *a, const struct db_result *res, int row, int col,
    int64_t *ms)
{
	int64_t	 v;

	*ms = 0;
	if (db_isnull(res, row, col))
		return (NULL);
	v = strtoll(db_getvalue(res, row, col), NULL, 10);
	*ms = v;
	return (clock_iso(a, v));
}

static void
fill_account(struct arena *a, const struct db_result *res, int row, int c,
    struct account_rec *acc)
{
	int64_t	 ms;

	acc->id = db_getvalue(res, row, c);
	acc->account_id = db_getvalue(res, row, c + 1);
	acc->provider_id = db_getvalue(res, row, c + 2);
	acc->user_id = db_getvalue(res, row, c + 3);
	acc->access_token = nullable(res, row, c + 4);
	acc->refresh_token = nullable(res, row, c + 5);
	acc->id_token = nullable(res, row, c + 6);
	acc->access_expires_at = iso_col(a, res, row, c + 7,
	    &acc->access_expires_ms);
	acc->refresh_expires_at = iso_col(a, res, row, c + 8,
	    &acc->refresh_expires_ms);
	acc->scope = nullable(res, row, c + 9);
	acc->created_at = iso_col(a, res, row, c + 10, &ms);
	acc->updated_at = iso_col(a, res, row, c + 11, &ms);
}

/* the ISO text of a token date, NULL for none */
static const char *
opt_iso(struct arena *a, int64_t ms)
{
	return (ms > 0 ? clock_iso(a, ms) : NULL);
}

void
account_public_write(struct jbuf *b, const struct account_rec *acc)
{
	const char	*p, *e, *q;
	int		 first = 1;

	jb_lit(b, "{\"id\":");
	jb_str(b, acc->id);
	jb_lit(b, ",\"providerId\":");
	jb_str(b, acc->provider_id);
	jb_lit(b, ",\"accountId\":");
	jb_str(b, acc->account_id);
	jb_lit(b, ",\"userId\":");
	jb_str(b, acc->user_id);
	jb_lit(b, ",\"createdAt\":");
	jb_str(b, acc->created_at);
	jb_lit(b, ",\"updatedAt\":");
	jb_str(b, acc->updated_at);
	jb_lit(b, ",\"scopes\":[");
	/* scope split on ",", each part trimmed, empty parts dropped */
	for (p = acc->scope; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		q = e;
		while (p < q && (*p == ' ' || *p == '\t' || *p == '\n' ||
		    *p == '\r'))
			p++;
		while (q > p && (q[-1] == ' ' || q[-1] == '\t' ||
		    q[-1] == '\n' || q[-1] == '\r'))
			q--;
		if (q == p)
			continue;
		if (!first)
			jb_lit(b, ",");
		first = 0;
		jb_str(b, arena_strndup(b->a, p, (size_t)(q - p)));
	}
	jb_lit(b, "]}");
}

int
store_account_list(struct db_conn *c, struct arena *a, const char *user_id,
    struct account_rec **out, int *n)
{
	static const char sql[] = "SELECT " A_COLS("x")
	    " FROM neon_auth.account x WHERE x.\"userId\" = $1::uuid"
	    " ORDER BY x.\"createdAt\", x.id";
	const char		*p[1] = { user_id };
	struct db_result	*res;
	int			 i;

	*out = NULL;
	*n = 0;
	if ((res = db_exec(c, a, "account_list", sql, 1, p)) == NULL)
		return (-1);
	*n = db_ntuples(res);
	*out = arena_alloc(a, sizeof(**out) * (size_t)(*n + 1));
	for (i = 0; i < *n; i++)
		fill_account(a, res, i, 0, &(*out)[i]);
	return (1);
}

int
store_account_find(struct db_conn *c, struct arena *a, const char *provider_id,
    const char *account_id, struct account_rec *acc, struct user_rec *u,
    int *orphan)
{
	const char		*p[2] = { provider_id, account_id };
	struct db_result	*res;
	char			*sql;

	sql = arena_printf(a, "SELECT " A_COLS("x") ", %s"
	    " FROM neon_auth.account x LEFT JOIN neon_auth.\"user\" u"
	    " ON u.id = x.\"userId\" WHERE x.\"providerId\" = $1"
	    " AND x.\"accountId\" = $2 ORDER BY x.\"createdAt\" LIMIT 1",
	    store_user_cols());
	memset(acc, 0, sizeof(*acc));
	memset(u, 0, sizeof(*u));
	*orphan = 0;
	if ((res = db_exec(c, a, "account_find", sql, 2, p)) == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	fill_account(a, res, 0, 0, acc);
	if (db_isnull(res, 0, A_NCOLS))
		*orphan = 1;
	else
		store_user_fill(a, res, 0, A_NCOLS, u);
	return (1);
}

int
store_account_of_user(struct db_conn *c, struct arena *a, const char *user_id,
    const char *id, struct account_rec *acc)
{
	static const char sql[] = "SELECT " A_COLS("x")
	    " FROM neon_auth.account x WHERE x.\"userId\" = $1::uuid"
	    " AND x.id::text = $2";
	const char		*p[2] = { user_id, id };
	struct db_result	*res;

	memset(acc, 0, sizeof(*acc));
	if ((res = db_exec(c, a, "account_of_user", sql, 2, p)) == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	fill_account(a, res, 0, 0, acc);
	return (1);
}

int
store_account_insert(struct db_conn *c, struct arena *a, const char *user_id,
    const char *provider_id, const char *account_id,
    const struct account_tokens *t, struct account_rec *out)
{
	static const char sql[] = "INSERT INTO neon_auth.account AS x"
	    " (\"accountId\", \"providerId\", \"userId\", \"accessToken\","
	    " \"refreshToken\", \"idToken\", \"accessTokenExpiresAt\","
	    " \"refreshTokenExpiresAt\", scope, \"createdAt\", \"updatedAt\")"
	    " VALUES ($1, $2, $3::uuid, $4, $5, $6, $7::timestamptz,"
	    " $8::timestamptz, $9, $10::timestamptz, $10::timestamptz)"
	    " RETURNING " A_COLS("x");
	const char		*p[10];
	struct db_result	*res;

	p[0] = account_id;
	p[1] = provider_id;
	p[2] = user_id;
	p[3] = t->access_token;
	p[4] = t->refresh_token;
	p[5] = t->id_token;
	p[6] = opt_iso(a, t->access_expires_ms);
	p[7] = opt_iso(a, t->refresh_expires_ms);
	p[8] = t->scope;
	p[9] = clock_iso(a, clock_now_ms());
	if ((res = db_exec(c, a, "account_insert", sql, 10, p)) == NULL)
		return (-1);
	if (db_ntuples(res) != 1)
		return (-1);
	if (out != NULL)
		fill_account(a, res, 0, 0, out);
	return (1);
}

int
store_account_update(struct db_conn *c, struct arena *a, const char *id,
    const struct account_tokens *t, struct account_rec *out)
{
	static const char sql[] = "UPDATE neon_auth.account AS x SET"
	    " \"accessToken\" = COALESCE($2, \"accessToken\"),"
	    " \"refreshToken\" = COALESCE($3, \"refreshToken\"),"
	    " \"idToken\" = COALESCE($4, \"idToken\"),"
	    " \"accessTokenExpiresAt\" = COALESCE($5::timestamptz,"
	    " \"accessTokenExpiresAt\"),"
	    " \"refreshTokenExpiresAt\" = COALESCE($6::timestamptz,"
	    " \"refreshTokenExpiresAt\"),"
	    " scope = COALESCE($7, scope), \"updatedAt\" = $8::timestamptz"
	    " WHERE x.id::text = $1 RETURNING " A_COLS("x");
	const char		*p[8];
	struct db_result	*res;

	p[0] = id;
	p[1] = t->access_token;
	p[2] = t->refresh_token;
	p[3] = t->id_token;
	p[4] = opt_iso(a, t->access_expires_ms);
	p[5] = opt_iso(a, t->refresh_expires_ms);
	p[6] = t->scope;
	p[7] = clock_iso(a, clock_now_ms());
	if ((res = db_exec(c, a, "account_update", sql, 8, p)) == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	if (out != NULL)
		fill_account(a, res, 0, 0, out);
	return (1);
}

int
store_account_delete(struct db_conn *c, struct arena *a, const char *user_id,
    const char *id)
{
	static const char sql[] = "DELETE FROM neon_auth.account"
	    " WHERE \"userId\" = $1::uuid AND id::text = $2";
	const char		*p[2] = { user_id, id };
	struct db_result	*res;

	if ((res = db_exec(c, a, "account_delete", sql, 2, p)) == NULL)
		return (-1);
	return (db_cmd_tuples(res) > 0);
}

int
store_social_sign_up(struct db_conn *c, struct arena *a, const char *name,
    const char *email, int email_verified, const char *image,
    const char *provider_id, const char *account_id,
    const struct account_tokens *t, const char *role, struct user_rec *u,
    struct account_rec *acc)
{
	const char		*q[14];
	struct db_result	*res;
	char			*sql;

	sql = arena_printf(a,
	    "WITH u AS (INSERT INTO neon_auth.\"user\" (name, email,"
	    " \"emailVerified\", image, \"createdAt\", \"updatedAt\", role,"
	    " banned) VALUES ($1, $2, $3::boolean, $4, $5::timestamptz,"
	    " $5::timestamptz, $14, false) ON CONFLICT (email) DO NOTHING"
	    " RETURNING *),"
	    " x AS (INSERT INTO neon_auth.account (\"accountId\","
	    " \"providerId\", \"userId\", \"accessToken\", \"refreshToken\","
	    " \"idToken\", \"accessTokenExpiresAt\", \"refreshTokenExpiresAt\","
	    " scope, \"createdAt\", \"updatedAt\") SELECT $6, $7, id, $8, $9,"
	    " $10, $11::timestamptz, $12::timestamptz, $13, $5::timestamptz,"
	    " $5::timestamptz FROM u RETURNING *)"
	    " SELECT %s, " A_COLS("x") " FROM u, x", store_user_cols());
	q[0] = name;
	q[1] = email;
	q[2] = email_verified ? "true" : "false";
	q[3] = image;
	q[4] = clock_iso(a, clock_now_ms());
	q[5] = account_id;
	q[6] = provider_id;
	q[7] = t->access_token;
	q[8] = t->refresh_token;
	q[9] = t->id_token;
	q[10] = opt_iso(a, t->access_expires_ms);
	q[11] = opt_iso(a, t->refresh_expires_ms);
	q[12] = t->scope;
	q[13] = role;
	res = db_exec(c, a, "social_sign_up", sql, 14, q);
	if (res == NULL)
		return (strcmp(db_sqlstate(c), "23505") == 0 ? 0 : -1);
	if (db_ntuples(res) == 0)
		return (0);
	store_user_fill(a, res, 0, 0, u);
	fill_account(a, res, 0, STORE_USER_NCOLS, acc);
	return (1);
}

int
store_user_set_verified(struct db_conn *c, struct arena *a,
    const char *user_id, struct user_rec *u)
{
	const char		*p[2];
	struct db_result	*res;
	char			*sql;

	sql = arena_printf(a, "UPDATE neon_auth.\"user\" AS u SET"
	    " \"emailVerified\" = true, \"updatedAt\" = $2::timestamptz"
	    " WHERE id = $1::uuid RETURNING %s", store_user_cols());
	p[0] = user_id;
	p[1] = clock_iso(a, clock_now_ms());
	if ((res = db_exec(c, a, "user_set_verified", sql, 2, p)) == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	store_user_fill(a, res, 0, 0, u);
	return (1);
}

int
store_user_by_id(struct db_conn *c, struct arena *a, const char *user_id,
    struct user_rec *u)
{
	const char		*p[1] = { user_id };
	struct db_result	*res;
	char			*sql;

	sql = arena_printf(a, "SELECT %s FROM neon_auth.\"user\" u"
	    " WHERE u.id::text = $1", store_user_cols());
	if ((res = db_exec(c, a, "user_by_id", sql, 1, p)) == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	store_user_fill(a, res, 0, 0, u);
	return (1);
}

/* ---- verification rows */

int
store_verif_put(struct db_conn *c, struct arena *a, const char *identifier,
    const char *value, int64_t expires_ms, const char **id_out)
{
	static const char sql[] = "INSERT INTO neon_auth.verification"
	    " (identifier, value, \"expiresAt\", \"createdAt\", \"updatedAt\")"
	    " VALUES ($1, $2, $3::timestamptz, $4::timestamptz,"
	    " $4::timestamptz) RETURNING id";
	const char		*p[4];
	struct db_result	*res;

	p[0] = identifier;
	p[1] = value;
	p[2] = clock_iso(a, expires_ms);
	p[3] = clock_iso(a, clock_now_ms());
	if ((res = db_exec(c, a, "verif_put", sql, 4, p)) == NULL ||
	    db_ntuples(res) != 1)
		return (-1);
	if (id_out != NULL)
		*id_out = db_getvalue(res, 0, 0);
	return (1);
}

static int
verif_row(struct db_result *res, const char **value, int64_t *expires_ms)
{
	if (db_ntuples(res) == 0)
		return (0);
	*value = db_getvalue(res, 0, 0);
	*expires_ms = strtoll(db_getvalue(res, 0, 1), NULL, 10);
	return (1);
}

int
store_verif_get(struct db_conn *c, struct arena *a, const char *identifier,
    const char **value, int64_t *expires_ms)
{
	static const char sql[] = "SELECT value, " MS("\"expiresAt\"")
	    " FROM neon_auth.verification WHERE identifier = $1"
	    " ORDER BY \"createdAt\" DESC LIMIT 1";
	const char		*p[1] = { identifier };
	struct db_result	*res;

	if ((res = db_exec(c, a, "verif_get", sql, 1, p)) == NULL)
		return (-1);
	return (verif_row(res, value, expires_ms));
}

int
store_verif_get_id(struct db_conn *c, struct arena *a, const char *id,
    const char *prefix, const char **identifier, const char **value,
    int64_t *expires_ms)
{
	static const char sql[] = "SELECT value, " MS("\"expiresAt\"")
	    ", identifier FROM neon_auth.verification WHERE id::text = $1"
	    " AND starts_with(identifier, $2)";
	const char		*p[2] = { id, prefix };
	struct db_result	*res;
	int			 rc;

	if ((res = db_exec(c, a, "verif_get_id", sql, 2, p)) == NULL)
		return (-1);
	if ((rc = verif_row(res, value, expires_ms)) == 1 && identifier)
		*identifier = db_getvalue(res, 0, 2);
	return (rc);
}

int
store_verif_take(struct db_conn *c, struct arena *a, const char *identifier,
    const char **value, int64_t *expires_ms)
{
	static const char sql[] = "WITH d AS (DELETE FROM"
	    " neon_auth.verification WHERE identifier = $1 RETURNING value,"
	    " \"expiresAt\", \"createdAt\") SELECT value, " MS("\"expiresAt\"")
	    " FROM d ORDER BY \"createdAt\" DESC LIMIT 1";
	const char		*p[1] = { identifier };
	struct db_result	*res;

	if ((res = db_exec(c, a, "verif_take", sql, 1, p)) == NULL)
		return (-1);
	return (verif_row(res, value, expires_ms));
}

int
store_verif_delete(struct db_conn *c, struct arena *a, const char *identifier)
{
	static const char sql[] = "DELETE FROM neon_auth.verification"
	    " WHERE identifier = $1";
	const char		*p[1] = { identifier };
	struct db_result	*res;

	if ((res = db_exec(c, a, "verif_delete", sql, 1, p)) == NULL)
		return (-1);
	return (db_cmd_tuples(res) > 0);
}
