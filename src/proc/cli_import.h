/*
 * cli_import.h -- `neon-authd import` and `neon-authd export`: move the
 * users, accounts, organizations, sessions and signing keys of a Better
 * Auth, Neon Auth or Supabase Auth database into a branch, and a branch
 * back out into a stock Better Auth schema.
 */
#ifndef NEON_AUTHD_CLI_IMPORT_H
#define NEON_AUTHD_CLI_IMPORT_H

struct config;

/* cli_import: `import better-auth|neon|supabase|map ...`; exit status. */
int	 cli_import(struct config *c, int argc, char **argv);
/* cli_export: `export better-auth ...`; exit status. */
int	 cli_export(struct config *c, int argc, char **argv);

#endif
