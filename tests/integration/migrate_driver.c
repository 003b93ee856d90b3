/*
 * migrate_driver.c -- exercises src/store/db.c against a real PostgreSQL for
 * tests/integration/test_schema.sh.
 *
 *   migrate_driver migrate CONNINFO SQLDIR
 *	one db_migrate(); prints "applied N"
 *   migrate_driver race CONNINFO SQLDIR
 *	two processes call db_migrate() at the same moment; prints
 *	"applied A B" (each process's count)
 *   migrate_driver dbtest CONNINFO EMPTY_CONNINFO
 *	pool, prepared statements, errors, transactions, reconnects and
 *	notifications; prints one "ok - ..." / "not ok - ..." line per check
 *	(the script numbers them) and "# ..." diagnostics
 *
 * Exit status 0 when everything passed, 1 otherwise, 2 on bad usage.
 * Expects the database of CONNINFO migrated and EMPTY_CONNINFO without a
 * neon_auth schema.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/arena.h"
#include "store/db.h"
#include "lib/log.h"

static int	 failures;

static void
check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
check(int cond, const char *fmt, ...)
{
	va_list	 ap;

	printf("%s - ", cond ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		failures++;
}

static void
diag_error(struct db_conn *c)
{
	const struct db_error	*e = db_last_error(c);

	printf("# db error kind=%d sqlstate=%s message=%s\n", (int)e->kind,
	    e->sqlstate, e->message);
}

static void
sleep_ms(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
cmd_migrate(const char *conninfo, const char *dir)
{
	char	 err[1024];
	int	 applied;

	if (db_migrate(conninfo, dir, &applied, err, sizeof(err)) == -1) {
		fprintf(stderr, "migrate: %s\n", err);
		return (1);
	}
	printf("applied %d\n", applied);
	return (0);
}

/* Two migrators released at once through a pipe barrier. */
static int
cmd_race(const char *conninfo, const char *dir)
{
	int	 gate[2], res[2][2], i, status, rc = 0, applied[2] = { -1, -1 };
	pid_t	 pid[2];
	char	 b, err[1024];
	ssize_t	 n;

	if (pipe(gate) == -1)
		return (1);
	for (i = 0; i < 2; i++) {
		if (pipe(res[i]) == -1)
			return (1);
		if ((pid[i] = fork()) == -1)
			return (1);
		if (pid[i] == 0) {
			int	 a = -1;

			close(gate[1]);
			close(res[i][0]);
			(void)!read(gate[0], &b, 1);	/* EOF = go */
			if (db_migrate(conninfo, dir, &a, err,
			    sizeof(err)) == -1) {
				fprintf(stderr, "migrate %d: %s\n", i, err);
				a = -1;
			}
			(void)!write(res[i][1], &a, sizeof(a));
			_exit(a < 0);
		}
		close(res[i][1]);
	}
	close(gate[0]);
	close(gate[1]);
	for (i = 0; i < 2; i++) {
		n = read(res[i][0], &applied[i], sizeof(applied[i]));
		if (n != (ssize_t)sizeof(applied[i]))
			applied[i] = -1;
		close(res[i][0]);
		if (waitpid(pid[i], &status, 0) == -1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			rc = 1;
	}
	printf("applied %d %d\n", applied[0], applied[1]);
	return (rc);
}

static const char *
one(struct db_conn *c, struct arena *a, const char *sql, int n,
    const char *const *p)
{
	struct db_result	*r;

	if ((r = db_exec(c, a, NULL, sql, n, p)) == NULL) {
		diag_error(c);
		return (NULL);
	}
	if (db_ntuples(r) != 1 || db_nfields(r) < 1)
		return (NULL);
	return (db_getvalue(r, 0, 0));
}

static int
streq(const char *a, const char *b)
{
	return (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Wait up to 3 s for flag bits to show up on c. */
static unsigned
wait_notify(struct db_conn *c, unsigned want)
{
	unsigned	 flags = 0;
	int		 i;

	for (i = 0; i < 300; i++) {
		if (db_drain_notifies(c, &flags) == -1)
			return (flags | 0x100u);
		if ((flags & want) == want)
			break;
		sleep_ms(10);
	}
	return (flags);
}

static int
cmd_dbtest(const char *ci, const char *empty_ci)
{
	static const char count_sql[] =
	    "SELECT count(*) FROM \"neon_auth\".\"user\" WHERE \"email\" = $1";
	static const char insert_sql[] =
	    "INSERT INTO \"neon_auth\".\"user\" (\"name\", \"email\", "
	    "\"emailVerified\") VALUES ($1, $2, false) RETURNING \"id\"";
	struct db_pool		*pool, *pool2;
	struct db_conn		*c, *c2, *ce, *ct;
	struct db_result	*r;
	struct arena		 a;
	const char		*v, *p[2];
	char			 pid1[32], pid2[32], epid[32];
	unsigned		 flags;
	int			 err, n, ver;
	enum db_schema_state	 st;
	struct str		 s;

	arena_init(&a, 0);
	pool = db_pool_new(2, 5, 1500);
	pool2 = db_pool_new(4, 5, 0);
	check(pool != NULL && pool2 != NULL, "db_pool_new");
	if (pool == NULL || pool2 == NULL)
		return (1);

	c = db_pool_get(pool, "main", ci, &err);
	check(c != NULL && err == DB_ERR_NONE, "db_pool_get connects");
	if (c == NULL) {
		printf("# %s\n", db_pool_last_error(pool)->message);
		return (1);
	}
	c2 = db_pool_get(pool2, "main", ci, &err);
	check(c2 != NULL, "second pool connects");
	if (c2 == NULL)
		return (1);
	check(db_pool_get(pool, "main", ci, &err) == c,
	    "db_pool_get returns the cached connection");

	check(streq(one(c, &a, "SHOW statement_timeout", 0, NULL), "1500ms"),
	    "statement_timeout set on connect");
	check(streq(one(c, &a, "SELECT current_setting('application_name')",
	    0, NULL), "neon-authd"), "application_name is neon-authd");
	check(streq(one(c, &a, "SELECT count(*) FROM pg_listening_channels() "
	    "WHERE pg_listening_channels IN ('neon_auth_config', "
	    "'neon_auth_jwks')", 0, NULL), "2"),
	    "LISTEN on neon_auth_config and neon_auth_jwks");

	ver = -1;
	st = db_schema_check(c, &ver);
	check(st == DB_SCHEMA_OK && ver == NEON_AUTHD_SCHEMA_VERSION,
	    "db_schema_check: OK at version %d (got %d)",
	    NEON_AUTHD_SCHEMA_VERSION, ver);

	/* notifications */
	flags = 0;
	n = db_drain_notifies(c, &flags);
	check(n >= 1 && flags == (DB_NOTIFY_CONFIG | DB_NOTIFY_JWKS),
	    "first drain after connect reports everything changed");
	flags = 0;
	n = db_drain_notifies(c, &flags);
	check(n == 0 && flags == 0, "second drain is empty");
	p[0] = "renamed-by-test";
	r = db_exec(c2, &a, NULL, "UPDATE \"neon_auth\".\"project_config\" "
	    "SET \"name\" = $1", 1, p);
	check(r != NULL && db_cmd_tuples(r) == 1,
	    "update project_config: 1 row (cmd_tuples)");
	flags = wait_notify(c, DB_NOTIFY_CONFIG);
	check(flags == DB_NOTIFY_CONFIG,
	    "project_config update -> DB_NOTIFY_CONFIG only (flags %#x)",
	    flags);
	p[0] = "{}";
	p[1] = "x";
	r = db_exec(c2, &a, NULL, "INSERT INTO \"neon_auth\".\"jwks\" "
	    "(\"publicKey\", \"privateKey\", \"createdAt\") "
	    "VALUES ($1, $2, now())", 2, p);
	check(r != NULL, "insert into jwks");
	flags = wait_notify(c, DB_NOTIFY_JWKS);
	check(flags == DB_NOTIFY_JWKS,
	    "jwks insert -> DB_NOTIFY_JWKS only (flags %#x)", flags);

	/* prepared statements and results */
	check(db_prepare(c, "user_insert", insert_sql, 2) == 0,
	    "db_prepare user_insert");
	check(db_prepare(c, "user_insert", insert_sql, 2) == 0,
	    "db_prepare again is a no-op");
	check(db_prepare(c, "user_insert", count_sql, 1) == -1,
	    "db_prepare refuses a name reused with other SQL");
	p[0] = "Ann";
	p[1] = "ann@example.com";
	r = db_exec(c, &a, "user_insert", insert_sql, 2, p);
	check(r != NULL && db_ntuples(r) == 1 &&
	    db_getlength(r, 0, 0) == 36 && db_fnumber(r, "id") == 0,
	    "prepared insert returns a uuid id");
	r = db_exec(c, &a, "user_insert", NULL, 2, p);
	check(r == NULL && db_last_error(c)->kind == DB_ERR_QUERY &&
	    streq(db_sqlstate(c), "23505"),
	    "duplicate email: DB_ERR_QUERY, sqlstate 23505");
	p[0] = "ann@example.com";
	r = db_exec(c, &a, "user_count", count_sql, 1, p);
	check(r != NULL && streq(db_getvalue(r, 0, 0), "1"),
	    "prepared select by name");
	check(streq(db_sqlstate(c), ""), "success clears the error");

	p[0] = "x";
	r = db_exec(c, &a, NULL, "SELECT NULL::text AS a, $1::text AS b", 1,
	    p);
	s = db_getstr(r, 0, 0);
	check(r != NULL && db_isnull(r, 0, 0) && !db_isnull(r, 0, 1) &&
	    streq(db_getvalue(r, 0, 0), "") && s.p == NULL &&
	    streq(db_getvalue(r, 0, 1), "x") && db_fnumber(r, "b") == 1 &&
	    db_getvalue(r, 1, 0) == NULL && db_getvalue(r, 0, 2) == NULL,
	    "NULL, values, names and out-of-range accessors");
	p[0] = NULL;
	check(streq(one(c, &a, "SELECT $1::text IS NULL", 1, p), "t"),
	    "a NULL parameter is SQL NULL");

	/* errors */
	r = db_exec(c, &a, NULL, "SELECT * FROM \"neon_auth\".\"nope\"", 0,
	    NULL);
	check(r == NULL && db_last_error(c)->kind == DB_ERR_SCHEMA &&
	    streq(db_sqlstate(c), "42P01"),
	    "missing relation: DB_ERR_SCHEMA 42P01");
	r = db_exec(c, &a, NULL, "SELECT \"nope\" FROM \"neon_auth\".\"user\"",
	    0, NULL);
	check(r == NULL && db_last_error(c)->kind == DB_ERR_SCHEMA &&
	    streq(db_sqlstate(c), "42703"),
	    "missing column: DB_ERR_SCHEMA 42703");
	r = db_exec(c, &a, NULL, "SELECT 1/0", 0, NULL);
	check(r == NULL && db_last_error(c)->kind == DB_ERR_QUERY &&
	    streq(db_sqlstate(c), "22012"), "division by zero: DB_ERR_QUERY");
	r = db_exec(c, &a, NULL, "SELECT pg_sleep(3)", 0, NULL);
	check(r == NULL && db_last_error(c)->kind == DB_ERR_UNAVAILABLE &&
	    streq(db_sqlstate(c), "57014"),
	    "statement timeout: DB_ERR_UNAVAILABLE 57014");

	/* transactions */
	p[0] = "Bob";
	p[1] = "bob@example.com";
	check(db_begin(c) == 0 && db_in_transaction(c), "db_begin");
	check(db_begin(c) == -1, "nested db_begin refused");
	check(db_exec(c, &a, "user_insert", insert_sql, 2, p) != NULL,
	    "insert inside the transaction");
	check(db_rollback(c) == 0 && !db_in_transaction(c), "db_rollback");
	check(streq(one(c, &a, count_sql, 1, p + 1), "0"),
	    "rolled-back insert is gone");
	check(db_begin(c) == 0 &&
	    db_exec(c, &a, "user_insert", insert_sql, 2, p) != NULL &&
	    db_commit(c) == 0, "begin, insert, commit");
	check(streq(one(c, &a, count_sql, 1, p + 1), "1"),
	    "committed insert is there");
	check(db_begin(c) == 0 &&
	    db_exec(c, &a, NULL, "SELECT 1/0", 0, NULL) == NULL &&
	    db_commit(c) == -1 && !db_in_transaction(c),
	    "commit of a failed transaction returns -1");
	check(db_begin(c) == 0 &&
	    db_pool_get(pool, "main", ci, &err) == c && !db_in_transaction(c) &&
	    streq(one(c, &a, "SELECT 1", 0, NULL), "1"),
	    "db_pool_get rolls back a transaction left open");

	/* reconnect: prepared statement survives a terminated backend */
	v = one(c, &a, "SELECT pg_backend_pid()", 0, NULL);
	(void)snprintf(pid1, sizeof(pid1), "%s", v ? v : "");
	p[0] = pid1;
	check(streq(one(c2, &a, "SELECT pg_terminate_backend($1::int)", 1, p),
	    "t"), "terminate the pooled backend (pid %s)", pid1);
	sleep_ms(200);
	p[0] = "ann@example.com";
	r = db_exec(c, &a, "user_count", count_sql, 1, p);
	check(r != NULL && streq(db_getvalue(r, 0, 0), "1"),
	    "prepared statement runs after a transparent reconnect");
	if (r == NULL)
		diag_error(c);
	v = one(c, &a, "SELECT pg_backend_pid()", 0, NULL);
	check(v != NULL && strcmp(v, pid1) != 0, "new backend after reset");
	flags = 0;
	check(db_drain_notifies(c, &flags) >= 1 &&
	    flags == (DB_NOTIFY_CONFIG | DB_NOTIFY_JWKS),
	    "drain after reconnect reports everything changed");
	check(streq(one(c, &a, "SELECT count(*) FROM pg_listening_channels()",
	    0, NULL), "4"), "LISTEN restored after reconnect");

	/* no retry inside a transaction */
	v = one(c, &a, "SELECT pg_backend_pid()", 0, NULL);
	(void)snprintf(pid2, sizeof(pid2), "%s", v ? v : "");
	check(db_begin(c) == 0, "begin before losing the backend");
	p[0] = pid2;
	(void)one(c2, &a, "SELECT pg_terminate_backend($1::int)", 1, p);
	sleep_ms(200);
	r = db_exec(c, &a, NULL, "SELECT 1", 0, NULL);
	check(r == NULL && db_last_error(c)->kind == DB_ERR_UNAVAILABLE,
	    "lost backend inside a transaction: DB_ERR_UNAVAILABLE, no retry");
	(void)db_rollback(c);
	check(!db_in_transaction(c), "rollback leaves the transaction");
	check(db_pool_get(pool, "main", ci, &err) == c &&
	    streq(one(c, &a, "SELECT 1", 0, NULL), "1"),
	    "db_pool_get resets the broken connection");

	/* the server forgets prepared statements (pooler / DISCARD ALL) */
	check(db_exec(c, &a, NULL, "DEALLOCATE ALL", 0, NULL) != NULL,
	    "DEALLOCATE ALL behind db.c's back");
	p[0] = "ann@example.com";
	r = db_exec(c, &a, "user_count", count_sql, 1, p);
	check(r != NULL && streq(db_getvalue(r, 0, 0), "1"),
	    "statement re-prepared after 26000");

	/* an empty database: schema missing */
	ce = db_pool_get(pool, "empty", empty_ci, &err);
	check(ce != NULL, "connect to a database without neon_auth");
	if (ce != NULL) {
		st = db_schema_check(ce, &ver);
		check(st == DB_SCHEMA_MISSING && ver == 0,
		    "db_schema_check: MISSING");
		r = db_exec(ce, &a, NULL,
		    "SELECT 1 FROM \"neon_auth\".\"user\"", 0, NULL);
		check(r == NULL && db_last_error(ce)->kind == DB_ERR_SCHEMA,
		    "query on the empty database: DB_ERR_SCHEMA (%s)",
		    db_sqlstate(ce));
		v = one(ce, &a, "SELECT pg_backend_pid()", 0, NULL);
		(void)snprintf(epid, sizeof(epid), "%s", v ? v : "");
	}

	/* LRU: max 2 connections */
	v = one(c, &a, "SELECT pg_backend_pid()", 0, NULL);
	(void)snprintf(pid1, sizeof(pid1), "%s", v ? v : "");
	(void)db_pool_get(pool, "main", ci, &err);	/* main is newest */
	ct = db_pool_get(pool, "third", ci, &err);	/* evicts empty */
	check(ct != NULL, "third branch connects (pool of 2)");
	c = db_pool_get(pool, "main", ci, &err);
	check(c != NULL && streq(one(c, &a, "SELECT pg_backend_pid()", 0,
	    NULL), pid1), "recently used branch kept");
	ce = db_pool_get(pool, "empty", empty_ci, &err); /* evicts third */
	check(ce != NULL && (v = one(ce, &a, "SELECT pg_backend_pid()", 0,
	    NULL)) != NULL && strcmp(v, epid) != 0,
	    "least recently used branch was evicted and reconnects");

	/* unreachable database */
	check(db_pool_get(pool, "down", "host=127.0.0.1 port=1 dbname=x "
	    "connect_timeout=2", &err) == NULL && err == DB_ERR_UNAVAILABLE &&
	    db_pool_last_error(pool)->kind == DB_ERR_UNAVAILABLE,
	    "unreachable database: NULL, DB_ERR_UNAVAILABLE");

	db_pool_free(pool);
	db_pool_free(pool2);
	arena_free(&a);
	return (failures != 0);
}

int
main(int argc, char **argv)
{
	(void)log_init(LOG_LVL_WARN, NULL);
	if (argc == 4 && strcmp(argv[1], "migrate") == 0)
		return (cmd_migrate(argv[2], argv[3]));
	if (argc == 4 && strcmp(argv[1], "race") == 0)
		return (cmd_race(argv[2], argv[3]));
	if (argc == 4 && strcmp(argv[1], "dbtest") == 0)
		return (cmd_dbtest(argv[2], argv[3]));
	fprintf(stderr, "usage: migrate_driver migrate|race CONNINFO SQLDIR\n"
	    "       migrate_driver dbtest CONNINFO EMPTY_CONNINFO\n");
	return (2);
}
