/*
 * error.c -- the error table and its renderer (see error.h).
 */
#include <stddef.h>

#include "http/error.h"
#include "http/request.h"
#include "lib/json.h"
#include "lib/log.h"
#include "store/db.h"

static const struct err_info	 table[ERR__COUNT] = {
	[ERR_NONE] = { "NONE", 200, NULL, NULL },
#define ERR(name, status, code, message) \
	[ERR_##name] = { #name, status, code, message },
#include "http/errors.def"
#undef ERR
};

const struct err_info *
err_info(enum err e)
{
	if (e <= ERR_NONE || e >= ERR__COUNT)
		return (NULL);
	return (&table[e]);
}

enum err
err_msg(struct request *r, enum err e, const char *message)
{
	r->err_message = message;
	return (e);
}

enum err
err_msg_code(struct request *r, enum err e, const char *code,
    const char *message)
{
	r->err_message = message;
	r->err_code = code;
	return (e);
}

enum err
err_db(struct request *r, struct db_conn *c, enum err otherwise)
{
	const struct db_error	*e = db_last_error(c);

	switch (e->kind) {
	case DB_ERR_UNAVAILABLE:
		log_warnx("route=%s database unavailable: %s",
		    r->route_name ? r->route_name : "-", e->message);
		return (ERR_DATABASE_UNAVAILABLE);
	case DB_ERR_SCHEMA:
		log_err("route=%s neon_auth schema problem (%s): %s",
		    r->route_name ? r->route_name : "-", e->sqlstate,
		    e->message);
		return (ERR_SCHEMA_NOT_READY);
	default:
		log_err("route=%s query failed (%s): %s",
		    r->route_name ? r->route_name : "-", e->sqlstate,
		    e->message);
		return (otherwise);
	}
}

void
reply_err(struct request *r, enum err e)
{
	const struct err_info	*i = err_info(e);
	const char		*msg, *code;
	struct jbuf		 b;

	if (i == NULL)
		i = &table[ERR_INTERNAL_EMPTY];
	msg = r->err_message != NULL ? r->err_message : i->message;
	code = r->err_code != NULL ? r->err_code : i->code;
	r->err_message = NULL;
	r->err_code = NULL;
	if (code == NULL && msg == NULL) {
		reply_raw(r, i->status, "application/json", "", 0);
		return;
	}
	jb_init(&b, r->a, 128);
	jb_lit(&b, "{\"message\":");
	jb_str(&b, msg);
	if (code != NULL) {
		jb_lit(&b, ",\"code\":");
		jb_str(&b, code);
	}
	jb_lit(&b, "}");
	reply_json_str(r, i->status, jb_done(&b));
}
