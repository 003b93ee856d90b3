/*
 * verify.h -- proofs that someone reads a mailbox, shared by the
 * endpoints that send or check them: the email-verification JWT
 * (protocol.md §4.4), email OTPs stored hashed with their attempts
 * (§11.2, neon.md §2.5), and "send the verification" in the branch's
 * method (email_and_password.email_verification_method: a link, or a
 * code).
 */
#ifndef NEON_AUTHD_VERIFY_H
#define NEON_AUTHD_VERIFY_H

#include <stdint.h>

#include "http/error.h"
#include "http/request.h"
#include "store/record.h"

#define VERIFY_OTP_ATTEMPTS	3	/* allowedAttempts */
#define VERIFY_OTP_LENGTH	6

/* the claims of an email-verification token */
struct verify_claims {
	const char	*email;
	const char	*update_to;	/* change flows */
	const char	*request_type;	/* change flows */
	const char	*user_id;
};

/*
 * verify_token_make: the HS256 JWT {"email", "updateTo"?, "requestType"?,
 * "userId", "iat", "exp"} signed with the server secret, valid for the
 * branch's settings.lifetimes.verification_link.  In r->a; NULL on
 * failure.
 */
char	*verify_token_make(struct request *r,
	    const struct verify_claims *c);
/*
 * verify_token_check: ERR_NONE with *c filled, ERR_TOKEN_EXPIRED or
 * ERR_INVALID_TOKEN (bad signature or format, no leeway).
 */
enum err verify_token_check(struct request *r, const char *token,
	    struct verify_claims *c);
/*
 * verify_link: AUTH_URL/verify-email?token=<token>&callbackURL=
 * <encodeURIComponent(callback || "/")>.
 */
char	*verify_link(struct request *r, const char *token,
	    const char *callback);

/*
 * verify_otp_identifier: "<type>-otp-<email>" (email lower-cased by the
 * caller).
 */
char	*verify_otp_identifier(struct request *r, const char *type,
	    const char *email);
/*
 * verify_otp_issue: a fresh 6-digit code for identifier, stored hashed
 * ("<base64url(sha256(otp))>:0") for settings.lifetimes.otp seconds.
 * The code in r->a, or NULL on a database error (err_db tells).
 */
char	*verify_otp_issue(struct request *r, const char *identifier);
/*
 * verify_otp_check: Better Auth's atomicVerifyOTP: expired -> the row
 * goes, ERR_OTP_EXPIRED; none -> ERR_INVALID_OTP; attempts used up ->
 * ERR_TOO_MANY_ATTEMPTS (the row stays consumed); wrong -> the row comes
 * back with one attempt more, ERR_INVALID_OTP.  Right: consumed, or
 * with restore put back unchanged (check-verification-otp, the first
 * step of reset-password).  Runs its statements outside a transaction,
 * so a wrong guess is counted whatever the caller does next.
 */
enum err verify_otp_check(struct request *r, const char *identifier,
	    const char *otp, int restore);

/*
 * verify_send: send u the verification of its address in the branch's
 * method: a link (callback as the link's callbackURL) or an
 * email-verification code.  to: the address to send to (NULL: u's).
 * 0, or -1 (nothing could be queued).
 */
int	 verify_send(struct request *r, const struct user_rec *u,
	    const char *to, const char *callback);

#endif
