/*
 * router.h -- the one list of endpoint groups and the dispatcher that runs
 * Better Auth's request pipeline (protocol.md §0.4) for every route.
 *
 * The route is the request path below the branch's base path, taken from
 * the raw REQUEST_URI.  Matching is exact (no trailing-slash folding, no
 * "//"), as Better Auth's router does.
 */
#ifndef NEON_AUTHD_ROUTER_H
#define NEON_AUTHD_ROUTER_H

#include "api/route.h"
#include "http/request.h"

/*
 * router_match: the row for method and path among every group's routes.
 * Returns the row, or NULL; *path_known is set when the path exists under
 * another method.  *group (when not NULL) is the row's group.
 */
const struct route	*router_match(const char *method, struct str path,
			    int *path_known, const struct api_group **group);

/*
 * router_resolve: the branch and the route of r; fills r->branch,
 * r->route, r->rt and r->route_name.  Returns 1 when a route matched and
 * router_run must follow, 0 when the reply is already set (unknown branch,
 * unknown route, preflight, bad body framing).
 */
int			 router_resolve(struct request *r);

/* router_run: the rest of the pipeline and the handler of r->rt. */
void			 router_run(struct request *r);

/*
 * router_each: call fn for every row of every group (the OpenAPI
 * document, the tests); stops when fn returns non-zero.
 */
int			 router_each(int (*fn)(const struct api_group *g,
			    const struct route *rt, void *arg), void *arg);

/*
 * router_register_settings: register every group's own settings with
 * http/branchcfg (once, at start, before any configuration is read or
 * checked).  0, or -1 when the table is full.
 */
int			 router_register_settings(void);

#endif
