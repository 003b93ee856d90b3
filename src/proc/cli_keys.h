/*
 * cli_keys.h -- `neon-authd keys list BRANCH` and `neon-authd keys rotate
 * BRANCH [--grace DURATION]`: the signing keys of a branch, in its
 * neon_auth.jwks table (rules in store_jwks.h).
 */
#ifndef NEON_AUTHD_CLI_KEYS_H
#define NEON_AUTHD_CLI_KEYS_H

#include <stdint.h>

struct config;

/* Grace period of `keys rotate` without --grace: Better Auth's default. */
#define CLI_KEYS_DEFAULT_GRACE	(30 * 86400)

/*
 * cli_keys: run the keys command.  argv[0] is the subcommand ("list" or
 * "rotate"), argv[1] the branch name, then options.  Output goes to
 * stdout, problems to stderr.  Returns the exit status: 0, 1 on a
 * database or key failure, 64 on a usage error, 78 when the branch map
 * cannot be built.
 */
int	 cli_keys(struct config *c, int argc, char **argv);

/*
 * cli_keys_parse_duration: "90", "30s", "15m", "24h", "7d", or a sequence
 * such as "1h30m" (a bare number is seconds), at most ten years.  Sets
 * *seconds and returns 0, or -1 when s is not such a duration.
 */
int	 cli_keys_parse_duration(const char *s, int64_t *seconds);

#endif
