/*
 * cli.h -- what every offline command shares: open one branch by name
 * (its connection, its schema checked, its project_config read) and close
 * it again.  The commands run outside the server, one connection each.
 */
#ifndef NEON_AUTHD_CLI_H
#define NEON_AUTHD_CLI_H

#include "http/branchcfg.h"
#include "lib/arena.h"

struct branch;
struct config;
struct db_conn;
struct db_pool;

struct cli_branch {
	const char		*cmd;		/* "keys", for messages */
	struct branch		*branch;
	struct db_pool		*pool;
	struct db_conn		*conn;
	struct branchcfg	 cfg;		/* every default filled in */
	struct arena		 a;		/* the command's memory */
	int			 have_cfg;
};

/*
 * cli_branch_open: connect to the branch named name of the server's file
 * c, check its neon_auth schema (missing or behind: "run neon-authd
 * migrate") and read its configuration.  Returns 0, or prints why to
 * stderr and returns the exit status (64 no such branch, 1 database).
 * cli_branch_close must follow either way.
 */
int	 cli_branch_open(struct cli_branch *cb, const char *cmd,
	    const struct config *c, const char *name);
void	 cli_branch_close(struct cli_branch *cb);

#endif
