/*
 * store_audit.h -- rows of neon_auth.audit_log (sql/003, sql/005).
 */
#ifndef NEON_AUTHD_STORE_AUDIT_H
#define NEON_AUTHD_STORE_AUDIT_H

#include "lib/arena.h"

struct db_conn;

/* one auth event; NULL members are SQL NULL ("" for ip and user_agent) */
struct audit_rec {
	const char	*event;		/* "sign_in", "session_revoke", ... */
	const char	*user_id;
	const char	*session_id;
	const char	*actor_id;
	const char	*ip;
	const char	*user_agent;
	const char	*outcome;	/* "success" or the error code */
	const char	*detail;	/* a JSON object as text, or NULL: {} */
};

/*
 * store_audit: insert one row on c -- in the caller's transaction when one
 * is open, so the row commits or rolls back with the change it records.
 * 1, or -1 on a database error.
 */
int	 store_audit(struct db_conn *c, struct arena *a,
	    const struct audit_rec *ev);

#endif
