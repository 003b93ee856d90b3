/*
 * db.h -- PostgreSQL access: per-worker connection cache, prepared
 * statements, transactions, change notifications and schema migrations.
 *
 * db.c is the only file that includes libpq-fe.h; everything else sees the
 * types below.  A worker owns one struct db_pool holding at most max_conns
 * connections, one per branch it has served (least recently used first
 * out).  Each connection remembers which named statements it has prepared
 * and prepares them again after a reconnect.  Results are copied into the
 * caller's arena, so no libpq object ever outlives a db_* call.
 *
 * Failures return NULL / -1 and leave a struct db_error on the connection
 * (db_last_error); nothing here prints or exits.  Callers map the error
 * kind to the reply:
 *	DB_ERR_UNAVAILABLE	503 DATABASE_UNAVAILABLE
 *	DB_ERR_SCHEMA		503, neon_auth schema missing or behind
 *	DB_ERR_QUERY		500 (or a specific reply for a known SQLSTATE,
 *				e.g. 23505 unique_violation)
 */
#ifndef NEON_AUTHD_DB_H
#define NEON_AUTHD_DB_H

#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"

/*
 * The schema version this binary expects: the highest NNN of the
 * sql/NNN_name.sql migrations.  Keep in sync when adding a file.
 */
#define NEON_AUTHD_SCHEMA_VERSION	16

/* pg_advisory_lock key that serialises migrations ("neonauth" in ASCII). */
#define NEON_AUTHD_MIGRATE_LOCK		INT64_C(0x6e656f6e61757468)

/* NOTIFY channels sent by the triggers in sql/001_neon_auth.sql. */
#define DB_CHANNEL_CONFIG	"neon_auth_config"
#define DB_CHANNEL_JWKS		"neon_auth_jwks"
/* sql/009_admin.sql: a user banned or deleted; the payload is its id */
#define DB_CHANNEL_REVOKE	"neon_auth_revoke"
/* sql/013_session_notify.sql: a session or its user changed; user id */
#define DB_CHANNEL_SESSION	"neon_auth_session"

/* Bits set by db_drain_notifies(). */
#define DB_NOTIFY_CONFIG	0x01u	/* neon_auth.project_config changed */
#define DB_NOTIFY_JWKS		0x02u	/* neon_auth.jwks changed */

enum db_err_kind {
	DB_ERR_NONE = 0,
	DB_ERR_UNAVAILABLE,	/* cannot connect, connection lost, shutdown,
				   too many connections, statement timeout */
	DB_ERR_QUERY,		/* the statement failed (see sqlstate) */
	DB_ERR_SCHEMA,		/* 42P01 / 42703 / 3F000 / 42883: neon_auth
				   missing or older than this binary */
};

struct db_error {
	enum db_err_kind	 kind;
	char			 sqlstate[6];	/* "" if not from the server */
	char			 message[256];	/* primary message, one line */
};

enum db_schema_state {
	DB_SCHEMA_OK = 0,	/* version == NEON_AUTHD_SCHEMA_VERSION */
	DB_SCHEMA_MISSING,	/* no neon_auth.schema_migrations */
	DB_SCHEMA_BEHIND,	/* older: run `neon-authd migrate` */
	DB_SCHEMA_AHEAD,	/* newer than this binary (served anyway) */
	DB_SCHEMA_ERROR,	/* could not tell; see db_last_error() */
};

struct db_pool;
struct db_conn;
struct db_result;

/*
 * db_pool_new: an empty connection cache for this process.
 *
 * max_conns bounds the open connections (at least 1); connect_timeout_s is
 * libpq's connect_timeout (0 = none); statement_timeout_ms is set on every
 * connection (0 = none).  Create it after fork(): connections are never
 * shared between processes.  Returns NULL only on bad arguments.
 */
struct db_pool	*db_pool_new(int max_conns, int connect_timeout_s,
		    int statement_timeout_ms);

/*
 * db_pool_get: this worker's connection to a branch.
 *
 * Connects on first use (application_name "neon-authd", statement_timeout,
 * LISTEN on both channels), evicting the least recently used connection
 * when the pool is full.  A cached connection found broken is reset once;
 * one whose conninfo changed is replaced.  branch_name is the cache key.
 *
 * Returns a connection owned by the pool (valid until the next
 * db_pool_get() that evicts it, or db_pool_free()), or NULL with *err set
 * to DB_ERR_UNAVAILABLE (details in db_pool_last_error()).  err may be
 * NULL.  The conninfo is never logged (it may carry a password).
 */
struct db_conn	*db_pool_get(struct db_pool *pool, const char *branch_name,
		    const char *conninfo, int *err);

/*
 * db_pool_set_idle: db_pool_get() closes the connections not used for
 * idle_timeout_s (0: never), and each connection asks the server to end
 * it 5 s after that (idle_session_timeout, PostgreSQL 14 on), so a worker
 * that serves nothing does not keep them either.  Before the first get.
 */
void		 db_pool_set_idle(struct db_pool *pool, int idle_timeout_s);
/*
 * db_conn_cap_create: in the master before forking the workers: at most
 * max connections open across every pool of the processes it forks
 * (database.max_connections; 0: no cap but each pool's own).  A pool at
 * the cap closes its own least recently used connection for a new one;
 * one that holds none answers DB_ERR_UNAVAILABLE at once.  A new cap
 * replaces the old one (whose workers then run uncapped).  -1: not
 * enforced (logged).  db_conn_cap_destroy at exit.
 */
int		 db_conn_cap_create(int max);
void		 db_conn_cap_destroy(void);

/*
 * struct db_target: how a branch is reached.  pooled: a PgBouncer in
 * transaction pooling mode (or any pooler that hands each transaction to
 * another server session) is in between, so the connection keeps no
 * session state: every statement runs as the unnamed statement
 * (PQexecParams, registered names are only looked up here), no session
 * SET (statement_timeout is SET LOCAL inside each db_begin transaction;
 * a statement outside one gets the server's, the role's or the pooler's
 * query_timeout), and no LISTEN on it.  listen_conninfo (NULL or "":
 * none) is a direct connection opened beside it only to LISTEN; without
 * one a pooled connection hears no NOTIFY (db_conn_listens() is 0) and
 * the caller falls back to its TTLs.
 */
struct db_target {
	const char	*conninfo;
	const char	*listen_conninfo;
	int		 pooled;
};

/*
 * db_pool_open: db_pool_get for a struct db_target (db_pool_get is
 * db_pool_open with { conninfo, NULL, 0 }).  A connection whose target
 * changed is replaced.  A listen connection that fails or breaks does not
 * fail the call: it is retried at most once a second, and until it is
 * back every drain reports that notifications may have been lost.
 */
struct db_conn	*db_pool_open(struct db_pool *pool, const char *branch_name,
		    const struct db_target *t, int *err);

/* db_conn_listens: 1 when NOTIFYs reach this connection's drains. */
int		 db_conn_listens(const struct db_conn *c);

/* db_pool_last_error: why the last db_pool_get() failed. Never NULL. */
const struct db_error *db_pool_last_error(const struct db_pool *pool);

/* db_pool_free: close every connection and free the pool (NULL ok). */
void		 db_pool_free(struct db_pool *pool);

/*
 * db_prepare: register a named statement on this connection and prepare it
 * unless it already is.  Registration survives reconnects: the statement
 * is prepared again, lazily, on its next use.  Re-registering a name with
 * other SQL or another parameter count is an error (DB_ERR_QUERY).
 *
 * Returns 0, or -1 with db_last_error() set.
 */
int		 db_prepare(struct db_conn *c, const char *name,
		    const char *sql, int nparams);

/*
 * db_exec: run one statement with text parameters (params[i] NULL is SQL
 * NULL; params may be NULL when nparams is 0).
 *
 * With stmt_name, the named statement is used, prepared from sql first if
 * this connection has not prepared it yet; without, sql runs through the
 * unnamed statement (PQexecParams).  SQL text never contains values: pass
 * them as $1..$n.
 *
 * When the connection turns out to be broken and no transaction is open,
 * the connection is reset and the statement sent once more.
 *
 * Returns the result, allocated in `a` with every value copied there (it
 * lives as long as the arena; db_result_free() is optional), or NULL with
 * db_last_error() set.
 */
struct db_result *db_exec(struct db_conn *c, struct arena *a,
		    const char *stmt_name, const char *sql, int nparams,
		    const char *const *params);

/*
 * db_stats_reset / db_stats: the time this process spent in the database
 * (statements, connects, reconnects; microseconds) and the statements it
 * sent since the last reset: the worker resets them per request for its
 * access and slow-request logs.
 */
void		 db_stats_reset(void);
void		 db_stats(int64_t *us, int *statements);

/* db_last_error: the error of the last failed call on c. Never NULL. */
/*
 * db_quote_ident: name as a quoted SQL identifier ("neon_auth", "my""s"),
 * in a, for the few statements whose schema is the operator's choice
 * (import, export); values always travel as parameters.  NULL on failure.
 */
char		*db_quote_ident(struct db_conn *c, struct arena *a,
		    const char *name);

const struct db_error *db_last_error(const struct db_conn *c);

/* db_sqlstate: SQLSTATE of the last failed call on c, "" if none. */
const char	*db_sqlstate(const struct db_conn *c);

/* Result accessors.  Rows and columns count from 0. */
int		 db_ntuples(const struct db_result *r);
int		 db_nfields(const struct db_result *r);
/* db_fnumber: column index of a result column name, or -1. */
int		 db_fnumber(const struct db_result *r, const char *name);
/*
 * db_getvalue: the text of one value, NUL-terminated, borrowed from the
 * result (valid as long as its arena).  SQL NULL reads as "" (as in libpq;
 * tell with db_isnull).  Out of range: NULL.
 */
const char	*db_getvalue(const struct db_result *r, int row, int col);
/* db_getstr: the same as a slice; SQL NULL or out of range is STR_NULL. */
struct str	 db_getstr(const struct db_result *r, int row, int col);
/* db_getlength: length in bytes of one value (0 for NULL). */
size_t		 db_getlength(const struct db_result *r, int row, int col);
/* db_isnull: 1 when the value is SQL NULL (or out of range), else 0. */
int		 db_isnull(const struct db_result *r, int row, int col);
/* db_cmd_tuples: rows affected by INSERT/UPDATE/DELETE/..., else 0. */
int64_t		 db_cmd_tuples(const struct db_result *r);
/* db_result_free: release a result early. Optional; NULL ok. */
void		 db_result_free(struct db_result *r);

/*
 * Transactions.  db_begin opens one (it is an error to nest them);
 * db_commit returns -1 when the transaction had failed and was rolled back
 * instead; db_rollback always leaves the connection outside a transaction.
 * Within a transaction a lost connection is reported, never retried.
 * All return 0, or -1 with db_last_error() set.
 */
int		 db_begin(struct db_conn *c);
int		 db_commit(struct db_conn *c);
int		 db_rollback(struct db_conn *c);
/* db_in_transaction: 1 between db_begin and db_commit/db_rollback. */
int		 db_in_transaction(const struct db_conn *c);

/*
 * db_drain_notifies: collect the NOTIFYs that already arrived, without a
 * round trip (reads what the socket holds, never blocks), and OR
 * DB_NOTIFY_CONFIG / DB_NOTIFY_JWKS into *flags_out (which the caller
 * clears).  Notifications picked up during earlier db_exec() calls are
 * included.  The first drain after a connect or reconnect reports both
 * flags: whatever was sent while no LISTEN was active is lost.
 *
 * Returns the number of notifications seen, or -1 when the connection is
 * broken (db_last_error() set; the next db_pool_get() or db_exec() resets
 * it).  After -1, assume everything changed.
 */
int		 db_drain_notifies(struct db_conn *c, unsigned *flags_out);
/*
 * db_drain_notifies_cb: db_drain_notifies, and revoked(arg, user_id) for
 * each neon_auth_revoke notification, or revoked(arg, NULL) when some may
 * have been lost (the first drain after a connect or reconnect, a broken
 * connection).  revoked may be NULL: those notifications are dropped.
 */
int		 db_drain_notifies_cb(struct db_conn *c, unsigned *flags_out,
		    void (*revoked)(void *arg, const char *user_id), void *arg);
/*
 * db_drain_notifies_ch: db_drain_notifies_cb for every channel with a
 * payload: note(arg, DB_CHANNEL_REVOKE or DB_CHANNEL_SESSION, user_id),
 * and note(arg, NULL, NULL) when some may have been lost.  buffered: read
 * nothing from the socket, take only what earlier calls received (a
 * connection's own commits: the server sends their NOTIFYs to it before
 * the command's reply), so no system call.
 */
int		 db_drain_notifies_ch(struct db_conn *c, unsigned *flags_out,
		    int buffered, void (*note)(void *arg, const char *channel,
		    const char *payload), void *arg);

/*
 * db_schema_version: the highest applied migration of the branch, 0 when
 * the neon_auth ledger does not exist, -1 on another error (db_last_error).
 * Call it outside a transaction.
 */
int		 db_schema_version(struct db_conn *c);

/*
 * db_schema_check: compare the branch with NEON_AUTHD_SCHEMA_VERSION.
 * version_out (may be NULL) receives db_schema_version().
 */
enum db_schema_state db_schema_check(struct db_conn *c, int *version_out);

/*
 * db_migrate: bring a database's neon_auth schema up to date.
 *
 * Opens its own connection, takes pg_advisory_lock(NEON_AUTHD_MIGRATE_LOCK)
 * (concurrent migrators wait, then find nothing to do), creates the ledger
 * neon_auth.schema_migrations if needed, then applies every sql_dir/NNN_*.sql
 * whose NNN is not in the ledger, in numeric order, each in its own
 * transaction together with its ledger row.  A failed file is rolled back
 * and stops the run; files before it stay applied.
 *
 * *applied_out (may be NULL) receives the number of files applied.
 * Returns 0, or -1 with a message in errbuf (NUL-terminated, truncated to
 * errlen).  Progress is logged at info level.
 */
int		 db_migrate(const char *conninfo, const char *sql_dir,
		    int *applied_out, char *errbuf, size_t errlen);

/*
 * db_conninfo_check: parse a connection string (key=value or a URI) with
 * libpq's own parser, without connecting.  0, or -1 with libpq's message
 * in errbuf.
 */
int		 db_conninfo_check(const char *conninfo, char *errbuf,
		    size_t errlen);

/*
 * db_conninfo_target: the server and database a connection string names,
 * without connecting: out gets "host\nport\ndbname" (as written, empty
 * when left to libpq's defaults; dbname defaults to the user) and
 * *dbname points at its database part.  0, or -1 (unparsable, too long).
 */
int		 db_conninfo_target(const char *conninfo, char *out,
		    size_t outlen, const char **dbname);

/* TCP keepalives and user timeout on every connection (conninfo wins) */
#define DB_KEEPALIVES_IDLE	"30"
#define DB_KEEPALIVES_INTERVAL	"10"
#define DB_KEEPALIVES_COUNT	"3"
#define DB_TCP_USER_TIMEOUT_MS	"10000"

/*
 * db_migrate_pending: connect (no lock, nothing changed) and compare the
 * branch's ledger with sql_dir: *version gets the highest applied
 * migration (0 when there is no ledger), *pending the files not applied
 * yet (names in a, NULL-terminated), *npending their count.  0, or -1
 * with a message in errbuf.
 */
int		 db_migrate_pending(const char *conninfo, const char *sql_dir,
		    struct arena *a, int *version, char ***pending,
		    int *npending, char *errbuf, size_t errlen);

/*
 * db_migrate_files: the migration files of sql_dir (NNN_name.sql): how
 * many, and the highest NNN.  0, or -1 with a message in errbuf.
 */
int		 db_migrate_files(const char *sql_dir, int *count,
		    int *highest, char *errbuf, size_t errlen);

#endif
