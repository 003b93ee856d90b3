/*
 * config.c -- load and validate neon-authd.conf; the only file that
 * includes libconfig.h.
 *
 * Every option has a default (etc/neon-authd.conf documents them).  An
 * error names the file, the line and the option; main.c turns it into
 * exit status 78.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "lib/arena.h"
#include "lib/config.h"
#include "lib/httpc.h"
#include "lib/log.h"
#include "lib/netaddr.h"
#include "lib/mail.h"
#include "lib/smtp.h"

#ifndef SQLDIR
#define SQLDIR "/usr/share/neon-authd/sql"
#endif

static void
seterr(char *err, size_t errlen, const char *file, int line,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (line > 0)
		n = snprintf(err, errlen, "%s:%d: ", file, line);
	else
		n = snprintf(err, errlen, "%s: ", file);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static char *
xstrdup(const char *s)
{
	char	*p;

	if (s == NULL)
		return (NULL);
	if ((p = strdup(s)) == NULL) {
		log_crit("out of memory");
		exit(1);
	}
	return (p);
}

/* fetch a string option; absent = default; wrong type = error */
static int
get_str(config_t *cf, const char *name, const char *def, char **out,
    const char *file, char *err, size_t errlen)
{
	config_setting_t	*s = config_lookup(cf, name);

	if (s == NULL) {
		*out = xstrdup(def);
		return (0);
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		seterr(err, errlen, file, config_setting_source_line(s),
		    "%s: must be a string", name);
		return (-1);
	}
	*out = xstrdup(config_setting_get_string(s));
	return (0);
}

static int
get_int(config_t *cf, const char *name, long long def, long long min,
    long long max, long long *out, const char *file, char *err,
    size_t errlen)
{
	config_setting_t	*s = config_lookup(cf, name);
	long long		 v;

	if (s == NULL) {
		*out = def;
		return (0);
	}
	if (config_setting_type(s) == CONFIG_TYPE_INT)
		v = config_setting_get_int(s);
	else if (config_setting_type(s) == CONFIG_TYPE_INT64)
		v = config_setting_get_int64(s);
	else {
		seterr(err, errlen, file, config_setting_source_line(s),
		    "%s: must be an integer", name);
		return (-1);
	}
	if (v < min || v > max) {
		seterr(err, errlen, file, config_setting_source_line(s),
		    "%s: %lld is out of range (%lld..%lld)", name, v, min, max);
		return (-1);
	}
	*out = v;
	return (0);
}

static int
get_bool(config_t *cf, const char *name, int def, int *out,
    const char *file, char *err, size_t errlen)
{
	config_setting_t	*s = config_lookup(cf, name);

	if (s == NULL) {
		*out = def;
		return (0);
	}
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		seterr(err, errlen, file, config_setting_source_line(s),
		    "%s: must be true or false", name);
		return (-1);
	}
	*out = config_setting_get_bool(s);
	return (0);
}

/*
 * An Auth URL: http(s)://host[:port][/path] with no user, query or
 * fragment, read by the URL parser the rest of the code uses (curl_url,
 * lib/httpc.c).  *norm gets it normalised (lower-case scheme and host, no
 * default port, no trailing slash).  0, or -1.
 */
static int
auth_url_norm(const char *u, char **norm)
{
	struct arena		 a;
	struct httpc_url	 hu;
	size_t			 n;
	int			 rc = -1;

	arena_init(&a, 4096);
	if (httpc_url_parse(&a, u, &hu) == 0 &&
	    (strcmp(hu.scheme, "http") == 0 ||
	    strcmp(hu.scheme, "https") == 0) &&
	    !hu.has_user && !hu.has_query && !hu.has_fragment &&
	    strchr(u, '?') == NULL && strchr(u, '#') == NULL) {
		n = strlen(hu.path);
		while (n > 0 && hu.path[n - 1] == '/')
			hu.path[--n] = '\0';
		if (norm != NULL)
			*norm = xstrdup(arena_printf(&a, "%s%s", hu.origin,
			    hu.path));
		rc = 0;
	}
	arena_free(&a);
	return (rc);
}

int
config_auth_url_check(const char *url, char **norm)
{
	if (norm != NULL)
		*norm = NULL;
	return (url == NULL ? -1 : auth_url_norm(url, norm));
}

/*
 * A branch_template text: only {branch} and {database} placeholders.
 * *used gets 1 for {branch}, 2 for {database}.  0, or -1 with the
 * offending placeholder (or "{" / "}") in bad.
 */
int
config_template_fields(const char *s, int *used, char *bad, size_t badlen)
{
	const char	*p, *e;

	*used = 0;
	for (p = s; *p != '\0'; p++) {
		if (*p == '}') {
			snprintf(bad, badlen, "a stray }");
			return (-1);
		}
		if (*p != '{')
			continue;
		if ((e = strchr(p, '}')) == NULL) {
			snprintf(bad, badlen, "an unclosed {");
			return (-1);
		}
		if ((size_t)(e - p) == 7 && strncmp(p, "{branch}", 8) == 0)
			*used |= 1;
		else if ((size_t)(e - p) == 9 &&
		    strncmp(p, "{database}", 10) == 0)
			*used |= 2;
		else {
			snprintf(bad, badlen, "%.*s", (int)(e - p + 1), p);
			return (-1);
		}
		p = e;
	}
	return (0);
}

/* s with {branch} and {database} replaced by sample values, in a */
char *
config_template_sample(struct arena *a, const char *s)
{
	char		*r = arena_strdup(a, "");
	const char	*p;

	for (p = s; *p != '\0'; p++) {
		if (strncmp(p, "{branch}", 8) == 0) {
			r = arena_printf(a, "%sbranch0", r);
			p += 7;
		} else if (strncmp(p, "{database}", 10) == 0) {
			r = arena_printf(a, "%sdatabase0", r);
			p += 9;
		} else
			r = arena_printf(a, "%s%c", r, *p);
	}
	return (r);
}

static const char *const known_top[] = {
	"listen", "pool", "body_max", "log", "log_level", "log_file",
	"status", "secret", "secrets", "database", "branches",
	"branch_template", "sql_dir", "testing", "trusted_proxies",
	"pid_file", "mail", "webhooks", NULL
};

/* the members each group may have */
static const struct {
	const char		*group;
	const char *const	 keys[20];
} known_sub[] = {
	{ "listen", { "address", "mode", "owner", "group", "backlog",
	    "allow", NULL } },
	{ "pool", { "workers", "max_requests", "max_requests_jitter",
	    "request_timeout", "shutdown_timeout", "hash_concurrency",
	    "slow_request", "ip_limit", "hash_wait", "session_cache", NULL } },
	{ "status", { "enabled", "path", "metrics_path", NULL } },
	{ "log", { "format", "level", "file", NULL } },
	{ "database", { "connect_timeout", "statement_timeout",
	    "max_branches", "config_ttl", "max_connections", "idle_timeout",
	    NULL } },
	{ "testing", { "sleep_endpoint", NULL } },
	{ "webhooks", { "allow_loopback", NULL } },
	{ "branch_template", { "auth_url", "database", "pooler",
	    "listen_database", NULL } },
	{ "mail", { "spool_dir", "host", "port", "security", "username",
	    "password", "sender_email", "sender_name", "allow_plain",
	    "ca_file", "concurrency", "max_attempts", "retry_base",
	    "retry_max", "connect_timeout", "timeout", "keep_days", NULL } },
};

/* the mail group: defaults, ranges, and a transport that can work */
static int
load_mail(config_t *cf, struct config *c, const char *path, char *err,
    size_t errlen)
{
	struct config_mail	*m = &c->mail;
	config_setting_t	*s;
	char			*sec = NULL;
	long long		 v;
	int			 line;

#define MSTR(name, def, field) \
	if (get_str(cf, "mail." name, def, &m->field, path, err, errlen) == \
	    -1) \
		goto fail
#define MINT(name, def, min, max, field) do { \
	if (get_int(cf, "mail." name, def, min, max, &v, path, err, \
	    errlen) == -1) \
		goto fail; \
	m->field = (int)v; \
} while (0)
	MSTR("spool_dir", "", spool_dir);
	MSTR("host", "", host);
	MINT("port", 0, 0, 65535, port);
	if (get_str(cf, "mail.security", "", &sec, path, err, errlen) == -1)
		return (-1);
	MSTR("username", "", username);
	MSTR("password", "", password);
	MSTR("sender_email", "", sender_email);
	MSTR("sender_name", "", sender_name);
	if (get_bool(cf, "mail.allow_plain", 0, &m->allow_plain, path, err,
	    errlen) == -1)
		goto fail;
	MSTR("ca_file", "", ca_file);
	MINT("concurrency", 4, 1, 64, concurrency);
	MINT("max_attempts", 8, 1, 100, max_attempts);
	MINT("retry_base", 30, 1, 86400, retry_base);
	MINT("retry_max", 3600, 1, 7 * 86400, retry_max);
	MINT("connect_timeout", 10, 1, 600, connect_timeout);
	MINT("timeout", 30, 1, 600, timeout);
	MINT("keep_days", 7, 0, 3650, keep_days);
#undef MSTR
#undef MINT
	m->security = *sec ? smtp_security_parse(sec) : -1;
	s = config_lookup(cf, "mail.security");
	line = s ? config_setting_source_line(s) : 0;
	if (*sec && m->security < 0) {
		seterr(err, errlen, path, line, "mail.security: \"%s\" is not "
		    "one of \"tls\", \"starttls\", \"none\"", sec);
		goto fail;
	}
	free(sec);
	sec = NULL;
	smtp_resolve(&m->security, &m->port);
	if (m->spool_dir[0] != '\0' && m->spool_dir[0] != '/') {
		s = config_lookup(cf, "mail.spool_dir");
		seterr(err, errlen, path, s ? config_setting_source_line(s) : 0,
		    "mail.spool_dir: must be an absolute path");
		return (-1);
	}
	if (m->host[0] == '\0')
		return (0);
	s = config_lookup(cf, "mail.host");
	line = s ? config_setting_source_line(s) : 0;
	if (!smtp_host_ok(m->host)) {
		seterr(err, errlen, path, line, "mail.host: \"%s\" is not a "
		    "host name or address", m->host);
		return (-1);
	}
	if (!mail_addr_ok(m->sender_email)) {
		seterr(err, errlen, path, line, "mail.sender_email: a sender "
		    "address is needed with mail.host");
		return (-1);
	}
	if (m->security == SMTP_NONE && !m->allow_plain &&
	    !smtp_host_loopback(m->host)) {
		seterr(err, errlen, path, line, "mail.security: \"none\" "
		    "(plain SMTP) to %s needs mail.allow_plain = true",
		    m->host);
		return (-1);
	}
	return (0);
 fail:
	free(sec);
	return (-1);
}

/* unknown members of the known groups; -1 with err set */
static int
check_groups(config_t *cf, const char *path, char *err, size_t errlen)
{
	config_setting_t	*g, *m;
	size_t			 i;
	int			 j, k, n;

	for (i = 0; i < sizeof(known_sub) / sizeof(known_sub[0]); i++) {
		if ((g = config_lookup(cf, known_sub[i].group)) == NULL)
			continue;
		if (!config_setting_is_group(g)) {
			seterr(err, errlen, path, config_setting_source_line(g),
			    "%s: must be a group { ... }", known_sub[i].group);
			return (-1);
		}
		n = config_setting_length(g);
		for (j = 0; j < n; j++) {
			m = config_setting_get_elem(g, (unsigned)j);
			for (k = 0; known_sub[i].keys[k] != NULL; k++)
				if (strcmp(known_sub[i].keys[k],
				    config_setting_name(m)) == 0)
					break;
			if (known_sub[i].keys[k] == NULL) {
				seterr(err, errlen, path,
				    config_setting_source_line(m),
				    "%s.%s: unknown option", known_sub[i].group,
				    config_setting_name(m));
				return (-1);
			}
		}
	}
	return (0);
}

/*
 * secret / secrets: the newest first.  secrets is a list of strings or
 * of { version = N; value = "..."; } groups (Better Auth's versioned
 * secrets); secret, when given beside it, is the legacy one and comes
 * last.  Every value has at least 32 characters.
 */
static int
add_secret(struct config *c, const char *v, long long version,
    const char *path, int line, const char *what, char *err, size_t errlen)
{
	int	 i;

	if (v == NULL || strlen(v) < 32) {
		seterr(err, errlen, path, line, "%s: must be at least 32 "
		    "characters", what);
		return (-1);
	}
	for (i = 0; i < c->secrets.n; i++) {
		if (strcmp(c->secrets.s[i].value, v) == 0) {
			if (strcmp(what, "secret") == 0)
				return (0);	/* the legacy one, listed */
			seterr(err, errlen, path, line, "%s: listed twice",
			    what);
			return (-1);
		}
		if (version >= 0 && c->secrets.s[i].version == version) {
			seterr(err, errlen, path, line, "%s: version %lld is "
			    "listed twice", what, version);
			return (-1);
		}
	}
	if (c->secrets.n >= CRYPTO_SECRETS_MAX) {
		seterr(err, errlen, path, line, "secrets: at most %d",
		    CRYPTO_SECRETS_MAX);
		return (-1);
	}
	c->secrets.s[c->secrets.n].value = xstrdup(v);
	c->secrets.s[c->secrets.n].version = version;
	c->secrets.n++;
	return (0);
}

static int
load_secrets(config_t *cf, struct config *c, const char *path, char *err,
    size_t errlen)
{
	config_setting_t	*s, *e;
	const char		*v;
	char			 what[48];
	int			 i, n, line, ver;

	if ((s = config_lookup(cf, "secrets")) != NULL) {
		if (!config_setting_is_list(s) && !config_setting_is_array(s)) {
			seterr(err, errlen, path, config_setting_source_line(s),
			    "secrets: must be a list ( \"...\", ... ), newest "
			    "first");
			return (-1);
		}
		n = config_setting_length(s);
		for (i = 0; i < n; i++) {
			e = config_setting_get_elem(s, (unsigned)i);
			line = config_setting_source_line(e);
			if (line <= 0)
				line = config_setting_source_line(s);
			snprintf(what, sizeof(what), "secrets[%d]", i);
			if (config_setting_type(e) == CONFIG_TYPE_STRING) {
				if (add_secret(c, config_setting_get_string(e),
				    -1, path, line, what, err, errlen) == -1)
					return (-1);
				continue;
			}
			v = NULL;
			if (!config_setting_is_group(e) ||
			    !config_setting_lookup_int(e, "version", &ver) ||
			    !config_setting_lookup_string(e, "value", &v) ||
			    ver < 0 || config_setting_length(e) != 2) {
				seterr(err, errlen, path, line, "%s: a string, "
				    "or { version = N; value = \"...\"; } "
				    "with N >= 0", what);
				return (-1);
			}
			if (add_secret(c, v, ver, path, line, what, err,
			    errlen) == -1)
				return (-1);
		}
		if (n == 0) {
			seterr(err, errlen, path, config_setting_source_line(s),
			    "secrets: empty");
			return (-1);
		}
	}
	if ((s = config_lookup(cf, "secret")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_STRING) {
			seterr(err, errlen, path, config_setting_source_line(s),
			    "secret: must be a string");
			return (-1);
		}
		if (add_secret(c, config_setting_get_string(s), -1, path,
		    config_setting_source_line(s), "secret", err,
		    errlen) == -1)
			return (-1);
	}
	if (c->secrets.n == 0) {
		seterr(err, errlen, path, 0, "secret: must be at least 32 "
		    "characters (or secrets: a list, newest first)");
		return (-1);
	}
	c->secret = xstrdup(c->secrets.s[0].value);
	return (0);
}

/* trusted_proxies = [ "127.0.0.1", "10.0.0.0/8", ... ] */
static int
load_proxies(config_t *cf, struct config *c, const char *path, char *err,
    size_t errlen)
{
	config_setting_t	*s, *e;
	struct netaddr_cidr	 cidr;
	const char		*v;
	int			 i, n;

	if ((s = config_lookup(cf, "trusted_proxies")) == NULL)
		return (0);
	if (!config_setting_is_list(s) && !config_setting_is_array(s)) {
		seterr(err, errlen, path, config_setting_source_line(s),
		    "trusted_proxies: must be a list [ \"addr\", "
		    "\"addr/bits\", ... ]");
		return (-1);
	}
	n = config_setting_length(s);
	if (n > CONFIG_PROXIES_MAX) {
		seterr(err, errlen, path, config_setting_source_line(s),
		    "trusted_proxies: at most %d entries", CONFIG_PROXIES_MAX);
		return (-1);
	}
	if ((c->trusted_proxies = calloc((size_t)n + 1,
	    sizeof(*c->trusted_proxies))) == NULL) {
		log_crit("out of memory");
		exit(1);
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		v = config_setting_type(e) == CONFIG_TYPE_STRING ?
		    config_setting_get_string(e) : NULL;
		if (v == NULL || netaddr_cidr_parse(v, &cidr) == -1) {
			seterr(err, errlen, path, config_setting_source_line(s),
			    "trusted_proxies[%d]: %s%s%snot an address or "
			    "CIDR (\"10.0.0.0/8\", \"::1\")", i, v ? "\"" :
			    "", v ? v : "", v ? "\" is " : "");
			return (-1);
		}
		c->trusted_proxies[i] = xstrdup(v);
	}
	return (0);
}

/* listen.allow = [ "127.0.0.1", "10.0.0.0/8", ... ]: peers on TCP */
static int
load_allow(config_t *cf, struct config *c, const char *path, char *err,
    size_t errlen)
{
	config_setting_t	*s, *e;
	struct netaddr_cidr	 cidr;
	const char		*v;
	int			 i, n;

	if ((s = config_lookup(cf, "listen.allow")) == NULL)
		return (0);
	n = config_setting_length(s);
	if ((!config_setting_is_list(s) && !config_setting_is_array(s)) ||
	    n == 0 || n > CONFIG_ALLOW_MAX) {
		seterr(err, errlen, path, config_setting_source_line(s),
		    "listen.allow: must be a list of 1 to %d addresses or "
		    "CIDRs [ \"addr\", \"addr/bits\", ... ]",
		    CONFIG_ALLOW_MAX);
		return (-1);
	}
	if ((c->listen_allow = calloc((size_t)n + 1,
	    sizeof(*c->listen_allow))) == NULL) {
		log_crit("out of memory");
		exit(1);
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		v = config_setting_type(e) == CONFIG_TYPE_STRING ?
		    config_setting_get_string(e) : NULL;
		if (v == NULL || netaddr_cidr_parse(v, &cidr) == -1) {
			seterr(err, errlen, path, config_setting_source_line(s),
			    "listen.allow[%d]: %s%s%snot an address or "
			    "CIDR (\"10.0.0.5\", \"10.0.0.0/24\")", i,
			    v ? "\"" : "", v ? v : "", v ? "\" is " : "");
			return (-1);
		}
		c->listen_allow[i] = xstrdup(v);
	}
	return (0);
}

/*
 * A branch's (or the template's) pooler = "none" | "transaction" and
 * listen_database, a direct connection string for LISTEN (README
 * "Through PgBouncer").  0, or -1 with the message in err.
 */
static int
load_pooler(config_setting_t *g, int *pooled, char **listen, const char *path,
    char *err, size_t errlen)
{
	config_setting_t	*s;
	const char		*v = NULL;
	char			 bad[64];
	int			 used;

	*pooled = 0;
	if ((s = config_setting_get_member(g, "pooler")) != NULL) {
		v = config_setting_get_string(s);
		if (v != NULL && strcmp(v, "transaction") == 0)
			*pooled = 1;
		else if (v == NULL || strcmp(v, "none") != 0) {
			seterr(err, errlen, path, config_setting_source_line(s),
			    "pooler: must be \"none\" or \"transaction\"");
			return (-1);
		}
	}
	v = "";
	if ((s = config_setting_get_member(g, "listen_database")) != NULL &&
	    (v = config_setting_get_string(s)) == NULL) {
		seterr(err, errlen, path, config_setting_source_line(s),
		    "listen_database: must be a string");
		return (-1);
	}
	if (s != NULL && config_template_fields(v, &used, bad,
	    sizeof(bad)) == -1) {
		seterr(err, errlen, path, config_setting_source_line(s),
		    "listen_database: %s: only {branch} and {database} are "
		    "placeholders", bad);
		return (-1);
	}
	*listen = xstrdup(v);
	return (0);
}

/* branch_template: placeholders, and both fields with sample values */
static int
template_check(struct config *c, const char *au, const char *db,
    const char *path, char *err, size_t errlen)
{
	struct arena	 a;
	char		 bad[64];
	int		 ua, ud, rc = -1;
	size_t		 n;

	if (config_template_fields(au, &ua, bad, sizeof(bad)) == -1) {
		seterr(err, errlen, path, c->template_line, "branch_template."
		    "auth_url: %s: only {branch} and {database} are "
		    "placeholders", bad);
		return (-1);
	}
	if (config_template_fields(db, &ud, bad, sizeof(bad)) == -1) {
		seterr(err, errlen, path, c->template_line, "branch_template."
		    "database: %s: only {branch} and {database} are "
		    "placeholders", bad);
		return (-1);
	}
	if (ua == 0) {
		seterr(err, errlen, path, c->template_line, "branch_template."
		    "auth_url: names neither {branch} nor {database}");
		return (-1);
	}
	if ((ud & ~ua) != 0) {
		seterr(err, errlen, path, c->template_line, "branch_template."
		    "database: uses %s, which auth_url does not give",
		    (ud & ~ua) & 1 ? "{branch}" : "{database}");
		return (-1);
	}
	arena_init(&a, 4096);
	if (auth_url_norm(config_template_sample(&a, au), NULL) == -1) {
		seterr(err, errlen, path, c->template_line, "branch_template."
		    "auth_url: \"%s\" is not an http(s) URL without user, "
		    "query or fragment", au);
		goto done;
	}
	c->template_auth_url = xstrdup(au);
	n = strlen(c->template_auth_url);
	/* "scheme://" is followed by a host, so a '/' here ends a path */
	while (n > 0 && c->template_auth_url[n - 1] == '/' &&
	    strstr(c->template_auth_url, "://") + 3 <
	    c->template_auth_url + n - 1)
		c->template_auth_url[--n] = '\0';
	c->template_database = xstrdup(db);
	rc = 0;
 done:
	arena_free(&a);
	return (rc);
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	config_t		 cf;
	config_setting_t	*root, *s, *b;
	struct config		*c = NULL;
	long long		 v;
	char			*mode = NULL;
	int			 i, j, n;

	config_init(&cf);
	if (config_read_file(&cf, path) != CONFIG_TRUE) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			seterr(err, errlen, path, 0, "cannot read file: %s",
			    strerror(errno));
		else
			seterr(err, errlen, config_error_file(&cf) ?
			    config_error_file(&cf) : path,
			    config_error_line(&cf), "%s",
			    config_error_text(&cf));
		goto fail;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->path = xstrdup(path);

	root = config_root_setting(&cf);
	n = config_setting_length(root);
	for (i = 0; i < n; i++) {
		const char *name = config_setting_name(
		    config_setting_get_elem(root, (unsigned)i));

		for (j = 0; known_top[j] != NULL; j++)
			if (strcmp(known_top[j], name) == 0)
				break;
		if (known_top[j] == NULL) {
			seterr(err, errlen, path, config_setting_source_line(
			    config_setting_get_elem(root, (unsigned)i)),
			    "%s: unknown option", name);
			goto fail;
		}
	}

	if (check_groups(&cf, path, err, errlen) == -1)
		goto fail;

#define STRO(name, def, field) \
	if (get_str(&cf, name, def, &c->field, path, err, errlen) == -1) \
		goto fail
#define INTO(name, def, min, max, field) do { \
	if (get_int(&cf, name, def, min, max, &v, path, err, errlen) == -1) \
		goto fail; \
	c->field = v; \
} while (0)
#define BOOLO(name, def, field) \
	if (get_bool(&cf, name, def, &c->field, path, err, errlen) == -1) \
		goto fail

	STRO("listen.address", "unix:/run/neon-authd/neon-authd.sock",
	    listen_address);
	if (get_str(&cf, "listen.mode", "0660", &mode, path, err, errlen) == -1)
		goto fail;
	{
		char	*end;
		long	 m;

		errno = 0;
		m = strtol(mode, &end, 8);
		if (errno || *mode == '\0' || *end != '\0' || m < 0 ||
		    m > 07777) {
			s = config_lookup(&cf, "listen.mode");
			seterr(err, errlen, path, s ?
			    config_setting_source_line(s) : 0,
			    "listen.mode: \"%s\" is not an octal mode", mode);
			goto fail;
		}
		c->listen_mode = (mode_t)m;
	}
	STRO("listen.owner", "", listen_owner);
	STRO("listen.group", "", listen_group);
	INTO("listen.backlog", 511, 1, 65535, listen_backlog);
	if (load_allow(&cf, c, path, err, errlen) == -1)
		goto fail;

	INTO("pool.workers", 4, 1, 256, workers);
	INTO("pool.max_requests", 1000000, 0, 1000000000, max_requests);
	INTO("pool.max_requests_jitter", 100000, 0, 1000000000,
	    max_requests_jitter);
	INTO("pool.request_timeout", 30, 1, 86400, request_timeout);
	INTO("pool.shutdown_timeout", 10, 0, 86400, shutdown_timeout);
	INTO("pool.hash_concurrency", 0, 0, 256, hash_concurrency);
	INTO("pool.hash_wait", 2000, 0, 86400000, hash_wait_ms);

	INTO("pool.slow_request", 0, 0, 86400000, slow_request_ms);
	INTO("pool.ip_limit", 1000, 0, 1000000, ip_limit);
	INTO("pool.session_cache", 4096, 0, 1048576, session_cache);

	INTO("body_max", 65536, 1024, 16 * 1024 * 1024, body_max);
	/* log.level / log.file, or their older spellings log_level / log_file */
	if (config_lookup(&cf, "log.level") && config_lookup(&cf, "log_level")) {
		s = config_lookup(&cf, "log_level");
		seterr(err, errlen, path, config_setting_source_line(s),
		    "log_level: also given as log.level; keep one");
		goto fail;
	}
	if (config_lookup(&cf, "log.file") && config_lookup(&cf, "log_file")) {
		s = config_lookup(&cf, "log_file");
		seterr(err, errlen, path, config_setting_source_line(s),
		    "log_file: also given as log.file; keep one");
		goto fail;
	}
	{
		const char	*lname = config_lookup(&cf, "log.level") ?
				    "log.level" : "log_level";
		char		*lvl = NULL, *fmt = NULL;

		if (get_str(&cf, lname, "info", &lvl, path, err,
		    errlen) == -1)
			goto fail;
		c->log_level = log_level_parse(lvl);
		if (c->log_level == -1) {
			s = config_lookup(&cf, lname);
			seterr(err, errlen, path, s ?
			    config_setting_source_line(s) : 0,
			    "%s: unknown level \"%s\"", lname, lvl);
			free(lvl);
			goto fail;
		}
		free(lvl);
		if (get_str(&cf, "log.format", "text", &fmt, path, err,
		    errlen) == -1)
			goto fail;
		if (strcmp(fmt, "text") == 0)
			c->log_format = CONFIG_LOG_TEXT;
		else if (strcmp(fmt, "json") == 0)
			c->log_format = CONFIG_LOG_JSON;
		else {
			s = config_lookup(&cf, "log.format");
			seterr(err, errlen, path, config_setting_source_line(s),
			    "log.format: \"%s\" is neither \"text\" nor "
			    "\"json\"", fmt);
			free(fmt);
			goto fail;
		}
		free(fmt);
	}
	if (get_str(&cf, config_lookup(&cf, "log.file") ? "log.file" :
	    "log_file", "", &c->log_file, path, err, errlen) == -1)
		goto fail;
	STRO("pid_file", "", pid_file);

	BOOLO("status.enabled", 0, status_enabled);
	STRO("status.path", "/_neon-authd/status", status_path);
	if (c->status_path[0] != '/') {
		s = config_lookup(&cf, "status.path");
		seterr(err, errlen, path, s ? config_setting_source_line(s) : 0,
		    "status.path: must start with /");
		goto fail;
	}
	STRO("status.metrics_path", "/_neon-authd/metrics", metrics_path);
	if (c->metrics_path[0] != '/' ||
	    strcmp(c->metrics_path, c->status_path) == 0) {
		s = config_lookup(&cf, "status.metrics_path");
		seterr(err, errlen, path, s ? config_setting_source_line(s) : 0,
		    "status.metrics_path: must start with / and differ from "
		    "status.path");
		goto fail;
	}

	if (load_secrets(&cf, c, path, err, errlen) == -1)
		goto fail;
	if (load_proxies(&cf, c, path, err, errlen) == -1)
		goto fail;

	INTO("database.connect_timeout", 5, 1, 300, db_connect_timeout);
	INTO("database.statement_timeout", 5000, 0, 3600000,
	    db_statement_timeout);
	INTO("database.max_branches", 16, 1, 10000, db_max_branches);
	INTO("database.config_ttl", 60, 0, 86400, config_ttl);
	INTO("database.max_connections", 0, 0, 32767, db_max_connections);
	INTO("database.idle_timeout", 300, 0, 86400, db_idle_timeout);
	STRO("sql_dir", SQLDIR, sql_dir);
	BOOLO("testing.sleep_endpoint", 0, testing_sleep);
	BOOLO("webhooks.allow_loopback", 0, webhook_allow_loopback);
	if (load_mail(&cf, c, path, err, errlen) == -1)
		goto fail;

	if ((s = config_lookup(&cf, "branches")) != NULL) {
		if (!config_setting_is_list(s) && !config_setting_is_array(s)) {
			seterr(err, errlen, path, config_setting_source_line(s),
			    "branches: must be a list ( {...}, ... )");
			goto fail;
		}
		n = config_setting_length(s);
		c->branches = calloc((size_t)n + 1, sizeof(*c->branches));
		if (c->branches == NULL)
			goto fail;
		for (i = 0; i < n; i++) {
			const char	*nm = NULL, *au = NULL, *db = NULL;
			int		 line;

			b = config_setting_get_elem(s, (unsigned)i);
			line = config_setting_source_line(b);
			if (!config_setting_is_group(b) ||
			    !config_setting_lookup_string(b, "name", &nm) ||
			    !config_setting_lookup_string(b, "auth_url", &au) ||
			    !config_setting_lookup_string(b, "database", &db)) {
				seterr(err, errlen, path, line, "branches[%d]: "
				    "needs string fields name, auth_url and "
				    "database", i);
				goto fail;
			}
			if (*nm == '\0' || strlen(nm) > 63) {
				seterr(err, errlen, path, line,
				    "branches[%d].name: 1 to 63 characters", i);
				goto fail;
			}
			for (j = 0; j < c->nbranches; j++)
				if (strcmp(c->branches[j].name, nm) == 0) {
					seterr(err, errlen, path, line,
					    "branches[%d].name: \"%s\" is "
					    "listed twice", i, nm);
					goto fail;
				}
			c->branches[i].name = xstrdup(nm);
			c->branches[i].database = xstrdup(db);
			c->branches[i].line = line;
			c->nbranches++;
			if (load_pooler(b, &c->branches[i].pooled,
			    &c->branches[i].listen_database, path, err,
			    errlen) == -1)
				goto fail;
			if (auth_url_norm(au, &c->branches[i].auth_url) == -1) {
				seterr(err, errlen, path, line,
				    "branches[%d].auth_url: \"%s\" is not an "
				    "http(s) URL without user, query or "
				    "fragment", i, au);
				goto fail;
			}
		}
	}
	if ((s = config_lookup(&cf, "branch_template")) != NULL) {
		const char	*au = NULL, *db = NULL;

		if (!config_setting_lookup_string(s, "auth_url", &au) ||
		    !config_setting_lookup_string(s, "database", &db)) {
			seterr(err, errlen, path, config_setting_source_line(s),
			    "branch_template: needs string fields auth_url "
			    "and database");
			goto fail;
		}
		c->template_line = config_setting_source_line(s);
		if (template_check(c, au, db, path, err, errlen) == -1)
			goto fail;
		if (load_pooler(s, &c->template_pooled,
		    &c->template_listen_database, path, err, errlen) == -1)
			goto fail;
	}
	free(mode);
	config_destroy(&cf);
	return (c);
 fail:
	free(mode);
	config_free(c);
	config_destroy(&cf);
	return (NULL);
}

void
config_free(struct config *c)
{
	int	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nbranches; i++) {
		free(c->branches[i].name);
		free(c->branches[i].auth_url);
		free(c->branches[i].database);
		free(c->branches[i].listen_database);
	}
	free(c->template_listen_database);
	free(c->branches);
	free(c->template_auth_url);
	free(c->template_database);
	free(c->path);
	free(c->listen_address);
	free(c->listen_owner);
	free(c->listen_group);
	free(c->log_file);
	free(c->status_path);
	free(c->metrics_path);
	free(c->pid_file);
	if (c->trusted_proxies != NULL)
		for (i = 0; c->trusted_proxies[i] != NULL; i++)
			free(c->trusted_proxies[i]);
	free(c->trusted_proxies);
	if (c->listen_allow != NULL)
		for (i = 0; c->listen_allow[i] != NULL; i++)
			free(c->listen_allow[i]);
	free(c->listen_allow);
	for (i = 0; i < c->secrets.n; i++)
		free((char *)c->secrets.s[i].value);
	free(c->secret);
	free(c->sql_dir);
	free(c->mail.spool_dir);
	free(c->mail.host);
	free(c->mail.username);
	free(c->mail.password);
	free(c->mail.sender_email);
	free(c->mail.sender_name);
	free(c->mail.ca_file);
	free(c);
}
