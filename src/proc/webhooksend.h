/*
 * webhooksend.h -- the webhook sender: a process the master runs next to
 * its workers (respawned when it dies, stopped on TERM, restarted on
 * HUP) that delivers the non-blocking events (user.created,
 * phone_number.verified) the workers queued in each listed branch's
 * neon_auth.webhook_outbox.
 *
 * Every WEBHOOKSEND_POLL_MS it reads, for each branch of the server
 * file, the due rows stamped with that branch's Auth URL (a copied
 * database under another Auth URL keeps its parent's rows undelivered),
 * and delivers each with one attempt under the branch's current
 * webhook_config: a 2xx retires it, a retryable failure (network, 5xx,
 * 429, 408) is tried again after 10 s, 30 s, 1 min, 5 min, 15 min, 1 h
 * (WEBHOOKSEND_ATTEMPTS in all), anything else -- or the branch no longer
 * subscribing -- gives it up.
 */
#ifndef NEON_AUTHD_WEBHOOKSEND_H
#define NEON_AUTHD_WEBHOOKSEND_H

#define WEBHOOKSEND_POLL_MS	1000
#define WEBHOOKSEND_ATTEMPTS	7
#define WEBHOOKSEND_BATCH	20

struct config;

/*
 * webhooksend_main: run the sender until SIGTERM/SIGQUIT/SIGINT (or the
 * master's death), then return the exit status.
 */
int	 webhooksend_main(const struct config *cfg);
/* webhooksend_retry_s: the wait after failed attempt n (1 = the first). */
int	 webhooksend_retry_s(int n);

#endif
