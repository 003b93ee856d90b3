/*
 * branch.h -- the branch map: which database and Auth URL serve a request.
 *
 * A branch is one database with a neon_auth schema, served at one Auth
 * URL (origin + base path).  Branches are listed in the config file, or
 * derived from the request by the branch_template.  Branch objects live
 * as long as the worker (templated ones in a bounded cache).
 */
#ifndef NEON_AUTHD_BRANCH_H
#define NEON_AUTHD_BRANCH_H

#include "lib/arena.h"

struct config;

struct branch {
	char	*name;		/* config name, or "<branch>/<database>" */
	char	*auth_url;	/* "https://h.example.com/neondb/auth" */
	char	*origin;	/* "https://h.example.com" */
	char	*host;		/* "h.example.com" or "h:8080", lower case */
	char	*base_path;	/* "/neondb/auth" or "" */
	char	*conninfo;
	int	 secure;	/* auth_url is https */
	int	 templated;
	int	 pooled;	/* a transaction pooler in between */
	char	*listen_conninfo;	/* direct, for LISTEN; NULL: none */
};

/* branch_map_init: build the listed branches from cfg. 0, or -1 (logged). */
int		 branch_map_init(const struct config *cfg);
/* branch_map_free: release everything. */
void		 branch_map_free(void);
/*
 * branch_resolve: the branch serving (host, path), or NULL.  On success
 * *route is the part of path below the base path (starts with '/', or is
 * empty when path equals the base path).
 */
struct branch	*branch_resolve(const char *host, struct str path,
		    struct str *route);
/* branch_by_name: a listed branch by name, or NULL. */
struct branch	*branch_by_name(const char *name);
/*
 * branch_template_named: the branch the branch_template gives the name
 * "<branch>/<database>" (the name the server logs), or "<database>" /
 * "<branch>" when the template uses only that field; NULL when there is
 * no template or the name does not fit it.  Lives until branch_map_free.
 */
struct branch	*branch_template_named(const char *name);
/* branch_count / branch_at: iterate over the listed branches. */
int		 branch_count(void);
struct branch	*branch_at(int i);
/*
 * branch_host_only: the single branch whose Auth URL host is host (for
 * host-root paths such as /.well-known/jwks.json), or NULL when none or
 * several.
 */
struct branch	*branch_host_only(const char *host);

#endif
