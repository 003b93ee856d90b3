/*
 * store_jwks.c -- neon_auth.jwks: load, create, rotate and list signing
 * keys, and the per-worker key cache (see store_jwks.h for the rules).
 *
 * The cache is a small array of per-branch key sets, least recently used
 * out.  A set holds the published rows newest first; each row keeps its
 * public key (parsed at load) and, once it has been needed for signing,
 * its decrypted private key.  Everything a set owns is malloc'd and lives
 * until the set is reloaded or evicted; nothing points into a request
 * arena.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "store/db.h"
#include "lib/json.h"
#include "lib/jwt.h"
#include "lib/log.h"
#include "store/store_jwks.h"

#define SETS_MAX	64
#define NEVER		INT64_MAX

struct kent {
	char		 id[JWT_KID_MAX];
	char		*pubtext;	/* the publicKey column */
	char		*privcol;	/* privateKey, until decrypted */
	struct jwt_key	*pub;		/* verify-only, kid = id */
	struct jwt_key	*priv;		/* decrypted, or NULL */
	int		 priv_state;	/* 0 untried, 1 ok, -1 failed */
	enum jwt_alg	 alg;
	int64_t		 created_ms;
	int64_t		 expires_ms;	/* NEVER when NULL */
	char		*auth_url;	/* jwks_auth_url: NULL when unclaimed */
};

struct kset {
	char		 branch[160];
	int		 inuse;
	int		 valid;
	int64_t		 loaded_ms;
	int64_t		 used_ms;
	struct kent	*k;
	int		 n;
	int		 unclaimed;	/* published rows without an Auth URL */
	char		*doc;
	size_t		 doclen;
	int64_t		 doc_until;	/* rebuild from then on */
};

static struct kset	 sets[SETS_MAX];
static int64_t		 use_clock;

/* columns of LOAD_SQL and LIST_SQL */
#define C_ID		0
#define C_PUB		1
#define C_PRIV		2
#define C_CREATED	3
#define C_EXPIRES	4
#define C_URL		5	/* LOAD_SQL only */

static const char LOAD_SQL[] =
    "SELECT j.id::text, j.\"publicKey\", j.\"privateKey\", "
    "(extract(epoch FROM j.\"createdAt\") * 1000)::int8, "
    "(extract(epoch FROM j.\"expiresAt\") * 1000)::int8, u.\"authUrl\" "
    "FROM neon_auth.jwks j "
    "LEFT JOIN neon_auth.jwks_auth_url u ON u.\"keyId\" = j.id "
    "WHERE j.\"expiresAt\" IS NULL OR j.\"expiresAt\" > now() "
    "ORDER BY j.\"createdAt\" DESC, j.id DESC LIMIT 64";

static const char LIST_SQL[] =
    "SELECT id::text, \"publicKey\", \"privateKey\", "
    "to_char(\"createdAt\" AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "to_char(\"expiresAt\" AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "(extract(epoch FROM \"expiresAt\") * 1000)::int8, "
    "(extract(epoch FROM now()) * 1000)::int8 "
    "FROM neon_auth.jwks ORDER BY \"createdAt\" DESC, id DESC";

static const char LOCK_SQL[] = "SELECT pg_advisory_xact_lock($1::int8)";

/* a new key, and the Auth URL it is made for (none: unclaimed) */
static const char INSERT_SQL[] =
    "WITH k AS (INSERT INTO neon_auth.jwks (\"publicKey\", \"privateKey\", "
    "\"createdAt\") VALUES ($1, $2, now()) RETURNING id), "
    "m AS (INSERT INTO neon_auth.jwks_auth_url (\"keyId\", \"authUrl\") "
    "SELECT id, $3::text FROM k WHERE $3::text IS NOT NULL) "
    "SELECT id::text FROM k";

/* has this Auth URL had keys here before (even expired ones)? */
static const char URL_SEEN_SQL[] =
    "SELECT 1 FROM neon_auth.jwks_auth_url WHERE \"authUrl\" = $1 LIMIT 1";

/* a copy first served elsewhere: the other Auth URLs' keys retire */
static const char RETIRE_FOREIGN_SQL[] =
    "UPDATE neon_auth.jwks j "
    "SET \"expiresAt\" = now() + $2::int8 * interval '1 second' "
    "FROM neon_auth.jwks_auth_url u "
    "WHERE u.\"keyId\" = j.id AND u.\"authUrl\" <> $1 "
    "AND (j.\"expiresAt\" IS NULL "
    "OR j.\"expiresAt\" > now() + $2::int8 * interval '1 second')";

/* keys made before migration 012, by Better Auth or by keys rotate */
static const char CLAIM_SQL[] =
    "INSERT INTO neon_auth.jwks_auth_url (\"keyId\", \"authUrl\") "
    "SELECT j.id, $1 FROM neon_auth.jwks j "
    "WHERE (j.\"expiresAt\" IS NULL OR j.\"expiresAt\" > now()) "
    "AND NOT EXISTS (SELECT 1 FROM neon_auth.jwks_auth_url u "
    "WHERE u.\"keyId\" = j.id) "
    "ON CONFLICT (\"keyId\") DO NOTHING";

static const char RETIRE_SQL[] =
    "UPDATE neon_auth.jwks "
    "SET \"expiresAt\" = now() + $1::int8 * interval '1 second' "
    "WHERE \"expiresAt\" IS NULL "
    "OR \"expiresAt\" > now() + $1::int8 * interval '1 second'";

/* ------------------------------------------------------------ helpers */

static int
parse_i64(const char *s, int64_t *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0')
		return (-1);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return (-1);
	*out = (int64_t)v;
	return (0);
}

static char *
xstrdup(const char *s, size_t n)
{
	char	*p;

	if ((p = malloc(n + 1)) == NULL) {
		log_crit("%s: out of memory", __func__);
		_exit(NEON_AUTHD_EX_OOM);
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return (p);
}

static void
kent_clear(struct kent *e)
{
	jwt_key_free(e->pub);
	jwt_key_free(e->priv);
	free(e->pubtext);
	free(e->privcol);
	free(e->auth_url);
	memset(e, 0, sizeof(*e));
}

static void
kset_clear(struct kset *s)
{
	int	 i;

	for (i = 0; i < s->n; i++)
		kent_clear(&s->k[i]);
	free(s->k);
	free(s->doc);
	s->k = NULL;
	s->n = 0;
	s->unclaimed = 0;
	s->doc = NULL;
	s->doclen = 0;
	s->valid = 0;
}

static struct kset *
kset_slot(const char *branch)
{
	struct kset	*s, *lru = NULL, *fresh = NULL;
	int		 i;

	for (i = 0; i < SETS_MAX; i++) {
		s = &sets[i];
		if (s->inuse && strcmp(s->branch, branch) == 0) {
			s->used_ms = ++use_clock;
			return (s);
		}
		if (!s->inuse && fresh == NULL)
			fresh = s;
		if (s->inuse && (lru == NULL || s->used_ms < lru->used_ms))
			lru = s;
	}
	s = fresh ? fresh : lru;
	kset_clear(s);
	memset(s, 0, sizeof(*s));
	s->inuse = 1;
	snprintf(s->branch, sizeof(s->branch), "%s", branch);
	s->used_ms = ++use_clock;
	return (s);
}

void
store_jwks_invalidate(const char *branch_name)
{
	int	 i;

	for (i = 0; i < SETS_MAX; i++) {
		if (!sets[i].inuse)
			continue;
		if (branch_name == NULL ||
		    strcmp(sets[i].branch, branch_name) == 0)
			sets[i].valid = 0;
	}
}

/* publicKey text -> (alg, verify-only key); NULL when unreadable */
static struct jwt_key *
parse_public(struct str text, const char *id, const char **why)
{
	struct jwt_key	*k;

	if ((k = jwt_key_from_jwk(text.p, text.len, why)) == NULL)
		return (NULL);
	/* a key imported from Better Auth keeps its old kid (in its JWK) */
	if (jwt_key_kid(k)[0] == '\0' && jwt_key_set_kid(k, id) == -1) {
		*why = "bad key id";
		jwt_key_free(k);
		return (NULL);
	}
	return (k);
}

/*
 * load_set: replace s's rows by the published rows of the table, keeping
 * the decrypted key of every row whose id and publicKey are unchanged.
 * 0, or -1 on a database error.
 */
static int
load_set(struct db_conn *c, struct arena *a, struct kset *s, int64_t now)
{
	struct db_result	*res;
	struct kent		*nk;
	struct str		 pub, priv;
	const char		*id, *why;
	int			 i, j, n, m = 0, unclaimed = 0;

	if ((res = db_exec(c, a, "jwks_load3", LOAD_SQL, 0, NULL)) == NULL)
		return (-1);
	n = db_ntuples(res);
	nk = calloc((size_t)(n > 0 ? n : 1), sizeof(*nk));
	if (nk == NULL) {
		log_crit("%s: out of memory", __func__);
		_exit(NEON_AUTHD_EX_OOM);
	}
	for (i = 0; i < n; i++) {
		struct kent	*e = &nk[m];

		id = db_getvalue(res, i, C_ID);
		pub = db_getstr(res, i, C_PUB);
		priv = db_getstr(res, i, C_PRIV);
		if (id == NULL || strlen(id) >= sizeof(e->id) || pub.p == NULL)
			continue;
		if (parse_i64(db_getvalue(res, i, C_CREATED),
		    &e->created_ms) == -1)
			continue;
		if (db_isnull(res, i, C_EXPIRES))
			e->expires_ms = NEVER;
		else if (parse_i64(db_getvalue(res, i, C_EXPIRES),
		    &e->expires_ms) == -1)
			continue;
		memcpy(e->id, id, strlen(id) + 1);
		/* the same row as before: take its keys over */
		for (j = 0; j < s->n; j++) {
			struct kent *o = &s->k[j];

			if (o->pub != NULL && strcmp(o->id, id) == 0 &&
			    strlen(o->pubtext) == pub.len &&
			    memcmp(o->pubtext, pub.p, pub.len) == 0) {
				e->pubtext = o->pubtext;
				e->pub = o->pub;
				e->priv = o->priv;
				e->priv_state = o->priv_state;
				e->privcol = o->privcol;
				e->alg = o->alg;
				o->pubtext = NULL;
				o->pub = NULL;
				o->priv = NULL;
				o->privcol = NULL;
				break;
			}
		}
		if (e->pub == NULL) {
			if ((e->pub = parse_public(pub, id, &why)) == NULL) {
				log_warnx("branch %s: jwks row %s: publicKey "
				    "unusable: %s", s->branch, id, why);
				memset(e, 0, sizeof(*e));
				continue;
			}
			e->alg = jwt_key_alg(e->pub);
			e->pubtext = xstrdup(pub.p, pub.len);
			e->privcol = priv.p ? xstrdup(priv.p, priv.len) :
			    xstrdup("", 0);
		}
		if (db_isnull(res, i, C_URL))
			unclaimed++;
		else {
			struct str u = db_getstr(res, i, C_URL);

			e->auth_url = xstrdup(u.p, u.len);
		}
		m++;
	}
	kset_clear(s);
	s->k = nk;
	s->n = m;
	s->unclaimed = unclaimed;
	s->valid = 1;
	s->loaded_ms = now;
	s->doc_until = 0;
	return (0);
}

/* the row's decrypted key, decrypting it on first use; NULL if it fails */
static struct jwt_key *
kent_private(struct kent *e, struct arena *a,
    const struct crypto_secrets *secrets, const char *branch)
{
	const char	*why = "?";

	/* "" (a JSON empty string): published to verify, never signs */
	if (e->priv_state == 0 && strcmp(e->privcol, "\"\"") == 0)
		e->priv_state = -1;
	if (e->priv_state == 0) {
		e->priv = jwt_key_from_row_secrets(a, secrets,
		    jwt_key_kid(e->pub), str_c(e->pubtext), str_c(e->privcol),
		    &why, NULL);
		e->priv_state = e->priv ? 1 : -1;
		if (e->priv == NULL)
			log_warnx("branch %s: jwks key %s cannot sign: %s",
			    branch, e->id, why);
		OPENSSL_cleanse(e->privcol, strlen(e->privcol));
		free(e->privcol);
		e->privcol = xstrdup("", 0);
	}
	return (e->priv);
}

/* the newest row of auth_url that may sign now, or NULL */
static struct kent *
pick(struct kset *s, struct arena *a, const struct crypto_secrets *secrets,
    enum jwt_alg alg, int ttl_s, int64_t now, const char *auth_url)
{
	int64_t	 need = now + (int64_t)ttl_s * 1000;
	int	 i;

	for (i = 0; i < s->n; i++) {
		struct kent *e = &s->k[i];

		if (e->alg != alg || (e->expires_ms != NEVER &&
		    e->expires_ms <= need))
			continue;
		if (e->auth_url == NULL || strcmp(e->auth_url, auth_url) != 0)
			continue;
		if (kent_private(e, a, secrets, s->branch) != NULL)
			return (e);
	}
	return (NULL);
}

/*
 * insert_key: generate an alg key and insert its row (inside the
 * caller's transaction).  The new id goes to *id_out in a.
 */
static int
insert_key(struct db_conn *c, struct arena *a,
    const struct crypto_secrets *secrets, enum jwt_alg alg,
    const char *auth_url, char **id_out, enum store_jwks_err *err)
{
	struct jwt_key		*k;
	struct db_result	*res;
	char			*pub, *priv;
	const char		*params[3];

	if ((k = jwt_key_generate(alg)) == NULL) {
		*err = STORE_JWKS_CRYPTO;
		return (-1);
	}
	if (jwt_key_to_row_secrets(a, secrets, k, &pub, &priv) == -1) {
		jwt_key_free(k);
		*err = STORE_JWKS_CRYPTO;
		return (-1);
	}
	jwt_key_free(k);
	params[0] = pub;
	params[1] = priv;
	params[2] = auth_url;
	if ((res = db_exec(c, a, "jwks_insert3", INSERT_SQL, 3,
	    params)) == NULL || db_ntuples(res) != 1) {
		*err = STORE_JWKS_DB;
		return (-1);
	}
	if (id_out)
		*id_out = arena_strdup(a, db_getvalue(res, 0, 0));
	return (0);
}

static int
lock_keys(struct db_conn *c, struct arena *a)
{
	const char	*p[1];

	p[0] = arena_printf(a, "%" PRId64, STORE_JWKS_LOCK);
	return (db_exec(c, a, "jwks_lock", LOCK_SQL, 1, p) ? 0 : -1);
}

/*
 * claim_keys: (under the lock) the first time auth_url signs in this
 * database, retire the keys other Auth URLs made here (a copy: they stay
 * published for one token lifetime, ttl_s, and never sign here); then
 * the unclaimed keys become auth_url's.  0, or -1 on a database error.
 */
static int
claim_keys(struct db_conn *c, struct arena *a, const char *branch,
    const char *auth_url, int ttl_s)
{
	struct db_result	*res;
	const char		*p[2];

	p[0] = auth_url;
	if ((res = db_exec(c, a, NULL, URL_SEEN_SQL, 1, p)) == NULL)
		return (-1);
	if (db_ntuples(res) == 0) {
		p[1] = arena_printf(a, "%d", ttl_s > 0 ? ttl_s : 0);
		if ((res = db_exec(c, a, NULL, RETIRE_FOREIGN_SQL, 2,
		    p)) == NULL)
			return (-1);
		if (db_cmd_tuples(res) > 0)
			log_notice("branch %s: first served at this Auth URL: "
			    "%lld signing key%s made for another Auth URL "
			    "(a copy of its database?) leave the JWKS in %ds "
			    "and sign no more; new keys from now on", branch,
			    (long long)db_cmd_tuples(res),
			    db_cmd_tuples(res) == 1 ? "" : "s", ttl_s);
	}
	if (db_exec(c, a, NULL, CLAIM_SQL, 1, p) == NULL)
		return (-1);
	return (0);
}

/*
 * create_signing: under the lock, claim keys (claim_keys), look again and
 * create a key when there is still none that may sign; then reload.
 */
static struct kent *
create_signing(struct db_conn *c, struct arena *a, struct kset *s,
    const struct crypto_secrets *secrets, enum jwt_alg alg, int ttl_s,
    int64_t now, const char *auth_url, enum store_jwks_err *err)
{
	struct kent	*e;
	char		*id = NULL;

	*err = STORE_JWKS_DB;
	if (db_begin(c) == -1)
		return (NULL);
	if (lock_keys(c, a) == -1 ||
	    claim_keys(c, a, s->branch, auth_url, ttl_s) == -1 ||
	    load_set(c, a, s, now) == -1)
		goto fail;
	if ((e = pick(s, a, secrets, alg, ttl_s, now, auth_url)) != NULL) {
		if (db_commit(c) == -1)
			goto fail;
		*err = STORE_JWKS_OK;
		return (e);
	}
	if (insert_key(c, a, secrets, alg, auth_url, &id, err) == -1)
		goto fail;
	if (db_commit(c) == -1) {
		*err = STORE_JWKS_DB;
		goto fail;
	}
	log_info("branch %s: created %s signing key %s", s->branch,
	    jwt_alg_name(alg), id);
	*err = STORE_JWKS_DB;
	if (load_set(c, a, s, now) == -1)
		return (NULL);
	if ((e = pick(s, a, secrets, alg, ttl_s, now, auth_url)) == NULL) {
		log_err("branch %s: the new key %s does not sign", s->branch,
		    id);
		*err = STORE_JWKS_CRYPTO;
		return (NULL);
	}
	*err = STORE_JWKS_OK;
	return (e);
 fail:
	if (db_in_transaction(c))
		db_rollback(c);
	s->valid = 0;
	return (NULL);
}

/* the branch's set, loaded and current */
static struct kset *
current_set(struct db_conn *c, struct arena *a, const char *branch,
    int64_t now, enum store_jwks_err *err)
{
	struct kset	*s = kset_slot(branch);

	if (!s->valid || now - s->loaded_ms > STORE_JWKS_TTL_MS ||
	    now < s->loaded_ms) {
		if (load_set(c, a, s, now) == -1) {
			s->valid = 0;
			*err = STORE_JWKS_DB;
			return (NULL);
		}
	}
	return (s);
}

/* unclaimed keys (a rotation, Better Auth's) are claimed before signing */
static struct kent *
signing_entry(struct db_conn *c, struct arena *a, struct kset *s,
    const struct crypto_secrets *secrets, enum jwt_alg alg, int ttl_s,
    int64_t now, const char *auth_url, enum store_jwks_err *err)
{
	struct kent	*e;

	if (s->unclaimed == 0 && (e = pick(s, a, secrets, alg, ttl_s, now,
	    auth_url)) != NULL)
		return (e);
	return (create_signing(c, a, s, secrets, alg, ttl_s, now, auth_url,
	    err));
}

const struct jwt_key *
store_jwks_signing_key(struct db_conn *c, struct arena *a,
    const char *branch_name, const char *auth_url,
    const struct crypto_secrets *secrets, enum jwt_alg alg, int ttl_s,
    int64_t now_ms, enum store_jwks_err *err)
{
	enum store_jwks_err	 dummy;
	struct kset		*s;
	struct kent		*e;

	if (err == NULL)
		err = &dummy;
	*err = STORE_JWKS_OK;
	if ((s = current_set(c, a, branch_name, now_ms, err)) == NULL)
		return (NULL);
	if ((e = signing_entry(c, a, s, secrets, alg, ttl_s, now_ms,
	    auth_url, err)) == NULL)
		return (NULL);
	return (e->priv);
}

/* the earliest future expiry among published rows, or NEVER */
static int64_t
next_expiry(const struct kset *s, int64_t now)
{
	int64_t	 t = NEVER;
	int	 i;

	for (i = 0; i < s->n; i++)
		if (s->k[i].expires_ms > now && s->k[i].expires_ms < t)
			t = s->k[i].expires_ms;
	return (t);
}

const char *
store_jwks_document(struct db_conn *c, struct arena *a,
    const char *branch_name, const char *auth_url,
    const struct crypto_secrets *secrets, enum jwt_alg alg, int ttl_s,
    int64_t now_ms, size_t *len_out, enum store_jwks_err *err)
{
	enum store_jwks_err	 dummy;
	struct kset		*s;
	json_object		*doc, *keys, *entry;
	const char		*text;
	int			 i;

	if (err == NULL)
		err = &dummy;
	*err = STORE_JWKS_OK;
	if ((s = current_set(c, a, branch_name, now_ms, err)) == NULL)
		return (NULL);
	if (signing_entry(c, a, s, secrets, alg, ttl_s, now_ms, auth_url,
	    err) == NULL)
		return (NULL);
	if (s->doc == NULL || now_ms >= s->doc_until) {
		doc = json_object_new_object();
		keys = json_object_new_array();
		json_object_object_add(doc, "keys", keys);
		for (i = 0; i < s->n; i++) {
			if (s->k[i].expires_ms <= now_ms)
				continue;
			if ((entry = jwt_key_jwks_entry(s->k[i].pub)) == NULL) {
				json_object_put(doc);
				*err = STORE_JWKS_CRYPTO;
				return (NULL);
			}
			json_object_array_add(keys, entry);
		}
		text = json_object_to_json_string_ext(doc,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		free(s->doc);
		s->doclen = strlen(text);
		s->doc = xstrdup(text, s->doclen);
		json_object_put(doc);
		s->doc_until = next_expiry(s, now_ms);
	}
	if (len_out)
		*len_out = s->doclen;
	return (s->doc);
}

/* ------------------------------------------------------------ CLI */

int
store_jwks_list(struct db_conn *c, struct arena *a,
    const struct crypto_secrets *secrets, enum jwt_alg alg, int ttl_s,
    struct store_jwks_row **rows_out)
{
	struct db_result	*res;
	struct store_jwks_row	*rows;
	struct jwt_key		*k;
	const char		*why;
	int64_t			 exp_ms, now_ms;
	int			 i, n, signing_found = 0;

	if ((res = db_exec(c, a, NULL, LIST_SQL, 0, NULL)) == NULL)
		return (-1);
	n = db_ntuples(res);
	rows = arena_alloc(a, sizeof(*rows) * (size_t)(n > 0 ? n : 1));
	for (i = 0; i < n; i++) {
		struct store_jwks_row	*r = &rows[i];
		struct str		 pub = db_getstr(res, i, C_PUB);

		r->id = db_getvalue(res, i, C_ID);
		r->created_at = db_getvalue(res, i, 3);
		r->expires_at = db_isnull(res, i, 4) ? NULL :
		    db_getvalue(res, i, 4);
		exp_ms = NEVER;
		if (!db_isnull(res, i, 5))
			(void)parse_i64(db_getvalue(res, i, 5), &exp_ms);
		now_ms = 0;
		(void)parse_i64(db_getvalue(res, i, 6), &now_ms);
		r->published = exp_ms > now_ms;
		r->alg = "?";
		if ((k = jwt_key_from_jwk(pub.p, pub.len, &why)) != NULL) {
			r->alg = jwt_alg_name(jwt_key_alg(k));
			jwt_key_free(k);
		}
		k = jwt_key_from_row_secrets(a, secrets, r->id, pub,
		    db_getstr(res, i, C_PRIV), &why, &r->current);
		r->decrypts = k != NULL;
		if (k != NULL && !signing_found &&
		    jwt_key_alg(k) == alg && (exp_ms == NEVER ||
		    exp_ms > now_ms + (int64_t)ttl_s * 1000)) {
			r->signing = 1;
			signing_found = 1;
		}
		jwt_key_free(k);
	}
	*rows_out = rows;
	return (n);
}

int
store_jwks_rotate(struct db_conn *c, struct arena *a,
    const struct crypto_secrets *secrets, enum jwt_alg alg, int64_t grace_s,
    char **new_id, int *retired, enum store_jwks_err *err)
{
	enum store_jwks_err	 dummy;
	struct db_result	*res;
	const char		*p[1];

	if (err == NULL)
		err = &dummy;
	*err = STORE_JWKS_DB;
	if (grace_s < 0)
		grace_s = 0;
	if (db_begin(c) == -1)
		return (-1);
	if (lock_keys(c, a) == -1)
		goto fail;
	p[0] = arena_printf(a, "%" PRId64, grace_s);
	if ((res = db_exec(c, a, NULL, RETIRE_SQL, 1, p)) == NULL)
		goto fail;
	if (retired)
		*retired = (int)db_cmd_tuples(res);
	if (insert_key(c, a, secrets, alg, NULL, new_id, err) == -1)
		goto fail;
	if (db_commit(c) == -1) {
		*err = STORE_JWKS_DB;
		goto fail;
	}
	*err = STORE_JWKS_OK;
	return (0);
 fail:
	if (db_in_transaction(c))
		db_rollback(c);
	return (-1);
}

#define REENCRYPT_SQL \
	"SELECT \"id\", \"publicKey\", \"privateKey\" FROM \"neon_auth\".\"jwks\" " \
	"ORDER BY \"createdAt\" FOR UPDATE"
#define REENCRYPT_UPDATE_SQL \
	"UPDATE \"neon_auth\".\"jwks\" SET \"privateKey\" = $2 WHERE \"id\" = $1"

int
store_jwks_reencrypt(struct db_conn *c, struct arena *a,
    const struct crypto_secrets *secrets, struct store_jwks_reenc *out,
    enum store_jwks_err *err)
{
	enum store_jwks_err	 dummy;
	struct db_result	*res;
	struct jwt_key		*k;
	const char		*why, *p[2];
	char			*pub, *priv;
	int			 i, n, current;

	if (err == NULL)
		err = &dummy;
	*err = STORE_JWKS_DB;
	memset(out, 0, sizeof(*out));
	if (db_begin(c) == -1)
		return (-1);
	if (lock_keys(c, a) == -1 ||
	    (res = db_exec(c, a, NULL, REENCRYPT_SQL, 0, NULL)) == NULL)
		goto fail;
	n = db_ntuples(res);
	for (i = 0; i < n; i++) {
		struct str privcol = db_getstr(res, i, 2);

		/* "" (a JSON empty string): a public key only, nothing to do */
		if (str_eq_c(privcol, "\"\"")) {
			out->kept++;
			continue;
		}
		k = jwt_key_from_row_secrets(a, secrets, db_getvalue(res, i, 0),
		    db_getstr(res, i, 1), privcol, &why, &current);
		if (k == NULL) {
			out->failed++;
			continue;
		}
		if (current) {
			out->kept++;
			jwt_key_free(k);
			continue;
		}
		if (jwt_key_to_row_secrets(a, secrets, k, &pub, &priv) == -1) {
			jwt_key_free(k);
			*err = STORE_JWKS_CRYPTO;
			goto fail;
		}
		jwt_key_free(k);
		p[0] = db_getvalue(res, i, 0);
		p[1] = priv;
		if (db_exec(c, a, NULL, REENCRYPT_UPDATE_SQL, 2, p) == NULL)
			goto fail;
		OPENSSL_cleanse(priv, strlen(priv));
		out->reencrypted++;
	}
	if (db_commit(c) == -1)
		goto fail;
	*err = STORE_JWKS_OK;
	return (0);
 fail:
	if (db_in_transaction(c))
		db_rollback(c);
	return (-1);
}
