/*
 * cli.c -- what the offline commands share (see cli.h).
 */
#include <stdio.h>
#include <string.h>

#include "http/branch.h"
#include "lib/config.h"
#include "proc/cli.h"
#include "store/db.h"

struct branch *
cli_find_branch(const struct config *c, const char *name, const char *cmd)
{
	struct branch	*b;

	if ((b = branch_by_name(name)) != NULL)
		return (b);
	if ((b = branch_template_named(name)) != NULL)
		return (b);
	if (c->template_auth_url != NULL)
		fprintf(stderr, "neon-authd %s: no branch named %s in %s, and "
		    "the branch_template gives no such name (say "
		    "BRANCH/DATABASE with [A-Za-z0-9_-] names)\n", cmd, name,
		    c->path);
	else
		fprintf(stderr, "neon-authd %s: no branch named %s in %s\n",
		    cmd, name, c->path);
	return (NULL);
}

struct db_conn *
cli_connect(const struct config *c, const struct branch *b,
    struct db_pool **pool, const char *cmd)
{
	struct db_conn	*conn;
	struct db_target t = { b->conninfo, b->listen_conninfo, b->pooled };
	int		 dberr;

	*pool = db_pool_new(1, c->db_connect_timeout, c->db_statement_timeout);
	if (*pool == NULL) {
		fprintf(stderr, "neon-authd %s: out of memory\n", cmd);
		return (NULL);
	}
	if ((conn = db_pool_open(*pool, b->name, &t, &dberr)) == NULL)
		fprintf(stderr, "neon-authd %s: branch %s: %s\n", cmd, b->name,
		    db_pool_last_error(*pool)->message);
	return (conn);
}

int
cli_branch_open(struct cli_branch *cb, const char *cmd,
    const struct config *c, const char *name)
{
	json_object	*row;
	int		 v;

	memset(cb, 0, sizeof(*cb));
	cb->cmd = cmd;
	arena_init(&cb->a, 16384);
	if (branch_map_init(c) == -1)
		return (NEON_AUTHD_EX_CONFIG);
	if ((cb->branch = cli_find_branch(c, name, cmd)) == NULL)
		return (CLI_EX_USAGE);
	if ((cb->conn = cli_connect(c, cb->branch, &cb->pool, cmd)) == NULL)
		return (1);
	switch (db_schema_check(cb->conn, &v)) {
	case DB_SCHEMA_OK:
	case DB_SCHEMA_AHEAD:
		break;
	case DB_SCHEMA_ERROR:
		fprintf(stderr, "neon-authd %s: branch %s: %s\n", cmd,
		    cb->branch->name, db_last_error(cb->conn)->message);
		return (1);
	default:
		fprintf(stderr, "neon-authd %s: branch %s: the neon_auth "
		    "schema is missing or behind (version %d): run "
		    "neon-authd migrate\n", cmd, cb->branch->name, v);
		return (1);
	}
	if ((row = branchcfg_load(cb->conn, &cb->a)) == NULL) {
		fprintf(stderr, "neon-authd %s: branch %s: cannot read "
		    "project_config: %s\n", cmd, cb->branch->name,
		    db_last_error(cb->conn)->message);
		return (1);
	}
	branchcfg_parse(&cb->cfg, row);
	cb->have_cfg = 1;
	return (0);
}

void
cli_branch_close(struct cli_branch *cb)
{
	if (cb->have_cfg)
		branchcfg_clear(&cb->cfg);
	db_pool_free(cb->pool);
	arena_free(&cb->a);
	branch_map_free();
	memset(cb, 0, sizeof(*cb));
}
