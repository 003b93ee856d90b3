/*
 * mailer.c -- the mail sender process (see mailer.h).
 *
 * It keeps an index of the queue in memory (id, next attempt, attempts,
 * server), learns of new files from inotify on queue/ (a full rescan
 * every 30 s is the backstop), and runs up to mail.concurrency
 * deliveries at once through lib/smtp.h.  After each attempt the queue
 * file is rewritten (attempts, next time, error) or retired to done/, so
 * a restart picks up exactly where the last sender stopped.  When a
 * delivery to a server succeeds, the messages waiting to retry on that
 * same server are tried at once: a server that comes back gets its
 * backlog without waiting out every message's backoff.
 *
 * Nothing here logs a recipient, a link, a code or a password: lines
 * name the message id, the branch and the kind.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/clock.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/smtp.h"
#include "lib/spool.h"
#include "proc/mailer.h"
#include "proc/scoreboard.h"

#define INDEX_MAX	100000	/* queue files tracked at once */
#define RESCAN_MS	30000
#define SWEEP_MS	3600000

struct entry {
	char		 id[SPOOL_ID_MAX];
	char		 where[280];	/* host:port */
	int64_t		 next_ms;
	int		 attempts;
	int		 running;
};

static volatile sig_atomic_t	 quit, reopen;
static int			 wake_fds[2] = { -1, -1 };

static const struct config	*cfg;
static struct scoreboard_mail	*sbm;
static struct entry		**idx;
static size_t			 nidx, capidx;

static void
on_signal(int sig)
{
	int	 saved = errno;
	char	 c = 0;

	if (sig == SIGUSR1)
		reopen = 1;
	else
		quit = 1;
	(void)!write(wake_fds[1], &c, 1);
	errno = saved;
}

static int
install_signals(void)
{
	struct sigaction	 sa;
	sigset_t		 none;

	if (pipe2(wake_fds, O_CLOEXEC | O_NONBLOCK) == -1)
		return (-1);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGQUIT, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGUSR1, &sa, NULL) == -1)
		return (-1);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	return (sigprocmask(SIG_SETMASK, &none, NULL));
}

int64_t
mailer_backoff_s(int n, int base, int max)
{
	int64_t	 d = base;

	while (--n > 0 && d < max)
		d *= 2;
	return (d > max ? max : d);
}

static struct entry *
find(const char *id)
{
	size_t	 i;

	for (i = 0; i < nidx; i++)
		if (strcmp(idx[i]->id, id) == 0)
			return (idx[i]);
	return (NULL);
}

static void
drop(struct entry *e)
{
	size_t	 i;

	for (i = 0; i < nidx; i++)
		if (idx[i] == e) {
			idx[i] = idx[--nidx];
			free(e);
			return;
		}
}

/* track queue file id (already read into m) */
static void
track(const struct spool_msg *m)
{
	struct entry	*e;

	if (find(m->id) != NULL || nidx >= INDEX_MAX)
		return;
	if (nidx == capidx) {
		size_t		 ncap = capidx ? capidx * 2 : 256;
		struct entry	**n = realloc(idx, ncap * sizeof(*n));

		if (n == NULL)
			return;
		idx = n;
		capidx = ncap;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return;
	snprintf(e->id, sizeof(e->id), "%s", m->id);
	snprintf(e->where, sizeof(e->where), "%s:%d", m->host ? m->host : "",
	    m->port);
	e->next_ms = m->next_ms;
	e->attempts = m->attempts;
	idx[nidx++] = e;
}

static void
add_file(struct arena *a, const char *id)
{
	struct spool_msg	 m;

	if (!spool_id_ok(id) || find(id) != NULL)
		return;
	if (spool_read(cfg->mail.spool_dir, "queue", a, id, 0, &m) == -1) {
		if (errno != ENOENT)
			log_warnx("mailer: queue/%s is not a message; left "
			    "alone", id);
		return;
	}
	track(&m);
}

static void
rescan(struct arena *a)
{
	char	**ids;
	size_t	 n, i;

	if (spool_list(cfg->mail.spool_dir, "queue", a, &ids, &n) == -1) {
		log_warn("mailer: cannot list %s/queue", cfg->mail.spool_dir);
		return;
	}
	for (i = 0; i < n; i++)
		add_file(a, ids[i]);
}

/* sent/failed records in done/, once at start */
static void
count_done(struct arena *a)
{
	struct spool_msg	 m;
	char			**ids;
	size_t			 n, i;

	sbm->sent = sbm->failed = 0;
	if (spool_list(cfg->mail.spool_dir, "done", a, &ids, &n) == -1)
		return;
	for (i = 0; i < n; i++) {
		if (spool_read(cfg->mail.spool_dir, "done", a, ids[i], 0,
		    &m) == -1)
			continue;
		if (strcmp(m.outcome, "sent") == 0)
			sbm->sent++;
		else
			sbm->failed++;
	}
}

static void
publish_counts(void)
{
	uint32_t	 q = 0, r = 0, s = 0;
	size_t		 i;

	for (i = 0; i < nidx; i++) {
		if (idx[i]->running)
			s++;
		else if (idx[i]->attempts == 0)
			q++;
		else
			r++;
	}
	sbm->queued = q;
	sbm->retrying = r;
	sbm->sending = s;
}

static void
set_last_error(const char *e)
{
	snprintf(sbm->last_error, sizeof(sbm->last_error), "%s", e);
}

/* an attempt is over: retire the message or schedule the next one */
static void
finished(struct arena *a, struct entry *e, const struct smtp_result *res)
{
	const char		*dir = cfg->mail.spool_dir;
	struct spool_msg	 m;
	int64_t			 now = clock_now_ms(), wait;
	size_t			 i;

	e->running = 0;
	if (spool_read(dir, "queue", a, e->id, !res->ok && !res->permanent,
	    &m) == -1) {
		log_warnx("mailer: queue/%s vanished during delivery", e->id);
		drop(e);
		return;
	}
	m.attempts++;
	if (res->ok || res->permanent || m.attempts >= cfg->mail.max_attempts) {
		m.outcome = res->ok ? "sent" : "failed";
		m.error = res->ok ? "" : res->error;
		m.done_ms = now;
		if (spool_finish(dir, a, &m) == -1) {
			/* the sweep retires it once done/ has its record */
			log_warnx("mailer: %s: cannot retire the queue file",
			    m.id);
		}
		if (res->ok) {
			sbm->sent++;
			log_info("mail id=%s branch=%s kind=%s sent (attempt "
			    "%d)", m.id, m.branch, m.kind, m.attempts);
			/* its server is up: its backlog need not wait */
			for (i = 0; i < nidx; i++)
				if (idx[i] != e && !idx[i]->running &&
				    idx[i]->attempts > 0 &&
				    strcmp(idx[i]->where, e->where) == 0)
					idx[i]->next_ms = now;
		} else {
			sbm->failed++;
			set_last_error(res->error);
			log_warnx("mail id=%s branch=%s kind=%s failed after "
			    "%d attempt%s%s: %s", m.id, m.branch, m.kind,
			    m.attempts, m.attempts == 1 ? "" : "s",
			    res->permanent ? " (permanent)" : "", res->error);
		}
		drop(e);
		return;
	}
	wait = mailer_backoff_s(m.attempts, cfg->mail.retry_base,
	    cfg->mail.retry_max);
	m.next_ms = now + wait * 1000;
	m.error = res->error;
	set_last_error(res->error);
	if (spool_retry(dir, a, &m) == -1)
		log_warnx("mailer: %s: cannot record the attempt", m.id);
	e->attempts = m.attempts;
	e->next_ms = m.next_ms;
	log_notice("mail id=%s branch=%s kind=%s attempt %d failed, next in "
	    "%llds: %s", m.id, m.branch, m.kind, m.attempts,
	    (long long)wait, res->error);
}

/* start the delivery of e; a refusal is an attempt that failed at once */
static void
start(struct arena *a, struct smtp_multi *sm, struct entry *e)
{
	struct spool_msg	 m;
	struct smtp_job		 j;
	struct smtp_result	 res;
	int			 sec;

	if (spool_read(cfg->mail.spool_dir, "queue", a, e->id, 1, &m) == -1) {
		if (errno == ENOENT)	/* retired meanwhile */
			drop(e);
		else {
			log_warnx("mailer: queue/%s cannot be read", e->id);
			e->next_ms = clock_now_ms() + RESCAN_MS;
		}
		return;
	}
	memset(&j, 0, sizeof(j));
	j.host = m.host;
	j.port = m.port;
	sec = smtp_security_parse(m.security);
	j.security = sec < 0 ? SMTP_STARTTLS : (enum smtp_security)sec;
	j.user = m.user;
	j.pass = m.pass;
	j.from = m.from;
	j.to = m.to;
	j.msg = m.body;
	j.len = m.body_len;
	e->running = 1;
	if (m.host == NULL || sec < 0) {
		memset(&res, 0, sizeof(res));
		res.permanent = 1;
		snprintf(res.error, sizeof(res.error), "no usable SMTP server "
		    "in the queue file");
		finished(a, e, &res);
		return;
	}
	if (smtp_start(sm, &j, e, &res) == -1)
		finished(a, e, &res);
}

/* the queue directory's new files, from inotify */
static void
read_events(struct arena *a, int ifd)
{
	char			 buf[8192] __attribute__((aligned(
				    __alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t			 n;
	char			*p;

	while ((n = read(ifd, buf, sizeof(buf))) > 0)
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				rescan(a);
			else if (ev->len > 0)
				add_file(a, ev->name);
		}
}

/* wait for the queue lock; -1 when told to quit first */
static int
take_lock(void)
{
	int	 fd, logged = 0;

	while (!quit) {
		if ((fd = spool_lock(cfg->mail.spool_dir)) >= 0)
			return (fd);
		if (errno != EWOULDBLOCK) {
			log_warn("mailer: cannot lock %s", cfg->mail.spool_dir);
			return (-1);
		}
		if (!logged)
			log_info("mailer: another mail sender works %s; "
			    "waiting for its lock", cfg->mail.spool_dir);
		logged = 1;
		usleep(200000);
	}
	return (-1);
}

int
mailer_main(const struct config *c, struct scoreboard *sb)
{
	struct smtp_options	 o;
	struct smtp_multi	*sm;
	struct arena		 a;
	struct entry		*e;
	int64_t			 now, next_rescan, next_sweep, wake;
	int64_t			 drain_end = 0;
	int			 lock, ifd, fds[2], readable[2], timeout;
	pid_t			 ppid = getppid();
	size_t			 i;
	char			 junk[64];
	void			*tag;
	struct smtp_result	 res;

	cfg = c;
	sbm = &sb->mail;
	if (install_signals() == -1) {
		log_warn("mailer: signals");
		return (2);
	}
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		log_warn("mailer: prctl(PR_SET_PDEATHSIG)");
	if (getppid() != ppid)
		return (0);
	if (spool_prepare(cfg->mail.spool_dir) == -1)
		return (2);
	if ((lock = take_lock()) == -1)
		return (quit ? 0 : 2);
	if ((ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warn("mailer: inotify");
		return (2);
	}
	arena_init(&a, 64 * 1024);
	if (inotify_add_watch(ifd, arena_printf(&a, "%s/queue",
	    cfg->mail.spool_dir), IN_MOVED_TO | IN_CLOSE_WRITE) == -1) {
		log_warn("mailer: inotify_add_watch %s/queue",
		    cfg->mail.spool_dir);
		return (2);
	}
	memset(&o, 0, sizeof(o));
	o.ca_file = cfg->mail.ca_file;
	o.connect_timeout_s = cfg->mail.connect_timeout;
	o.step_timeout_s = cfg->mail.timeout;
	o.total_timeout_s = cfg->mail.timeout * 4 + cfg->mail.connect_timeout;
	o.allow_plain = cfg->mail.allow_plain;
	o.max_running = cfg->mail.concurrency;
	if ((sm = smtp_multi_new(&o)) == NULL)
		return (2);
	sbm->started_ms = clock_mono_ms();
	sbm->last_error[0] = '\0';
	(void)spool_sweep(cfg->mail.spool_dir, &a,
	    (int64_t)cfg->mail.keep_days * 86400);
	count_done(&a);
	rescan(&a);
	publish_counts();
	sbm->pid = getpid();
	log_info("mailer: working %s (%zu queued, %d at once)",
	    cfg->mail.spool_dir, nidx, cfg->mail.concurrency);
	next_rescan = clock_mono_ms() + RESCAN_MS;
	next_sweep = clock_mono_ms() + SWEEP_MS;
	fds[0] = wake_fds[0];
	fds[1] = ifd;
	for (;;) {
		arena_reset(&a);
		if (reopen) {
			reopen = 0;
			log_reopen();
		}
		if (quit && drain_end == 0) {
			drain_end = clock_mono_ms() +
			    (int64_t)o.total_timeout_s * 1000 + 1000;
			log_info("mailer: stopping (%d deliveries to finish)",
			    smtp_running(sm));
		}
		if (quit && (smtp_running(sm) == 0 ||
		    clock_mono_ms() >= drain_end))
			break;
		now = clock_now_ms();
		wake = now + 1000;
		for (i = 0; !quit && i < nidx; i++) {
			e = idx[i];
			if (e->running)
				continue;
			if (e->next_ms <= now &&
			    smtp_running(sm) < cfg->mail.concurrency) {
				start(&a, sm, e);
				/* start may have dropped e: look again */
				i = (size_t)-1;
				now = clock_now_ms();
				continue;
			}
			if (e->next_ms > now && e->next_ms < wake)
				wake = e->next_ms;
		}
		publish_counts();
		timeout = quit ? 200 : (int)(wake - now);
		if (timeout < 0)
			timeout = 0;
		if (timeout > 1000)
			timeout = 1000;
		if (smtp_poll(sm, fds, 2, readable, timeout) == -1) {
			log_warnx("mailer: curl poll failed");
			usleep(100000);
		}
		if (readable[0])
			while (read(wake_fds[0], junk, sizeof(junk)) > 0)
				;
		if (readable[1])
			read_events(&a, ifd);
		while (smtp_next_done(sm, &tag, &res) == 1)
			finished(&a, tag, &res);
		now = clock_mono_ms();
		if (now >= next_rescan) {
			rescan(&a);
			next_rescan = now + RESCAN_MS;
		}
		if (now >= next_sweep) {
			(void)spool_sweep(cfg->mail.spool_dir, &a,
			    (int64_t)cfg->mail.keep_days * 86400);
			next_sweep = now + SWEEP_MS;
		}
	}
	publish_counts();
	sbm->pid = 0;
	smtp_multi_free(sm);
	for (i = 0; i < nidx; i++)
		free(idx[i]);
	free(idx);
	close(ifd);
	close(lock);
	arena_free(&a);
	log_info("mailer: stopped");
	return (0);
}
