/*
 * store_audit.c -- the audit trail's one statement (see store_audit.h).
 */
#include "store/db.h"
#include "store/store_audit.h"

int
store_audit(struct db_conn *c, struct arena *a, const struct audit_rec *ev)
{
	static const char sql[] = "INSERT INTO neon_auth.audit_log"
	    " (event, user_id, session_id, actor_id, ip, user_agent, outcome,"
	    " data) VALUES ($1, $2::uuid, $3::uuid, $4::uuid, coalesce($5, ''),"
	    " coalesce($6, ''), coalesce($7, 'success'),"
	    " coalesce($8::jsonb, '{}'::jsonb))";
	const char	*p[8];

	p[0] = ev->event;
	p[1] = ev->user_id;
	p[2] = ev->session_id;
	p[3] = ev->actor_id;
	p[4] = ev->ip;
	p[5] = ev->user_agent;
	p[6] = ev->outcome;
	p[7] = ev->detail;
	return (db_exec(c, a, "audit_insert", sql, 8, p) == NULL ? -1 : 1);
}
