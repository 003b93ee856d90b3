/*
 * route.h -- the unit of extension: a route row carries its policy, and an
 * endpoint group (one Better Auth plugin or core group, one api_<group>.c)
 * exports its rows.
 *
 * The dispatcher (router.c) runs Better Auth's pipeline (protocol.md §0.4)
 * for every row in the same order: branch config, CORS, rate limit (the
 * row's rule), body (the row's media types), origin check, the row's input
 * parser (zod: 400 before 401), the row's session need, the form-CSRF
 * check, the handler.  A handler only does its own work.
 */
#ifndef NEON_AUTHD_ROUTE_H
#define NEON_AUTHD_ROUTE_H

#include "http/error.h"
#include "http/request.h"

struct branchcfg;
struct settings_group;

/* which session the row needs before its handler (protocol.md §1.0.1) */
enum route_session {
	SESS_NONE = 0,		/* the handler reads it if it wants */
	SESS_OPTIONAL,		/* loaded when present: r->auth or NULL */
	SESS_REQUIRED,		/* sessionMiddleware: 401 without */
	SESS_SENSITIVE,		/* sensitiveSessionMiddleware: no cookie cache */
	SESS_FRESH,		/* freshSessionMiddleware: 403 when not fresh */
};

/* the row's rate-limit rule (protocol.md §7); 0/0 = the branch's own */
struct route_limit {
	int	 window;	/* seconds */
	int	 max;
};
#define RL_BRANCH	{ 0, 0 }
#define RL_STRICT	{ 10, 3 }	/* sign-in, sign-up, change-password/email */
#define RL_MAIL		{ 60, 3 }	/* sends mail or checks a code */
#define RL_MAGIC	{ 60, 5 }	/* the magic-link plugin's rule */

#define ROUTE_DB	0x01	/* needs the branch database and config */
#define ROUTE_FORM	0x02	/* accepts application/x-www-form-urlencoded */
#define ROUTE_PREFIX	0x04	/* path is a prefix: "/callback/" + one segment */
#define ROUTE_CSRF	0x08	/* formCsrfMiddleware (protocol.md §6.3) */
#define ROUTE_HOST_ROOT	0x10	/* also at the host root when the host names
				   one branch (/.well-known/jwks.json) */
#define ROUTE_HTML	0x20	/* the reply is an HTML page (OpenAPI doc) */

/*
 * An input parser validates the body and query (zod's messages, through
 * http/body.h) and leaves what the handler needs in *in (arena memory).
 * The handler answers; both return ERR_NONE or the error to render.
 */
typedef enum err	(*route_parse)(struct request *r, void **in);
typedef enum err	(*route_handler)(struct request *r, void *in);

struct route {
	const char		*method;
	const char		*path;
	const char		*name;		/* logs, scoreboard: no user data */
	route_parse		 parse;		/* NULL: no input */
	route_handler		 handler;
	enum route_session	 session;
	struct route_limit	 limit;
	unsigned		 flags;
	/*
	 * The JSON Schema of the 200 reply for the OpenAPI document, as
	 * JSON text ("$ref" may name #/components/schemas/User, Session,
	 * Error); NULL: an object.  The request side is described by the
	 * parser itself (http/body.h, describe mode).
	 */
	const char		*response;
};

struct api_group {
	const char		*name;		/* the plugin's name */
	const struct route	*routes;	/* ended by a row with path NULL */
	/* is the group on for this branch? NULL: always (404 when off) */
	int			(*enabled)(const struct branchcfg *c);
	/*
	 * the group's own settings (http/branchcfg.h), registered by
	 * router_register_settings; NULL: none
	 */
	const struct settings_group	*settings;
};

#endif
