/*
 * db.c -- libpq behind the db_* interface (see db.h).
 *
 * The only file that includes libpq-fe.h.  Invariants:
 *
 *   * A struct db_conn belongs to one pool in one process.  Its PGconn is
 *     either NULL or was connected once; PQreset() revives it in place.
 *   * Every (re)connect runs conn_setup(): statement_timeout, LISTEN on
 *     the three channels, and marks every registered statement unprepared and
 *     the notification state "lost" (db_drain_notifies then reports both
 *     flags once, since NOTIFYs sent while disconnected are gone).
 *   * A statement is sent at most twice: once, and once more after a reset
 *     when the connection broke while no transaction was open.
 *   * Every PGresult is PQclear()ed before the function that got it
 *     returns; callers only ever see copies in their arena.
 *   * SQL text is constant; values always travel as parameters.  The one
 *     exception is the migration files themselves, run as they are.
 *   * A pooled connection (struct db_target, a transaction-mode PgBouncer
 *     in between) leaves nothing in a server session: no named statement,
 *     no session SET, no LISTEN.  Its NOTIFYs, if any, come through its
 *     own direct listen connection (lpg), which carries nothing else.
 */
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "lib/arena.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "store/db.h"

#define DB_APP_NAME		"neon-authd"
#define DB_MIGRATE_APP_NAME	"neon-authd-migrate"
#define DB_MIGRATE_TIMEOUT_S	10		/* connect_timeout, migrate */
#define DB_MIGRATE_FILE_MAX	(8 * 1024 * 1024)
#define DB_MIGRATE_FILES_MAX	10000

/* A named statement registered on one connection. */
struct db_stmt {
	char	*name;
	char	*sql;
	int	 nparams;
	int	 prepared;	/* exists in the current server session */
};

struct db_conn {
	PGconn		*pg;
	struct db_pool	*pool;
	char		*branch;
	char		*conninfo;
	uint64_t	 last_used;
	int64_t		 used_us;	/* last use, clock_mono_us */
	int		 capped;	/* holds a max_connections token */
	int		 in_tx;
	int		 notify_lost;	/* report every flag at next drain */
	struct db_stmt	*stmts;
	int		 nstmts;
	int		 stmts_cap;
	struct db_error	 err;
	int		 pooled;	/* unnamed statements, no session state */
	char		*listen_conninfo;	/* NULL: none */
	PGconn		*lpg;		/* the direct LISTEN connection */
	int64_t		 lpg_tried_ms;	/* last (re)connect attempt */
};

struct db_pool {
	struct db_conn	**conns;
	int		 nconns;
	int		 max_conns;
	int		 connect_timeout_s;
	int		 statement_timeout_ms;
	int		 idle_timeout_s;	/* 0: never idle out */
	uint64_t	 tick;
	struct db_error	 err;
};

/* A result copied out of a PGresult; everything lives in one arena. */
struct db_result {
	int		 ntuples;
	int		 nfields;
	char		**fnames;
	const char	**values;	/* ntuples * nfields, row-major */
	size_t		*lengths;
	unsigned char	*nulls;
	int64_t		 cmd_tuples;
};

/* Migration file found in the SQL directory. */
struct mig_file {
	int	 version;
	char	 name[256];	/* file name without ".sql" */
	char	 file[256];	/* file name */
};

static const char ledger_sql[] =
    "CREATE SCHEMA IF NOT EXISTS \"neon_auth\";\n"
    "CREATE TABLE IF NOT EXISTS \"neon_auth\".\"schema_migrations\" (\n"
    "\t\"version\"    integer PRIMARY KEY,\n"
    "\t\"name\"       text,\n"
    "\t\"applied_at\" timestamptz DEFAULT now()\n"
    ")";

/* time in libpq since db_stats_reset(), and statements sent */
static int64_t	 stat_us;
static int	 stat_n;

/*
 * Memory for long-lived objects.  Out of memory is fatal for a worker
 * (style.md §2.5), as in arena.c.
 */
static void oom(void) __attribute__((noreturn));

static void
oom(void)
{
	static const char msg[] = "<2>db: out of memory\n";

	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(NEON_AUTHD_EX_OOM);
}

static void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n ? n : 1, size ? size : 1)) == NULL)
		oom();
	return (p);
}

static char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		oom();
	return (p);
}

/*
 * Copy a message on one line: runs of newlines and tabs become one space,
 * trailing space is dropped.  dst may be src.
 */
static void
copy_message(char *dst, size_t dstlen, const char *src)
{
	size_t	 i, n = 0;
	int	 ws;

	if (dstlen == 0)
		return;
	if (src == NULL)
		src = "";
	for (i = 0; src[i] != '\0' && n + 1 < dstlen; i++) {
		ws = src[i] == '\n' || src[i] == '\r' || src[i] == '\t';
		if (ws && (n == 0 || dst[n - 1] == ' '))
			continue;
		dst[n++] = ws ? ' ' : src[i];
	}
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

static void
err_clear(struct db_error *e)
{
	e->kind = DB_ERR_NONE;
	e->sqlstate[0] = '\0';
	e->message[0] = '\0';
}

static void
err_set(struct db_error *e, enum db_err_kind kind, const char *sqlstate,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
err_set(struct db_error *e, enum db_err_kind kind, const char *sqlstate,
    const char *fmt, ...)
{
	char	 buf[sizeof(e->message)];
	va_list	 ap;

	e->kind = kind;
	copy_message(e->sqlstate, sizeof(e->sqlstate), sqlstate);
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	copy_message(e->message, sizeof(e->message), buf);
}

/* Which reply a failure deserves, from its SQLSTATE and the link state. */
static enum db_err_kind
classify(const char *sqlstate, int conn_bad)
{
	if (conn_bad)
		return (DB_ERR_UNAVAILABLE);
	if (sqlstate == NULL || sqlstate[0] == '\0')
		return (DB_ERR_QUERY);
	/* 08: connection exception, 53: insufficient resources */
	if (strncmp(sqlstate, "08", 2) == 0 || strncmp(sqlstate, "53", 2) == 0)
		return (DB_ERR_UNAVAILABLE);
	/* admin/crash shutdown, cannot connect now, statement timeout */
	if (strcmp(sqlstate, "57P01") == 0 || strcmp(sqlstate, "57P02") == 0 ||
	    strcmp(sqlstate, "57P03") == 0 || strcmp(sqlstate, "57014") == 0)
		return (DB_ERR_UNAVAILABLE);
	/* undefined table, column, schema, function */
	if (strcmp(sqlstate, "42P01") == 0 || strcmp(sqlstate, "42703") == 0 ||
	    strcmp(sqlstate, "3F000") == 0 || strcmp(sqlstate, "42883") == 0)
		return (DB_ERR_SCHEMA);
	return (DB_ERR_QUERY);
}

/* Fill e from a failed PGresult (res may be NULL: out of memory/link). */
static void
err_from_result(struct db_error *e, PGconn *pg, const PGresult *res)
{
	const char	*state = NULL, *msg = NULL;
	int		 bad;

	bad = pg == NULL || PQstatus(pg) != CONNECTION_OK;
	if (res != NULL) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		if (msg == NULL)
			msg = PQresultErrorMessage(res);
		if (msg == NULL || *msg == '\0')
			msg = PQresStatus(PQresultStatus(res));
	}
	if ((msg == NULL || *msg == '\0') && pg != NULL)
		msg = PQerrorMessage(pg);
	err_set(e, classify(state, bad), state, "%s",
	    msg != NULL && *msg != '\0' ? msg : "unknown database error");
}

static int
result_ok(const PGresult *res)
{
	ExecStatusType	 st;

	if (res == NULL)
		return (0);
	st = PQresultStatus(res);
	return (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK);
}

static int
state_is(const PGresult *res, const char *sqlstate)
{
	const char	*s;

	if (res == NULL)
		return (0);
	s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return (s != NULL && strcmp(s, sqlstate) == 0);
}

/* Server notices (e.g. "relation already exists, skipping") go to debug. */
static void
notice_cb(void *arg, const char *msg)
{
	char	 buf[512];

	(void)arg;
	copy_message(buf, sizeof(buf), msg);
	log_debug("db: %s", buf);
}

/*
 * Open a connection.  Our keywords come first so that a conninfo naming
 * the same ones (application_name, connect_timeout, keepalives,
 * tcp_user_timeout) overrides them.  TCP keepalives and a user timeout
 * by default: a blackholed database fails the request instead of holding
 * the worker until the hard timeout (ignored on unix sockets).
 */
static PGconn *
pg_open(const char *conninfo, const char *app, int timeout_s)
{
	const char	*kw[10], *val[10];
	char		 tbuf[16];
	int		 n = 0;
	PGconn		*pg;

	kw[n] = "application_name";
	val[n++] = app;
	kw[n] = "client_encoding";
	val[n++] = "UTF8";
	kw[n] = "keepalives";
	val[n++] = "1";
	kw[n] = "keepalives_idle";
	val[n++] = DB_KEEPALIVES_IDLE;
	kw[n] = "keepalives_interval";
	val[n++] = DB_KEEPALIVES_INTERVAL;
	kw[n] = "keepalives_count";
	val[n++] = DB_KEEPALIVES_COUNT;
	kw[n] = "tcp_user_timeout";
	val[n++] = DB_TCP_USER_TIMEOUT_MS;
	if (timeout_s > 0) {
		(void)snprintf(tbuf, sizeof(tbuf), "%d", timeout_s);
		kw[n] = "connect_timeout";
		val[n++] = tbuf;
	}
	kw[n] = "dbname";
	val[n++] = conninfo;
	kw[n] = NULL;
	val[n] = NULL;
	if ((pg = PQconnectdbParams(kw, val, 1)) == NULL)
		oom();
	PQsetNoticeProcessor(pg, notice_cb, NULL);
	return (pg);
}

#define DB_LISTEN_SQL	"LISTEN " DB_CHANNEL_CONFIG "; LISTEN " \
			DB_CHANNEL_JWKS "; LISTEN " DB_CHANNEL_REVOKE "; LISTEN " \
			DB_CHANNEL_SESSION

/*
 * The direct LISTEN connection of a pooled branch: open or revive it, at
 * most one attempt a second.  Whatever was notified while it was down is
 * lost (notify_lost).  0 when it listens, else -1 (logged at debug: the
 * caller's drains report the loss).
 */
static int
listen_conn_open(struct db_conn *c)
{
	PGresult	*res;
	int64_t		 now = clock_mono_ms(), t0;

	if (c->lpg != NULL && PQstatus(c->lpg) == CONNECTION_OK)
		return (0);
	if (c->lpg_tried_ms != 0 && now - c->lpg_tried_ms < 1000)
		return (-1);
	c->lpg_tried_ms = now;
	c->notify_lost = 1;
	t0 = clock_mono_us();
	if (c->lpg != NULL)
		PQreset(c->lpg);
	else
		c->lpg = pg_open(c->listen_conninfo, DB_APP_NAME,
		    c->pool->connect_timeout_s);
	if (PQstatus(c->lpg) == CONNECTION_OK) {
		res = PQexec(c->lpg, DB_LISTEN_SQL);
		if (result_ok(res)) {
			PQclear(res);
			stat_us += clock_mono_us() - t0;
			return (0);
		}
		PQclear(res);
	}
	stat_us += clock_mono_us() - t0;
	log_debug("%s: branch %s: listen connection failed: %s", __func__,
	    c->branch, PQerrorMessage(c->lpg));
	PQfinish(c->lpg);
	c->lpg = NULL;
	return (-1);
}

/* Session setup after every (re)connect. */
static int
conn_setup(struct db_conn *c)
{
	PGresult	*res;
	const char	*params[1];
	char		 tbuf[16];
	int		 i;

	for (i = 0; i < c->nstmts; i++)
		c->stmts[i].prepared = 0;
	c->in_tx = 0;
	c->notify_lost = 1;
	if (c->pooled) {
		/* nothing may stay in a session the pooler hands on */
		if (c->listen_conninfo != NULL)
			(void)listen_conn_open(c);
		return (0);
	}
	if (c->pool->statement_timeout_ms > 0) {
		(void)snprintf(tbuf, sizeof(tbuf), "%d",
		    c->pool->statement_timeout_ms);
		params[0] = tbuf;
		res = PQexecParams(c->pg, "SELECT pg_catalog.set_config("
		    "'statement_timeout', $1, false)", 1, NULL, params, NULL,
		    NULL, 0);
		if (!result_ok(res)) {
			err_from_result(&c->err, c->pg, res);
			PQclear(res);
			return (-1);
		}
		PQclear(res);
	}
	/*
	 * the server closes what an idle worker keeps (PostgreSQL 14 on):
	 * a little after our own sweep would, so a worker that serves
	 * again finds it closed by itself first
	 */
	if (c->pool->idle_timeout_s > 0 && PQserverVersion(c->pg) >= 140000) {
		(void)snprintf(tbuf, sizeof(tbuf), "%d",
		    (c->pool->idle_timeout_s + 5) * 1000);
		params[0] = tbuf;
		res = PQexecParams(c->pg, "SELECT pg_catalog.set_config("
		    "'idle_session_timeout', $1, false)", 1, NULL, params, NULL,
		    NULL, 0);
		if (!result_ok(res)) {
			err_from_result(&c->err, c->pg, res);
			PQclear(res);
			return (-1);
		}
		PQclear(res);
	}
	res = PQexec(c->pg, DB_LISTEN_SQL);
	if (!result_ok(res)) {
		err_from_result(&c->err, c->pg, res);
		PQclear(res);
		return (-1);
	}
	PQclear(res);
	return (0);
}

/* Revive a broken connection in place. */
static int
conn_reset(struct db_conn *c)
{
	int64_t	 t0 = clock_mono_us();

	PQreset(c->pg);
	stat_us += clock_mono_us() - t0;
	if (PQstatus(c->pg) != CONNECTION_OK) {
		err_set(&c->err, DB_ERR_UNAVAILABLE, NULL, "%s",
		    PQerrorMessage(c->pg));
		/* the caller reports it (throttled): no line per request */
		log_debug("%s: branch %s: reconnect failed: %s", __func__,
		    c->branch, c->err.message);
		return (-1);
	}
	if (conn_setup(c) == -1) {
		log_warnx("%s: branch %s: session setup failed: %s", __func__,
		    c->branch, c->err.message);
		return (-1);
	}
	log_notice("%s: branch %s: reconnected", __func__, c->branch);
	metrics_db(c->branch, METRICS_DB_RECONNECT);
	return (0);
}

/*
 * Make sure the link is up before sending.  A broken link is reset only
 * outside a transaction and only once per call (*retried).
 */
static int
conn_ensure(struct db_conn *c, int *retried)
{
	if (PQstatus(c->pg) == CONNECTION_OK)
		return (0);
	if (c->in_tx || *retried) {
		err_set(&c->err, DB_ERR_UNAVAILABLE, NULL, "%s%s",
		    "connection lost", c->in_tx ? " inside a transaction" : "");
		return (-1);
	}
	*retried = 1;
	return (conn_reset(c));
}

/*
 * database.max_connections: one System V semaphore for the whole pool,
 * a token per open connection taken with SEM_UNDO (a worker that dies
 * gives its tokens back).  -1: no cap (the CLI, or none configured).
 */
static int	 cap_id = -1;
static int	 cap_max;

union db_semun {
	int			 val;
	struct semid_ds		*buf;
	unsigned short		*array;
};

int
db_conn_cap_create(int max)
{
	union db_semun	 arg;
	int		 id;

	db_conn_cap_destroy();
	if (max <= 0)
		return (0);
	if ((id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600)) == -1) {
		log_warn("database.max_connections: semget (not enforced)");
		return (-1);
	}
	arg.val = max > 32767 ? 32767 : max;
	if (semctl(id, 0, SETVAL, arg) == -1) {
		log_warn("database.max_connections: semctl (not enforced)");
		(void)semctl(id, 0, IPC_RMID);
		return (-1);
	}
	cap_id = id;
	cap_max = arg.val;
	return (0);
}

void
db_conn_cap_destroy(void)
{
	if (cap_id != -1)
		(void)semctl(cap_id, 0, IPC_RMID);
	cap_id = -1;
}

/* 1: a token taken (or no cap: 0 taken), -1: the cap is reached */
static int
cap_take(int *taken)
{
	struct sembuf	 op = { 0, -1, IPC_NOWAIT | SEM_UNDO };

	*taken = 0;
	if (cap_id == -1)
		return (1);
	while (semop(cap_id, &op, 1) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return (-1);
		return (1);	/* gone (a reload): not enforced */
	}
	*taken = 1;
	return (1);
}

static void
cap_give(void)
{
	struct sembuf	 op = { 0, 1, SEM_UNDO };

	if (cap_id == -1)
		return;
	while (semop(cap_id, &op, 1) == -1 && errno == EINTR)
		;
}

static void
conn_free(struct db_conn *c)
{
	int	 i;

	if (c == NULL)
		return;
	if (c->pg != NULL)
		PQfinish(c->pg);
	if (c->capped)
		cap_give();
	if (c->lpg != NULL)
		PQfinish(c->lpg);
	free(c->listen_conninfo);
	for (i = 0; i < c->nstmts; i++) {
		free(c->stmts[i].name);
		free(c->stmts[i].sql);
	}
	free(c->stmts);
	free(c->branch);
	free(c->conninfo);
	free(c);
}

static struct db_stmt *
stmt_lookup(struct db_conn *c, const char *name)
{
	int	 i;

	for (i = 0; i < c->nstmts; i++)
		if (strcmp(c->stmts[i].name, name) == 0)
			return (&c->stmts[i]);
	return (NULL);
}

/* Find or register a statement; NULL (c->err set) on a conflict. */
static struct db_stmt *
stmt_get(struct db_conn *c, const char *name, const char *sql, int nparams)
{
	struct db_stmt	*st, *n;

	if (*name == '\0') {
		err_set(&c->err, DB_ERR_QUERY, NULL, "empty statement name");
		return (NULL);
	}
	if ((st = stmt_lookup(c, name)) != NULL) {
		if ((sql != NULL && sql != st->sql &&
		    strcmp(sql, st->sql) != 0) || nparams != st->nparams) {
			err_set(&c->err, DB_ERR_QUERY, NULL, "statement %s "
			    "registered with other SQL or parameters", name);
			return (NULL);
		}
		return (st);
	}
	if (sql == NULL) {
		err_set(&c->err, DB_ERR_QUERY, NULL, "statement %s unknown",
		    name);
		return (NULL);
	}
	if (c->nstmts == c->stmts_cap) {
		if (c->stmts_cap > INT_MAX / 2 - 8)
			oom();
		c->stmts_cap = c->stmts_cap ? c->stmts_cap * 2 : 32;
		if ((n = reallocarray(c->stmts, (size_t)c->stmts_cap,
		    sizeof(*n))) == NULL)
			oom();
		c->stmts = n;
	}
	st = &c->stmts[c->nstmts++];
	st->name = xstrdup(name);
	st->sql = xstrdup(sql);
	st->nparams = nparams;
	st->prepared = 0;
	return (st);
}

static int
stmt_prepare(struct db_conn *c, struct db_stmt *st)
{
	PGresult	*res;

	res = PQprepare(c->pg, st->name, st->sql, st->nparams, NULL);
	if (!result_ok(res)) {
		err_from_result(&c->err, c->pg, res);
		PQclear(res);
		return (-1);
	}
	PQclear(res);
	st->prepared = 1;
	return (0);
}

/* Forget a server-side statement whose plan went stale (0A000). */
static void
stmt_deallocate(struct db_conn *c, struct db_stmt *st)
{
	PGresult	*res;
	char		*ident, *sql;
	size_t		 len;

	st->prepared = 0;
	if ((ident = PQescapeIdentifier(c->pg, st->name,
	    strlen(st->name))) == NULL)
		return;
	len = sizeof("DEALLOCATE ") + strlen(ident);
	sql = xcalloc(1, len);
	(void)snprintf(sql, len, "DEALLOCATE %s", ident);
	res = PQexec(c->pg, sql);
	PQclear(res);
	free(sql);
	PQfreemem(ident);
}

/*
 * Send one statement (named when st != NULL) and return its successful
 * PGresult, or NULL with c->err set.  Implements the single retry after a
 * reset, and re-preparation of statements the server lost or invalidated.
 */
static PGresult *
exec_once(struct db_conn *c, struct db_stmt *st, const char *sql,
    int nparams, const char *const *params)
{
	PGresult	*res;
	int		 retried = 0, restmt = 0, idle;

	if (st != NULL && c->pooled) {
		/* through a transaction pooler: the unnamed statement */
		sql = st->sql;
		st = NULL;
	}
 again:
	if (conn_ensure(c, &retried) == -1)
		return (NULL);
	idle = !c->in_tx && PQtransactionStatus(c->pg) == PQTRANS_IDLE;
	if (st != NULL && !st->prepared && stmt_prepare(c, st) == -1) {
		if (PQstatus(c->pg) != CONNECTION_OK && idle && !retried)
			goto again;
		return (NULL);
	}
	if (st != NULL)
		res = PQexecPrepared(c->pg, st->name, nparams, params, NULL,
		    NULL, 0);
	else
		res = PQexecParams(c->pg, sql, nparams, NULL, params, NULL,
		    NULL, 0);
	if (result_ok(res))
		return (res);

	if (PQstatus(c->pg) != CONNECTION_OK && idle && !retried) {
		PQclear(res);
		goto again;
	}
	if (st != NULL && state_is(res, "26000")) {
		/* the server lost it (DISCARD ALL, a pooler...) */
		st->prepared = 0;
		if (idle && !restmt) {
			restmt = 1;
			PQclear(res);
			goto again;
		}
	} else if (st != NULL && idle && !restmt && state_is(res, "0A000")) {
		/* "cached plan must not change result type" after DDL */
		restmt = 1;
		PQclear(res);
		stmt_deallocate(c, st);
		goto again;
	}
	err_from_result(&c->err, c->pg, res);
	PQclear(res);
	return (NULL);
}

/* exec_once, timed and counted (db_stats, metrics) */
static PGresult *
exec_raw(struct db_conn *c, struct db_stmt *st, const char *sql,
    int nparams, const char *const *params)
{
	PGresult	*res;
	int64_t		 t0 = clock_mono_us();

	res = exec_once(c, st, sql, nparams, params);
	stat_us += clock_mono_us() - t0;
	stat_n++;
	if (res == NULL)
		metrics_db(c->branch, c->err.kind == DB_ERR_SCHEMA ?
		    METRICS_DB_SCHEMA : c->err.kind == DB_ERR_UNAVAILABLE ?
		    METRICS_DB_UNAVAILABLE : METRICS_DB_QUERY);
	return (res);
}

void
db_stats_reset(void)
{
	stat_us = 0;
	stat_n = 0;
}

void
db_stats(int64_t *us, int *statements)
{
	if (us != NULL)
		*us = stat_us;
	if (statements != NULL)
		*statements = stat_n;
}

static int64_t
parse_cmd_tuples(const char *s)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0')
		return (0);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		return (0);
	return ((int64_t)v);
}

/* Copy a PGresult into the arena. */
static struct db_result *
result_copy(struct arena *a, const PGresult *res)
{
	struct db_result	*r;
	size_t			 n, i, total = 0, len;
	char			*blob;
	int			 row, col;

	r = arena_alloc(a, sizeof(*r));
	r->ntuples = PQntuples(res);
	r->nfields = PQnfields(res);
	r->cmd_tuples = parse_cmd_tuples(PQcmdTuples((PGresult *)res));
	if (r->nfields > 0) {
		r->fnames = arena_alloc(a, (size_t)r->nfields *
		    sizeof(*r->fnames));
		for (col = 0; col < r->nfields; col++)
			r->fnames[col] = arena_strdup(a, PQfname(res, col));
	}
	n = (size_t)r->ntuples * (size_t)r->nfields;
	if (n == 0)
		return (r);
	r->values = arena_alloc(a, n * sizeof(*r->values));
	r->lengths = arena_alloc(a, n * sizeof(*r->lengths));
	r->nulls = arena_alloc(a, n);
	for (row = 0; row < r->ntuples; row++)
		for (col = 0; col < r->nfields; col++)
			if (!PQgetisnull(res, row, col))
				total += (size_t)PQgetlength(res, row, col) + 1;
	blob = arena_alloc(a, total ? total : 1);
	for (i = 0, row = 0; row < r->ntuples; row++) {
		for (col = 0; col < r->nfields; col++, i++) {
			if (PQgetisnull(res, row, col)) {
				r->nulls[i] = 1;
				r->values[i] = "";
				continue;
			}
			len = (size_t)PQgetlength(res, row, col);
			memcpy(blob, PQgetvalue(res, row, col), len);
			blob[len] = '\0';
			r->values[i] = blob;
			r->lengths[i] = len;
			blob += len + 1;
		}
	}
	return (r);
}

static int
args_ok(struct db_error *e, int nparams, const char *const *params)
{
	if (nparams < 0 || (nparams > 0 && params == NULL)) {
		err_set(e, DB_ERR_QUERY, NULL, "bad parameter list");
		return (0);
	}
	return (1);
}

/* ---- pool ------------------------------------------------------------ */

struct db_pool *
db_pool_new(int max_conns, int connect_timeout_s, int statement_timeout_ms)
{
	struct db_pool	*p;

	if (max_conns < 1 || connect_timeout_s < 0 ||
	    statement_timeout_ms < 0) {
		log_warnx("%s: bad arguments", __func__);
		return (NULL);
	}
	p = xcalloc(1, sizeof(*p));
	p->conns = xcalloc((size_t)max_conns, sizeof(*p->conns));
	p->max_conns = max_conns;
	p->connect_timeout_s = connect_timeout_s;
	p->statement_timeout_ms = statement_timeout_ms;
	err_clear(&p->err);
	return (p);
}

static void
pool_remove(struct db_pool *p, int i)
{
	conn_free(p->conns[i]);
	p->conns[i] = p->conns[--p->nconns];
	p->conns[p->nconns] = NULL;
}

static struct db_conn *
pool_connect(struct db_pool *p, const char *branch, const struct db_target *t)
{
	struct db_conn	*c;
	const char	*conninfo = t->conninfo;
	int64_t		 t0 = clock_mono_us();

	c = xcalloc(1, sizeof(*c));
	c->pool = p;
	c->branch = xstrdup(branch);
	c->conninfo = xstrdup(conninfo);
	c->pooled = t->pooled != 0;
	if (t->listen_conninfo != NULL && *t->listen_conninfo != '\0')
		c->listen_conninfo = xstrdup(t->listen_conninfo);
	err_clear(&c->err);
	c->pg = pg_open(conninfo, DB_APP_NAME, p->connect_timeout_s);
	stat_us += clock_mono_us() - t0;
	if (PQstatus(c->pg) != CONNECTION_OK) {
		metrics_db(branch, METRICS_DB_UNAVAILABLE);
		err_set(&p->err, DB_ERR_UNAVAILABLE, NULL, "%s",
		    PQerrorMessage(c->pg));
		log_debug("%s: branch %s: connect failed: %s", __func__,
		    branch, p->err.message);
		conn_free(c);
		return (NULL);
	}
	if (conn_setup(c) == -1) {
		metrics_db(branch, METRICS_DB_UNAVAILABLE);
		p->err = c->err;
		if (p->err.kind != DB_ERR_SCHEMA)
			p->err.kind = DB_ERR_UNAVAILABLE;
		log_warnx("%s: branch %s: session setup failed: %s", __func__,
		    branch, p->err.message);
		conn_free(c);
		return (NULL);
	}
	log_debug("%s: branch %s: connected (server %d, backend pid %d)",
	    __func__, branch, PQserverVersion(c->pg), PQbackendPID(c->pg));
	metrics_db(branch, METRICS_DB_CONNECT);
	return (c);
}

/* does c still reach the branch the way t says? */
static int
target_same(const struct db_conn *c, const struct db_target *t)
{
	const char	*l = t->listen_conninfo;

	if (l != NULL && *l == '\0')
		l = NULL;
	return (strcmp(c->conninfo, t->conninfo) == 0 &&
	    c->pooled == (t->pooled != 0) &&
	    ((l == NULL && c->listen_conninfo == NULL) || (l != NULL &&
	    c->listen_conninfo != NULL && strcmp(l, c->listen_conninfo) == 0)));
}

struct db_conn *
db_pool_get(struct db_pool *p, const char *branch_name, const char *conninfo,
    int *err)
{
	struct db_target	 t = { conninfo, NULL, 0 };

	return (db_pool_open(p, branch_name, &t, err));
}

int
db_conn_listens(const struct db_conn *c)
{
	return (!c->pooled || c->listen_conninfo != NULL);
}

struct db_conn *
db_pool_open(struct db_pool *p, const char *branch_name,
    const struct db_target *t, int *err)
{
	struct db_conn	*c;
	int		 i, lru, capped;
	int64_t		 now;

	err_clear(&p->err);
	if (err != NULL)
		*err = DB_ERR_NONE;
	if (branch_name == NULL || t == NULL || t->conninfo == NULL) {
		err_set(&p->err, DB_ERR_UNAVAILABLE, NULL, "no branch");
		goto fail;
	}
	p->tick++;
	now = clock_mono_us();
	/* close what has idled past database.idle_timeout */
	for (i = p->nconns - 1; p->idle_timeout_s > 0 && i >= 0; i--)
		if (now - p->conns[i]->used_us >=
		    (int64_t)p->idle_timeout_s * 1000000) {
			log_debug("%s: branch %s: idle, closing", __func__,
			    p->conns[i]->branch);
			pool_remove(p, i);
		}
	for (i = 0; i < p->nconns; i++) {
		c = p->conns[i];
		if (strcmp(c->branch, branch_name) != 0)
			continue;
		if (!target_same(c, t)) {
			/* the branch map changed under us */
			pool_remove(p, i);
			break;
		}
		c->last_used = p->tick;
		c->used_us = now;
		err_clear(&c->err);
		if (PQstatus(c->pg) != CONNECTION_OK) {
			c->in_tx = 0;
			if (conn_reset(c) == -1) {
				metrics_db(c->branch, METRICS_DB_UNAVAILABLE);
				p->err = c->err;
				p->err.kind = DB_ERR_UNAVAILABLE;
				goto fail;
			}
		} else if (c->in_tx ||
		    PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
			/* a previous request left a transaction open */
			log_warnx("%s: branch %s: rolling back a transaction "
			    "left open", __func__, c->branch);
			(void)db_rollback(c);
		}
		return (c);
	}
	if (p->nconns == p->max_conns) {
		for (lru = 0, i = 1; i < p->nconns; i++)
			if (p->conns[i]->last_used < p->conns[lru]->last_used)
				lru = i;
		log_debug("%s: evicting branch %s", __func__,
		    p->conns[lru]->branch);
		pool_remove(p, lru);
	}
	/* the server-wide cap: give up our own oldest first, else 503 */
	while (cap_take(&capped) == -1) {
		if (p->nconns == 0) {
			metrics_db(branch_name, METRICS_DB_UNAVAILABLE);
			err_set(&p->err, DB_ERR_UNAVAILABLE, NULL, "%d "
			    "connections open in the pool "
			    "(database.max_connections)", cap_max);
			goto fail;
		}
		for (lru = 0, i = 1; i < p->nconns; i++)
			if (p->conns[i]->last_used < p->conns[lru]->last_used)
				lru = i;
		pool_remove(p, lru);
	}
	if ((c = pool_connect(p, branch_name, t)) == NULL) {
		if (capped)
			cap_give();
		goto fail;
	}
	c->capped = capped;
	c->last_used = p->tick;
	c->used_us = now;
	p->conns[p->nconns++] = c;
	return (c);
 fail:
	if (err != NULL)
		*err = p->err.kind;
	return (NULL);
}

void
db_pool_set_idle(struct db_pool *p, int idle_timeout_s)
{
	p->idle_timeout_s = idle_timeout_s > 0 ? idle_timeout_s : 0;
}

const struct db_error *
db_pool_last_error(const struct db_pool *p)
{
	return (&p->err);
}

void
db_pool_free(struct db_pool *p)
{
	int	 i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nconns; i++)
		conn_free(p->conns[i]);
	free(p->conns);
	free(p);
}

/* ---- statements and results ------------------------------------------ */

int
db_prepare(struct db_conn *c, const char *name, const char *sql, int nparams)
{
	struct db_stmt	*st;
	int		 retried = 0;

	err_clear(&c->err);
	if (name == NULL || sql == NULL || nparams < 0)
		goto badarg;
	if ((st = stmt_get(c, name, sql, nparams)) == NULL)
		return (-1);
	if (st->prepared || c->pooled)
		return (0);
 again:
	if (conn_ensure(c, &retried) == -1)
		return (-1);
	if (stmt_prepare(c, st) == -1) {
		if (PQstatus(c->pg) != CONNECTION_OK && !c->in_tx && !retried)
			goto again;
		return (-1);
	}
	return (0);
 badarg:
	err_set(&c->err, DB_ERR_QUERY, NULL, "bad arguments");
	return (-1);
}

struct db_result *
db_exec(struct db_conn *c, struct arena *a, const char *stmt_name,
    const char *sql, int nparams, const char *const *params)
{
	struct db_stmt		*st = NULL;
	struct db_result	*r;
	PGresult		*res;

	err_clear(&c->err);
	if (!args_ok(&c->err, nparams, params))
		return (NULL);
	if (stmt_name == NULL && sql == NULL) {
		err_set(&c->err, DB_ERR_QUERY, NULL, "no statement");
		return (NULL);
	}
	if (stmt_name != NULL &&
	    (st = stmt_get(c, stmt_name, sql, nparams)) == NULL)
		return (NULL);
	if ((res = exec_raw(c, st, sql, nparams, params)) == NULL)
		return (NULL);
	r = result_copy(a, res);
	PQclear(res);
	return (r);
}

char *
db_quote_ident(struct db_conn *c, struct arena *a, const char *name)
{
	char	*q, *out;

	if (name == NULL || (q = PQescapeIdentifier(c->pg, name,
	    strlen(name))) == NULL)
		return (NULL);
	out = arena_strdup(a, q);
	PQfreemem(q);
	return (out);
}

const struct db_error *
db_last_error(const struct db_conn *c)
{
	return (&c->err);
}

const char *
db_sqlstate(const struct db_conn *c)
{
	return (c->err.sqlstate);
}

int
db_ntuples(const struct db_result *r)
{
	return (r != NULL ? r->ntuples : 0);
}

int
db_nfields(const struct db_result *r)
{
	return (r != NULL ? r->nfields : 0);
}

int
db_fnumber(const struct db_result *r, const char *name)
{
	int	 i;

	if (r == NULL || name == NULL)
		return (-1);
	for (i = 0; i < r->nfields; i++)
		if (strcmp(r->fnames[i], name) == 0)
			return (i);
	return (-1);
}

static int
cell(const struct db_result *r, int row, int col, size_t *idx)
{
	if (r == NULL || row < 0 || col < 0 || row >= r->ntuples ||
	    col >= r->nfields)
		return (0);
	*idx = (size_t)row * (size_t)r->nfields + (size_t)col;
	return (1);
}

const char *
db_getvalue(const struct db_result *r, int row, int col)
{
	size_t	 i;

	if (!cell(r, row, col, &i))
		return (NULL);
	return (r->values[i]);
}

struct str
db_getstr(const struct db_result *r, int row, int col)
{
	struct str	 s = STR_NULL;
	size_t		 i;

	if (!cell(r, row, col, &i) || r->nulls[i])
		return (s);
	s.p = r->values[i];
	s.len = r->lengths[i];
	return (s);
}

size_t
db_getlength(const struct db_result *r, int row, int col)
{
	size_t	 i;

	if (!cell(r, row, col, &i))
		return (0);
	return (r->lengths[i]);
}

int
db_isnull(const struct db_result *r, int row, int col)
{
	size_t	 i;

	if (!cell(r, row, col, &i))
		return (1);
	return (r->nulls[i]);
}

int64_t
db_cmd_tuples(const struct db_result *r)
{
	return (r != NULL ? r->cmd_tuples : 0);
}

void
db_result_free(struct db_result *r)
{
	/* The arena owns the memory; forget the rows so reuse is harmless. */
	if (r != NULL) {
		r->ntuples = 0;
		r->nfields = 0;
	}
}

/* ---- transactions ---------------------------------------------------- */

int
db_begin(struct db_conn *c)
{
	PGresult	*res;

	err_clear(&c->err);
	if (c->in_tx) {
		err_set(&c->err, DB_ERR_QUERY, NULL,
		    "transaction already open");
		return (-1);
	}
	if ((res = exec_raw(c, NULL, "BEGIN", 0, NULL)) == NULL)
		return (-1);
	PQclear(res);
	c->in_tx = 1;
	if (c->pooled && c->pool->statement_timeout_ms > 0) {
		/* the pooled session is not ours: this transaction only */
		const char	*params[1];
		char		 tbuf[16];

		(void)snprintf(tbuf, sizeof(tbuf), "%d",
		    c->pool->statement_timeout_ms);
		params[0] = tbuf;
		if ((res = exec_raw(c, NULL, "SELECT pg_catalog.set_config("
		    "'statement_timeout', $1, true)", 1, params)) == NULL) {
			(void)db_rollback(c);
			return (-1);
		}
		PQclear(res);
	}
	return (0);
}

int
db_commit(struct db_conn *c)
{
	PGresult	*res;
	int		 rc = 0;

	err_clear(&c->err);
	if (!c->in_tx) {
		err_set(&c->err, DB_ERR_QUERY, NULL, "no transaction open");
		return (-1);
	}
	res = exec_raw(c, NULL, "COMMIT", 0, NULL);
	c->in_tx = 0;
	if (res == NULL)
		return (-1);
	/* COMMIT of a failed transaction succeeds with tag ROLLBACK */
	if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		err_set(&c->err, DB_ERR_QUERY, "25P02",
		    "transaction failed and was rolled back");
		rc = -1;
	}
	PQclear(res);
	return (rc);
}

int
db_rollback(struct db_conn *c)
{
	PGresult	*res;

	err_clear(&c->err);
	if (PQstatus(c->pg) != CONNECTION_OK) {
		/* the server rolled it back when the link dropped */
		c->in_tx = 0;
		err_set(&c->err, DB_ERR_UNAVAILABLE, NULL, "connection lost");
		return (-1);
	}
	c->in_tx = 1;	/* never retry a ROLLBACK on a fresh session */
	res = exec_raw(c, NULL, "ROLLBACK", 0, NULL);
	c->in_tx = 0;
	if (res == NULL)
		return (-1);
	PQclear(res);
	return (0);
}

int
db_in_transaction(const struct db_conn *c)
{
	return (c->in_tx);
}

/* ---- notifications --------------------------------------------------- */

/* at most this many socket reads per drain (libpq reads up to 16 KiB and more) */
#define DRAIN_READS	64

/*
 * Read all the input already waiting on the socket: a backlog of
 * notifications (a bulk delete notifies once per row) is longer than
 * one read, and a config change queued behind it must not wait for the
 * next request.  Bounded: a server that keeps sending is read on the
 * next drain.  The peek that ends the loop also tells whether the server
 * ended the session (pg_terminate_backend, a restart): its FATAL message
 * may have been read with the EOF behind it still unseen, and whatever it
 * notified meanwhile is lost.  0 when the connection failed or ended.
 */
static int
consume_waiting(PGconn *pg)
{
	char	 b;
	int	 fd = PQsocket(pg), i;
	ssize_t	 r;

	for (i = 0; i < DRAIN_READS; i++) {
		if (PQconsumeInput(pg) == 0)
			return (0);
		if (fd < 0 || (r = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT)) < 0)
			break;
		if (r == 0)
			return (0);
	}
	return (1);
}

int
db_drain_notifies(struct db_conn *c, unsigned *flags_out)
{
	return (db_drain_notifies_cb(c, flags_out, NULL, NULL));
}

struct revoke_adapter {
	void	(*revoked)(void *, const char *);
	void	*arg;
};

static void
revoke_adapt(void *arg, const char *channel, const char *payload)
{
	struct revoke_adapter	*ad = arg;

	if (ad->revoked != NULL && (channel == NULL ||
	    strcmp(channel, DB_CHANNEL_REVOKE) == 0))
		ad->revoked(ad->arg, payload);
}

int
db_drain_notifies_cb(struct db_conn *c, unsigned *flags_out,
    void (*revoked)(void *, const char *), void *arg)
{
	struct revoke_adapter	 ad = { revoked, arg };

	return (db_drain_notifies_ch(c, flags_out, 0, revoke_adapt, &ad));
}

int
db_drain_notifies_ch(struct db_conn *c, unsigned *flags_out, int buffered,
    void (*note)(void *, const char *, const char *), void *arg)
{
	PGnotify	*n;
	PGconn		*pg = c->pg;
	int		 count = 0;

	err_clear(&c->err);
	if (c->pooled && c->listen_conninfo == NULL) {
		/* nothing listens: only a new connection's loss is news */
		if (c->notify_lost) {
			c->notify_lost = 0;
			*flags_out |= DB_NOTIFY_CONFIG | DB_NOTIFY_JWKS;
			if (note != NULL)
				note(arg, NULL, NULL);
			count++;
		}
		return (count);
	}
	if (c->pooled && listen_conn_open(c) == -1) {
		/* the listen connection is down: assume everything changed */
		err_set(&c->err, DB_ERR_UNAVAILABLE, NULL,
		    "listen connection down");
		*flags_out |= DB_NOTIFY_CONFIG | DB_NOTIFY_JWKS;
		if (note != NULL)
			note(arg, NULL, NULL);
		return (-1);
	}
	if (c->pooled)
		pg = c->lpg;
	if (PQstatus(pg) != CONNECTION_OK || (!buffered &&
	    consume_waiting(pg) == 0)) {
		err_set(&c->err, DB_ERR_UNAVAILABLE, NULL, "%s",
		    PQerrorMessage(pg));
		if (c->pooled) {
			/* revived (and the loss reported) by the next drain */
			PQfinish(c->lpg);
			c->lpg = NULL;
			c->lpg_tried_ms = 0;
		}
		*flags_out |= DB_NOTIFY_CONFIG | DB_NOTIFY_JWKS;
		if (note != NULL)
			note(arg, NULL, NULL);
		return (-1);
	}
	if (c->notify_lost) {
		c->notify_lost = 0;
		*flags_out |= DB_NOTIFY_CONFIG | DB_NOTIFY_JWKS;
		if (note != NULL)
			note(arg, NULL, NULL);
		count++;
	}
	while ((n = PQnotifies(pg)) != NULL) {
		if (strcmp(n->relname, DB_CHANNEL_CONFIG) == 0)
			*flags_out |= DB_NOTIFY_CONFIG;
		else if (strcmp(n->relname, DB_CHANNEL_JWKS) == 0)
			*flags_out |= DB_NOTIFY_JWKS;
		else if ((strcmp(n->relname, DB_CHANNEL_REVOKE) == 0 ||
		    strcmp(n->relname, DB_CHANNEL_SESSION) == 0) &&
		    note != NULL)
			note(arg, n->relname, n->extra);
		PQfreemem(n);
		count++;
	}
	return (count);
}

/* ---- schema version -------------------------------------------------- */

int
db_schema_version(struct db_conn *c)
{
	PGresult	*res;
	long		 v;
	char		*end;

	err_clear(&c->err);
	res = exec_raw(c, NULL, "SELECT coalesce(max(\"version\"), 0) "
	    "FROM \"neon_auth\".\"schema_migrations\"", 0, NULL);
	if (res == NULL)
		return (c->err.kind == DB_ERR_SCHEMA ? 0 : -1);
	errno = 0;
	v = strtol(PQgetvalue(res, 0, 0), &end, 10);
	if (PQntuples(res) != 1 || errno != 0 || *end != '\0' || v < 0 ||
	    v > INT_MAX) {
		err_set(&c->err, DB_ERR_QUERY, NULL, "bad schema version");
		PQclear(res);
		return (-1);
	}
	PQclear(res);
	return ((int)v);
}

enum db_schema_state
db_schema_check(struct db_conn *c, int *version_out)
{
	int	 v;

	v = db_schema_version(c);
	if (version_out != NULL)
		*version_out = v;
	if (v < 0)
		return (DB_SCHEMA_ERROR);
	if (v == 0)
		return (DB_SCHEMA_MISSING);
	if (v < NEON_AUTHD_SCHEMA_VERSION)
		return (DB_SCHEMA_BEHIND);
	if (v > NEON_AUTHD_SCHEMA_VERSION)
		return (DB_SCHEMA_AHEAD);
	return (DB_SCHEMA_OK);
}

/* ---- migrations ------------------------------------------------------ */

static int
mig_cmp(const void *a, const void *b)
{
	const struct mig_file	*x = a, *y = b;

	return ((x->version > y->version) - (x->version < y->version));
}

/* "NNN_name.sql" -> version NNN; -1 for any other name. */
static int
mig_parse_name(const char *fn, char *stem, size_t stemlen)
{
	size_t	 len = strlen(fn), i, digits;
	long	 v;
	char	*end;

	if (len < 6 || len >= stemlen + 4 || strcmp(fn + len - 4, ".sql") != 0)
		return (-1);
	for (digits = 0; isdigit((unsigned char)fn[digits]); digits++)
		;
	if (digits == 0 || digits > 9 || fn[digits] != '_')
		return (-1);
	for (i = digits + 1; i < len - 4; i++)
		if (!isalnum((unsigned char)fn[i]) && fn[i] != '_' &&
		    fn[i] != '-')
			return (-1);
	errno = 0;
	v = strtol(fn, &end, 10);
	if (errno != 0 || end != fn + digits || v < 1 || v > INT_MAX)
		return (-1);
	memcpy(stem, fn, len - 4);
	stem[len - 4] = '\0';
	return ((int)v);
}

static int
mig_scan(const char *dir, struct mig_file **out, size_t *nout, char *errbuf,
    size_t errlen)
{
	DIR		*d;
	struct dirent	*de;
	struct mig_file	*files = NULL, *nf;
	size_t		 n = 0, cap = 0, i;
	char		 stem[sizeof(files->name)];
	int		 v;

	if ((d = opendir(dir)) == NULL) {
		(void)snprintf(errbuf, errlen, "%s: %s", dir, strerror(errno));
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if ((v = mig_parse_name(de->d_name, stem, sizeof(stem))) == -1)
			continue;
		if (n == cap) {
			if (cap >= DB_MIGRATE_FILES_MAX) {
				(void)snprintf(errbuf, errlen,
				    "%s: too many migration files", dir);
				goto fail;
			}
			cap = cap ? cap * 2 : 16;
			nf = reallocarray(files, cap, sizeof(*nf));
			if (nf == NULL)
				oom();
			files = nf;
		}
		files[n].version = v;
		(void)snprintf(files[n].name, sizeof(files[n].name), "%s",
		    stem);
		(void)snprintf(files[n].file, sizeof(files[n].file), "%s",
		    de->d_name);
		n++;
	}
	closedir(d);
	d = NULL;
	if (n > 1)
		qsort(files, n, sizeof(*files), mig_cmp);
	for (i = 1; i < n; i++)
		if (files[i].version == files[i - 1].version) {
			(void)snprintf(errbuf, errlen, "%s: %s and %s have the "
			    "same version", dir, files[i - 1].file,
			    files[i].file);
			goto fail;
		}
	*out = files;
	*nout = n;
	return (0);
 fail:
	if (d != NULL)
		closedir(d);
	free(files);
	return (-1);
}

/* Read a whole migration file, NUL-terminated. */
static char *
mig_read(const char *dir, const char *file, char *errbuf, size_t errlen)
{
	char		 path[PATH_MAX];
	struct stat	 sb;
	FILE		*fp = NULL;
	char		*buf = NULL;
	size_t		 len;
	int		 n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		(void)snprintf(errbuf, errlen, "%s: path too long", file);
		return (NULL);
	}
	if ((fp = fopen(path, "r")) == NULL || fstat(fileno(fp), &sb) == -1) {
		(void)snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > DB_MIGRATE_FILE_MAX) {
		(void)snprintf(errbuf, errlen, "%s: not a regular file or "
		    "larger than %d bytes", path, DB_MIGRATE_FILE_MAX);
		goto fail;
	}
	buf = xcalloc(1, (size_t)sb.st_size + 1);
	len = fread(buf, 1, (size_t)sb.st_size, fp);
	if (ferror(fp) || len != (size_t)sb.st_size) {
		(void)snprintf(errbuf, errlen, "%s: short read", path);
		goto fail;
	}
	if (memchr(buf, '\0', len) != NULL) {
		(void)snprintf(errbuf, errlen, "%s: contains a NUL byte", path);
		goto fail;
	}
	fclose(fp);
	return (buf);
 fail:
	if (fp != NULL)
		fclose(fp);
	free(buf);
	return (NULL);
}

/* Line of character position pos (1-based, as the server counts). */
static int
mig_line(const char *sql, long pos)
{
	long	 chars = 0;
	int	 line = 1;

	for (; *sql != '\0'; sql++) {
		if (((unsigned char)*sql & 0xC0) == 0x80)
			continue;	/* UTF-8 continuation byte */
		if (++chars >= pos)
			break;
		if (*sql == '\n')
			line++;
	}
	return (line);
}

/* Describe a failed migration statement in errbuf. */
static void
mig_error(char *errbuf, size_t errlen, PGconn *pg, const PGresult *res,
    const char *file, const char *sql)
{
	struct db_error	 e;
	const char	*pos = NULL;
	char		*end;
	long		 p = 0;

	err_from_result(&e, pg, res);
	if (res != NULL && sql != NULL)
		pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
	if (pos != NULL) {
		errno = 0;
		p = strtol(pos, &end, 10);
		if (errno != 0 || *end != '\0' || p < 1)
			p = 0;
	}
	if (p > 0)
		(void)snprintf(errbuf, errlen, "%s, line %d: %s%s%s%s", file,
		    mig_line(sql, p), e.message, e.sqlstate[0] ? " (" : "",
		    e.sqlstate, e.sqlstate[0] ? ")" : "");
	else
		(void)snprintf(errbuf, errlen, "%s: %s%s%s%s", file,
		    e.message, e.sqlstate[0] ? " (" : "", e.sqlstate,
		    e.sqlstate[0] ? ")" : "");
}

/* Run a parameterless statement; 0, or -1 with errbuf filled. */
static int
mig_simple(PGconn *pg, const char *sql, const char *what, char *errbuf,
    size_t errlen)
{
	PGresult	*res;

	res = PQexec(pg, sql);
	if (!result_ok(res)) {
		mig_error(errbuf, errlen, pg, res, what, NULL);
		PQclear(res);
		return (-1);
	}
	PQclear(res);
	return (0);
}

/* Apply one file and record it, in one transaction. */
static int
mig_apply(PGconn *pg, const char *dir, const struct mig_file *f,
    char *errbuf, size_t errlen)
{
	PGresult	*res;
	const char	*params[2];
	char		 vbuf[16];
	char		*sql;

	if ((sql = mig_read(dir, f->file, errbuf, errlen)) == NULL)
		return (-1);
	if (mig_simple(pg, "BEGIN", f->file, errbuf, errlen) == -1)
		goto fail;
	res = PQexec(pg, sql);
	if (!result_ok(res)) {
		mig_error(errbuf, errlen, pg, res, f->file, sql);
		PQclear(res);
		goto rollback;
	}
	PQclear(res);
	(void)snprintf(vbuf, sizeof(vbuf), "%d", f->version);
	params[0] = vbuf;
	params[1] = f->name;
	res = PQexecParams(pg, "INSERT INTO "
	    "\"neon_auth\".\"schema_migrations\" "
	    "(\"version\", \"name\") VALUES ($1::integer, $2) "
	    "ON CONFLICT (\"version\") DO NOTHING", 2, NULL, params, NULL,
	    NULL, 0);
	if (!result_ok(res)) {
		mig_error(errbuf, errlen, pg, res, f->file, NULL);
		PQclear(res);
		goto rollback;
	}
	PQclear(res);
	res = PQexec(pg, "COMMIT");
	if (!result_ok(res) || strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		if (result_ok(res))
			(void)snprintf(errbuf, errlen, "%s: rolled back "
			    "at commit", f->file);
		else
			mig_error(errbuf, errlen, pg, res, f->file, NULL);
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	free(sql);
	return (0);
 rollback:
	PQclear(PQexec(pg, "ROLLBACK"));
 fail:
	free(sql);
	return (-1);
}

/* Is version v in the sorted array? */
static int
mig_done(const int *vs, int n, int v)
{
	int	 lo = 0, hi = n - 1, mid;

	while (lo <= hi) {
		mid = lo + (hi - lo) / 2;
		if (vs[mid] == v)
			return (1);
		if (vs[mid] < v)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return (0);
}

int
db_migrate(const char *conninfo, const char *sql_dir, int *applied_out,
    char *errbuf, size_t errlen)
{
	PGconn		*pg = NULL;
	PGresult	*res = NULL;
	struct mig_file	*files = NULL;
	size_t		 nfiles = 0, i;
	int		*done = NULL, ndone = 0, applied = 0, locked = 0;
	int		 r, rc = -1;
	const char	*params[1];
	char		 key[32], scratch[8];
	char		*end;
	long		 v;

	if (errbuf == NULL || errlen == 0) {
		errbuf = scratch;
		errlen = sizeof(scratch);
	}
	errbuf[0] = '\0';
	if (applied_out != NULL)
		*applied_out = 0;
	if (conninfo == NULL || sql_dir == NULL) {
		(void)snprintf(errbuf, errlen, "no database or SQL directory");
		return (-1);
	}
	if (mig_scan(sql_dir, &files, &nfiles, errbuf, errlen) == -1)
		goto done;
	if (nfiles == 0) {
		(void)snprintf(errbuf, errlen, "%s: no NNN_name.sql files",
		    sql_dir);
		goto done;
	}
	if (files[nfiles - 1].version != NEON_AUTHD_SCHEMA_VERSION)
		log_warnx("%s: %s goes up to version %d, this binary expects "
		    "%d", __func__, sql_dir, files[nfiles - 1].version,
		    NEON_AUTHD_SCHEMA_VERSION);

	pg = pg_open(conninfo, DB_MIGRATE_APP_NAME, DB_MIGRATE_TIMEOUT_S);
	if (PQstatus(pg) != CONNECTION_OK) {
		(void)snprintf(errbuf, errlen, "connect: %s",
		    PQerrorMessage(pg));
		copy_message(errbuf, errlen, errbuf);
		goto done;
	}
	/* DDL may take longer than a request would be allowed to */
	if (mig_simple(pg, "SET statement_timeout = 0", "setup", errbuf,
	    errlen) == -1)
		goto done;

	(void)snprintf(key, sizeof(key), "%" PRId64,
	    (int64_t)NEON_AUTHD_MIGRATE_LOCK);
	params[0] = key;
	res = PQexecParams(pg, "SELECT pg_catalog.pg_advisory_lock($1::bigint)",
	    1, NULL, params, NULL, NULL, 0);
	if (!result_ok(res)) {
		mig_error(errbuf, errlen, pg, res, "advisory lock", NULL);
		goto done;
	}
	PQclear(res);
	res = NULL;
	locked = 1;

	if (mig_simple(pg, ledger_sql, "ledger", errbuf, errlen) == -1)
		goto done;
	res = PQexec(pg, "SELECT \"version\" FROM "
	    "\"neon_auth\".\"schema_migrations\" ORDER BY 1");
	if (!result_ok(res)) {
		mig_error(errbuf, errlen, pg, res, "ledger", NULL);
		goto done;
	}
	ndone = PQntuples(res);
	done = xcalloc((size_t)ndone + 1, sizeof(*done));
	for (r = 0; r < ndone; r++) {
		errno = 0;
		v = strtol(PQgetvalue(res, r, 0), &end, 10);
		if (errno != 0 || *end != '\0' || v < INT_MIN || v > INT_MAX) {
			(void)snprintf(errbuf, errlen, "ledger: bad version");
			goto done;
		}
		done[r] = (int)v;
	}
	PQclear(res);
	res = NULL;

	for (i = 0; i < nfiles; i++) {
		if (mig_done(done, ndone, files[i].version))
			continue;
		if (mig_apply(pg, sql_dir, &files[i], errbuf, errlen) == -1)
			goto done;
		applied++;
		log_info("%s: applied %s", __func__, files[i].file);
	}
	if (ndone > 0 && done[ndone - 1] > files[nfiles - 1].version)
		log_warnx("%s: the database has schema version %d, newer than "
		    "%s (%d)", __func__, done[ndone - 1], sql_dir,
		    files[nfiles - 1].version);
	rc = 0;
 done:
	PQclear(res);
	if (locked) {
		res = PQexecParams(pg, "SELECT pg_catalog.pg_advisory_unlock("
		    "$1::bigint)", 1, NULL, params, NULL, NULL, 0);
		PQclear(res);
	}
	if (pg != NULL)
		PQfinish(pg);
	free(done);
	free(files);
	if (applied_out != NULL)
		*applied_out = applied;
	return (rc);
}

/* ---- offline checks and migration status ---------------------------- */

int
db_conninfo_check(const char *conninfo, char *errbuf, size_t errlen)
{
	PQconninfoOption	*opts;
	char			*msg = NULL;

	if (conninfo == NULL) {
		(void)snprintf(errbuf, errlen, "no connection string");
		return (-1);
	}
	if ((opts = PQconninfoParse(conninfo, &msg)) == NULL) {
		copy_message(errbuf, errlen, msg != NULL ? msg :
		    "cannot parse (out of memory)");
		PQfreemem(msg);
		return (-1);
	}
	PQconninfoFree(opts);
	return (0);
}

int
db_conninfo_target(const char *conninfo, char *out, size_t outlen,
    const char **dbname)
{
	PQconninfoOption	*opts, *o;
	const char		*host = "", *port = "", *db = NULL;
	const char		*user = NULL;
	char			*msg = NULL;
	int			 n;

	*dbname = NULL;
	if (conninfo == NULL ||
	    (opts = PQconninfoParse(conninfo, &msg)) == NULL) {
		PQfreemem(msg);
		return (-1);
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0 && *host == '\0')
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
		else if (strcmp(o->keyword, "user") == 0)
			user = o->val;
	}
	/* libpq's default: the database named as the user */
	if (db == NULL || *db == '\0')
		db = user != NULL ? user : "";
	n = snprintf(out, outlen, "%s\n%s\n%s", host, port, db);
	if (n < 0 || (size_t)n >= outlen) {
		PQconninfoFree(opts);
		return (-1);
	}
	*dbname = out + (n - strlen(db));
	PQconninfoFree(opts);
	return (0);
}

int
db_migrate_pending(const char *conninfo, const char *sql_dir, struct arena *a,
    int *version, char ***pending, int *npending, char *errbuf, size_t errlen)
{
	PGconn		*pg = NULL;
	PGresult	*res = NULL;
	struct mig_file	*files = NULL;
	size_t		 nfiles = 0, i;
	int		*done = NULL, ndone = 0, r, rc = -1, n = 0;
	char		*end;
	long		 v;

	*version = 0;
	*pending = NULL;
	*npending = 0;
	if (mig_scan(sql_dir, &files, &nfiles, errbuf, errlen) == -1)
		return (-1);
	pg = pg_open(conninfo, DB_MIGRATE_APP_NAME, DB_MIGRATE_TIMEOUT_S);
	if (PQstatus(pg) != CONNECTION_OK) {
		(void)snprintf(errbuf, errlen, "connect: %s",
		    PQerrorMessage(pg));
		copy_message(errbuf, errlen, errbuf);
		goto done;
	}
	res = PQexec(pg, "SELECT \"version\" FROM "
	    "\"neon_auth\".\"schema_migrations\" ORDER BY 1");
	if (!result_ok(res)) {
		if (!state_is(res, "42P01") && !state_is(res, "3F000")) {
			mig_error(errbuf, errlen, pg, res, "ledger", NULL);
			goto done;
		}
		ndone = 0;	/* no ledger: nothing applied */
	} else {
		ndone = PQntuples(res);
		done = xcalloc((size_t)ndone + 1, sizeof(*done));
		for (r = 0; r < ndone; r++) {
			errno = 0;
			v = strtol(PQgetvalue(res, r, 0), &end, 10);
			if (errno != 0 || *end != '\0' || v < INT_MIN ||
			    v > INT_MAX) {
				(void)snprintf(errbuf, errlen,
				    "ledger: bad version");
				goto done;
			}
			done[r] = (int)v;
		}
		if (ndone > 0)
			*version = done[ndone - 1];
	}
	*pending = arena_alloc(a, sizeof(**pending) * (nfiles + 1));
	for (i = 0; i < nfiles; i++)
		if (!mig_done(done, ndone, files[i].version))
			(*pending)[n++] = arena_strdup(a, files[i].file);
	(*pending)[n] = NULL;
	*npending = n;
	rc = 0;
 done:
	PQclear(res);
	if (pg != NULL)
		PQfinish(pg);
	free(done);
	free(files);
	return (rc);
}

int
db_migrate_files(const char *sql_dir, int *count, int *highest, char *errbuf,
    size_t errlen)
{
	struct mig_file	*files = NULL;
	size_t		 nfiles = 0;

	if (mig_scan(sql_dir, &files, &nfiles, errbuf, errlen) == -1)
		return (-1);
	*count = (int)nfiles;
	*highest = nfiles > 0 ? files[nfiles - 1].version : 0;
	free(files);
	return (0);
}
