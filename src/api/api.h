/*
 * api.h -- endpoint handlers, one file per group (api_*.c).
 *
 * A handler validates its input, does its work and sets the reply on r;
 * it never writes to the transport.
 */
#ifndef NEON_AUTHD_API_H
#define NEON_AUTHD_API_H

#include "http/request.h"

/* api_misc.c */
void	 api_ok(struct request *r);
void	 api_error_page(struct request *r);
void	 api_debug_sleep(struct request *r);
void	 api_status_page(struct request *r);

/* api_email.c: email and password */
/* api_password_prepare: NFKC password; NULL with the reply set on failure */
const char *api_password_prepare(struct request *r, const char *pw);
void	 api_sign_up_email(struct request *r);
void	 api_sign_in_email(struct request *r);

/* api_session.c: sessions and the signed-in user */
void	 api_sign_out(struct request *r);
void	 api_get_session(struct request *r);
void	 api_list_sessions(struct request *r);
void	 api_revoke_session(struct request *r);
void	 api_revoke_sessions(struct request *r);
void	 api_revoke_other_sessions(struct request *r);
void	 api_update_user(struct request *r);
void	 api_update_session(struct request *r);
void	 api_change_email(struct request *r);
void	 api_change_password(struct request *r);
void	 api_verify_password(struct request *r);
void	 api_delete_user(struct request *r);
void	 api_delete_user_callback(struct request *r);

/* api_jwt.c: JWTs and keys (protocol.md §9, neon.md §7) */
void	 api_token(struct request *r);
void	 api_token_anonymous(struct request *r);
void	 api_jwks(struct request *r);
struct auth;
/*
 * api_jwt_attach: add the set-auth-jwt header for a session (get-session).
 * Failures are logged and leave the header out.
 */
void	 api_jwt_attach(struct request *r, const struct auth *a);

#endif
