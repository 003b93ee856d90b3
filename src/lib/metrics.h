/*
 * metrics.h -- counters shared by every process of the pool: requests by
 * route and status, request-duration histograms by route, database errors
 * and reconnects by branch, worker exits by cause, rate-limit denials,
 * password-hash gate waits, slow requests.
 *
 * The counters live in one struct metrics_shm inside the master's shared
 * scoreboard mapping (proc/scoreboard.c maps it before the first fork and
 * calls metrics_attach), so each layer can count without knowing the
 * process model: the store counts database events, the http layer
 * rate-limit denials, lib the hash gate, the worker requests, the master
 * exits.  Without a mapping (the CLI, unit tests) every call is a no-op.
 *
 * Updates are relaxed atomic adds.  Route and branch rows are claimed
 * once with a compare-and-swap and never freed: names are bounded
 * (route names come from the route tables; branches past
 * METRICS_BRANCHES_MAX, e.g. thousands of templated ones, count under
 * METRICS_OTHER).  Readers (the status page) see each counter exactly;
 * a histogram is read bucket by bucket, so its _count is the sum of the
 * buckets read.
 */
#ifndef NEON_AUTHD_METRICS_H
#define NEON_AUTHD_METRICS_H

#include <stdint.h>

#define METRICS_ROUTES_MAX	160
#define METRICS_NAME_MAX	64
#define METRICS_STATUSES_MAX	16
#define METRICS_BRANCHES_MAX	128
#define METRICS_OTHER		"_other"	/* the overflow row's name */
#define METRICS_BUCKETS		14	/* the last one is +Inf */

/* upper bounds of the duration buckets, in microseconds (last: +Inf) */
extern const int64_t	 metrics_bucket_us[METRICS_BUCKETS];

enum metrics_db_event {
	METRICS_DB_UNAVAILABLE = 0,	/* connect failed, link lost, timeout */
	METRICS_DB_QUERY,		/* a statement failed */
	METRICS_DB_SCHEMA,		/* neon_auth missing or behind */
	METRICS_DB_RECONNECT,		/* a broken connection revived */
	METRICS_DB_CONNECT,		/* a new connection */
	METRICS_DB__N
};

enum metrics_exit {
	METRICS_EXIT_MAX_REQUESTS = 0,	/* recycled after max_requests */
	METRICS_EXIT_RELOAD,		/* retired by a reload */
	METRICS_EXIT_SHUTDOWN,		/* drained at shutdown */
	METRICS_EXIT_TIMEOUT,		/* killed by the hard request timeout */
	METRICS_EXIT_SIGNAL,		/* died on a signal (crash, kill) */
	METRICS_EXIT_ERROR,		/* exited with a non-zero status */
	METRICS_EXIT__N
};

enum metrics_counter {
	METRICS_RL_DENIED = 0,		/* requests answered 429 */
	METRICS_HASH_WAITS,		/* hashes that waited for a slot */
	METRICS_HASH_WAIT_US,		/* time spent waiting, us */
	METRICS_SLOW_REQUESTS,		/* requests over pool.slow_request */
	METRICS__N
};

struct metrics_status {
	volatile int		 code;		/* 0: free */
	volatile uint64_t	 n;
};

struct metrics_route {
	volatile int		 state;		/* 0 free, 1 claiming, 2 ready */
	char			 name[METRICS_NAME_MAX];
	struct metrics_status	 status[METRICS_STATUSES_MAX];
	volatile uint64_t	 bucket[METRICS_BUCKETS];
	volatile uint64_t	 sum_us;
};

struct metrics_branch {
	volatile int		 state;
	char			 name[METRICS_NAME_MAX];
	volatile uint64_t	 ev[METRICS_DB__N];
};

struct metrics_shm {
	volatile uint64_t	 counter[METRICS__N];
	volatile uint64_t	 exits[METRICS_EXIT__N];
	struct metrics_route	 routes[METRICS_ROUTES_MAX];
	struct metrics_branch	 branches[METRICS_BRANCHES_MAX];
};

/* metrics_attach: count into m from now on (NULL: stop counting). */
void		 metrics_attach(struct metrics_shm *m);
/* metrics_shm: the attached counters, NULL when none. */
struct metrics_shm *metrics_shm(void);

/* metrics_request: one answered request of route with status, in dur_us. */
void		 metrics_request(const char *route, int status,
		    int64_t dur_us);
/* metrics_db: a database event of branch (NULL: METRICS_OTHER). */
void		 metrics_db(const char *branch, enum metrics_db_event ev);
/* metrics_add: add n to a pool-wide counter. */
void		 metrics_add(enum metrics_counter c, uint64_t n);
/* metrics_exit: one worker exit of the given cause (the master). */
void		 metrics_exit(enum metrics_exit cause);
/* metrics_exit_name: "max_requests", "reload", ... */
const char	*metrics_exit_name(enum metrics_exit cause);
/* metrics_db_event_name: "unavailable", "query", ... */
const char	*metrics_db_event_name(enum metrics_db_event ev);

/* metrics_load: an atomic read of one counter. */
uint64_t	 metrics_load(const volatile uint64_t *p);

#endif
