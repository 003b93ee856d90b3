/*
 * cli_purge.c -- `neon-authd purge` (see cli_purge.h); the SQL is
 * store/store_purge.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/branch.h"
#include "lib/arena.h"
#include "lib/config.h"
#include "proc/cli.h"
#include "proc/cli_purge.h"
#include "store/db.h"
#include "store/store_purge.h"

#define COUNT_CAP	INT64_C(1000000000)

static const char *const table_name[] = {
	[STORE_PURGE_SESSIONS] = "sessions",
	[STORE_PURGE_VERIFICATIONS] = "verification rows",
};

/* one branch; 0 or 1 */
static int
one(const struct config *c, const struct branch *b, int batch, int dry)
{
	struct db_pool	*pool;
	struct db_conn	*conn;
	struct arena	 a;
	int64_t		 total[2] = { 0, 0 }, n, s, v;
	int		 t, k, nb = 0, rc = 1;

	arena_init(&a, 8192);
	if ((conn = cli_connect(c, b, &pool, "purge")) == NULL)
		goto done;
	if (dry) {
		if (store_expired_counts(conn, &a, COUNT_CAP, &s, &v) == -1) {
			fprintf(stderr, "neon-authd purge: branch %s: %s\n",
			    b->name, db_last_error(conn)->message);
			goto done;
		}
		printf("branch %s: %lld expired sessions and %lld expired "
		    "verification rows (nothing deleted: --dry-run)\n",
		    b->name, (long long)s, (long long)v);
		rc = 0;
		goto done;
	}
	for (t = STORE_PURGE_SESSIONS; t <= STORE_PURGE_VERIFICATIONS; t++)
		for (k = 0; k < CLI_PURGE_MAX_BATCHES; k++) {
			arena_reset(&a);
			if (store_purge_batch(conn, &a, t, batch, &n) == -1) {
				fprintf(stderr, "neon-authd purge: branch %s: "
				    "%s: %s\n", b->name, table_name[t],
				    db_last_error(conn)->message);
				goto done;
			}
			total[t] += n;
			nb++;
			if (n < batch)
				break;
		}
	printf("branch %s: %lld expired sessions and %lld expired "
	    "verification rows deleted (%d statement%s of at most %d rows)\n",
	    b->name, (long long)total[0], (long long)total[1], nb,
	    nb == 1 ? "" : "s", batch);
	rc = 0;
 done:
	db_pool_free(pool);
	arena_free(&a);
	return (rc);
}

int
cli_purge(struct config *c, int argc, char **argv)
{
	const char	*name = NULL;
	struct branch	*b;
	char		*end;
	long		 v;
	int		 i, all = 0, dry = 0, batch = CLI_PURGE_BATCH, rc = 0;

	for (i = 0; i < argc; i++) {
		const char *val = NULL;

		if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else if (strcmp(argv[i], "--dry-run") == 0)
			dry = 1;
		else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
			val = argv[++i];
		else if (strncmp(argv[i], "--batch=", 8) == 0)
			val = argv[i] + 8;
		else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else {
			fprintf(stderr, "neon-authd purge: unexpected argument "
			    "%s\n", argv[i]);
			return (CLI_EX_USAGE);
		}
		if (val != NULL) {
			v = strtol(val, &end, 10);
			if (*val == '\0' || *end != '\0' || v < 1 ||
			    v > CLI_PURGE_BATCH_MAX) {
				fprintf(stderr, "neon-authd purge: --batch: 1 "
				    "to %d rows\n", CLI_PURGE_BATCH_MAX);
				return (CLI_EX_USAGE);
			}
			batch = (int)v;
		}
	}
	if (all == (name != NULL)) {
		fprintf(stderr, "neon-authd purge: say BRANCH or --all\n");
		return (CLI_EX_USAGE);
	}
	if (branch_map_init(c) == -1)
		return (NEON_AUTHD_EX_CONFIG);
	if (name != NULL) {
		if ((b = cli_find_branch(c, name, "purge")) == NULL)
			rc = CLI_EX_USAGE;
		else
			rc = one(c, b, batch, dry);
	} else
		for (i = 0; i < branch_count(); i++)
			rc |= one(c, branch_at(i), batch, dry);
	branch_map_free();
	return (rc);
}
