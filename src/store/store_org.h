/*
 * store_org.h -- the SQL for organizations, members and invitations
 * (neon_auth.organization, member, invitation; protocol.md §10).
 */
#ifndef NEON_AUTHD_STORE_ORG_H
#define NEON_AUTHD_STORE_ORG_H

#include "lib/arena.h"

struct db_conn;

/* what the JWT's `o` claim carries (neon.md §7.2) */
struct org_claim {
	const char	*id;
	const char	*slug;
	const char	*role;
};

/*
 * store_org_claim: the organization org_id as user_id's membership sees
 * it.  1 found, 0 not a member (or no such organization), -1 on error.
 * Ids that are not uuids are not members (0, no query).
 */
int	 store_org_claim(struct db_conn *c, struct arena *a, const char *org_id,
	    const char *user_id, struct org_claim *out);

#endif
