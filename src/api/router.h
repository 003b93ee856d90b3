/*
 * router.h -- (method, route) -> handler, from one static table.
 *
 * The route is the request path below the branch's base path, taken from
 * the raw REQUEST_URI.  Matching is exact (no trailing-slash folding, no
 * "//"), as Better Auth's router does (protocol.md §0.4).
 */
#ifndef NEON_AUTHD_ROUTER_H
#define NEON_AUTHD_ROUTER_H

#include "http/request.h"

typedef void (*route_handler)(struct request *r);

#define ROUTE_FORM_OK	0x01	/* accepts application/x-www-form-urlencoded */
#define ROUTE_PREFIX	0x02	/* path is a prefix: "/callback/" + id */
#define ROUTE_DB	0x04	/* needs the branch database and config */

struct route {
	const char	*method;
	const char	*path;
	route_handler	 handler;
	const char	*name;		/* log name, never holds user data */
	int		 flags;
};

/*
 * router_match: the route for method and path.  Returns the route, or
 * NULL; *path_known is set when the path exists under another method.
 */
const struct route	*router_match(const char *method, struct str path,
			    int *path_known);

#endif
