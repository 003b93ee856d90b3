/*
 * mailer.h -- the mail sender: a process the master runs next to its
 * workers (respawned when it dies, drained on TERM, restarted on HUP)
 * that delivers what the workers queued in the spool (lib/spool.h).
 *
 * Workers never talk to an SMTP server: they queue and answer.  The
 * sender delivers with a bounded number of attempts and exponential
 * backoff between them (mail.retry_base doubling up to mail.retry_max);
 * a 5xx answer is final.  One sender works a spool at a time (the spool
 * lock), so a message is never handed to two senders.
 */
#ifndef NEON_AUTHD_MAILER_H
#define NEON_AUTHD_MAILER_H

#include <stdint.h>

struct config;
struct scoreboard;

/*
 * mailer_main: run the mail sender until SIGTERM/SIGQUIT/SIGINT (or the
 * master's death); then finish the deliveries in progress (each bounded
 * by its timeouts) and return the exit status.
 */
int	 mailer_main(const struct config *cfg, struct scoreboard *sb);

/*
 * mailer_backoff_s: the wait after a failed attempt number n (1 = the
 * first): base * 2^(n-1), at most max.
 */
int64_t	 mailer_backoff_s(int n, int base, int max);

#endif
