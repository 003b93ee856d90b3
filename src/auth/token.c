/*
 * token.c -- the JWTs neon-authd mints (protocol.md §9, neon.md §7): the
 * session JWT behind GET token and set-auth-jwt, the anonymous token, and
 * the branch's JWKS document.
 *
 * Claims (neon.md §7.2): {iat, ...the user row with role forced to
 * "authenticated", [o], sub, exp, iss, aud}; iss = aud = the Auth URL's
 * origin; exp = iat + the branch's jwt ttl.  The anonymous token carries
 * {role:"anonymous", iat, exp, iss, aud} and no sub.
 *
 * Custom claims (README "Custom JWT claims"): when settings.jwt
 * claims_function names a function of the branch's database, it is called
 * as fn(user_id, claims) with the claims above and returns a jsonb object
 * whose members are set over them.  It may add or change any claim but
 * sub, iss, aud, exp and iat: a result that gives one of those another
 * value (or is not an object, or is over 4 KB, or raises) fails closed:
 * no token, JWT_CLAIMS_FAILED.  The result is signed into the session JWT
 * and cached with it (the function's name is part of the key).
 *
 * Session JWTs are cached per worker (a small direct-mapped table) under
 * a key made of the branch, every user field that goes into the claims,
 * the session id, updatedAt and active organization, the signing kid and
 * the ttl; an entry is reused until 60 s before its exp, so get-session
 * usually signs nothing and queries nothing for its header.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/org_access.h"
#include "auth/session.h"
#include "auth/token.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "lib/clock.h"
#include "lib/json.h"
#include "lib/jwt.h"
#include "lib/log.h"
#include "store/db.h"
#include "store/store_hooks.h"
#include "store/store_jwks.h"
#include "store/store_org.h"

#define JWT_CACHE_SLOTS		256	/* power of two */
#define JWT_CACHE_MARGIN_S	60	/* stop reusing this close to exp */
#define JWT_DEFAULT_TTL		900
#define JWT_CLAIMS_MAX		4096	/* the function's result, bytes */

struct jwt_cache_ent {
	char	*key;
	size_t	 keylen;
	char	*token;
	int64_t	 exp;
};

static struct jwt_cache_ent	 jcache[JWT_CACHE_SLOTS];

static const struct crypto_secrets *
secret_of(struct request *r)
{
	return (r->env->secrets);
}

static enum jwt_alg
branch_alg(struct request *r)
{
	enum jwt_alg	 alg = jwt_alg_parse(r->bcfg->jwt_alg);

	return (alg == JWT_ALG_NONE ? JWT_ALG_EDDSA : alg);
}

static int
branch_ttl(struct request *r)
{
	return (r->bcfg->jwt_ttl > 0 ? r->bcfg->jwt_ttl : JWT_DEFAULT_TTL);
}

/* the error for a failed store_jwks_* call */
static enum err
key_failure(struct request *r, enum store_jwks_err err)
{
	if (err == STORE_JWKS_DB)
		return (err_db(r, r->db, ERR_INTERNAL_SERVER_ERROR));
	log_err("branch %s: jwks: key generation failed", r->branch->name);
	return (ERR_INTERNAL_SERVER_ERROR);
}

static const struct jwt_key *
signing_key(struct request *r, int64_t now, enum store_jwks_err *err)
{
	return (store_jwks_signing_key(r->db, r->a, r->branch->name,
	    secret_of(r), branch_alg(r), branch_ttl(r), now, err));
}

/* ------------------------------------------------------------ claims */

static void
add_nstr(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

/*
 * the `o` claim for the session's active organization, or NULL when
 * there is none (or the user is no longer a member).  -1 on a database
 * error.
 */
static int
org_claim(struct request *r, const struct auth *a, json_object **out)
{
	struct org_claim	 oc;
	json_object		*o;
	int			 rc;

	*out = NULL;
	/* only while the branch runs the organization plugin (neon.md §7.2) */
	if (!org_settings(r->bcfg)->enabled)
		return (0);
	rc = store_org_claim(r->db, r->a, a->s.active_organization_id,
	    a->u.id, &oc);
	if (rc != 1)
		return (rc);
	o = json_object_new_object();
	add_nstr(o, "id", oc.id);
	add_nstr(o, "slug", oc.slug);
	add_nstr(o, "role", oc.role);
	*out = o;
	return (0);
}

/*
 * custom_claims: the branch's claims function over p (see the top of the
 * file).  0, or -1 with the answer in *why.
 */
static int
custom_claims(struct request *r, const struct auth *a, json_object *p,
    enum err *why)
{
	static const char *const fixed[] = { "sub", "iss", "aud", "exp",
		"iat", NULL };
	const char		*fn = r->bcfg->jwt_claims_fn, *out;
	const struct db_error	*de;
	json_object		*o, *mine;
	json_object_iter	 it;
	size_t			 i;

	*why = ERR_JWT_CLAIMS_FAILED;
	if (!store_hooks_name_ok(fn)) {
		log_warnx("branch %s: settings.jwt.claims_function is not a "
		    "function name: no token", r->branch->name);
		return (-1);
	}
	if (store_hooks_jwt_claims(r->db, r->a, fn, a->u.id,
	    json_dump(r->a, p), &out) == -1) {
		de = db_last_error(r->db);
		if (de->kind == DB_ERR_UNAVAILABLE)
			*why = err_db(r, r->db, ERR_JWT_CLAIMS_FAILED);
		else
			log_warnx("branch %s: claims function %s failed: "
			    "sqlstate %s", r->branch->name, fn, de->sqlstate);
		return (-1);
	}
	if (out == NULL)	/* NULL: nothing to add */
		return (0);
	o = strlen(out) <= JWT_CLAIMS_MAX ? json_parse(out, strlen(out),
	    NULL) : NULL;
	if (o != NULL)
		json_own(r->a, o);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		log_warnx("branch %s: claims function %s: not a JSON object "
		    "of at most %d bytes", r->branch->name, fn,
		    JWT_CLAIMS_MAX);
		return (-1);
	}
	json_object_object_foreachC(o, it) {
		for (i = 0; fixed[i] != NULL; i++)
			if (strcmp(it.key, fixed[i]) == 0)
				break;
		if (fixed[i] == NULL) {
			json_object_object_add(p, it.key,
			    json_object_get(it.val));
			continue;
		}
		/* the same value is fine (claims || '{...}') */
		if (!json_object_object_get_ex(p, it.key, &mine) ||
		    !json_object_equal(mine, it.val)) {
			log_warnx("branch %s: claims function %s changed "
			    "\"%s\": no token", r->branch->name, fn, it.key);
			return (-1);
		}
	}
	return (0);
}

/*
 * session_payload: the claims of a session JWT as JSON text in r->a
 * (neon.md §7.2).  NULL on failure: *why is ERR_NONE after a database
 * error (org lookup), else the answer (the claims function failed).
 */
static char *
session_payload(struct request *r, const struct auth *a, int64_t iat,
    int64_t exp, enum err *why)
{
	const struct user_rec	*u = &a->u;
	json_object		*p, *org;
	char			*text;

	*why = ERR_NONE;
	if (org_claim(r, a, &org) == -1)
		return (NULL);
	p = json_object_new_object();
	json_object_object_add(p, "iat", json_object_new_int64(iat));
	add_nstr(p, "name", u->name ? u->name : "");
	add_nstr(p, "email", u->email ? u->email : "");
	json_object_object_add(p, "emailVerified",
	    json_object_new_boolean(u->email_verified));
	add_nstr(p, "image", u->image);
	add_nstr(p, "createdAt", u->created_at);
	add_nstr(p, "updatedAt", u->updated_at);
	add_nstr(p, "role", "authenticated");
	json_object_object_add(p, "banned", u->banned < 0 ? NULL :
	    json_object_new_boolean(u->banned));
	add_nstr(p, "banReason", u->ban_reason);
	add_nstr(p, "banExpires", u->ban_expires);
	add_nstr(p, "id", u->id);
	if (org != NULL)
		json_object_object_add(p, "o", org);
	add_nstr(p, "sub", u->id);
	json_object_object_add(p, "exp", json_object_new_int64(exp));
	add_nstr(p, "iss", r->branch->origin);
	add_nstr(p, "aud", r->branch->origin);
	if (r->bcfg->jwt_claims_fn[0] != '\0' &&
	    custom_claims(r, a, p, why) == -1) {
		json_object_put(p);
		return (NULL);
	}
	text = json_dump(r->a, p);
	json_object_put(p);
	return (text);
}

/* ------------------------------------------------------------ cache */

static void
key_part(struct arena *a, char **buf, size_t *len, size_t *cap,
    const char *s)
{
	size_t	 n = s ? strlen(s) : 0;
	char	*nb;

	if (*len + n + 2 > *cap) {
		*cap = (*len + n + 2) * 2;
		nb = arena_alloc(a, *cap);
		if (*len)
			memcpy(nb, *buf, *len);
		*buf = nb;
	}
	/* "\1" marks NULL, so NULL and "" differ; '\0' separates fields */
	if (s == NULL)
		(*buf)[(*len)++] = '\1';
	else {
		memcpy(*buf + *len, s, n);
		*len += n;
	}
	(*buf)[(*len)++] = '\0';
}

static char *
cache_key(struct request *r, const struct auth *a, const char *kid, int ttl,
    size_t *len_out)
{
	const struct user_rec		*u = &a->u;
	const struct session_rec	*s = &a->s;
	char				*buf = NULL, num[64];
	size_t				 len = 0, cap = 0;

	key_part(r->a, &buf, &len, &cap, r->branch->name);
	key_part(r->a, &buf, &len, &cap, r->branch->origin);
	key_part(r->a, &buf, &len, &cap, kid);
	key_part(r->a, &buf, &len, &cap, r->bcfg->jwt_claims_fn);
	(void)snprintf(num, sizeof(num), "%d/%d/%d/%d", ttl, u->email_verified,
	    u->banned, org_settings(r->bcfg)->enabled);
	key_part(r->a, &buf, &len, &cap, num);
	key_part(r->a, &buf, &len, &cap, s->id);
	key_part(r->a, &buf, &len, &cap, s->updated_at);
	key_part(r->a, &buf, &len, &cap, s->active_organization_id);
	key_part(r->a, &buf, &len, &cap, u->id);
	key_part(r->a, &buf, &len, &cap, u->name);
	key_part(r->a, &buf, &len, &cap, u->email);
	key_part(r->a, &buf, &len, &cap, u->image);
	key_part(r->a, &buf, &len, &cap, u->created_at);
	key_part(r->a, &buf, &len, &cap, u->updated_at);
	key_part(r->a, &buf, &len, &cap, u->ban_reason);
	key_part(r->a, &buf, &len, &cap, u->ban_expires);
	*len_out = len;
	return (buf);
}

/* FNV-1a */
static size_t
slot_of(const char *key, size_t len)
{
	uint64_t	 h = UINT64_C(1469598103934665603);
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= UINT64_C(1099511628211);
	}
	return ((size_t)(h & (JWT_CACHE_SLOTS - 1)));
}

static const char *
cache_get(const char *key, size_t len, int64_t now_s)
{
	struct jwt_cache_ent	*e = &jcache[slot_of(key, len)];

	if (e->key == NULL || e->keylen != len ||
	    memcmp(e->key, key, len) != 0 ||
	    now_s >= e->exp - JWT_CACHE_MARGIN_S)
		return (NULL);
	return (e->token);
}

static void
cache_put(const char *key, size_t len, const char *token, int64_t exp)
{
	struct jwt_cache_ent	*e = &jcache[slot_of(key, len)];
	size_t			 tl = strlen(token);

	free(e->key);
	free(e->token);
	e->key = malloc(len);
	e->token = malloc(tl + 1);
	if (e->key == NULL || e->token == NULL) {
		log_crit("%s: out of memory", __func__);
		_exit(NEON_AUTHD_EX_OOM);
	}
	memcpy(e->key, key, len);
	e->keylen = len;
	memcpy(e->token, token, tl + 1);
	e->exp = exp;
}

/*
 * session_jwt: the JWT for a session, from the cache unless the cached one
 * is near its end (the key covers every claim, the key id and the ttl).
 * In r->a; NULL on failure with the error in *err (STORE_JWKS_DB when the
 * org lookup failed) or, when the claims function failed, the answer in
 * *why (else ERR_NONE).
 */
static char *
session_jwt(struct request *r, const struct auth *a,
    enum store_jwks_err *err, enum err *why)
{
	const struct jwt_key	*k;
	const char		*hit;
	char			*key, *payload, *tok;
	size_t			 keylen;
	int64_t			 now = clock_now_ms(), iat, exp;
	int			 ttl = branch_ttl(r);

	*err = STORE_JWKS_OK;
	*why = ERR_NONE;
	if ((k = signing_key(r, now, err)) == NULL)
		return (NULL);
	key = cache_key(r, a, jwt_key_kid(k), ttl, &keylen);
	iat = now / 1000;
	if ((hit = cache_get(key, keylen, iat)) != NULL)
		return (arena_strdup(r->a, hit));
	exp = iat + ttl;
	if ((payload = session_payload(r, a, iat, exp, why)) == NULL) {
		*err = STORE_JWKS_DB;
		return (NULL);
	}
	if ((tok = jwt_sign(r->a, k, str_c(payload))) == NULL) {
		*err = STORE_JWKS_CRYPTO;
		return (NULL);
	}
	cache_put(key, keylen, tok, exp);
	return (tok);
}

/* ------------------------------------------------------------ API */

enum err
token_session(struct request *r, const struct auth *a, char **out)
{
	enum store_jwks_err	 err;
	enum err		 why;

	if ((*out = session_jwt(r, a, &err, &why)) == NULL)
		return (why != ERR_NONE ? why : key_failure(r, err));
	return (ERR_NONE);
}

void
token_attach(struct request *r, const struct auth *a)
{
	enum store_jwks_err	 err;
	enum err		 why;
	char			*tok;

	if (r->db == NULL || r->bcfg == NULL || r->branch == NULL)
		return;
	if ((tok = session_jwt(r, a, &err, &why)) == NULL) {
		/* why set: fail closed, no token (custom_claims logged it) */
		if (why != ERR_NONE)
			return;
		if (err == STORE_JWKS_DB)
			log_warnx("branch %s: set-auth-jwt left out: %s",
			    r->branch->name, db_last_error(r->db)->message);
		else
			log_err("branch %s: set-auth-jwt left out: signing "
			    "failed", r->branch->name);
		return;
	}
	reply_header_add(r, "set-auth-jwt", tok);
	reply_expose(r, "set-auth-jwt");
}

enum err
token_anonymous(struct request *r, char **out, int64_t *exp_out)
{
	const struct jwt_key	*k;
	enum store_jwks_err	 err;
	json_object		*p;
	const char		*hit;
	char			*key, *tok, num[32];
	size_t			 keylen = 0, cap = 0;
	int64_t			 now = clock_now_ms(), iat, exp;
	int			 ttl;

	ttl = branch_ttl(r);
	if ((k = signing_key(r, now, &err)) == NULL)
		return (key_failure(r, err));
	iat = now / 1000;
	key = NULL;
	key_part(r->a, &key, &keylen, &cap, "\1anonymous");
	key_part(r->a, &key, &keylen, &cap, r->branch->name);
	key_part(r->a, &key, &keylen, &cap, r->branch->origin);
	key_part(r->a, &key, &keylen, &cap, jwt_key_kid(k));
	(void)snprintf(num, sizeof(num), "%d", ttl);
	key_part(r->a, &key, &keylen, &cap, num);
	if ((hit = cache_get(key, keylen, iat)) != NULL) {
		tok = arena_strdup(r->a, hit);
		exp = jcache[slot_of(key, keylen)].exp;
	} else {
		exp = iat + ttl;
		p = json_object_new_object();
		json_object_object_add(p, "role",
		    json_object_new_string("anonymous"));
		json_object_object_add(p, "iat", json_object_new_int64(iat));
		json_object_object_add(p, "exp", json_object_new_int64(exp));
		add_nstr(p, "iss", r->branch->origin);
		add_nstr(p, "aud", r->branch->origin);
		tok = jwt_sign(r->a, k, str_c(json_dump(r->a, p)));
		json_object_put(p);
		if (tok == NULL)
			return (key_failure(r, STORE_JWKS_CRYPTO));
		cache_put(key, keylen, tok, exp);
	}
	*out = tok;
	*exp_out = exp;
	return (ERR_NONE);
}

enum err
token_jwks(struct request *r, const char **doc, size_t *len)
{
	enum store_jwks_err	 err;

	*doc = store_jwks_document(r->db, r->a, r->branch->name, secret_of(r),
	    branch_alg(r), branch_ttl(r), clock_now_ms(), len, &err);
	if (*doc == NULL)
		return (key_failure(r, err));
	return (ERR_NONE);
}
