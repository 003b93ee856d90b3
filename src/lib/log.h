/*
 * log.h -- one-line log records on stderr or in a file, as text or JSON.
 *
 * Forms (log_setup):
 *   text, stderr   "<6>pid=123 message": the syslog priority prefix
 *                  (<3> err ... <7> debug) journald reads; journald adds
 *                  the time itself
 *   text, file     "2026-11-27T13:45:28.825Z info pid=123 message"
 *   json           {"ts":"...","level":"info","pid":123,"msg":"..."}, one
 *                  object a line; "ts" is left out only when stderr is the
 *                  journal (systemd's JOURNAL_STREAM), which then also gets
 *                  the <N> prefix in front of the object
 * Structured records (log_kv: access lines, the slow-request log) carry
 * their fields as key=value (values with blanks or quotes quoted) or as
 * JSON members.
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

/*
 * log_setup: threshold, file (NULL or "" = stderr) and form (json 0 =
 * text, 1 = JSON).  0, or -1 when the file cannot be opened (the previous
 * destination stays).
 */
int	 log_setup(enum log_level level, const char *path, int json);
/* log_init: log_setup keeping the current form. */
int	 log_init(enum log_level level, const char *path);
/* log_reopen: reopen the log file (SIGUSR1); no-op on stderr. */
int	 log_reopen(void);
/* log_level_parse: "err", "warn", "info", "debug"...; -1 when unknown. */
int	 log_level_parse(const char *s);
/* log_enabled: would a record at lvl be written? */
int	 log_enabled(enum log_level lvl);

/* log_after_fork: the child calls it so that lines carry its own pid. */
void	 log_after_fork(void);

void	 log_msg(enum log_level lvl, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 log_vmsg(enum log_level lvl, const char *fmt, va_list ap);

/*
 * One field of a structured record: a string (str, NULL = "-" / null),
 * an integer (is_num 1), or microseconds written as milliseconds with
 * three decimals (is_num 2: "12.345").
 */
struct log_field {
	const char	*key;
	const char	*str;
	long long	 num;
	int		 is_num;
};

#define LOG_STR(k, v)	{ (k), (v), 0, 0 }
#define LOG_NUM(k, v)	{ (k), NULL, (long long)(v), 1 }
#define LOG_MS(k, us)	{ (k), NULL, (long long)(us), 2 }

/*
 * log_kv: a structured record of type ("access", "slow_request", ...):
 * text "[prefix ]k=v k=v ..." (prefix may be NULL), JSON {"ts",
 * "level", "pid", "type": type, k: v, ...}.
 */
void	 log_kv(enum log_level lvl, const char *type, const char *prefix,
	    const struct log_field *f, int n);

#define log_crit(...)	log_msg(LOG_LVL_CRIT, __VA_ARGS__)
#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warnx(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* log_warn: like log_warnx, with ": strerror(errno)" appended. */
void	 log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
