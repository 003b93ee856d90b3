/*
 * store_admin.c -- the admin plugin's SQL (see store_admin.h).
 *
 * list-users is the one statement with a shape that varies: its WHERE,
 * ORDER BY and casts are assembled here from the constant tables below
 * (a column, its type, an operator), indexed by enums the caller chose;
 * every value, pattern and array is a $n parameter.  It runs as an
 * unnamed statement, so PostgreSQL plans it with the actual values (a
 * starts_with pattern can then use the text_pattern_ops index of
 * sql/009_admin.sql).  The page and the exact total come from one
 * statement: the count is an uncorrelated subquery (one InitPlan), and
 * only an empty page past the end needs a second, count-only statement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/json.h"
#include "lib/text.h"
#include "store/db.h"
#include "store/store_admin.h"

static const struct {
	const char	*name;		/* Better Auth's field name */
	const char	*col;		/* the column of alias u */
	const char	*type;		/* its SQL type */
	int		 text;		/* LIKE applies */
} fields[SAF__COUNT] = {
	[SAF_ID] = { "id", "u.id", "uuid", 0 },
	[SAF_NAME] = { "name", "u.name", "text", 1 },
	[SAF_EMAIL] = { "email", "u.email", "text", 1 },
	[SAF_EMAIL_VERIFIED] = { "emailVerified", "u.\"emailVerified\"",
	    "boolean", 0 },
	[SAF_IMAGE] = { "image", "u.image", "text", 1 },
	[SAF_CREATED_AT] = { "createdAt", "u.\"createdAt\"", "timestamptz", 0 },
	[SAF_UPDATED_AT] = { "updatedAt", "u.\"updatedAt\"", "timestamptz", 0 },
	[SAF_ROLE] = { "role", "u.role", "text", 1 },
	[SAF_BANNED] = { "banned", "u.banned", "boolean", 0 },
	[SAF_BAN_REASON] = { "banReason", "u.\"banReason\"", "text", 1 },
	[SAF_BAN_EXPIRES] = { "banExpires", "u.\"banExpires\"", "timestamptz",
	    0 },
};

/* from this offset on, a page is found by its ids first */
#define DEEP_OFFSET	1000

/* the comparison operators, by enum store_admin_op (SAO_EQ..SAO_GTE) */
static const char *const cmp_ops[] = { "=", "<>", "<", "<=", ">", ">=" };

int
store_admin_field(const char *name)
{
	int	 i;

	for (i = 0; i < SAF__COUNT; i++)
		if (strcmp(fields[i].name, name) == 0)
			return (i);
	return (-1);
}

const char *
store_admin_field_type(int field)
{
	return (field >= 0 && field < SAF__COUNT ? fields[field].type : NULL);
}

int
store_admin_uuid_ok(const char *s)
{
	size_t	 n = strlen(s), i, digits = 0;
	int	 brace = 0;

	/* uuid_in: braces optional, a '-' after any group of four digits */
	if (n > 0 && s[0] == '{') {
		if (s[n - 1] != '}')
			return (0);
		s++;
		n -= 2;
		brace = 1;
	}
	(void)brace;
	for (i = 0; i < n; i++) {
		if (s[i] == '-') {
			if (digits == 0 || digits % 4 != 0 || digits == 32 ||
			    s[i + 1] == '-')
				return (0);
			continue;
		}
		if (text_hexval((unsigned char)s[i]) < 0)
			return (0);
		digits++;
	}
	return (digits == 32 && (n == 0 || s[n - 1] != '-'));
}

/* a PostgreSQL array literal of strings: {"a","b\"c"} */
static char *
array_literal(struct arena *a, const char *const *v, int n)
{
	struct jbuf	 b;
	const char	*p;
	int		 i;

	jb_init(&b, a, 64);
	jb_lit(&b, "{");
	for (i = 0; i < n; i++) {
		if (i > 0)
			jb_lit(&b, ",");
		jb_lit(&b, "\"");
		for (p = v[i]; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				jb_lit(&b, "\\");
			jb_raw(&b, p, 1);
		}
		jb_lit(&b, "\"");
	}
	jb_lit(&b, "}");
	return (jb_done(&b));
}

static int64_t
i64(const struct db_result *res, int row, int col)
{
	return (db_isnull(res, row, col) ? 0 :
	    strtoll(db_getvalue(res, row, col), NULL, 10));
}

/* class 22 (data exception): a value the column's type or LIKE refuses */
static int
data_error(struct db_conn *c)
{
	return (strncmp(db_sqlstate(c), "22", 2) == 0);
}

/*
 * The WHERE of a query (" WHERE ... AND ..."), its parameters appended to
 * p from *np on; NULL when a condition cannot apply (LIKE on a non-text
 * field).
 */
static char *
where_of(struct arena *a, const struct store_admin_query *q,
    const char **p, int *np)
{
	const struct store_admin_cond	*k;
	char				*w = "";
	const char			*one;
	int				 i;

	for (i = 0; i < q->ncond; i++) {
		k = &q->cond[i];
		if (k->field < 0 || k->field >= SAF__COUNT)
			return (NULL);
		switch (k->op) {
		case SAO_IN:
		case SAO_NOT_IN:
			p[*np] = array_literal(a, k->values, k->nvalues);
			one = arena_printf(a, k->op == SAO_IN ?
			    "%s = ANY ($%d::%s[])" :
			    "NOT (%s = ANY ($%d::%s[]))",
			    fields[k->field].col, *np + 1,
			    fields[k->field].type);
			break;
		case SAO_CONTAINS:
		case SAO_STARTS_WITH:
		case SAO_ENDS_WITH:
			if (!fields[k->field].text)
				return (NULL);
			p[*np] = arena_printf(a, "%s%s%s", k->op ==
			    SAO_STARTS_WITH ? "" : "%", k->value, k->op ==
			    SAO_ENDS_WITH ? "" : "%");
			one = arena_printf(a, "%s LIKE $%d",
			    fields[k->field].col, *np + 1);
			break;
		default:
			if (k->op < SAO_EQ || k->op > SAO_GTE)
				return (NULL);
			p[*np] = k->value;
			one = arena_printf(a, "%s %s $%d::%s",
			    fields[k->field].col, cmp_ops[k->op], *np + 1,
			    fields[k->field].type);
			break;
		}
		(*np)++;
		w = arena_printf(a, "%s%s%s", w, i == 0 ? " WHERE " : " AND ",
		    one);
	}
	return (w);
}

int
store_admin_list(struct db_conn *c, struct arena *a,
    const struct store_admin_query *q, struct user_rec **users, int *n,
    int64_t *total)
{
	const char		*p[4];
	char			*w, *sql, *order, *page;
	int			 np = 0, i;
	struct db_result	*res;

	*users = NULL;
	*n = 0;
	*total = 0;
	if (q->ncond > 2 || (w = where_of(a, q, p, &np)) == NULL)
		return (0);
	if (q->sort >= 0 && q->sort < SAF__COUNT)
		order = arena_printf(a, "%s %s, u.id %s", fields[q->sort].col,
		    q->desc ? "DESC" : "ASC", q->desc ? "DESC" : "ASC");
	else
		order = "u.\"createdAt\", u.id";
	p[np] = arena_printf(a, "%lld", (long long)q->limit);
	p[np + 1] = arena_printf(a, "%lld", (long long)q->offset);
	page = arena_printf(a, "%s ORDER BY %s LIMIT $%d::bigint OFFSET"
	    " $%d::bigint", w, order, np + 1, np + 2);
	if (q->offset >= DEEP_OFFSET)
		/*
		 * A deep page: the offset is walked over the ids alone (an
		 * index-only scan where an index gives the order), and only
		 * the page's rows are read whole.
		 */
		page = arena_printf(a, " JOIN (SELECT u.id FROM"
		    " neon_auth.\"user\" u%s) AS k ON k.id = u.id ORDER BY %s",
		    page, order);
	sql = arena_printf(a, "SELECT (SELECT count(*) FROM neon_auth.\"user\""
	    " u%s), %s FROM neon_auth.\"user\" u%s", w, store_user_cols(),
	    page);
	if ((res = db_exec(c, a, NULL, sql, np + 2, p)) == NULL)
		return (data_error(c) ? 0 : -1);
	*n = db_ntuples(res);
	if (*n == 0) {
		/* an empty page: the total is still wanted */
		sql = arena_printf(a, "SELECT count(*) FROM neon_auth.\"user\""
		    " u%s", w);
		if ((res = db_exec(c, a, NULL, sql, np, p)) == NULL)
			return (data_error(c) ? 0 : -1);
		*total = i64(res, 0, 0);
		return (1);
	}
	*users = arena_alloc(a, sizeof(**users) * (size_t)*n);
	*total = i64(res, 0, 0);
	for (i = 0; i < *n; i++)
		store_user_fill(a, res, i, 1, &(*users)[i]);
	return (1);
}

/* run a statement returning at most one user row (alias u) */
static int
user_row(struct db_conn *c, struct arena *a, const char *name,
    const char *sql, int n, const char *const *p, struct user_rec *u)
{
	struct db_result	*res = db_exec(c, a, name, sql, n, p);

	if (res == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	if (u != NULL)
		store_user_fill(a, res, 0, 0, u);
	return (1);
}

int
store_admin_user(struct db_conn *c, struct arena *a, const char *id,
    struct user_rec *u)
{
	const char	*p[1] = { id };

	if (!store_admin_uuid_ok(id))
		return (0);
	return (user_row(c, a, "admin_user", arena_printf(a, "SELECT %s"
	    " FROM neon_auth.\"user\" u WHERE u.id = $1::uuid",
	    store_user_cols()), 1, p, u));
}

int
store_admin_create(struct db_conn *c, struct arena *a,
    const struct store_admin_new *nu, struct user_rec *u)
{
	const char	*p[13];
	int		 rc;

	p[0] = nu->id;
	p[1] = nu->name;
	p[2] = nu->email;
	p[3] = nu->email_verified;
	p[4] = nu->image;
	p[5] = nu->created_at;
	p[6] = nu->updated_at;
	p[7] = nu->role;
	p[8] = nu->banned;
	p[9] = nu->ban_reason;
	p[10] = nu->ban_expires;
	p[11] = clock_iso(a, clock_now_ms());
	p[12] = nu->password_hash;
	rc = user_row(c, a, "admin_create", arena_printf(a,
	    "WITH nu AS (INSERT INTO neon_auth.\"user\" (id, name, email,"
	    " \"emailVerified\", image, \"createdAt\", \"updatedAt\", role,"
	    " banned, \"banReason\", \"banExpires\") VALUES"
	    " (COALESCE($1::uuid, gen_random_uuid()), $2, $3,"
	    " COALESCE($4::boolean, false), $5,"
	    " COALESCE($6::timestamptz, $12::timestamptz),"
	    " COALESCE($7::timestamptz, $12::timestamptz), $8,"
	    " COALESCE($9::boolean, false), $10, $11::timestamptz)"
	    " ON CONFLICT (email) DO NOTHING RETURNING *),"
	    " na AS (INSERT INTO neon_auth.account (\"accountId\","
	    " \"providerId\", \"userId\", password, \"createdAt\","
	    " \"updatedAt\") SELECT id::text, 'credential', id, $13::text,"
	    " $12::timestamptz, $12::timestamptz FROM nu"
	    " WHERE $13::text IS NOT NULL RETURNING 1)"
	    " SELECT %s FROM nu u", store_user_cols()), 13, p, u);
	/* the same email inserted meanwhile: the constraint says taken */
	if (rc == -1 && strcmp(db_sqlstate(c), "23505") == 0 &&
	    nu->id == NULL)
		return (STORE_ADMIN_TAKEN);
	return (rc == 0 ? STORE_ADMIN_TAKEN : rc);
}

int
store_admin_update(struct db_conn *c, struct arena *a, const char *id,
    const struct store_admin_patch *pa, struct user_rec *u)
{
	/* one static statement: each field is CASE WHEN set THEN value */
	static const int	 order[] = { SAF_NAME, SAF_EMAIL,
				    SAF_EMAIL_VERIFIED, SAF_IMAGE,
				    SAF_CREATED_AT, SAF_ROLE, SAF_BANNED,
				    SAF_BAN_REASON, SAF_BAN_EXPIRES,
				    SAF_UPDATED_AT };
	const char		*p[22];
	size_t			 i;
	int			 rc;

	if (!store_admin_uuid_ok(id))
		return (0);
	p[0] = id;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		p[1 + 2 * i] = pa->set[order[i]] ? "true" : "false";
		p[2 + 2 * i] = pa->set[order[i]] ? pa->value[order[i]] : NULL;
	}
	p[21] = clock_iso(a, clock_now_ms());
	rc = user_row(c, a, "admin_update", arena_printf(a,
	    "UPDATE neon_auth.\"user\" AS u SET"
	    " name = CASE WHEN $2::boolean THEN $3 ELSE name END,"
	    " email = CASE WHEN $4::boolean THEN $5 ELSE email END,"
	    " \"emailVerified\" = CASE WHEN $6::boolean THEN $7::boolean"
	    " ELSE \"emailVerified\" END,"
	    " image = CASE WHEN $8::boolean THEN $9 ELSE image END,"
	    " \"createdAt\" = CASE WHEN $10::boolean THEN $11::timestamptz"
	    " ELSE \"createdAt\" END,"
	    " role = CASE WHEN $12::boolean THEN $13 ELSE role END,"
	    " banned = CASE WHEN $14::boolean THEN $15::boolean"
	    " ELSE banned END,"
	    " \"banReason\" = CASE WHEN $16::boolean THEN $17"
	    " ELSE \"banReason\" END,"
	    " \"banExpires\" = CASE WHEN $18::boolean THEN $19::timestamptz"
	    " ELSE \"banExpires\" END,"
	    " \"updatedAt\" = CASE WHEN $20::boolean THEN $21::timestamptz"
	    " ELSE $22::timestamptz END"
	    " WHERE u.id = $1::uuid RETURNING %s", store_user_cols()), 22, p,
	    u);
	if (rc == -1 && strcmp(db_sqlstate(c), "23505") == 0)
		return (STORE_ADMIN_TAKEN);
	return (rc);
}

int
store_admin_ban(struct db_conn *c, struct arena *a, const char *id,
    const char *reason, const char *expires_iso, struct user_rec *u)
{
	const char	*p[4];

	if (!store_admin_uuid_ok(id))
		return (0);
	p[0] = id;
	p[1] = reason;
	p[2] = expires_iso;
	p[3] = clock_iso(a, clock_now_ms());
	return (user_row(c, a, "admin_ban", arena_printf(a,
	    "WITH b AS (UPDATE neon_auth.\"user\" SET banned = true,"
	    " \"banReason\" = $2, \"banExpires\" = $3::timestamptz,"
	    " \"updatedAt\" = $4::timestamptz WHERE id = $1::uuid"
	    " RETURNING *),"
	    " d AS (DELETE FROM neon_auth.session WHERE \"userId\" IN"
	    " (SELECT id FROM b))"
	    " SELECT %s FROM b u", store_user_cols()), 4, p, u));
}

int
store_admin_unban(struct db_conn *c, struct arena *a, const char *id,
    int only_expired, struct user_rec *u)
{
	const char	*p[3];

	if (!store_admin_uuid_ok(id))
		return (0);
	p[0] = id;
	p[1] = clock_iso(a, clock_now_ms());
	p[2] = only_expired ? "true" : "false";
	return (user_row(c, a, "admin_unban", arena_printf(a,
	    "UPDATE neon_auth.\"user\" AS u SET banned = false,"
	    " \"banReason\" = NULL, \"banExpires\" = NULL,"
	    " \"updatedAt\" = $2::timestamptz WHERE u.id = $1::uuid"
	    " AND (NOT $3::boolean OR (u.banned AND"
	    " u.\"banExpires\" < $2::timestamptz)) RETURNING %s",
	    store_user_cols()), 3, p, u));
}

int
store_admin_sessions(struct db_conn *c, struct arena *a, const char *user_id,
    struct session_rec **out, int *n)
{
	const char		*p[2];
	struct db_result	*res;
	int			 i;

	*out = NULL;
	*n = 0;
	if (!store_admin_uuid_ok(user_id))
		return (1);
	p[0] = user_id;
	p[1] = clock_iso(a, clock_now_ms());
	res = db_exec(c, a, "admin_sessions", arena_printf(a, "SELECT %s"
	    " FROM neon_auth.session s WHERE s.\"userId\" = $1::uuid"
	    " AND s.\"expiresAt\" > $2::timestamptz"
	    " ORDER BY s.\"createdAt\", s.id", store_session_cols()), 2, p);
	if (res == NULL)
		return (-1);
	*n = db_ntuples(res);
	*out = arena_alloc(a, sizeof(**out) * (size_t)(*n > 0 ? *n : 1));
	for (i = 0; i < *n; i++)
		store_session_fill(a, res, i, 0, &(*out)[i]);
	return (1);
}

int
store_admin_revoke_session(struct db_conn *c, struct arena *a,
    const char *token, struct session_rec *gone)
{
	const char		*p[1] = { token };
	struct db_result	*res;

	/* the workers hear of it: the user's cached cookies are re-read */
	res = db_exec(c, a, "admin_revoke_session", arena_printf(a,
	    "WITH d AS (DELETE FROM neon_auth.session WHERE token = $1"
	    " RETURNING *) SELECT %s, pg_notify('" DB_CHANNEL_REVOKE "',"
	    " s.\"userId\"::text) FROM d s", store_session_cols()), 1, p);
	if (res == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	if (gone != NULL)
		store_session_fill(a, res, 0, 0, gone);
	return (1);
}

int
store_admin_revoke_sessions(struct db_conn *c, struct arena *a,
    const char *user_id, int64_t *count)
{
	const char		*p[1] = { user_id };
	struct db_result	*res;

	*count = 0;
	if (!store_admin_uuid_ok(user_id))
		return (1);
	res = db_exec(c, a, "admin_revoke_sessions",
	    "WITH d AS (DELETE FROM neon_auth.session WHERE \"userId\" ="
	    " ($1::text)::uuid RETURNING 1), n AS (SELECT count(*) AS n FROM d)"
	    " SELECT n, CASE WHEN n > 0 THEN pg_notify('" DB_CHANNEL_REVOKE
	    "', $1::text) END FROM n", 1, p);
	if (res == NULL || db_ntuples(res) != 1)
		return (-1);
	*count = i64(res, 0, 0);
	return (1);
}

int
store_admin_remove(struct db_conn *c, struct arena *a, const char *id)
{
	const char		*p[1] = { id };
	struct db_result	*res;

	if (!store_admin_uuid_ok(id))
		return (0);
	/* accounts, sessions, memberships cascade; the trigger notifies */
	res = db_exec(c, a, "admin_remove",
	    "DELETE FROM neon_auth.\"user\" WHERE id = $1::uuid", 1, p);
	if (res == NULL)
		return (-1);
	return (db_cmd_tuples(res) > 0);
}

int
store_admin_set_password(struct db_conn *c, struct arena *a,
    const char *user_id, const char *hash)
{
	const char		*p[3];
	struct db_result	*res;

	if (!store_admin_uuid_ok(user_id))
		return (0);
	p[0] = user_id;
	p[1] = hash;
	p[2] = clock_iso(a, clock_now_ms());
	res = db_exec(c, a, "admin_set_password",
	    "WITH up AS (UPDATE neon_auth.account SET password = $2,"
	    " \"updatedAt\" = $3::timestamptz WHERE \"userId\" ="
	    " ($1::text)::uuid AND \"providerId\" = 'credential' RETURNING 1)"
	    " INSERT INTO neon_auth.account (\"accountId\", \"providerId\","
	    " \"userId\", password, \"createdAt\", \"updatedAt\")"
	    " SELECT ($1::text)::uuid::text, 'credential', ($1::text)::uuid,"
	    " $2, $3::timestamptz, $3::timestamptz"
	    " WHERE NOT EXISTS (SELECT 1 FROM up)", 3, p);
	return (res == NULL ? -1 : 1);
}

int
store_admin_impersonate(struct db_conn *c, struct arena *a,
    const char *user_id, const char *admin_id, const struct session_new *n,
    struct session_rec *out)
{
	int64_t			 now = clock_now_ms();
	const char		*p[7];
	struct db_result	*res;

	p[0] = crypto_random_id(a);
	p[1] = user_id;
	p[2] = clock_iso(a, now + n->ttl_s * 1000);
	p[3] = clock_iso(a, now);
	p[4] = n->ip ? n->ip : "";
	p[5] = n->ua ? n->ua : "";
	p[6] = admin_id;
	if (p[0] == NULL)
		return (-1);
	res = db_exec(c, a, "admin_impersonate", arena_printf(a,
	    "INSERT INTO neon_auth.session AS s (token, \"userId\","
	    " \"expiresAt\", \"createdAt\", \"updatedAt\", \"ipAddress\","
	    " \"userAgent\", \"impersonatedBy\") VALUES ($1, $2::uuid,"
	    " $3::timestamptz, $4::timestamptz, $4::timestamptz, $5, $6, $7)"
	    " RETURNING %s", store_session_cols()), 7, p);
	if (res == NULL || db_ntuples(res) != 1)
		return (-1);
	store_session_fill(a, res, 0, 0, out);
	return (1);
}

int
store_admin_user_facts(struct db_conn *c, struct arena *a, const char *id,
    int64_t *sessions, const char **providers)
{
	const char		*p[2];
	struct db_result	*res;

	*sessions = 0;
	*providers = "";
	if (!store_admin_uuid_ok(id))
		return (0);
	p[0] = id;
	p[1] = clock_iso(a, clock_now_ms());
	res = db_exec(c, a, "admin_user_facts",
	    "SELECT (SELECT count(*) FROM neon_auth.session"
	    " WHERE \"userId\" = $1::uuid AND \"expiresAt\" > $2::timestamptz),"
	    " (SELECT coalesce(string_agg(\"providerId\", ','"
	    " ORDER BY \"providerId\"), '') FROM neon_auth.account"
	    " WHERE \"userId\" = $1::uuid)", 2, p);
	if (res == NULL || db_ntuples(res) != 1)
		return (-1);
	*sessions = i64(res, 0, 0);
	*providers = db_getvalue(res, 0, 1);
	return (1);
}
