/*
 * store_webhook.c -- the webhook outbox and webhook_config (see
 * store_webhook.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/store_webhook.h"

int
store_webhook_queue(struct db_conn *c, struct arena *a, const char *id,
    const char *auth_url, const char *event_type, const char *payload)
{
	static const char sql[] = "INSERT INTO neon_auth.webhook_outbox"
	    " (id, auth_url, event_type, payload) VALUES ($1::uuid, $2, $3,"
	    " $4)";
	const char	*p[4] = { id, auth_url, event_type, payload };

	return (db_exec(c, a, "webhook_queue", sql, 4, p) == NULL ? -1 : 1);
}

int
store_webhook_due(struct db_conn *c, struct arena *a, const char *auth_url,
    int max, struct store_webhook_row **rows)
{
	static const char sql[] = "SELECT id::text, event_type, payload,"
	    " attempts FROM neon_auth.webhook_outbox WHERE auth_url = $1"
	    " AND delivered_at IS NULL AND failed_at IS NULL"
	    " AND next_at <= now() ORDER BY next_at, created_at"
	    " LIMIT $2::integer";
	struct db_result	*res;
	char			 lim[16];
	const char		*p[2];
	int			 i, n;

	(void)snprintf(lim, sizeof(lim), "%d", max);
	p[0] = auth_url;
	p[1] = lim;
	if ((res = db_exec(c, a, "webhook_due", sql, 2, p)) == NULL)
		return (-1);
	n = db_ntuples(res);
	*rows = arena_alloc(a, sizeof(**rows) * (size_t)(n ? n : 1));
	for (i = 0; i < n; i++) {
		(*rows)[i].id = db_getstr(res, i, 0).p;
		(*rows)[i].event_type = db_getstr(res, i, 1).p;
		(*rows)[i].payload = db_getstr(res, i, 2).p;
		(*rows)[i].attempts = (int)strtol(db_getstr(res, i, 3).p,
		    NULL, 10);
	}
	return (n);
}

int
store_webhook_done(struct db_conn *c, struct arena *a, const char *id,
    int ok, const char *error, int retry_s)
{
	static const char sql[] = "UPDATE neon_auth.webhook_outbox SET"
	    " attempts = attempts + 1, last_error = $2,"
	    " delivered_at = CASE WHEN $3 = 'ok' THEN now() END,"
	    " failed_at = CASE WHEN $3 = 'gone' THEN now() END,"
	    " next_at = now() + make_interval(secs => $4::integer)"
	    " WHERE id = $1::uuid";
	struct db_result	*res;
	char			 secs[16];
	const char		*p[4];

	(void)snprintf(secs, sizeof(secs), "%d", retry_s < 0 ? 0 : retry_s);
	p[0] = id;
	p[1] = ok ? NULL : error;
	p[2] = ok ? "ok" : retry_s < 0 ? "gone" : "retry";
	p[3] = secs;
	if ((res = db_exec(c, a, "webhook_done", sql, 4, p)) == NULL)
		return (-1);
	return (db_cmd_tuples(res) > 0 ? 1 : 0);
}

int64_t
store_webhook_pending(struct db_conn *c, struct arena *a,
    const char *auth_url)
{
	static const char sql[] = "SELECT count(*) FROM"
	    " neon_auth.webhook_outbox WHERE auth_url = $1"
	    " AND delivered_at IS NULL AND failed_at IS NULL";
	struct db_result	*res;
	const char		*p[1] = { auth_url };

	if ((res = db_exec(c, a, "webhook_pending", sql, 1, p)) == NULL)
		return (-1);
	return (strtoll(db_getstr(res, 0, 0).p, NULL, 10));
}
