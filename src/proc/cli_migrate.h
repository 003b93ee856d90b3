/*
 * cli_migrate.h -- `neon-authd migrate`: apply the schema migrations, or
 * report the pending ones (--status).
 */
#ifndef NEON_AUTHD_CLI_MIGRATE_H
#define NEON_AUTHD_CLI_MIGRATE_H

struct config;

/*
 * cli_migrate: migrate [--status] [--branch NAME | --all] (argv after
 * the command word).  NAME is a listed branch or one the branch_template
 * gives.  Returns the exit status: 0, 1 when a branch failed (or, with
 * --status, has pending migrations), 64 on a usage error.
 */
int	 cli_migrate(struct config *c, int argc, char **argv);

#endif
