/*
 * worker.c -- the worker loop (fastcgi.md §1.4, §2.2).
 *
 * Signals: our handlers go in before FCGX_Init (so libfcgi leaves them
 * alone), and the signals that matter here (QUIT, TERM, INT, USR1) stay
 * blocked except while the worker waits for a connection in epoll_pwait().
 * libfcgi therefore never sees EINTR: not in accept, not in its AF_UNIX
 * readiness check, not while reading a request.  A graceful stop (SIGQUIT,
 * SIGTERM, or the master dying: PDEATHSIG) arriving mid-request waits
 * until the reply is sent, then ends the loop.  The listening socket is
 * non-blocking and watched with EPOLLEXCLUSIVE, so one idle worker wakes
 * per connection; one that loses the race to accept() just waits again.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include "api.h"
#include "body.h"
#include "arena.h"
#include "branch.h"
#include "branchcfg.h"
#include "config.h"
#include "fcgi.h"
#include "log.h"
#include "origin.h"
#include "ratelimit.h"
#include "request.h"
#include "router.h"
#include "worker.h"

static volatile sig_atomic_t	 quit;
static volatile sig_atomic_t	 reopen;
static sigset_t			 waitmask;	/* what epoll_pwait unblocks */

static void
on_quit(int sig)
{
	(void)sig;
	quit = 1;
}

static void
on_usr1(int sig)
{
	(void)sig;
	reopen = 1;
}

static int
install_signals(void)
{
	struct sigaction	 sa;
	sigset_t		 none;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_quit;
	if (sigaction(SIGQUIT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		return (-1);
	sa.sa_handler = on_usr1;
	if (sigaction(SIGUSR1, &sa, NULL) == -1)
		return (-1);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1)
		return (-1);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	sigaddset(&none, SIGQUIT);
	sigaddset(&none, SIGTERM);
	sigaddset(&none, SIGINT);
	sigaddset(&none, SIGUSR1);
	if (sigprocmask(SIG_SETMASK, &none, &waitmask) == -1)
		return (-1);
	sigemptyset(&waitmask);
	return (0);
}

/*
 * Wait until the listening socket has a connection or a signal arrives.
 * Returns 1 when accept() may succeed, 0 after a signal, -1 on error.
 */
static int
wait_for_connection(int ep)
{
	struct epoll_event	 ev;
	int			 n;

	n = epoll_pwait(ep, &ev, 1, -1, &waitmask);
	if (n == -1)
		return (errno == EINTR ? 0 : -1);
	return (n > 0);
}

static int
setup_listen_wait(int listen_fd)
{
	struct epoll_event	 ev;
	int			 ep, fl;

	fl = fcntl(listen_fd, F_GETFL);
	if (fl == -1 || fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return (-1);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return (-1);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev) == -1) {
		close(ep);
		return (-1);
	}
	return (ep);
}

/* answer one request; the reply is left on r */
static void
handle(struct worker_ctx *w, struct request *r)
{
	const struct route	*rt;
	int			 known;

	if (r->body_error == 413) {
		r->route_name = "-";
		reply_error(r, 413, "PAYLOAD_TOO_LARGE",
		    "Request body is too large");
		return;
	}
	if (r->body_error) {
		r->route_name = "-";
		reply_error(r, 400, "BAD_REQUEST", "Invalid request body");
		return;
	}
	if (w->cfg->status_enabled &&
	    str_eq_c(r->path, w->cfg->status_path)) {
		r->route_name = "status";
		scoreboard_request_begin(w->slot, "status", 6);
		if (strcmp(r->method, "GET") == 0)
			api_status_page(r);
		else
			reply_empty(r, 404);
		return;
	}
	r->branch = branch_resolve(r->host, r->path, &r->route);
	/* the JWKS at the host root, when the host names one branch */
	if (r->branch == NULL && str_eq_c(r->path, "/.well-known/jwks.json") &&
	    (r->branch = branch_host_only(r->host)) != NULL)
		r->route = r->path;
	if (r->branch == NULL) {
		r->route_name = "-";
		reply_error(r, 404, "BRANCH_NOT_FOUND",
		    "No auth service is configured at this address");
		return;
	}
	/* the path must continue the base path with '/' (protocol.md §0.4) */
	if (r->route.len == 0 || memmem(r->route.p, r->route.len, "//",
	    2) != NULL) {
		r->route_name = "-";
		reply_empty(r, 404);
		return;
	}
	rt = router_match(r->method, r->route, &known);
	if (rt == NULL && strcmp(r->method, "OPTIONS") == 0 && known) {
		/* CORS preflight for a known path (neon.md §13) */
		r->route_name = "preflight";
		if (branchcfg_acquire(r) == -1)
			return;
		cors_preflight(r);
		return;
	}
	if (rt == NULL) {
		r->route_name = known ? "wrong-method" : "unknown";
		reply_empty(r, 404);
		return;
	}
	r->route_name = rt->name;
	scoreboard_request_begin(w->slot, rt->name, strlen(rt->name));
	if (!(rt->flags & ROUTE_DB)) {
		cors_headers(r);
		rt->handler(r);
		return;
	}
	if (branchcfg_acquire(r) == -1)
		return;
	cors_headers(r);
	if (ratelimit_guard(r, w->rl) == -1)
		return;
	if (strcmp(r->method, "GET") != 0) {
		if (body_parse(r, rt->flags & ROUTE_FORM_OK, &r->json) == -1)
			return;
		if (origin_check(r, r->json) == -1)
			return;
	}
	rt->handler(r);
}

/* headers every reply gets once the handler is done */
static void
finish_headers(struct request *r)
{
	if (r->expose != NULL)
		reply_header_add(r, "Access-Control-Expose-Headers", r->expose);
}

int
worker_main(const struct config *cfg, struct scoreboard *sb,
    struct ratelimit *rl, int slot, int listen_fd)
{
	struct worker_ctx	 w;
	struct arena		 arena;
	struct request		 r;
	pid_t			 ppid = getppid();
	unsigned int		 seed;
	int			 ep, rc;

	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	w.sb = sb;
	w.rl = rl;
	w.slot = &sb->slots[slot];
	w.listen_fd = listen_fd;
	seed = (unsigned int)getpid() ^ (unsigned int)scoreboard_now_ms();
	w.max_requests = (unsigned long)cfg->max_requests;
	if (w.max_requests > 0 && cfg->max_requests_jitter > 0)
		w.max_requests += (unsigned long)rand_r(&seed) %
		    ((unsigned long)cfg->max_requests_jitter + 1);

	if (install_signals() == -1) {
		log_warn("worker: sigaction");
		return (NEON_AUTHD_EX_FATAL);
	}
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		log_warn("worker: prctl(PR_SET_PDEATHSIG)");
	if (getppid() != ppid)	/* master died before prctl */
		return (0);
	if (branch_map_init(cfg) == -1)
		return (NEON_AUTHD_EX_FATAL);
	if (fcgi_init(listen_fd) == -1)
		return (NEON_AUTHD_EX_FATAL);
	if ((ep = setup_listen_wait(listen_fd)) == -1) {
		log_warn("worker: epoll on the listening socket");
		return (NEON_AUTHD_EX_FATAL);
	}
	/* behind our own web server: X-Forwarded-For only from a proxy */
	ratelimit_set_xff_mode(RATELIMIT_XFF_PRIVATE);
	if (branchcfg_worker_init(cfg->db_max_branches, cfg->db_connect_timeout,
	    cfg->db_statement_timeout, cfg->config_ttl) == -1)
		return (NEON_AUTHD_EX_FATAL);

	arena_init(&arena, 32 * 1024);
	w.slot->heartbeat_ms = scoreboard_now_ms();
	__atomic_store_n(&w.slot->state, SLOT_IDLE, __ATOMIC_RELEASE);

	while (!quit) {
		if (reopen) {
			reopen = 0;
			log_reopen();
		}
		if ((rc = wait_for_connection(ep)) == -1) {
			log_warn("worker: epoll_pwait");
			break;
		}
		if (rc == 0)
			continue;	/* a signal: look at the flags again */
		arena_reset(&arena);
		memset(&r, 0, sizeof(r));
		r.a = &arena;
		r.w = &w;
		if ((rc = fcgi_accept(&r, cfg->body_max)) == 1)
			continue;	/* another worker took it */
		if (rc == -1)
			break;
		r.start_ms = scoreboard_now_ms();
		scoreboard_request_begin(w.slot, "-", 1);
		handle(&w, &r);
		finish_headers(&r);
		if (fcgi_send(&r) == -1)
			log_info("route=%s client went away", r.route_name);
		fcgi_finish(&r);
		scoreboard_request_end(sb, w.slot);
		log_info("method=%s route=%s status=%d dur_ms=%lld",
		    r.method, r.route_name ? r.route_name : "-", r.status,
		    (long long)(scoreboard_now_ms() - r.start_ms));
		w.served++;
		if (w.max_requests > 0 && w.served >= w.max_requests)
			break;
	}
	__atomic_store_n(&w.slot->state, SLOT_EXITING, __ATOMIC_RELEASE);
	close(ep);
	arena_free(&arena);
	branchcfg_worker_free();
	branch_map_free();
	return (0);
}
