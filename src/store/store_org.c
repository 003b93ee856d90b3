/*
 * store_org.c -- organizations, members and invitations (see store_org.h).
 *
 * Dates come back as milliseconds since the epoch (truncated as a JS Date
 * holds them) and are formatted here, as store.c does.  Every statement
 * is parameterised; list-members builds its WHERE and ORDER BY from the
 * whitelisted columns and operators of struct member_query only.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/json.h"
#include "store/db.h"
#include "store/store_org.h"

#define MS(x) "floor(extract(epoch from " x ") * 1000)::bigint"

#define O_COLS \
	"o.id::text, o.name, o.slug, o.logo, " MS("o.\"createdAt\"") \
	", o.metadata"
#define O_NCOLS 6
#define M_COLS \
	"m.id::text, m.\"organizationId\"::text, m.\"userId\"::text, m.role, " \
	MS("m.\"createdAt\"") ", u.name, u.email, u.image"
#define M_NCOLS 8
#define M_FROM \
	"neon_auth.member m JOIN neon_auth.\"user\" u ON u.id = m.\"userId\" "
#define I_COLS \
	"i.id::text, i.\"organizationId\"::text, i.email, i.role, i.status, " \
	MS("i.\"expiresAt\"") ", " MS("i.\"createdAt\"") \
	", i.\"inviterId\"::text"
#define I_NCOLS 8

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

static const char *
nullable(const struct db_result *res, int row, int col)
{
	return (db_isnull(res, row, col) ? NULL : db_getvalue(res, row, col));
}

static int64_t
i64(const struct db_result *res, int row, int col)
{
	return (strtoll(db_getvalue(res, row, col), NULL, 10));
}

static const char *
iso_col(struct arena *a, const struct db_result *res, int row, int col,
    int64_t *ms)
{
	int64_t	 v;

	if (db_isnull(res, row, col)) {
		if (ms != NULL)
			*ms = 0;
		return (NULL);
	}
	v = i64(res, row, col);
	if (ms != NULL)
		*ms = v;
	return (clock_iso(a, v));
}

static void
fill_org(struct arena *a, const struct db_result *res, int row, int c,
    struct org_rec *o)
{
	o->id = db_getvalue(res, row, c);
	o->name = db_getvalue(res, row, c + 1);
	o->slug = db_getvalue(res, row, c + 2);
	o->logo = nullable(res, row, c + 3);
	o->created_at = iso_col(a, res, row, c + 4, NULL);
	o->metadata = nullable(res, row, c + 5);
}

/* a member row; with_user: the user's columns follow */
static void
fill_member(struct arena *a, const struct db_result *res, int row, int c,
    int with_user, struct member_rec *m)
{
	memset(m, 0, sizeof(*m));
	m->id = db_getvalue(res, row, c);
	m->organization_id = db_getvalue(res, row, c + 1);
	m->user_id = db_getvalue(res, row, c + 2);
	m->role = db_getvalue(res, row, c + 3);
	m->created_at = iso_col(a, res, row, c + 4, NULL);
	if (!with_user)
		return;
	m->user_name = db_getvalue(res, row, c + 5);
	m->user_email = db_getvalue(res, row, c + 6);
	m->user_image = nullable(res, row, c + 7);
}

static void
fill_inv(struct arena *a, const struct db_result *res, int row, int c,
    struct invitation_rec *i)
{
	memset(i, 0, sizeof(*i));
	i->id = db_getvalue(res, row, c);
	i->organization_id = db_getvalue(res, row, c + 1);
	i->email = db_getvalue(res, row, c + 2);
	i->role = nullable(res, row, c + 3);
	i->status = db_getvalue(res, row, c + 4);
	i->expires_at = iso_col(a, res, row, c + 5, &i->expires_ms);
	i->created_at = iso_col(a, res, row, c + 6, NULL);
	i->inviter_id = db_getvalue(res, row, c + 7);
}

/* one statement whose first row (if any) is a member with its user */
static int
member_row(struct db_conn *c, struct arena *a, const char *name,
    const char *sql, int n, const char *const *p, struct member_rec *m)
{
	struct db_result	*res = db_exec(c, a, name, sql, n, p);

	if (res == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	fill_member(a, res, 0, 0, 1, m);
	return (1);
}

static int
inv_row(struct db_conn *c, struct arena *a, const char *name,
    const char *sql, int n, const char *const *p, struct invitation_rec *i)
{
	struct db_result	*res = db_exec(c, a, name, sql, n, p);

	if (res == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	if (i != NULL)
		fill_inv(a, res, 0, 0, i);
	return (1);
}

/* one count(*) */
static int
count_row(struct db_conn *c, struct arena *a, const char *name,
    const char *sql, int n, const char *const *p, int64_t *out)
{
	struct db_result	*res = db_exec(c, a, name, sql, n, p);

	*out = 0;
	if (res == NULL)
		return (-1);
	if (db_ntuples(res) == 1)
		*out = i64(res, 0, 0);
	return (1);
}

/* a statement run for its effect: 1 when it touched a row */
static int
exec_changed(struct db_conn *c, struct arena *a, const char *name,
    const char *sql, int n, const char *const *p)
{
	struct db_result	*res = db_exec(c, a, name, sql, n, p);

	if (res == NULL)
		return (-1);
	return (db_cmd_tuples(res) > 0 || db_ntuples(res) > 0);
}

/* ------------------------------------------------------------ claim */

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

/* ------------------------------------------------------------ organizations */

int
store_org_get(struct db_conn *c, struct arena *a, const char *key,
    int by_slug, struct org_rec *out)
{
	static const char by_id_sql[] =
	    "SELECT " O_COLS " FROM neon_auth.organization o "
	    "WHERE o.id = $1::uuid";
	static const char by_slug_sql[] =
	    "SELECT " O_COLS " FROM neon_auth.organization o "
	    "WHERE o.slug = $1";
	struct db_result	*res;

	if (key == NULL || (!by_slug && !is_uuid(key)))
		return (0);
	res = by_slug ? db_exec(c, a, "org_by_slug", by_slug_sql, 1, &key) :
	    db_exec(c, a, "org_by_id", by_id_sql, 1, &key);
	if (res == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	fill_org(a, res, 0, 0, out);
	return (1);
}

int
store_org_list(struct db_conn *c, struct arena *a, const char *user_id,
    struct org_rec **out, int *n)
{
	static const char sql[] =
	    "SELECT " O_COLS " FROM neon_auth.member m "
	    "JOIN neon_auth.organization o ON o.id = m.\"organizationId\" "
	    "WHERE m.\"userId\" = $1::uuid ORDER BY m.\"createdAt\", m.id";
	struct db_result	*res;
	int			 i;

	*out = NULL;
	*n = 0;
	if (!is_uuid(user_id))
		return (1);
	if ((res = db_exec(c, a, "org_list", sql, 1, &user_id)) == NULL)
		return (-1);
	*n = db_ntuples(res);
	*out = arena_alloc(a, (size_t)(*n + 1) * sizeof(**out));
	for (i = 0; i < *n; i++)
		fill_org(a, res, i, 0, &(*out)[i]);
	return (1);
}

int
store_org_lock_user(struct db_conn *c, struct arena *a, const char *user_id)
{
	static const char sql[] =
	    "SELECT 1 FROM neon_auth.\"user\" WHERE id = $1::uuid FOR UPDATE";

	if (!is_uuid(user_id))
		return (0);
	return (exec_changed(c, a, "org_lock_user", sql, 1, &user_id));
}

int
store_org_lock(struct db_conn *c, struct arena *a, const char *org_id)
{
	static const char sql[] =
	    "SELECT 1 FROM neon_auth.organization WHERE id = $1::uuid "
	    "FOR UPDATE";

	if (!is_uuid(org_id))
		return (0);
	return (exec_changed(c, a, "org_lock", sql, 1, &org_id));
}

int
store_org_create(struct db_conn *c, struct arena *a, const char *name,
    const char *slug, const char *logo, const char *metadata,
    const char *user_id, const char *role, struct org_rec *org,
    struct member_rec *member)
{
	/* any unique violation (the slug) inserts nothing: 0 rows */
	static const char sql[] =
	    "WITH o AS (INSERT INTO neon_auth.organization "
	    "(name, slug, logo, \"createdAt\", metadata) "
	    "VALUES ($1, $2, $3, now(), $4) ON CONFLICT DO NOTHING "
	    "RETURNING *), "
	    "m AS (INSERT INTO neon_auth.member "
	    "(\"organizationId\", \"userId\", role, \"createdAt\") "
	    "SELECT o.id, $5::uuid, $6, now() FROM o RETURNING *) "
	    "SELECT " O_COLS ", m.id::text, m.\"organizationId\"::text, "
	    "m.\"userId\"::text, m.role, " MS("m.\"createdAt\"") " "
	    "FROM o, m";
	struct db_result	*res;
	const char		*p[6];

	if (!is_uuid(user_id))
		return (0);
	p[0] = name;
	p[1] = slug;
	p[2] = logo;
	p[3] = metadata;
	p[4] = user_id;
	p[5] = role;
	if ((res = db_exec(c, a, "org_create", sql, 6, p)) == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	fill_org(a, res, 0, 0, org);
	fill_member(a, res, 0, O_NCOLS, 0, member);
	return (1);
}

int
store_org_update(struct db_conn *c, struct arena *a, const char *id,
    const struct org_patch *pt, struct org_rec *out)
{
	static const char sql[] =
	    "UPDATE neon_auth.organization AS o SET "
	    "name = CASE WHEN $2::boolean THEN $3 ELSE o.name END, "
	    "slug = CASE WHEN $4::boolean THEN $5 ELSE o.slug END, "
	    "logo = CASE WHEN $6::boolean THEN $7 ELSE o.logo END, "
	    "metadata = CASE WHEN $8::boolean THEN $9 ELSE o.metadata END "
	    "WHERE o.id = $1::uuid RETURNING " O_COLS;
	struct db_result	*res;
	const char		*p[9];

	if (!is_uuid(id))
		return (0);
	p[0] = id;
	p[1] = pt->set_name ? "t" : "f";
	p[2] = pt->name;
	p[3] = pt->set_slug ? "t" : "f";
	p[4] = pt->slug;
	p[5] = pt->set_logo ? "t" : "f";
	p[6] = pt->logo;
	p[7] = pt->set_metadata ? "t" : "f";
	p[8] = pt->metadata;
	if ((res = db_exec(c, a, "org_update", sql, 9, p)) == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	fill_org(a, res, 0, 0, out);
	return (1);
}

int
store_org_delete(struct db_conn *c, struct arena *a, const char *id)
{
	static const char clear_sql[] =
	    "UPDATE neon_auth.session SET \"activeOrganizationId\" = NULL, "
	    "\"updatedAt\" = now() WHERE \"activeOrganizationId\" = $1";
	static const char inv_sql[] =
	    "DELETE FROM neon_auth.invitation WHERE \"organizationId\" = "
	    "$1::uuid";
	static const char mem_sql[] =
	    "DELETE FROM neon_auth.member WHERE \"organizationId\" = $1::uuid";
	static const char org_sql[] =
	    "DELETE FROM neon_auth.organization WHERE id = $1::uuid";

	if (!is_uuid(id))
		return (0);
	if (exec_changed(c, a, "org_del_active", clear_sql, 1, &id) == -1 ||
	    exec_changed(c, a, "org_del_inv", inv_sql, 1, &id) == -1 ||
	    exec_changed(c, a, "org_del_mem", mem_sql, 1, &id) == -1)
		return (-1);
	return (exec_changed(c, a, "org_del", org_sql, 1, &id));
}

/* ------------------------------------------------------------ sessions */

int
store_org_set_active(struct db_conn *c, struct arena *a,
    const char *session_id, const char *org_id, int64_t *updated_ms)
{
	static const char sql[] =
	    "UPDATE neon_auth.session SET \"activeOrganizationId\" = $2, "
	    "\"updatedAt\" = now() WHERE id = $1::uuid "
	    "RETURNING " MS("\"updatedAt\"");
	struct db_result	*res;
	const char		*p[2];

	if (!is_uuid(session_id))
		return (0);
	p[0] = session_id;
	p[1] = org_id;
	if ((res = db_exec(c, a, "org_set_active", sql, 2, p)) == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	*updated_ms = i64(res, 0, 0);
	return (1);
}

int
store_org_touch_sessions(struct db_conn *c, struct arena *a,
    const char *user_id, const char *org_id)
{
	static const char sql[] =
	    "UPDATE neon_auth.session SET \"updatedAt\" = now() "
	    "WHERE \"userId\" = $1::uuid AND \"activeOrganizationId\" = $2";
	const char	*p[2];

	if (!is_uuid(user_id) || org_id == NULL)
		return (0);
	p[0] = user_id;
	p[1] = org_id;
	return (exec_changed(c, a, "org_touch", sql, 2, p));
}

/* ------------------------------------------------------------ members */

int
store_member_get(struct db_conn *c, struct arena *a, const char *org_id,
    const char *user_id, struct member_rec *out)
{
	static const char sql[] =
	    "SELECT " M_COLS " FROM " M_FROM
	    "WHERE m.\"organizationId\" = $1::uuid AND m.\"userId\" = $2::uuid "
	    "ORDER BY m.\"createdAt\", m.id LIMIT 1";
	const char	*p[2];

	if (!is_uuid(org_id) || !is_uuid(user_id))
		return (0);
	p[0] = org_id;
	p[1] = user_id;
	return (member_row(c, a, "mem_get", sql, 2, p, out));
}

int
store_member_by_id(struct db_conn *c, struct arena *a, const char *id,
    struct member_rec *out)
{
	static const char sql[] =
	    "SELECT " M_COLS " FROM " M_FROM "WHERE m.id = $1::uuid";

	if (!is_uuid(id))
		return (0);
	return (member_row(c, a, "mem_by_id", sql, 1, &id, out));
}

int
store_member_by_email(struct db_conn *c, struct arena *a, const char *org_id,
    const char *email, struct member_rec *out)
{
	static const char sql[] =
	    "SELECT " M_COLS " FROM " M_FROM
	    "WHERE m.\"organizationId\" = $1::uuid AND u.email = $2 "
	    "ORDER BY m.\"createdAt\", m.id LIMIT 1";
	const char	*p[2];

	if (!is_uuid(org_id))
		return (0);
	p[0] = org_id;
	p[1] = email;
	return (member_row(c, a, "mem_by_email", sql, 2, p, out));
}

int
store_member_count(struct db_conn *c, struct arena *a, const char *org_id,
    int64_t *n)
{
	static const char sql[] =
	    "SELECT count(*) FROM neon_auth.member "
	    "WHERE \"organizationId\" = $1::uuid";

	*n = 0;
	if (!is_uuid(org_id))
		return (1);
	return (count_row(c, a, "mem_count", sql, 1, &org_id, n));
}

int
store_member_role_count(struct db_conn *c, struct arena *a,
    const char *org_id, const char *role, int64_t *n)
{
	static const char sql[] =
	    "SELECT count(*) FROM neon_auth.member m "
	    "WHERE m.\"organizationId\" = $1::uuid AND EXISTS (SELECT 1 FROM "
	    "unnest(string_to_array(m.role, ',')) AS r(x) "
	    "WHERE btrim(r.x, E' \\t\\n\\r\\f\\v') = $2)";
	const char	*p[2];

	*n = 0;
	if (!is_uuid(org_id))
		return (1);
	p[0] = org_id;
	p[1] = role;
	return (count_row(c, a, "mem_role_count", sql, 2, p, n));
}

/* the SQL expression of a member column (whitelisted) */
static const char *
mcol_expr(enum member_col col)
{
	switch (col) {
	case MCOL_ID:
		return ("m.id::text");
	case MCOL_ORGANIZATION_ID:
		return ("m.\"organizationId\"::text");
	case MCOL_USER_ID:
		return ("m.\"userId\"::text");
	case MCOL_ROLE:
		return ("m.role");
	case MCOL_CREATED_AT:
		return ("m.\"createdAt\"");
	case MCOL_NONE:
		break;
	}
	return ("m.\"createdAt\"");
}

/* a PostgreSQL array literal of strings */
static char *
pg_array(struct arena *a, const char *const *v, size_t n)
{
	size_t	 i, len = 3;
	char	*s, *p;
	const char *q;

	for (i = 0; i < n; i++)
		len += 2 * strlen(v[i]) + 3;
	p = s = arena_alloc(a, len);
	*p++ = '{';
	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ',';
		*p++ = '"';
		for (q = v[i]; *q != '\0'; q++) {
			if (*q == '"' || *q == '\\')
				*p++ = '\\';
			*p++ = *q;
		}
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	return (s);
}

/* the WHERE condition of q's filter on parameter $4 */
static const char *
filter_sql(struct arena *a, const struct member_query *q)
{
	const char	*col = mcol_expr(q->filter);
	const char	*cast = q->filter == MCOL_CREATED_AT ? "timestamptz" :
			    "text";

	if (q->filter == MCOL_NONE)
		return ("true");
	if (q->nvalues == 0)
		return ("false");
	switch (q->op) {
	case MOP_EQ:
		return (arena_printf(a, "%s = $4::%s", col, cast));
	case MOP_NE:
		return (arena_printf(a, "%s <> $4::%s", col, cast));
	case MOP_LT:
		return (arena_printf(a, "%s < $4::%s", col, cast));
	case MOP_LTE:
		return (arena_printf(a, "%s <= $4::%s", col, cast));
	case MOP_GT:
		return (arena_printf(a, "%s > $4::%s", col, cast));
	case MOP_GTE:
		return (arena_printf(a, "%s >= $4::%s", col, cast));
	case MOP_IN:
		return (arena_printf(a, "%s = ANY($4::%s[])", col, cast));
	case MOP_NOT_IN:
		return (arena_printf(a, "NOT (%s = ANY($4::%s[]))", col, cast));
	case MOP_CONTAINS:
		return (arena_printf(a, "%s::text LIKE '%%' || $4 || '%%'",
		    col));
	case MOP_STARTS_WITH:
		return (arena_printf(a, "%s::text LIKE $4 || '%%'", col));
	case MOP_ENDS_WITH:
		return (arena_printf(a, "%s::text LIKE '%%' || $4", col));
	}
	return ("false");
}

int
store_member_list(struct db_conn *c, struct arena *a,
    const struct member_query *q, struct member_rec **out, int *n,
    int64_t *total)
{
	struct db_result	*res;
	const char		*p[4];
	char			*sql, lim[32], off[32];
	int			 i, rows, np = 3;

	*out = NULL;
	*n = 0;
	*total = 0;
	if (!is_uuid(q->organization_id))
		return (1);
	(void)snprintf(lim, sizeof(lim), "%lld", (long long)q->limit);
	(void)snprintf(off, sizeof(off), "%lld", (long long)q->offset);
	p[0] = q->organization_id;
	p[1] = lim;
	p[2] = off;
	if (q->filter != MCOL_NONE && q->nvalues > 0) {
		p[3] = q->op == MOP_IN || q->op == MOP_NOT_IN ?
		    pg_array(a, q->values, q->nvalues) : q->values[0];
		np = 4;
	}
	/* one round trip: the count, and the page joined to it (or NULLs) */
	sql = arena_printf(a,
	    "WITH f AS (SELECT m.* FROM neon_auth.member m "
	    "WHERE m.\"organizationId\" = $1::uuid AND (%s)) "
	    "SELECT t.n, p.* FROM (SELECT count(*) AS n FROM f) AS t "
	    "LEFT JOIN LATERAL (SELECT " M_COLS " FROM f AS m "
	    "JOIN neon_auth.\"user\" u ON u.id = m.\"userId\" "
	    "ORDER BY %s %s, m.id LIMIT $2::bigint OFFSET $3::bigint) AS p "
	    "ON true", filter_sql(a, q), mcol_expr(q->sort),
	    q->desc ? "DESC" : "ASC");
	if ((res = db_exec(c, a, NULL, sql, np, p)) == NULL)
		return (-1);
	rows = db_ntuples(res);
	if (rows > 0)
		*total = i64(res, 0, 0);
	*out = arena_alloc(a, (size_t)(rows + 1) * sizeof(**out));
	for (i = 0; i < rows; i++) {
		if (db_isnull(res, i, 1))
			continue;
		fill_member(a, res, i, 1, 1, &(*out)[*n]);
		(*n)++;
	}
	return (1);
}

int
store_member_create(struct db_conn *c, struct arena *a, const char *org_id,
    const char *user_id, const char *role, struct member_rec *out)
{
	static const char sql[] =
	    "WITH m AS (INSERT INTO neon_auth.member "
	    "(\"organizationId\", \"userId\", role, \"createdAt\") "
	    "VALUES ($1::uuid, $2::uuid, $3, now()) RETURNING *) "
	    "SELECT " M_COLS " FROM m JOIN neon_auth.\"user\" u "
	    "ON u.id = m.\"userId\"";
	const char	*p[3];

	if (!is_uuid(org_id) || !is_uuid(user_id))
		return (0);
	p[0] = org_id;
	p[1] = user_id;
	p[2] = role;
	return (member_row(c, a, "mem_create", sql, 3, p, out));
}

int
store_member_set_role(struct db_conn *c, struct arena *a, const char *id,
    const char *role, struct member_rec *out)
{
	static const char sql[] =
	    "WITH m AS (UPDATE neon_auth.member SET role = $2 "
	    "WHERE id = $1::uuid RETURNING *) "
	    "SELECT " M_COLS " FROM m JOIN neon_auth.\"user\" u "
	    "ON u.id = m.\"userId\"";
	const char	*p[2];

	if (!is_uuid(id))
		return (0);
	p[0] = id;
	p[1] = role;
	return (member_row(c, a, "mem_set_role", sql, 2, p, out));
}

int
store_member_delete(struct db_conn *c, struct arena *a, const char *id)
{
	static const char sql[] =
	    "DELETE FROM neon_auth.member WHERE id = $1::uuid";

	if (!is_uuid(id))
		return (0);
	return (exec_changed(c, a, "mem_delete", sql, 1, &id));
}

/* ------------------------------------------------------------ invitations */

int
store_inv_create(struct db_conn *c, struct arena *a, const char *org_id,
    const char *email, const char *role, const char *inviter_id,
    int64_t ttl_s, struct invitation_rec *out)
{
	static const char sql[] =
	    "INSERT INTO neon_auth.invitation AS i (\"organizationId\", email, "
	    "role, status, \"expiresAt\", \"createdAt\", \"inviterId\") "
	    "VALUES ($1::uuid, $2, $3, 'pending', "
	    "now() + $4::bigint * interval '1 second', now(), $5::uuid) "
	    "RETURNING " I_COLS;
	const char	*p[5];
	char		 ttl[32];

	if (!is_uuid(org_id) || !is_uuid(inviter_id))
		return (0);
	(void)snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_s);
	p[0] = org_id;
	p[1] = email;
	p[2] = role;
	p[3] = ttl;
	p[4] = inviter_id;
	return (inv_row(c, a, "inv_create", sql, 5, p, out));
}

int
store_inv_get(struct db_conn *c, struct arena *a, const char *id,
    struct invitation_rec *out)
{
	static const char sql[] =
	    "SELECT " I_COLS " FROM neon_auth.invitation i "
	    "WHERE i.id = $1::uuid";

	if (!is_uuid(id))
		return (0);
	return (inv_row(c, a, "inv_get", sql, 1, &id, out));
}

int
store_inv_pending(struct db_conn *c, struct arena *a, const char *org_id,
    const char *email, struct invitation_rec *out)
{
	static const char sql[] =
	    "SELECT " I_COLS " FROM neon_auth.invitation i "
	    "WHERE i.\"organizationId\" = $1::uuid AND i.email = $2 "
	    "AND i.status = 'pending' AND i.\"expiresAt\" > now() "
	    "ORDER BY i.\"createdAt\", i.id LIMIT 1";
	const char	*p[2];

	if (!is_uuid(org_id))
		return (0);
	p[0] = org_id;
	p[1] = email;
	return (inv_row(c, a, "inv_pending", sql, 2, p, out));
}

int
store_inv_pending_count(struct db_conn *c, struct arena *a,
    const char *org_id, int64_t *n)
{
	static const char sql[] =
	    "SELECT count(*) FROM neon_auth.invitation "
	    "WHERE \"organizationId\" = $1::uuid AND status = 'pending' "
	    "AND \"expiresAt\" > now()";

	*n = 0;
	if (!is_uuid(org_id))
		return (1);
	return (count_row(c, a, "inv_pending_count", sql, 1, &org_id, n));
}

int
store_inv_extend(struct db_conn *c, struct arena *a, const char *id,
    int64_t ttl_s, struct invitation_rec *out)
{
	static const char sql[] =
	    "UPDATE neon_auth.invitation AS i SET \"expiresAt\" = "
	    "now() + $2::bigint * interval '1 second' WHERE i.id = $1::uuid "
	    "RETURNING " I_COLS;
	const char	*p[2];
	char		 ttl[32];

	if (!is_uuid(id))
		return (0);
	(void)snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_s);
	p[0] = id;
	p[1] = ttl;
	return (inv_row(c, a, "inv_extend", sql, 2, p, out));
}

int
store_inv_set_status(struct db_conn *c, struct arena *a, const char *id,
    const char *status, const char *from_status, struct invitation_rec *out)
{
	static const char sql[] =
	    "UPDATE neon_auth.invitation AS i SET status = $2 "
	    "WHERE i.id = $1::uuid AND ($3::text IS NULL OR i.status = $3) "
	    "RETURNING " I_COLS;
	const char	*p[3];

	if (!is_uuid(id))
		return (0);
	p[0] = id;
	p[1] = status;
	p[2] = from_status;
	return (inv_row(c, a, "inv_set_status", sql, 3, p, out));
}

static int
inv_list(struct db_conn *c, struct arena *a, const char *name,
    const char *sql, const char *param, int with_org,
    struct invitation_rec **out, int *n)
{
	struct db_result	*res;
	int			 i;

	if ((res = db_exec(c, a, name, sql, 1, &param)) == NULL)
		return (-1);
	*n = db_ntuples(res);
	*out = arena_alloc(a, (size_t)(*n + 1) * sizeof(**out));
	for (i = 0; i < *n; i++) {
		fill_inv(a, res, i, 0, &(*out)[i]);
		if (with_org)
			(*out)[i].organization_name = nullable(res, i,
			    I_NCOLS);
	}
	return (1);
}

int
store_inv_list_org(struct db_conn *c, struct arena *a, const char *org_id,
    struct invitation_rec **out, int *n)
{
	static const char sql[] =
	    "SELECT " I_COLS " FROM neon_auth.invitation i "
	    "WHERE i.\"organizationId\" = $1::uuid "
	    "ORDER BY i.\"createdAt\", i.id";

	*out = NULL;
	*n = 0;
	if (!is_uuid(org_id))
		return (1);
	return (inv_list(c, a, "inv_list_org", sql, org_id, 0, out, n));
}

int
store_inv_list_email(struct db_conn *c, struct arena *a, const char *email,
    struct invitation_rec **out, int *n)
{
	static const char sql[] =
	    "SELECT " I_COLS ", o.name FROM neon_auth.invitation i "
	    "LEFT JOIN neon_auth.organization o ON o.id = i.\"organizationId\" "
	    "WHERE i.email = $1 AND i.status = 'pending' "
	    "ORDER BY i.\"createdAt\", i.id";

	*out = NULL;
	*n = 0;
	return (inv_list(c, a, "inv_list_email", sql, email, 1, out, n));
}

/* ------------------------------------------------------------ wire JSON */

/* the stored metadata as JSON (JSON.parse then JSON.stringify) */
static void
metadata_parsed(struct jbuf *b, const char *text)
{
	json_object	*o;
	int		 is_null;
	char		*s;

	o = json_parse(text, strlen(text), &is_null);
	if (o == NULL && !is_null) {
		jb_str(b, text);	/* not JSON: the text as it is */
		return;
	}
	s = json_dump(b->a, o);
	if (o != NULL)
		json_object_put(o);
	jb_raw(b, s, strlen(s));
}

void
org_write(struct jbuf *b, const struct org_rec *o, enum org_meta how,
    int open)
{
	jb_lit(b, "{\"name\":");
	jb_str(b, o->name);
	jb_lit(b, ",\"slug\":");
	jb_str(b, o->slug);
	jb_lit(b, ",\"logo\":");
	jb_str(b, o->logo);
	jb_lit(b, ",\"createdAt\":");
	jb_str(b, o->created_at);
	if (how == ORG_META_RAW) {
		jb_lit(b, ",\"metadata\":");
		jb_str(b, o->metadata);
	} else if (o->metadata != NULL) {
		jb_lit(b, ",\"metadata\":");
		metadata_parsed(b, o->metadata);
	}
	jb_lit(b, ",\"id\":");
	jb_str(b, o->id);
	if (!open)
		jb_lit(b, "}");
}

void
member_write(struct jbuf *b, const struct member_rec *m, int with_user)
{
	jb_lit(b, "{\"organizationId\":");
	jb_str(b, m->organization_id);
	jb_lit(b, ",\"userId\":");
	jb_str(b, m->user_id);
	jb_lit(b, ",\"role\":");
	jb_str(b, m->role);
	jb_lit(b, ",\"createdAt\":");
	jb_str(b, m->created_at);
	jb_lit(b, ",\"id\":");
	jb_str(b, m->id);
	if (with_user) {
		jb_lit(b, ",\"user\":{\"id\":");
		jb_str(b, m->user_id);
		jb_lit(b, ",\"name\":");
		jb_str(b, m->user_name);
		jb_lit(b, ",\"email\":");
		jb_str(b, m->user_email);
		jb_lit(b, ",\"image\":");
		jb_str(b, m->user_image);
		jb_lit(b, "}");
	}
	jb_lit(b, "}");
}

void
invitation_write(struct jbuf *b, const struct invitation_rec *i, int open)
{
	jb_lit(b, "{\"organizationId\":");
	jb_str(b, i->organization_id);
	jb_lit(b, ",\"email\":");
	jb_str(b, i->email);
	jb_lit(b, ",\"role\":");
	jb_str(b, i->role);
	jb_lit(b, ",\"status\":");
	jb_str(b, i->status);
	jb_lit(b, ",\"expiresAt\":");
	jb_str(b, i->expires_at);
	jb_lit(b, ",\"createdAt\":");
	jb_str(b, i->created_at);
	jb_lit(b, ",\"inviterId\":");
	jb_str(b, i->inviter_id);
	jb_lit(b, ",\"id\":");
	jb_str(b, i->id);
	if (!open)
		jb_lit(b, "}");
}
