/*
 * record.h -- the rows the store returns and their wire JSON
 * (protocol.md §0.6), below both the store and the endpoints.
 *
 * Records hold text exactly as it goes on the wire: ISO-8601 dates with
 * milliseconds and "Z", uuids as strings, NULL for JSON null.  Everything
 * lives in the arena the store was given.
 */
#ifndef NEON_AUTHD_RECORD_H
#define NEON_AUTHD_RECORD_H

#include <stdint.h>

#include "lib/json.h"

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

/*
 * user_write / session_write: the protocol's objects, in the key order
 * Better Auth writes them (the cookie cache's signature covers it).
 */
void	 user_write(struct jbuf *b, const struct user_rec *u);
void	 session_write(struct jbuf *b, const struct session_rec *s);

#endif
