/*
 * cookie.c -- Better Auth cookies: names, parsing, signing, Set-Cookie
 * serialisation (protocol.md §3.1-3.2, neon.md §5, spec/README.md
 * decisions 9 and 10).
 *
 * Wire format of a signed cookie: encodeURIComponent(value "." base64(
 * HMAC-SHA256(secret, value))), signed with the newest server secret and
 * verified with any of them (rotation: an older secret is accepted until it
 * is removed from the file).  The HMAC contexts are made once per worker.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/cookie.h"
#include "lib/crypto.h"
#include "lib/url.h"

/* one HMAC context per secret (newest first), made once per worker */
static struct crypto_hmac	*hmacs[CRYPTO_SECRETS_MAX];
static const char		*hmac_for[CRYPTO_SECRETS_MAX];

static const struct crypto_hmac *
hmac_of(const char *secret, int i)
{
	if (hmacs[i] == NULL || hmac_for[i] != secret) {
		if (hmacs[i])
			crypto_hmac_free(hmacs[i]);
		hmacs[i] = crypto_hmac_new(secret, strlen(secret));
		hmac_for[i] = secret;
	}
	return (hmacs[i]);
}

const struct crypto_hmac *
cookie_hmac(struct request *r)
{
	return (hmac_of(r->env->secret, 0));
}

/*
 * Neon's cookie style (settings.cookies.style "neon"): __Secure- names,
 * Secure, SameSite=None and Partitioned, on an https Auth URL and on an
 * http loopback one alike, as Neon's hosted service sets them; the SDK's
 * Next.js proxy and middleware forward only __Secure-neon-auth.* cookies.
 */
static int
neon_style(struct request *r)
{
	return (r->bcfg != NULL && branchcfg_neon_cookies(r->bcfg, r->branch));
}

/*
 * A templated branch shares its host with every other database of the
 * template: its cookies are scoped to its own base path, so one jar
 * holds one session per database (issue 12, #8).
 */
const char *
cookie_path(struct request *r)
{
	const struct branch	*b = r->branch;

	if (b != NULL && b->templated && b->base_path != NULL &&
	    b->base_path[0] == '/' && b->base_path[1] != '\0')
		return (b->base_path);
	return ("/");
}

/*
 * settings.cookies.style "host": __Host- names (Secure, Path=/, no
 * Domain: no sibling subdomain can set or shadow them), on an https Auth
 * URL whose cookies are not path-scoped; elsewhere the "auto" names.
 */
static int
host_style(struct request *r)
{
	return (r->bcfg != NULL && r->bcfg->cookie_style_host &&
	    r->branch != NULL && r->branch->secure &&
	    strcmp(cookie_path(r), "/") == 0);
}

const char *
cookie_name(struct request *r, const char *short_name)
{
	const char	*prefix = r->bcfg ? r->bcfg->cookie_prefix : "neon-auth";
	int		 secure = neon_style(r) ||
			    (r->branch != NULL && r->branch->secure);

	const char	*pre = host_style(r) ? "__Host-" :
			    secure ? "__Secure-" : "";
	size_t		 a = strlen(pre), b = strlen(prefix);
	size_t		 c = strlen(short_name);
	char		*out = arena_alloc_uninit(r->a, a + b + 1 + c + 1);

	/* twice a request: concatenated, not formatted */
	memcpy(out, pre, a);
	memcpy(out + a, prefix, b);
	out[a + b] = '.';
	memcpy(out + a + b + 1, short_name, c + 1);
	return (out);
}
char *
cookie_get(struct request *r, const char *name)
{
	const char	*h = request_header(r, "HTTP_COOKIE");
	const char	*p, *end, *eq, *vs, *ve;
	size_t		 nl = strlen(name);

	if (h == NULL)
		return (NULL);
	for (p = h; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL)
			continue;
		ve = eq;
		while (ve > p && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if ((size_t)(ve - p) != nl || memcmp(p, name, nl) != 0)
			continue;
		vs = eq + 1;
		ve = end;
		while (vs < ve && (*vs == ' ' || *vs == '\t'))
			vs++;
		while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
			vs++;
			ve--;
		}
		if (memchr(vs, '%', (size_t)(ve - vs)) != NULL)
			return (url_decode(r->a, vs, (size_t)(ve - vs), 0));
		return (arena_strndup(r->a, vs, (size_t)(ve - vs)));
	}
	return (NULL);
}

int
cookie_verify(struct request *r, const char *signed_value, char **value)
{
	const struct crypto_secrets	*k = r->env->secrets;
	struct str			 v;
	int				 rc, i;

	*value = NULL;
	rc = crypto_cookie_verify_ctx(cookie_hmac(r), str_c(signed_value), &v);
	/* signed with an older secret that is still listed (rotation) */
	for (i = 1; k != NULL && rc == CRYPTO_COOKIE_INVALID && i < k->n &&
	    i < CRYPTO_SECRETS_MAX; i++)
		rc = crypto_cookie_verify_ctx(hmac_of(k->s[i].value, i),
		    str_c(signed_value), &v);
	if (rc == CRYPTO_COOKIE_VALID)
		*value = str_dup(r->a, v);
	return (rc);
}

int
cookie_get_signed(struct request *r, const char *name, char **value)
{
	char		*raw = cookie_get(r, name);

	*value = NULL;
	if (raw == NULL)
		return (CRYPTO_COOKIE_ABSENT);
	return (cookie_verify(r, raw, value));
}

char *
cookie_sign(struct request *r, const char *value)
{
	return (crypto_cookie_sign_ctx(r->a, cookie_hmac(r), str_c(value)));
}

static void
set_at(struct request *r, const char *name, const char *value,
    int64_t max_age, const char *path)
{
	int		 neon = neon_style(r);
	int		 secure = (r->branch && r->branch->secure) || neon;
	int		 none = (r->bcfg && r->bcfg->same_site_none) || neon;
	char		 ma[40] = "";

	if (max_age >= 0)
		snprintf(ma, sizeof(ma), "; Max-Age=%lld", (long long)max_age);
	reply_header_add(r, "Set-Cookie", arena_printf(r->a,
	    "%s=%s%s; Path=%s; HttpOnly%s; SameSite=%s%s", name,
	    url_encode(r->a, value), ma, path, secure || none ? "; Secure" :
	    "", none ? "None" : "Lax", none ? "; Partitioned" : ""));
}

void
cookie_set(struct request *r, const char *name, const char *value,
    int64_t max_age)
{
	const char			*prefix = arena_printf(r->a, "%s=", name);
	const char			*path = cookie_path(r);
	const struct reply_header	*h;
	size_t				 pl = strlen(prefix);
	int				 n = 0;

	/* a cookie set twice in one reply is sent once, the last time */
	for (h = r->headers; h != NULL; h = h->next)
		if (strcasecmp(h->name, "Set-Cookie") == 0 &&
		    strncmp(h->value, prefix, pl) == 0)
			n++;
	while (n-- > 0)
		reply_header_remove(r, "Set-Cookie", prefix);
	set_at(r, name, value, max_age, path);
	/*
	 * a path-scoped branch: the request's cookie of that name may be
	 * one set at Path=/ before the scope (upgrade), which would outlive
	 * a sign-out; it goes too
	 */
	if (strcmp(path, "/") != 0 && cookie_get(r, name) != NULL)
		set_at(r, name, "", 0, "/");
}

void
cookie_set_signed(struct request *r, const char *name, const char *value,
    int64_t max_age)
{
	cookie_set(r, name, cookie_sign(r, value), max_age);
}

void
cookie_expire(struct request *r, const char *name)
{
	cookie_set(r, name, "", 0);
}

char *
cookie_get_chunked(struct request *r, const char *name, int *nchunks)
{
	char	*v, *part, *all = NULL;
	int	 i;

	*nchunks = 0;
	if ((v = cookie_get(r, name)) != NULL)
		return (v);
	for (i = 0; i < 100; i++) {
		part = cookie_get(r, arena_printf(r->a, "%s.%d", name, i));
		if (part == NULL)
			break;
		all = all ? arena_printf(r->a, "%s%s", all, part) : part;
		*nchunks = i + 1;
	}
	return (all);
}

void
cookie_expire_chunked(struct request *r, const char *name)
{
	int	 i;

	if (cookie_get(r, name) != NULL)
		cookie_expire(r, name);
	for (i = 0; i < 100; i++) {
		const char *cn = arena_printf(r->a, "%s.%d", name, i);

		if (cookie_get(r, cn) == NULL)
			break;
		cookie_expire(r, cn);
	}
}

void
cookie_set_chunked(struct request *r, const char *name, const char *value,
    int64_t max_age)
{
	size_t	 len = strlen(value), chunk, attrs, off;
	int	 i, n;

	/* the value is base64url: URL-encoding leaves it as it is */
	attrs = strlen(name) + 3 + 60 + (max_age >= 0 ? 20 : 0);
	if (len + attrs <= 4050) {
		cookie_expire_chunked(r, name);
		cookie_set(r, name, value, max_age);
		return;
	}
	chunk = 4050 - attrs;
	n = (int)((len + chunk - 1) / chunk);
	if (n > 100)
		return;		/* too large: no cache, as Better Auth */
	for (i = 0, off = 0; i < n; i++, off += chunk)
		cookie_set(r, arena_printf(r->a, "%s.%d", name, i),
		    arena_strndup(r->a, value + off, len - off < chunk ?
		    len - off : chunk), max_age);
}
