/*
 * sdnotify.c -- sd_notify(3) and the watchdog without libsystemd (see
 * sdnotify.h; protocol in fastcgi.md §3.3, stable per systemd's
 * notify-selfcontained-example.c).
 *
 * One unconnected AF_UNIX datagram socket per process, opened by
 * sdnotify_init().  Every message is a sendto() to the address taken from
 * NOTIFY_SOCKET, so a systemd that re-created its socket (daemon-reexec)
 * still receives us.  SO_SNDTIMEO bounds a send to a full receiver queue,
 * so a watchdog ping never stalls the master's loop for long.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "proc/sdnotify.h"

#define NOTIFY_MSG_MAX		512
#define NOTIFY_STATUS_MAX	480
#define NOTIFY_SEND_TIMEOUT_S	1

enum notify_state {
	NOTIFY_UNINIT = 0,	/* sdnotify_init() not called yet */
	NOTIFY_OFF,		/* unset, malformed or forgotten */
	NOTIFY_ON,
};

static enum notify_state	 state = NOTIFY_UNINIT;
static int			 notify_fd = -1;
static struct sockaddr_un	 notify_addr;
static socklen_t		 notify_len;

static void	 notify_close(void);
static size_t	 utf8_trim(const char *, size_t);
static int	 vsend_status(const char *, const char *, va_list);
static int	 send_status(const char *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
notify_close(void)
{
	if (notify_fd != -1)
		close(notify_fd);
	notify_fd = -1;
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_len = 0;
}

/* If s[0..len) ends inside a UTF-8 sequence, the length without it. */
static size_t
utf8_trim(const char *s, size_t len)
{
	size_t		 i = len, need;
	unsigned char	 c;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80 &&
	    len - i < 3)
		i--;
	if (i == 0)
		return (len);
	c = (unsigned char)s[i - 1];
	if (c < 0xc0)
		return (len);
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	return (len - (i - 1) < need ? i - 1 : len);
}

/*
 * One datagram: head (e.g. "READY=1\n", may be "") then "STATUS=" and the
 * formatted text with CR/LF turned into spaces, cut at NOTIFY_STATUS_MAX
 * bytes on a UTF-8 boundary.
 */
static int
vsend_status(const char *head, const char *fmt, va_list ap)
{
	char	 msg[NOTIFY_MSG_MAX];
	char	*text;
	size_t	 hlen, tlen;
	int	 n;

	if (state == NOTIFY_UNINIT)
		(void)sdnotify_init();
	if (state != NOTIFY_ON)
		return (0);	/* do not format for nobody */
	hlen = strlen(head);
	if (hlen + sizeof("STATUS=") + NOTIFY_STATUS_MAX > sizeof(msg)) {
		log_warnx("%s: message head too long", __func__);
		return (-1);
	}
	memcpy(msg, head, hlen);
	memcpy(msg + hlen, "STATUS=", sizeof("STATUS=") - 1);
	text = msg + hlen + sizeof("STATUS=") - 1;
	n = vsnprintf(text, NOTIFY_STATUS_MAX + 1, fmt, ap);
	if (n < 0) {
		log_warnx("%s: cannot format status", __func__);
		return (-1);
	}
	tlen = strlen(text);
	if ((size_t)n > tlen) {
		tlen = utf8_trim(text, tlen);
		text[tlen] = '\0';
	}
	for (; *text != '\0'; text++)
		if (*text == '\n' || *text == '\r')
			*text = ' ';
	return (sdnotify_send(msg));
}

static int
send_status(const char *head, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = vsend_status(head, fmt, ap);
	va_end(ap);
	return (rc);
}

int
sdnotify_init(void)
{
	struct timeval	 tv;
	const char	*e;
	size_t		 n;

	notify_close();
	state = NOTIFY_OFF;
	if ((e = getenv("NOTIFY_SOCKET")) == NULL || *e == '\0')
		return (0);
	n = strlen(e);
	if ((e[0] != '/' && e[0] != '@') || n < 2) {
		log_warnx("%s: NOTIFY_SOCKET must be an absolute path or "
		    "@abstract name; notifications disabled", __func__);
		return (-1);
	}
	if (n >= sizeof(notify_addr.sun_path)) {
		log_warnx("%s: NOTIFY_SOCKET too long (%zu bytes); "
		    "notifications disabled", __func__, n);
		return (-1);
	}
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, e, n);
	if (notify_addr.sun_path[0] == '@')
		notify_addr.sun_path[0] = '\0';
	/* Exact length: an abstract name is not NUL-terminated. */
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);

	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd == -1) {
		log_warn("%s: socket", __func__);
		notify_close();
		return (-1);
	}
	tv.tv_sec = NOTIFY_SEND_TIMEOUT_S;
	tv.tv_usec = 0;
	if (setsockopt(notify_fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)) == -1)
		log_warn("%s: setsockopt SO_SNDTIMEO (sends may block)",
		    __func__);
	state = NOTIFY_ON;
	return (0);
}

int
sdnotify_send(const char *msg)
{
	size_t	 len;
	ssize_t	 n;

	if (state == NOTIFY_UNINIT)
		(void)sdnotify_init();
	if (state != NOTIFY_ON)
		return (0);
	len = strlen(msg);
	do {
		n = sendto(notify_fd, msg, len, MSG_NOSIGNAL,
		    (struct sockaddr *)&notify_addr, notify_len);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		log_warn("%s: sendto NOTIFY_SOCKET", __func__);
		return (-1);
	}
	if ((size_t)n != len) {
		log_warnx("%s: short datagram (%zd of %zu bytes)", __func__,
		    n, len);
		return (-1);
	}
	return (0);
}

int
sdnotify_ready(const char *status)
{
	if (status == NULL)
		return (sdnotify_send("READY=1"));
	return (send_status("READY=1\n", "%s", status));
}

int
sdnotify_reloading(void)
{
	struct timespec	 ts;
	char		 msg[64];
	uint64_t	 usec;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1) {
		log_warn("%s: clock_gettime", __func__);
		return (-1);
	}
	usec = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	(void)snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)usec);	/* at most 47 bytes: fits */
	return (sdnotify_send(msg));
}

int
sdnotify_stopping(void)
{
	return (sdnotify_send("STOPPING=1"));
}

int
sdnotify_status(const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = vsend_status("", fmt, ap);
	va_end(ap);
	return (rc);
}

uint64_t
sdnotify_watchdog_usec(void)
{
	const char		*e;
	char			*end;
	unsigned long long	 usec;
	long			 pid;

	if ((e = getenv("WATCHDOG_USEC")) == NULL || *e == '\0')
		return (0);
	errno = 0;
	usec = strtoull(e, &end, 10);
	if (*e < '0' || *e > '9' || errno != 0 || *end != '\0' ||
	    usec == 0) {
		log_warnx("%s: malformed WATCHDOG_USEC=%.32s ignored",
		    __func__, e);
		return (0);
	}
	if ((e = getenv("WATCHDOG_PID")) != NULL && *e != '\0') {
		errno = 0;
		pid = strtol(e, &end, 10);
		if (*e < '0' || *e > '9' || errno != 0 || *end != '\0' ||
		    pid <= 0) {
			log_warnx("%s: malformed WATCHDOG_PID=%.32s ignored",
			    __func__, e);
			return (0);
		}
		if ((pid_t)pid != getpid())
			return (0);
	}
	return ((uint64_t)usec);
}

int
sdnotify_watchdog(void)
{
	return (sdnotify_send("WATCHDOG=1"));
}

void
sdnotify_forget(void)
{
	notify_close();
	state = NOTIFY_OFF;
	(void)unsetenv("NOTIFY_SOCKET");
	(void)unsetenv("WATCHDOG_USEC");
	(void)unsetenv("WATCHDOG_PID");
}
