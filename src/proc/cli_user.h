/*
 * cli_user.h -- `neon-authd user ...`: the operator's user management for
 * one branch, without HTTP: list, show, create, set-role, set-password,
 * ban, unban, revoke-sessions, delete.
 *
 * The subcommands run the admin endpoints' operations (api/api_admin.h):
 * the same validation, the same SQL, the same audit rows (actor none,
 * {"via":"cli"}).  Passwords are read from standard input only
 * (--password-stdin; without echo on a terminal), never taken from the
 * command line.  A user is named by its id or its email address.
 */
#ifndef NEON_AUTHD_CLI_USER_H
#define NEON_AUTHD_CLI_USER_H

struct config;

/* exit statuses (README "Command line", neon-authd(8)) */
#define CLI_USER_OK		0
#define CLI_USER_DB		1	/* the database failed */
#define CLI_USER_USAGE		64	/* bad arguments, unknown branch */
#define CLI_USER_INPUT		65	/* refused: bad email, weak password */
#define CLI_USER_NO_USER	67	/* no such user */

/*
 * cli_user: run `user SUBCOMMAND BRANCH ...` (argv[0] the subcommand).
 * Output to stdout (a table, or --json), problems to stderr.  Returns
 * the exit status above (78 when the configuration cannot be used).
 */
int	 cli_user(struct config *c, int argc, char **argv);

#endif
