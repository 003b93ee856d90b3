/*
 * router.c -- the list of endpoint groups and the request pipeline
 * (see router.h, route.h).
 *
 * Better Auth's order (protocol.md §0.4), for every route alike:
 *   branch -> route -> preflight -> branch config -> group on? -> CORS
 *   -> rate limit -> body -> origin check -> input (zod) -> session
 *   -> form CSRF -> handler -> error rendering.
 */
#include <string.h>

#include "api/router.h"
#include "auth/session.h"
#include "http/body.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/origin.h"
#include "http/ratelimit.h"

#define GROUP(sym)	extern const struct api_group sym;
#include "api/groups.def"
#undef GROUP

static const struct api_group *const groups[] = {
#define GROUP(sym)	&sym,
#include "api/groups.def"
#undef GROUP
	NULL
};

static int
row_matches(const struct route *rt, struct str path)
{
	size_t	 n = strlen(rt->path);

	if (rt->flags & ROUTE_PREFIX)
		return (path.len > n && memcmp(path.p, rt->path, n) == 0 &&
		    memchr(path.p + n, '/', path.len - n) == NULL);
	return (path.len == n && memcmp(path.p, rt->path, n) == 0);
}

const struct route *
router_match(const char *method, struct str path, int *path_known,
    const struct api_group **group)
{
	const struct api_group *const	*g;
	const struct route		*rt;

	*path_known = 0;
	for (g = groups; *g != NULL; g++)
		for (rt = (*g)->routes; rt->path != NULL; rt++) {
			if (!row_matches(rt, path))
				continue;
			*path_known = 1;
			if (strcmp(method, rt->method) == 0) {
				if (group != NULL)
					*group = *g;
				return (rt);
			}
		}
	return (NULL);
}

int
router_each(int (*fn)(const struct api_group *, const struct route *, void *),
    void *arg)
{
	const struct api_group *const	*g;
	const struct route		*rt;
	int				 rc;

	for (g = groups; *g != NULL; g++)
		for (rt = (*g)->routes; rt->path != NULL; rt++)
			if ((rc = fn(*g, rt, arg)) != 0)
				return (rc);
	return (0);
}

int
router_register_settings(void)
{
	const struct api_group *const	*g;

	for (g = groups; *g != NULL; g++)
		if ((*g)->settings != NULL &&
		    branchcfg_register((*g)->settings) == -1)
			return (-1);
	return (0);
}

/* the host-root alias of a row (ROUTE_HOST_ROOT), when path names one */
static const struct route *
host_root_row(const char *method, struct str path)
{
	const struct route	*rt;
	int			 known;

	rt = router_match(method, path, &known, NULL);
	return (rt != NULL && (rt->flags & ROUTE_HOST_ROOT) ? rt : NULL);
}

int
router_resolve(struct request *r)
{
	const struct route	*rt;
	enum err		 e;
	int			 known;

	r->route_name = "-";
	if (r->body_error) {
		reply_err(r, r->body_error == 413 ? ERR_PAYLOAD_TOO_LARGE :
		    ERR_BAD_REQUEST_BODY);
		return (0);
	}
	r->branch = branch_resolve(r->host, r->path, &r->route);
	if (r->branch == NULL && host_root_row(r->method, r->path) != NULL &&
	    (r->branch = branch_host_only(r->host)) != NULL)
		r->route = r->path;
	if (r->branch == NULL) {
		reply_err(r, ERR_BRANCH_NOT_FOUND);
		return (0);
	}
	/* the path must continue the base path with '/' (protocol.md §0.4) */
	if (r->route.len == 0 || memmem(r->route.p, r->route.len, "//",
	    2) != NULL) {
		reply_empty(r, 404);
		return (0);
	}
	rt = router_match(r->method, r->route, &known, &r->group);
	if (rt == NULL && strcmp(r->method, "OPTIONS") == 0) {
		/*
		 * CORS preflight (neon.md §13) for any path under the base
		 * path, so that a cross-origin app reads the real answer
		 * (a 404 included) instead of an opaque CORS failure.
		 */
		r->route_name = "preflight";
		if ((e = branchcfg_acquire(r)) != ERR_NONE)
			reply_err(r, e);
		else
			cors_preflight(r);
		return (0);
	}
	if (rt == NULL) {
		/* Better Auth's router 404: empty body, no Content-Type */
		r->route_name = known ? "wrong-method" : "unknown";
		reply_empty(r, 404);
		/* with the CORS headers a trusted origin needs to read it */
		if (branchcfg_acquire(r) == ERR_NONE)
			cors_headers(r);
		return (0);
	}
	r->rt = rt;
	r->route_name = rt->name;
	return (1);
}

static const int	 session_flags[] = {
	[SESS_NONE] = 0,
	[SESS_OPTIONAL] = 0,
	[SESS_REQUIRED] = 0,
	[SESS_SENSITIVE] = SESSION_SENSITIVE,
	[SESS_FRESH] = SESSION_FRESH,
};

/* the pipeline of a row that needs the branch: ERR_NONE or the error */
static enum err
run_db_route(struct request *r, const struct route *rt)
{
	struct auth	*a;
	void		*in = NULL;
	enum err	 e;
	int		 found;

	if ((e = branchcfg_acquire(r)) != ERR_NONE)
		return (e);
	cors_headers(r);
	if (r->group != NULL && r->group->enabled != NULL &&
	    !r->group->enabled(r->bcfg)) {
		reply_empty(r, 404);
		return (ERR_NONE);
	}
	if ((e = ratelimit_guard(r, r->env->rl, rt->limit.window,
	    rt->limit.max)) != ERR_NONE)
		return (e);
	if (strcmp(r->method, "GET") != 0) {
		if ((e = body_parse(r, rt->flags & ROUTE_FORM, &r->json)) !=
		    ERR_NONE)
			return (e);
		if ((e = origin_check(r, r->json)) != ERR_NONE)
			return (e);
	}
	if (rt->parse != NULL && (e = rt->parse(r, &in)) != ERR_NONE)
		return (e);
	if (rt->session != SESS_NONE) {
		a = arena_alloc(r->a, sizeof(*a));
		if (rt->session == SESS_OPTIONAL) {
			if ((e = session_load(r, 0, a, &found)) != ERR_NONE)
				return (e);
			r->auth = found ? a : NULL;
		} else {
			if ((e = session_require(r, session_flags[rt->session],
			    a)) != ERR_NONE)
				return (e);
			r->auth = a;
		}
	}
	if ((rt->flags & ROUTE_CSRF) && (e = origin_form_csrf(r)) != ERR_NONE)
		return (e);
	return (rt->handler(r, in));
}

void
router_run(struct request *r)
{
	const struct route	*rt = r->rt;
	void			*in = NULL;
	enum err		 e;

	if (rt->flags & ROUTE_DB) {
		e = run_db_route(r, rt);
		/* this worker's own changes apply before it answers */
		branchcfg_settle(r);
	} else {
		cors_headers(r);
		e = rt->parse != NULL ? rt->parse(r, &in) : ERR_NONE;
		if (e == ERR_NONE)
			e = rt->handler(r, in);
	}
	if (e != ERR_NONE)
		reply_err(r, e);
}
