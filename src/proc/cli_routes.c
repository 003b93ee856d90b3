/*
 * cli_routes.c -- `neon-authd routes [--json]`: every route row of every
 * endpoint group, with its policy (session need, rate-limit rule, flags),
 * from the same table the router matches.  No database is touched.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "api/router.h"
#include "proc/cli_routes.h"

static const char *const session_names[] = {
	[SESS_NONE] = "none",
	[SESS_OPTIONAL] = "optional",
	[SESS_REQUIRED] = "required",
	[SESS_SENSITIVE] = "sensitive",
	[SESS_FRESH] = "fresh",
};

static int
print_row(const struct api_group *g, const struct route *rt, void *arg)
{
	json_object	*list = arg, *o;
	char		 limit[32];

	if (rt->limit.window == 0)
		snprintf(limit, sizeof(limit), "branch");
	else
		snprintf(limit, sizeof(limit), "%d/%ds", rt->limit.max,
		    rt->limit.window);
	if (list == NULL) {
		printf("%-6s %-40s %-20s %-9s %-7s%s%s%s\n", rt->method,
		    rt->path, g->name, session_names[rt->session], limit,
		    (rt->flags & ROUTE_PREFIX) ? " prefix" : "",
		    (rt->flags & ROUTE_FORM) ? " form" : "",
		    (rt->flags & ROUTE_HOST_ROOT) ? " host-root" : "");
		return (0);
	}
	o = json_object_new_object();
	json_object_object_add(o, "method", json_object_new_string(rt->method));
	json_object_object_add(o, "path", json_object_new_string(rt->path));
	json_object_object_add(o, "name", json_object_new_string(rt->name));
	json_object_object_add(o, "group", json_object_new_string(g->name));
	json_object_object_add(o, "session",
	    json_object_new_string(session_names[rt->session]));
	json_object_object_add(o, "rate_limit", json_object_new_string(limit));
	json_object_object_add(o, "prefix",
	    json_object_new_boolean(rt->flags & ROUTE_PREFIX));
	json_object_object_add(o, "database",
	    json_object_new_boolean(rt->flags & ROUTE_DB));
	json_object_array_add(list, o);
	return (0);
}

int
cli_routes(struct config *c, int argc, char **argv)
{
	json_object	*list = NULL;

	(void)c;
	if (argc > 1 || (argc == 1 && strcmp(argv[0], "--json") != 0)) {
		fprintf(stderr, "usage: neon-authd routes [--json]\n");
		return (64);
	}
	if (argc == 1)
		list = json_object_new_array();
	(void)router_each(print_row, list);
	if (list != NULL) {
		printf("%s\n", json_object_to_json_string_ext(list,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(list);
	}
	return (0);
}
