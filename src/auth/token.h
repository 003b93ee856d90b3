/*
 * token.h -- the JWTs neon-authd mints and the keys that verify them
 * (protocol.md §9, neon.md §7).
 */
#ifndef NEON_AUTHD_TOKEN_H
#define NEON_AUTHD_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "http/error.h"
#include "http/request.h"

struct auth;

/* token_session: the session JWT for a (cached per worker), in r->a. */
enum err	 token_session(struct request *r, const struct auth *a,
		    char **out);
/*
 * token_attach: the set-auth-jwt header for a session (get-session).
 * Failures are logged and leave the header out.
 */
void		 token_attach(struct request *r, const struct auth *a);
/* token_anonymous: the branch's anonymous token and its exp (seconds). */
enum err	 token_anonymous(struct request *r, char **out, int64_t *exp);
/* token_jwks: the branch's JWKS document (its bytes, not NUL-ended). */
enum err	 token_jwks(struct request *r, const char **doc, size_t *len);

#endif
