/*
 * store_webhook.h -- neon_auth.webhook_outbox, the queue of non-blocking
 * webhook events (sql/010_webhooks.sql).
 */
#ifndef NEON_AUTHD_STORE_WEBHOOK_H
#define NEON_AUTHD_STORE_WEBHOOK_H

#include <stdint.h>

#include "lib/arena.h"

struct db_conn;

struct store_webhook_row {
	const char	*id;		/* also the envelope's event_id */
	const char	*event_type;
	const char	*payload;	/* the envelope, JSON text */
	int		 attempts;
};

/*
 * store_webhook_queue: one event for auth_url, in the caller's
 * transaction when one is open.  1, or -1 (db_last_error).
 */
int	 store_webhook_queue(struct db_conn *c, struct arena *a,
	    const char *id, const char *auth_url, const char *event_type,
	    const char *payload);
/*
 * store_webhook_due: up to max rows of auth_url whose next attempt is
 * due, oldest first; *rows in a.  The count, or -1.
 */
int	 store_webhook_due(struct db_conn *c, struct arena *a,
	    const char *auth_url, int max, struct store_webhook_row **rows);
/*
 * store_webhook_done: the outcome of an attempt on row id: delivered
 * (ok), or failed with error and retried after retry_s seconds, or given
 * up (retry_s < 0).  1, 0 (no such row), -1.
 */
int	 store_webhook_done(struct db_conn *c, struct arena *a,
	    const char *id, int ok, const char *error, int retry_s);
/* store_webhook_pending: rows of auth_url not yet delivered nor given up. */
int64_t	 store_webhook_pending(struct db_conn *c, struct arena *a,
	    const char *auth_url);

#endif
