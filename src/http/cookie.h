/*
 * cookie.h -- request cookies in, Set-Cookie out (protocol.md §3.1-3.2).
 *
 * Names are "[__Secure-]<prefix>.<name>" with the branch's cookie prefix;
 * the __Secure- prefix and the Secure attribute come with an https Auth
 * URL, or with settings.cookies.style "neon" on an http loopback one
 * (branchcfg_neon_cookies: also SameSite=None and Partitioned); style
 * "host" gives __Host- names on an https Auth URL.  Path is "/", or a
 * templated branch's base path (cookie_path).  Attribute
 * order is fixed: Max-Age, Path, HttpOnly, Secure, SameSite, Partitioned.
 */
#ifndef NEON_AUTHD_COOKIE_H
#define NEON_AUTHD_COOKIE_H

#include <stdint.h>

#include "http/request.h"

struct crypto_hmac;

#define COOKIE_NO_MAX_AGE	(-1)

/*
 * cookie_path: the Path of the branch's cookies: "/", or the base path of
 * a templated branch (the databases of one template share a host).
 */
const char	*cookie_path(struct request *r);
/* cookie_name: the full name of one of the branch's cookies. */
const char	*cookie_name(struct request *r, const char *short_name);
/*
 * cookie_get: the value of the first cookie called name in the request,
 * percent-decoded when it contains '%', surrounding quotes stripped; NULL
 * when absent.
 */
char		*cookie_get(struct request *r, const char *name);
/*
 * cookie_get_signed: read and verify a signed cookie.  Returns
 * CRYPTO_COOKIE_VALID with *value set, CRYPTO_COOKIE_INVALID (bad
 * signature) or CRYPTO_COOKIE_ABSENT (missing or malformed).
 */
int		 cookie_get_signed(struct request *r, const char *name,
		    char **value);
/*
 * cookie_set: add a Set-Cookie for name=value (value URL-encoded here);
 * max_age COOKIE_NO_MAX_AGE for a browser-session cookie.  An earlier
 * Set-Cookie of the same name in this reply is dropped.
 */
void		 cookie_set(struct request *r, const char *name,
		    const char *value, int64_t max_age);
/* cookie_set_signed: cookie_set of value "." base64(HMAC(secret, value)). */
void		 cookie_set_signed(struct request *r, const char *name,
		    const char *value, int64_t max_age);
/* cookie_expire: Set-Cookie name=; Max-Age=0 with the same attributes. */
void		 cookie_expire(struct request *r, const char *name);
/* cookie_verify: verify "value.sig" (already decoded); as cookie_get_signed. */
int		 cookie_verify(struct request *r, const char *signed_value,
		    char **value);
/* cookie_hmac: the worker's HMAC context for the server secret. */
const struct crypto_hmac *cookie_hmac(struct request *r);
/*
 * cookie_get_chunked: a cookie that may be split into name.0, name.1, ...
 * (protocol.md §3.4); NULL when absent.  *nchunks gets the chunk count
 * (0 when the plain name was used).
 */
char		*cookie_get_chunked(struct request *r, const char *name,
		    int *nchunks);
/* cookie_set_chunked: set a large value, split when over 4050 bytes. */
void		 cookie_set_chunked(struct request *r, const char *name,
		    const char *value, int64_t max_age);
/* cookie_expire_chunked: expire name and every name.N the request has. */
void		 cookie_expire_chunked(struct request *r, const char *name);
/* cookie_sign: "value.sig" with the server secret (not URL-encoded). */
char		*cookie_sign(struct request *r, const char *value);

#endif
