/*
 * cli_keys.c -- the `keys` command (see cli_keys.h).
 *
 * Runs outside the server: one connection to the branch, the branch's
 * project_config read for its jwt settings (alg, ttl), then store_jwks.c
 * does the work.  A rotation's INSERT/UPDATE fire the jwks NOTIFY
 * trigger, so running workers pick the new key up on their next request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/branch.h"
#include "http/branchcfg.h"
#include "proc/cli.h"
#include "proc/cli_keys.h"
#include "lib/config.h"
#include "store/db.h"
#include "lib/jwt.h"
#include "store/store_jwks.h"

#define DURATION_MAX	(INT64_C(10) * 366 * 86400)

int
cli_keys_parse_duration(const char *s, int64_t *seconds)
{
	int64_t		 total = 0, n, unit;
	const char	*p = s;

	if (s == NULL || *s == '\0')
		return (-1);
	while (*p != '\0') {
		if (*p < '0' || *p > '9')
			return (-1);
		for (n = 0; *p >= '0' && *p <= '9'; p++) {
			n = n * 10 + (*p - '0');
			if (n > DURATION_MAX)
				return (-1);
		}
		switch (*p) {
		case '\0':
			if (total != 0)
				return (-1);	/* "1h30": unit missing */
			unit = 1;
			break;
		case 's':
			unit = 1;
			p++;
			break;
		case 'm':
			unit = 60;
			p++;
			break;
		case 'h':
			unit = 3600;
			p++;
			break;
		case 'd':
			unit = 86400;
			p++;
			break;
		default:
			return (-1);
		}
		if (n > DURATION_MAX / unit || total + n * unit > DURATION_MAX)
			return (-1);
		total += n * unit;
	}
	*seconds = total;
	return (0);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: neon-authd keys list BRANCH [-c FILE]\n"
	    "       neon-authd keys rotate BRANCH [--grace DURATION] "
	    "[-c FILE]\n"
	    "       neon-authd keys reencrypt BRANCH [-c FILE]\n"
	    "  DURATION: 30s, 15m, 24h, 7d, 1h30m (default 30d)\n");
}

static const char *
state_of(const struct store_jwks_row *r)
{
	if (r->signing)
		return ("signing");
	if (r->published)
		return ("published");
	return ("retired");
}

static int
do_list(struct db_conn *conn, struct arena *a, const struct config *c,
    const struct branchcfg *bc, const char *branch)
{
	struct store_jwks_row	*rows;
	enum jwt_alg		 alg = jwt_alg_parse(bc->jwt_alg);
	int			 n, i;

	if (alg == JWT_ALG_NONE)
		alg = JWT_ALG_EDDSA;
	n = store_jwks_list(conn, a, &c->secrets, alg, bc->jwt_ttl,
	    &rows);
	if (n == -1) {
		fprintf(stderr, "neon-authd keys: branch %s: %s\n", branch,
		    db_last_error(conn)->message);
		return (1);
	}
	printf("%-36s  %-5s  %-24s  %-24s  %s\n", "KID", "ALG", "CREATED",
	    "EXPIRES", "STATE");
	for (i = 0; i < n; i++)
		printf("%-36s  %-5s  %-24s  %-24s  %s%s\n", rows[i].id,
		    rows[i].alg, rows[i].created_at,
		    rows[i].expires_at ? rows[i].expires_at : "-",
		    state_of(&rows[i]),
		    !rows[i].decrypts ? " (does not decrypt with any secret)" :
		    !rows[i].current ? " (under an older secret: run keys "
		    "reencrypt)" : "");
	if (n == 0)
		printf("# no keys yet: the first request that needs one "
		    "creates a %s key\n", jwt_alg_name(alg));
	return (0);
}

static int
do_rotate(struct db_conn *conn, struct arena *a, const struct config *c,
    const struct branchcfg *bc, const char *branch, int64_t grace)
{
	enum store_jwks_err	 err;
	enum jwt_alg		 alg = jwt_alg_parse(bc->jwt_alg);
	char			*id = NULL;
	int			 retired = 0;

	if (alg == JWT_ALG_NONE)
		alg = JWT_ALG_EDDSA;
	if (store_jwks_rotate(conn, a, &c->secrets, alg, grace, &id,
	    &retired, &err) == -1) {
		fprintf(stderr, "neon-authd keys: branch %s: rotation failed: "
		    "%s\n", branch, err == STORE_JWKS_DB ?
		    db_last_error(conn)->message : "key generation failed");
		return (1);
	}
	printf("branch %s: new %s key %s signs from now on; %d older key%s "
	    "stay%s published for %lld s\n", branch, jwt_alg_name(alg), id,
	    retired, retired == 1 ? "" : "s", retired == 1 ? "s" : "",
	    (long long)grace);
	if (grace < bc->jwt_ttl)
		printf("# note: the grace period is shorter than the token "
		    "lifetime (%d s): tokens signed before the rotation stop "
		    "verifying early\n", bc->jwt_ttl);
	return (0);
}

static int
do_reencrypt(struct db_conn *conn, struct arena *a, const struct config *c,
    const char *branch)
{
	struct store_jwks_reenc	 out;
	enum store_jwks_err	 err;

	if (store_jwks_reencrypt(conn, a, &c->secrets, &out, &err) == -1) {
		fprintf(stderr, "neon-authd keys: branch %s: reencrypt failed: "
		    "%s\n", branch, err == STORE_JWKS_DB ?
		    db_last_error(conn)->message : "encryption failed");
		return (1);
	}
	printf("branch %s: %d key%s re-encrypted under the newest secret, "
	    "%d already were, %d open%s with none of the secrets\n", branch,
	    out.reencrypted, out.reencrypted == 1 ? "" : "s", out.kept,
	    out.failed, out.failed == 1 ? "s" : "");
	return (out.failed > 0 ? 2 : 0);
}

int
cli_keys(struct config *c, int argc, char **argv)
{
	struct cli_branch	 cb;
	const char		*sub, *branch;
	int64_t			 grace = CLI_KEYS_DEFAULT_GRACE;
	int			 i, rc;

	if (argc < 2) {
		usage();
		return (64);
	}
	sub = argv[0];
	branch = argv[1];
	if (strcmp(sub, "list") != 0 && strcmp(sub, "rotate") != 0 &&
	    strcmp(sub, "reencrypt") != 0) {
		usage();
		return (64);
	}
	for (i = 2; i < argc; i++) {
		const char *val = NULL;

		if (strcmp(sub, "rotate") == 0 &&
		    strcmp(argv[i], "--grace") == 0 && i + 1 < argc)
			val = argv[++i];
		else if (strcmp(sub, "rotate") == 0 &&
		    strncmp(argv[i], "--grace=", 8) == 0)
			val = argv[i] + 8;
		else {
			fprintf(stderr, "neon-authd keys: unexpected argument "
			    "%s\n", argv[i]);
			usage();
			return (64);
		}
		if (cli_keys_parse_duration(val, &grace) == -1) {
			fprintf(stderr, "neon-authd keys: bad duration %s "
			    "(say 30s, 15m, 24h or 7d)\n", val);
			return (64);
		}
	}
	if ((rc = cli_branch_open(&cb, "keys", c, branch)) == 0) {
		if (strcmp(sub, "list") == 0)
			rc = do_list(cb.conn, &cb.a, c, &cb.cfg,
			    cb.branch->name);
		else if (strcmp(sub, "reencrypt") == 0)
			rc = do_reencrypt(cb.conn, &cb.a, c, cb.branch->name);
		else
			rc = do_rotate(cb.conn, &cb.a, c, &cb.cfg,
			    cb.branch->name, grace);
	}
	cli_branch_close(&cb);
	return (rc);
}
