/*
 * cli_migrate.c -- `neon-authd migrate` (see cli_migrate.h).  The work is
 * store/db.c's (db_migrate, db_migrate_pending); this file picks the
 * branches and prints one line each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/branch.h"
#include "lib/arena.h"
#include "lib/config.h"
#include "proc/cli.h"
#include "proc/cli_migrate.h"
#include "store/db.h"

/* one branch: migrate it, or tell what is pending; 0 or 1 */
static int
one(const struct branch *b, const char *sql_dir, int status)
{
	struct arena	 a;
	char		 err[1024], **pending;
	int		 applied, version, n, i, rc = 0;
	const char	*conninfo = b->conninfo;

	if (b->pooled) {
		/*
		 * the advisory lock is a session's: never through a
		 * transaction pooler, always on the direct connection
		 */
		if (b->listen_conninfo == NULL) {
			fprintf(stderr, "neon-authd migrate: branch %s: "
			    "pooler = \"transaction\" and no listen_database: "
			    "migrate needs a direct connection\n", b->name);
			return (1);
		}
		conninfo = b->listen_conninfo;
	}
	if (!status) {
		if (db_migrate(conninfo, sql_dir, &applied, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "neon-authd migrate: branch %s: %s\n",
			    b->name, err);
			return (1);
		}
		printf("branch %s: %d migration%s applied\n", b->name, applied,
		    applied == 1 ? "" : "s");
		return (0);
	}
	arena_init(&a, 8192);
	if (db_migrate_pending(conninfo, sql_dir, &a, &version, &pending,
	    &n, err, sizeof(err)) == -1) {
		fprintf(stderr, "neon-authd migrate: branch %s: %s\n", b->name,
		    err);
		arena_free(&a);
		return (1);
	}
	if (n == 0)
		printf("branch %s: schema version %d, up to date (this binary "
		    "needs %d)\n", b->name, version, NEON_AUTHD_SCHEMA_VERSION);
	else {
		printf("branch %s: schema version %d, %d pending:", b->name,
		    version, n);
		for (i = 0; i < n; i++)
			printf(" %s", pending[i]);
		printf("\n");
		rc = 1;
	}
	arena_free(&a);
	return (rc);
}

int
cli_migrate(struct config *c, int argc, char **argv)
{
	const char	*only = NULL;
	const char	*sql_dir = getenv("NEON_AUTHD_SQL_DIR");
	struct branch	*b;
	int		 i, all = 0, status = 0, rc = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else if (strcmp(argv[i], "--status") == 0)
			status = 1;
		else if (strcmp(argv[i], "--branch") == 0 && i + 1 < argc)
			only = argv[++i];
		else if (strncmp(argv[i], "--branch=", 9) == 0)
			only = argv[i] + 9;
		else {
			fprintf(stderr, "neon-authd migrate: unexpected "
			    "argument %s\n", argv[i]);
			return (CLI_EX_USAGE);
		}
	}
	if (sql_dir == NULL || *sql_dir == '\0')
		sql_dir = c->sql_dir;
	if (!all && only == NULL && c->nbranches == 1)
		all = 1;
	if (!all && only == NULL) {
		fprintf(stderr, "neon-authd migrate: say --all or "
		    "--branch NAME\n");
		return (CLI_EX_USAGE);
	}
	if (all && only != NULL) {
		fprintf(stderr, "neon-authd migrate: --all or --branch, not "
		    "both\n");
		return (CLI_EX_USAGE);
	}
	if (branch_map_init(c) == -1)
		return (NEON_AUTHD_EX_CONFIG);
	if (only != NULL) {
		if ((b = cli_find_branch(c, only, "migrate")) == NULL) {
			branch_map_free();
			return (CLI_EX_USAGE);
		}
		rc = one(b, sql_dir, status);
	} else {
		for (i = 0; i < branch_count(); i++)
			rc |= one(branch_at(i), sql_dir, status);
		if (c->template_auth_url != NULL && branch_count() == 0)
			fprintf(stderr, "neon-authd migrate: --all covers the "
			    "listed branches; name a templated one with "
			    "--branch BRANCH/DATABASE\n");
	}
	branch_map_free();
	return (rc);
}
