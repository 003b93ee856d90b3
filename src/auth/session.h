/*
 * session.h -- who is calling: the session read from the signed
 * session_token cookie (or a bearer token), the user behind it, the
 * session middlewares of protocol.md §1.0.1, and SSC (§3.3).
 *
 * Records hold text exactly as it goes on the wire: ISO-8601 dates with
 * milliseconds and "Z", uuids as strings.  Everything lives in r->a.
 */
#ifndef NEON_AUTHD_SESSION_H
#define NEON_AUTHD_SESSION_H

#include <stdint.h>

#include <json-c/json.h>

#include "http/request.h"

struct user_rec {
	const char	*id;
	const char	*name;
	const char	*email;
	int		 email_verified;
	const char	*image;		/* NULL = JSON null */
	const char	*created_at;
	const char	*updated_at;
	const char	*role;		/* NULL = JSON null */
	int		 banned;	/* -1 = JSON null */
	const char	*ban_reason;
	const char	*ban_expires;
	int64_t		 updated_ms;
};

struct session_rec {
	const char	*id;
	const char	*token;
	const char	*user_id;
	const char	*expires_at;
	const char	*created_at;
	const char	*updated_at;
	const char	*ip_address;
	const char	*user_agent;
	const char	*impersonated_by;	/* NULL = JSON null */
	const char	*active_organization_id; /* NULL = JSON null */
	int64_t		 expires_ms;
	int64_t		 created_ms;
	int64_t		 updated_ms;
};

struct auth {
	struct session_rec	 s;
	struct user_rec		 u;
	int			 dont_remember;	/* valid dont_remember cookie */
	int			 refreshed;	/* SSC done during the read */
	int			 from_cache;	/* read from session_data */
};

/* session_load flags */
#define SESSION_SENSITIVE	0x01	/* bypass the cookie cache */
#define SESSION_FRESH		0x02	/* 403 SESSION_NOT_FRESH when old */
#define SESSION_NO_REFRESH	0x04	/* never slide expiresAt */
#define SESSION_NO_CACHE	0x08	/* disableCookieCache */

/*
 * session_require: the session middleware.  Fills a and returns 0, or
 * sets the reply (401 UNAUTHORIZED, 403 SESSION_NOT_FRESH, 503 on a
 * database failure) and returns -1.
 */
int		 session_require(struct request *r, int flags, struct auth *a);
/*
 * session_load: like session_require without the 401: returns 1 with a
 * filled, 0 when there is no valid session, -1 with the reply set on a
 * database failure.
 */
int		 session_load(struct request *r, int flags, struct auth *a);

/*
 * session_set_cookie: SSC (protocol.md §3.3) for a's session.
 * dont_remember: 1 or 0 to decide, -1 to keep what the request carries.
 */
void		 session_set_cookie(struct request *r, const struct auth *a,
		    int dont_remember);
/* session_clear_cookies: expire session_token, session_data, dont_remember. */
void		 session_clear_cookies(struct request *r);
/*
 * session_token_of: the session token the request carries (signed cookie,
 * or a bearer token when the branch allows them), or NULL.
 */
const char	*session_token_of(struct request *r);

/* user_write / session_write: the protocol's objects (protocol.md §0.6),
 * in the key order Better Auth writes them. */
void		 user_write(struct jbuf *b, const struct user_rec *u);
void		 session_write(struct jbuf *b, const struct session_rec *s);

#endif
