/*
 * email.h -- one email from an endpoint: the branch's transport (its
 * email_provider, else the server's default from the config file), its
 * template for the kind (settings.templates.<kind>, else the built-in
 * one), the message (lib/mail.h), queued durably in the spool
 * (lib/spool.h) before the endpoint answers.  The mail sender process
 * delivers it; a request never waits on an SMTP server.
 */
#ifndef NEON_AUTHD_EMAIL_H
#define NEON_AUTHD_EMAIL_H

#include "http/request.h"
#include "lib/mail.h"

/* what the templates' placeholders stand for (NULL: empty) */
struct email_vars {
	const char	*url;
	const char	*otp;
	const char	*otp_type;	/* "sign-in", ... */
	const char	*user_name;
	const char	*new_email;
	const char	*organization_name;
	const char	*inviter_name;
	const char	*role;
	int		 expires_s;
	const char	*token;		/* the magic link's token */
};

/*
 * email_enabled: 1 when r's branch can send mail: the server has a spool
 * (mail.spool_dir) and the branch a usable transport (its own
 * email_provider of type "standard", or the server's default).  Call it
 * before writing anything an email would carry.
 */
int	 email_enabled(struct request *r);
/*
 * email_enabled_kind: the same for one kind: codes (MAIL_OTP) and magic
 * links also go out when the branch subscribes to the send.otp /
 * send.magic_link webhook (auth/webhook.h), with or without a transport.
 */
int	 email_enabled_kind(struct request *r, enum mail_kind kind);
/*
 * email_enabled_verify: the same for the branch's email verification
 * (a code when its method is "otp", else a link), what verify_send sends.
 */
int	 email_enabled_verify(struct request *r);
/*
 * email_send: render kind for `to` and queue it; a code or a magic link
 * of a branch that subscribes to send.otp / send.magic_link goes to
 * the webhook instead, inline, and no mail is written.  0 once it is on disk,
 * -1 when it could not be queued (logged, never with the address, link
 * or code).
 */
int	 email_send(struct request *r, enum mail_kind kind, const char *to,
	    const struct email_vars *v);

#endif
