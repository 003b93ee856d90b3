/*
 * audit.h -- auth events for neon_auth.audit_log, as endpoints record them.
 *
 * An endpoint that changes something records the event inside the same
 * transaction as the change (store_begin ... audit_event ... store_commit),
 * so the row exists exactly when the change does.  Failed attempts
 * (a wrong password) have nothing to roll back and are recorded on their
 * own.  The detail never holds a token, password, OTP, link or cookie.
 */
#ifndef NEON_AUTHD_AUDIT_H
#define NEON_AUTHD_AUDIT_H

#include "http/error.h"
#include "http/request.h"

/*
 * audit_event: record event for user_id (NULL: none) with outcome e
 * (ERR_NONE: "success", else the error's code) and detail (a JSON object
 * as text, or NULL).  The session, client address and user agent come
 * from r (r->auth when a session was loaded); actor_id is the user who
 * acted for another (NULL when the same).  Returns 0, or -1 on a database
 * error (the caller inside a transaction must then roll back; err_db
 * tells why).
 */
int	 audit_event(struct request *r, const char *event, const char *user_id,
	    const char *actor_id, enum err e, const char *detail);

#endif
