/*
 * store_import.c -- reading other auth databases and writing neon_auth
 * (see store_import.h).
 *
 * Readers are SQL templates over the source's tables: "{S}" is the quoted
 * schema, "{opt:table.column:fallback}" the column when the source has it
 * (Better Auth's plugin columns, newer Supabase columns) and the fallback
 * expression otherwise.  Each batch is one statement on each side: the
 * source answers json_agg of at most `limit` rows after the last id (in
 * byte order), the target takes the array as one jsonb parameter through
 * jsonb_to_recordset and upserts it while mapping ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/store_import.h"

static const char *const kind_names[IK__COUNT] = {
	[IK_USER] = "user",
	[IK_ACCOUNT] = "account",
	[IK_ORGANIZATION] = "organization",
	[IK_MEMBER] = "member",
	[IK_INVITATION] = "invitation",
	[IK_SESSION] = "session",
	[IK_METADATA] = "metadata",
};

const char *
import_kind_name(enum import_kind k)
{
	return (k < IK__COUNT ? kind_names[k] : "?");
}

/* ---- readers --------------------------------------------------------- */

/*
 * Better Auth (text ids) and Neon Auth (uuid ids) share the column names;
 * ids are read as text either way.
 */
static const char *const ba_read[IK__COUNT] = {
	[IK_USER] =
	    "SELECT t.id::text AS id, t.name, t.email, t.\"emailVerified\","
	    " t.image, t.\"createdAt\", t.\"updatedAt\","
	    " {opt:user.role:NULL::text} AS role,"
	    " {opt:user.banned:NULL::boolean} AS banned,"
	    " {opt:user.banReason:NULL::text} AS \"banReason\","
	    " {opt:user.banExpires:NULL::timestamptz} AS \"banExpires\","
	    " {opt:user.phoneNumber:NULL::text} AS \"phoneNumber\","
	    " {opt:user.phoneNumberVerified:NULL::boolean}"
	    " AS \"phoneNumberVerified\""
	    " FROM {S}.\"user\" t",
	[IK_ACCOUNT] =
	    "SELECT t.id::text AS id, t.\"accountId\"::text AS \"accountId\","
	    " t.\"providerId\", t.\"userId\"::text AS \"userId\","
	    " t.\"accessToken\", t.\"refreshToken\", t.\"idToken\","
	    " t.\"accessTokenExpiresAt\", t.\"refreshTokenExpiresAt\","
	    " t.scope, t.password, t.\"createdAt\", t.\"updatedAt\""
	    " FROM {S}.account t",
	[IK_ORGANIZATION] =
	    "SELECT t.id::text AS id, t.name, t.slug, t.logo, t.\"createdAt\","
	    " t.metadata::text AS metadata FROM {S}.organization t",
	[IK_MEMBER] =
	    "SELECT t.id::text AS id,"
	    " t.\"organizationId\"::text AS \"organizationId\","
	    " t.\"userId\"::text AS \"userId\", t.role, t.\"createdAt\""
	    " FROM {S}.member t",
	[IK_INVITATION] =
	    "SELECT t.id::text AS id,"
	    " t.\"organizationId\"::text AS \"organizationId\", t.email,"
	    " t.role, t.status, t.\"expiresAt\", t.\"createdAt\","
	    " t.\"inviterId\"::text AS \"inviterId\" FROM {S}.invitation t",
	[IK_SESSION] =
	    "SELECT t.id::text AS id, t.\"expiresAt\", t.token, t.\"createdAt\","
	    " t.\"updatedAt\", t.\"ipAddress\", t.\"userAgent\","
	    " t.\"userId\"::text AS \"userId\","
	    " {opt:session.activeOrganizationId:NULL::text}::text"
	    " AS \"activeOrganizationId\","
	    " {opt:session.impersonatedBy:NULL::text}::text"
	    " AS \"impersonatedBy\" FROM {S}.session t",
};

/*
 * Supabase Auth (auth.users, auth.identities): users become Better Auth
 * users, a password becomes a credential account, identities other than
 * "email" social accounts (azure is Microsoft), the rest goes to
 * neon_auth.user_metadata.  Users without an email (phone only) stay out.
 */
static const char *const sb_read[IK__COUNT] = {
	[IK_USER] =
	    "SELECT u.id::text AS id, coalesce("
	    "nullif(u.raw_user_meta_data->>'full_name', ''),"
	    " nullif(u.raw_user_meta_data->>'name', ''),"
	    " split_part(u.email, '@', 1)) AS name,"
	    " lower(u.email) AS email,"
	    " (u.email_confirmed_at IS NOT NULL) AS \"emailVerified\","
	    " coalesce(u.raw_user_meta_data->>'avatar_url',"
	    " u.raw_user_meta_data->>'picture') AS image,"
	    " u.created_at AS \"createdAt\","
	    " coalesce(u.updated_at, u.created_at) AS \"updatedAt\","
	    " 'user'::text AS role,"
	    " coalesce({opt:users.banned_until:NULL::timestamptz} > now(),"
	    " false) AS banned, NULL::text AS \"banReason\","
	    " {opt:users.banned_until:NULL::timestamptz} AS \"banExpires\","
	    " CASE WHEN {opt:users.phone:NULL::text} <> '' THEN '+' ||"
	    " ltrim({opt:users.phone:NULL::text}, '+') END AS \"phoneNumber\","
	    " ({opt:users.phone_confirmed_at:NULL::timestamptz} IS NOT NULL)"
	    " AS \"phoneNumberVerified\""
	    " FROM {S}.users u WHERE u.email IS NOT NULL AND u.email <> ''"
	    " AND {opt:users.deleted_at:NULL::timestamptz} IS NULL",
	[IK_ACCOUNT] =
	    "SELECT 'password:' || u.id::text AS id, u.id::text AS \"accountId\","
	    " 'credential'::text AS \"providerId\", u.id::text AS \"userId\","
	    " NULL::text AS \"accessToken\", NULL::text AS \"refreshToken\","
	    " NULL::text AS \"idToken\","
	    " NULL::timestamptz AS \"accessTokenExpiresAt\","
	    " NULL::timestamptz AS \"refreshTokenExpiresAt\","
	    " NULL::text AS scope, u.encrypted_password AS password,"
	    " u.created_at AS \"createdAt\","
	    " coalesce(u.updated_at, u.created_at) AS \"updatedAt\""
	    " FROM {S}.users u WHERE u.email IS NOT NULL AND u.email <> ''"
	    " AND coalesce(u.encrypted_password, '') <> ''"
	    " AND {opt:users.deleted_at:NULL::timestamptz} IS NULL"
	    " UNION ALL "
	    "SELECT 'identity:' || i.id::text,"
	    " coalesce({opt:identities.provider_id:NULL::text},"
	    " i.identity_data->>'sub'),"
	    " CASE i.provider WHEN 'azure' THEN 'microsoft' ELSE i.provider END,"
	    " i.user_id::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
	    " i.created_at, coalesce(i.updated_at, i.created_at)"
	    " FROM {S}.identities i JOIN {S}.users u ON u.id = i.user_id"
	    " WHERE i.provider <> 'email' AND u.email IS NOT NULL"
	    " AND u.email <> ''",
	[IK_METADATA] =
	    "SELECT u.id::text AS id, u.id::text AS \"userId\","
	    " coalesce(u.raw_user_meta_data, '{}'::jsonb) AS user_metadata,"
	    " coalesce(u.raw_app_meta_data, '{}'::jsonb) AS app_metadata,"
	    " nullif(u.phone, '') AS phone,"
	    " u.phone_confirmed_at AS phone_confirmed_at"
	    " FROM {S}.users u WHERE u.email IS NOT NULL AND u.email <> ''"
	    " AND {opt:users.deleted_at:NULL::timestamptz} IS NULL",
};

/* the table a reader needs (0 when it is absent: the kind is skipped) */
static const char *const ba_table[IK__COUNT] = {
	[IK_USER] = "user", [IK_ACCOUNT] = "account",
	[IK_ORGANIZATION] = "organization", [IK_MEMBER] = "member",
	[IK_INVITATION] = "invitation", [IK_SESSION] = "session",
};
static const char *const sb_table[IK__COUNT] = {
	[IK_USER] = "users", [IK_ACCOUNT] = "users", [IK_METADATA] = "users",
};

/* what store_import_reader prepared, per kind (the command's lifetime) */
static char	*prepared[IK__COUNT];

/* 1 when schema.table(.column) exists on c, 0 not, -1 error */
static int
exists(struct db_conn *c, struct arena *a, const char *schema,
    const char *table, const char *column)
{
	const char		*p[3] = { schema, table, column };
	struct db_result	*res;

	res = db_exec(c, a, NULL, column == NULL ?
	    "SELECT 1 FROM information_schema.tables"
	    " WHERE table_schema = $1 AND table_name = $2" :
	    "SELECT 1 FROM information_schema.columns"
	    " WHERE table_schema = $1 AND table_name = $2"
	    " AND column_name = $3", column == NULL ? 2 : 3, p);
	if (res == NULL)
		return (-1);
	return (db_ntuples(res) > 0);
}

/* expand {S} and {opt:table.column:fallback}; NULL on a database error */
static char *
expand(struct db_conn *c, struct arena *a, const char *schema,
    const char *qschema, const char *tmpl)
{
	size_t		 cap = strlen(tmpl) * 2 + 256, n = 0, l;
	char		*out = arena_alloc(a, cap), *spec, *dot, *colon;
	const char	*p = tmpl, *end, *piece;
	int		 rc;

	while (*p != '\0') {
		if (strncmp(p, "{S}", 3) == 0) {
			piece = qschema;
			l = strlen(piece);
			p += 3;
		} else if (strncmp(p, "{opt:", 5) == 0 &&
		    (end = strchr(p, '}')) != NULL) {
			spec = arena_strndup(a, p + 5, (size_t)(end - p - 5));
			dot = strchr(spec, '.');
			colon = dot ? strchr(dot, ':') : NULL;
			if (dot == NULL || colon == NULL)
				return (NULL);
			*dot = *colon = '\0';
			rc = exists(c, a, schema, spec, dot + 1);
			if (rc == -1)
				return (NULL);
			piece = rc ? arena_printf(a, "\"%s\"", dot + 1) :
			    colon + 1;
			l = strlen(piece);
			p = end + 1;
		} else {
			piece = p;
			l = 1;
			p++;
		}
		if (n + l + 1 > cap) {
			char	*nb;

			cap = (n + l + 1) * 2;
			nb = arena_alloc(a, cap);
			memcpy(nb, out, n);
			out = nb;
		}
		memcpy(out + n, piece, l);
		n += l;
	}
	out[n] = '\0';
	return (out);
}

int
store_import_reader(struct db_conn *src, struct arena *a,
    enum import_source from, const char *schema, enum import_kind k,
    int64_t *total)
{
	const char		*tmpl, *table;
	char			*q, *body, *sql;
	struct db_result	*res;
	int			 rc;

	*total = 0;
	free(prepared[k]);
	prepared[k] = NULL;
	tmpl = from == IMPORT_SUPABASE ? sb_read[k] : ba_read[k];
	table = from == IMPORT_SUPABASE ? sb_table[k] : ba_table[k];
	if (tmpl == NULL || table == NULL)
		return (0);
	if ((rc = exists(src, a, schema, table, NULL)) != 1)
		return (rc);
	if (from == IMPORT_SUPABASE && k == IK_ACCOUNT &&
	    (rc = exists(src, a, schema, "identities", NULL)) != 1)
		return (rc == -1 ? -1 : 0);
	if ((q = db_quote_ident(src, a, schema)) == NULL ||
	    (body = expand(src, a, schema, q, tmpl)) == NULL)
		return (-1);
	sql = arena_printf(a, "SELECT count(*) FROM (%s) x", body);
	if ((res = db_exec(src, a, NULL, sql, 0, NULL)) == NULL)
		return (-1);
	*total = strtoll(db_getvalue(res, 0, 0), NULL, 10);
	/* keyset pages in byte order of the source id */
	sql = arena_printf(a, "SELECT coalesce(json_agg(x ORDER BY x.id COLLATE"
	    " \"C\"), '[]')::text, max(x.id COLLATE \"C\"), count(*) FROM"
	    " (SELECT * FROM (%s) y WHERE y.id COLLATE \"C\" > $1"
	    " ORDER BY y.id COLLATE \"C\" LIMIT $2::int) x", body);
	if ((prepared[k] = strdup(sql)) == NULL)
		return (-1);
	return (1);
}

int
store_import_batch(struct db_conn *src, struct arena *a,
    enum import_source from, enum import_kind k, int limit, char **after,
    char **json, int *n)
{
	struct db_result	*res;
	const char		*p[2];
	char			 lim[16];

	(void)from;
	*n = 0;
	*json = NULL;
	if (prepared[k] == NULL)
		return (1);
	snprintf(lim, sizeof(lim), "%d", limit);
	p[0] = *after;
	p[1] = lim;
	if ((res = db_exec(src, a, NULL, prepared[k], 2, p)) == NULL)
		return (-1);
	*n = (int)strtol(db_getvalue(res, 0, 2), NULL, 10);
	*json = arena_strdup(a, db_getvalue(res, 0, 0));
	if (*n > 0)
		*after = arena_strdup(a, db_getvalue(res, 0, 1));
	return (1);
}

/* ---- checks ------------------------------------------------------------ */

struct check {
	const char	*table;		/* needs this table */
	const char	*sql;		/* one row: id, what */
	const char	*label;		/* "table row %s, column c: %s" */
};

static const struct check ba_checks[] = {
	{ "user", "SELECT string_agg(t.id::text, ', ' ORDER BY t.id::text),"
	    " lower(t.email) FROM {S}.\"user\" t GROUP BY lower(t.email)"
	    " HAVING count(*) > 1 LIMIT 1",
	    "user rows %s, column email: one address (%s) for two users" },
	{ "account", "SELECT t.id::text, t.\"userId\"::text FROM {S}.account t"
	    " WHERE NOT EXISTS (SELECT 1 FROM {S}.\"user\" u"
	    " WHERE u.id = t.\"userId\") LIMIT 1",
	    "account row %s, column userId: no user %s" },
	{ "account", "SELECT t.id::text, left(t.password, 8) || '...'"
	    " FROM {S}.account t WHERE t.password IS NOT NULL AND NOT ("
	    " t.password ~ '^[0-9a-f]{32}:[0-9a-f]{128}$' OR"
	    " t.password ~ '^\\$2[aby]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}$')"
	    " LIMIT 1",
	    "account row %s, column password: unknown password hash format "
	    "(%s); scrypt (Better Auth) and bcrypt are understood" },
	{ "session", "SELECT t.id::text, t.\"userId\"::text FROM {S}.session t"
	    " WHERE NOT EXISTS (SELECT 1 FROM {S}.\"user\" u"
	    " WHERE u.id = t.\"userId\") LIMIT 1",
	    "session row %s, column userId: no user %s" },
	{ "member", "SELECT t.id::text, t.\"organizationId\"::text"
	    " FROM {S}.member t WHERE NOT EXISTS (SELECT 1 FROM"
	    " {S}.organization o WHERE o.id = t.\"organizationId\") LIMIT 1",
	    "member row %s, column organizationId: no organization %s" },
	{ "member", "SELECT t.id::text, t.\"userId\"::text FROM {S}.member t"
	    " WHERE NOT EXISTS (SELECT 1 FROM {S}.\"user\" u"
	    " WHERE u.id = t.\"userId\") LIMIT 1",
	    "member row %s, column userId: no user %s" },
	{ "invitation", "SELECT t.id::text, t.\"organizationId\"::text"
	    " FROM {S}.invitation t WHERE NOT EXISTS (SELECT 1 FROM"
	    " {S}.organization o WHERE o.id = t.\"organizationId\") LIMIT 1",
	    "invitation row %s, column organizationId: no organization %s" },
	{ "invitation", "SELECT t.id::text, t.\"inviterId\"::text"
	    " FROM {S}.invitation t WHERE NOT EXISTS (SELECT 1 FROM"
	    " {S}.\"user\" u WHERE u.id = t.\"inviterId\") LIMIT 1",
	    "invitation row %s, column inviterId: no user %s" },
	{ "organization", "SELECT string_agg(t.id::text, ', '), t.slug"
	    " FROM {S}.organization t GROUP BY t.slug HAVING count(*) > 1"
	    " LIMIT 1",
	    "organization rows %s, column slug: one slug (%s) twice" },
	{ NULL, NULL, NULL }
};

static const struct check sb_checks[] = {
	{ "users", "SELECT string_agg(u.id::text, ', ' ORDER BY u.id::text),"
	    " lower(u.email) FROM {S}.users u WHERE u.email IS NOT NULL"
	    " AND u.email <> '' GROUP BY lower(u.email) HAVING count(*) > 1"
	    " LIMIT 1",
	    "users rows %s, column email: one address (%s) for two users" },
	{ "users", "SELECT u.id::text, left(u.encrypted_password, 8) || '...'"
	    " FROM {S}.users u WHERE coalesce(u.encrypted_password, '') <> ''"
	    " AND u.encrypted_password !~"
	    " '^\\$2[aby]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}$' LIMIT 1",
	    "users row %s, column encrypted_password: unknown password hash "
	    "format (%s); bcrypt is understood" },
	{ "identities", "SELECT i.id::text, i.user_id::text FROM"
	    " {S}.identities i WHERE NOT EXISTS (SELECT 1 FROM {S}.users u"
	    " WHERE u.id = i.user_id) LIMIT 1",
	    "identities row %s, column user_id: no user %s" },
	{ NULL, NULL, NULL }
};

int
store_import_check(struct db_conn *src, struct arena *a,
    enum import_source from, const char *schema, char **problem)
{
	const struct check	*ck;
	struct db_result	*res;
	char			*q, *sql;
	int			 rc;

	*problem = NULL;
	if ((q = db_quote_ident(src, a, schema)) == NULL)
		return (-1);
	for (ck = from == IMPORT_SUPABASE ? sb_checks : ba_checks;
	    ck->table != NULL; ck++) {
		if ((rc = exists(src, a, schema, ck->table, NULL)) == -1)
			return (-1);
		if (rc == 0)
			continue;
		if ((sql = expand(src, a, schema, q, ck->sql)) == NULL ||
		    (res = db_exec(src, a, NULL, sql, 0, NULL)) == NULL)
			return (-1);
		if (db_ntuples(res) > 0) {
			*problem = arena_printf(a, ck->label,
			    db_getvalue(res, 0, 0), db_getvalue(res, 0, 1));
			return (1);
		}
	}
	return (1);
}

/* ---- writers ------------------------------------------------------------ */

/*
 * Each writer: $1 the batch, $2 the source tag.  It answers (written,
 * merged, unmapped).  "m" maps every row to its uuid here: the map entry of
 * an earlier run, else the row that is already there (merged), else the
 * source id when it is a uuid nobody uses, else a new one.
 */
#define UUID_RE	"'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-" \
		"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'"
#define MAPPED(tbl, kind, col) \
	" LEFT JOIN neon_auth.import_id_map " tbl " ON " tbl ".source = $2" \
	" AND " tbl ".kind = '" kind "' AND " tbl ".source_id = " col
#define NEW_ID(existing, table) \
	"coalesce(im.id, " existing ", CASE WHEN s.id ~ " UUID_RE \
	" AND NOT EXISTS (SELECT 1 FROM neon_auth." table " z" \
	" WHERE z.id = s.id::uuid) THEN s.id::uuid END, gen_random_uuid())"
#define MAP_SAVE(kind) \
	" mp AS (INSERT INTO neon_auth.import_id_map (source, kind," \
	" source_id, id) SELECT $2, '" kind "', id, nid FROM m" \
	" ON CONFLICT (source, kind, source_id) DO UPDATE SET id = EXCLUDED.id," \
	" imported_at = now() RETURNING 1)"
#define COUNTS \
	" SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM m" \
	" WHERE merged), (SELECT count(*) FROM src) - (SELECT count(*) FROM m)"

static const char *const writers[IK__COUNT] = {
	[IK_USER] =
	    "WITH src AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text,"
	    " name text, email text, \"emailVerified\" boolean, image text,"
	    " \"createdAt\" timestamptz, \"updatedAt\" timestamptz, role text,"
	    " banned boolean, \"banReason\" text, \"banExpires\" timestamptz,"
	    " \"phoneNumber\" text, \"phoneNumberVerified\" boolean)),"
	    " m AS (SELECT s.*, " NEW_ID("u.id", "\"user\"") " AS nid,"
	    " (im.id IS NULL AND u.id IS NOT NULL) AS merged FROM src s"
	    MAPPED("im", "user", "s.id")
	    " LEFT JOIN neon_auth.\"user\" u ON u.email = lower(s.email)),"
	    " up AS (INSERT INTO neon_auth.\"user\" AS t (id, name, email,"
	    " \"emailVerified\", image, \"createdAt\", \"updatedAt\", role,"
	    " banned, \"banReason\", \"banExpires\", \"phoneNumber\","
	    " \"phoneNumberVerified\") SELECT nid, name,"
	    " lower(email), coalesce(\"emailVerified\", false), image,"
	    " coalesce(\"createdAt\", now()), coalesce(\"updatedAt\", now()),"
	    " coalesce(role, 'user'), coalesce(banned, false), \"banReason\","
	    " \"banExpires\", CASE WHEN NOT EXISTS (SELECT 1 FROM"
	    " neon_auth.\"user\" z WHERE z.\"phoneNumber\" = m.\"phoneNumber\""
	    " AND z.id <> m.nid) THEN m.\"phoneNumber\" END,"
	    " m.\"phoneNumberVerified\" FROM m ON CONFLICT (id) DO UPDATE SET"
	    " name = EXCLUDED.name, email = EXCLUDED.email,"
	    " \"emailVerified\" = t.\"emailVerified\" OR"
	    " EXCLUDED.\"emailVerified\", image = EXCLUDED.image,"
	    " \"createdAt\" = least(t.\"createdAt\", EXCLUDED.\"createdAt\"),"
	    " \"updatedAt\" = EXCLUDED.\"updatedAt\", role = EXCLUDED.role,"
	    " banned = EXCLUDED.banned, \"banReason\" = EXCLUDED.\"banReason\","
	    " \"banExpires\" = EXCLUDED.\"banExpires\","
	    " \"phoneNumber\" = coalesce(EXCLUDED.\"phoneNumber\","
	    " t.\"phoneNumber\"), \"phoneNumberVerified\" ="
	    " coalesce(EXCLUDED.\"phoneNumberVerified\","
	    " t.\"phoneNumberVerified\") RETURNING 1),"
	    MAP_SAVE("user") COUNTS,
	[IK_ACCOUNT] =
	    "WITH src AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text,"
	    " \"accountId\" text, \"providerId\" text, \"userId\" text,"
	    " \"accessToken\" text, \"refreshToken\" text, \"idToken\" text,"
	    " \"accessTokenExpiresAt\" timestamptz,"
	    " \"refreshTokenExpiresAt\" timestamptz, scope text, password text,"
	    " \"createdAt\" timestamptz, \"updatedAt\" timestamptz)),"
	    " s1 AS (SELECT s.*, mu.id AS uid, CASE WHEN s.\"providerId\" ="
	    " 'credential' THEN mu.id::text ELSE s.\"accountId\" END AS acc"
	    " FROM src s JOIN neon_auth.import_id_map mu ON mu.source = $2"
	    " AND mu.kind = 'user' AND mu.source_id = s.\"userId\"),"
	    " m AS (SELECT s.*, coalesce(im.id, ex.id, gen_random_uuid()) AS nid,"
	    " (im.id IS NULL AND ex.id IS NOT NULL) AS merged FROM s1 s"
	    MAPPED("im", "account", "s.id")
	    " LEFT JOIN LATERAL (SELECT a.id FROM neon_auth.account a WHERE"
	    " a.\"providerId\" = s.\"providerId\" AND a.\"accountId\" = s.acc"
	    " ORDER BY a.\"createdAt\" LIMIT 1) ex ON true),"
	    " up AS (INSERT INTO neon_auth.account AS t (id, \"accountId\","
	    " \"providerId\", \"userId\", \"accessToken\", \"refreshToken\","
	    " \"idToken\", \"accessTokenExpiresAt\", \"refreshTokenExpiresAt\","
	    " scope, password, \"createdAt\", \"updatedAt\") SELECT nid, acc,"
	    " \"providerId\", uid, \"accessToken\", \"refreshToken\", \"idToken\","
	    " \"accessTokenExpiresAt\", \"refreshTokenExpiresAt\", scope,"
	    " password, coalesce(\"createdAt\", now()),"
	    " coalesce(\"updatedAt\", now()) FROM m ON CONFLICT (id) DO UPDATE"
	    " SET \"accountId\" = EXCLUDED.\"accountId\", \"userId\" ="
	    " EXCLUDED.\"userId\", \"accessToken\" = EXCLUDED.\"accessToken\","
	    " \"refreshToken\" = EXCLUDED.\"refreshToken\", \"idToken\" ="
	    " EXCLUDED.\"idToken\", \"accessTokenExpiresAt\" ="
	    " EXCLUDED.\"accessTokenExpiresAt\", \"refreshTokenExpiresAt\" ="
	    " EXCLUDED.\"refreshTokenExpiresAt\", scope = EXCLUDED.scope,"
	    " password = coalesce(EXCLUDED.password, t.password),"
	    " \"updatedAt\" = EXCLUDED.\"updatedAt\" RETURNING 1),"
	    MAP_SAVE("account") COUNTS,
	[IK_ORGANIZATION] =
	    "WITH src AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text,"
	    " name text, slug text, logo text, \"createdAt\" timestamptz,"
	    " metadata text)),"
	    " m AS (SELECT s.*, " NEW_ID("o.id", "organization") " AS nid,"
	    " (im.id IS NULL AND o.id IS NOT NULL) AS merged FROM src s"
	    MAPPED("im", "organization", "s.id")
	    " LEFT JOIN neon_auth.organization o ON o.slug = s.slug),"
	    " up AS (INSERT INTO neon_auth.organization AS t (id, name, slug,"
	    " logo, \"createdAt\", metadata) SELECT nid, name, slug, logo,"
	    " coalesce(\"createdAt\", now()), metadata FROM m ON CONFLICT (id)"
	    " DO UPDATE SET name = EXCLUDED.name, slug = EXCLUDED.slug,"
	    " logo = EXCLUDED.logo, metadata = EXCLUDED.metadata RETURNING 1),"
	    MAP_SAVE("organization") COUNTS,
	[IK_MEMBER] =
	    "WITH src AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text,"
	    " \"organizationId\" text, \"userId\" text, role text,"
	    " \"createdAt\" timestamptz)),"
	    " s1 AS (SELECT s.*, mo.id AS oid, mu.id AS uid FROM src s"
	    " JOIN neon_auth.import_id_map mo ON mo.source = $2 AND"
	    " mo.kind = 'organization' AND mo.source_id = s.\"organizationId\""
	    " JOIN neon_auth.import_id_map mu ON mu.source = $2 AND"
	    " mu.kind = 'user' AND mu.source_id = s.\"userId\"),"
	    " m AS (SELECT s.*, coalesce(im.id, ex.id, gen_random_uuid()) AS nid,"
	    " (im.id IS NULL AND ex.id IS NOT NULL) AS merged FROM s1 s"
	    MAPPED("im", "member", "s.id")
	    " LEFT JOIN neon_auth.member ex ON ex.\"organizationId\" = s.oid"
	    " AND ex.\"userId\" = s.uid),"
	    " up AS (INSERT INTO neon_auth.member AS t (id, \"organizationId\","
	    " \"userId\", role, \"createdAt\") SELECT nid, oid, uid, role,"
	    " coalesce(\"createdAt\", now()) FROM m ON CONFLICT (id) DO UPDATE"
	    " SET role = EXCLUDED.role RETURNING 1),"
	    MAP_SAVE("member") COUNTS,
	[IK_INVITATION] =
	    "WITH src AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text,"
	    " \"organizationId\" text, email text, role text, status text,"
	    " \"expiresAt\" timestamptz, \"createdAt\" timestamptz,"
	    " \"inviterId\" text)),"
	    " s1 AS (SELECT s.*, mo.id AS oid, mu.id AS uid FROM src s"
	    " JOIN neon_auth.import_id_map mo ON mo.source = $2 AND"
	    " mo.kind = 'organization' AND mo.source_id = s.\"organizationId\""
	    " JOIN neon_auth.import_id_map mu ON mu.source = $2 AND"
	    " mu.kind = 'user' AND mu.source_id = s.\"inviterId\"),"
	    " m AS (SELECT s.*, coalesce(im.id, gen_random_uuid()) AS nid,"
	    " false AS merged FROM s1 s" MAPPED("im", "invitation", "s.id") "),"
	    " up AS (INSERT INTO neon_auth.invitation AS t (id, \"organizationId\","
	    " email, role, status, \"expiresAt\", \"createdAt\", \"inviterId\")"
	    " SELECT nid, oid, lower(email), role, status, \"expiresAt\","
	    " coalesce(\"createdAt\", now()), uid FROM m ON CONFLICT (id) DO"
	    " UPDATE SET status = EXCLUDED.status, role = EXCLUDED.role,"
	    " \"expiresAt\" = EXCLUDED.\"expiresAt\" RETURNING 1),"
	    MAP_SAVE("invitation") COUNTS,
	[IK_SESSION] =
	    "WITH src AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text,"
	    " \"expiresAt\" timestamptz, token text, \"createdAt\" timestamptz,"
	    " \"updatedAt\" timestamptz, \"ipAddress\" text, \"userAgent\" text,"
	    " \"userId\" text, \"activeOrganizationId\" text,"
	    " \"impersonatedBy\" text)),"
	    " s1 AS (SELECT s.*, mu.id AS uid, mo.id::text AS org,"
	    " mi.id::text AS imp FROM src s JOIN neon_auth.import_id_map mu"
	    " ON mu.source = $2 AND mu.kind = 'user' AND mu.source_id ="
	    " s.\"userId\"" MAPPED("mo", "organization",
	    "s.\"activeOrganizationId\"") MAPPED("mi", "user",
	    "s.\"impersonatedBy\"") " WHERE s.\"expiresAt\" > now()),"
	    " m AS (SELECT s.*, coalesce(im.id, ex.id, gen_random_uuid()) AS nid,"
	    " (im.id IS NULL AND ex.id IS NOT NULL) AS merged FROM s1 s"
	    MAPPED("im", "session", "s.id")
	    " LEFT JOIN neon_auth.session ex ON ex.token = s.token),"
	    " up AS (INSERT INTO neon_auth.session AS t (id, \"expiresAt\", token,"
	    " \"createdAt\", \"updatedAt\", \"ipAddress\", \"userAgent\","
	    " \"userId\", \"activeOrganizationId\", \"impersonatedBy\") SELECT"
	    " nid, \"expiresAt\", token, coalesce(\"createdAt\", now()),"
	    " coalesce(\"updatedAt\", now()), \"ipAddress\", \"userAgent\", uid,"
	    " org, imp FROM m ON CONFLICT (id) DO UPDATE SET \"expiresAt\" ="
	    " EXCLUDED.\"expiresAt\", \"updatedAt\" = EXCLUDED.\"updatedAt\","
	    " \"activeOrganizationId\" = EXCLUDED.\"activeOrganizationId\""
	    " RETURNING 1)," MAP_SAVE("session")
	    " SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM m"
	    " WHERE merged), (SELECT count(*) FROM src WHERE \"expiresAt\" >"
	    " now()) - (SELECT count(*) FROM m)",
	[IK_METADATA] =
	    "WITH src AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text,"
	    " \"userId\" text, user_metadata jsonb, app_metadata jsonb,"
	    " phone text, phone_confirmed_at timestamptz)),"
	    " m AS (SELECT s.*, mu.id AS uid, false AS merged FROM src s"
	    " JOIN neon_auth.import_id_map mu ON mu.source = $2 AND"
	    " mu.kind = 'user' AND mu.source_id = s.\"userId\"),"
	    " up AS (INSERT INTO neon_auth.user_metadata AS t (user_id, source,"
	    " user_metadata, app_metadata, phone, phone_confirmed_at) SELECT"
	    " uid, $2, user_metadata, app_metadata, phone, phone_confirmed_at"
	    " FROM m ON CONFLICT (user_id) DO UPDATE SET source = EXCLUDED.source,"
	    " user_metadata = EXCLUDED.user_metadata, app_metadata ="
	    " EXCLUDED.app_metadata, phone = EXCLUDED.phone,"
	    " phone_confirmed_at = EXCLUDED.phone_confirmed_at,"
	    " updated_at = now() RETURNING 1)" COUNTS,
};

int
store_import_write(struct db_conn *dst, struct arena *a, enum import_kind k,
    const char *source, const char *json, int64_t *written, int64_t *merged,
    int64_t *unmapped)
{
	struct db_result	*res;
	const char		*p[2] = { json, source };

	*written = *merged = *unmapped = 0;
	/*
	 * Unnamed: planned anew each time, so the plan follows the tables as
	 * they grow (see store_import_analyze) instead of the empty tables a
	 * prepared statement would have been planned for.
	 */
	if ((res = db_exec(dst, a, NULL, writers[k], 2, p)) == NULL)
		return (-1);
	*written = strtoll(db_getvalue(res, 0, 0), NULL, 10);
	*merged = strtoll(db_getvalue(res, 0, 1), NULL, 10);
	*unmapped = strtoll(db_getvalue(res, 0, 2), NULL, 10);
	return (1);
}

int
store_import_analyze(struct db_conn *dst, struct arena *a)
{
	static const char *const tables[] = { "\"user\"", "account",
	    "organization", "member", "invitation", "session", "user_metadata",
	    "import_id_map", NULL };
	int	 i;

	for (i = 0; tables[i] != NULL; i++)
		if (db_exec(dst, a, NULL, arena_printf(a, "ANALYZE neon_auth.%s",
		    tables[i]), 0, NULL) == NULL)
			return (-1);
	return (1);
}

/* ---- signing keys --------------------------------------------------------- */

static int
read_keys(struct db_conn *c, struct arena *a, const char *sql,
    struct import_key **keys, int *n)
{
	struct db_result	*res;
	struct import_key	*k;
	int			 i;

	*keys = NULL;
	*n = 0;
	if ((res = db_exec(c, a, NULL, sql, 0, NULL)) == NULL)
		return (-1);
	*n = db_ntuples(res);
	*keys = k = arena_alloc(a, sizeof(*k) * (size_t)(*n > 0 ? *n : 1));
	for (i = 0; i < *n; i++) {
		k[i].id = db_getvalue(res, i, 0);
		k[i].public_key = db_getvalue(res, i, 1);
		k[i].private_key = db_getvalue(res, i, 2);
		k[i].created_at = db_getvalue(res, i, 3);
		k[i].expires_at = db_isnull(res, i, 4) ? NULL :
		    db_getvalue(res, i, 4);
	}
	return (1);
}

int
store_import_keys(struct db_conn *src, struct arena *a, const char *schema,
    struct import_key **keys, int *n)
{
	char	*q;
	int	 rc;

	*keys = NULL;
	*n = 0;
	if ((rc = exists(src, a, schema, "jwks", NULL)) != 1)
		return (rc == -1 ? -1 : 1);
	if ((q = db_quote_ident(src, a, schema)) == NULL)
		return (-1);
	return (read_keys(src, a, arena_printf(a, "SELECT id::text,"
	    " \"publicKey\", \"privateKey\", \"createdAt\"::text,"
	    " \"expiresAt\"::text FROM %s.jwks ORDER BY \"createdAt\"", q),
	    keys, n));
}

int
store_import_key_write(struct db_conn *dst, struct arena *a,
    const char *source, const struct import_key *k, const char *private_key)
{
	static const char sql[] =
	    "WITH m AS (SELECT coalesce((SELECT id FROM neon_auth.import_id_map"
	    " WHERE source = $1 AND kind = 'jwks' AND source_id = $2),"
	    " gen_random_uuid()) AS nid),"
	    " up AS (INSERT INTO neon_auth.jwks AS t (id, \"publicKey\","
	    " \"privateKey\", \"createdAt\", \"expiresAt\") SELECT nid, $3::text, $4,"
	    " $5::timestamptz, $6::timestamptz FROM m"
	    /* a key that is already here (a copy of this branch) stays one */
	    " WHERE NOT EXISTS (SELECT 1 FROM neon_auth.jwks j WHERE j.id <> m.nid"
	    " AND (j.\"publicKey\"::jsonb - 'kid') = ($3::text::jsonb - 'kid'))"
	    " ON CONFLICT (id) DO UPDATE"
	    " SET \"publicKey\" = EXCLUDED.\"publicKey\", \"privateKey\" ="
	    " EXCLUDED.\"privateKey\", \"expiresAt\" = EXCLUDED.\"expiresAt\""
	    " RETURNING 1)"
	    " INSERT INTO neon_auth.import_id_map (source, kind, source_id, id)"
	    " SELECT $1, 'jwks', $2, nid FROM m ON CONFLICT (source, kind,"
	    " source_id) DO UPDATE SET imported_at = now()";
	const char	*p[6];

	p[0] = source;
	p[1] = k->id;
	p[2] = k->public_key;
	/* published only: a private column that opens with no secret */
	p[3] = private_key != NULL ? private_key : "\"\"";
	p[4] = k->created_at;
	p[5] = k->expires_at;
	return (db_exec(dst, a, "import_key", sql, 6, p) == NULL ? -1 : 1);
}

char *
store_import_map_sql(struct db_conn *dst, struct arena *a, enum import_kind k,
    const char *source, const char *table, const char *column)
{
	char		*t, *col, *dot, *lit;
	const char	*p[1] = { source };
	struct db_result *res;

	if ((dot = strchr(table, '.')) != NULL)
		t = arena_printf(a, "%s.%s", db_quote_ident(dst, a,
		    arena_strndup(a, table, (size_t)(dot - table))),
		    db_quote_ident(dst, a, dot + 1));
	else
		t = db_quote_ident(dst, a, table);
	col = db_quote_ident(dst, a, column);
	if (t == NULL || col == NULL || (res = db_exec(dst, a, NULL,
	    "SELECT quote_literal($1)", 1, p)) == NULL)
		return (NULL);
	lit = arena_strdup(a, db_getvalue(res, 0, 0));
	return (arena_printf(a,
	    "-- %s.%s held %s ids of %s: rewrite them to the uuids of neon_auth\n"
	    "UPDATE %s AS app SET %s = m.id::text\n"
	    "  FROM neon_auth.import_id_map m\n"
	    " WHERE m.source = %s AND m.kind = '%s'\n"
	    "   AND m.source_id = app.%s::text;\n",
	    table, column, kind_names[k], source, t, col, lit, kind_names[k],
	    col));
}

/* ---- export ------------------------------------------------------------ */

static const char export_ddl[] =
    "CREATE TABLE IF NOT EXISTS {S}.\"user\" (\"id\" text not null primary key,"
    " \"name\" text not null, \"email\" text not null unique, \"emailVerified\""
    " boolean not null, \"image\" text, \"createdAt\" timestamptz default"
    " CURRENT_TIMESTAMP not null, \"updatedAt\" timestamptz default"
    " CURRENT_TIMESTAMP not null, \"role\" text, \"banned\" boolean,"
    " \"banReason\" text, \"banExpires\" timestamptz, \"phoneNumber\" text"
    " unique, \"phoneNumberVerified\" boolean);"
    "ALTER TABLE {S}.\"user\" ADD COLUMN IF NOT EXISTS \"phoneNumber\" text,"
    " ADD COLUMN IF NOT EXISTS \"phoneNumberVerified\" boolean;"
    "CREATE TABLE IF NOT EXISTS {S}.\"session\" (\"id\" text not null primary"
    " key, \"expiresAt\" timestamptz not null, \"token\" text not null unique,"
    " \"createdAt\" timestamptz default CURRENT_TIMESTAMP not null,"
    " \"updatedAt\" timestamptz not null, \"ipAddress\" text, \"userAgent\""
    " text, \"userId\" text not null references {S}.\"user\" (\"id\") on delete"
    " cascade, \"activeOrganizationId\" text, \"impersonatedBy\" text);"
    "CREATE TABLE IF NOT EXISTS {S}.\"account\" (\"id\" text not null primary"
    " key, \"accountId\" text not null, \"providerId\" text not null,"
    " \"userId\" text not null references {S}.\"user\" (\"id\") on delete"
    " cascade, \"accessToken\" text, \"refreshToken\" text, \"idToken\" text,"
    " \"accessTokenExpiresAt\" timestamptz, \"refreshTokenExpiresAt\""
    " timestamptz, \"scope\" text, \"password\" text, \"createdAt\" timestamptz"
    " default CURRENT_TIMESTAMP not null, \"updatedAt\" timestamptz not null);"
    "CREATE TABLE IF NOT EXISTS {S}.\"verification\" (\"id\" text not null"
    " primary key, \"identifier\" text not null, \"value\" text not null,"
    " \"expiresAt\" timestamptz not null, \"createdAt\" timestamptz default"
    " CURRENT_TIMESTAMP not null, \"updatedAt\" timestamptz default"
    " CURRENT_TIMESTAMP not null);"
    "CREATE TABLE IF NOT EXISTS {S}.\"jwks\" (\"id\" text not null primary key,"
    " \"publicKey\" text not null, \"privateKey\" text not null, \"createdAt\""
    " timestamptz not null, \"expiresAt\" timestamptz, \"alg\" text, \"crv\""
    " text);"
    "CREATE TABLE IF NOT EXISTS {S}.\"organization\" (\"id\" text not null"
    " primary key, \"name\" text not null, \"slug\" text not null unique,"
    " \"logo\" text, \"createdAt\" timestamptz not null, \"metadata\" text);"
    "CREATE TABLE IF NOT EXISTS {S}.\"member\" (\"id\" text not null primary"
    " key, \"organizationId\" text not null references {S}.\"organization\""
    " (\"id\") on delete cascade, \"userId\" text not null references"
    " {S}.\"user\" (\"id\") on delete cascade, \"role\" text not null,"
    " \"createdAt\" timestamptz not null);"
    "CREATE TABLE IF NOT EXISTS {S}.\"invitation\" (\"id\" text not null"
    " primary key, \"organizationId\" text not null references"
    " {S}.\"organization\" (\"id\") on delete cascade, \"email\" text not null,"
    " \"role\" text, \"status\" text not null, \"expiresAt\" timestamptz not"
    " null, \"createdAt\" timestamptz default CURRENT_TIMESTAMP not null,"
    " \"inviterId\" text not null references {S}.\"user\" (\"id\") on delete"
    " cascade);"
    "CREATE INDEX IF NOT EXISTS \"session_userId_idx\" ON {S}.\"session\""
    " (\"userId\");"
    "CREATE INDEX IF NOT EXISTS \"account_userId_idx\" ON {S}.\"account\""
    " (\"userId\");"
    "CREATE INDEX IF NOT EXISTS \"verification_identifier_idx\" ON"
    " {S}.\"verification\" (\"identifier\");"
    "CREATE INDEX IF NOT EXISTS \"member_organizationId_idx\" ON {S}.\"member\""
    " (\"organizationId\");"
    "CREATE INDEX IF NOT EXISTS \"member_userId_idx\" ON {S}.\"member\""
    " (\"userId\");"
    "CREATE INDEX IF NOT EXISTS \"invitation_organizationId_idx\" ON"
    " {S}.\"invitation\" (\"organizationId\");"
    "CREATE INDEX IF NOT EXISTS \"invitation_email_idx\" ON {S}.\"invitation\""
    " (\"email\")";

int
store_export_schema(struct db_conn *dst, struct arena *a, const char *schema)
{
	char	*q, *sql, *stmt, *semi;

	if ((q = db_quote_ident(dst, a, schema)) == NULL)
		return (-1);
	if (db_exec(dst, a, NULL, arena_printf(a, "CREATE SCHEMA IF NOT EXISTS"
	    " %s", q), 0, NULL) == NULL)
		return (-1);
	if ((sql = expand(dst, a, schema, q, export_ddl)) == NULL)
		return (-1);
	/* one statement at a time: parameterless, but never a multi-statement */
	for (stmt = sql; stmt != NULL && *stmt != '\0'; stmt = semi) {
		if ((semi = strchr(stmt, ';')) != NULL)
			*semi++ = '\0';
		if (db_exec(dst, a, NULL, stmt, 0, NULL) == NULL)
			return (-1);
	}
	return (1);
}

/* neon_auth's rows in Better Auth's shape, ids as text */
static const char *const export_read[IK__COUNT] = {
	[IK_USER] = "SELECT t.id::text AS id, t.name, t.email,"
	    " t.\"emailVerified\", t.image, t.\"createdAt\", t.\"updatedAt\","
	    " t.role, t.banned, t.\"banReason\", t.\"banExpires\","
	    " t.\"phoneNumber\", t.\"phoneNumberVerified\""
	    " FROM neon_auth.\"user\" t",
	[IK_ACCOUNT] = "SELECT t.id::text AS id, t.\"accountId\","
	    " t.\"providerId\", t.\"userId\"::text AS \"userId\","
	    " t.\"accessToken\", t.\"refreshToken\", t.\"idToken\","
	    " t.\"accessTokenExpiresAt\", t.\"refreshTokenExpiresAt\","
	    " t.scope, t.password, t.\"createdAt\", t.\"updatedAt\""
	    " FROM neon_auth.account t",
	[IK_ORGANIZATION] = "SELECT t.id::text AS id, t.name, t.slug, t.logo,"
	    " t.\"createdAt\", t.metadata FROM neon_auth.organization t",
	[IK_MEMBER] = "SELECT t.id::text AS id,"
	    " t.\"organizationId\"::text AS \"organizationId\","
	    " t.\"userId\"::text AS \"userId\", t.role, t.\"createdAt\""
	    " FROM neon_auth.member t",
	[IK_INVITATION] = "SELECT t.id::text AS id,"
	    " t.\"organizationId\"::text AS \"organizationId\", t.email, t.role,"
	    " t.status, t.\"expiresAt\", t.\"createdAt\","
	    " t.\"inviterId\"::text AS \"inviterId\" FROM neon_auth.invitation t",
	[IK_SESSION] = "SELECT t.id::text AS id, t.\"expiresAt\", t.token,"
	    " t.\"createdAt\", t.\"updatedAt\", t.\"ipAddress\", t.\"userAgent\","
	    " t.\"userId\"::text AS \"userId\", t.\"activeOrganizationId\","
	    " t.\"impersonatedBy\" FROM neon_auth.session t"
	    " WHERE t.\"expiresAt\" > now()",
};

int
store_export_batch(struct db_conn *src, struct arena *a, enum import_kind k,
    int limit, char **after, char **json, int *n)
{
	struct db_result	*res;
	const char		*p[2];
	char			 lim[16], name[32];

	*n = 0;
	*json = NULL;
	if (export_read[k] == NULL)
		return (1);
	snprintf(lim, sizeof(lim), "%d", limit);
	snprintf(name, sizeof(name), "export_%s", kind_names[k]);
	p[0] = *after;
	p[1] = lim;
	res = db_exec(src, a, name, arena_printf(a, "SELECT coalesce(json_agg(x"
	    " ORDER BY x.id COLLATE \"C\"), '[]')::text, max(x.id COLLATE \"C\"),"
	    " count(*) FROM (SELECT * FROM (%s) y WHERE y.id COLLATE \"C\" > $1"
	    " ORDER BY y.id COLLATE \"C\" LIMIT $2::int) x", export_read[k]),
	    2, p);
	if (res == NULL)
		return (-1);
	*n = (int)strtol(db_getvalue(res, 0, 2), NULL, 10);
	*json = arena_strdup(a, db_getvalue(res, 0, 0));
	if (*n > 0)
		*after = arena_strdup(a, db_getvalue(res, 0, 1));
	return (1);
}

/* the stock table of each kind and its column list (recordset types) */
static const char *const export_cols[IK__COUNT][2] = {
	[IK_USER] = { "\"user\"", "id text, name text, email text,"
	    " \"emailVerified\" boolean, image text, \"createdAt\" timestamptz,"
	    " \"updatedAt\" timestamptz, role text, banned boolean,"
	    " \"banReason\" text, \"banExpires\" timestamptz,"
	    " \"phoneNumber\" text, \"phoneNumberVerified\" boolean" },
	[IK_ACCOUNT] = { "account", "id text, \"accountId\" text,"
	    " \"providerId\" text, \"userId\" text, \"accessToken\" text,"
	    " \"refreshToken\" text, \"idToken\" text,"
	    " \"accessTokenExpiresAt\" timestamptz,"
	    " \"refreshTokenExpiresAt\" timestamptz, scope text, password text,"
	    " \"createdAt\" timestamptz, \"updatedAt\" timestamptz" },
	[IK_ORGANIZATION] = { "organization", "id text, name text, slug text,"
	    " logo text, \"createdAt\" timestamptz, metadata text" },
	[IK_MEMBER] = { "member", "id text, \"organizationId\" text,"
	    " \"userId\" text, role text, \"createdAt\" timestamptz" },
	[IK_INVITATION] = { "invitation", "id text, \"organizationId\" text,"
	    " email text, role text, status text, \"expiresAt\" timestamptz,"
	    " \"createdAt\" timestamptz, \"inviterId\" text" },
	[IK_SESSION] = { "session", "id text, \"expiresAt\" timestamptz,"
	    " token text, \"createdAt\" timestamptz, \"updatedAt\" timestamptz,"
	    " \"ipAddress\" text, \"userAgent\" text, \"userId\" text,"
	    " \"activeOrganizationId\" text, \"impersonatedBy\" text" },
};

int
store_export_write(struct db_conn *dst, struct arena *a, const char *schema,
    enum import_kind k, const char *json, int64_t *written)
{
	struct db_result	*res;
	const char		*p[1] = { json };
	char			*q, *cols, *set, *c, *sql;

	*written = 0;
	if (export_cols[k][0] == NULL)
		return (1);
	if ((q = db_quote_ident(dst, a, schema)) == NULL)
		return (-1);
	/* "a text, b boolean" -> the names, and "a = EXCLUDED.a" for each */
	cols = arena_strdup(a, "");
	set = arena_strdup(a, "");
	for (c = arena_strdup(a, export_cols[k][1]); c != NULL && *c;) {
		char	*comma = strchr(c, ','), *sp;

		if (comma != NULL)
			*comma = '\0';
		while (*c == ' ')
			c++;
		sp = strrchr(c, ' ');
		if (sp != NULL)
			*sp = '\0';
		cols = arena_printf(a, "%s%s%s", cols, *cols ? ", " : "", c);
		if (strcmp(c, "id") != 0)
			set = arena_printf(a, "%s%s%s = EXCLUDED.%s", set,
			    *set ? ", " : "", c, c);
		c = comma ? comma + 1 : NULL;
	}
	sql = arena_printf(a, "WITH up AS (INSERT INTO %s.%s AS t (%s) SELECT"
	    " %s FROM jsonb_to_recordset($1::jsonb) AS x(%s) ON CONFLICT (id) DO"
	    " UPDATE SET %s RETURNING 1) SELECT count(*) FROM up", q,
	    export_cols[k][0], cols, cols, export_cols[k][1], set);
	if ((res = db_exec(dst, a, NULL, sql, 1, p)) == NULL)
		return (-1);
	*written = strtoll(db_getvalue(res, 0, 0), NULL, 10);
	return (1);
}

int
store_export_keys(struct db_conn *src, struct arena *a,
    struct import_key **keys, int *n)
{
	return (read_keys(src, a, "SELECT coalesce(\"publicKey\"::jsonb->>'kid',"
	    " id::text), \"publicKey\", \"privateKey\", \"createdAt\"::text,"
	    " \"expiresAt\"::text FROM neon_auth.jwks ORDER BY \"createdAt\"",
	    keys, n));
}

int
store_export_key_write(struct db_conn *dst, struct arena *a,
    const char *schema, const struct import_key *k, const char *private_key)
{
	const char	*p[5];
	char		*q;

	if ((q = db_quote_ident(dst, a, schema)) == NULL)
		return (-1);
	p[0] = k->id;
	p[1] = k->public_key;
	p[2] = private_key;
	p[3] = k->created_at;
	p[4] = k->expires_at;
	return (db_exec(dst, a, NULL, arena_printf(a, "INSERT INTO %s.jwks (id,"
	    " \"publicKey\", \"privateKey\", \"createdAt\", \"expiresAt\") VALUES"
	    " ($1, $2, $3, $4::timestamptz, $5::timestamptz) ON CONFLICT (id) DO"
	    " UPDATE SET \"publicKey\" = EXCLUDED.\"publicKey\", \"privateKey\" ="
	    " EXCLUDED.\"privateKey\", \"expiresAt\" = EXCLUDED.\"expiresAt\"", q),
	    5, p) == NULL ? -1 : 1);
}
