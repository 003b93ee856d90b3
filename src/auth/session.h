/*
 * session.h -- who is calling: the session read from the signed
 * session_token cookie (or a bearer token), the user behind it, the
 * session middlewares of protocol.md §1.0.1, and SSC (§3.3).
 *
 * Everything lives in r->a.
 */
#ifndef NEON_AUTHD_SESSION_H
#define NEON_AUTHD_SESSION_H

#include <stdint.h>

#include "http/error.h"
#include "http/request.h"
#include "store/record.h"
#include "store/store.h"

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
 * session_require: the session middleware.  Fills a and returns ERR_NONE,
 * or ERR_UNAUTHORIZED, ERR_SESSION_NOT_FRESH, or a database error.
 */
enum err	 session_require(struct request *r, int flags, struct auth *a);
/*
 * session_load: like session_require without the 401: *found is 1 with a
 * filled, 0 when there is no valid session; a database error otherwise.
 */
enum err	 session_load(struct request *r, int flags, struct auth *a,
		    int *found);

/*
 * session_live: 1 when a's session (read from the cookie cache) is still
 * in the database, unexpired, its user not banned; 0 when not; -1 on a
 * database error.  JWT minting asks it before signing (issue 12, #5).
 */
int		 session_live(struct request *r, const struct auth *a);

/*
 * session_new: what a session created now for r records: the client's
 * address and user agent, and the lifetime (a day for a don't-remember
 * session, else the branch's session.expires_in).
 */
struct session_new session_new(struct request *r, int dont_remember);

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
/* session_is_fresh: the session is younger than settings.session.fresh_age */
int		 session_is_fresh(struct request *r, const struct auth *a);

#endif
