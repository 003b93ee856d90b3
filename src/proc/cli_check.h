/*
 * cli_check.h -- `neon-authd check-config [--connect]`.
 */
#ifndef NEON_AUTHD_CLI_CHECK_H
#define NEON_AUTHD_CLI_CHECK_H

struct config;

/*
 * cli_check: check-config on a file config_load accepted (its options:
 * types, ranges, Auth URLs through curl_url, template placeholders,
 * trusted_proxies, secrets); then everything else that can be checked
 * without a database: the listen address, that listen.owner and listen.group exist,
 * every connection string through libpq's parser (the template's with
 * sample names), Auth URLs served twice, the directories of log.file and
 * pid_file, the migrations in sql_dir.  With --connect, also connect to
 * each listed branch and compare its schema version with the binary's.
 * Prints one line per problem ("FILE:LINE: option: problem") on stderr.
 * Returns 0, 78 when the file has a problem, 1 when a branch is
 * unreachable or its schema is not ready, 64 on a usage error.
 */
int	 cli_check(struct config *c, int argc, char **argv);

#endif
