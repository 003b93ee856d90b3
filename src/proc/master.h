/*
 * master.h -- the prefork master: owns the socket, the scoreboard and the
 * pool; never touches a request or a database.
 */
#ifndef NEON_AUTHD_MASTER_H
#define NEON_AUTHD_MASTER_H

struct config;

/*
 * master_run: obtain the listening socket, fork the pool and supervise it
 * until SIGTERM/SIGINT/SIGQUIT.  Takes ownership of cfg.  Returns the
 * process exit status.
 */
int	 master_run(struct config *cfg, int foreground);

#endif
