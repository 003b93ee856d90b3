/*
 * main.c -- command line: serve (the default), check-config, migrate.
 *
 * Only this file and master.c decide to exit.  Configuration errors exit
 * with 78 (EX_CONFIG) and name the file, line and option.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "master.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: neon-authd [-c FILE] [-f|--foreground]\n"
	    "       neon-authd check-config [-c FILE]\n"
	    "       neon-authd migrate [-c FILE] [--branch NAME | --all]\n"
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

int
main(int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*path = NEON_AUTHD_DEFAULT_CONF, *cmd = "serve";
	struct config	*c;
	int		 ch, foreground = 0;

	/* options may come before or after the command word */
	if (argc > 1 && argv[1][0] != '-') {
		cmd = argv[1];
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	while ((ch = getopt_long(argc, argv, "+c:fhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'h':
			usage(stdout);
			return (0);
		case 'V':
			printf("neon-authd %s\n", PACKAGE_VERSION);
			return (0);
		default:
			usage(stderr);
			return (64);
		}
	}
	argc -= optind;
	argv += optind;

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
	fprintf(stderr, "neon-authd: unknown command %s\n", cmd);
	usage(stderr);
	return (64);
}
