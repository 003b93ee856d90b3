/*
 * cli_routes.h -- `neon-authd routes`: the route table as the router serves it.
 */
#ifndef NEON_AUTHD_CLI_ROUTES_H
#define NEON_AUTHD_CLI_ROUTES_H

struct config;

/* cli_routes: print every route row (--json: an array); exit status. */
int	 cli_routes(struct config *c, int argc, char **argv);

#endif
