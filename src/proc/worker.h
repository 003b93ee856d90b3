/*
 * worker.h -- the worker process: accept, route, handle, reply, repeat.
 *
 * Nothing crosses fork() but the listening fd, the configuration and the
 * shared scoreboard; connections and caches are made here.
 */
#ifndef NEON_AUTHD_WORKER_H
#define NEON_AUTHD_WORKER_H

#include "proc/scoreboard.h"

struct config;
struct ratelimit;

struct worker_ctx {
	const struct config	*cfg;
	struct scoreboard	*sb;
	struct scoreboard_slot	*slot;
	int			 listen_fd;
	struct ratelimit	*rl;
	unsigned long		 served;
	unsigned long		 max_requests;	/* with jitter; 0 = never */
};

#define NEON_AUTHD_EX_FATAL 2	/* worker init failed: back off */

/* worker_main: run a worker until told to stop; returns the exit status. */
int	 worker_main(const struct config *cfg, struct scoreboard *sb,
	    struct ratelimit *rl, int slot, int listen_fd);

#endif
