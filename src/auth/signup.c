/*
 * signup.c -- the sign-up gate of every user-creating path (signup.h):
 * the branch's email-domain rules and its sign-up function.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "auth/signup.h"
#include "auth/webhook.h"
#include "http/branchcfg.h"
#include "lib/log.h"
#include "store/db.h"
#include "store/record.h"
#include "store/store_hooks.h"

#define SIGNUP_DOMAINS_MAX	100
#define SIGNUP_LIST_LEN		4096

struct signup_settings {
	char	 allowed[SIGNUP_LIST_LEN];	/* ",a.com,b.org," or "" */
	char	 blocked[SIGNUP_LIST_LEN];
	char	 function[128];			/* "" = none */
	int	 broken;		/* a list is not valid: refuse all */
};

/* a host name: letters, digits, '-', '.'; no empty label */
static int
domain_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return (0);
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || (s[i] == '.' && s[i + 1] != '.')))
			return (0);
	return (1);
}

static const char *
domains_check(struct arena *a, json_object *v)
{
	json_object	*e;
	size_t		 i, n, total = 1;

	(void)a;
	if (!json_object_is_type(v, json_type_array))
		return ("must be an array of domain names");
	if ((n = json_object_array_length(v)) > SIGNUP_DOMAINS_MAX)
		return ("at most 100 domains");
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_string) ||
		    !domain_ok(json_object_get_string(e),
		    (size_t)json_object_get_string_len(e)))
			return ("must be an array of domain names "
			    "(\"example.com\")");
		total += (size_t)json_object_get_string_len(e) + 1;
	}
	return (total < SIGNUP_LIST_LEN ? NULL : "too long");
}

static const char *
function_check(struct arena *a, json_object *v)
{
	(void)a;
	if (!json_object_is_type(v, json_type_string))
		return ("must be a string");
	if (*json_object_get_string(v) == '\0' ||
	    store_hooks_name_ok(json_object_get_string(v)))
		return (NULL);
	return ("must be a schema-qualified function name in lower case "
	    "(\"app.allow_sign_up\"), or \"\"");
}

/* ",a.com,b.org," in lower case; -1 when the member is not valid */
static int
list_fill(char *out, json_object *obj, const char *key)
{
	json_object	*v;
	size_t		 i, n, k;
	const char	*s;

	out[0] = '\0';
	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    v == NULL)
		return (0);
	if (domains_check(NULL, v) != NULL)
		return (-1);
	if (json_object_array_length(v) == 0)
		return (0);
	n = 0;
	out[n++] = ',';
	for (i = 0; i < json_object_array_length(v); i++) {
		s = json_object_get_string(json_object_array_get_idx(v, i));
		for (k = 0; s[k] != '\0' && n + 2 < SIGNUP_LIST_LEN; k++)
			out[n++] = (s[k] >= 'A' && s[k] <= 'Z') ?
			    (char)(s[k] + 32) : s[k];
		out[n++] = ',';
	}
	out[n] = '\0';
	return (0);
}

static void
signup_finish(void *vals, json_object *obj, const struct branchcfg *c)
{
	struct signup_settings	*s = vals;
	json_object		*v;

	(void)c;
	/* a list `config set` would refuse (written with SQL): fail closed */
	s->broken = list_fill(s->allowed, obj, "allowed_email_domains") ==
	    -1;
	if (list_fill(s->blocked, obj, "blocked_email_domains") == -1)
		s->broken = 1;
	s->function[0] = '\0';
	if (obj == NULL || !json_object_object_get_ex(obj, "function", &v) ||
	    v == NULL)
		return;
	/*
	 * A name `config set` would refuse (written with SQL) is kept as
	 * written: store_hooks refuses to call it, and sign-up fails closed
	 * instead of running without its rule.
	 */
	snprintf(s->function, sizeof(s->function), "%s",
	    json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : "!");
}

static const struct group_setting signup_members[] = {
	{ "allowed_email_domains", GSET_JSON, 0, 0, 0, NULL, NULL, 0, 0,
	    domains_check },
	{ "blocked_email_domains", GSET_JSON, 0, 0, 0, NULL, NULL, 0, 0,
	    domains_check },
	{ "function", GSET_JSON, 0, 0, 0, NULL, NULL, 0, 0, function_check },
	{ NULL, GSET_BOOL, 0, 0, 0, NULL, NULL, 0, 0, NULL }
};

const struct settings_group signup_settings_group = {
	"settings.sign_up", signup_members, sizeof(struct signup_settings),
	signup_finish
};

/* 1 when list (",a.com,b.org,") holds domain */
static int
listed(const char *list, const char *domain)
{
	const char	*p;
	size_t		 n = strlen(domain);

	for (p = list; (p = strstr(p, domain)) != NULL; p++)
		if (p > list && p[-1] == ',' && p[n] == ',')
			return (1);
	return (0);
}

/* the user.before_create webhook, last (auth/webhook.h; fail-closed) */
static enum err
before_create(struct request *r, const struct signup_new *n)
{
	struct user_rec	 u;

	memset(&u, 0, sizeof(u));
	u.email = n->email;
	u.name = n->name;
	u.image = n->image;
	u.email_verified = n->email_verified;
	return (webhook_before_create(r, &u, n->provider));
}

enum err
signup_check(struct request *r, struct db_conn *c,
    const struct signup_new *n)
{
	const struct signup_settings	*s;
	const struct db_error		*de;
	const char			*at, *domain;
	int				 rc;

	s = branchcfg_group(r->bcfg, &signup_settings_group);
	if ((at = strrchr(n->email, '@')) == NULL)
		return (ERR_SIGN_UP_EMAIL_DOMAIN_NOT_ALLOWED);
	domain = at + 1;
	if (s->broken) {
		log_warnx("settings.sign_up is not valid: sign-up refused");
		return (ERR_SIGN_UP_CHECK_FAILED);
	}
	if ((s->blocked[0] != '\0' && listed(s->blocked, domain)) ||
	    (s->allowed[0] != '\0' && !listed(s->allowed, domain))) {
		log_info("sign-up refused by the domain rules (%s)",
		    n->provider);
		return (ERR_SIGN_UP_EMAIL_DOMAIN_NOT_ALLOWED);
	}
	if (s->function[0] != '\0' && !store_hooks_name_ok(s->function)) {
		log_warnx("settings.sign_up.function is not a function name: "
		    "sign-up refused");
		return (ERR_SIGN_UP_CHECK_FAILED);
	}
	if (s->function[0] != '\0') {
		rc = store_hooks_sign_up(c, r->a, s->function, n->email,
		    n->provider);
		if (rc == 0) {
			log_info("sign-up refused by %s (%s)", s->function,
			    n->provider);
			return (ERR_SIGN_UP_NOT_ALLOWED);
		}
		if (rc == -1) {
			de = db_last_error(c);
			if (de->kind == DB_ERR_UNAVAILABLE)
				return (err_db(r, c,
				    ERR_SIGN_UP_CHECK_FAILED));
			/* raised, missing, wrong type: fail closed */
			log_warnx("sign-up function %s failed: sqlstate %s",
			    s->function, de->sqlstate);
			return (ERR_SIGN_UP_CHECK_FAILED);
		}
	}
	return (before_create(r, n));
}
