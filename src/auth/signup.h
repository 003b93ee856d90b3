/*
 * signup.h -- the one gate every path that creates a user passes, inside
 * the user-creating transaction and before the insert: email sign-up,
 * email OTP and magic-link sign-in of a new address, social sign-in of a
 * new user, admin create-user (and `neon-authd user create`).
 *
 * The branch's rules, all in its own database so they branch with the
 * data (README "Sign-up rules"):
 *   settings.sign_up.blocked_email_domains   refused
 *   settings.sign_up.allowed_email_domains   when not empty, only these
 *   settings.sign_up.function                "schema.name"(email text,
 *                                            provider text) -> boolean
 * checked in that order.  (The user.before_create webhook hooks in here
 * as well.)
 */
#ifndef NEON_AUTHD_SIGNUP_H
#define NEON_AUTHD_SIGNUP_H

#include "http/error.h"
#include "http/request.h"

struct db_conn;
struct settings_group;

/* The user about to be created. */
struct signup_new {
	const char	*email;		/* lower-cased */
	const char	*name;		/* NULL when none */
	const char	*image;		/* NULL when none */
	int		 email_verified;
	/*
	 * how: "credential" (sign-up/email), "email-otp", "magic-link",
	 * "admin" (admin create-user, the CLI), or the social provider's id
	 */
	const char	*provider;
};

/*
 * signup_check: ERR_NONE when the user may be created; else
 * ERR_SIGN_UP_EMAIL_DOMAIN_NOT_ALLOWED (a domain rule),
 * ERR_SIGN_UP_NOT_ALLOWED (the function said no), ERR_SIGN_UP_CHECK_FAILED
 * (the function raised or is missing: fail closed; the transaction on c
 * is then aborted and must be rolled back), or a database error.  Called
 * with c in the user-creating transaction.
 */
enum err signup_check(struct request *r, struct db_conn *c,
	    const struct signup_new *n);

/* settings.sign_up, registered by the email-and-password group. */
extern const struct settings_group signup_settings_group;

#endif
