/*
 * cli_import.c -- moving in and out (see cli_import.h, README "Moving in
 * and out").
 *
 *   import better-auth BRANCH --from CONNINFO [--schema S] [--keep-sessions]
 *                      [--keys-secret-stdin] [--dry-run] [--batch N]
 *   import neon        BRANCH --from CONNINFO [--schema S] [--keep-sessions]
 *                      [--key-grace DURATION] [--dry-run] [--batch N]
 *   import supabase    BRANCH --from CONNINFO [--schema S] [--dry-run] [--batch N]
 *   import map         BRANCH --source TAG --table [SCHEMA.]TABLE --column C
 *                      [--kind user|organization|...]
 *   export better-auth BRANCH --to CONNINFO [--schema S] [--secret-stdin]
 *                      [--batch N]
 *
 * An import is one transaction on the branch: the source is checked first
 * (a problem names its table, row and column, and nothing is written),
 * then every kind is streamed in batches (bounded memory) and upserted
 * with its ids mapped, so a rerun updates what the last run wrote.
 * Progress goes to stderr, the summary to stdout.  Exit 0; 64 usage; 65
 * the source holds data that cannot be mapped; 1 a database error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http/branch.h"
#include "lib/clock.h"
#include "lib/config.h"
#include "lib/json.h"
#include "lib/jwt.h"
#include "proc/cli.h"
#include "proc/cli_import.h"
#include "proc/cli_keys.h"
#include "store/db.h"
#include "store/store.h"
#include "store/store_import.h"

#define IMPORT_BATCH_DEFAULT	1000
#define IMPORT_BATCH_MAX	20000
#define IMPORT_GRACE_DEFAULT	(7 * 86400)
#define EX_DATAERR		65

struct opts {
	const char	*what;		/* better-auth, neon, supabase, map */
	const char	*branch;
	const char	*conninfo;	/* --from / --to */
	const char	*schema;
	const char	*source;	/* map: --source */
	const char	*table, *column, *kind;
	int		 keep_sessions;
	int		 secret_stdin;
	int		 dry_run;
	int		 batch;
	int64_t		 grace;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: neon-authd import better-auth BRANCH --from CONNINFO "
	    "[--schema S] [--keep-sessions]\n"
	    "                         [--keys-secret-stdin] [--dry-run] "
	    "[--batch N]\n"
	    "       neon-authd import neon BRANCH --from CONNINFO [--schema S] "
	    "[--keep-sessions]\n"
	    "                         [--key-grace DURATION] [--dry-run] "
	    "[--batch N]\n"
	    "       neon-authd import supabase BRANCH --from CONNINFO "
	    "[--schema S] [--dry-run] [--batch N]\n"
	    "       neon-authd import map BRANCH --source TAG --table "
	    "[SCHEMA.]TABLE --column C [--kind KIND]\n"
	    "       neon-authd export better-auth BRANCH --to CONNINFO "
	    "[--schema S] [--secret-stdin] [--batch N]\n");
}

/* the value of --name or --name=value at argv[*i]; NULL if not that option */
static const char *
opt_val(int argc, char **argv, int *i, const char *name, int *missing)
{
	size_t	 n = strlen(name);

	if (strcmp(argv[*i], name) == 0) {
		if (*i + 1 >= argc) {
			*missing = 1;
			return (NULL);
		}
		return (argv[++*i]);
	}
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
		return (argv[*i] + n + 1);
	return (NULL);
}

static int
parse(int argc, char **argv, struct opts *o, int export)
{
	const char	*v;
	char		*end;
	long		 n;
	int		 i, missing = 0;

	memset(o, 0, sizeof(*o));
	o->batch = IMPORT_BATCH_DEFAULT;
	o->grace = IMPORT_GRACE_DEFAULT;
	if (argc < 2)
		return (-1);
	o->what = argv[0];
	o->branch = argv[1];
	for (i = 2; i < argc; i++) {
		if ((v = opt_val(argc, argv, &i, export ? "--to" : "--from",
		    &missing)) != NULL)
			o->conninfo = v;
		else if ((v = opt_val(argc, argv, &i, "--schema",
		    &missing)) != NULL)
			o->schema = v;
		else if ((v = opt_val(argc, argv, &i, "--source",
		    &missing)) != NULL)
			o->source = v;
		else if ((v = opt_val(argc, argv, &i, "--table",
		    &missing)) != NULL)
			o->table = v;
		else if ((v = opt_val(argc, argv, &i, "--column",
		    &missing)) != NULL)
			o->column = v;
		else if ((v = opt_val(argc, argv, &i, "--kind",
		    &missing)) != NULL)
			o->kind = v;
		else if ((v = opt_val(argc, argv, &i, "--batch",
		    &missing)) != NULL) {
			n = strtol(v, &end, 10);
			if (*v == '\0' || *end != '\0' || n < 1 ||
			    n > IMPORT_BATCH_MAX) {
				fprintf(stderr, "neon-authd: --batch takes 1 "
				    "to %d\n", IMPORT_BATCH_MAX);
				return (-1);
			}
			o->batch = (int)n;
		} else if ((v = opt_val(argc, argv, &i, "--key-grace",
		    &missing)) != NULL) {
			if (cli_keys_parse_duration(v, &o->grace) == -1) {
				fprintf(stderr, "neon-authd: bad duration %s\n",
				    v);
				return (-1);
			}
		} else if (missing)
			break;
		else if (strcmp(argv[i], "--keep-sessions") == 0)
			o->keep_sessions = 1;
		else if (strcmp(argv[i], export ? "--secret-stdin" :
		    "--keys-secret-stdin") == 0)
			o->secret_stdin = 1;
		else if (strcmp(argv[i], "--dry-run") == 0 && !export)
			o->dry_run = 1;
		else {
			fprintf(stderr, "neon-authd: unexpected argument %s\n",
			    argv[i]);
			return (-1);
		}
	}
	if (missing) {
		fprintf(stderr, "neon-authd: %s needs a value\n", argv[i]);
		return (-1);
	}
	return (0);
}

/* one line of stdin, without its newline, in a; NULL when empty */
static char *
read_secret(struct arena *a)
{
	char	 buf[4096];
	size_t	 n;

	if (isatty(STDIN_FILENO))
		fprintf(stderr, "secret: ");
	if (fgets(buf, sizeof(buf), stdin) == NULL)
		return (NULL);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (n == 0)
		return (NULL);
	return (arena_strndup(a, buf, n));
}

static struct db_conn *
connect_other(struct db_pool **pool, const struct config *c,
    const char *conninfo, const char *label)
{
	struct db_conn	*conn;
	int		 err;

	/* no statement timeout: a batch of a large table may take a while */
	*pool = db_pool_new(1, c->db_connect_timeout, 0);
	if (*pool == NULL)
		return (NULL);
	if ((conn = db_pool_get(*pool, label, conninfo, &err)) == NULL)
		fprintf(stderr, "neon-authd: cannot connect to the %s "
		    "database: %s\n", label, db_pool_last_error(*pool)->message);
	return (conn);
}

static void
progress(const char *verb, const char *kind, int64_t done, int64_t total,
    int64_t t0)
{
	int64_t	 ms = clock_mono_ms() - t0;

	fprintf(stderr, "\r%s %s: %lld/%lld rows (%.0f rows/s)   ", verb, kind,
	    (long long)done, (long long)total,
	    ms > 0 ? (double)done * 1000.0 / (double)ms : 0.0);
}

/* the key's public JWK with its old kid, so tokens it signed verify */
static char *
public_with_kid(struct arena *a, const struct jwt_key *k, const char *kid)
{
	json_object	*o;
	char		*pub, *out;

	if ((pub = jwt_key_public_jwk(a, k)) == NULL ||
	    (o = json_tokener_parse(pub)) == NULL)
		return (NULL);
	json_object_object_add(o, "kid", json_object_new_string(kid));
	out = json_dump(a, o);
	json_object_put(o);
	return (out);
}

/* signing keys of the source; 0, or an exit status */
static int
import_keys(struct db_conn *src, struct db_conn *dst, struct arena *a,
    const struct config *c, const struct opts *o, const char *tag,
    const char *old_secret, int *nkeys, int *nsign)
{
	struct import_key	*keys, k;
	struct jwt_key		*jk;
	const char		*why;
	char			*priv, *pub, *pcol, *cap;
	int			 n, i;

	*nkeys = *nsign = 0;
	if (store_import_keys(src, a, o->schema, &keys, &n) == -1) {
		fprintf(stderr, "neon-authd import: jwks: %s\n",
		    db_last_error(src)->message);
		return (1);
	}
	/* the newest end a published-only key may have */
	cap = clock_iso(a, clock_now_ms() + o->grace * 1000);
	for (i = 0; i < n; i++) {
		k = keys[i];
		priv = NULL;
		jk = NULL;
		if (old_secret != NULL && (jk = jwt_key_from_row(a,
		    str_c(old_secret), k.id, str_c(k.public_key),
		    str_c(k.private_key), &why)) == NULL) {
			fprintf(stderr, "neon-authd import: jwks row %s, column "
			    "privateKey: %s\n", k.id, why);
			return (EX_DATAERR);
		}
		if (jk != NULL) {
			/* re-encrypted under our secret; it may sign again */
			if ((pub = public_with_kid(a, jk, k.id)) == NULL ||
			    jwt_key_to_row(a, str_c(c->secret), jk, &pcol,
			    &priv) == -1) {
				jwt_key_free(jk);
				fprintf(stderr, "neon-authd import: jwks row %s: "
				    "cannot re-encrypt\n", k.id);
				return (1);
			}
			k.public_key = pub;
			jwt_key_free(jk);
			(*nsign)++;
		} else {
			/* not ours to sign with: published for the grace */
			json_object *po = json_tokener_parse(k.public_key);

			if (po == NULL) {
				fprintf(stderr, "neon-authd import: jwks row %s, "
				    "column publicKey: not a JWK\n", k.id);
				return (EX_DATAERR);
			}
			json_object_object_add(po, "kid",
			    json_object_new_string(k.id));
			k.public_key = json_dump(a, po);
			json_object_put(po);
			if (k.expires_at == NULL || strcmp(k.expires_at,
			    cap) > 0)
				k.expires_at = cap;
		}
		if (store_import_key_write(dst, a, tag, &k, priv) == -1) {
			fprintf(stderr, "neon-authd import: jwks row %s: %s\n",
			    k.id, db_last_error(dst)->message);
			return (1);
		}
		(*nkeys)++;
	}
	return (0);
}

static int
do_map(struct cli_branch *cb, const struct opts *o)
{
	enum import_kind	 k;
	char			*sql;

	if (o->source == NULL || o->table == NULL || o->column == NULL) {
		usage();
		return (64);
	}
	for (k = 0; k < IK__COUNT; k++)
		if (strcmp(import_kind_name(k), o->kind ? o->kind : "user") == 0)
			break;
	if (k == IK__COUNT || k == IK_METADATA) {
		fprintf(stderr, "neon-authd import map: --kind is one of user, "
		    "account, organization, member, invitation, session\n");
		return (64);
	}
	if ((sql = store_import_map_sql(cb->conn, &cb->a, k, o->source,
	    o->table, o->column)) == NULL) {
		fprintf(stderr, "neon-authd import map: %s\n",
		    db_last_error(cb->conn)->message);
		return (1);
	}
	fputs(sql, stdout);
	return (0);
}

int
cli_import(struct config *c, int argc, char **argv)
{
	struct cli_branch	 cb;
	struct opts		 o;
	struct db_pool		*spool = NULL;
	struct db_conn		*src = NULL;
	struct db_result	*res;
	struct arena		 ba;
	enum import_source	 from;
	enum import_kind	 k;
	int64_t			 total[IK__COUNT], written[IK__COUNT];
	int64_t			 merged[IK__COUNT], w, m, un, done, t0;
	int64_t			 next_analyze;
	char			*problem, *after, *json, *tag, *secret = NULL;
	int			 rc, n, in_tx = 0, nkeys = 0, nsign = 0, have;

	if (parse(argc, argv, &o, 0) == -1) {
		usage();
		return (64);
	}
	if (strcmp(o.what, "better-auth") == 0)
		from = IMPORT_BETTER_AUTH;
	else if (strcmp(o.what, "neon") == 0)
		from = IMPORT_NEON;
	else if (strcmp(o.what, "supabase") == 0)
		from = IMPORT_SUPABASE;
	else if (strcmp(o.what, "map") == 0) {
		if ((rc = cli_branch_open(&cb, "import", c, o.branch)) == 0)
			rc = do_map(&cb, &o);
		cli_branch_close(&cb);
		return (rc);
	} else {
		usage();
		return (64);
	}
	if (o.conninfo == NULL) {
		fprintf(stderr, "neon-authd import: --from CONNINFO is "
		    "required\n");
		return (64);
	}
	if (o.secret_stdin && from != IMPORT_BETTER_AUTH) {
		fprintf(stderr, "neon-authd import: --keys-secret-stdin is for "
		    "better-auth (a Neon database's keys are encrypted with a "
		    "secret only Neon has)\n");
		return (64);
	}
	if (o.schema == NULL)
		o.schema = from == IMPORT_NEON ? "neon_auth" :
		    from == IMPORT_SUPABASE ? "auth" : "public";
	memset(total, 0, sizeof(total));
	memset(written, 0, sizeof(written));
	memset(merged, 0, sizeof(merged));
	if ((rc = cli_branch_open(&cb, "import", c, o.branch)) != 0) {
		cli_branch_close(&cb);
		return (rc);
	}
	arena_init(&ba, 1 << 16);
	rc = 1;
	if (o.secret_stdin && (secret = read_secret(&cb.a)) == NULL) {
		fprintf(stderr, "neon-authd import: no secret on stdin\n");
		rc = 64;
		goto done;
	}
	if ((src = connect_other(&spool, c, o.conninfo, "source")) == NULL)
		goto done;
	if ((res = db_exec(src, &cb.a, NULL, "SELECT current_database()", 0,
	    NULL)) == NULL)
		goto dberr_src;
	tag = arena_printf(&cb.a, "%s:%s/%s", o.what, db_getvalue(res, 0, 0),
	    o.schema);

	/* 1. the source must make sense as a whole before anything moves */
	if (store_import_check(src, &cb.a, from, o.schema, &problem) == -1)
		goto dberr_src;
	if (problem != NULL) {
		fprintf(stderr, "neon-authd import: %s; nothing was written\n",
		    problem);
		rc = EX_DATAERR;
		goto done;
	}
	for (k = 0; k < IK__COUNT; k++) {
		if (k == IK_SESSION && !o.keep_sessions)
			continue;
		have = store_import_reader(src, &cb.a, from, o.schema, k,
		    &total[k]);
		if (have == -1)
			goto dberr_src;
		if (have == 0 && k == IK_USER) {
			fprintf(stderr, "neon-authd import: no %s users table "
			    "in schema %s of the source\n", o.what, o.schema);
			rc = EX_DATAERR;
			goto done;
		}
	}

	/* 2. one transaction on the branch, without the server's timeout */
	if (db_exec(cb.conn, &cb.a, NULL, "SET statement_timeout = 0", 0,
	    NULL) == NULL || store_begin(cb.conn) == -1)
		goto dberr_dst;
	in_tx = 1;
	for (k = 0; k < IK__COUNT; k++) {
		if (total[k] == 0)
			continue;
		after = arena_strdup(&cb.a, "");
		done = 0;
		next_analyze = o.batch;
		t0 = clock_mono_ms();
		for (;;) {
			arena_reset(&ba);
			after = arena_strdup(&ba, after);
			if (store_import_batch(src, &ba, from, k, o.batch,
			    &after, &json, &n) == -1)
				goto dberr_src;
			if (n == 0)
				break;
			if (store_import_write(cb.conn, &ba, k, tag, json, &w,
			    &m, &un) == -1)
				goto dberr_dst;
			if (un > 0) {
				fprintf(stderr, "\nneon-authd import: %lld %s "
				    "rows belong to rows that were not imported; "
				    "nothing was written\n", (long long)un,
				    import_kind_name(k));
				rc = EX_DATAERR;
				goto done;
			}
			written[k] += w;
			merged[k] += m;
			done += n;
			/*
			 * statistics after the first batch of each kind and each
			 * time it has doubled: O(log n) runs, and every batch is
			 * planned for tables of about the size they have
			 */
			if (done >= next_analyze) {
				if (store_import_analyze(cb.conn, &ba) == -1)
					goto dberr_dst;
				next_analyze = done * 2;
			}
			progress("import", import_kind_name(k), done, total[k],
			    t0);
			/* the next page starts after this one's last id */
			after = arena_strdup(&cb.a, after);
		}
		fprintf(stderr, "\n");
	}
	if (from != IMPORT_SUPABASE && (rc = import_keys(src, cb.conn, &cb.a, c,
	    &o, tag, secret, &nkeys, &nsign)) != 0)
		goto done;
	rc = 1;
	if (o.dry_run)
		store_rollback(cb.conn);
	else if (store_commit(cb.conn) == -1)
		goto dberr_dst;
	in_tx = 0;

	/* 3. what happened */
	printf("%s from %s into branch %s%s\n", o.dry_run ? "dry run: would "
	    "import" : "imported", tag, cb.branch->name,
	    o.dry_run ? " (nothing was written)" : "");
	for (k = 0; k < IK__COUNT; k++)
		if (total[k] > 0)
			printf("  %-13s %8lld read, %8lld written, %8lld "
			    "matched existing rows\n", import_kind_name(k),
			    (long long)total[k], (long long)written[k],
			    (long long)merged[k]);
	if (nkeys > 0)
		printf("  %-13s %8d keys: %d re-encrypted under this server's "
		    "secret, %d published for verification only\n", "jwks",
		    nkeys, nsign, nkeys - nsign);
	if (o.keep_sessions && !o.dry_run)
		printf("# sessions keep their tokens: add the old app's secret "
		    "to `secrets` in the server's file so that its cookies "
		    "stay valid\n");
	rc = 0;
	goto done;
 dberr_src:
	fprintf(stderr, "\nneon-authd import: source: %s\n",
	    db_last_error(src)->message);
	rc = 1;
	goto done;
 dberr_dst:
	fprintf(stderr, "\nneon-authd import: branch %s: %s; nothing was "
	    "written\n", cb.branch->name, db_last_error(cb.conn)->message);
	rc = 1;
 done:
	if (in_tx)
		store_rollback(cb.conn);
	if (secret != NULL)
		explicit_bzero(secret, strlen(secret));
	db_pool_free(spool);
	arena_free(&ba);
	cli_branch_close(&cb);
	return (rc);
}

/* ---- export ---------------------------------------------------------------- */

int
cli_export(struct config *c, int argc, char **argv)
{
	struct cli_branch	 cb;
	struct opts		 o;
	struct db_pool		*dpool = NULL;
	struct db_conn		*dst = NULL;
	struct import_key	*keys;
	struct jwt_key		*jk;
	struct arena		 ba;
	enum import_kind	 k;
	int64_t			 written[IK__COUNT], w, done, t0;
	char			*after, *json, *priv, *pub, *secret = NULL;
	const char		*why;
	int			 rc, n, i, nk = 0, in_tx = 0;

	if (parse(argc, argv, &o, 1) == -1 ||
	    strcmp(o.what, "better-auth") != 0) {
		usage();
		return (64);
	}
	if (o.conninfo == NULL) {
		fprintf(stderr, "neon-authd export: --to CONNINFO is "
		    "required\n");
		return (64);
	}
	if (o.schema == NULL)
		o.schema = "public";
	memset(written, 0, sizeof(written));
	if ((rc = cli_branch_open(&cb, "export", c, o.branch)) != 0) {
		cli_branch_close(&cb);
		return (rc);
	}
	arena_init(&ba, 1 << 16);
	rc = 1;
	if (o.secret_stdin && (secret = read_secret(&cb.a)) == NULL) {
		fprintf(stderr, "neon-authd export: no secret on stdin\n");
		rc = 64;
		goto done;
	}
	if (secret != NULL && strlen(secret) < 32) {
		fprintf(stderr, "neon-authd export: Better Auth wants a secret "
		    "of 32 characters or more\n");
		rc = 64;
		goto done;
	}
	if ((dst = connect_other(&dpool, c, o.conninfo, "target")) == NULL)
		goto done;
	if (db_exec(cb.conn, &cb.a, NULL, "SET statement_timeout = 0", 0,
	    NULL) == NULL) {
		fprintf(stderr, "neon-authd export: branch %s: %s\n",
		    cb.branch->name, db_last_error(cb.conn)->message);
		goto done;
	}
	if (store_begin(dst) == -1)
		goto dberr_dst;
	in_tx = 1;
	if (store_export_schema(dst, &cb.a, o.schema) == -1)
		goto dberr_dst;
	for (k = 0; k < IK__COUNT; k++) {
		after = arena_strdup(&cb.a, "");
		done = 0;
		t0 = clock_mono_ms();
		for (;;) {
			arena_reset(&ba);
			after = arena_strdup(&ba, after);
			if (store_export_batch(cb.conn, &ba, k, o.batch, &after,
			    &json, &n) == -1) {
				fprintf(stderr, "\nneon-authd export: branch "
				    "%s: %s\n", cb.branch->name,
				    db_last_error(cb.conn)->message);
				goto done;
			}
			if (n == 0)
				break;
			if (store_export_write(dst, &ba, o.schema, k, json,
			    &w) == -1)
				goto dberr_dst;
			written[k] += w;
			done += n;
			progress("export", import_kind_name(k), done, done, t0);
			after = arena_strdup(&cb.a, after);
		}
		if (done > 0)
			fprintf(stderr, "\n");
	}
	/* signing keys, re-encrypted under the secret the target will use */
	if (store_export_keys(cb.conn, &cb.a, &keys, &n) == -1) {
		fprintf(stderr, "neon-authd export: branch %s: %s\n",
		    cb.branch->name, db_last_error(cb.conn)->message);
		goto done;
	}
	if (n > 0 && secret == NULL) {
		fprintf(stderr, "neon-authd export: the branch has %d signing "
		    "key%s: give the target's secret with --secret-stdin\n", n,
		    n == 1 ? "" : "s");
		rc = 64;
		goto done;
	}
	for (i = 0; i < n; i++) {
		jk = jwt_key_from_row(&cb.a, str_c(c->secret), keys[i].id,
		    str_c(keys[i].public_key), str_c(keys[i].private_key), &why);
		if (jk == NULL)
			continue;	/* published only: nothing to carry */
		pub = jwt_key_public_jwk(&cb.a, jk);
		if (pub == NULL || jwt_key_to_row(&cb.a, str_c(secret), jk,
		    &pub, &priv) == -1) {
			jwt_key_free(jk);
			fprintf(stderr, "neon-authd export: key %s: cannot "
			    "re-encrypt\n", keys[i].id);
			goto done;
		}
		jwt_key_free(jk);
		keys[i].public_key = pub;
		if (store_export_key_write(dst, &cb.a, o.schema, &keys[i],
		    priv) == -1)
			goto dberr_dst;
		nk++;
	}
	if (store_commit(dst) == -1)
		goto dberr_dst;
	in_tx = 0;
	printf("exported branch %s into schema %s of the target\n",
	    cb.branch->name, o.schema);
	for (k = 0; k < IK__COUNT; k++)
		if (written[k] > 0)
			printf("  %-13s %8lld rows\n", import_kind_name(k),
			    (long long)written[k]);
	printf("  %-13s %8d keys re-encrypted under the given secret\n",
	    "jwks", nk);
	rc = 0;
	goto done;
 dberr_dst:
	fprintf(stderr, "\nneon-authd export: target: %s; nothing was "
	    "written\n", db_last_error(dst)->message);
	rc = 1;
 done:
	if (in_tx)
		store_rollback(dst);
	if (secret != NULL)
		explicit_bzero(secret, strlen(secret));
	db_pool_free(dpool);
	arena_free(&ba);
	cli_branch_close(&cb);
	return (rc);
}
