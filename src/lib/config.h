/*
 * config.h -- the server's static configuration (the libconfig file).
 *
 * Only what lives outside the branch databases is here: socket, pool,
 * logging, secret, branch map.  A struct config is immutable once loaded;
 * a reload builds a new one.
 */
#ifndef NEON_AUTHD_CONFIG_H
#define NEON_AUTHD_CONFIG_H

#include <sys/types.h>

#include "lib/crypto.h"

#define NEON_AUTHD_EX_CONFIG 78		/* EX_CONFIG */
#define NEON_AUTHD_DEFAULT_CONF SYSCONFDIR "/neon-authd/neon-authd.conf"

struct config_branch {
	char	*name;
	char	*auth_url;	/* origin + base path, no trailing slash */
	char	*database;	/* libpq conninfo */
	int	 line;		/* where the file lists it */
	int	 pooled;	/* pooler = "transaction" (store/db.h) */
	char	*listen_database;	/* direct conninfo for LISTEN, or "" */
};

enum config_log_format {
	CONFIG_LOG_TEXT = 0,
	CONFIG_LOG_JSON,
};

/*
 * mail: the queue and the mail sender (proc/mailer.c), and the server's
 * default SMTP transport for branches without their own email_provider.
 */
struct config_mail {
	char	*spool_dir;		/* "": no email on this server */
	char	*host;			/* "": no default transport */
	int	 port;			/* resolved (smtp_resolve) */
	int	 security;		/* enum smtp_security */
	char	*username;
	char	*password;
	char	*sender_email;
	char	*sender_name;
	int	 allow_plain;		/* "none" to non-loopback hosts */
	char	*ca_file;
	int	 concurrency;		/* deliveries at once */
	int	 max_attempts;
	int	 retry_base;		/* seconds, doubled per attempt */
	int	 retry_max;		/* seconds */
	int	 connect_timeout;	/* seconds */
	int	 timeout;		/* seconds per SMTP step */
	int	 keep_days;		/* done/ records */
};

struct config {
	char	*path;

	char	*listen_address;
	mode_t	 listen_mode;
	char	*listen_owner;
	char	*listen_group;
	int	 listen_backlog;

	int	 workers;
	long	 max_requests;
	long	 max_requests_jitter;
	int	 request_timeout;	/* seconds */
	int	 shutdown_timeout;	/* seconds */
	int	 hash_concurrency;	/* 0: online CPUs */
	int	 hash_wait_ms;		/* slot wait bound; 0: none */
	int	 slow_request_ms;	/* 0: no slow-request log */
	int	 session_cache;		/* entries shared by the pool; 0 off */

	size_t	 body_max;
	int	 log_level;
	char	*log_file;
	int	 log_format;		/* enum config_log_format */

	int	 status_enabled;
	char	*status_path;
	char	*metrics_path;

	char	*pid_file;		/* "" = none */

	/*
	 * Client addresses: the proxies whose X-Forwarded-For / X-Real-IP
	 * are believed ("addr" or "addr/bits", NULL-terminated); NULL when
	 * the file says nothing (the default: loopback).
	 */
	char	**trusted_proxies;

	char	*secret;		/* the newest of secrets */
	struct crypto_secrets	 secrets;	/* values owned here */

	int	 db_connect_timeout;	/* seconds */
	int	 db_statement_timeout;	/* ms */
	int	 db_max_branches;
	int	 db_max_connections;	/* the pool's total; 0: no cap */
	int	 db_idle_timeout;	/* seconds; 0: never */
	int	 config_ttl;		/* seconds */
	char	*sql_dir;

	struct config_branch	*branches;
	int			 nbranches;
	char			*template_auth_url;	/* NULL when unset */
	char			*template_database;
	int			 template_line;
	int			 template_pooled;
	char			*template_listen_database;	/* or "" */

	int	 testing_sleep;
	/* webhooks: loopback receivers (and plain http to them) allowed */
	int	 webhook_allow_loopback;

	struct config_mail	 mail;

	/*
	 * TCP peers (web servers) allowed to connect ("addr" or
	 * "addr/bits", NULL-terminated); NULL: any (listen.allow unset).
	 */
	char	**listen_allow;
	/* requests per client IP per 10 s before any database work; 0 off */
	int	 ip_limit;
};

#define CONFIG_PROXIES_MAX	64	/* trusted_proxies entries */
#define CONFIG_ALLOW_MAX	64	/* listen.allow entries */

struct arena;

/*
 * config_load: read and validate the file at path.
 * Returns a new config, or NULL with a "file:line: option: problem" message
 * in err.
 */
struct config	*config_load(const char *path, char *err, size_t errlen);
/* config_free: release a config (NULL ok). */
void		 config_free(struct config *c);

/*
 * config_auth_url_check: is url an Auth URL (http or https, a host, no
 * user, query or fragment), read by curl_url?  *norm (may be NULL) gets
 * it normalised (malloc'd): lower-case scheme and host, no default port,
 * no trailing slash.  0, or -1.
 */
int		 config_auth_url_check(const char *url, char **norm);
/*
 * config_template_fields: the placeholders of a branch_template text:
 * *used |= 1 for {branch}, 2 for {database}.  Any other {...} (or a
 * stray brace) is an error: -1 with it in bad.
 */
int		 config_template_fields(const char *s, int *used, char *bad,
		    size_t badlen);
/* config_template_sample: s with sample names for its placeholders. */
char		*config_template_sample(struct arena *a, const char *s);

#endif
