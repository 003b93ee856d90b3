/*
 * cli_purge.h -- `neon-authd purge BRANCH | --all`: delete expired
 * sessions and verification rows in bounded batches (run it from a
 * systemd timer or cron: packaging/systemd/neon-authd-purge.timer).
 */
#ifndef NEON_AUTHD_CLI_PURGE_H
#define NEON_AUTHD_CLI_PURGE_H

struct config;

#define CLI_PURGE_BATCH		1000	/* rows per statement */
#define CLI_PURGE_BATCH_MAX	100000
#define CLI_PURGE_MAX_BATCHES	100000	/* per table and run */

/*
 * cli_purge: purge BRANCH | --all [--batch N] [--dry-run].  Each batch is
 * one short DELETE of at most N rows; a table is done when a batch finds
 * fewer than N.  --dry-run only counts.  Returns 0, 1 when a branch
 * failed, 64 on a usage error.
 */
int	 cli_purge(struct config *c, int argc, char **argv);

#endif
