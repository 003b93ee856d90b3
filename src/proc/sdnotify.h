/*
 * sdnotify.h -- the systemd notification protocol (sd_notify(3)) and the
 * service watchdog, without libsystemd.  fastcgi.md §3.3.
 *
 * Invariants:
 *  - Only the master notifies (NotifyAccess=main): every worker calls
 *    sdnotify_forget() right after fork().
 *  - Without NOTIFY_SOCKET every call is a successful no-op, so the daemon
 *    runs unchanged outside systemd.
 *  - Nothing here calls exit(); failures are logged with __func__ and
 *    returned as -1.  Notification failures are never fatal to the caller.
 */
#ifndef NEON_AUTHD_SDNOTIFY_H
#define NEON_AUTHD_SDNOTIFY_H

#include <stdint.h>

/*
 * sdnotify_init: read NOTIFY_SOCKET ("/path" or "@abstract") and open the
 * datagram socket (SOCK_CLOEXEC).  Unset or empty: notifications are
 * disabled and 0 is returned.  A malformed value, or a socket(2) failure,
 * is logged, disables notifications and returns -1.  May be called again
 * (it closes the previous socket first).  The variable is left in the
 * environment.  sdnotify_send() calls it on first use when nobody did.
 */
int	 sdnotify_init(void);

/*
 * sdnotify_send: send msg, newline-separated KEY=VALUE lines, as one
 * datagram.  Returns 0 (also when notifications are disabled), or -1
 * (logged) if the datagram could not be sent within about a second.
 */
int	 sdnotify_send(const char *msg);

/*
 * sdnotify_ready: "READY=1", plus "STATUS=<status>" when status is not
 * NULL.  Returns as sdnotify_send().
 */
int	 sdnotify_ready(const char *status);

/*
 * sdnotify_reloading: "RELOADING=1" and "MONOTONIC_USEC=<CLOCK_MONOTONIC
 * in µs>", sent at the start of a reload; send sdnotify_ready() when done.
 * Returns as sdnotify_send().
 */
int	 sdnotify_reloading(void);

/* sdnotify_stopping: "STOPPING=1".  Returns as sdnotify_send(). */
int	 sdnotify_stopping(void);

/*
 * sdnotify_status: "STATUS=<printf(fmt, ...)>", shown by systemctl status.
 * Newlines in the text become spaces and it is cut at 480 bytes.  Returns
 * as sdnotify_send().
 */
int	 sdnotify_status(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/*
 * sdnotify_watchdog_usec: the watchdog interval in microseconds from
 * WATCHDOG_USEC, if it is set and valid and WATCHDOG_PID is unset or
 * equal to getpid(); otherwise 0 (a malformed value is logged).  Ping with
 * sdnotify_watchdog() at half this interval.
 */
uint64_t sdnotify_watchdog_usec(void);

/* sdnotify_watchdog: "WATCHDOG=1".  Returns as sdnotify_send(). */
int	 sdnotify_watchdog(void);

/*
 * sdnotify_forget: for a worker right after fork(): close the notify
 * socket, unset NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID, and make
 * every later call a no-op.  Never fails.
 */
void	 sdnotify_forget(void);

#endif
