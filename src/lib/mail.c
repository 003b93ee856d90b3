/*
 * mail.c -- templates and MIME messages (see mail.h).
 *
 * A message is multipart/alternative with a text/plain and a text/html
 * part, both UTF-8 in quoted-printable, so every line stays within 76
 * characters whatever the template holds.  Header texts that are not
 * plain short ASCII become RFC 2047 "B" encoded words, cut on UTF-8
 * character boundaries.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/crypto.h"
#include "lib/json.h"
#include "lib/mail.h"
#include "lib/text.h"

/* ---- built-in templates */

#define HTML_HEAD \
	"<!doctype html><html><body style=\"font-family:Helvetica,Arial," \
	"sans-serif;color:#1a1a1a;max-width:560px;margin:0 auto;" \
	"padding:24px\"><h2 style=\"margin:0 0 16px\">{{app_name}}</h2>"
#define HTML_BUTTON(label) \
	"<p style=\"margin:24px 0\"><a href=\"{{url}}\" style=\"" \
	"background:#1a1a1a;color:#ffffff;padding:12px 20px;" \
	"border-radius:6px;text-decoration:none;display:inline-block\">" \
	label "</a></p><p style=\"font-size:13px;color:#555\">Or open " \
	"this link: <a href=\"{{url}}\">{{url}}</a></p>"
#define HTML_TAIL \
	"<p style=\"font-size:13px;color:#555\">If you did not ask for " \
	"this, you can ignore this email.</p></body></html>"
#define TEXT_TAIL \
	"\n\nIf you did not ask for this, you can ignore this email.\n"

static const struct mail_template builtin[MAIL_KIND_COUNT] = {
	[MAIL_VERIFICATION] = {
		"Verify your email address for {{app_name}}",
		"Hello {{user_name}},\n\nOpen this link to verify your email "
		"address {{email}} for {{app_name}}:\n\n{{url}}\n\nThe link "
		"is valid for {{expires_minutes}} minutes." TEXT_TAIL,
		HTML_HEAD "<p>Hello {{user_name}},</p><p>Confirm that "
		"{{email}} is your email address.</p>"
		HTML_BUTTON("Verify email address") "<p>The link is valid for "
		"{{expires_minutes}} minutes.</p>" HTML_TAIL
	},
	[MAIL_RESET] = {
		"Reset your {{app_name}} password",
		"Hello {{user_name}},\n\nOpen this link to choose a new "
		"password for {{email}}:\n\n{{url}}\n\nThe link is valid for "
		"{{expires_minutes}} minutes and works once." TEXT_TAIL,
		HTML_HEAD "<p>Hello {{user_name}},</p><p>Someone asked to "
		"reset the password of {{email}}.</p>"
		HTML_BUTTON("Choose a new password") "<p>The link is valid "
		"for {{expires_minutes}} minutes and works once.</p>"
		HTML_TAIL
	},
	[MAIL_OTP] = {
		"{{otp}} is your {{app_name}} code",
		"Your code to {{purpose}}: {{otp}}\n\nIt is valid for "
		"{{expires_minutes}} minutes." TEXT_TAIL,
		HTML_HEAD "<p>Your code to {{purpose}}:</p><p style=\""
		"font-size:28px;letter-spacing:6px;font-weight:bold;"
		"margin:24px 0\">{{otp}}</p><p>It is valid for "
		"{{expires_minutes}} minutes.</p>" HTML_TAIL
	},
	[MAIL_MAGIC_LINK] = {
		"Sign in to {{app_name}}",
		"Open this link to sign in to {{app_name}} as {{email}}:\n\n"
		"{{url}}\n\nThe link is valid for {{expires_minutes}} "
		"minutes and works once." TEXT_TAIL,
		HTML_HEAD "<p>Sign in to {{app_name}} as {{email}}.</p>"
		HTML_BUTTON("Sign in") "<p>The link is valid for "
		"{{expires_minutes}} minutes and works once.</p>" HTML_TAIL
	},
	[MAIL_CHANGE_EMAIL] = {
		"Approve the change of your {{app_name}} email address",
		"Hello {{user_name}},\n\nSomeone asked to change the email "
		"address of your {{app_name}} account from {{email}} to "
		"{{new_email}}.\n\nOpen this link to approve the change:\n\n"
		"{{url}}\n\nThe link is valid for {{expires_minutes}} "
		"minutes." TEXT_TAIL,
		HTML_HEAD "<p>Hello {{user_name}},</p><p>Someone asked to "
		"change the email address of your account from {{email}} to "
		"{{new_email}}.</p>" HTML_BUTTON("Approve the change")
		"<p>The link is valid for {{expires_minutes}} minutes.</p>"
		HTML_TAIL
	},
	[MAIL_INVITATION] = {
		"{{inviter_name}} invited you to {{organization_name}} on "
		"{{app_name}}",
		"{{inviter_name}} invited you to join {{organization_name}} on "
		"{{app_name}}.\n\nOpen this link to accept the invitation:\n\n"
		"{{url}}\n\nThe invitation is valid for {{expires_minutes}} "
		"minutes." TEXT_TAIL,
		HTML_HEAD "<p>{{inviter_name}} invited you to join "
		"<strong>{{organization_name}}</strong>.</p>"
		HTML_BUTTON("Accept the invitation") "<p>The invitation is "
		"valid for {{expires_minutes}} minutes.</p>" HTML_TAIL
	},
	[MAIL_DELETE_ACCOUNT] = {
		"Confirm the deletion of your {{app_name}} account",
		"Hello {{user_name}},\n\nOpen this link to delete the "
		"{{app_name}} account of {{email}} for good:\n\n{{url}}\n\n"
		"The link is valid for {{expires_minutes}} minutes." TEXT_TAIL,
		HTML_HEAD "<p>Hello {{user_name}},</p><p>Someone asked to "
		"delete the account of {{email}}. This cannot be undone.</p>"
		HTML_BUTTON("Delete my account") "<p>The link is valid for "
		"{{expires_minutes}} minutes.</p>" HTML_TAIL
	},
};

static const char *const kind_names[MAIL_KIND_COUNT] = {
	"verification", "reset", "otp", "magic_link", "change_email",
	"invitation", "delete_account",
};

#define COMMON	"app_name", "email", "expires_minutes"
static const char *const ph_verification[] = { COMMON, "user_name", "url",
    NULL };
static const char *const ph_otp[] = { COMMON, "otp", "purpose", NULL };
static const char *const ph_magic[] = { COMMON, "url", NULL };
static const char *const ph_change[] = { COMMON, "user_name", "new_email",
    "url", NULL };
static const char *const ph_invitation[] = { COMMON, "url",
    "organization_name", "inviter_name", "role", NULL };
static const char *const *const placeholders[MAIL_KIND_COUNT] = {
	ph_verification, ph_verification, ph_otp, ph_magic, ph_change,
	ph_invitation, ph_verification,
};

const char *
mail_kind_name(enum mail_kind k)
{
	return (k >= 0 && k < MAIL_KIND_COUNT ? kind_names[k] : "?");
}

int
mail_kind_parse(const char *name)
{
	int	 i;

	for (i = 0; i < MAIL_KIND_COUNT; i++)
		if (strcmp(name, kind_names[i]) == 0)
			return (i);
	return (-1);
}

const struct mail_template *
mail_builtin(enum mail_kind k)
{
	return (&builtin[k]);
}

const char *const *
mail_placeholders(enum mail_kind k)
{
	return (placeholders[k]);
}

/* the placeholder at p ("{{ name }}"): name bounds and the end, or 0 */
static int
placeholder_at(const char *p, const char **name, size_t *namelen,
    const char **end)
{
	const char	*q, *e;

	if (p[0] != '{' || p[1] != '{')
		return (0);
	q = p + 2;
	while (*q == ' ')
		q++;
	e = q;
	while ((*e >= 'a' && *e <= 'z') || *e == '_' ||
	    (*e >= '0' && *e <= '9'))
		e++;
	*name = q;
	*namelen = (size_t)(e - q);
	while (*e == ' ')
		e++;
	if (e[0] != '}' || e[1] != '}' || *namelen == 0)
		return (-1);
	*end = e + 2;
	return (1);
}

const char *
mail_template_check(struct arena *a, enum mail_kind k, const char *tpl)
{
	const char *const	*ph = placeholders[k];
	const char		*p, *name, *end;
	size_t			 n;
	int			 i, rc;

	if (!text_utf8_valid(tpl, strlen(tpl)))
		return ("is not valid UTF-8");
	for (p = tpl; *p != '\0'; p++) {
		if ((rc = placeholder_at(p, &name, &n, &end)) == 0)
			continue;
		if (rc == -1)
			return (arena_printf(a, "has a \"{{\" that does not "
			    "open a {{placeholder}} at offset %zu",
			    (size_t)(p - tpl)));
		for (i = 0; ph[i] != NULL; i++)
			if (strlen(ph[i]) == n && memcmp(ph[i], name, n) == 0)
				break;
		if (ph[i] == NULL)
			return (arena_printf(a, "uses {{%.*s}}, which %s "
			    "templates do not have", (int)n, name,
			    kind_names[k]));
		p = end - 1;
	}
	return (NULL);
}

char *
mail_html_escape(struct arena *a, const char *s)
{
	struct jbuf	 b;

	jb_init(&b, a, strlen(s) + 16);
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&':
			jb_lit(&b, "&amp;");
			break;
		case '<':
			jb_lit(&b, "&lt;");
			break;
		case '>':
			jb_lit(&b, "&gt;");
			break;
		case '"':
			jb_lit(&b, "&quot;");
			break;
		case '\'':
			jb_lit(&b, "&#39;");
			break;
		default:
			jb_raw(&b, s, 1);
		}
	return (jb_done(&b));
}

char *
mail_render(struct arena *a, const char *tpl, const struct mail_var *vars,
    int html)
{
	struct jbuf		 b;
	const char		*p, *name, *end, *v;
	const struct mail_var	*x;
	size_t			 n;

	jb_init(&b, a, strlen(tpl) + 256);
	for (p = tpl; *p != '\0'; p++) {
		if (placeholder_at(p, &name, &n, &end) != 1) {
			jb_raw(&b, p, 1);
			continue;
		}
		for (x = vars; x->name != NULL; x++)
			if (strlen(x->name) == n && memcmp(x->name, name,
			    n) == 0)
				break;
		if (x->name == NULL) {
			jb_raw(&b, p, (size_t)(end - p));
		} else {
			v = x->value ? x->value : "";
			if (html)
				v = mail_html_escape(a, v);
			jb_raw(&b, v, strlen(v));
		}
		p = end - 1;
	}
	return (jb_done(&b));
}

/* ---- headers */

int
mail_addr_ok(const char *addr)
{
	const char	*at = NULL, *p;

	if (addr == NULL || *addr == '\0' || strlen(addr) > 254)
		return (0);
	for (p = addr; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("<>()[]\\\",;:", *p) != NULL)
			return (0);
		if (*p == '@') {
			if (at != NULL)
				return (0);
			at = p;
		}
	}
	return (at != NULL && at != addr && at[1] != '\0');
}

/* printable ASCII (and space) only */
static int
plain_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return (0);
	return (1);
}

/* length of the UTF-8 sequence that starts with byte c */
static size_t
utf8_len(unsigned char c)
{
	if (c < 0x80)
		return (1);
	if ((c & 0xe0) == 0xc0)
		return (2);
	if ((c & 0xf0) == 0xe0)
		return (3);
	return (4);
}

/*
 * encoded words of s: at most 45 bytes of UTF-8 per word (60 bytes of
 * base64 plus the 12 of "=?UTF-8?B?" "?="), separated by CRLF SP
 */
static char *
encoded_words(struct arena *a, const char *s)
{
	struct jbuf	 b;
	size_t		 n = strlen(s), i = 0, take, c;
	char		*w;

	jb_init(&b, a, n * 2 + 32);
	while (i < n) {
		take = 0;
		while (i + take < n) {
			c = utf8_len((unsigned char)s[i + take]);
			if (take + c > 45)
				break;
			take += c;
		}
		if (take == 0)	/* cannot happen with valid UTF-8 */
			take = n - i;
		if (b.len > 0)
			jb_lit(&b, "\r\n ");
		w = crypto_base64_encode(a, s + i, take);
		jb_lit(&b, "=?UTF-8?B?");
		jb_raw(&b, w, strlen(w));
		jb_lit(&b, "?=");
		i += take;
	}
	return (jb_done(&b));
}

char *
mail_header_text(struct arena *a, const char *s)
{
	char	*t = arena_strdup(a, s ? s : ""), *p;

	for (p = t; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	if (plain_ascii(t) && strlen(t) <= 70 && strstr(t, "=?") == NULL)
		return (t);
	return (encoded_words(a, t));
}

char *
mail_mailbox(struct arena *a, const struct mail_addr *m)
{
	struct jbuf	 b;
	const char	*p;
	char		*name, *q;

	if (m->name == NULL || *m->name == '\0')
		return (arena_printf(a, "<%s>", m->addr));
	name = arena_strdup(a, m->name);
	for (q = name; *q != '\0'; q++)
		if (*q == '\r' || *q == '\n' || *q == '\t')
			*q = ' ';
	if (!plain_ascii(name) || strlen(name) > 60 ||
	    strstr(name, "=?") != NULL)
		return (arena_printf(a, "%s <%s>", encoded_words(a, name),
		    m->addr));
	/* a quoted string: '"' and '\' escaped */
	jb_init(&b, a, strlen(name) + strlen(m->addr) + 8);
	jb_lit(&b, "\"");
	for (p = name; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			jb_lit(&b, "\\");
		jb_raw(&b, p, 1);
	}
	jb_lit(&b, "\" <");
	jb_raw(&b, m->addr, strlen(m->addr));
	jb_lit(&b, ">");
	return (jb_done(&b));
}

char *
mail_date(struct arena *a, int64_t ms)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t		 t = (time_t)(ms / 1000);
	struct tm	 tm;

	gmtime_r(&t, &tm);
	return (arena_printf(a, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec));
}

/* ---- bodies */

char *
mail_qp(struct arena *a, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	struct jbuf		 b;
	size_t			 col = 0, need;
	unsigned char		 c;
	char			 enc[3];
	int			 lit;

	jb_init(&b, a, strlen(s) * 3 / 2 + 64);
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '\r' && s[1] == '\n')
			continue;
		if (c == '\n') {
			jb_lit(&b, "\r\n");
			col = 0;
			continue;
		}
		/* a space or tab before a line end must be encoded */
		lit = (c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && s[1] != '\n' && s[1] != '\r' &&
		    s[1] != '\0');
		/* a leading dot never reaches an SMTP server as it is */
		if (c == '.' && col == 0)
			lit = 0;
		need = lit ? 1 : 3;
		if (col + need > 75) {
			jb_lit(&b, "=\r\n");
			col = 0;
			if (c == '.')
				lit = 0, need = 3;
		}
		if (lit)
			jb_raw(&b, s, 1);
		else {
			enc[0] = '=';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 15];
			jb_raw(&b, enc, 3);
		}
		col += need;
	}
	return (jb_done(&b));
}

/* the domain of the sender, for the Message-ID */
static const char *
msgid_domain(const char *addr)
{
	const char	*at = strrchr(addr, '@');

	return (at != NULL && at[1] != '\0' ? at + 1 : "neon-authd.invalid");
}

static void
part(struct jbuf *b, const char *boundary, const char *type,
    const char *body, struct arena *a)
{
	char	*qp = mail_qp(a, body);

	jb_lit(b, "--");
	jb_raw(b, boundary, strlen(boundary));
	jb_lit(b, "\r\nContent-Type: ");
	jb_raw(b, type, strlen(type));
	jb_lit(b, "; charset=UTF-8\r\nContent-Transfer-Encoding: "
	    "quoted-printable\r\n\r\n");
	jb_raw(b, qp, strlen(qp));
	jb_lit(b, "\r\n");
}

char *
mail_build(struct arena *a, const struct mail_msg *m, size_t *len)
{
	struct jbuf	 b;
	char		*hdr, *rnd, *boundary;

	if (!mail_addr_ok(m->from.addr) || !mail_addr_ok(m->to.addr))
		return (NULL);
	if (!text_utf8_valid(m->subject, strlen(m->subject)) ||
	    !text_utf8_valid(m->text, strlen(m->text)) ||
	    (m->html != NULL && !text_utf8_valid(m->html, strlen(m->html))) ||
	    (m->from.name != NULL && !text_utf8_valid(m->from.name,
	    strlen(m->from.name))))
		return (NULL);
	if ((rnd = crypto_random_id(a)) == NULL)
		return (NULL);
	jb_init(&b, a, strlen(m->text) * 2 + (m->html ? strlen(m->html) *
	    2 : 0) + 1024);
	hdr = arena_printf(a, "From: %s\r\nTo: %s\r\nSubject: %s\r\n"
	    "Date: %s\r\nMessage-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n"
	    "Auto-Submitted: auto-generated\r\n",
	    mail_mailbox(a, &m->from), mail_mailbox(a, &m->to),
	    mail_header_text(a, m->subject), mail_date(a, m->date_ms),
	    rnd, msgid_domain(m->from.addr));
	jb_raw(&b, hdr, strlen(hdr));
	if (m->kind != NULL && plain_ascii(m->kind)) {
		hdr = arena_printf(a, "X-Neon-Authd-Kind: %s\r\n", m->kind);
		jb_raw(&b, hdr, strlen(hdr));
	}
	if (m->html == NULL) {
		hdr = mail_qp(a, m->text);
		jb_lit(&b, "Content-Type: text/plain; charset=UTF-8\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
		jb_raw(&b, hdr, strlen(hdr));
		jb_lit(&b, "\r\n");
	} else {
		boundary = arena_printf(a, "=_neon-authd_%s", rnd);
		hdr = arena_printf(a, "Content-Type: multipart/alternative; "
		    "boundary=\"%s\"\r\n\r\nThis is a MIME message.\r\n",
		    boundary);
		jb_raw(&b, hdr, strlen(hdr));
		part(&b, boundary, "text/plain", m->text, a);
		part(&b, boundary, "text/html", m->html, a);
		hdr = arena_printf(a, "--%s--\r\n", boundary);
		jb_raw(&b, hdr, strlen(hdr));
	}
	*len = b.len;
	return (jb_done(&b));
}
