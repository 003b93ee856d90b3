/*
 * master.c -- prefork master (fastcgi.md §1.4).
 *
 * Signals become events through a self-pipe; all work happens in the main
 * loop.  The loop reaps and respawns workers (with exponential backoff
 * when they die right after start), enforces the hard request timeout from
 * the scoreboard, rolls the pool on SIGHUP (new generation up first, then
 * the old one asked to quit, so no request fails), drains on
 * SIGTERM/SIGINT/SIGQUIT, and talks to systemd.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/hashgate.h"
#include "lib/spool.h"
#include "proc/listen.h"
#include "proc/mailer.h"
#include "proc/webhooksend.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "proc/master.h"
#include "http/branch.h"
#include "http/ratelimit.h"
#include "http/revoke.h"
#include "http/sesscache.h"
#include "proc/scoreboard.h"
#include "proc/sdnotify.h"
#include "proc/worker.h"
#include "lib/clock.h"
#include "store/db.h"

#define NEON_AUTHD_RATELIMIT_SLOTS	65536	/* shared rate-limit records */
#define QUICK_DEATH_MS		2000	/* a worker dying sooner counts as a failure */
#define BACKOFF_BASE_MS		100
#define BACKOFF_MAX_MS		30000

struct kid {
	pid_t		 pid;
	unsigned	 generation;
	int64_t		 started_ms;
	int		 retiring;	/* asked to quit (reload, shutdown) */
	int		 timed_out;	/* killed by the hard timeout */
};

static int			 sigpipe_fds[2] = { -1, -1 };
static volatile sig_atomic_t	 got_chld, got_hup, got_term, got_usr1;

static struct config		*cfg;
static struct scoreboard	*sb;
static struct ratelimit		*rl;
static struct kid		 kids[SCOREBOARD_MAX_SLOTS];
static int			 listen_fd = -1;
static struct listen_addr	 laddr;
static int			 laddr_owned;	/* we created the socket */
static unsigned			 generation = 1;
static int			 pid_fd = -1;	/* pid_file, locked */
static char			 pid_path[4096];	/* as locked at start */
static int			 quick_failures;
static int64_t			 next_spawn_ms;

/* the mail sender: one process beside the pool when mail.spool_dir is set */
static pid_t			 mailer_pid;
static int64_t			 mailer_started_ms;
static int64_t			 mailer_next_ms;
static int			 mailer_failures;
static int			 mailer_retiring;

/* the webhook sender: one process when the file lists branches */
static pid_t			 whsend_pid;
static int64_t			 whsend_started_ms;
static int64_t			 whsend_next_ms;

static void
on_signal(int sig)
{
	int	 saved = errno;
	char	 c = (char)sig;

	switch (sig) {
	case SIGCHLD:
		got_chld = 1;
		break;
	case SIGHUP:
		got_hup = 1;
		break;
	case SIGUSR1:
		got_usr1 = 1;
		break;
	default:
		got_term = 1;
		break;
	}
	(void)!write(sigpipe_fds[1], &c, 1);
	errno = saved;
}

static int
install_signals(void)
{
	struct sigaction	 sa;
	int			 sigs[] = { SIGCHLD, SIGHUP, SIGUSR1, SIGTERM,
				    SIGINT, SIGQUIT };
	size_t			 i;

	if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_warn("%s: pipe2", __func__);
		return (-1);
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_signal;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) == -1) {
			log_warn("%s: sigaction", __func__);
			return (-1);
		}
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	return (0);
}

static int
live_kids(int current_only)
{
	int	 i, n = 0;

	for (i = 0; i < SCOREBOARD_MAX_SLOTS; i++)
		if (kids[i].pid > 0 && (!current_only ||
		    (kids[i].generation == generation && !kids[i].retiring)))
			n++;
	return (n);
}

static int
spawn(void)
{
	sigset_t	 all, old;
	pid_t		 pid;
	int		 slot;

	if ((slot = scoreboard_slot_claim(sb)) == -1) {
		log_err("%s: no free scoreboard slot", __func__);
		return (-1);
	}
	sb->slots[slot].generation = generation;
	sb->slots[slot].started_ms = clock_mono_ms();
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == -1) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		log_warn("%s: fork", __func__);
		sb->slots[slot].state = SLOT_FREE;
		return (-1);
	}
	if (pid == 0) {
		struct sigaction	 sa;
		int			 sigs[] = { SIGCHLD, SIGHUP, SIGUSR1,
					    SIGTERM, SIGINT, SIGQUIT };
		size_t			 i;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaction(sigs[i], &sa, NULL);
		close(sigpipe_fds[0]);
		close(sigpipe_fds[1]);
		log_after_fork();
		sdnotify_forget();
		sb->slots[slot].pid = getpid();
		/* worker_main unblocks signals once its handlers are in */
		_exit(worker_main(cfg, sb, rl, slot, listen_fd));
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	sb->slots[slot].pid = pid;
	kids[slot].pid = pid;
	kids[slot].generation = generation;
	kids[slot].started_ms = sb->slots[slot].started_ms;
	kids[slot].retiring = 0;
	kids[slot].timed_out = 0;
	log_debug("worker %d started (generation %u)", (int)pid, generation);
	return (0);
}

/*
 * sender_fork: fork a sender process (the mailer, the webhook sender) with
 * every signal blocked: in the child the master's handlers, its signal
 * pipe and the listening socket are gone (0); in the parent the pid, with
 * the old mask in *old to restore; -1 (logged, mask restored) on failure.
 */
static pid_t
sender_fork(sigset_t *old)
{
	struct sigaction	 sa;
	sigset_t		 all;
	pid_t			 pid;
	int			 sigs[] = { SIGCHLD, SIGHUP, SIGUSR1, SIGTERM,
				    SIGINT, SIGQUIT };
	size_t			 i;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, old);
	if ((pid = fork()) == -1) {
		sigprocmask(SIG_SETMASK, old, NULL);
		log_warn("%s: fork", __func__);
		return (-1);
	}
	if (pid > 0)
		return (pid);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	close(sigpipe_fds[0]);
	close(sigpipe_fds[1]);
	close(listen_fd);
	log_after_fork();
	sdnotify_forget();
	return (0);
}

static void
spawn_mailer(void)
{
	sigset_t	 old;
	pid_t		 pid;

	if (spool_prepare(cfg->mail.spool_dir) == -1) {
		mailer_next_ms = clock_mono_ms() + BACKOFF_MAX_MS;
		return;
	}
	if ((pid = sender_fork(&old)) == -1) {
		mailer_next_ms = clock_mono_ms() + BACKOFF_BASE_MS;
		return;
	}
	/* mailer_main unblocks signals once its handlers are in */
	if (pid == 0)
		_exit(mailer_main(cfg, sb));
	sigprocmask(SIG_SETMASK, &old, NULL);
	mailer_pid = pid;
	mailer_started_ms = clock_mono_ms();
	mailer_retiring = 0;
	log_debug("mail sender %d started", (int)pid);
}

static void
spawn_whsend(void)
{
	sigset_t	 old;
	pid_t		 pid;

	if ((pid = sender_fork(&old)) == -1) {
		whsend_next_ms = clock_mono_ms() + BACKOFF_BASE_MS;
		return;
	}
	if (pid == 0)
		_exit(webhooksend_main(cfg));
	sigprocmask(SIG_SETMASK, &old, NULL);
	whsend_pid = pid;
	whsend_started_ms = clock_mono_ms();
	log_debug("webhook sender %d started", (int)pid);
}

/* the webhook sender ended: started again (later when it died young) */
static void
reaped_whsend(int status, int64_t now)
{
	int	 failure = WIFSIGNALED(status) || WEXITSTATUS(status) != 0;

	log_msg(failure ? LOG_LVL_WARN : LOG_LVL_INFO, "webhook sender %d "
	    "exited %s %d", (int)whsend_pid, WIFSIGNALED(status) ?
	    "on signal" : "with status", WIFSIGNALED(status) ?
	    WTERMSIG(status) : WEXITSTATUS(status));
	whsend_pid = 0;
	whsend_next_ms = now + (failure && now - whsend_started_ms <
	    QUICK_DEATH_MS ? BACKOFF_MAX_MS : 0);
}

/* the mail sender pid ended with status */
static void
reaped_mailer(int status, int shutting_down, int64_t now)
{
	double	 up = (double)(now - mailer_started_ms) / 1000.0;
	int	 failure;

	failure = !mailer_retiring && (WIFSIGNALED(status) ||
	    WEXITSTATUS(status) != 0);
	log_msg(failure ? LOG_LVL_WARN : LOG_LVL_INFO, "mail sender %d "
	    "exited %s %d after %.1fs", (int)mailer_pid, WIFSIGNALED(status) ?
	    "on signal" : "with status", WIFSIGNALED(status) ?
	    WTERMSIG(status) : WEXITSTATUS(status), up);
	memset((void *)&sb->mail, 0, sizeof(sb->mail));
	mailer_pid = 0;
	if (failure && !shutting_down && now - mailer_started_ms <
	    QUICK_DEATH_MS) {
		int64_t	 delay = BACKOFF_BASE_MS;
		int	 k;

		mailer_failures++;
		for (k = 1; k < mailer_failures && delay < BACKOFF_MAX_MS; k++)
			delay *= 2;
		if (delay > BACKOFF_MAX_MS)
			delay = BACKOFF_MAX_MS;
		mailer_next_ms = now + delay;
		log_warnx("mail sender died %.1fs after start (%d in a row): "
		    "next start in %lld ms", up, mailer_failures,
		    (long long)delay);
	} else {
		if (!failure || now - mailer_started_ms >= QUICK_DEATH_MS)
			mailer_failures = 0;
		mailer_next_ms = now;
	}
}

static void
reap(int shutting_down)
{
	pid_t		 pid;
	int		 status, i;
	int64_t		 now = clock_mono_ms();

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		double		 up;
		unsigned long	 served;
		int		 failure;

		if (pid == mailer_pid) {
			reaped_mailer(status, shutting_down, now);
			continue;
		}
		if (pid == whsend_pid) {
			reaped_whsend(status, now);
			continue;
		}
		for (i = 0; i < SCOREBOARD_MAX_SLOTS; i++)
			if (kids[i].pid == pid)
				break;
		if (i == SCOREBOARD_MAX_SLOTS)
			continue;
		up = (double)(now - kids[i].started_ms) / 1000.0;
		served = (unsigned long)sb->slots[i].requests;
		if (WIFSIGNALED(status))
			log_msg(kids[i].retiring || kids[i].timed_out ?
			    LOG_LVL_INFO : LOG_LVL_WARN,
			    "worker %d exited on signal %d%s after %.1fs, "
			    "%lu requests", (int)pid, WTERMSIG(status),
			    WCOREDUMP(status) ? " (core dumped)" : "", up,
			    served);
		else
			log_msg(WEXITSTATUS(status) == 0 ? LOG_LVL_INFO :
			    LOG_LVL_WARN, "worker %d exited with status %d "
			    "after %.1fs, %lu requests", (int)pid,
			    WEXITSTATUS(status), up, served);
		if (kids[i].timed_out)
			metrics_exit(METRICS_EXIT_TIMEOUT);
		else if (kids[i].retiring)
			metrics_exit(shutting_down ? METRICS_EXIT_SHUTDOWN :
			    METRICS_EXIT_RELOAD);
		else if (WIFSIGNALED(status))
			metrics_exit(METRICS_EXIT_SIGNAL);
		else if (WEXITSTATUS(status) != 0)
			metrics_exit(METRICS_EXIT_ERROR);
		else
			metrics_exit(METRICS_EXIT_MAX_REQUESTS);
		failure = !kids[i].retiring && !kids[i].timed_out &&
		    (WIFSIGNALED(status) || WEXITSTATUS(status) != 0) &&
		    now - kids[i].started_ms < QUICK_DEATH_MS;
		if (failure && !shutting_down) {
			int64_t	 delay;

			quick_failures++;
			delay = BACKOFF_BASE_MS;
			for (int k = 1; k < quick_failures &&
			    delay < BACKOFF_MAX_MS; k++)
				delay *= 2;
			if (delay > BACKOFF_MAX_MS)
				delay = BACKOFF_MAX_MS;
			next_spawn_ms = now + delay;
			log_warnx("worker %d died %.1fs after start (%d in a "
			    "row): next start in %lld ms", (int)pid, up,
			    quick_failures, (long long)delay);
			sdnotify_status("workers failing at start; retrying "
			    "in %lld ms", (long long)delay);
		} else if (now - kids[i].started_ms >= QUICK_DEATH_MS ||
		    (!WIFSIGNALED(status) && WEXITSTATUS(status) == 0)) {
			if (quick_failures)
				sdnotify_status("serving with %d workers",
				    cfg->workers);
			quick_failures = 0;
		}
		memset(&kids[i], 0, sizeof(kids[i]));
		memset((void *)&sb->slots[i], 0, sizeof(sb->slots[i]));
	}
}

static void
signal_kids(int sig, int old_generations_only)
{
	int	 i;

	for (i = 0; i < SCOREBOARD_MAX_SLOTS; i++) {
		if (kids[i].pid <= 0)
			continue;
		if (old_generations_only && kids[i].generation == generation)
			continue;
		if (sig == SIGQUIT)
			kids[i].retiring = 1;
		kill(kids[i].pid, sig);
	}
}

static void
check_timeouts(void)
{
	int64_t	 now = clock_mono_ms();
	int64_t	 limit = (int64_t)cfg->request_timeout * 1000;
	int	 i;

	for (i = 0; i < SCOREBOARD_MAX_SLOTS; i++) {
		struct scoreboard_slot	*s = &sb->slots[i];
		int64_t			 start;
		char			 route[SCOREBOARD_ROUTE_MAX];

		if (kids[i].pid <= 0 || kids[i].timed_out ||
		    __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != SLOT_BUSY)
			continue;
		start = s->req_start_ms;
		if (start <= 0 || now - start <= limit)
			continue;
		memcpy(route, s->route, sizeof(route));
		route[sizeof(route) - 1] = '\0';
		log_warnx("worker %d killed: request timeout (%ds) route=%s",
		    (int)kids[i].pid, cfg->request_timeout, route);
		kids[i].timed_out = 1;
		kill(kids[i].pid, SIGKILL);
	}
}

static void
reload(void)
{
	struct config	*ncfg;
	char		 err[1024];

	log_notice("reloading %s", cfg->path);
	sdnotify_reloading();
	ncfg = config_load(cfg->path, err, sizeof(err));
	if (ncfg == NULL) {
		log_err("reload failed, keeping the running configuration: %s",
		    err);
		sdnotify_ready("reload failed; running the old configuration");
		return;
	}
	if (strcmp(ncfg->listen_address, cfg->listen_address) != 0 ||
	    ncfg->listen_mode != cfg->listen_mode)
		log_warnx("listen settings changed: they take effect on "
		    "restart only");
	if (strcmp(ncfg->pid_file, cfg->pid_file) != 0)
		log_warnx("pid_file changed: it takes effect on restart only");
	if (log_setup(ncfg->log_level, ncfg->log_file,
	    ncfg->log_format == CONFIG_LOG_JSON) == -1)
		log_warn("cannot open log file %s", ncfg->log_file);
	/* a new size: the new generation starts on an empty cache */
	if (ncfg->session_cache != cfg->session_cache)
		(void)sesscache_create((size_t)ncfg->session_cache);
	config_free(cfg);
	cfg = ncfg;
	generation++;
	sb->generation = generation;
	sb->pool_size = cfg->workers;
	quick_failures = 0;
	next_spawn_ms = 0;
	(void)hashgate_create(cfg->hash_concurrency, cfg->hash_wait_ms);
	(void)db_conn_cap_create(cfg->db_max_connections);
	/* new generation first, then retire the old one: nothing is refused */
	while (live_kids(1) < cfg->workers)
		if (spawn() == -1)
			break;
	signal_kids(SIGQUIT, 1);
	/* the sender restarts with the new file once it has drained */
	if (mailer_pid > 0) {
		mailer_retiring = 1;
		kill(mailer_pid, SIGTERM);
	}
	mailer_failures = 0;
	mailer_next_ms = 0;
	/* and the webhook sender with the new branch list */
	if (whsend_pid > 0)
		kill(whsend_pid, SIGTERM);
	whsend_next_ms = 0;
	if (cfg->mail.spool_dir[0] != '\0')
		(void)spool_prepare(cfg->mail.spool_dir);
	log_notice("reloaded: generation %u, %d workers", generation,
	    cfg->workers);
	sdnotify_ready(NULL);
	sdnotify_status("serving with %d workers", cfg->workers);
}

static int
open_socket(void)
{
	char	 err[256], desc[256];

	listen_fd = listen_inherit();
	if (listen_fd >= 0) {
		laddr_owned = 0;
	} else if (listen_fd == -1) {
		if (listen_parse(cfg->listen_address, &laddr, err,
		    sizeof(err)) == -1) {
			log_err("listen.address: %s", err);
			return (-1);
		}
		listen_fd = listen_open(&laddr, cfg->listen_mode,
		    cfg->listen_owner, cfg->listen_group, cfg->listen_backlog);
		if (listen_fd == -1)
			return (-1);
		laddr_owned = 1;
	} else
		return (-1);
	if (listen_describe(listen_fd, desc, sizeof(desc)) == 0)
		log_notice("listening on %s", desc);
	if (listen_exposed(listen_fd) && cfg->listen_allow == NULL)
		log_warnx("listen.address is a wildcard or not loopback and "
		    "listen.allow is unset: anyone who reaches the port can "
		    "forge REMOTE_ADDR, HTTPS and Host; list the web "
		    "servers in listen.allow");
	return (0);
}

/*
 * pid_file: opened and locked (flock) before the socket, so a second
 * instance with the same file refuses to start; the pid is written once
 * the process has its final pid (after daemonize) and the file removed at
 * a clean stop.
 */
static int
pid_lock(const char *path)
{
	char	 buf[32];
	ssize_t	 n;

	if (path == NULL || *path == '\0')
		return (0);
	if ((size_t)snprintf(pid_path, sizeof(pid_path), "%s", path) >=
	    sizeof(pid_path)) {
		log_err("pid_file %s: path too long", path);
		return (-1);
	}
	if ((pid_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		log_warn("pid_file %s", path);
		return (-1);
	}
	if (flock(pid_fd, LOCK_EX | LOCK_NB) == -1) {
		n = read(pid_fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		log_err("pid_file %s is locked: another neon-authd runs%s%s",
		    path, buf[0] ? " as pid " : "", buf);
		close(pid_fd);
		pid_fd = -1;
		return (-1);
	}
	return (0);
}

static int
pid_write(void)
{
	char	 buf[32];
	int	 n;

	if (pid_fd == -1)
		return (0);
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(pid_fd, 0) == -1 || pwrite(pid_fd, buf, (size_t)n, 0) !=
	    n) {
		log_warn("pid_file %s", pid_path);
		return (-1);
	}
	return (0);
}

static void
pid_remove(void)
{
	if (pid_fd == -1)
		return;
	(void)unlink(pid_path);
	close(pid_fd);
	pid_fd = -1;
}

static int
daemonize(void)
{
	pid_t	 pid;
	int	 fd;

	if ((pid = fork()) == -1)
		return (-1);
	if (pid > 0)
		_exit(0);
	if (setsid() == -1)
		return (-1);
	if ((pid = fork()) == -1)
		return (-1);
	if (pid > 0)
		_exit(0);
	log_after_fork();
	if (chdir("/") == -1)
		return (-1);
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		return (-1);
	if (listen_fd != 0)
		dup2(fd, 0);
	dup2(fd, 1);
	if (cfg->log_file[0] != '\0')
		dup2(fd, 2);
	if (fd > 2)
		close(fd);
	return (0);
}

int
master_run(struct config *c, int foreground)
{
	struct pollfd	 pfd;
	int64_t		 shutdown_deadline = 0, now, wd_next = 0;
	uint64_t	 wd_usec;
	int		 shutting_down = 0, i;
	char		 buf[64];

	cfg = c;
	if (log_setup(cfg->log_level, cfg->log_file,
	    cfg->log_format == CONFIG_LOG_JSON) == -1) {
		log_warn("cannot open log file %s", cfg->log_file);
		return (NEON_AUTHD_EX_CONFIG);
	}
	if (pid_lock(cfg->pid_file) == -1)
		return (1);
	if (open_socket() == -1)
		return (1);
	if (!foreground && daemonize() == -1) {
		log_warn("daemonize");
		return (1);
	}
	if (pid_write() == -1)
		return (1);
	sdnotify_init();
	if ((sb = scoreboard_create()) == NULL)
		return (1);
	if ((rl = ratelimit_create(NEON_AUTHD_RATELIMIT_SLOTS)) == NULL)
		return (1);
	/* unreachable databases: backoff and log throttle, daemon-wide */
	(void)branch_shared_init();
	/* bans reach every worker before the banning one answers */
	(void)revoke_share();
	/* sessions read by one worker answer the next request on any */
	(void)sesscache_create((size_t)cfg->session_cache);
	sb->master_pid = getpid();
	sb->generation = generation;
	sb->pool_size = cfg->workers;
	if (install_signals() == -1)
		return (1);
	(void)hashgate_create(cfg->hash_concurrency, cfg->hash_wait_ms);
	(void)db_conn_cap_create(cfg->db_max_connections);

	/* workers queue mail: the spool exists before the first one runs */
	if (cfg->mail.spool_dir[0] != '\0')
		(void)spool_prepare(cfg->mail.spool_dir);
	for (i = 0; i < cfg->workers; i++)
		if (spawn() == -1)
			break;
	if (cfg->mail.spool_dir[0] != '\0')
		spawn_mailer();
	if (cfg->nbranches > 0)
		spawn_whsend();
	log_notice("neon-authd " PACKAGE_VERSION " started: master %d, %d "
	    "workers%s", (int)getpid(), cfg->workers,
	    mailer_pid > 0 ? " and the mail sender" : "");
	sdnotify_ready(NULL);
	sdnotify_status("serving with %d workers", cfg->workers);
	wd_usec = sdnotify_watchdog_usec();

	pfd.fd = sigpipe_fds[0];
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, 100) > 0)
			while (read(sigpipe_fds[0], buf, sizeof(buf)) > 0)
				;
		now = clock_mono_ms();
		if (got_chld) {
			got_chld = 0;
			reap(shutting_down);
		}
		if (got_term && !shutting_down) {
			got_term = 0;
			shutting_down = 1;
			shutdown_deadline = now +
			    (int64_t)cfg->shutdown_timeout * 1000;
			log_notice("shutting down: draining %d workers",
			    live_kids(0));
			sdnotify_stopping();
			signal_kids(SIGQUIT, 0);
			if (mailer_pid > 0) {
				mailer_retiring = 1;
				kill(mailer_pid, SIGTERM);
			}
			if (whsend_pid > 0)
				kill(whsend_pid, SIGTERM);
		}
		if (got_usr1) {
			got_usr1 = 0;
			if (log_reopen() == -1)
				log_warn("cannot reopen %s", cfg->log_file);
			signal_kids(SIGUSR1, 0);
			if (mailer_pid > 0)
				kill(mailer_pid, SIGUSR1);
		}
		if (got_hup && !shutting_down) {
			got_hup = 0;
			reload();
		}
		if (shutting_down) {
			if (live_kids(0) == 0 && mailer_pid == 0 &&
			    whsend_pid == 0)
				break;
			if (now >= shutdown_deadline) {
				log_warnx("shutdown timeout: killing %d "
				    "workers%s", live_kids(0), mailer_pid > 0 ?
				    " and the mail sender" : "");
				signal_kids(SIGKILL, 0);
				if (mailer_pid > 0)
					kill(mailer_pid, SIGKILL);
				if (whsend_pid > 0)
					kill(whsend_pid, SIGKILL);
				shutdown_deadline = now + 60000;
			}
			continue;
		}
		if (whsend_pid == 0 && cfg->nbranches > 0 &&
		    now >= whsend_next_ms)
			spawn_whsend();
		if (mailer_pid == 0 && cfg->mail.spool_dir[0] != '\0' &&
		    now >= mailer_next_ms)
			spawn_mailer();
		check_timeouts();
		if (now >= next_spawn_ms)
			while (live_kids(1) < cfg->workers) {
				if (spawn() == -1)
					break;
				if (quick_failures > 0) {
					/* one at a time while failing */
					next_spawn_ms = now + BACKOFF_BASE_MS;
					break;
				}
			}
		if (wd_usec > 0 && now >= wd_next) {
			if (live_kids(0) > 0)
				sdnotify_watchdog();
			wd_next = now + (int64_t)(wd_usec / 2000);
		}
	}
	if (laddr_owned)
		listen_close(listen_fd, &laddr);
	else
		close(listen_fd);
	hashgate_destroy();
	db_conn_cap_destroy();
	pid_remove();
	log_notice("stopped");
	config_free(cfg);
	return (0);
}
