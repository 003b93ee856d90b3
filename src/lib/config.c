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

#include "lib/config.h"
#include "lib/log.h"

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

/* auth_url: http(s)://host[:port][/path], stored without a trailing slash */
static int
check_auth_url(char *u)
{
	size_t	 n;
	char	*p;

	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
		return (-1);
	p = strstr(u, "://") + 3;
	if (*p == '\0' || *p == '/')
		return (-1);
	if (strpbrk(u, " ?#\t\r\n") != NULL)
		return (-1);
	n = strlen(u);
	while (n > 0 && u[n - 1] == '/' && (size_t)(p - u) < n - 1) {
		/* keep "scheme://host" intact */
		if (strchr(p, '/') == NULL)
			break;
		u[--n] = '\0';
	}
	return (0);
}

static const char *const known_top[] = {
	"listen", "pool", "body_max", "log_level", "log_file", "status",
	"secret", "database", "branches", "branch_template", "sql_dir",
	"testing", NULL
};

/* the members each group may have */
static const struct {
	const char		*group;
	const char *const	 keys[8];
} known_sub[] = {
	{ "listen", { "address", "mode", "owner", "group", "backlog", NULL } },
	{ "pool", { "workers", "max_requests", "max_requests_jitter",
	    "request_timeout", "shutdown_timeout", "hash_concurrency",
	    NULL } },
	{ "status", { "enabled", "path", NULL } },
	{ "database", { "connect_timeout", "statement_timeout",
	    "max_branches", "config_ttl", NULL } },
	{ "testing", { "sleep_endpoint", NULL } },
	{ "branch_template", { "auth_url", "database", NULL } },
};

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

	INTO("pool.workers", 4, 1, 256, workers);
	INTO("pool.max_requests", 1000000, 0, 1000000000, max_requests);
	INTO("pool.max_requests_jitter", 100000, 0, 1000000000,
	    max_requests_jitter);
	INTO("pool.request_timeout", 30, 1, 86400, request_timeout);
	INTO("pool.shutdown_timeout", 10, 0, 86400, shutdown_timeout);
	INTO("pool.hash_concurrency", 0, 0, 256, hash_concurrency);

	INTO("body_max", 65536, 1024, 16 * 1024 * 1024, body_max);
	{
		char	*lvl = NULL;

		if (get_str(&cf, "log_level", "info", &lvl, path, err,
		    errlen) == -1)
			goto fail;
		c->log_level = log_level_parse(lvl);
		if (c->log_level == -1) {
			s = config_lookup(&cf, "log_level");
			seterr(err, errlen, path, s ?
			    config_setting_source_line(s) : 0,
			    "log_level: unknown level \"%s\"", lvl);
			free(lvl);
			goto fail;
		}
		free(lvl);
	}
	STRO("log_file", "", log_file);

	BOOLO("status.enabled", 0, status_enabled);
	STRO("status.path", "/_neon-authd/status", status_path);
	if (c->status_path[0] != '/') {
		s = config_lookup(&cf, "status.path");
		seterr(err, errlen, path, s ? config_setting_source_line(s) : 0,
		    "status.path: must start with /");
		goto fail;
	}

	STRO("secret", "", secret);
	if (strlen(c->secret) < 32) {
		s = config_lookup(&cf, "secret");
		seterr(err, errlen, path, s ? config_setting_source_line(s) : 0,
		    "secret: must be at least 32 characters");
		goto fail;
	}

	INTO("database.connect_timeout", 5, 1, 300, db_connect_timeout);
	INTO("database.statement_timeout", 5000, 0, 3600000,
	    db_statement_timeout);
	INTO("database.max_branches", 16, 1, 10000, db_max_branches);
	INTO("database.config_ttl", 60, 0, 86400, config_ttl);
	STRO("sql_dir", SQLDIR, sql_dir);
	BOOLO("testing.sleep_endpoint", 0, testing_sleep);

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
			c->branches[i].auth_url = xstrdup(au);
			c->branches[i].database = xstrdup(db);
			c->nbranches++;
			if (check_auth_url(c->branches[i].auth_url) == -1) {
				seterr(err, errlen, path, line,
				    "branches[%d].auth_url: \"%s\" is not an "
				    "http(s) URL without query", i, au);
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
		c->template_auth_url = xstrdup(au);
		c->template_database = xstrdup(db);
		if (check_auth_url(c->template_auth_url) == -1) {
			seterr(err, errlen, path, config_setting_source_line(s),
			    "branch_template.auth_url: not an http(s) URL");
			goto fail;
		}
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
	}
	free(c->branches);
	free(c->template_auth_url);
	free(c->template_database);
	free(c->path);
	free(c->listen_address);
	free(c->listen_owner);
	free(c->listen_group);
	free(c->log_file);
	free(c->status_path);
	free(c->secret);
	free(c->sql_dir);
	free(c);
}
