/*
 * status.h -- the status page and the metrics page (README "Status and
 * metrics"), served by whichever worker receives the request, before any
 * branch is looked at.
 *
 *   GET <status.path>                       JSON
 *   GET <status.path>?format=openmetrics    OpenMetrics 1.0 text
 *   GET <status.path>?format=prometheus     Prometheus text 0.0.4
 *   GET <status.metrics_path>               Prometheus text 0.0.4, or
 *                                           OpenMetrics when the Accept
 *                                           header asks for it
 * and, with ?expired on either, the expired rows of every listed branch
 * (a query on each, so only when asked).
 */
#ifndef NEON_AUTHD_STATUS_H
#define NEON_AUTHD_STATUS_H

#include <stdint.h>

#include "http/request.h"

struct config;
struct ratelimit;
struct scoreboard;

struct status_ctx {
	const struct config	*cfg;
	const struct scoreboard	*sb;
	const struct ratelimit	*rl;
	int			 listen_fd;
};

/*
 * A gauge another module reports (the mail queue, the webhook queue):
 * fn fills *value and returns 0, or returns -1 when it has nothing to
 * report, and the metric is then left out (never a made-up zero).  Rows
 * are listed in status.c's status_gauges[].
 */
struct status_gauge {
	const char	*name;		/* "neon_authd_mail_queue_length" */
	const char	*help;
	int		(*fn)(int64_t *value);
};

/*
 * status_serve: when r's path is the status or the metrics path (and the
 * status endpoint is enabled), answer it and return 1 (GET only, else
 * 404); otherwise 0 and r is untouched.
 */
int	 status_serve(struct request *r, const struct status_ctx *c);

#endif
