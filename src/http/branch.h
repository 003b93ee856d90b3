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

#include <stdint.h>

#include "lib/arena.h"

struct config;

struct branch {
	char	*name;		/* config name, or "<branch>/<database>"
				   with only the fields the connection
				   string uses, lower case */
	char	*auth_url;	/* "https://h.example.com/neondb/auth" */
	char	*origin;	/* "https://h.example.com" */
	char	*host;		/* "h.example.com" or "h:8080", lower case */
	char	*base_path;	/* "/neondb/auth" or "" */
	char	*conninfo;
	/*
	 * The Auth URL its signing keys belong to (store_jwks.h): auth_url,
	 * or for a templated branch the template's with the fields the
	 * connection string does not use left as placeholders, so that every
	 * Host label of one database shares one key set.
	 */
	char	*key_url;
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
/*
 * branch_reserved_db: 1 for PostgreSQL's own databases (postgres,
 * template0, template1) and NULL, which a template never serves.
 */
int		 branch_reserved_db(const char *db);
/* branch_count / branch_at: iterate over the listed branches. */
int		 branch_count(void);
struct branch	*branch_at(int i);
/*
 * branch_host_only: the single branch whose Auth URL host is host (for
 * host-root paths such as /.well-known/jwks.json), or NULL when none or
 * several.
 */
struct branch	*branch_host_only(const char *host);

/*
 * branch_shared_init: map the daemon-wide page of unreachable databases
 * (call in the master before forking; without it the functions below
 * cache nothing and throttle nothing).  0, or -1 (logged).
 */
int		 branch_shared_init(void);
/*
 * branch_down_wait: 1 while b's database failed to connect within its
 * backoff (100 ms, doubled per failure up to 1 s): answer 503 without
 * trying; else 0.
 */
int		 branch_down_wait(const struct branch *b);
/* branch_down_note: a connection attempt to b's database failed (1)
   or succeeded (0: the backoff is forgotten). */
void		 branch_down_note(const struct branch *b, int failed);
/*
 * branch_log_allow: 1 when a database-failure line may be logged (at
 * most 10 a second daemon-wide), else 0.  *suppressed gets the number of
 * lines dropped in the last window when a new one opens (say so once).
 */
int		 branch_log_allow(int *suppressed);

#endif
