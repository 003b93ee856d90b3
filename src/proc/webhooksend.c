/*
 * webhooksend.c -- the webhook sender process (see webhooksend.h).
 *
 * Lines name the branch, the event and its id, never the URL, the
 * payload or the receiver's reply.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <json-c/json.h>

#include "auth/webhook.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "lib/arena.h"
#include "lib/config.h"
#include "lib/log.h"
#include "proc/webhooksend.h"
#include "store/db.h"
#include "store/store_webhook.h"

static volatile sig_atomic_t	 quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

int
webhooksend_retry_s(int n)
{
	static const int	 waits[] = { 10, 30, 60, 300, 900, 3600 };

	if (n < 1)
		n = 1;
	if (n > (int)(sizeof(waits) / sizeof(waits[0])))
		n = (int)(sizeof(waits) / sizeof(waits[0]));
	return (waits[n - 1]);
}

/* one attempt on one row */
static void
deliver_row(struct db_conn *db, struct arena *a, const struct branch *b,
    const struct config *cfg, const struct branchcfg *bc,
    const struct store_webhook_row *row)
{
	struct webhook_target	 t;
	struct webhook_result	 res;
	json_object		*wc = NULL;
	int			 retry;

	memset(&t, 0, sizeof(t));
	if (bc->row != NULL)
		json_object_object_get_ex(bc->row, "webhook_config", &wc);
	if (!webhook_config_target(wc, row->event_type, &t)) {
		log_info("branch %s: webhook %s id=%s dropped: the branch no "
		    "longer subscribes", b->name, row->event_type, row->id);
		(void)store_webhook_done(db, a, row->id, 0, "not subscribed",
		    -1);
		return;
	}
	t.branch_name = b->name;
	t.key_url = b->key_url;
	t.secrets = &cfg->secrets;
	t.jwt_alg = bc->jwt_alg;
	t.jwt_ttl = bc->jwt_ttl;
	t.allow_loopback = cfg->webhook_allow_loopback;
	t.attempts_before = row->attempts;
	if (webhook_deliver(db, a, &t, row->event_type, row->id,
	    row->payload, 1, (int64_t)t.timeout_s * 1000, &res) == 0) {
		log_info("branch %s: webhook %s id=%s delivered status=%ld "
		    "attempt=%d", b->name, row->event_type, row->id,
		    res.status, row->attempts + 1);
		(void)store_webhook_done(db, a, row->id, 1, NULL, 0);
		return;
	}
	retry = res.retryable && row->attempts + 1 < WEBHOOKSEND_ATTEMPTS ?
	    webhooksend_retry_s(row->attempts + 1) : -1;
	log_warnx("branch %s: webhook %s id=%s attempt %d failed: %s "
	    "status=%ld%s", b->name, row->event_type, row->id,
	    row->attempts + 1, res.why ? res.why : "-", res.status,
	    retry < 0 ? ", given up" : "");
	(void)store_webhook_done(db, a, row->id, 0, res.status ?
	    arena_printf(a, "HTTP %ld", res.status) : res.why, retry);
}

/* the due rows of one branch */
static void
branch_pass(struct db_pool *pool, struct arena *a, const struct branch *b,
    const struct config *cfg)
{
	struct store_webhook_row	*rows;
	struct branchcfg		 bc;
	struct db_target		 t;
	struct db_conn			*db;
	json_object			*row;
	int				 n, i, err;

	/* through a pooler as the workers go (no session state left behind) */
	t.conninfo = b->conninfo;
	t.listen_conninfo = NULL;
	t.pooled = b->pooled;
	if ((db = db_pool_open(pool, b->name, &t, &err)) == NULL)
		return;
	n = store_webhook_due(db, a, b->auth_url, WEBHOOKSEND_BATCH, &rows);
	if (n <= 0)
		return;	/* none, or no outbox yet (not migrated) */
	if ((row = branchcfg_load(db, a)) == NULL)
		return;
	memset(&bc, 0, sizeof(bc));
	branchcfg_parse(&bc, row);
	for (i = 0; i < n && !quit; i++)
		deliver_row(db, a, b, cfg, &bc, &rows[i]);
}

int
webhooksend_main(const struct config *cfg)
{
	struct sigaction	 sa;
	struct db_pool		*pool;
	struct arena		 a;
	struct branch		*b;
	sigset_t		 none;
	int			 i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		log_warn("webhook sender: prctl(PR_SET_PDEATHSIG)");
	if (branch_map_init(cfg) == -1)
		return (1);
	if ((pool = db_pool_new(cfg->nbranches > 0 ? cfg->nbranches : 1,
	    cfg->db_connect_timeout, cfg->db_statement_timeout)) == NULL)
		return (1);
	arena_init(&a, 32 * 1024);
	log_debug("webhook sender: %d branches", cfg->nbranches);
	while (!quit) {
		for (i = 0; i < cfg->nbranches && !quit; i++) {
			if ((b = branch_by_name(cfg->branches[i].name)) ==
			    NULL)
				continue;
			branch_pass(pool, &a, b, cfg);
			arena_reset(&a);
		}
		if (!quit)
			(void)poll(NULL, 0, WEBHOOKSEND_POLL_MS);
	}
	db_pool_free(pool);
	arena_free(&a);
	branch_map_free();
	return (0);
}
