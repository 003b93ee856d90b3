/*
 * store_hooks.h -- the branch's own SQL functions that neon-authd calls:
 * the sign-up rule (settings.sign_up.function) and the custom JWT claims
 * (settings.jwt.claims_function).  They live in the branch's database, so
 * they branch with the data.
 *
 * A function is named "schema.name", each part a lower-case SQL
 * identifier ([a-z_][a-z0-9_$]*, at most 63 bytes); the name is checked
 * here and quoted with db_quote_ident before it enters a statement, and
 * the values always travel as parameters.
 */
#ifndef NEON_AUTHD_STORE_HOOKS_H
#define NEON_AUTHD_STORE_HOOKS_H

#include "lib/arena.h"

struct db_conn;

/* store_hooks_name_ok: 1 when name is a schema-qualified function name. */
int	 store_hooks_name_ok(const char *name);

/*
 * store_hooks_sign_up: SELECT fn(email, provider) (the function takes
 * (text, text) and returns boolean).  1 when it returned true, 0 when
 * false or NULL, -1 when the call failed (db_last_error tells: it raised,
 * it does not exist, it returned another type).  Inside the caller's
 * transaction: a failure aborts it.
 */
int	 store_hooks_sign_up(struct db_conn *c, struct arena *a,
	    const char *fn, const char *email, const char *provider);

/*
 * store_hooks_jwt_claims: SELECT fn(user_id, claims) (the function takes
 * (uuid or text, jsonb) and returns jsonb); *out is its result as JSON
 * text, NULL when it returned NULL.  0, or -1 when the call failed.
 */
int	 store_hooks_jwt_claims(struct db_conn *c, struct arena *a,
	    const char *fn, const char *user_id, const char *claims,
	    const char **out);

#endif
