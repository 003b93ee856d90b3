/*
 * scoreboard.h -- shared-memory slots, one per worker, written by the
 * worker and read by the master (hard timeouts, status) and by any worker
 * (the status endpoint).
 *
 * Created with mmap(MAP_SHARED|MAP_ANONYMOUS) before the first fork.  Each
 * slot has exactly one writer at a time (the worker that owns it, or the
 * master when it hands the slot to a new worker), so plain stores with
 * relaxed atomics are enough.  The pool's counters (lib/metrics.h) live in
 * the same mapping.
 */
#ifndef NEON_AUTHD_SCOREBOARD_H
#define NEON_AUTHD_SCOREBOARD_H

#include <stdint.h>
#include <sys/types.h>

#include "lib/metrics.h"

#define SCOREBOARD_MAX_SLOTS	512	/* 2 * max pool size: room to roll */
#define SCOREBOARD_ROUTE_MAX	48

enum slot_state {
	SLOT_FREE = 0,
	SLOT_STARTING,
	SLOT_IDLE,
	SLOT_BUSY,
	SLOT_EXITING,
};

struct scoreboard_slot {
	volatile pid_t		 pid;
	volatile int		 state;
	volatile unsigned	 generation;
	volatile uint64_t	 requests;
	volatile int64_t	 started_ms;	/* worker birth, monotonic */
	volatile int64_t	 req_start_ms;	/* 0 when idle */
	volatile int64_t	 heartbeat_ms;
	char			 route[SCOREBOARD_ROUTE_MAX];
};

/*
 * The mail sender's counters (proc/mailer.c writes them, the status page
 * reads them): messages waiting, retrying, and the sent/failed records
 * the spool keeps (mail.keep_days).
 */
struct scoreboard_mail {
	volatile pid_t		 pid;		/* 0: no mail sender */
	volatile int64_t	 started_ms;	/* monotonic */
	volatile uint32_t	 queued;	/* never tried yet */
	volatile uint32_t	 retrying;	/* tried, waiting to retry */
	volatile uint32_t	 sending;	/* deliveries in progress */
	volatile uint64_t	 sent;
	volatile uint64_t	 failed;
	char			 last_error[200];
};

struct scoreboard {
	pid_t			 master_pid;
	int64_t			 master_start_ms;	/* monotonic */
	int64_t			 master_start_wall;	/* unix seconds */
	int64_t			 master_start_wall_ms;	/* unix ms */
	volatile unsigned	 generation;
	volatile int		 pool_size;
	volatile uint64_t	 requests_total;
	struct scoreboard_slot	 slots[SCOREBOARD_MAX_SLOTS];
	struct metrics_shm	 metrics;
	struct scoreboard_mail	 mail;
};

/*
 * scoreboard_create: map a zeroed scoreboard and count the pool's metrics
 * into it (metrics_attach); NULL on failure (logged).
 */
struct scoreboard	*scoreboard_create(void);
/* scoreboard_slot_claim: a free slot index for a new worker, or -1. */
int			 scoreboard_slot_claim(struct scoreboard *sb);
/* scoreboard_request_begin/end: the worker marks its slot busy/idle. */
void			 scoreboard_request_begin(struct scoreboard_slot *s,
			    const char *route, size_t routelen);
void			 scoreboard_request_end(struct scoreboard *sb,
			    struct scoreboard_slot *s);
/* scoreboard_state_name: "idle", "busy", ... */
const char		*scoreboard_state_name(int state);

#endif
