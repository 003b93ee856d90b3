/*
 * email.c -- an endpoint's email, from template to spool (see email.h).
 *
 * The transport is resolved here, when the message is queued, and
 * written into the queue file with it: the mail sender needs no
 * database, and a message belongs to the branch (by its configuration
 * name) that queued it, whatever happens to that branch's database
 * afterwards.
 */
#include <string.h>

#include <json-c/json.h>

#include "auth/email.h"
#include "auth/webhook.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "lib/clock.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/mail.h"
#include "lib/smtp.h"
#include "lib/spool.h"

struct transport {
	const char	*host;
	int		 port;
	int		 security;
	const char	*user, *pass;
	const char	*sender, *sender_name;
};

static const char *
jstr(json_object *o, const char *k)
{
	json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

static const char *
nonempty(const char *s)
{
	return (s != NULL && *s != '\0' ? s : NULL);
}

/* the branch's transport: 1 found, 0 none (or unusable: logged) */
static int
transport_of(struct request *r, struct transport *t)
{
	const struct config_mail	*sm = r->env->mail;
	json_object			*ep = NULL, *v;
	const char			*type, *sec;

	memset(t, 0, sizeof(*t));
	if (sm == NULL || sm->spool_dir == NULL || *sm->spool_dir == '\0')
		return (0);
	if (r->bcfg != NULL && r->bcfg->row != NULL)
		json_object_object_get_ex(r->bcfg->row, "email_provider", &ep);
	if (ep != NULL && !json_object_is_type(ep, json_type_object))
		ep = NULL;
	type = jstr(ep, "type");
	if (ep != NULL && (type == NULL || strcmp(type, "standard") == 0) &&
	    jstr(ep, "host") != NULL) {
		t->host = jstr(ep, "host");
		t->port = 0;
		if (json_object_object_get_ex(ep, "port", &v) &&
		    json_object_is_type(v, json_type_int))
			t->port = json_object_get_int(v);
		sec = jstr(ep, "security");
		t->security = sec ? smtp_security_parse(sec) : -1;
		t->user = jstr(ep, "username");
		t->pass = jstr(ep, "password");
		t->sender = jstr(ep, "sender_email");
		t->sender_name = jstr(ep, "sender_name");
		if ((sec != NULL && t->security < 0) ||
		    !smtp_host_ok(t->host) || t->port < 0 || t->port > 65535 ||
		    !mail_addr_ok(t->sender)) {
			log_warnx("branch %s: email_provider is not usable "
			    "(host, port, security, sender_email)",
			    r->branch->name);
			return (0);
		}
		smtp_resolve(&t->security, &t->port);
		return (1);
	}
	if (ep != NULL && type != NULL && strcmp(type, "shared") != 0) {
		log_warnx("branch %s: email_provider type is neither "
		    "\"standard\" nor \"shared\"", r->branch->name);
		return (0);
	}
	/* no email_provider, or "shared": the server's default */
	if (sm->host == NULL || *sm->host == '\0')
		return (0);
	t->host = sm->host;
	t->port = sm->port;
	t->security = sm->security;
	t->user = sm->username;
	t->pass = sm->password;
	t->sender = sm->sender_email;
	t->sender_name = sm->sender_name;
	if (ep != NULL && mail_addr_ok(jstr(ep, "sender_email")))
		t->sender = jstr(ep, "sender_email");
	if (ep != NULL && jstr(ep, "sender_name") != NULL)
		t->sender_name = jstr(ep, "sender_name");
	return (1);
}

int
email_enabled(struct request *r)
{
	struct transport	 t;

	return (transport_of(r, &t));
}

int
email_enabled_kind(struct request *r, enum mail_kind kind)
{
	if (kind == MAIL_OTP && webhook_subscribed(r, "send.otp"))
		return (1);
	if (kind == MAIL_MAGIC_LINK && webhook_subscribed(r,
	    "send.magic_link"))
		return (1);
	return (email_enabled(r));
}

int
email_enabled_verify(struct request *r)
{
	return (email_enabled_kind(r, r->bcfg != NULL &&
	    strcmp(r->bcfg->verification_method, "otp") == 0 ? MAIL_OTP :
	    MAIL_VERIFICATION));
}

/* the branch's template field for kind, or the built-in one */
static const char *
template_field(struct request *r, enum mail_kind k, const char *field,
    const char *builtin)
{
	json_object	*st, *tp, *one;
	const char	*s;

	if (r->bcfg == NULL || r->bcfg->row == NULL ||
	    !json_object_object_get_ex(r->bcfg->row, "settings", &st) ||
	    !json_object_object_get_ex(st, "templates", &tp) ||
	    !json_object_object_get_ex(tp, mail_kind_name(k), &one))
		return (builtin);
	s = jstr(one, field);
	return (s != NULL && *s != '\0' ? s : builtin);
}

static const char *
purpose_of(const char *otp_type)
{
	if (otp_type == NULL)
		return ("continue");
	if (strcmp(otp_type, "sign-in") == 0)
		return ("sign in");
	if (strcmp(otp_type, "email-verification") == 0)
		return ("verify your email address");
	if (strcmp(otp_type, "forget-password") == 0)
		return ("reset your password");
	if (strcmp(otp_type, "change-email") == 0)
		return ("change your email address");
	return ("continue");
}

int
email_send(struct request *r, enum mail_kind kind, const char *to,
    const struct email_vars *v)
{
	const struct mail_template	*bt = mail_builtin(kind);
	struct transport		 t;
	struct mail_msg			 m;
	struct spool_msg		 sp;
	const char			*app;
	struct mail_var			 vars[12];
	size_t				 len;
	char				*msg;

	/* a subscriber handles the event: no mail for it */
	if (kind == MAIL_OTP && webhook_subscribed(r, "send.otp"))
		return (webhook_send_otp(r, to, v->otp, v->otp_type, "email",
		    v->expires_s));
	if (kind == MAIL_MAGIC_LINK && webhook_subscribed(r,
	    "send.magic_link"))
		return (webhook_send_magic_link(r, to, "magic-link", v->url,
		    v->token, v->expires_s));
	if (!transport_of(r, &t))
		return (-1);
	if (!mail_addr_ok(to)) {
		log_warnx("branch %s: %s mail not queued: the recipient is "
		    "no SMTP address", r->branch->name, mail_kind_name(kind));
		return (-1);
	}
	app = nonempty(r->bcfg ? r->bcfg->app_name : NULL);
	if (app == NULL)
		app = r->branch->host;
	vars[0] = (struct mail_var){ "app_name", app };
	vars[1] = (struct mail_var){ "email", to };
	vars[2] = (struct mail_var){ "expires_minutes", arena_printf(r->a,
	    "%d", (v->expires_s + 59) / 60) };
	vars[3] = (struct mail_var){ "url", v->url };
	vars[4] = (struct mail_var){ "otp", v->otp };
	vars[5] = (struct mail_var){ "purpose", purpose_of(v->otp_type) };
	vars[6] = (struct mail_var){ "user_name", nonempty(v->user_name) ?
	    v->user_name : to };
	vars[7] = (struct mail_var){ "new_email", v->new_email };
	vars[8] = (struct mail_var){ "organization_name",
	    v->organization_name };
	vars[9] = (struct mail_var){ "inviter_name", v->inviter_name };
	vars[10] = (struct mail_var){ "role", v->role };
	vars[11] = (struct mail_var){ NULL, NULL };

	memset(&m, 0, sizeof(m));
	m.from.name = nonempty(t.sender_name) ? t.sender_name : app;
	m.from.addr = t.sender;
	m.to.addr = to;
	m.subject = mail_render(r->a, template_field(r, kind, "subject",
	    bt->subject), vars, 0);
	m.text = mail_render(r->a, template_field(r, kind, "text", bt->text),
	    vars, 0);
	m.html = mail_render(r->a, template_field(r, kind, "html", bt->html),
	    vars, 1);
	m.date_ms = clock_now_ms();
	m.kind = kind == MAIL_OTP && v->otp_type != NULL ? arena_printf(r->a,
	    "otp-%s", v->otp_type) : mail_kind_name(kind);
	if ((msg = mail_build(r->a, &m, &len)) == NULL) {
		log_warnx("branch %s: %s mail not queued: the message cannot "
		    "be built (sender address or template text)",
		    r->branch->name, mail_kind_name(kind));
		return (-1);
	}
	memset(&sp, 0, sizeof(sp));
	sp.branch = r->branch->name;
	sp.kind = m.kind;
	sp.from = t.sender;
	sp.to = to;
	sp.host = t.host;
	sp.port = t.port;
	sp.security = smtp_security_name((enum smtp_security)t.security);
	sp.user = t.user ? t.user : "";
	sp.pass = t.pass ? t.pass : "";
	sp.queued_ms = m.date_ms;
	sp.next_ms = m.date_ms;
	sp.error = "";
	sp.body = msg;
	sp.body_len = len;
	if (spool_put(r->env->mail->spool_dir, r->a, &sp) == -1) {
		log_warnx("branch %s: %s mail not queued: spool %s unusable",
		    r->branch->name, sp.kind, r->env->mail->spool_dir);
		return (-1);
	}
	log_info("mail id=%s branch=%s kind=%s queued", sp.id,
	    r->branch->name, sp.kind);
	return (0);
}
