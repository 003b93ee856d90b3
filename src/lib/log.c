/*
 * log.c -- logging (see log.h).  One write(2) per record so lines from
 * several workers sharing stderr never interleave.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/log.h"

static enum log_level	 threshold = LOG_LVL_INFO;
static int		 cached_pid;	/* reset by log_after_fork() */
static int		 log_fd = 2;
static char		 log_path[4096];

/* (re)open log_path in place of the current log fd */
static int
open_log(void)
{
	int	 fd;

	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		return (-1);
	if (log_fd != 2)
		close(log_fd);
	log_fd = fd;
	return (0);
}

int
log_init(enum log_level level, const char *path)
{
	threshold = level;
	if (path == NULL || *path == '\0') {
		if (log_fd != 2)
			close(log_fd);
		log_fd = 2;
		log_path[0] = '\0';
		return (0);
	}
	if ((size_t)snprintf(log_path, sizeof(log_path), "%s", path) >=
	    sizeof(log_path))
		return (-1);
	return (open_log());
}

int
log_reopen(void)
{
	return (log_path[0] == '\0' ? 0 : open_log());
}

int
log_level_parse(const char *s)
{
	static const struct { const char *n; int l; } t[] = {
		{ "crit", LOG_LVL_CRIT }, { "err", LOG_LVL_ERR },
		{ "error", LOG_LVL_ERR }, { "warn", LOG_LVL_WARN },
		{ "warning", LOG_LVL_WARN }, { "notice", LOG_LVL_NOTICE },
		{ "info", LOG_LVL_INFO }, { "debug", LOG_LVL_DEBUG },
	};
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(s, t[i].n) == 0)
			return (t[i].l);
	return (-1);
}

void
log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char	 line[2048];
	int	 n, m;

	if (lvl > threshold)
		return;
	if (cached_pid == 0)
		cached_pid = (int)getpid();
	n = snprintf(line, sizeof(line), "<%d>pid=%d ", (int)lvl, cached_pid);
	if (n < 0)
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(log_fd, line, (size_t)n);
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	char	 buf[1024];
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_msg(LOG_LVL_WARN, "%s: %s", buf, strerror(saved));
}

void
log_after_fork(void)
{
	cached_pid = 0;
}
