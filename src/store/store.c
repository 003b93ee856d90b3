/*
 * store.c -- SQL for users, accounts and sessions (see store.h).
 *
 * Dates are formatted by PostgreSQL (to_char ... "MS"), truncated to the
 * millisecond like JS Dates, and written from C as ISO text, so what goes
 * in comes back byte for byte.  Sign-up is one statement (user, account
 * and session through data-modifying CTEs), so it is atomic without an
 * explicit transaction and costs one round trip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/crypto.h"
#include "store/db.h"
#include "lib/json.h"
#include "lib/log.h"
#include "store/store.h"
#include "lib/clock.h"

#define MS(x) "floor(extract(epoch from " x ") * 1000)::bigint"

/*
 * Timestamps come back as milliseconds since the epoch (truncated, as a
 * JS Date holds them) and are formatted here: cheaper than to_char in the
 * server on the hot path, and one source for both forms.
 */
#define U_COLS(u) \
	u ".id, " u ".name, " u ".email, " u ".\"emailVerified\", " \
	u ".image, " MS(u ".\"createdAt\"") ", " MS(u ".\"updatedAt\"") ", " \
	u ".role, " u ".banned, " u ".\"banReason\", " \
	MS(u ".\"banExpires\"")
#define U_NCOLS 11

#define S_COLS(s) \
	s ".id, " s ".token, " s ".\"userId\", " MS(s ".\"expiresAt\"") ", " \
	MS(s ".\"createdAt\"") ", " MS(s ".\"updatedAt\"") ", " \
	s ".\"ipAddress\", " s ".\"userAgent\", " s ".\"impersonatedBy\", " \
	s ".\"activeOrganizationId\""
#define S_NCOLS 10

/* run a statement; 1 when it changed (or returned) a row, 0 when not */
static int
exec_changed(struct db_conn *c, struct arena *a, const char *name,
    const char *sql, int n, const char *const *p)
{
	struct db_result	*res = db_exec(c, a, name, sql, n, p);

	if (res == NULL)
		return (-1);
	return (db_cmd_tuples(res) > 0 || db_ntuples(res) > 0);
}

int
store_begin(struct db_conn *c)
{
	return (db_begin(c));
}

int
store_commit(struct db_conn *c)
{
	return (db_commit(c));
}

void
store_rollback(struct db_conn *c)
{
	if (db_in_transaction(c))
		(void)db_rollback(c);
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

/* an ISO date from a milliseconds column; NULL stays NULL */
static const char *
iso_col(struct arena *a, const struct db_result *res, int row, int col,
    int64_t *ms)
{
	int64_t	 v;

	if (db_isnull(res, row, col)) {
		if (ms)
			*ms = 0;
		return (NULL);
	}
	v = i64(res, row, col);
	if (ms)
		*ms = v;
	return (clock_iso(a, v));
}

static void
fill_user(struct arena *a, const struct db_result *res, int row, int c,
    struct user_rec *u)
{
	u->id = db_getvalue(res, row, c);
	u->name = db_getvalue(res, row, c + 1);
	u->email = db_getvalue(res, row, c + 2);
	u->email_verified = db_getvalue(res, row, c + 3)[0] == 't';
	u->image = nullable(res, row, c + 4);
	u->created_at = iso_col(a, res, row, c + 5, NULL);
	u->updated_at = iso_col(a, res, row, c + 6, &u->updated_ms);
	u->role = nullable(res, row, c + 7);
	u->banned = db_isnull(res, row, c + 8) ? -1 :
	    db_getvalue(res, row, c + 8)[0] == 't';
	u->ban_reason = nullable(res, row, c + 9);
	u->ban_expires = iso_col(a, res, row, c + 10, NULL);
}

static void
fill_session(struct arena *a, const struct db_result *res, int row, int c,
    struct session_rec *s)
{
	s->id = db_getvalue(res, row, c);
	s->token = db_getvalue(res, row, c + 1);
	s->user_id = db_getvalue(res, row, c + 2);
	s->expires_at = iso_col(a, res, row, c + 3, &s->expires_ms);
	s->created_at = iso_col(a, res, row, c + 4, &s->created_ms);
	s->updated_at = iso_col(a, res, row, c + 5, &s->updated_ms);
	s->ip_address = db_getvalue(res, row, c + 6);
	s->user_agent = db_getvalue(res, row, c + 7);
	s->impersonated_by = nullable(res, row, c + 8);
	s->active_organization_id = nullable(res, row, c + 9);
}

/* run a statement returning at most one user row: 1 filled, 0 none, -1 */
static int
user_row(struct db_conn *c, struct arena *a, const char *name,
    const char *sql, int n, const char *const *p, struct user_rec *u)
{
	struct db_result	*res = db_exec(c, a, name, sql, n, p);

	if (res == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	fill_user(a, res, 0, 0, u);
	return (1);
}

/* the same for a session row (s may be NULL: not wanted) */
static int
session_row(struct db_conn *c, struct arena *a, const char *name,
    const char *sql, int n, const char *const *p, struct session_rec *s)
{
	struct db_result	*res = db_exec(c, a, name, sql, n, p);

	if (res == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	if (s != NULL)
		fill_session(a, res, 0, 0, s);
	return (1);
}

int
store_session_lookup(struct db_conn *c, struct arena *a, const char *token,
    struct session_rec *s, struct user_rec *u)
{
	static const char sql[] = "SELECT " S_COLS("s") ", " U_COLS("u")
	    " FROM neon_auth.session s JOIN neon_auth.\"user\" u"
	    " ON u.id = s.\"userId\" WHERE s.token = $1";
	const char		*p[1] = { token };
	struct db_result	*res;

	res = db_exec(c, a, "session_lookup", sql, 1, p);
	if (res == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	fill_session(a, res, 0, 0, s);
	fill_user(a, res, 0, S_NCOLS, u);
	return (1);
}

int
store_session_create(struct db_conn *c, struct arena *a, const char *user_id,
    const struct session_new *n, struct session_rec *out)
{
	static const char sql[] = "INSERT INTO neon_auth.session AS s"
	    " (token, \"userId\", \"expiresAt\", \"createdAt\", \"updatedAt\","
	    " \"ipAddress\", \"userAgent\") VALUES ($1, $2::uuid,"
	    " $3::timestamptz, $4::timestamptz, $4::timestamptz, $5, $6)"
	    " RETURNING " S_COLS("s");
	int64_t			 now = clock_now_ms();
	const char		*p[6];
	struct db_result	*res;

	p[0] = crypto_random_id(a);
	p[1] = user_id;
	p[2] = clock_iso(a, now + n->ttl_s * 1000);
	p[3] = clock_iso(a, now);
	p[4] = n->ip ? n->ip : "";
	p[5] = n->ua ? n->ua : "";
	if (p[0] == NULL)
		return (-1);
	res = db_exec(c, a, "session_create", sql, 6, p);
	if (res == NULL || db_ntuples(res) != 1)
		return (-1);
	fill_session(a, res, 0, 0, out);
	return (1);
}

int
store_session_extend(struct db_conn *c, struct arena *a, struct session_rec *s,
    int64_t expires_ms, int64_t now_ms)
{
	static const char sql[] = "UPDATE neon_auth.session AS s SET"
	    " \"expiresAt\" = $2::timestamptz, \"updatedAt\" = $3::timestamptz"
	    " WHERE token = $1 RETURNING " S_COLS("s");
	const char		*p[3];

	p[0] = s->token;
	p[1] = clock_iso(a, expires_ms);
	p[2] = clock_iso(a, now_ms);
	return (session_row(c, a, "session_extend", sql, 3, p, s));
}

int
store_session_delete(struct db_conn *c, struct arena *a, const char *token,
    struct session_rec *gone)
{
	static const char sql[] = "DELETE FROM neon_auth.session AS s"
	    " WHERE token = $1 RETURNING " S_COLS("s");
	const char		*p[1] = { token };

	return (session_row(c, a, "session_delete", sql, 1, p, gone));
}

int
store_session_list(struct db_conn *c, struct arena *a, const char *user_id,
    char **out)
{
	static const char sql[] = "SELECT " S_COLS("s")
	    " FROM neon_auth.session s WHERE s.\"userId\" = $1::uuid"
	    " AND s.\"expiresAt\" > $2::timestamptz"
	    " AND s.\"impersonatedBy\" IS NULL ORDER BY s.\"createdAt\"";
	const char		*p[2];
	struct db_result	*res;
	struct session_rec	 s;
	struct jbuf		 b;
	int			 i;

	p[0] = user_id;
	p[1] = clock_iso(a, clock_now_ms());
	res = db_exec(c, a, "session_list", sql, 2, p);
	if (res == NULL)
		return (-1);
	jb_init(&b, a, 512);
	jb_lit(&b, "[");
	for (i = 0; i < db_ntuples(res); i++) {
		if (i > 0)
			jb_lit(&b, ",");
		fill_session(a, res, i, 0, &s);
		session_write(&b, &s);
	}
	jb_lit(&b, "]");
	*out = jb_done(&b);
	return (1);
}

int
store_sessions_delete_user(struct db_conn *c, struct arena *a,
    const char *user_id, const char *keep_token, int only_live)
{
	static const char sql[] = "DELETE FROM neon_auth.session"
	    " WHERE \"userId\" = $1::uuid AND ($2::text IS NULL OR token <> $2)"
	    " AND (NOT $3::boolean OR \"expiresAt\" > now())";
	const char		*p[3];

	p[0] = user_id;
	p[1] = keep_token;
	p[2] = only_live ? "true" : "false";
	return (exec_changed(c, a, "sessions_delete_user", sql, 3, p) == -1 ?
	    -1 : 1);
}

int
store_user_by_email(struct db_conn *c, struct arena *a, const char *email,
    struct user_rec *u, const char **password_hash)
{
	static const char sql[] = "SELECT " U_COLS("u") ", a.password"
	    " FROM neon_auth.\"user\" u LEFT JOIN neon_auth.account a"
	    " ON a.\"userId\" = u.id AND a.\"providerId\" = 'credential'"
	    " AND a.\"accountId\" = u.id::text WHERE u.email = $1 LIMIT 1";
	const char		*p[1] = { email };
	struct db_result	*res;

	*password_hash = NULL;
	res = db_exec(c, a, "user_by_email", sql, 1, p);
	if (res == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	fill_user(a, res, 0, 0, u);
	*password_hash = nullable(res, 0, U_NCOLS);
	return (1);
}

int
store_password_of(struct db_conn *c, struct arena *a, const char *user_id,
    const char **password_hash)
{
	static const char sql[] = "SELECT password FROM neon_auth.account"
	    " WHERE \"userId\" = $1::uuid AND \"providerId\" = 'credential'"
	    " ORDER BY \"createdAt\" LIMIT 1";
	const char		*p[1] = { user_id };
	struct db_result	*res;

	*password_hash = NULL;
	res = db_exec(c, a, "password_of", sql, 1, p);
	if (res == NULL)
		return (-1);
	if (db_ntuples(res) == 0)
		return (0);
	*password_hash = nullable(res, 0, 0);
	return (1);
}

int
store_sign_up(struct db_conn *c, struct arena *a, const char *name,
    const char *email, const char *image, const char *password_hash,
    const char *role, const struct session_new *n, struct user_rec *u,
    struct session_rec *s)
{
	static const char sql[] =
	    "WITH nu AS (INSERT INTO neon_auth.\"user\" (name, email,"
	    " \"emailVerified\", image, \"createdAt\", \"updatedAt\", role,"
	    " banned) VALUES ($1, $2, false, $3, $4::timestamptz,"
	    " $4::timestamptz, $10, false) ON CONFLICT (email) DO NOTHING"
	    " RETURNING *),"
	    " na AS (INSERT INTO neon_auth.account (\"accountId\","
	    " \"providerId\", \"userId\", password, \"createdAt\", \"updatedAt\")"
	    " SELECT id::text, 'credential', id, $5, $4::timestamptz,"
	    " $4::timestamptz FROM nu RETURNING 1),"
	    " ns AS (INSERT INTO neon_auth.session (token, \"userId\","
	    " \"expiresAt\", \"createdAt\", \"updatedAt\", \"ipAddress\","
	    " \"userAgent\") SELECT $6, id, $7::timestamptz, $4::timestamptz,"
	    " $4::timestamptz, $8, $9 FROM nu WHERE $6::text IS NOT NULL"
	    " RETURNING *)"
	    " SELECT " U_COLS("u") ", " S_COLS("s")
	    " FROM nu u LEFT JOIN ns s ON true";
	int64_t			 now = clock_now_ms();
	const char		*p[10];
	struct db_result	*res;

	p[0] = name;
	p[1] = email;
	p[2] = image;
	p[3] = clock_iso(a, now);
	p[4] = password_hash;
	p[5] = n ? crypto_random_id(a) : NULL;
	p[6] = clock_iso(a, now + (n ? n->ttl_s : 0) * 1000);
	p[7] = n && n->ip ? n->ip : "";
	p[8] = n && n->ua ? n->ua : "";
	p[9] = role;
	res = db_exec(c, a, "sign_up", sql, 10, p);
	if (res == NULL) {
		/* a concurrent sign-up with the same email: taken */
		if (strcmp(db_sqlstate(c), "23505") == 0)
			return (0);
		return (-1);
	}
	if (db_ntuples(res) == 0)
		return (0);
	fill_user(a, res, 0, 0, u);
	if (n != NULL && !db_isnull(res, 0, U_NCOLS))
		fill_session(a, res, 0, U_NCOLS, s);
	return (1);
}

int
store_user_update(struct db_conn *c, struct arena *a, const char *user_id,
    const char *name, int set_image, const char *image, struct user_rec *u)
{
	static const char sql[] = "UPDATE neon_auth.\"user\" AS u SET"
	    " name = COALESCE($2, name),"
	    " image = CASE WHEN $3::boolean THEN $4 ELSE image END,"
	    " \"updatedAt\" = $5::timestamptz WHERE id = $1::uuid"
	    " RETURNING " U_COLS("u");
	const char		*p[5];

	p[0] = user_id;
	p[1] = name;
	p[2] = set_image ? "true" : "false";
	p[3] = image;
	p[4] = clock_iso(a, clock_now_ms());
	return (user_row(c, a, "user_update", sql, 5, p, u));
}

int
store_user_set_email(struct db_conn *c, struct arena *a, const char *user_id,
    const char *email, struct user_rec *u)
{
	static const char sql[] = "UPDATE neon_auth.\"user\" AS u SET"
	    " email = $2, \"emailVerified\" = false,"
	    " \"updatedAt\" = $3::timestamptz WHERE id = $1::uuid"
	    " RETURNING " U_COLS("u");
	const char		*p[3];
	int			 rc;

	p[0] = user_id;
	p[1] = email;
	p[2] = clock_iso(a, clock_now_ms());
	rc = user_row(c, a, "user_set_email", sql, 3, p, u);
	/* taken meanwhile: the unique constraint says so */
	if (rc == -1 && strcmp(db_sqlstate(c), "23505") == 0)
		return (0);
	return (rc);
}

int
store_password_set(struct db_conn *c, struct arena *a, const char *user_id,
    const char *hash)
{
	static const char sql[] = "UPDATE neon_auth.account SET password = $2,"
	    " \"updatedAt\" = $3::timestamptz WHERE \"userId\" = $1::uuid"
	    " AND \"providerId\" = 'credential'";
	const char		*p[3];

	p[0] = user_id;
	p[1] = hash;
	p[2] = clock_iso(a, clock_now_ms());
	return (exec_changed(c, a, "password_set", sql, 3, p));
}

int
store_user_delete(struct db_conn *c, struct arena *a, const char *user_id)
{
	const char		*p[1] = { user_id };

	/* accounts, sessions and memberships go with it (ON DELETE CASCADE) */
	return (exec_changed(c, a, "user_delete",
	    "DELETE FROM neon_auth.\"user\" WHERE id = $1::uuid", 1, p));
}

int
store_email_taken(struct db_conn *c, struct arena *a, const char *email)
{
	const char		*p[1] = { email };

	return (exec_changed(c, a, "email_taken",
	    "SELECT 1 FROM neon_auth.\"user\" WHERE email = $1", 1, p));
}

int
store_nfkc(struct db_conn *c, struct arena *a, const char *s, const char **out)
{
	const char		*p[1] = { s };
	struct db_result	*res;

	res = db_exec(c, a, "nfkc", "SELECT normalize($1, NFKC)", 1, p);
	if (res == NULL || db_ntuples(res) != 1)
		return (-1);
	*out = db_getvalue(res, 0, 0);
	return (1);
}

const char *
store_user_cols(void)
{
	return (U_COLS("u"));
}

void
store_user_fill(struct arena *a, const struct db_result *res, int row,
    int col, struct user_rec *u)
{
	fill_user(a, res, row, col, u);
}

const char *
store_session_cols(void)
{
	return (S_COLS("s"));
}

void
store_session_fill(struct arena *a, const struct db_result *res, int row,
    int col, struct session_rec *s)
{
	fill_session(a, res, row, col, s);
}

/* ---- users: what the email flows change (verification, reset, OTP) */

int
store_user_change_email(struct db_conn *c, struct arena *a,
    const char *user_id, const char *email, int verified, struct user_rec *u)
{
	static const char sql[] = "UPDATE neon_auth.\"user\" AS u SET"
	    " email = $2, \"emailVerified\" = $3::boolean,"
	    " \"updatedAt\" = $4::timestamptz WHERE id = $1::uuid"
	    " RETURNING " U_COLS("u");
	const char		*p[4];
	int			 rc;

	p[0] = user_id;
	p[1] = email;
	p[2] = verified ? "true" : "false";
	p[3] = clock_iso(a, clock_now_ms());
	rc = user_row(c, a, "user_change_email", sql, 4, p, u);
	if (rc == -1 && strcmp(db_sqlstate(c), "23505") == 0)
		return (0);
	return (rc);
}

int
store_user_create_verified(struct db_conn *c, struct arena *a,
    const char *email, const char *name, const char *image,
    struct user_rec *u)
{
	static const char sql[] = "INSERT INTO neon_auth.\"user\" AS u (name,"
	    " email, \"emailVerified\", image, \"createdAt\", \"updatedAt\","
	    " role, banned) VALUES ($1, $2, true, $3, $4::timestamptz,"
	    " $4::timestamptz, 'user', false) ON CONFLICT (email) DO NOTHING"
	    " RETURNING " U_COLS("u");
	const char		*p[4];
	int			 rc;

	p[0] = name;
	p[1] = email;
	p[2] = image;
	p[3] = clock_iso(a, clock_now_ms());
	rc = user_row(c, a, "user_create_verified", sql, 4, p, u);
	if (rc == -1 && strcmp(db_sqlstate(c), "23505") == 0)
		return (0);
	return (rc);
}

int
store_user_revoke_unproven(struct db_conn *c, struct arena *a,
    const char *user_id, struct user_rec *u)
{
	/* one statement: nothing a pre-proof account accrued survives */
	static const char sql[] = "WITH u0 AS (SELECT id FROM"
	    " neon_auth.\"user\" WHERE id = $1::uuid AND NOT \"emailVerified\""
	    " FOR UPDATE),"
	    " da AS (DELETE FROM neon_auth.account x USING u0"
	    " WHERE x.\"userId\" = u0.id),"
	    " ds AS (DELETE FROM neon_auth.session x USING u0"
	    " WHERE x.\"userId\" = u0.id)"
	    " UPDATE neon_auth.\"user\" AS u SET \"emailVerified\" = true,"
	    " \"updatedAt\" = $2::timestamptz FROM u0 WHERE u.id = u0.id"
	    " RETURNING " U_COLS("u");
	const char		*p[2];
	int			 rc;

	p[0] = user_id;
	p[1] = clock_iso(a, clock_now_ms());
	if ((rc = user_row(c, a, "user_revoke_unproven", sql, 2, p, u)) != 0)
		return (rc);
	/* verified meanwhile (or gone): the row as it is now */
	return (user_row(c, a, "user_by_id_unproven", "SELECT " U_COLS("u")
	    " FROM neon_auth.\"user\" u WHERE u.id = $1::uuid", 1, p, u));
}

int
store_credential_set(struct db_conn *c, struct arena *a, const char *user_id,
    const char *hash)
{
	static const char sql[] = "WITH up AS (UPDATE neon_auth.account SET"
	    " password = $2, \"updatedAt\" = $3::timestamptz"
	    " WHERE \"userId\" = $1::uuid AND \"providerId\" = 'credential'"
	    " RETURNING 1)"
	    " INSERT INTO neon_auth.account (\"accountId\", \"providerId\","
	    " \"userId\", password, \"createdAt\", \"updatedAt\")"
	    " SELECT $1::text, 'credential', $1::uuid, $2, $3::timestamptz,"
	    " $3::timestamptz WHERE NOT EXISTS (SELECT 1 FROM up)";
	const char		*p[3];

	p[0] = user_id;
	p[1] = hash;
	p[2] = clock_iso(a, clock_now_ms());
	return (db_exec(c, a, "credential_set", sql, 3, p) == NULL ? -1 : 1);
}
