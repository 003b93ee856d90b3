/*
 * error.h -- the one table of error replies (http/errors.def) and the
 * one place that renders them.
 *
 * Every step of the request pipeline and every handler returns an enum
 * err: ERR_NONE when the reply is set (or nothing went wrong), otherwise
 * the row of the table to answer with.  The dispatcher renders it
 * (reply_err); nothing else writes an error body.
 */
#ifndef NEON_AUTHD_ERROR_H
#define NEON_AUTHD_ERROR_H

struct db_conn;
struct request;

enum err {
	ERR_NONE = 0,
#define ERR(name, status, code, message)	ERR_##name,
#include "http/errors.def"
#undef ERR
	ERR__COUNT
};

struct err_info {
	const char	*name;		/* the C name without ERR_ */
	int		 status;
	const char	*code;		/* NULL: a message-only body */
	const char	*message;	/* NULL with code NULL: empty body */
};

/* err_info: the table row of e (ERR_NONE and out-of-range: NULL). */
const struct err_info	*err_info(enum err e);

/*
 * err_msg: e with another message than the table's (Better Auth builds
 * some texts: "<field> is not allowed to be set", validation issues).
 * The text lives in the request arena until the reply is sent.
 */
enum err	 err_msg(struct request *r, enum err e, const char *message);
/*
 * err_msg_code: e with another code and message (a webhook subscriber's
 * own, user.before_create); NULL keeps the row's.
 */
enum err	 err_msg_code(struct request *r, enum err e, const char *code,
		    const char *message);

/*
 * err_db: the error for a failed statement on c: DATABASE_UNAVAILABLE or
 * SCHEMA_NOT_READY when the connection says so, else `otherwise` (what
 * the endpoint answers when its query failed).  Logs the cause, never a
 * parameter.
 */
enum err	 err_db(struct request *r, struct db_conn *c, enum err otherwise);

/*
 * reply_err: set the reply for e: its status and the protocol's body
 * {"message":...,"code":...} (message-only or empty as the row says).
 * A message set by err_msg replaces the row's.
 */
void		 reply_err(struct request *r, enum err e);

#endif
