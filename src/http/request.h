/*
 * request.h -- one HTTP request as the handlers see it, and the reply
 * they build.  Everything hangs off the per-request arena; fcgi.c fills
 * the request and writes the reply, handlers never see libfcgi.
 */
#ifndef NEON_AUTHD_REQUEST_H
#define NEON_AUTHD_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/arena.h"

struct auth;
struct crypto_secrets;
struct branch;
struct branchcfg;
struct db_conn;
struct ratelimit;
struct api_group;
struct config_mail;
struct route;

/*
 * What the process lends every request: set up once per worker, read by
 * the layers that need the server's own state (cookies and keys need the
 * secret, the guards the shared rate-limit table).
 */
struct request_env {
	const char		*secret;	/* the newest secret: signs */
	/* every secret, newest first: verify and decrypt */
	const struct crypto_secrets *secrets;
	struct ratelimit	*rl;		/* shared table, NULL: no limits */
	int			 testing_sleep;	/* GET /debug/sleep is on */
	const struct config_mail *mail;	/* spool and default transport */
	int			 webhook_allow_loopback; /* webhooks.* */
};

struct reply_header {
	struct reply_header	*next;
	const char		*name;
	const char		*value;
};

struct request {
	struct arena			*a;
	const struct request_env	*env;
	void				*transport;	/* fcgi.c's handle */
	int64_t				 start_ms;

	/* from the web server: the FastCGI parameters, "NAME=value", NULL-ended */
	char *const	*params;
	const char	*method;
	struct str	 uri;		/* raw REQUEST_URI */
	struct str	 path;		/* uri up to '?' */
	struct str	 query;		/* after '?', may be empty */
	const char	*host;		/* HTTP_HOST, or SERVER_NAME */
	const char	*scheme;	/* "https" when HTTPS=on, else "http" */
	const char	*content_type;
	const char	*remote_addr;

	/* body, already read and capped */
	struct str	 body;
	int		 body_error;	/* 0, 413 or 400 */

	/* routing */
	struct branch	*branch;
	struct str	 route;		/* path below the branch base, "/ok" */
	const char	*route_name;	/* for logs and the scoreboard */
	const char	*request_id;	/* logs and X-Request-Id */
	const struct route	*rt;	/* the matched route row */
	const struct api_group	*group;	/* and its endpoint group */
	struct db_conn		*db;	/* set by branchcfg_acquire */
	const struct branchcfg	*bcfg;

	json_object	*json;		/* parsed body, NULL when none */
	int		 json_null;	/* the body was JSON null */
	struct auth	*auth;		/* the caller's session, when loaded */
	int		 via_bearer;	/* session came from Authorization */
	const char	*expose;	/* Access-Control-Expose-Headers list */
	const char	*err_message;	/* err_msg(): replaces the row's text */
	const char	*err_code;	/* err_msg_code(): and its code */
	json_object	*describe;	/* non-NULL: run a parser to describe
					   its input (a JSON Schema object the
					   v_* calls fill), not to validate */

	/* reply */
	int			 status;
	struct reply_header	*headers, *headers_tail;
	const char		*reply_body;
	size_t			 reply_len;
};

/*
 * request_header: an HTTP request header by its CGI name
 * ("HTTP_COOKIE").  Borrowed pointer valid until the request ends, NULL
 * when absent.
 */
const char	*request_header(struct request *r, const char *cgi_name);

/*
 * request_query: the first value of key in the query string, decoded into
 * the arena, or NULL when absent or not UTF-8 once decoded;
 * request_query_n also counts them.
 */
char		*request_query(struct request *r, const char *key);
char		*request_query_n(struct request *r, const char *key, int *count);

/*
 * reply_header_add: append a header (name and value copied to the arena);
 * a name or value with a control byte (other than tab) is dropped and
 * logged, never sent.
 */
void		 reply_header_add(struct request *r, const char *name,
		    const char *value);
/*
 * reply_header_remove: drop the first reply header called name (any
 * case) whose value starts with value_prefix (NULL: any value).
 */
void		 reply_header_remove(struct request *r, const char *name,
		    const char *value_prefix);
/* reply_expose: add a header name to Access-Control-Expose-Headers. */
void		 reply_expose(struct request *r, const char *name);
/* reply_raw: set status, content type (NULL = none) and body. */
void		 reply_raw(struct request *r, int status, const char *ctype,
		    const char *body, size_t len);
/* reply_json_str: status + a JSON text (already serialised). */
void		 reply_json_str(struct request *r, int status, const char *json);
/* reply_json_obj: status + the serialisation of o, which it frees. */
void		 reply_json_obj(struct request *r, int status, json_object *o);
/* reply_empty: status with an empty body and no content type. */
void		 reply_empty(struct request *r, int status);
/* reply_redirect: 302 with Location and an empty body (protocol.md §0.5). */
void		 reply_redirect(struct request *r, const char *location);
/* reply_reason: the reason phrase for a status. */
const char	*reply_reason(int status);

#endif
