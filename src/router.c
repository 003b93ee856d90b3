/*
 * router.c -- the route table (see router.h).
 */
#include <string.h>

#include "api.h"
#include "router.h"

static const struct route routes[] = {
	{ "GET",  "/ok",		api_ok,		"ok",		0 },
	{ "GET",  "/error",		api_error_page,	"error",	0 },
	{ "GET",  "/debug/sleep",	api_debug_sleep, "debug/sleep",	0 },
	{ NULL, NULL, NULL, NULL, 0 }
};

const struct route *
router_match(const char *method, struct str path, int *path_known)
{
	const struct route	*rt;
	size_t			 n;

	*path_known = 0;
	for (rt = routes; rt->path != NULL; rt++) {
		n = strlen(rt->path);
		if (rt->flags & ROUTE_PREFIX) {
			if (path.len <= n || memcmp(path.p, rt->path, n) != 0 ||
			    memchr(path.p + n, '/', path.len - n) != NULL)
				continue;
		} else if (path.len != n || memcmp(path.p, rt->path, n) != 0)
			continue;
		*path_known = 1;
		if (strcmp(method, rt->method) == 0)
			return (rt);
	}
	return (NULL);
}
