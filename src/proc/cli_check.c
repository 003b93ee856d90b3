/*
 * cli_check.c -- `neon-authd check-config` (see cli_check.h).
 */
#include <sys/stat.h>

#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/branch.h"
#include "http/branchcfg.h"
#include "lib/arena.h"
#include "lib/config.h"
#include "proc/cli.h"
#include "proc/cli_check.h"
#include "proc/listen.h"
#include "store/db.h"

static int	 problems;

static void
problem(const char *path, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(const char *path, int line, const char *fmt, ...)
{
	va_list	 ap;

	if (line > 0)
		fprintf(stderr, "neon-authd: %s:%d: ", path, line);
	else
		fprintf(stderr, "neon-authd: %s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	problems++;
}

/* the directory a file would be created in exists */
static void
dir_of(const char *path, const char *what, const char *file)
{
	struct stat	 st;
	char		*copy, *d;

	if (file == NULL || *file == '\0')
		return;
	if ((copy = strdup(file)) == NULL)
		return;
	d = dirname(copy);
	if (stat(d, &st) == -1 || !S_ISDIR(st.st_mode))
		problem(path, 0, "%s: directory %s does not exist", what, d);
	free(copy);
}

static void
check_offline(const struct config *c)
{
	struct listen_addr	 la;
	struct arena		 a;
	char			 err[512];
	int			 i, j, nfiles, highest;
	const char		*sql_dir = getenv("NEON_AUTHD_SQL_DIR");

	if (listen_parse(c->listen_address, &la, err, sizeof(err)) == -1)
		problem(c->path, 0, "listen.address: %s", err);
	if (c->listen_owner[0] != '\0' && getpwnam(c->listen_owner) == NULL)
		problem(c->path, 0, "listen.owner: no user %s on this host",
		    c->listen_owner);
	if (c->listen_group[0] != '\0' && getgrnam(c->listen_group) == NULL)
		problem(c->path, 0, "listen.group: no group %s on this host",
		    c->listen_group);
	for (i = 0; i < c->nbranches; i++) {
		if (db_conninfo_check(c->branches[i].database, err,
		    sizeof(err)) == -1)
			problem(c->path, c->branches[i].line, "branches[%d]."
			    "database: libpq cannot parse it: %s", i, err);
		for (j = 0; j < i; j++)
			if (strcmp(c->branches[i].auth_url,
			    c->branches[j].auth_url) == 0)
				problem(c->path, c->branches[i].line,
				    "branches[%d].auth_url: %s is also "
				    "branches[%d] (%s)'s", i,
				    c->branches[i].auth_url, j,
				    c->branches[j].name);
	}
	if (c->template_database != NULL) {
		arena_init(&a, 4096);
		if (db_conninfo_check(config_template_sample(&a,
		    c->template_database), err, sizeof(err)) == -1)
			problem(c->path, c->template_line, "branch_template."
			    "database: libpq cannot parse it (with sample "
			    "names): %s", err);
		arena_free(&a);
	}
	/* hardening warnings: the server runs anyway */
	if (c->template_auth_url != NULL) {
		static const char *const fld[] = { "{branch}", "{database}" };
		size_t	 k;

		for (k = 0; k < 2; k++)
			if (strstr(c->template_auth_url, fld[k]) != NULL &&
			    strstr(c->template_database, fld[k]) == NULL)
				fprintf(stderr, "neon-authd: %s:%d: warning: "
				    "branch_template: the auth_url uses %s and "
				    "the database does not: every value of %s "
				    "is the same database under another Auth "
				    "URL (one branch, one set of rate limits "
				    "and keys)\n", c->path, c->template_line,
				    fld[k], fld[k]);
	}
	if (listen_parse(c->listen_address, &la, err, sizeof(err)) == 0 &&
	    listen_addr_exposed(&la) && c->listen_allow == NULL)
		fprintf(stderr, "neon-authd: %s: warning: listen.address %s "
		    "is a wildcard or not loopback and listen.allow is unset: "
		    "anyone who reaches the port can forge REMOTE_ADDR, HTTPS "
		    "and Host; list the web servers in listen.allow\n",
		    c->path, c->listen_address);
	dir_of(c->path, "log.file", c->log_file);
	dir_of(c->path, "pid_file", c->pid_file);
	if (sql_dir == NULL || *sql_dir == '\0')
		sql_dir = c->sql_dir;
	/* only `migrate` reads sql_dir: a warning, the server runs anyway */
	if (db_migrate_files(sql_dir, &nfiles, &highest, err,
	    sizeof(err)) == -1)
		fprintf(stderr, "neon-authd: %s: warning: sql_dir: %s (migrate "
		    "will not work)\n", c->path, err);
	else if (highest != NEON_AUTHD_SCHEMA_VERSION)
		fprintf(stderr, "neon-authd: %s: warning: sql_dir: %s has "
		    "migrations up to %d, this binary needs %d\n", c->path,
		    sql_dir, highest, NEON_AUTHD_SCHEMA_VERSION);
}

/*
 * --connect: the branch's project_config settings that weaken it (issue
 * 12): warnings, the server runs anyway and logs the same at load.
 */
static void
config_warnings(struct db_conn *conn, const struct branch *b)
{
	struct arena		 a;
	struct branchcfg	 cfg;
	json_object		*row;

	arena_init(&a, 4096);
	if ((row = branchcfg_load(conn, &a)) == NULL) {
		printf("branch %s: cannot read project_config: %s\n", b->name,
		    db_last_error(conn)->message);
		arena_free(&a);
		return;
	}
	branchcfg_parse(&cfg, row);
	if (branchcfg_localhost_warn(&cfg, b))
		printf("branch %s: warning: allow_localhost with SameSite=None "
		    "cookies on an https Auth URL: any program serving a page "
		    "on localhost can read this branch's sessions (set "
		    "settings.allow_localhost_on_https false, or "
		    "allow_localhost false)\n", b->name);
	if (cfg.bearer && !cfg.bearer_require_signature)
		printf("branch %s: warning: settings.bearer_require_signature "
		    "is false: the raw tokens in neon_auth.session are bearer "
		    "credentials, so whoever can read that table (a replica, a "
		    "backup, a copy) can act as every signed-in user\n",
		    b->name);
	branchcfg_clear(&cfg);
	arena_free(&a);
}

/* --connect: each listed branch's schema version; 0 when all are ready */
static int
check_connect(const struct config *c)
{
	struct db_pool	*pool;
	struct db_conn	*conn;
	struct branch	*b;
	int		 i, v, rc = 0;

	if (branch_map_init(c) == -1)
		return (1);
	for (i = 0; i < branch_count(); i++) {
		b = branch_at(i);
		if ((conn = cli_connect(c, b, &pool, "check-config")) == NULL) {
			rc = 1;
			db_pool_free(pool);
			continue;
		}
		switch (db_schema_check(conn, &v)) {
		case DB_SCHEMA_OK:
			printf("branch %s: connected, schema version %d: up to "
			    "date\n", b->name, v);
			config_warnings(conn, b);
			break;
		case DB_SCHEMA_AHEAD:
			printf("branch %s: connected, schema version %d, newer "
			    "than this binary's %d\n", b->name, v,
			    NEON_AUTHD_SCHEMA_VERSION);
			break;
		case DB_SCHEMA_BEHIND:
			printf("branch %s: connected, schema version %d, this "
			    "binary needs %d: run neon-authd migrate\n",
			    b->name, v, NEON_AUTHD_SCHEMA_VERSION);
			rc = 1;
			break;
		case DB_SCHEMA_MISSING:
			printf("branch %s: connected, no neon_auth schema: run "
			    "neon-authd migrate\n", b->name);
			rc = 1;
			break;
		default:
			printf("branch %s: connected, cannot read the schema "
			    "version: %s\n", b->name,
			    db_last_error(conn)->message);
			rc = 1;
			break;
		}
		db_pool_free(pool);
	}
	if (c->template_auth_url != NULL)
		printf("branch_template: not connected (its branches are named "
		    "by requests; check one with migrate --status --branch "
		    "BRANCH/DATABASE)\n");
	branch_map_free();
	return (rc);
}

int
cli_check(struct config *c, int argc, char **argv)
{
	int		 i, connect = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--connect") == 0)
			connect = 1;
		else {
			fprintf(stderr, "neon-authd check-config: unexpected "
			    "argument %s\n", argv[i]);
			return (CLI_EX_USAGE);
		}
	}
	problems = 0;
	check_offline(c);
	if (problems > 0)
		return (NEON_AUTHD_EX_CONFIG);
	printf("neon-authd: configuration file %s is valid (%d branch%s%s)\n",
	    c->path, c->nbranches, c->nbranches == 1 ? "" : "es",
	    c->template_auth_url ? " and a template" : "");
	return (connect ? check_connect(c) : 0);
}
