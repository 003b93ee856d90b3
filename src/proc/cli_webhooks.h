/*
 * cli_webhooks.h -- `neon-authd webhooks test BRANCH EVENT`: a signed
 * sample event sent to the branch's webhook_url, the receiver's answer
 * printed; `webhooks status BRANCH`: the outbox of non-blocking events.
 */
#ifndef NEON_AUTHD_CLI_WEBHOOKS_H
#define NEON_AUTHD_CLI_WEBHOOKS_H

struct config;

/* cli_webhooks: the command; its exit status. */
int	 cli_webhooks(struct config *c, int argc, char **argv);

#endif
