/*
 * mail.h -- email messages as text: the templates an endpoint fills
 * ({{placeholders}}, built in or a branch's own), and the RFC 5322 / MIME
 * message that goes on the wire (text and HTML parts, Message-ID, Date,
 * RFC 2047 encoded words for non-ASCII subjects and names).
 *
 * Pure code: nothing here sends, stores or logs.  Everything is allocated
 * in the caller's arena.
 */
#ifndef NEON_AUTHD_MAIL_H
#define NEON_AUTHD_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"

/* the kinds of message, and the settings.templates key of each */
enum mail_kind {
	MAIL_VERIFICATION = 0,	/* "verification": verify-email link */
	MAIL_RESET,		/* "reset": password-reset link */
	MAIL_OTP,		/* "otp": a one-time code */
	MAIL_MAGIC_LINK,	/* "magic_link": sign-in link */
	MAIL_CHANGE_EMAIL,	/* "change_email": approve a new address */
	MAIL_INVITATION,	/* "invitation": organization invitation */
	MAIL_DELETE_ACCOUNT,	/* "delete_account": confirm deletion */
	MAIL_KIND_COUNT
};

struct mail_template {
	const char	*subject;
	const char	*text;
	const char	*html;
};

/* a placeholder's value (NULL value: the empty string) */
struct mail_var {
	const char	*name;
	const char	*value;
};

/* mail_kind_name: "verification", "reset", ... */
const char	*mail_kind_name(enum mail_kind k);
/* mail_kind_parse: the kind called name, or -1. */
int		 mail_kind_parse(const char *name);
/* mail_builtin: the built-in template of a kind. */
const struct mail_template *mail_builtin(enum mail_kind k);
/*
 * mail_placeholders: the placeholder names a kind's templates may use,
 * NULL-ended (README "Email templates").
 */
const char *const *mail_placeholders(enum mail_kind k);
/*
 * mail_template_check: why tpl is no template for kind k (an unknown or
 * unclosed {{placeholder}}), or NULL when it is one.  Message in a.
 */
const char	*mail_template_check(struct arena *a, enum mail_kind k,
		    const char *tpl);
/*
 * mail_render: tpl with every {{name}} replaced by its value from vars
 * (NULL-name-ended), HTML-escaped when html is set.  Spaces inside the
 * braces are allowed ({{ url }}); a name not in vars is left as written.
 */
char		*mail_render(struct arena *a, const char *tpl,
		    const struct mail_var *vars, int html);
/* mail_html_escape: & < > " ' as entities. */
char		*mail_html_escape(struct arena *a, const char *s);

/* one mailbox: display name (UTF-8, may be NULL or "") and address */
struct mail_addr {
	const char	*name;
	const char	*addr;
};

struct mail_msg {
	struct mail_addr	 from;
	struct mail_addr	 to;
	const char		*subject;	/* UTF-8, one line */
	const char		*text;		/* UTF-8 */
	const char		*html;		/* NULL: text only */
	int64_t			 date_ms;	/* the Date header */
	const char		*kind;		/* X-Neon-Authd-Kind */
};

/*
 * mail_addr_ok: addr is an address an SMTP envelope can carry: printable
 * ASCII, no space, no <>()[]\",;:, exactly one '@' with a non-empty local
 * part and domain, at most 254 bytes.
 */
int		 mail_addr_ok(const char *addr);
/*
 * mail_build: the whole message, CRLF line ends, multipart/alternative
 * with quoted-printable parts (text/plain only when html is NULL); a
 * fresh Message-ID in the sender's domain.  *len is its length.  NULL
 * when an address is unusable or a text is not UTF-8.
 */
char		*mail_build(struct arena *a, const struct mail_msg *m,
		    size_t *len);
/*
 * mail_header_text: an unstructured header value (RFC 5322 §3.2.5):
 * printable ASCII up to 70 bytes as it is, anything else as RFC 2047
 * "B" encoded words of UTF-8, each at most 75 bytes, folded with CRLF SP.
 * CR and LF in s become spaces.
 */
char		*mail_header_text(struct arena *a, const char *s);
/*
 * mail_mailbox: "Name <addr>" with the name as a quoted string or as
 * encoded words (RFC 2047 §5(3)); "<addr>" without a name.
 */
char		*mail_mailbox(struct arena *a, const struct mail_addr *m);
/* mail_qp: quoted-printable (RFC 2045 §6.7) of s, LF or CRLF -> CRLF. */
char		*mail_qp(struct arena *a, const char *s);
/* mail_date: RFC 5322 date-time in UTC: "Wed, 02 Dec 2026 05:23:57 +0000". */
char		*mail_date(struct arena *a, int64_t ms);

#endif
