/*
 * cli_mail.h -- `neon-authd mail status`: the mail queue as the spool
 * holds it (queued, retrying with their last error, sent, failed).
 */
#ifndef NEON_AUTHD_CLI_MAIL_H
#define NEON_AUTHD_CLI_MAIL_H

struct config;

/* cli_mail: `mail status [--json]`; the exit status. */
int	 cli_mail(struct config *c, int argc, char **argv);

#endif
