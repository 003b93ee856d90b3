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

#define NEON_AUTHD_EX_CONFIG 78		/* EX_CONFIG */
#define NEON_AUTHD_DEFAULT_CONF SYSCONFDIR "/neon-authd/neon-authd.conf"

struct config_branch {
	char	*name;
	char	*auth_url;	/* origin + base path, no trailing slash */
	char	*database;	/* libpq conninfo */
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

	size_t	 body_max;
	int	 log_level;
	char	*log_file;

	int	 status_enabled;
	char	*status_path;

	char	*secret;

	int	 db_connect_timeout;	/* seconds */
	int	 db_statement_timeout;	/* ms */
	int	 db_max_branches;
	int	 config_ttl;		/* seconds */
	char	*sql_dir;

	struct config_branch	*branches;
	int			 nbranches;
	char			*template_auth_url;	/* NULL when unset */
	char			*template_database;

	int	 testing_sleep;
};

/*
 * config_load: read and validate the file at path.
 * Returns a new config, or NULL with a "file:line: option: problem" message
 * in err.
 */
struct config	*config_load(const char *path, char *err, size_t errlen);
/* config_free: release a config (NULL ok). */
void		 config_free(struct config *c);

#endif
