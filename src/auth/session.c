/*
 * session.c -- the session middlewares, get-session's read algorithm and
 * SSC (protocol.md §1.0.1, §1.6, §3.3, §3.5, §3.6).
 *
 * The hot path is one prepared statement (session joined with its user);
 * a write happens only when the session must slide (updateAge) or has
 * expired.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/admin.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/cookie.h"
#include "http/revoke.h"
#include "http/sesscache.h"
#include "store/db.h"
#include "lib/crypto.h"
#include "lib/json.h"
#include "auth/session.h"
#include "store/store.h"
#include "http/clientip.h"
#include "lib/url.h"
#include "lib/clock.h"
#include "lib/text.h"

/*
 * Cookie cache, "compact" strategy (protocol.md §3.4): the signature
 * covers the serialisation of the inner object with "expiresAt" appended,
 * so the reader re-serialises what it received, in its key order.
 */
static void
cache_set(struct request *r, const struct auth *a, int dont_remember)
{
	struct jbuf	 sd;
	int64_t		 now = clock_now_ms();
	int64_t		 exp = now + (dont_remember ? 60 :
			    r->bcfg->cookie_cache_max_age) * 1000;
	unsigned char	 mac[CRYPTO_SHA256_LEN];
	char		*sdj, *msg, *outer, *sig;

	jb_init(&sd, r->a, 1024);
	jb_lit(&sd, "{\"session\":");
	session_write(&sd, &a->s);
	jb_lit(&sd, ",\"user\":");
	user_write(&sd, &a->u);
	sdj = arena_printf(r->a, ",\"updatedAt\":%lld,\"version\":\"1\"}",
	    (long long)now);
	jb_raw(&sd, sdj, strlen(sdj));
	sdj = jb_done(&sd);
	msg = arena_printf(r->a, "%.*s,\"expiresAt\":%lld}",
	    (int)(strlen(sdj) - 1), sdj, (long long)exp);
	if (crypto_hmac_sign(cookie_hmac(r), msg, strlen(msg), mac) == -1)
		return;
	sig = crypto_base64url_encode(r->a, mac, sizeof(mac));
	outer = arena_printf(r->a, "{\"session\":%s,\"expiresAt\":%lld,"
	    "\"signature\":\"%s\"}", sdj, (long long)exp, sig);
	cookie_set_chunked(r, cookie_name(r, "session_data"),
	    crypto_base64url_encode(r->a, outer, strlen(outer)),
	    dont_remember ? COOKIE_NO_MAX_AGE : r->bcfg->cookie_cache_max_age);
}

static const char *
jstr(struct request *r, json_object *o, const char *k, int nullable)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return (nullable ? NULL : "");
	return (arena_strdup(r->a, json_object_get_string(v)));
}

/* 1 with a filled from a valid cache cookie, else 0 */
static int
cache_read(struct request *r, const char *token, struct auth *a)
{
	char		*raw;
	struct str	 dec;
	json_object	*outer, *sess, *exp, *sig, *s, *u, *ver, *b, *minted;
	int		 nch;
	int64_t		 now = clock_now_ms();

	raw = cookie_get_chunked(r, cookie_name(r, "session_data"), &nch);
	if (raw == NULL)
		return (0);
	if (crypto_base64_decode_ba(r->a, str_c(raw), &dec) == -1 ||
	    (outer = json_parse(dec.p, dec.len, NULL)) == NULL)
		goto bad;
	json_own(r->a, outer);
	if (!json_object_object_get_ex(outer, "session", &sess) ||
	    !json_object_is_type(sess, json_type_object) ||
	    !json_object_object_get_ex(outer, "expiresAt", &exp) ||
	    !json_object_is_type(exp, json_type_int) ||
	    !json_object_object_get_ex(outer, "signature", &sig) ||
	    !json_object_is_type(sig, json_type_string))
		goto bad;
	json_object_object_add(sess, "expiresAt",
	    json_object_new_int64(json_object_get_int64(exp)));
	if (crypto_hmac_verify_b64_ctx(cookie_hmac(r), str_c(json_dump(r->a,
	    sess)), str_c(json_object_get_string(sig))) != 1)
		goto bad;
	json_object_object_del(sess, "expiresAt");
	if (json_object_get_int64(exp) < now ||
	    !json_object_object_get_ex(sess, "session", &s) ||
	    !json_object_object_get_ex(sess, "user", &u) ||
	    !json_object_object_get_ex(sess, "version", &ver) ||
	    !json_object_object_get_ex(sess, "updatedAt", &minted) ||
	    !json_object_is_type(minted, json_type_int) ||
	    !json_object_is_type(s, json_type_object) ||
	    !json_object_is_type(u, json_type_object) ||
	    strcmp(json_object_get_string(ver), "1") != 0)
		goto bad;
	a->s.token = jstr(r, s, "token", 0);
	a->s.expires_at = jstr(r, s, "expiresAt", 0);
	a->s.expires_ms = clock_iso_parse(a->s.expires_at);
	if (strcmp(a->s.token, token) != 0 || a->s.expires_ms < now)
		goto bad;
	a->s.id = jstr(r, s, "id", 0);
	a->s.user_id = jstr(r, s, "userId", 0);
	a->s.created_at = jstr(r, s, "createdAt", 0);
	a->s.updated_at = jstr(r, s, "updatedAt", 0);
	a->s.created_ms = clock_iso_parse(a->s.created_at);
	a->s.updated_ms = clock_iso_parse(a->s.updated_at);
	a->s.ip_address = jstr(r, s, "ipAddress", 0);
	a->s.user_agent = jstr(r, s, "userAgent", 0);
	a->s.impersonated_by = jstr(r, s, "impersonatedBy", 1);
	a->s.active_organization_id = jstr(r, s, "activeOrganizationId", 1);
	a->u.id = jstr(r, u, "id", 0);
	a->u.name = jstr(r, u, "name", 0);
	a->u.email = jstr(r, u, "email", 0);
	a->u.email_verified = json_object_object_get_ex(u, "emailVerified",
	    &b) && json_object_get_boolean(b);
	a->u.image = jstr(r, u, "image", 1);
	a->u.created_at = jstr(r, u, "createdAt", 0);
	a->u.updated_at = jstr(r, u, "updatedAt", 0);
	a->u.updated_ms = clock_iso_parse(a->u.updated_at);
	a->u.role = jstr(r, u, "role", 1);
	a->u.banned = json_object_object_get_ex(u, "banned", &b) && b ?
	    json_object_get_boolean(b) : -1;
	a->u.ban_reason = jstr(r, u, "banReason", 1);
	a->u.ban_expires = jstr(r, u, "banExpires", 1);
	/*
	 * Banned (or deleted) since the cookie was minted, as far as this
	 * worker has heard (http/revoke.h): the database decides.
	 */
	if (admin_banned(&a->u, now) || (r->branch != NULL &&
	    revoke_stale(r->branch->name, a->u.id,
	    json_object_get_int64(minted))))
		goto bad;
	return (1);
 bad:
	cookie_expire_chunked(r, cookie_name(r, "session_data"));
	memset(a, 0, sizeof(*a));
	return (0);
}

/*
 * Bearer plugin (§3.6): "Bearer <token>[.<sig>]".  A signed one must carry
 * a standard padded base64 signature, since the session is then read
 * through the cookie reader.  A raw token (the value stored in
 * neon_auth.session) is taken only with settings.bearer_require_signature
 * false (Better Auth's requireSignature: false): whoever can read that
 * table must not be able to act as its users (issue 12, #1).
 */
static const char *
bearer_token(struct request *r)
{
	const char	*h = request_header(r, "HTTP_AUTHORIZATION");
	char		*t, *e, *v;

	if (h == NULL || !r->bcfg->bearer || strncasecmp(h, "bearer ", 7) != 0)
		return (NULL);
	t = arena_strdup(r->a, h + 7);
	while (*t == ' ' || *t == '\t')
		t++;
	e = t + strlen(t);
	while (e > t && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	if (*t == '\0')
		return (NULL);
	if (strchr(t, '%'))
		t = url_decode(r->a, t, strlen(t), 0);
	/* no token holds such bytes: an invalid bearer, ignored (#15) */
	if (!text_utf8_valid(t, strlen(t)))
		return (NULL);
	if (strchr(t, '.') == NULL)
		return (r->bcfg->bearer_require_signature ? NULL : t);
	if (cookie_verify(r, t, &v) != CRYPTO_COOKIE_VALID)
		return (NULL);
	return (v);
}

const char *
session_token_of(struct request *r)
{
	const char	*t;
	char		*v;

	if ((t = bearer_token(r)) != NULL) {
		r->via_bearer = 1;
		return (t);
	}
	if (cookie_get_signed(r, cookie_name(r, "session_token"), &v) ==
	    CRYPTO_COOKIE_VALID)
		return (v);
	return (NULL);
}

void
session_clear_cookies(struct request *r)
{
	const char	*sd = cookie_name(r, "session_data");
	int		 n;

	cookie_expire(r, cookie_name(r, "session_token"));
	if (cookie_get_chunked(r, sd, &n) != NULL && n > 0)
		cookie_expire_chunked(r, sd);
	else
		cookie_expire(r, sd);
	cookie_expire(r, cookie_name(r, "dont_remember"));
}

void
session_set_cookie(struct request *r, const struct auth *a, int dont_remember)
{
	const char	*dr_name = cookie_name(r, "dont_remember");
	char		*dr = NULL;
	int		 had_dr;
	char		*signed_tok;

	had_dr = cookie_get_signed(r, dr_name, &dr) == CRYPTO_COOKIE_VALID;
	if (dont_remember < 0)
		dont_remember = had_dr || a->dont_remember;
	signed_tok = cookie_sign(r, a->s.token);
	cookie_set(r, cookie_name(r, "session_token"), signed_tok,
	    dont_remember ? COOKIE_NO_MAX_AGE : r->bcfg->session_expires_in);
	if (dont_remember)
		cookie_set_signed(r, dr_name, "true", COOKIE_NO_MAX_AGE);
	else if (cookie_get(r, dr_name) != NULL)
		cookie_expire(r, dr_name);
	if (r->bcfg->cookie_cache)
		cache_set(r, a, dont_remember);
	if (r->bcfg->bearer) {
		reply_header_add(r, "set-auth-token", signed_tok);
		reply_expose(r, "set-auth-token");
	}
}

struct session_new
session_new(struct request *r, int dont_remember)
{
	struct session_new	 n;
	const char		*ua = request_header(r, "HTTP_USER_AGENT");

	n.ip = clientip_str(r);
	/* the session row's userAgent is text: bytes that are not UTF-8 go */
	n.ua = ua && text_utf8_valid(ua, strlen(ua)) ? arena_strdup(r->a, ua) :
	    "";
	n.ttl_s = dont_remember ? 86400 : r->bcfg->session_expires_in;
	return (n);
}

int
session_is_fresh(struct request *r, const struct auth *a)
{
	return (r->bcfg->session_fresh_age == 0 || clock_now_ms() -
	    a->s.created_ms < r->bcfg->session_fresh_age * 1000);
}

/*
 * The session of token and its user: from the session cache the workers
 * share (http/sesscache.h; never for a sensitive read), else from the
 * database, stored for the next read.  1, 0, or -1 as the store says.
 */
static int
session_lookup(struct request *r, int flags, const char *token,
    struct auth *a)
{
	struct sesscache_key	 k;
	struct sesscache_ticket	 t;
	int			 rc;

	/* a connection that hears no NOTIFY (a pooled one without a
	   listen connection) could not see revocations: no cache */
	if (!sesscache_enabled() || (flags & SESSION_SENSITIVE) ||
	    r->branch == NULL || !db_conn_listens(r->db))
		return (store_session_lookup(r->db, r->a, token, &a->s,
		    &a->u));
	/* this request's own commits so far (a second read after a change) */
	branchcfg_settle(r);
	k = sesscache_key(r->branch->name, r->branch->conninfo);
	if (sesscache_get(&k, token, r->a, &a->s, &a->u) == 1)
		return (1);
	t = sesscache_begin();
	rc = store_session_lookup(r->db, r->a, token, &a->s, &a->u);
	if (rc == 1)
		sesscache_put(&k, &t, &a->s, &a->u);
	return (rc);
}

enum err
session_load(struct request *r, int flags, struct auth *a, int *found)
{
	const char	*token;
	char		*dr;
	int64_t		 now, expires_in, update_age;
	int		 rc;

	memset(a, 0, sizeof(*a));
	*found = 0;
	if ((token = session_token_of(r)) == NULL) {
		if (!r->bcfg->cookie_cache)
			cookie_expire_chunked(r, cookie_name(r,
			    "session_data"));
		return (ERR_NONE);
	}
	/*
	 * the cookie cache answers reads only: a write (any method but GET)
	 * sees the database, so a revoked session cannot act (issue 12, #5)
	 */
	if (r->bcfg->cookie_cache && !(flags & (SESSION_SENSITIVE |
	    SESSION_NO_CACHE)) && r->method != NULL &&
	    strcmp(r->method, "GET") == 0 &&
	    cache_read(r, token, a) == 1) {
		a->dont_remember = cookie_get_signed(r, cookie_name(r,
		    "dont_remember"), &dr) == CRYPTO_COOKIE_VALID;
		a->from_cache = 1;
		*found = 1;
		return (ERR_NONE);
	}
	if ((rc = session_lookup(r, flags, token, a)) == -1)
		return (err_db(r, r->db, ERR_FAILED_TO_GET_SESSION));
	now = clock_now_ms();
	/* a banned user has no session, whatever rows remain (§11.1) */
	if (rc == 1 && a->s.expires_ms >= now && admin_banned(&a->u, now)) {
		session_clear_cookies(r);
		memset(a, 0, sizeof(*a));
		return (ERR_NONE);
	}
	if (rc == 0 || a->s.expires_ms < now) {
		if (rc == 1 && store_session_delete(r->db, r->a, token, NULL) == -1)
			return (err_db(r, r->db, ERR_FAILED_TO_GET_SESSION));
		session_clear_cookies(r);
		memset(a, 0, sizeof(*a));
		return (ERR_NONE);
	}
	*found = 1;
	a->dont_remember = cookie_get_signed(r, cookie_name(r,
	    "dont_remember"), &dr) == CRYPTO_COOKIE_VALID;
	if (a->dont_remember || (flags & SESSION_NO_REFRESH))
		return (ERR_NONE);
	expires_in = r->bcfg->session_expires_in * 1000;
	update_age = r->bcfg->session_update_age * 1000;
	if (a->s.expires_ms - expires_in + update_age <= now) {
		rc = store_session_extend(r->db, r->a, &a->s, now + expires_in,
		    now);
		if (rc == -1)
			return (err_db(r, r->db, ERR_FAILED_TO_GET_SESSION));
		if (rc == 0) {
			session_clear_cookies(r);
			*found = 0;
			return (ERR_FAILED_TO_GET_SESSION_401);
		}
		session_set_cookie(r, a, 0);
		a->refreshed = 1;
	} else if (r->bcfg->cookie_cache)
		cache_set(r, a, a->dont_remember);
	return (ERR_NONE);
}

int
session_live(struct request *r, const struct auth *a)
{
	struct session_rec	 s;
	struct user_rec		 u;
	int64_t			 now = clock_now_ms();
	int			 rc;

	if (!a->from_cache)
		return (1);
	if ((rc = store_session_lookup(r->db, r->a, a->s.token, &s, &u)) != 1)
		return (rc);
	return (strcmp(s.id, a->s.id) == 0 && s.expires_ms >= now &&
	    !admin_banned(&u, now));
}

enum err
session_require(struct request *r, int flags, struct auth *a)
{
	enum err	 e;
	int		 found;

	if ((e = session_load(r, flags, a, &found)) != ERR_NONE)
		return (e);
	if (!found)
		return (ERR_UNAUTHORIZED);
	if ((flags & SESSION_FRESH) && !session_is_fresh(r, a))
		return (ERR_SESSION_NOT_FRESH);
	return (ERR_NONE);
}
