/*
 * oauth.c -- social sign-in underneath the endpoints (see oauth.h):
 * providers and their discovery, JWKS and id tokens, state and PKCE, the
 * code exchange, user resolution and linking, the callback algorithm,
 * tokens at rest and Neon's session verifier.
 *
 * Invariants:
 *  - every outbound call has the branch's timeout and refuses redirects
 *    (lib/httpc), so a slow provider ends its callback with invalid_code
 *    in bounded time;
 *  - a state row is deleted only after the state cookie matched, so a
 *    foreign browser cannot burn another's state; a verifier row is taken
 *    (deleted) before it is looked at, so it works once;
 *  - the writes of a sign-in (account, user, session, audit row) are one
 *    transaction;
 *  - no token, code, verifier or cookie is ever logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/admin.h"
#include "auth/audit.h"
#include "auth/oauth.h"
#include "auth/session.h"
#include "auth/signup.h"
#include "auth/webhook.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/cookie.h"
#include "http/origin.h"
#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/httpc.h"
#include "lib/json.h"
#include "lib/jwt.h"
#include "lib/log.h"
#include "lib/text.h"
#include "lib/url.h"
#include "store/store.h"
#include "store/store_account.h"

#define STATE_TTL_MS		(600 * 1000)	/* verification row */
#define STATE_COOKIE_AGE	300
#define INIT_TTL_MS		(600 * 1000)
#define CHALLENGE_COOKIE_AGE	600
#define VERIFIER_TTL_MS		(600 * 1000)
#define DISCOVERY_TTL_MS	(3600 * 1000)
#define JWKS_TTL_MS		(300 * 1000)
#define JWKS_REFETCH_MS		(10 * 1000)	/* unknown kid: at most this often */
#define CACHE_SLOTS		16
#define ID_TOKEN_LEEWAY		30

#define STATE_PREFIX		"auth-state:"
#define INIT_PREFIX		"neon-oauth-init:"
#define VERIFIER_PREFIX		"neon-session-verifier:"

/* ---- small helpers */

const char *
oauth_jstr(json_object *o, const char *k)
{
	json_object	*v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

int
oauth_jbool(json_object *o, const char *k)
{
	json_object	*v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, k, &v) || v == NULL)
		return (0);
	if (json_object_is_type(v, json_type_boolean))
		return (json_object_get_boolean(v));
	return (json_object_is_type(v, json_type_string) &&
	    strcmp(json_object_get_string(v), "true") == 0);
}

static json_object *
parse_owned(struct request *r, const char *p, size_t n)
{
	json_object	*o;

	if (p == NULL || (o = json_parse(p, n, NULL)) == NULL)
		return (NULL);
	json_own(r->a, o);
	return (o);
}

static long
timeout_ms(struct request *r)
{
	return ((long)(r->bcfg != NULL ? r->bcfg->oauth_timeout : 10) * 1000);
}

/* application/x-www-form-urlencoded as URLSearchParams writes it */
static void
form_add(struct jbuf *b, const char *k, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	const char		*s;
	int			 i;
	char			 esc[3];

	if (b->len > 0)
		jb_lit(b, "&");
	for (i = 0, s = k; i < 2; i++, s = v) {
		if (i == 1)
			jb_lit(b, "=");
		for (p = (const unsigned char *)s; *p; p++) {
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
			    *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			    *p == '*' || *p == '-' || *p == '.' || *p == '_')
				jb_raw(b, (const char *)p, 1);
			else if (*p == ' ')
				jb_lit(b, "+");
			else {
				esc[0] = '%';
				esc[1] = hex[*p >> 4];
				esc[2] = hex[*p & 15];
				jb_raw(b, esc, 3);
			}
		}
	}
}

/*
 * appendQueryParams: add the encoded query q to url (absolute or
 * root-relative), before any fragment, with '?' or '&'.
 */
static char *
append_query(struct request *r, const char *url, const char *q)
{
	const char	*hash, *qm, *sep;
	size_t		 n;
	int		 bare = 0;

	hash = strchr(url, '#');
	n = hash ? (size_t)(hash - url) : strlen(url);
	qm = memchr(url, '?', n);
	if (qm == NULL) {
		/* "https://host" serialises as "https://host/" */
		const char *auth = strstr(url, "://");

		if (auth != NULL && memchr(auth + 3, '/', n - (size_t)(auth +
		    3 - url)) == NULL)
			bare = 1;
		sep = "?";
	} else
		sep = (n > 0 && (url[n - 1] == '&' || url[n - 1] == '?')) ?
		    "" : "&";
	return (arena_printf(r->a, "%.*s%s%s%s%s", (int)n, url, bare ? "/" : "",
	    sep, q, hash ? hash : ""));
}

static char *
error_redirect(struct request *r, const char *base, const char *code,
    const char *desc)
{
	struct jbuf	 q;

	jb_init(&q, r->a, 128);
	q.len = 0;
	form_add(&q, "error", code);
	if (desc != NULL && *desc != '\0')
		form_add(&q, "error_description", desc);
	return (append_query(r, base, jb_done(&q)));
}

static const char *
default_error_url(struct request *r)
{
	return (arena_printf(r->a, "%s/error", r->branch->auth_url));
}

/* ---- tokens at rest (protocol.md §4.6, §8.7) */

/*
 * The server's secrets (newest first: rotation), or the one secret when
 * the process has no list (unit tests).
 */
static const struct crypto_secrets *
secrets_of(struct request *r, struct crypto_secrets *one)
{
	if (r->env->secrets != NULL)
		return (r->env->secrets);
	memset(one, 0, sizeof(*one));
	one->n = 1;
	one->s[0].value = r->env->secret;
	one->s[0].version = -1;
	return (one);
}

const char *
oauth_seal(struct request *r, const char *token)
{
	struct crypto_secrets	 one;

	if (token == NULL || !r->bcfg->oauth_encrypt_tokens)
		return (token);
	/* under the newest secret; any listed one opens it (oauth_open) */
	return (crypto_secrets_encrypt(r->a, secrets_of(r, &one),
	    str_c(token)));
}

const char *
oauth_open(struct request *r, const char *stored)
{
	struct crypto_secrets	 one;
	struct str		 plain, hex = str_c(stored);
	uint32_t		 v;

	if (stored == NULL)
		return (NULL);
	(void)crypto_envelope_parse(str_c(stored), &v, &hex);
	if (hex.len < 2 * (CRYPTO_XCHACHA_NONCE_LEN + CRYPTO_XCHACHA_TAG_LEN) ||
	    hex.len % 2 != 0 ||
	    crypto_secrets_decrypt(r->a, secrets_of(r, &one), str_c(stored),
	    &plain, NULL) == -1)
		return (stored);	/* stored in clear */
	return (plain.p);
}

static void
seal_tokens(struct request *r, const struct oauth_tokens *t,
    struct account_tokens *out)
{
	memset(out, 0, sizeof(*out));
	out->access_token = oauth_seal(r, t->access_token);
	out->refresh_token = oauth_seal(r, t->refresh_token);
	out->id_token = oauth_seal(r, t->id_token);
	out->access_expires_ms = t->access_expires_ms;
	out->refresh_expires_ms = t->refresh_expires_ms;
	out->scope = t->scope;
}

/* ---- per-worker caches: discovery documents and JWKS */

struct disc_entry {
	char		*issuer;
	char		*authorize, *token, *userinfo, *jwks;
	int64_t		 fetched_ms;
	int64_t		 used_ms;
};

struct jwks_entry {
	char		*uri;
	struct jwt_key	**keys;
	size_t		 nkeys;
	int64_t		 fetched_ms;
	int64_t		 used_ms;
};

static struct disc_entry	disc_cache[CACHE_SLOTS];
static struct jwks_entry	jwks_cache[CACHE_SLOTS];

static void
disc_clear(struct disc_entry *e)
{
	free(e->issuer);
	free(e->authorize);
	free(e->token);
	free(e->userinfo);
	free(e->jwks);
	memset(e, 0, sizeof(*e));
}

static void
jwks_clear(struct jwks_entry *e)
{
	size_t	 i;

	for (i = 0; i < e->nkeys; i++)
		jwt_key_free(e->keys[i]);
	free(e->keys);
	free(e->uri);
	memset(e, 0, sizeof(*e));
}

void
oauth_cache_clear(void)
{
	int	 i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		disc_clear(&disc_cache[i]);
		jwks_clear(&jwks_cache[i]);
	}
}

static char *
xstrdup(const char *s)
{
	char	*d;

	if (s == NULL)
		return (NULL);
	if ((d = strdup(s)) == NULL) {
		log_err("%s: out of memory", __func__);
		_exit(NEON_AUTHD_EX_OOM);
	}
	return (d);
}

static int
http_get(struct request *r, const char *url, const char *const *headers,
    struct httpc_resp *resp)
{
	struct httpc_req	 q;
	const char		*why;

	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.url = url;
	q.headers = headers;
	q.timeout_ms = timeout_ms(r);
	if (httpc_fetch(r->a, &q, resp, &why) == -1) {
		log_warnx("oauth: GET to a provider failed: %s", why);
		return (-1);
	}
	return (0);
}

int
oauth_get_json(struct request *r, const char *url, const char *bearer,
    json_object **out)
{
	const char		*h[4];
	struct httpc_resp	 resp;
	int			 n = 0;

	*out = NULL;
	h[n++] = "Accept: application/json";
	h[n++] = "User-Agent: better-auth";
	if (bearer != NULL)
		h[n++] = arena_printf(r->a, "Authorization: Bearer %s", bearer);
	h[n] = NULL;
	if (url == NULL || http_get(r, url, h, &resp) == -1)
		return (-1);
	if (resp.status < 200 || resp.status > 299) {
		log_warnx("oauth: a provider answered %ld", resp.status);
		return (-1);
	}
	if ((*out = parse_owned(r, resp.body.p, resp.body.len)) == NULL)
		return (-1);
	return (0);
}

/* the discovery document of issuer, cached; NULL when unavailable */
static struct disc_entry *
discovery(struct request *r, const char *issuer)
{
	struct disc_entry	*e, *lru = &disc_cache[0];
	json_object		*doc;
	const char		*iss;
	int64_t			 now = clock_mono_ms();
	char			*url;
	size_t			 n;
	int			 i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		e = &disc_cache[i];
		if (e->issuer != NULL && strcmp(e->issuer, issuer) == 0 &&
		    now - e->fetched_ms < DISCOVERY_TTL_MS) {
			e->used_ms = now;
			return (e);
		}
		if (e->used_ms < lru->used_ms)
			lru = e;
	}
	n = strlen(issuer);
	url = arena_printf(r->a, "%.*s/.well-known/openid-configuration",
	    (int)(n > 0 && issuer[n - 1] == '/' ? n - 1 : n), issuer);
	if (oauth_get_json(r, url, NULL, &doc) == -1)
		return (NULL);
	/* OpenID Connect Discovery §4.3: the issuer must be the one asked */
	if ((iss = oauth_jstr(doc, "issuer")) == NULL ||
	    strcmp(iss, issuer) != 0) {
		log_warnx("oauth: discovery document names another issuer");
		return (NULL);
	}
	for (i = 0; i < CACHE_SLOTS; i++)
		if (disc_cache[i].issuer != NULL &&
		    strcmp(disc_cache[i].issuer, issuer) == 0)
			lru = &disc_cache[i];
	disc_clear(lru);
	lru->issuer = xstrdup(issuer);
	lru->authorize = xstrdup(oauth_jstr(doc, "authorization_endpoint"));
	lru->token = xstrdup(oauth_jstr(doc, "token_endpoint"));
	lru->userinfo = xstrdup(oauth_jstr(doc, "userinfo_endpoint"));
	lru->jwks = xstrdup(oauth_jstr(doc, "jwks_uri"));
	lru->fetched_ms = lru->used_ms = now;
	return (lru);
}

/* fetch the keys of uri into e (replacing what it held); 0 or -1 */
static int
jwks_fetch(struct request *r, const char *uri, struct jwks_entry *e)
{
	json_object	*doc, *keys, *k;
	struct jwt_key	*key, **arr;
	const char	*use, *txt;
	size_t		 i, n, nk = 0;

	if (oauth_get_json(r, uri, NULL, &doc) == -1 ||
	    !json_object_object_get_ex(doc, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array))
		return (-1);
	n = json_object_array_length(keys);
	if (n > 64)
		n = 64;
	if ((arr = calloc(n + 1, sizeof(*arr))) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		k = json_object_array_get_idx(keys, i);
		if ((use = oauth_jstr(k, "use")) != NULL &&
		    strcmp(use, "sig") != 0)
			continue;
		if (oauth_jstr(k, "d") != NULL)	/* never a private key */
			continue;
		txt = json_dump(r->a, k);
		if ((key = jwt_key_from_jwk(txt, strlen(txt), NULL)) == NULL)
			continue;	/* a kind of key we do not verify with */
		arr[nk++] = key;
	}
	jwks_clear(e);
	e->uri = xstrdup(uri);
	e->keys = arr;
	e->nkeys = nk;
	e->fetched_ms = e->used_ms = clock_mono_ms();
	return (0);
}

static int
jwks_has_kid(const struct jwks_entry *e, const char *kid)
{
	size_t	 i;

	if (kid == NULL)
		return (e->nkeys > 0);
	for (i = 0; i < e->nkeys; i++)
		if (strcmp(jwt_key_kid(e->keys[i]), kid) == 0)
			return (1);
	return (0);
}

/* the cached key set of uri holding kid, fetched again when stale or
 * when it lacks the kid; NULL when unavailable */
static struct jwks_entry *
jwks_for(struct request *r, const char *uri, const char *kid)
{
	struct jwks_entry	*e = NULL, *lru = &jwks_cache[0];
	int64_t			 now = clock_mono_ms();
	int			 i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		if (jwks_cache[i].uri != NULL &&
		    strcmp(jwks_cache[i].uri, uri) == 0) {
			e = &jwks_cache[i];
			break;
		}
		if (jwks_cache[i].used_ms < lru->used_ms)
			lru = &jwks_cache[i];
	}
	if (e != NULL) {
		e->used_ms = now;
		if (now - e->fetched_ms < JWKS_TTL_MS &&
		    (jwks_has_kid(e, kid) ||
		    now - e->fetched_ms < JWKS_REFETCH_MS))
			return (e);
	} else
		e = lru;
	if (jwks_fetch(r, uri, e) == -1) {
		jwks_clear(e);
		return (NULL);
	}
	return (e);
}

/* ---- providers */

static const struct provider *
kind_of(const char *id)
{
	if (strcmp(id, "google") == 0)
		return (&provider_google);
	if (strcmp(id, "github") == 0)
		return (&provider_github);
	if (strcmp(id, "microsoft") == 0)
		return (&provider_microsoft);
	if (strcmp(id, "vercel") == 0)
		return (&provider_vercel);
	return (&provider_oidc);
}

static const char *
pick(const char *over, const char *def)
{
	return (over != NULL ? over : def);
}

int
oauth_provider(struct request *r, const char *id, struct oauth_prov *p)
{
	const struct branch_provider	*c;
	const struct provider		*k;
	struct disc_entry		*d;
	struct jbuf			 b;
	const char			*tenant, *ms;
	size_t				 i;

	memset(p, 0, sizeof(*p));
	if (id == NULL || (c = branchcfg_provider(r->bcfg, id)) == NULL)
		return (0);
	k = kind_of(id);
	p->kind = k;
	p->cfg = c;
	p->id = c->id;
	p->client_id = c->client_id;
	p->client_secret = c->client_secret;
	p->trusted = c->trusted;
	p->authorize_url = pick(c->authorization_endpoint, k->authorize_url);
	p->token_url = pick(c->token_endpoint, k->token_url);
	p->userinfo_url = pick(c->userinfo_endpoint, k->userinfo_url);
	p->jwks_uri = pick(c->jwks_uri, k->jwks_uri);
	p->issuer = pick(c->issuer, k->issuer);
	if (k == &provider_microsoft) {
		/* endpoints by tenant (Microsoft Entra ID v2.0) */
		tenant = c->tenant != NULL ? c->tenant : "common";
		ms = "https://login.microsoftonline.com";
		if (c->authorization_endpoint == NULL)
			p->authorize_url = arena_printf(r->a,
			    "%s/%s/oauth2/v2.0/authorize", ms, tenant);
		if (c->token_endpoint == NULL)
			p->token_url = arena_printf(r->a,
			    "%s/%s/oauth2/v2.0/token", ms, tenant);
		if (c->jwks_uri == NULL)
			p->jwks_uri = arena_printf(r->a,
			    "%s/%s/discovery/v2.0/keys", ms, tenant);
		if (c->issuer == NULL && strcmp(tenant, "common") != 0 &&
		    strcmp(tenant, "organizations") != 0 &&
		    strcmp(tenant, "consumers") != 0)
			p->issuer = arena_printf(r->a, "%s/%s/v2.0", ms,
			    tenant);
	}
	if ((k->flags & PROV_DISCOVERY) && p->issuer != NULL &&
	    (p->authorize_url == NULL || p->token_url == NULL ||
	    p->jwks_uri == NULL)) {
		if ((d = discovery(r, p->issuer)) == NULL)
			return (-1);
		p->authorize_url = pick(p->authorize_url, d->authorize ?
		    arena_strdup(r->a, d->authorize) : NULL);
		p->token_url = pick(p->token_url, d->token ?
		    arena_strdup(r->a, d->token) : NULL);
		p->userinfo_url = pick(p->userinfo_url, d->userinfo ?
		    arena_strdup(r->a, d->userinfo) : NULL);
		p->jwks_uri = pick(p->jwks_uri, d->jwks ?
		    arena_strdup(r->a, d->jwks) : NULL);
	}
	if (p->authorize_url == NULL || p->token_url == NULL) {
		log_warnx("oauth: provider %s has no authorization or token "
		    "endpoint", id);
		return (-1);
	}
	if (c->scopes != NULL) {
		jb_init(&b, r->a, 64);
		for (i = 0; i < json_object_array_length(c->scopes); i++) {
			if (i > 0)
				jb_lit(&b, " ");
			jb_raw(&b, json_object_get_string(
			    json_object_array_get_idx(c->scopes, i)),
			    (size_t)json_object_get_string_len(
			    json_object_array_get_idx(c->scopes, i)));
		}
		p->scopes = jb_done(&b);
	} else
		p->scopes = k->scopes;
	return (1);
}

/* ---- id tokens */

json_object *
oauth_jwt_claims(struct request *r, const char *jwt)
{
	const char	*d1, *d2;
	struct str	 pl;
	json_object	*o;

	if (jwt == NULL || (d1 = strchr(jwt, '.')) == NULL ||
	    (d2 = strchr(d1 + 1, '.')) == NULL)
		return (NULL);
	if (crypto_base64_decode_atob(r->a, (struct str){ d1 + 1,
	    (size_t)(d2 - d1 - 1) }, 1, &pl) == -1)
		return (NULL);
	o = parse_owned(r, pl.p, pl.len);
	return (o != NULL && json_object_is_type(o, json_type_object) ? o :
	    NULL);
}

int
oauth_user_from_claims(struct request *r, json_object *claims,
    struct oauth_user *u)
{
	json_object	*v;

	memset(u, 0, sizeof(*u));
	if (claims == NULL)
		return (-1);
	if ((u->id = oauth_jstr(claims, "sub")) == NULL) {
		if (!json_object_object_get_ex(claims, "sub", &v) ||
		    !json_object_is_type(v, json_type_int))
			return (-1);
		u->id = arena_strdup(r->a, json_object_get_string(v));
	}
	u->email = oauth_jstr(claims, "email");
	u->name = oauth_jstr(claims, "name");
	if (u->name == NULL)
		u->name = "";
	u->image = oauth_jstr(claims, "picture");
	u->email_verified = oauth_jbool(claims, "email_verified");
	u->profile = claims;
	return (0);
}

static int
num_claim(json_object *c, const char *k, double *out)
{
	json_object	*v;

	if (!json_object_object_get_ex(c, k, &v) || v == NULL ||
	    (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double)))
		return (0);
	*out = json_object_get_double(v);
	return (1);
}

static int
aud_ok(json_object *c, const char *client_id)
{
	json_object	*v, *e;
	size_t		 i;

	if (!json_object_object_get_ex(c, "aud", &v) || v == NULL)
		return (0);
	if (json_object_is_type(v, json_type_string))
		return (strcmp(json_object_get_string(v), client_id) == 0);
	if (!json_object_is_type(v, json_type_array))
		return (0);
	for (i = 0; i < json_object_array_length(v); i++) {
		e = json_object_array_get_idx(v, i);
		if (json_object_is_type(e, json_type_string) &&
		    strcmp(json_object_get_string(e), client_id) == 0)
			return (1);
	}
	return (0);
}

int
oauth_id_token_verify(struct request *r, const struct oauth_prov *p,
    const char *token, const char *nonce, json_object **claims)
{
	struct jwks_entry	*ks;
	json_object		*h, *c;
	struct str		 hdr, pl;
	const char		*kid, *iss, *d1, *n;
	double			 exp, iat, nbf;
	int64_t			 now = clock_now_ms() / 1000;
	enum jwt_verdict	 v;

	*claims = NULL;
	if (token == NULL || p->jwks_uri == NULL || p->client_id == NULL)
		return (0);
	if ((d1 = strchr(token, '.')) == NULL ||
	    crypto_base64_decode_atob(r->a, (struct str){ token,
	    (size_t)(d1 - token) }, 1, &hdr) == -1 ||
	    (h = parse_owned(r, hdr.p, hdr.len)) == NULL ||
	    !json_object_is_type(h, json_type_object))
		return (0);
	/* the algorithm comes from the key, never "none" */
	if (jwt_alg_parse(oauth_jstr(h, "alg")) == JWT_ALG_NONE)
		return (0);
	kid = oauth_jstr(h, "kid");
	if ((ks = jwks_for(r, p->jwks_uri, kid)) == NULL)
		return (0);
	v = jwt_verify(r->a, ks->keys, ks->nkeys, str_c(token), NULL, &pl);
	if (v != JWT_VALID)
		return (0);
	if ((c = parse_owned(r, pl.p, pl.len)) == NULL ||
	    !json_object_is_type(c, json_type_object))
		return (0);
	/* required claims: iss, sub, aud, exp, iat */
	if ((iss = oauth_jstr(c, "iss")) == NULL ||
	    oauth_jstr(c, "sub") == NULL || !aud_ok(c, p->client_id) ||
	    !num_claim(c, "exp", &exp) || !num_claim(c, "iat", &iat))
		return (0);
	if (p->issuer != NULL ? (strcmp(iss, p->issuer) != 0 &&
	    (p->kind->alt_issuer == NULL ||
	    strcmp(iss, p->kind->alt_issuer) != 0)) : p->kind->claims_ok ==
	    NULL)
		return (0);
	if (exp + ID_TOKEN_LEEWAY <= (double)now)
		return (0);
	if (num_claim(c, "nbf", &nbf) && nbf - ID_TOKEN_LEEWAY > (double)now)
		return (0);
	if (iat - ID_TOKEN_LEEWAY > (double)now)
		return (0);
	if (p->kind->max_token_age > 0 && (double)now - iat >
	    (double)(p->kind->max_token_age + ID_TOKEN_LEEWAY))
		return (0);
	if (nonce != NULL && ((n = oauth_jstr(c, "nonce")) == NULL ||
	    strcmp(n, nonce) != 0))
		return (0);
	if (p->kind->claims_ok != NULL && !p->kind->claims_ok(p, c))
		return (0);
	*claims = c;
	return (1);
}

/* ---- token endpoint */

static void
join_scopes(struct request *r, json_object *scope, struct oauth_tokens *t)
{
	struct jbuf	 b;
	const char	*s, *e;
	size_t		 i;
	int		 first = 1;

	t->scope = "";
	if (scope == NULL)
		return;
	jb_init(&b, r->a, 64);
	if (json_object_is_type(scope, json_type_string)) {
		/* split on " ", joined with "," */
		for (s = json_object_get_string(scope); ; s = e + 1) {
			e = strchr(s, ' ');
			if (!first)
				jb_lit(&b, ",");
			first = 0;
			jb_raw(&b, s, e ? (size_t)(e - s) : strlen(s));
			if (e == NULL)
				break;
		}
	} else if (json_object_is_type(scope, json_type_array)) {
		for (i = 0; i < json_object_array_length(scope); i++) {
			if (i > 0)
				jb_lit(&b, ",");
			s = json_object_get_string(json_object_array_get_idx(
			    scope, i));
			jb_raw(&b, s, strlen(s));
		}
	}
	t->scope = jb_done(&b);
}

static int64_t
seconds_from_now(json_object *o, const char *k)
{
	json_object	*v;
	double		 s;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return (0);
	if (json_object_is_type(v, json_type_string))
		s = strtod(json_object_get_string(v), NULL);
	else if (json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double))
		s = json_object_get_double(v);
	else
		return (0);
	if (!(s > 0) || s > 1e10)
		return (0);
	return (clock_now_ms() + (int64_t)(s * 1000));
}

/* POST a form to the token endpoint; 0 with the parsed tokens */
static int
token_request(struct request *r, const struct oauth_prov *p, const char *body,
    struct oauth_tokens *t, int refresh)
{
	static const char *const h[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"Accept: application/json", "User-Agent: better-auth", NULL
	};
	struct httpc_req	 q;
	struct httpc_resp	 resp;
	json_object		*o, *scope = NULL;
	const char		*why;

	memset(t, 0, sizeof(*t));
	memset(&q, 0, sizeof(q));
	q.method = "POST";
	q.url = p->token_url;
	q.headers = h;
	q.body = body;
	q.body_len = strlen(body);
	q.timeout_ms = timeout_ms(r);
	if (httpc_fetch(r->a, &q, &resp, &why) == -1) {
		log_warnx("oauth: %s: token endpoint: %s", p->id, why);
		return (-1);
	}
	if (resp.status < 200 || resp.status > 299) {
		log_warnx("oauth: %s: token endpoint answered %ld", p->id,
		    resp.status);
		return (-1);
	}
	if ((o = parse_owned(r, resp.body.p, resp.body.len)) == NULL ||
	    !json_object_is_type(o, json_type_object)) {
		log_warnx("oauth: %s: token endpoint sent no JSON object",
		    p->id);
		return (-1);
	}
	if (json_object_object_get_ex(o, "error", NULL)) {
		log_warnx("oauth: %s: token endpoint refused the grant", p->id);
		return (-1);
	}
	t->access_token = oauth_jstr(o, "access_token");
	t->refresh_token = oauth_jstr(o, "refresh_token");
	t->id_token = oauth_jstr(o, "id_token");
	t->access_expires_ms = seconds_from_now(o, "expires_in");
	t->refresh_expires_ms = seconds_from_now(o, "refresh_token_expires_in");
	(void)json_object_object_get_ex(o, "scope", &scope);
	join_scopes(r, scope, t);
	if (refresh && scope == NULL)
		t->scope = NULL;
	if (t->access_token == NULL && t->id_token == NULL) {
		log_warnx("oauth: %s: token endpoint sent no token", p->id);
		return (-1);
	}
	return (0);
}

static const char *
redirect_uri(struct request *r, const struct oauth_prov *p)
{
	return (arena_printf(r->a, "%s/callback/%s", r->branch->auth_url,
	    p->id));
}

int
oauth_exchange_code(struct request *r, const struct oauth_prov *p,
    const char *code, const char *verifier, struct oauth_tokens *t)
{
	struct jbuf	 b;

	jb_init(&b, r->a, 512);
	b.len = 0;
	form_add(&b, "grant_type", "authorization_code");
	form_add(&b, "code", code);
	if (verifier != NULL)
		form_add(&b, "code_verifier", verifier);
	form_add(&b, "redirect_uri", redirect_uri(r, p));
	form_add(&b, "client_id", p->client_id);
	if (p->client_secret != NULL)
		form_add(&b, "client_secret", p->client_secret);
	return (token_request(r, p, jb_done(&b), t, 0));
}

int
oauth_refresh(struct request *r, const struct oauth_prov *p,
    const char *refresh_token, struct oauth_tokens *t)
{
	struct jbuf	 b;

	jb_init(&b, r->a, 512);
	b.len = 0;
	form_add(&b, "grant_type", "refresh_token");
	form_add(&b, "refresh_token", refresh_token);
	form_add(&b, "client_id", p->client_id);
	if (p->client_secret != NULL)
		form_add(&b, "client_secret", p->client_secret);
	if (p->kind->flags & PROV_REFRESH_SCOPE)
		form_add(&b, "scope", p->scopes);
	return (token_request(r, p, jb_done(&b), t, 1));
}

/* ---- state and the authorization URL (protocol.md §8.2) */

int
oauth_uses_verifier(struct request *r, const char *cb)
{
	struct httpc_url	 a, u;
	const char		*ha, *hu;
	int			 i;

	if (r->bcfg->oauth_flow != OAUTH_FLOW_AUTO)
		return (r->bcfg->oauth_flow == OAUTH_FLOW_VERIFIER);
	if (cb == NULL || cb[0] == '/')
		return (0);
	if (httpc_url_parse(NULL, r->branch->auth_url, &a) == -1)
		return (0);
	if (httpc_url_parse(NULL, cb, &u) == -1)
		return (1);	/* a custom scheme: a native app */
	if (strcmp(a.scheme, u.scheme) != 0)
		return (1);
	if (strcmp(a.host, u.host) == 0)
		return (0);
	/*
	 * The site: the last two labels of a DNS name (no public-suffix list
	 * here; settings.oauth.flow decides where that is not enough).  An
	 * address is its own site.
	 */
	ha = a.host + strlen(a.host);
	hu = u.host + strlen(u.host);
	for (i = 0; i < 2 && ha > a.host; )
		if (*--ha == '.' && ++i == 2)
			ha++;
	for (i = 0; i < 2 && hu > u.host; )
		if (*--hu == '.' && ++i == 2)
			hu++;
	if (strspn(a.host, "0123456789.") == strlen(a.host) ||
	    a.host[0] == '[' || strchr(a.host, '.') == NULL)
		return (1);
	return (strcmp(ha, hu) != 0);
}

static void
add_str(json_object *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_object_add(o, k, json_object_new_string(v));
}

/* the scope list of a request: the defaults, then the request's own */
static char *
scope_list(struct request *r, const struct oauth_prov *p, json_object *extra)
{
	struct jbuf	 b;
	size_t		 i;
	int		 has_openid = 0;
	const char	*s, *e;

	jb_init(&b, r->a, 128);
	if (p->scopes != NULL && *p->scopes != '\0')
		jb_raw(&b, p->scopes, strlen(p->scopes));
	for (i = 0; extra != NULL && i < json_object_array_length(extra); i++) {
		if (b.len > 0)
			jb_lit(&b, " ");
		s = json_object_get_string(json_object_array_get_idx(extra, i));
		jb_raw(&b, s, strlen(s));
	}
	s = jb_done(&b);
	if ((p->kind->flags & PROV_DISCOVERY) && p->kind == &provider_oidc) {
		/* a generic OpenID provider always asks for openid */
		for (e = s; *e; e += strcspn(e, " ")) {
			e += strspn(e, " ");
			if (strncmp(e, "openid", 6) == 0 && (e[6] == ' ' ||
			    e[6] == '\0'))
				has_openid = 1;
		}
		if (!has_openid)
			return (arena_printf(r->a, "openid%s%s", *s ? " " :
			    "", s));
	}
	return ((char *)s);
}

enum err
oauth_redirect_url(struct request *r, const struct oauth_prov *p,
    const struct oauth_start *s, char **url)
{
	json_object		*st, *ln, *sc;
	json_object_iter	 it;
	struct jbuf		 q;
	const char		*state, *verifier, *nonce = NULL, *challenge;
	const char		*enc, *scopes;
	int64_t			 now = clock_now_ms();

	state = crypto_random_string(r->a, 32, CRYPTO_ALPHABET_STATE);
	verifier = crypto_random_string(r->a, 128, CRYPTO_ALPHABET_STATE);
	if (p->kind->flags & PROV_NONCE)
		nonce = crypto_random_string(r->a, 32, CRYPTO_ALPHABET_STATE);
	if (state == NULL || verifier == NULL || ((p->kind->flags &
	    PROV_NONCE) && nonce == NULL))
		return (ERR_INTERNAL_SERVER_ERROR);
	challenge = crypto_sha256_base64url(r->a, str_c(verifier));

	/* {...additionalData, callbackURL, codeVerifier, errorURL, ...} */
	st = json_object_new_object();
	if (s->additional_data != NULL)
		json_object_object_foreachC(s->additional_data, it)
			json_object_object_add(st, it.key,
			    json_object_get(it.val));
	add_str(st, "callbackURL", s->callback_url != NULL ? s->callback_url :
	    r->branch->origin);
	add_str(st, "codeVerifier", verifier);
	add_str(st, "errorURL", s->error_url);
	add_str(st, "newUserURL", s->new_user_url);
	if (s->link != NULL) {
		enc = crypto_symmetric_encrypt(r->a, str_c(
		    crypto_purpose_secret(r->a, str_c(r->env->secret),
		    "oauth-link-session-token")), str_c(s->link->s.token));
		ln = json_object_new_object();
		add_str(ln, "userId", s->link->u.id);
		add_str(ln, "email", s->link->u.email);
		add_str(ln, "encryptedSessionToken", enc);
		json_object_object_add(st, "link", ln);
	} else
		json_object_object_del(st, "link");
	if (s->challenge != NULL) {
		sc = json_object_new_object();
		add_str(sc, "neonSessionChallenge", s->challenge);
		json_object_object_add(st, "serverContext", sc);
	} else
		json_object_object_del(st, "serverContext");
	json_object_object_add(st, "expiresAt",
	    json_object_new_int64(now + STATE_TTL_MS));
	if (s->request_sign_up)
		json_object_object_add(st, "requestSignUp",
		    json_object_new_boolean(1));
	else
		json_object_object_del(st, "requestSignUp");
	add_str(st, "idTokenNonce", nonce);
	add_str(st, "oauthState", state);
	json_own(r->a, st);
	if (store_verif_put(r->db, r->a, arena_printf(r->a, STATE_PREFIX "%s",
	    state), json_dump(r->a, st), now + STATE_TTL_MS, NULL) == -1)
		return (err_db(r, r->db, ERR_FAILED_TO_CREATE_VERIFICATION));
	cookie_set_signed(r, cookie_name(r, "state"), state, STATE_COOKIE_AGE);

	/* the parameters in Better Auth's order (§8.2 step 5) */
	jb_init(&q, r->a, 1024);
	q.len = 0;
	form_add(&q, "response_type", "code");
	form_add(&q, "client_id", p->client_id);
	form_add(&q, "state", state);
	scopes = scope_list(r, p, s->scopes);
	if (*scopes != '\0')
		form_add(&q, "scope", scopes);
	form_add(&q, "redirect_uri", redirect_uri(r, p));
	if (s->login_hint != NULL && *s->login_hint != '\0')
		form_add(&q, "login_hint", s->login_hint);
	if (nonce != NULL)
		form_add(&q, "nonce", nonce);
	form_add(&q, "code_challenge_method", "S256");
	form_add(&q, "code_challenge", challenge);
	if (p->kind->auth_extra != NULL) {
		jb_lit(&q, "&");
		jb_raw(&q, p->kind->auth_extra, strlen(p->kind->auth_extra));
	}
	if (s->additional_params != NULL)
		json_object_object_foreachC(s->additional_params, it)
			form_add(&q, it.key, json_object_get_string(it.val));
	*url = append_query(r, p->authorize_url, jb_done(&q));
	return (ERR_NONE);
}

/* ---- Neon's two-step start and the challenge (neon.md §8) */

static const char *
challenge_cookie(struct request *r)
{
	char	*v;

	if ((v = cookie_get(r, cookie_name(r, "session_challenge"))) != NULL)
		return (v);
	return (cookie_get(r, cookie_name(r, "session_challange")));
}

enum err
oauth_init_create(struct request *r, const char *provider_id,
    struct oauth_start *s, char **url)
{
	json_object	*o;
	const char	*challenge, *id;
	int64_t		 now = clock_now_ms();

	challenge = crypto_random_string(r->a, 32, CRYPTO_ALPHABET_STATE);
	if (challenge == NULL)
		return (ERR_INTERNAL_SERVER_ERROR);
	o = json_object_new_object();
	json_own(r->a, o);
	add_str(o, "provider", provider_id);
	add_str(o, "callbackURL", s->callback_url);
	add_str(o, "newUserURL", s->new_user_url);
	add_str(o, "errorURL", s->error_url);
	if (s->request_sign_up)
		json_object_object_add(o, "requestSignUp",
		    json_object_new_boolean(1));
	if (s->scopes != NULL)
		json_object_object_add(o, "scopes", json_object_get(s->scopes));
	add_str(o, "loginHint", s->login_hint);
	if (s->additional_params != NULL)
		json_object_object_add(o, "additionalParams",
		    json_object_get(s->additional_params));
	if (s->additional_data != NULL)
		json_object_object_add(o, "additionalData",
		    json_object_get(s->additional_data));
	if (s->link != NULL) {
		add_str(o, "linkSession", crypto_symmetric_encrypt(r->a,
		    str_c(r->env->secret), str_c(s->link->s.token)));
	} else
		add_str(o, "challenge", crypto_sha256_base64url(r->a,
		    str_c(challenge)));
	if (store_verif_put(r->db, r->a, arena_printf(r->a, INIT_PREFIX "%s",
	    provider_id), json_dump(r->a, o), now + INIT_TTL_MS, &id) == -1)
		return (err_db(r, r->db, ERR_FAILED_TO_CREATE_VERIFICATION));
	if (s->link == NULL)
		cookie_set(r, cookie_name(r, "session_challenge"), challenge,
		    CHALLENGE_COOKIE_AGE);
	*url = arena_printf(r->a, "%s/sign-in/social/init?token=%s",
	    r->branch->auth_url, id);
	return (ERR_NONE);
}

static int
uuid_like(const char *s)
{
	size_t	 i;

	if (s == NULL || strlen(s) != 36)
		return (0);
	for (i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' :
		    text_hexval((unsigned char)s[i]) < 0)
			return (0);
	return (1);
}

enum err
oauth_init_follow(struct request *r, const char *token, char **url)
{
	struct oauth_prov	 p;
	struct oauth_start	 s;
	struct auth		*link = NULL;
	struct user_rec		 u;
	const char		*ident, *value, *tok;
	json_object		*o, *v;
	int64_t			 exp;
	int			 rc;

	*url = NULL;
	if (!uuid_like(token))
		rc = 0;
	else if ((rc = store_verif_get_id(r->db, r->a, token, INIT_PREFIX,
	    &ident, &value, &exp)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_SERVER_ERROR));
	if (rc == 0 || exp < clock_now_ms() ||
	    (o = parse_owned(r, value, strlen(value))) == NULL) {
		*url = error_redirect(r, default_error_url(r),
		    "state_not_found", NULL);
		return (ERR_NONE);
	}
	if ((rc = oauth_provider(r, ident + strlen(INIT_PREFIX), &p)) != 1) {
		*url = error_redirect(r, oauth_jstr(o, "errorURL") ?
		    oauth_jstr(o, "errorURL") : default_error_url(r),
		    "oauth_provider_not_found", NULL);
		return (ERR_NONE);
	}
	memset(&s, 0, sizeof(s));
	s.callback_url = oauth_jstr(o, "callbackURL");
	s.new_user_url = oauth_jstr(o, "newUserURL");
	s.error_url = oauth_jstr(o, "errorURL");
	s.request_sign_up = oauth_jbool(o, "requestSignUp");
	s.login_hint = oauth_jstr(o, "loginHint");
	if (json_object_object_get_ex(o, "scopes", &v))
		s.scopes = v;
	if (json_object_object_get_ex(o, "additionalParams", &v))
		s.additional_params = v;
	if (json_object_object_get_ex(o, "additionalData", &v))
		s.additional_data = v;
	s.challenge = oauth_jstr(o, "challenge");
	if ((tok = oauth_jstr(o, "linkSession")) != NULL) {
		/* link-social through the init step: the linking session */
		struct str	 plain;

		link = arena_alloc(r->a, sizeof(*link));
		if (crypto_symmetric_decrypt(r->a, str_c(r->env->secret),
		    str_c(tok), &plain) == -1 ||
		    (rc = store_session_lookup(r->db, r->a, plain.p, &link->s,
		    &u)) != 1) {
			*url = error_redirect(r, s.error_url ? s.error_url :
			    default_error_url(r), "unable_to_link_account",
			    NULL);
			return (ERR_NONE);
		}
		link->u = u;
		s.link = link;
	}
	return (oauth_redirect_url(r, &p, &s, url));
}

/* a verifier for the session token, its hash bound to challenge */
static enum err
verifier_create(struct request *r, const char *session_token,
    const char *challenge, const char **out)
{
	json_object	*o;
	const char	*v;

	if ((v = crypto_random_string(r->a, 43, CRYPTO_ALPHABET_STATE)) == NULL)
		return (ERR_INTERNAL_SERVER_ERROR);
	o = json_object_new_object();
	json_own(r->a, o);
	add_str(o, "session", crypto_symmetric_encrypt(r->a,
	    str_c(r->env->secret), str_c(session_token)));
	add_str(o, "challenge", challenge);
	if (store_verif_put(r->db, r->a, arena_printf(r->a,
	    VERIFIER_PREFIX "%s", crypto_sha256_base64url(r->a, str_c(v))),
	    json_dump(r->a, o), clock_now_ms() + VERIFIER_TTL_MS, NULL) == -1)
		return (err_db(r, r->db, ERR_FAILED_TO_CREATE_VERIFICATION));
	*out = v;
	return (ERR_NONE);
}

enum err
oauth_verifier_exchange(struct request *r, const char *verifier,
    struct auth *a, int *replied)
{
	const char	*ch, *value, *hash, *enc;
	json_object	*o;
	struct str	 tok;
	int64_t		 exp;
	int		 rc;

	*replied = 0;
	memset(a, 0, sizeof(*a));
	if ((ch = challenge_cookie(r)) == NULL) {
		/*
		 * Neon's own envelope for this one error (neon.md §4), which
		 * the error table's {"message","code"} cannot express.
		 */
		reply_json_str(r, 400, "{\"code\":\"\",\"error\":{\"code\":"
		    "\"SESSION_CHALLANGE_COOKIE_NOT_FOUND\",\"error\":"
		    "\"Session challange cookie not found\"}}");
		*replied = 1;
		return (ERR_NONE);
	}
	rc = store_verif_take(r->db, r->a, arena_printf(r->a,
	    VERIFIER_PREFIX "%s", crypto_sha256_base64url(r->a,
	    str_c(verifier))), &value, &exp);
	if (rc == -1)
		return (err_db(r, r->db, ERR_FAILED_TO_GET_SESSION));
	if (rc == 0 || exp < clock_now_ms() ||
	    (o = parse_owned(r, value, strlen(value))) == NULL ||
	    (hash = oauth_jstr(o, "challenge")) == NULL ||
	    (enc = oauth_jstr(o, "session")) == NULL)
		return (ERR_VERIFICATION_NOT_FOUND);
	if (!crypto_str_eq(str_c(hash), str_c(crypto_sha256_base64url(r->a,
	    str_c(ch)))))
		return (ERR_VERIFICATION_NOT_FOUND);
	if (crypto_symmetric_decrypt(r->a, str_c(r->env->secret), str_c(enc),
	    &tok) == -1)
		return (ERR_VERIFICATION_NOT_FOUND);
	if ((rc = store_session_lookup(r->db, r->a, tok.p, &a->s, &a->u)) ==
	    -1)
		return (err_db(r, r->db, ERR_FAILED_TO_GET_SESSION));
	if (rc == 0 || a->s.expires_ms < clock_now_ms())
		return (ERR_VERIFICATION_NOT_FOUND);
	session_set_cookie(r, a, 0);
	cookie_expire(r, cookie_name(r, "session_challenge"));
	if (cookie_get(r, cookie_name(r, "session_challange")) != NULL)
		cookie_expire(r, cookie_name(r, "session_challange"));
	return (ERR_NONE);
}

/* ---- user resolution (protocol.md §8.4) */

static int
emails_equal(const char *a, const char *b)
{
	size_t	 i;

	if (a == NULL || b == NULL || strlen(a) != strlen(b))
		return (0);
	for (i = 0; a[i]; i++)
		if ((a[i] | 0x20) != (b[i] | 0x20) && a[i] != b[i])
			return (0);
	return (1);
}

static const char *
provider_detail(struct request *r, const struct oauth_prov *p)
{
	return (arena_printf(r->a, "{\"provider\":%s}", json_quote(r->a,
	    p->id)));
}

const char *
oauth_sign_in_user(struct request *r, const struct oauth_prov *p,
    const struct oauth_user *pu, const struct oauth_tokens *t,
    int disable_sign_up, struct auth *a, int *is_new, int *dberr,
    enum err *refused)
{
	const struct branchcfg	*c = r->bcfg;
	struct account_tokens	 at, upd;
	struct account_rec	 acc;
	struct session_new	 sn;
	struct signup_new	 su;
	const char		*email, *pw, *fail = NULL;
	int			 rc, orphan;

	*is_new = 0;
	*dberr = 0;
	*refused = ERR_NONE;
	memset(a, 0, sizeof(*a));
	email = text_lower(r->a, pu->email);
	seal_tokens(r, t, &at);
	if (store_begin(r->db) == -1)
		goto dbfail;
	rc = store_account_find(r->db, r->a, p->id, pu->id, &acc, &a->u,
	    &orphan);
	if (rc == -1)
		goto dbfail;
	if (rc == 1) {
		if (orphan) {
			fail = "unable to link account";
			goto refuse;
		}
		/* sign in: fresh tokens, but not the scope */
		upd = at;
		upd.scope = NULL;
		if ((rc = store_account_update(r->db, r->a, acc.id, &upd,
		    NULL)) == -1)
			goto dbfail;
		if (rc == 0) {
			fail = "unable to update account";
			goto refuse;
		}
		if (pu->email_verified && !a->u.email_verified &&
		    strcmp(email, a->u.email) == 0 &&
		    store_user_set_verified(r->db, r->a, a->u.id, &a->u) == -1)
			goto dbfail;
	} else {
		rc = store_user_by_email(r->db, r->a, email, &a->u, &pw);
		if (rc == -1)
			goto dbfail;
		if (rc == 1) {
			/* implicit linking */
			if ((!p->trusted && !pu->email_verified) ||
			    (c->link_require_local_verified &&
			    !a->u.email_verified) || !c->link_enabled) {
				fail = "account not linked";
				goto refuse;
			}
			if (store_account_insert(r->db, r->a, a->u.id, p->id,
			    pu->id, &at, NULL) == -1)
				goto dbfail;
			if (pu->email_verified && !a->u.email_verified &&
			    strcmp(email, a->u.email) == 0 &&
			    store_user_set_verified(r->db, r->a, a->u.id,
			    &a->u) == -1)
				goto dbfail;
			if (audit_event(r, "account_link", a->u.id, NULL,
			    ERR_NONE, provider_detail(r, p)) == -1)
				goto dbfail;
		} else {
			if (disable_sign_up) {
				fail = "signup disabled";
				goto refuse;
			}
			su.email = email;
			su.name = pu->name;
			su.image = pu->image;
			su.email_verified = pu->email_verified;
			su.provider = p->id;
			if ((*refused = signup_check(r, r->db, &su)) !=
			    ERR_NONE) {
				if (*refused == ERR_DATABASE_UNAVAILABLE) {
					*refused = ERR_NONE;
					goto dbfail;
				}
				fail = OAUTH_SIGN_UP_REFUSED;
				goto refuse;
			}
			rc = store_social_sign_up(r->db, r->a, pu->name ?
			    pu->name : "", email, pu->email_verified,
			    pu->image, p->id, pu->id, &at,
			    admin_settings(c)->default_role, &a->u, &acc);
			if (rc == -1)
				goto dbfail;
			if (rc == 0) {
				fail = "unable to create user";
				goto refuse;
			}
			*is_new = 1;
			{
				struct webhook_user	 wu;

				webhook_user_of(&wu, &a->u);
				if (webhook_queue(r, "user.created", &wu,
				    p->id) == -1)
					goto dbfail;
			}
		}
	}
	/* the admin plugin's session hook: a banned user gets no session */
	switch (admin_ban_check(r, &a->u, ERR_INTERNAL_EMPTY)) {
	case ERR_NONE:
		break;
	case ERR_BANNED_USER:
		fail = OAUTH_BANNED_USER;
		goto refuse;
	default:
		goto dbfail;
	}
	sn = session_new(r, 0);
	if (store_session_create(r->db, r->a, a->u.id, &sn, &a->s) == -1)
		goto dbfail;
	if (audit_event(r, *is_new ? "sign_up" : "sign_in", a->u.id, NULL,
	    ERR_NONE, provider_detail(r, p)) == -1)
		goto dbfail;
	if (store_commit(r->db) == -1)
		goto dbfail;
	return (NULL);
 refuse:
	store_rollback(r->db);
	memset(a, 0, sizeof(*a));
	*is_new = 0;
	return (fail);
 dbfail:
	store_rollback(r->db);
	memset(a, 0, sizeof(*a));
	*is_new = 0;
	*dberr = 1;
	return ("unable to create session");
}

/* ---- the link flow on the callback (protocol.md §8.5) */

static const char *
link_on_callback(struct request *r, const struct oauth_prov *p,
    json_object *link, const struct oauth_user *pu,
    const struct oauth_tokens *t)
{
	struct account_tokens	 at;
	struct account_rec	 acc;
	struct session_rec	 s;
	struct user_rec		 u, owner;
	const char		*uid, *lemail, *enc, *merged;
	struct str		 tok;
	int			 rc, orphan;

	uid = oauth_jstr(link, "userId");
	lemail = oauth_jstr(link, "email");
	enc = oauth_jstr(link, "encryptedSessionToken");
	if (uid == NULL || lemail == NULL)
		return ("unable_to_link_account");
	if (enc != NULL) {
		if (crypto_symmetric_decrypt(r->a, str_c(crypto_purpose_secret(
		    r->a, str_c(r->env->secret), "oauth-link-session-token")),
		    str_c(enc), &tok) == -1)
			return ("unable_to_link_account");
		rc = store_session_lookup(r->db, r->a, tok.p, &s, &u);
		if (rc != 1 || strcmp(s.user_id, uid) != 0 ||
		    s.expires_ms <= clock_now_ms())
			return ("unable_to_link_account");
	}
	if ((!p->trusted && !pu->email_verified) || !r->bcfg->link_enabled)
		return ("unable_to_link_account");
	if (!emails_equal(pu->email, lemail) && !r->bcfg->link_different_emails)
		return ("email_does_not_match");
	seal_tokens(r, t, &at);
	if (store_begin(r->db) == -1)
		return ("unable_to_link_account");
	rc = store_account_find(r->db, r->a, p->id, pu->id, &acc, &owner,
	    &orphan);
	if (rc == -1)
		goto fail;
	if (rc == 1) {
		if (strcmp(acc.user_id, uid) != 0) {
			store_rollback(r->db);
			return ("account_already_linked_to_different_user");
		}
		/* the same user's: fresh tokens, scopes merged */
		merged = acc.scope != NULL && *acc.scope != '\0' ?
		    (t->scope != NULL && *t->scope != '\0' ? arena_printf(r->a,
		    "%s,%s", acc.scope, t->scope) : acc.scope) : t->scope;
		at.scope = merged;
		if (store_account_update(r->db, r->a, acc.id, &at, NULL) != 1)
			goto fail;
	} else if (store_account_insert(r->db, r->a, uid, p->id, pu->id, &at,
	    NULL) == -1)
		goto fail;
	else if (audit_event(r, "account_link", uid, NULL, ERR_NONE,
	    provider_detail(r, p)) == -1)
		goto fail;
	if (store_commit(r->db) == -1)
		goto fail;
	return (NULL);
 fail:
	store_rollback(r->db);
	return ("unable_to_link_account");
}

/* ---- the callback (protocol.md §8.3) */

static void
redirect(struct request *r, const char *url)
{
	reply_empty(r, 302);
	reply_header_add(r, "Location", url);
}

static void
fail_to(struct request *r, const char *base, const char *code,
    const char *desc)
{
	redirect(r, error_redirect(r, base, code, desc));
}

/* "account not linked" -> "account_not_linked" */
static const char *
underscored(struct request *r, const char *s)
{
	char	*d = arena_strdup(r->a, s), *p;

	for (p = d; *p; p++)
		if (*p == ' ')
			*p = '_';
	return (d);
}

void
oauth_callback(struct request *r, const char *id, const struct oauth_cb *cb)
{
	struct oauth_prov	 p;
	struct oauth_tokens	 t;
	struct oauth_user	 pu;
	struct auth		 a;
	json_object		*st, *link = NULL, *sc;
	const char		*defurl = default_error_url(r), *errurl;
	const char		*value, *cookie_state = NULL, *cbu, *nu;
	const char		*fail, *challenge = NULL, *ver = NULL, *to;
	char			*sv;
	int64_t			 exp;
	int			 rc, is_new, dberr, found;
	enum err		 refused;

	if (cb->state == NULL || *cb->state == '\0') {
		fail_to(r, defurl, "state_not_found", NULL);
		return;
	}
	/* parseState */
	rc = store_verif_get(r->db, r->a, arena_printf(r->a, STATE_PREFIX "%s",
	    cb->state), &value, &exp);
	if (rc == -1) {
		fail_to(r, defurl, "internal_server_error", NULL);
		return;
	}
	if (rc == 0 || (st = parse_owned(r, value, strlen(value))) == NULL ||
	    !json_object_is_type(st, json_type_object) ||
	    oauth_jstr(st, "callbackURL") == NULL ||
	    oauth_jstr(st, "codeVerifier") == NULL) {
		fail_to(r, defurl, "state_mismatch", NULL);
		return;
	}
	errurl = oauth_jstr(st, "errorURL");
	if (errurl == NULL)
		errurl = defurl;
	if (oauth_jstr(st, "oauthState") != NULL &&
	    strcmp(oauth_jstr(st, "oauthState"), cb->state) != 0) {
		fail_to(r, errurl, "state_mismatch", NULL);
		return;
	}
	if (cookie_get_signed(r, cookie_name(r, "state"), &sv) ==
	    CRYPTO_COOKIE_VALID)
		cookie_state = sv;
	if (cookie_state == NULL || strcmp(cookie_state, cb->state) != 0) {
		fail_to(r, errurl, "state_mismatch", NULL);
		return;
	}
	cookie_expire(r, cookie_name(r, "state"));
	/* the state is used once: a concurrent replay finds it gone */
	if ((rc = store_verif_delete(r->db, r->a, arena_printf(r->a,
	    STATE_PREFIX "%s", cb->state))) != 1) {
		fail_to(r, rc == -1 ? defurl : errurl, rc == -1 ?
		    "internal_server_error" : "state_mismatch", NULL);
		return;
	}
	{
		json_object	*x;

		if (!json_object_object_get_ex(st, "expiresAt", &x) ||
		    json_object_get_int64(x) < clock_now_ms() ||
		    exp < clock_now_ms()) {
			fail_to(r, errurl, "state_mismatch", NULL);
			return;
		}
	}
	if (json_object_object_get_ex(st, "link", &link) &&
	    !json_object_is_type(link, json_type_object))
		link = NULL;
	if (json_object_object_get_ex(st, "serverContext", &sc))
		challenge = oauth_jstr(sc, "neonSessionChallenge");
	cbu = oauth_jstr(st, "callbackURL");
	nu = oauth_jstr(st, "newUserURL");

	if (cb->error != NULL) {
		fail_to(r, errurl, cb->error, cb->error_description);
		return;
	}
	if (cb->code == NULL || *cb->code == '\0') {
		fail_to(r, errurl, "no_code", NULL);
		return;
	}
	if ((found = oauth_provider(r, id, &p)) != 1) {
		fail_to(r, errurl, found == 0 ? "oauth_provider_not_found" :
		    "invalid_code", NULL);
		return;
	}
	if (cb->iss != NULL && p.issuer != NULL &&
	    strcmp(cb->iss, p.issuer) != 0) {
		log_warnx("oauth: %s: callback iss is not the provider's", p.id);
		fail_to(r, errurl, "issuer_mismatch", NULL);
		return;
	}
	if (oauth_exchange_code(r, &p, cb->code, oauth_jstr(st,
	    "codeVerifier"), &t) == -1) {
		fail_to(r, errurl, "invalid_code", NULL);
		return;
	}
	memset(&pu, 0, sizeof(pu));
	if (p.kind->user_info(r, &p, &t, &pu) == -1 || pu.id == NULL ||
	    *pu.id == '\0') {
		fail_to(r, errurl, "unable_to_get_user_info", NULL);
		return;
	}
	/* an OpenID provider's id token must answer this request's nonce */
	if ((p.kind->flags & PROV_NONCE) && t.id_token != NULL) {
		json_object	*claims;

		if (!oauth_id_token_verify(r, &p, t.id_token, oauth_jstr(st,
		    "idTokenNonce"), &claims)) {
			log_warnx("oauth: %s: the id token did not verify",
			    p.id);
			fail_to(r, errurl, "unable_to_get_user_info", NULL);
			return;
		}
	}
	if (link != NULL) {
		if ((fail = link_on_callback(r, &p, link, &pu, &t)) != NULL) {
			fail_to(r, errurl, fail, NULL);
			return;
		}
		redirect(r, cbu);
		return;
	}
	if (pu.email == NULL || *pu.email == '\0') {
		fail_to(r, errurl, "email_not_found", NULL);
		return;
	}
	fail = oauth_sign_in_user(r, &p, &pu, &t, p.cfg->disable_sign_up &&
	    !oauth_jbool(st, "requestSignUp"), &a, &is_new, &dberr,
	    &refused);
	if (fail != NULL && strcmp(fail, OAUTH_SIGN_UP_REFUSED) == 0) {
		/* as an APIError: ?error=<code>&error_description= */
		fail_to(r, errurl, err_info(refused)->code != NULL ?
		    err_info(refused)->code : "unable_to_create_user",
		    r->err_message != NULL ? r->err_message :
		    err_info(refused)->message);
		return;
	}
	if (fail != NULL && strcmp(fail, OAUTH_BANNED_USER) == 0) {
		/* an APIError with a code: ?error=<code>&error_description= */
		fail_to(r, errurl, fail, err_info(ERR_BANNED_USER)->message);
		return;
	}
	if (fail != NULL) {
		fail_to(r, errurl, underscored(r, fail), NULL);
		return;
	}
	to = is_new && nu != NULL ? nu : cbu;
	if (challenge != NULL) {
		/* Neon's handoff: the app exchanges the verifier on get-session */
		if (verifier_create(r, a.s.token, challenge, &ver) != ERR_NONE) {
			fail_to(r, errurl, "unable_to_create_session", NULL);
			return;
		}
		redirect(r, append_query(r, to, arena_printf(r->a,
		    "neon_auth_session_verifier=%s", ver)));
		return;
	}
	session_set_cookie(r, &a, 0);
	redirect(r, to);
}
