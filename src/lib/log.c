/*
 * log.c -- logging (see log.h).  One write(2) per record so lines from
 * several workers sharing stderr or a file never interleave; records
 * longer than the line buffer are cut, never split.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"

#define LINE_MAX_BYTES	2048

static enum log_level	 threshold = LOG_LVL_INFO;
static int		 cached_pid;	/* reset by log_after_fork() */
static int		 log_fd = 2;
static char		 log_path[4096];
static int		 as_json;
static int		 to_journal;	/* stderr is systemd's journal */

/* a record being built; text past the end is dropped */
struct line {
	char	 b[LINE_MAX_BYTES];
	size_t	 n;
};

static void
put(struct line *l, const char *s, size_t n)
{
	if (n > sizeof(l->b) - 1 - l->n)
		n = sizeof(l->b) - 1 - l->n;
	memcpy(l->b + l->n, s, n);
	l->n += n;
}

static void
puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

/* v in decimal, at least width digits: the access line's numbers, no printf */
static void
put_dec(struct line *l, unsigned long long v, int width)
{
	char	 d[24], *e = d + sizeof(d), *p = e;

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0 || e - p < width);
	put(l, p, (size_t)(e - p));
}

static void
put_int(struct line *l, long long v)
{
	if (v < 0) {
		put(l, "-", 1);
		put_dec(l, 0ULL - (unsigned long long)v, 1);
	} else
		put_dec(l, (unsigned long long)v, 1);
}

/* s as the inside of a JSON string */
static void
put_json_str(struct line *l, const char *s)
{
	char	 esc[8];

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(l, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(l, esc, 6);
		} else
			put(l, (const char *)&c, 1);
	}
}

static void
put_num(struct line *l, const struct log_field *f)
{
	long long	 v = f->num;

	if (f->is_num == 1) {
		put_int(l, v);
		return;
	}
	if (v < 0)
		v = 0;
	put_dec(l, (unsigned long long)(v / 1000), 1);
	put(l, ".", 1);
	put_dec(l, (unsigned long long)(v % 1000), 3);
}

/* a text value: bare, or quoted when it has blanks, quotes or is empty */
static void
put_text_val(struct line *l, const char *s)
{
	const char	*p;

	if (*s != '\0' && strpbrk(s, " \t\"=\\") == NULL) {
		for (p = s; *p; p++)
			if ((unsigned char)*p < 0x20)
				break;
		if (*p == '\0') {
			puts_(l, s);
			return;
		}
	}
	puts_(l, "\"");
	put_json_str(l, s);
	puts_(l, "\"");
}

static const char *
level_name(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LVL_CRIT:
		return ("crit");
	case LOG_LVL_ERR:
		return ("err");
	case LOG_LVL_WARN:
		return ("warn");
	case LOG_LVL_NOTICE:
		return ("notice");
	case LOG_LVL_INFO:
		return ("info");
	default:
		return ("debug");
	}
}

static void
put_time(struct line *l)
{
	static time_t	 last = (time_t)-1;
	static char	 buf[32];	/* last's "%Y-%m-%dT%H:%M:%S" */
	int64_t		 ms = clock_now_ms();
	time_t		 t = (time_t)(ms / 1000);
	struct tm	 tm;

	/* the second changes far less often than lines are written */
	if (t != last) {
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
			buf[0] = '\0';
		last = t;
	}
	puts_(l, buf);
	put(l, ".", 1);
	put_dec(l, (unsigned long long)(ms % 1000), 3);
	put(l, "Z", 1);
}

/* the record's opening: prefix, time, level, pid */
static void
begin(struct line *l, enum log_level lvl)
{
	int	 timed = log_fd != 2 || !to_journal;

	if (cached_pid == 0)
		cached_pid = (int)getpid();
	l->n = 0;
	if (as_json) {
		if (log_fd == 2 && to_journal) {
			put(l, "<", 1);
			put_int(l, (long long)lvl);
			put(l, ">", 1);
		}
		puts_(l, "{");
		if (timed) {
			puts_(l, "\"ts\":\"");
			put_time(l);
			puts_(l, "\",");
		}
		puts_(l, "\"level\":\"");
		puts_(l, level_name(lvl));
		puts_(l, "\",\"pid\":");
		put_int(l, cached_pid);
		return;
	}
	if (log_fd == 2) {
		/* stderr: journald (or whoever collects it) reads <N> */
		put(l, "<", 1);
		put_int(l, (long long)lvl);
		put(l, ">pid=", 5);
		put_int(l, cached_pid);
		put(l, " ", 1);
		return;
	}
	put_time(l);
	put(l, " ", 1);
	puts_(l, level_name(lvl));
	put(l, " pid=", 5);
	put_int(l, cached_pid);
	put(l, " ", 1);
}

static void
finish(struct line *l)
{
	if (as_json) {
		/* keep room for the closing brace */
		if (l->n > sizeof(l->b) - 3)
			l->n = sizeof(l->b) - 3;
		l->b[l->n++] = '}';
	}
	if (l->n > sizeof(l->b) - 2)
		l->n = sizeof(l->b) - 2;
	l->b[l->n++] = '\n';
	(void)!write(log_fd, l->b, l->n);
}

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

/* JOURNAL_STREAM="dev:ino" names stderr when systemd connected it */
static int
stderr_is_journal(void)
{
	const char		*e = getenv("JOURNAL_STREAM");
	struct stat		 st;
	unsigned long long	 dev, ino;

	if (e == NULL || sscanf(e, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(2, &st) == -1)
		return (0);
	return ((unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino);
}

int
log_setup(enum log_level level, const char *path, int json)
{
	char	 old[sizeof(log_path)];

	threshold = level;
	as_json = json;
	to_journal = stderr_is_journal();
	if (path == NULL || *path == '\0') {
		if (log_fd != 2)
			close(log_fd);
		log_fd = 2;
		log_path[0] = '\0';
		return (0);
	}
	memcpy(old, log_path, sizeof(old));
	if ((size_t)snprintf(log_path, sizeof(log_path), "%s", path) >=
	    sizeof(log_path) || open_log() == -1) {
		memcpy(log_path, old, sizeof(old));
		return (-1);
	}
	return (0);
}

int
log_init(enum log_level level, const char *path)
{
	return (log_setup(level, path, as_json));
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

int
log_enabled(enum log_level lvl)
{
	return (lvl <= threshold);
}

void
log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	struct line	 l;
	char		 msg[LINE_MAX_BYTES];

	if (lvl > threshold)
		return;
	begin(&l, lvl);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	if (as_json) {
		puts_(&l, ",\"msg\":\"");
		put_json_str(&l, msg);
		puts_(&l, "\"");
	} else
		puts_(&l, msg);
	finish(&l);
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
log_kv(enum log_level lvl, const char *type, const char *prefix,
    const struct log_field *f, int n)
{
	struct line	 l;
	int		 i;

	if (lvl > threshold)
		return;
	begin(&l, lvl);
	if (as_json) {
		puts_(&l, ",\"type\":\"");
		put_json_str(&l, type);
		puts_(&l, "\"");
		for (i = 0; i < n; i++) {
			puts_(&l, ",\"");
			put_json_str(&l, f[i].key);
			puts_(&l, "\":");
			if (f[i].is_num)
				put_num(&l, &f[i]);
			else if (f[i].str == NULL)
				puts_(&l, "null");
			else {
				puts_(&l, "\"");
				put_json_str(&l, f[i].str);
				puts_(&l, "\"");
			}
		}
		finish(&l);
		return;
	}
	if (prefix != NULL) {
		puts_(&l, prefix);
		if (n > 0)
			puts_(&l, " ");
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			puts_(&l, " ");
		puts_(&l, f[i].key);
		puts_(&l, "=");
		if (f[i].is_num)
			put_num(&l, &f[i]);
		else if (f[i].str == NULL)
			puts_(&l, "-");
		else
			put_text_val(&l, f[i].str);
	}
	finish(&l);
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
