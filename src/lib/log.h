/*
 * log.h -- one-line log records on stderr (or a file), with syslog
 * priority prefixes (<3> err ... <7> debug) that journald understands.
 *
 * Never pass a token, cookie, password, OTP or query string to these.
 */
#ifndef NEON_AUTHD_LOG_H
#define NEON_AUTHD_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_CRIT = 2,
	LOG_LVL_ERR = 3,
	LOG_LVL_WARN = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

/* log_init: set the threshold and (optionally) a file path; NULL = stderr. */
int	 log_init(enum log_level level, const char *path);
/* log_reopen: reopen the log file (SIGUSR1); no-op on stderr. */
int	 log_reopen(void);
/* log_level_parse: "err", "warn", "info", "debug"...; -1 when unknown. */
int	 log_level_parse(const char *s);

/* log_after_fork: the child calls it so that lines carry its own pid. */
void	 log_after_fork(void);

void	 log_msg(enum log_level lvl, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 log_vmsg(enum log_level lvl, const char *fmt, va_list ap);

#define log_crit(...)	log_msg(LOG_LVL_CRIT, __VA_ARGS__)
#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warnx(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* log_warn: like log_warnx, with ": strerror(errno)" appended. */
void	 log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
