/*
 * audit.c -- auth events from a request (see audit.h).
 */
#include <stddef.h>

#include "auth/audit.h"
#include "auth/session.h"
#include "http/clientip.h"
#include "store/store_audit.h"

int
audit_event(struct request *r, const char *event, const char *user_id,
    const char *actor_id, enum err e, const char *detail)
{
	const struct err_info	*i = err_info(e);
	struct audit_rec	 ev;

	ev.event = event;
	ev.user_id = user_id;
	ev.session_id = r->auth != NULL ? r->auth->s.id : NULL;
	ev.actor_id = actor_id;
	ev.ip = clientip_str(r);
	ev.user_agent = request_header(r, "HTTP_USER_AGENT");
	ev.outcome = e == ERR_NONE ? "success" : i != NULL && i->code != NULL ?
	    i->code : i != NULL ? i->name : "error";
	ev.detail = detail;
	return (store_audit(r->db, r->a, &ev) == -1 ? -1 : 0);
}
