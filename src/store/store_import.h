/*
 * store_import.h -- the SQL of moving in and out: reading a Better Auth,
 * Neon Auth or Supabase Auth database in batches, writing the rows into
 * neon_auth with their ids mapped (neon_auth.import_id_map), and writing a
 * stock Better Auth schema back out.
 *
 * Rows travel between the two databases as JSON arrays in the shape of
 * Better Auth's tables (protocol.md §5): a reader turns a batch of source
 * rows into that shape, a writer upserts one batch in one statement.
 * Schema names are the operator's and are quoted (db_quote_ident); every
 * value is a parameter.
 */
#ifndef NEON_AUTHD_STORE_IMPORT_H
#define NEON_AUTHD_STORE_IMPORT_H

#include <stdint.h>

#include "lib/arena.h"

struct db_conn;

enum import_source {
	IMPORT_BETTER_AUTH = 0,
	IMPORT_NEON,
	IMPORT_SUPABASE,
};

/* the kinds of rows, in the order they are moved (foreign keys first) */
enum import_kind {
	IK_USER = 0,
	IK_ACCOUNT,
	IK_ORGANIZATION,
	IK_MEMBER,
	IK_INVITATION,
	IK_SESSION,
	IK_METADATA,		/* Supabase only */
	IK__COUNT
};

/* import_kind_name: "user", "account", ... (also the map's kind). */
const char	*import_kind_name(enum import_kind k);

/*
 * store_import_reader: prepare the source side of kind k for schema on
 * src (which optional columns exist).  1 ready, 0 the source has no such
 * table (the kind is skipped), -1 on a database error.  *total is the
 * number of rows.
 */
int	 store_import_reader(struct db_conn *src, struct arena *a,
	    enum import_source from, const char *schema, enum import_kind k,
	    int64_t *total);

/*
 * store_import_batch: the next at most limit rows of kind k after the
 * source id *after ("" at first) as a JSON array (Better Auth's shape);
 * *after becomes the last id, *n the number of rows (0: done).
 */
int	 store_import_batch(struct db_conn *src, struct arena *a,
	    enum import_source from, enum import_kind k, int limit,
	    char **after, char **json, int *n);

/*
 * store_import_check: the first problem of the source that would make the
 * import wrong -- two users with one email, a row pointing at a missing
 * row, a password hash of an unknown format -- as "table row ID, column C:
 * what" in *problem (NULL when none).  1 checked, -1 database error.
 */
int	 store_import_check(struct db_conn *src, struct arena *a,
	    enum import_source from, const char *schema, char **problem);

/*
 * store_import_write: upsert one batch of kind k into neon_auth on dst,
 * mapping ids through import_id_map under source tag.  *written rows
 * written, *merged of them matched a row that was already there (by
 * email, slug, provider account or membership), *unmapped rows whose
 * owner was not imported (an error for the caller).  1, or -1.
 */
int	 store_import_write(struct db_conn *dst, struct arena *a,
	    enum import_kind k, const char *source, const char *json,
	    int64_t *written, int64_t *merged, int64_t *unmapped);

/*
 * store_import_analyze: refresh the planner's statistics of the tables an
 * import writes, inside its transaction (ANALYZE sees the rows written so
 * far): without it every batch is planned for the tables as they were
 * before the import, and lookups that should use an index scan them.
 */
int	 store_import_analyze(struct db_conn *dst, struct arena *a);

/* one signing key of the source, as its jwks table holds it */
struct import_key {
	const char	*id;
	const char	*public_key;
	const char	*private_key;
	const char	*created_at;	/* ISO */
	const char	*expires_at;	/* NULL: never */
};

/* store_import_keys: every jwks row of the source (0 rows: none). */
int	 store_import_keys(struct db_conn *src, struct arena *a,
	    const char *schema, struct import_key **keys, int *n);
/*
 * store_import_key_write: one key into neon_auth.jwks: a new uuid (mapped
 * from the source id), publicKey as given (it carries the old kid),
 * privateKey re-encrypted by the caller (NULL: published only, never
 * signs, expiring at expires_at).  1, or -1.
 */
int	 store_import_key_write(struct db_conn *dst, struct arena *a,
	    const char *source, const struct import_key *k,
	    const char *private_key);

/*
 * store_import_map_sql: the SQL that rewrites an application column
 * (schema.table.column holding source user ids, kind k) to the new uuids.
 */
char	*store_import_map_sql(struct db_conn *dst, struct arena *a,
	    enum import_kind k, const char *source, const char *table,
	    const char *column);

/* ---- export: a stock Better Auth 1.7.25 schema (protocol.md §5) */

/* store_export_schema: create the tables in schema (IF NOT EXISTS). */
int	 store_export_schema(struct db_conn *dst, struct arena *a,
	    const char *schema);
/*
 * store_export_batch: the next rows of kind k of neon_auth on src (ids as
 * text) as a JSON array after *after; store_export_write writes such a
 * batch into schema on dst (upsert by id).
 */
int	 store_export_batch(struct db_conn *src, struct arena *a,
	    enum import_kind k, int limit, char **after, char **json, int *n);
int	 store_export_write(struct db_conn *dst, struct arena *a,
	    const char *schema, enum import_kind k, const char *json,
	    int64_t *written);
/* store_export_key_write: one key row into schema's jwks (id as text). */
int	 store_export_key_write(struct db_conn *dst, struct arena *a,
	    const char *schema, const struct import_key *k,
	    const char *private_key);
/* store_export_keys: every neon_auth.jwks row of src. */
int	 store_export_keys(struct db_conn *src, struct arena *a,
	    struct import_key **keys, int *n);

#endif
