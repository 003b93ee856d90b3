/*
 * cli.h -- what every offline command shares: find a branch by name,
 * listed or templated; open one (its connection, its schema checked, its
 * project_config read) and close it again; or just connect to it.  The
 * commands run outside the server, one connection each.
 */
#ifndef NEON_AUTHD_CLI_H
#define NEON_AUTHD_CLI_H

#include "http/branchcfg.h"
#include "lib/arena.h"

struct branch;
struct config;
struct db_conn;
struct db_pool;

#define CLI_EX_USAGE	64	/* EX_USAGE */

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
 * cli_find_branch: the branch called name: a listed one, or one the
 * branch_template gives ("<branch>/<database>", or the one field the
 * template uses).  The branch map must be built (branch_map_init).  NULL
 * with a message on stderr, prefixed "neon-authd <cmd>:", when there is
 * none.
 */
struct branch	*cli_find_branch(const struct config *c, const char *name,
		    const char *cmd);

/*
 * cli_connect: a pool of one and its connection to b, with the file's
 * timeouts.  NULL with a message on stderr; *pool is set either way (free
 * it with db_pool_free).
 */
struct db_conn	*cli_connect(const struct config *c, const struct branch *b,
		    struct db_pool **pool, const char *cmd);

/*
 * cli_branch_open: connect to the branch named name (cli_find_branch) of
 * the server's file c, check its neon_auth schema (missing or behind:
 * "run neon-authd migrate") and read its configuration.  Returns 0, or
 * prints why to stderr and returns the exit status (64 no such branch, 1
 * database).  cli_branch_close must follow either way.
 */
int		 cli_branch_open(struct cli_branch *cb, const char *cmd,
		    const struct config *c, const char *name);
void		 cli_branch_close(struct cli_branch *cb);

#endif
