/*
 * main.c -- the command line: one table of commands (serve, the default,
 * check-config, migrate, config, keys, purge, routes, ...); the cli_*.c
 * files do the work.
 *
 * Only this file and master.c decide to exit.  Configuration errors exit
 * with 78 (EX_CONFIG) and name the file, line and option.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/router.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "proc/cli_import.h"
#include "proc/cli.h"
#include "proc/cli_check.h"
#include "proc/cli_keys.h"
#include "proc/cli_migrate.h"
#include "proc/cli_purge.h"
#include "proc/cli_mail.h"
#include "proc/cli_webhooks.h"
#include "proc/cli_routes.h"
#include "proc/cli_user.h"
#include "lib/config.h"
#include "lib/crypto.h"
#include "store/db.h"
#include "lib/json.h"
#include "lib/log.h"
#include "proc/master.h"

static void	 usage(FILE *);

/* the configuration file in use (-c) */
static const char	*conf_path = NEON_AUTHD_DEFAULT_CONF;

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
	struct db_pool		*pool = NULL;
	struct db_conn		*conn;
	struct branch		*b;
	struct arena		 a;
	json_object		*row, *v = NULL;
	char			 err[1024];
	int			 rc = 1;

	if (argc < 2 || (strcmp(argv[0], "get") == 0 && argc > 3) ||
	    (strcmp(argv[0], "set") == 0 && argc != 4) ||
	    (strcmp(argv[0], "get") != 0 && strcmp(argv[0], "set") != 0)) {
		usage(stderr);
		return (64);
	}
	if (branch_map_init(c) == -1)
		return (NEON_AUTHD_EX_CONFIG);
	if ((b = cli_find_branch(c, argv[1], "config")) == NULL) {
		branch_map_free();
		return (64);
	}
	arena_init(&a, 16384);
	if ((conn = cli_connect(c, b, &pool, "config")) == NULL)
		goto done;
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

/*
 * The commands, in the order usage lists them.  A command is a line
 * here: its name, its usage lines, and run(config, argc, argv) returning
 * the exit status (run NULL: serve, which never returns a status here).
 * Every command reads the configuration file first (exit 78 when bad).
 */
static const struct command {
	const char	*name;
	const char	*usage;
	int		(*run)(struct config *, int, char **);
} commands[] = {
	{ "serve", "[-c FILE] [-f|--foreground]", NULL },
	{ "check-config", "check-config [--connect] [-c FILE]", cli_check },
	{ "migrate", "migrate [--status] [--branch NAME | --all] [-c FILE]",
	    cli_migrate },
	{ "config", "config get BRANCH [FIELD] [-c FILE]\n"
	    "config set BRANCH FIELD JSON [-c FILE]", cmd_config },
	{ "keys", "keys list BRANCH [-c FILE]\n"
	    "keys rotate BRANCH [--grace DURATION] [-c FILE]\n"
	    "keys reencrypt BRANCH [-c FILE]", cli_keys },
	{ "purge", "purge BRANCH | --all [--batch N] [--dry-run] [-c FILE]", cli_purge },
	{ "routes", "routes [--json] [-c FILE]", cli_routes },
	{ "import", "import better-auth|neon|supabase BRANCH --from CONNINFO "
	    "[OPTIONS]\n"
	    "import map BRANCH --source TAG --table TABLE --column COLUMN",
	    cli_import },
	{ "export", "export better-auth BRANCH --to CONNINFO [--schema S] "
	    "[--secret-stdin] [--batch N]", cli_export },
	{ "user", "user list|show|create|set-role|set-password|ban|unban|"
	    "revoke-sessions|delete BRANCH ... [-c FILE]", cli_user },
	{ "mail", "mail status [--json] [-c FILE]", cli_mail },
	{ "webhooks", "webhooks test BRANCH EVENT [-c FILE]\n"
	    "webhooks status BRANCH [-c FILE]", cli_webhooks },
	{ NULL, NULL, NULL }
};

static void
usage(FILE *f)
{
	const struct command	*k;
	const char		*p, *nl, *lead = "usage: neon-authd ";

	for (k = commands; k->name != NULL; k++)
		for (p = k->usage; *p != '\0'; p = *nl ? nl + 1 : nl) {
			nl = p + strcspn(p, "\n");
			fprintf(f, "%s%.*s\n", lead, (int)(nl - p), p);
			lead = "       neon-authd ";
		}
	fprintf(f,
	    "       neon-authd --version | --help\n"
	    "\n"
	    "  -c, --config FILE   configuration file (default %s)\n"
	    "  -f, --foreground    do not detach; log to stderr\n"
	    "\n"
	    "Signals: HUP reloads the configuration, TERM/INT/QUIT drain and "
	    "stop,\nUSR1 reopens the log file.\n", NEON_AUTHD_DEFAULT_CONF);
}

int
main(int argc, char **argv)
{
	const char	*path = NEON_AUTHD_DEFAULT_CONF, *cmd = "serve";
	const struct command	*k;
	struct config		*c;
	int			 foreground = 0, rc;

	/* before anything allocates through OpenSSL (libpq, libcurl) */
	(void)crypto_preinit();
	/* before any branch configuration is read or checked */
	if (router_register_settings() == -1) {
		fprintf(stderr, "neon-authd: too many settings groups\n");
		return (70);
	}

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
		if (cmd[0] == '-') {
			fprintf(stderr, "neon-authd: unknown option %s\n", cmd);
			usage(stderr);
			return (64);
		}
	}

	for (k = commands; k->name != NULL; k++) {
		if (strcmp(k->name, cmd) != 0)
			continue;
		if (k->run == NULL && argc > 0) {	/* serve takes none */
			usage(stderr);
			return (64);
		}
		conf_path = path;
		c = load_or_exit(path);
		if (k->run == NULL)
			rc = master_run(c, foreground);
		else {
			rc = k->run(c, argc, argv);
			config_free(c);
		}
		return (rc);
	}
	fprintf(stderr, "neon-authd: unknown command %s\n", cmd);
	usage(stderr);
	return (64);
}
