/*
 * worker.c -- the worker loop (fastcgi.md §1.4, §2.2).
 *
 * Signals: our handlers go in before FCGX_Init (so libfcgi leaves them
 * alone), and the signals that matter here (QUIT, TERM, INT, USR1) stay
 * blocked except while the worker sits in its own blocking accept() on
 * the shared listening socket (fastcgi.md §2.2).  The connection is then
 * handed to libfcgi, which never sees EINTR: not while reading a request,
 * not while writing the reply.  Idle workers block in accept() and the
 * kernel hands connections to them in turn (FIFO).  A graceful stop
 * (SIGQUIT, SIGTERM, or the master dying: PDEATHSIG) arriving mid-request
 * waits until the reply is sent; arriving in accept() it interrupts it,
 * and the handler also dup2()s an unbound socket over the listening fd so
 * that a signal landing just before accept() cannot be missed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <unistd.h>

#include "api/router.h"
#include "lib/arena.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/clientip.h"
#include "lib/config.h"
#include "lib/crypto.h"
#include "http/fcgi.h"
#include "lib/log.h"
#include "http/ratelimit.h"
#include "http/request.h"
#include "lib/metrics.h"
#include "proc/listen.h"
#include "proc/status.h"
#include "proc/worker.h"
#include "lib/clock.h"
#include "store/db.h"

#define REQUEST_ID_MAX	128	/* an incoming X-Request-Id, kept */

static volatile sig_atomic_t	 quit;
static volatile sig_atomic_t	 reopen;
static sigset_t			 blocked;	/* outside accept() */
static int			 wlisten_fd = -1;
static int			 listen_tcp;	/* set TCP_NODELAY on connections */
static volatile sig_atomic_t	 read_fd = -1;	/* the connection being read */
static volatile sig_atomic_t	 read_expired;
static int64_t			 refused_logged_ms;

static void
on_quit(int sig)
{
	int	 saved = errno, fd;

	(void)sig;
	quit = 1;
	/* a later accept() on this fd fails at once (EINVAL) */
	if (wlisten_fd != -1 &&
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		dup2(fd, wlisten_fd);
		close(fd);
	}
	errno = saved;
}

/*
 * The request's read deadline: end the read side of the connection, so
 * libfcgi's next or current read sees the end (or EINTR) and gives up.
 */
static void
on_alarm(int sig)
{
	int	 saved = errno;

	(void)sig;
	read_expired = 1;
	if (read_fd >= 0)
		(void)shutdown(read_fd, SHUT_RD);
	errno = saved;
}

/* arm (ms > 0) or disarm (0) the read deadline */
static void
read_deadline(int fd, int64_t ms)
{
	struct itimerval	 it;

	memset(&it, 0, sizeof(it));
	if (ms > 0) {
		read_expired = 0;
		read_fd = fd;
		it.it_value.tv_sec = (time_t)(ms / 1000);
		it.it_value.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	} else
		read_fd = -1;
	(void)setitimer(ITIMER_REAL, &it, NULL);
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

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* accept() returns EINTR: the loop looks */
	sa.sa_handler = on_quit;
	if (sigaction(SIGQUIT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		return (-1);
	sa.sa_handler = on_usr1;
	if (sigaction(SIGUSR1, &sa, NULL) == -1)
		return (-1);
	sa.sa_handler = on_alarm;	/* no SA_RESTART: reads see EINTR */
	if (sigaction(SIGALRM, &sa, NULL) == -1)
		return (-1);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1)
		return (-1);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGQUIT);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGUSR1);
	return (sigprocmask(SIG_SETMASK, &blocked, NULL));
}

/*
 * Accept the next connection, with the worker's signals deliverable only
 * here.  Returns the connection, or -1 (look at the flags, then call
 * again; quit set means stop).
 */
static int
accept_connection(int listen_fd)
{
	sigset_t		 none;
	struct sockaddr_storage	 peer;
	socklen_t		 plen = sizeof(peer);
	int			 fd, one = 1, saved;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fd = quit ? -1 : accept4(listen_fd, (struct sockaddr *)&peer, &plen,
	    SOCK_CLOEXEC);
	saved = errno;
	sigprocmask(SIG_SETMASK, &blocked, NULL);
	if (fd == -1) {
		if (!quit && saved != EINTR && saved != EAGAIN &&
		    saved != ECONNABORTED && saved != EPROTO) {
			errno = saved;
			log_warn("worker: accept");
			/* do not spin on a persistent error */
			usleep(100000);
		}
		return (-1);
	}
	/* listen.allow: only the web servers may send FastCGI parameters */
	if (!listen_peer_allowed((struct sockaddr *)&peer, plen)) {
		int64_t	 now = clock_mono_ms();
		char	 host[INET6_ADDRSTRLEN] = "?";

		if (now - refused_logged_ms >= 1000) {
			if (peer.ss_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)
				    &peer)->sin_addr, host, sizeof(host));
			else if (peer.ss_family == AF_INET6)
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)
				    &peer)->sin6_addr, host, sizeof(host));
			log_warnx("worker: connection from %s refused: not in "
			    "listen.allow", host);
			refused_logged_ms = now;
		}
		close(fd);
		return (-1);
	}
	/* no replies wait on our small writes: disable Nagle on TCP */
	if (listen_tcp)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	return (fd);
}

/*
 * pool.ip_limit: requests per client IP per 10 s, daemon-wide, before
 * anything touches a database (a storm at dead or unknown databases
 * costs no connection attempt).  Loopback clients (health checks,
 * server-side rendering on the host) are not counted.  0 when denied
 * (the 429 is on r).
 */
static int
ip_allowed(struct worker_ctx *w, struct request *r)
{
	char	 ip[INET6_ADDRSTRLEN + 8], key[INET6_ADDRSTRLEN + 16];
	char	 retry[16];
	int	 retry_s;

	if (w->cfg->ip_limit <= 0 || w->rl == NULL || r->branch == NULL)
		return (1);
	if (ratelimit_client_ip(r, ip, sizeof(ip)) == 0 &&
	    (strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 ||
	    strcmp(ip, "::/64") == 0))
		return (1);
	snprintf(key, sizeof(key), "ip|%s", ip);
	if (ratelimit_hit(w->rl, key, 10, w->cfg->ip_limit, clock_mono_ms(),
	    &retry_s))
		return (1);
	metrics_add(METRICS_RL_DENIED, 1);
	snprintf(retry, sizeof(retry), "%d", retry_s);
	reply_header_add(r, "X-Retry-After", retry);
	reply_err(r, ERR_TOO_MANY_REQUESTS);
	return (0);
}

/* answer one request; the reply is left on r */
static void
handle(struct worker_ctx *w, struct request *r)
{
	const struct status_ctx	 sc = { w->cfg, w->sb, w->rl, w->listen_fd };

	if (status_serve(r, &sc))
		return;
	if (!router_resolve(r))
		return;
	if (!ip_allowed(w, r))
		return;
	{
		/* the route's name; the request's clock still runs from accept */
		int64_t	 t0 = w->slot->req_start_ms;

		scoreboard_request_begin(w->slot, r->route_name,
		    strlen(r->route_name));
		if (t0 > 0)
			w->slot->req_start_ms = t0;
	}
	router_run(r);
}

/* headers every reply gets once the handler is done */
static void
finish_headers(struct request *r)
{
	if (r->expose != NULL)
		reply_header_add(r, "Access-Control-Expose-Headers", r->expose);
	reply_header_add(r, "X-Request-Id", r->request_id);
}

/*
 * The request's id: a trusted proxy's X-Request-Id when it is a sane
 * token (printable ASCII, no blank, quote or backslash, at most
 * REQUEST_ID_MAX bytes), else ours: 32 hex digits, a per-worker random
 * prefix and a counter.
 */
static const char *
request_id(struct request *r, uint64_t prefix, uint64_t *counter)
{
	const char	*in = request_header(r, "HTTP_X_REQUEST_ID");
	const char	*p;

	if (in != NULL && *in != '\0' && strlen(in) <= REQUEST_ID_MAX &&
	    clientip_peer_trusted(r)) {
		for (p = in; *p; p++)
			if (*p <= 0x20 || *p >= 0x7f || *p == '"' ||
			    *p == '\\')
				break;
		if (*p == '\0')
			return (arena_strdup(r->a, in));
	}
	{
		static const char	 hex[] = "0123456789abcdef";
		char			*id = arena_alloc(r->a, 33);
		uint64_t		 v[2] = { prefix, ++*counter };
		int			 i;

		/* "%016llx%016llx" by hand: printf was a hot-path cost */
		for (i = 0; i < 32; i++)
			id[i] = hex[(v[i / 16] >> (60 - 4 * (i % 16))) & 0xf];
		id[32] = '\0';
		return (id);
	}
}

/* the access line, the slow-request line, the metrics of one request */
static void
account(struct worker_ctx *w, struct request *r, int64_t start_us,
    const char *client)
{
	int64_t		 dur_us = clock_mono_us() - start_us, db_us;
	int		 db_n;
	const char	*route = r->route_name ? r->route_name : "-";
	const char	*branch = r->branch ? r->branch->name : NULL;

	db_stats(&db_us, &db_n);
	metrics_request(route, r->status, dur_us);
	if (log_enabled(LOG_LVL_INFO)) {
		const struct log_field f[] = {
			LOG_STR("method", r->method),
			LOG_STR("route", route),
			LOG_NUM("status", r->status),
			LOG_STR("branch", branch),
			LOG_MS("dur_ms", dur_us),
			LOG_MS("db_ms", db_us),
			LOG_STR("client", client),
			LOG_STR("request_id", r->request_id),
		};

		log_kv(LOG_LVL_INFO, "access", NULL, f,
		    (int)(sizeof(f) / sizeof(f[0])));
	}
	if (w->cfg->slow_request_ms > 0 &&
	    dur_us >= (int64_t)w->cfg->slow_request_ms * 1000) {
		const struct log_field f[] = {
			LOG_STR("method", r->method),
			LOG_STR("route", route),
			LOG_NUM("status", r->status),
			LOG_STR("branch", branch),
			LOG_MS("dur_ms", dur_us),
			LOG_MS("db_ms", db_us),
			LOG_NUM("db_statements", db_n),
			LOG_STR("request_id", r->request_id),
		};

		metrics_add(METRICS_SLOW_REQUESTS, 1);
		log_kv(LOG_LVL_WARN, "slow_request", "slow request", f,
		    (int)(sizeof(f) / sizeof(f[0])));
	}
}

int
worker_main(const struct config *cfg, struct scoreboard *sb,
    struct ratelimit *rl, int slot, int listen_fd)
{
	struct worker_ctx	 w;
	struct request_env	 env;
	struct arena		 arena;
	struct request		 r;
	pid_t			 ppid = getppid();
	unsigned int		 seed;
	uint64_t		 id_prefix = 0, id_counter = 0;
	const char		*client;
	int64_t			 start_us;
	int			 conn, rc, fl;

	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	w.sb = sb;
	w.rl = rl;
	w.slot = &sb->slots[slot];
	w.listen_fd = listen_fd;
	wlisten_fd = listen_fd;
	seed = (unsigned int)getpid() ^ (unsigned int)clock_mono_ms();
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
	/* checked by config_load: it cannot fail here */
	if (clientip_configure((const char *const *)cfg->trusted_proxies,
	    NULL) == -1)
		return (NEON_AUTHD_EX_FATAL);
	if (listen_allow_set(cfg->listen_allow) == -1)
		return (NEON_AUTHD_EX_FATAL);
	if (fcgi_init() == -1)
		return (NEON_AUTHD_EX_FATAL);
	{
		struct sockaddr_storage	 ss;
		socklen_t		 sl = sizeof(ss);

		listen_tcp = getsockname(listen_fd, (struct sockaddr *)&ss,
		    &sl) == 0 && (ss.ss_family == AF_INET ||
		    ss.ss_family == AF_INET6);
	}
	/* scrypt's 32 MiB buffer, fetched algorithms: once per worker */
	if (crypto_init() == -1)
		return (NEON_AUTHD_EX_FATAL);
	if (crypto_random_bytes(&id_prefix, sizeof(id_prefix)) == -1)
		id_prefix = (uint64_t)getpid() << 32 ^ (uint64_t)seed;
	/* idle workers block in accept(): the socket must be blocking */
	if ((fl = fcntl(listen_fd, F_GETFL)) != -1 && (fl & O_NONBLOCK))
		(void)fcntl(listen_fd, F_SETFL, fl & ~O_NONBLOCK);
	memset(&env, 0, sizeof(env));
	env.secret = cfg->secret;
	env.secrets = &cfg->secrets;
	env.rl = rl;
	env.testing_sleep = cfg->testing_sleep;
	env.mail = &cfg->mail;
	env.webhook_allow_loopback = cfg->webhook_allow_loopback;
	if (branchcfg_worker_init(cfg->db_max_branches, cfg->db_connect_timeout,
	    cfg->db_statement_timeout, cfg->config_ttl) == -1)
		return (NEON_AUTHD_EX_FATAL);
	branchcfg_worker_idle(cfg->db_idle_timeout);

	arena_init(&arena, 32 * 1024);
	w.slot->heartbeat_ms = clock_mono_ms();
	__atomic_store_n(&w.slot->state, SLOT_IDLE, __ATOMIC_RELEASE);

	while (!quit) {
		if (reopen) {
			reopen = 0;
			log_reopen();
		}
		if ((conn = accept_connection(listen_fd)) == -1)
			continue;	/* a signal or a dropped connection */
		/*
		 * Busy from accept: the hard timeout sees a request whose
		 * parameters or body are still coming, and the read itself
		 * has a deadline (three quarters of request_timeout).
		 */
		start_us = clock_mono_us();
		scoreboard_request_begin(w.slot, "-", 1);
		arena_reset(&arena);
		memset(&r, 0, sizeof(r));
		r.a = &arena;
		r.env = &env;
		r.start_ms = clock_mono_ms();
		read_deadline(conn, (int64_t)cfg->request_timeout * 750);
		rc = fcgi_accept(&r, conn, cfg->body_max);
		read_deadline(conn, 0);
		if (read_expired && (rc == 1 || r.body_error != 0))
			log_info("worker: request not received within %lldms "
			    "of accept: %s", (long long)(clock_mono_us() -
			    start_us) / 1000, rc == 1 ? "connection closed" :
			    "answered 400");
		if (rc == 1) {
			/* closed before sending a request: idle again */
			w.slot->req_start_ms = 0;
			w.slot->heartbeat_ms = clock_mono_ms();
			__atomic_store_n(&w.slot->state, SLOT_IDLE,
			    __ATOMIC_RELEASE);
			continue;
		}
		if (rc == -1)
			break;
		db_stats_reset();
		r.request_id = request_id(&r, id_prefix, &id_counter);
		handle(&w, &r);
		finish_headers(&r);
		/* the parameters go with fcgi_finish: read them before */
		client = clientip_str(&r);
		if (fcgi_send(&r) == -1)
			log_info("route=%s client went away", r.route_name);
		fcgi_finish(&r);
		scoreboard_request_end(sb, w.slot);
		account(&w, &r, start_us, client);
		w.served++;
		if (w.max_requests > 0 && w.served >= w.max_requests)
			break;
	}
	__atomic_store_n(&w.slot->state, SLOT_EXITING, __ATOMIC_RELEASE);
	arena_free(&arena);
	branchcfg_worker_free();
	branch_map_free();
	return (0);
}
