/*
 * main.c -- command line: serve (the default), check-config, migrate.
 *
 * Only this file and master.c decide to exit.  Configuration errors exit
 * with 78 (EX_CONFIG) and name the file, line and option.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/branch.h"
#include "http/branchcfg.h"
#include "proc/cli_keys.h"
#include "lib/config.h"
#include "lib/crypto.h"
#include "store/db.h"
#include "lib/json.h"
#include "lib/log.h"
#include "proc/master.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: neon-authd [-c FILE] [-f|--foreground]\n"
	    "       neon-authd check-config [-c FILE]\n"
	    "       neon-authd migrate [-c FILE] [--branch NAME | --all]\n"
	    "       neon-authd config get BRANCH [FIELD] [-c FILE]\n"
	    "       neon-authd config set BRANCH FIELD JSON [-c FILE]\n"
	    "       neon-authd keys list BRANCH [-c FILE]\n"
	    "       neon-authd keys rotate BRANCH [--grace DURATION] [-c FILE]\n"
	    "       neon-authd --version | --help\n"
	    "\n"
	    "  -c, --config FILE   configuration file (default %s)\n"
	    "  -f, --foreground    do not detach; log to stderr\n"
	    "\n"
	    "Signals: HUP reloads the configuration, TERM/INT/QUIT drain and "
	    "stop,\nUSR1 reopens the log file.\n", NEON_AUTHD_DEFAULT_CONF);
}

static struct config *
load_or_exit(const char *path)
{
	struct config	*c;
	char		 err[1024];

	if ((c = config_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "neon-authd: %s\n", err);
		exit(NEON_AUTHD_EX_CONFIG);
	}
	return (c);
}

static int
cmd_migrate(struct config *c, int argc, char **argv)
{
	const char	*only = NULL;
	const char	*sql_dir = getenv("NEON_AUTHD_SQL_DIR");
	char		 err[1024];
	int		 i, all = 0, applied, rc = 0, done = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else if (strcmp(argv[i], "--branch") == 0 && i + 1 < argc)
			only = argv[++i];
		else {
			fprintf(stderr, "neon-authd migrate: unexpected "
			    "argument %s\n", argv[i]);
			return (64);
		}
	}
	if (sql_dir == NULL || *sql_dir == '\0')
		sql_dir = c->sql_dir;
	if (!all && only == NULL && c->nbranches == 1)
		all = 1;
	if (!all && only == NULL) {
		fprintf(stderr, "neon-authd migrate: say --all or "
		    "--branch NAME\n");
		return (64);
	}
	for (i = 0; i < c->nbranches; i++) {
		if (only && strcmp(only, c->branches[i].name) != 0)
			continue;
		done++;
		if (db_migrate(c->branches[i].database, sql_dir, &applied, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "neon-authd migrate: branch %s: %s\n",
			    c->branches[i].name, err);
			rc = 1;
			continue;
		}
		printf("branch %s: %d migration%s applied\n",
		    c->branches[i].name, applied, applied == 1 ? "" : "s");
	}
	if (only && done == 0) {
		fprintf(stderr, "neon-authd migrate: no branch named %s\n",
		    only);
		return (64);
	}
	return (rc);
}

/*
 * config get BRANCH [FIELD] / config set BRANCH FIELD JSON: read or change
 * the branch's neon_auth.project_config row.  FIELD is a column
 * (name, trusted_origins, allow_localhost, email_and_password,
 * email_provider, social_providers, plugin_configs, webhook_config,
 * settings) or settings.<key>.
 */
static int
cmd_config(struct config *c, int argc, char **argv)
{
	struct db_pool		*pool;
	struct db_conn		*conn;
	struct branch		*b;
	struct arena		 a;
	json_object		*row, *v = NULL;
	char			 err[1024];
	int			 rc = 1, dberr;

	if (argc < 2 || (strcmp(argv[0], "get") == 0 && argc > 3) ||
	    (strcmp(argv[0], "set") == 0 && argc != 4) ||
	    (strcmp(argv[0], "get") != 0 && strcmp(argv[0], "set") != 0)) {
		usage(stderr);
		return (64);
	}
	if (branch_map_init(c) == -1)
		return (NEON_AUTHD_EX_CONFIG);
	if ((b = branch_by_name(argv[1])) == NULL) {
		fprintf(stderr, "neon-authd config: no branch named %s in %s\n",
		    argv[1], c->path);
		branch_map_free();
		return (64);
	}
	arena_init(&a, 16384);
	pool = db_pool_new(1, c->db_connect_timeout, c->db_statement_timeout);
	if ((conn = db_pool_get(pool, b->name, b->conninfo, &dberr)) == NULL) {
		fprintf(stderr, "neon-authd config: branch %s: %s\n", b->name,
		    db_pool_last_error(pool)->message);
		goto done;
	}
	if (strcmp(argv[0], "set") == 0) {
		if (branchcfg_set(conn, &a, argv[2], argv[3], err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "neon-authd config: %s\n", err);
			goto done;
		}
		printf("branch %s: %s updated\n", b->name, argv[2]);
		rc = 0;
		goto done;
	}
	if ((row = branchcfg_load(conn, &a)) == NULL) {
		fprintf(stderr, "neon-authd config: branch %s: %s\n", b->name,
		    db_last_error(conn)->message);
		goto done;
	}
	if (argc == 3) {
		const char *f = argv[2];

		if (strncmp(f, "settings.", 9) == 0) {
			json_object *st = NULL;

			if (json_object_object_get_ex(row, "settings", &st))
				json_object_object_get_ex(st, f + 9, &v);
		} else if (!json_object_object_get_ex(row, f, &v)) {
			fprintf(stderr, "neon-authd config: unknown field %s\n",
			    f);
			json_object_put(row);
			goto done;
		}
	} else
		v = row;
	printf("%s\n", v ? json_object_to_json_string_ext(v,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE) :
	    "null");
	json_object_put(row);
	rc = 0;
 done:
	db_pool_free(pool);
	arena_free(&a);
	branch_map_free();
	return (rc);
}

int
main(int argc, char **argv)
{
	const char	*path = NEON_AUTHD_DEFAULT_CONF, *cmd = "serve";
	struct config	*c;
	int		 foreground = 0;

	/* before anything allocates through OpenSSL (libpq, libcurl) */
	(void)crypto_preinit();

	/*
	 * Global options may stand anywhere; everything else is the command
	 * and its arguments, in order.
	 */
	{
		int	 i, n = 0;

		for (i = 1; i < argc; i++) {
			if (strcmp(argv[i], "-c") == 0 ||
			    strcmp(argv[i], "--config") == 0) {
				if (++i == argc) {
					usage(stderr);
					return (64);
				}
				path = argv[i];
			} else if (strncmp(argv[i], "--config=", 9) == 0)
				path = argv[i] + 9;
			else if (strcmp(argv[i], "-f") == 0 ||
			    strcmp(argv[i], "--foreground") == 0)
				foreground = 1;
			else if (strcmp(argv[i], "-h") == 0 ||
			    strcmp(argv[i], "--help") == 0) {
				usage(stdout);
				return (0);
			} else if (strcmp(argv[i], "-V") == 0 ||
			    strcmp(argv[i], "--version") == 0) {
				printf("neon-authd %s\n", PACKAGE_VERSION);
				return (0);
			} else
				argv[n++] = argv[i];
		}
		argc = n;
		if (argc > 0) {
			cmd = argv[0];
			argv++;
			argc--;
		}
		if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "migrate") != 0 &&
		    strcmp(cmd, "config") != 0 && strcmp(cmd, "keys") != 0 &&
		    cmd[0] == '-') {
			fprintf(stderr, "neon-authd: unknown option %s\n", cmd);
			usage(stderr);
			return (64);
		}
	}

	if (strcmp(cmd, "serve") == 0) {
		if (argc > 0) {
			usage(stderr);
			return (64);
		}
		c = load_or_exit(path);
		return (master_run(c, foreground));
	}
	if (strcmp(cmd, "check-config") == 0) {
		c = load_or_exit(path);
		printf("neon-authd: configuration file %s is valid "
		    "(%d branch%s%s)\n", path, c->nbranches,
		    c->nbranches == 1 ? "" : "es",
		    c->template_auth_url ? " and a template" : "");
		config_free(c);
		return (0);
	}
	if (strcmp(cmd, "migrate") == 0) {
		int rc;

		c = load_or_exit(path);
		rc = cmd_migrate(c, argc, argv);
		config_free(c);
		return (rc);
	}
	if (strcmp(cmd, "keys") == 0) {
		int rc;

		c = load_or_exit(path);
		rc = cli_keys(c, argc, argv);
		config_free(c);
		return (rc);
	}
	if (strcmp(cmd, "config") == 0) {
		int rc;

		c = load_or_exit(path);
		rc = cmd_config(c, argc, argv);
		config_free(c);
		return (rc);
	}
	fprintf(stderr, "neon-authd: unknown command %s\n", cmd);
	usage(stderr);
	return (64);
}
