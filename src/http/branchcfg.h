/*
 * branchcfg.h -- a branch's auth configuration: its neon_auth.project_config
 * row (Neon's columns, spec/neon.md §9.2) plus neon-authd's own `settings`
 * (DESIGN.md "Branch settings"), with every default filled in.
 *
 * Workers cache one per branch.  The table's trigger sends NOTIFY
 * neon_auth_config; the notification is drained without a round trip at
 * the start of each request and drops the cached copy.  config_ttl is the
 * backstop.
 */
#ifndef NEON_AUTHD_BRANCHCFG_H
#define NEON_AUTHD_BRANCHCFG_H

#include <stdint.h>

#include <json-c/json.h>

#include "http/error.h"
#include "lib/arena.h"

struct branch;
struct db_conn;
struct db_pool;
struct request;

/*
 * One entry of social_providers (DESIGN.md "Branch settings"): a built-in
 * provider by id (google, github, microsoft, vercel) or a generic OpenID
 * Connect provider ({"type":"standard","issuer":...}); the endpoint members
 * override what the id or discovery gives.  Strings are borrowed from the
 * row; NULL when absent.
 */
#define BRANCHCFG_PROVIDERS_MAX	16
struct branch_provider {
	const char	*id;
	const char	*type;			/* "standard" | "shared" */
	const char	*client_id;
	const char	*client_secret;
	const char	*tenant;		/* microsoft_tenant_id */
	const char	*issuer;
	const char	*authorization_endpoint;
	const char	*token_endpoint;
	const char	*userinfo_endpoint;
	const char	*jwks_uri;
	json_object	*scopes;		/* array of strings, or NULL */
	int		 trusted;		/* implicit linking without a
						   verified email */
	int		 disable_sign_up;
};

/*
 * A group's own settings (src/README.md "Add an endpoint group"): the
 * members of one object of the row ("plugin_configs.organization",
 * "settings.admin") that one endpoint group reads, declared next to the
 * code that reads them.  Each member has its type, default and range and
 * the offset in the group's own struct where branchcfg_parse leaves its
 * value; `config set` checks them like every other member (an unknown key
 * or a wrong type is refused with its path).  The groups register once at
 * start (router_register_settings); branchcfg_group hands a handler the
 * branch's values.
 */
enum gset_type {
	GSET_BOOL,	/* int */
	GSET_INT,	/* int, min..max */
	GSET_STR,	/* char[len], length min..max, one of choices */
	GSET_JSON,	/* any JSON the member's check takes; finish reads it */
};

struct group_setting {
	const char		*key;
	enum gset_type		 type;
	int64_t			 def, min, max;
	const char		*sdef;		/* GSET_STR default */
	const char *const	*choices;	/* GSET_STR: NULL = any */
	size_t			 off;		/* in the group's struct */
	size_t			 len;		/* GSET_STR: the buffer */
	/* a further rule (returns why not, or NULL); GSET_JSON needs one */
	const char		*(*check)(struct arena *, json_object *);
};

struct branchcfg;

struct settings_group {
	const char			*path;		/* "settings.admin" */
	const struct group_setting	*settings;	/* ended by key NULL */
	size_t				 size;		/* the group's struct */
	/* derived values after the members (obj may be NULL); or NULL */
	void	(*finish)(void *vals, json_object *obj,
		    const struct branchcfg *c);
};

#define BRANCHCFG_GROUPS_MAX	16

/*
 * branchcfg_register: add group g's settings (once per process, before
 * any branchcfg_parse).  Returns 0, or -1 when the table is full or g's
 * path is not "settings.<key>" / "plugin_configs.<key>".
 */
int	 branchcfg_register(const struct settings_group *g);
/*
 * branchcfg_group: the branch's values of group g (its defaults when the
 * row has none); never NULL for a registered group.
 */
const void *branchcfg_group(const struct branchcfg *c,
	    const struct settings_group *g);

/* settings.oauth.flow */
enum oauth_flow {
	OAUTH_FLOW_AUTO = 0,	/* verifier when the callbackURL is on another site */
	OAUTH_FLOW_COOKIE,	/* always the session cookie on the callback */
	OAUTH_FLOW_VERIFIER,	/* always Neon's session verifier */
};

struct branchcfg {
	char		 app_name[128];
	json_object	*trusted_origins;	/* array of strings, borrowed */
	int		 allow_localhost;

	/* email_and_password */
	int		 ep_enabled;
	int		 require_email_verification;
	int		 disable_sign_up;
	int		 auto_sign_in_after_verification;
	int		 send_verification_email_on_sign_up;
	int		 send_verification_email_on_sign_in;
	char		 verification_method[8];	/* "otp" | "link" */

	/* settings.session */
	int64_t		 session_expires_in;
	int64_t		 session_update_age;
	int64_t		 session_fresh_age;
	int		 cookie_cache;
	int64_t		 cookie_cache_max_age;
	/* settings.cookies */
	char		 cookie_prefix[64];
	int		 same_site_none;
	int		 cookie_style_neon;	/* style "neon" (see below) */
	int		 cookie_style_host;	/* "host": __Host- */
	/* settings flags */
	int		 bearer;
	int		 bearer_require_signature;	/* no raw token */
	int		 allow_localhost_on_https;
	int		 delete_user;
	int		 delete_user_verification;	/* by emailed link */
	int		 anonymous_token;
	/* settings.rate_limit */
	int		 rl_enabled;
	int		 rl_window;
	int		 rl_max;
	int		 rl_database;
	/* settings.jwt */
	char		 jwt_alg[8];
	int		 jwt_ttl;
	char		 jwt_claims_fn[128];	/* "" = none */
	/* settings.lifetimes */
	int		 lt_verification_link;
	int		 lt_reset_link;
	int		 lt_otp;
	int		 lt_magic_link;
	/* settings.password */
	int		 pw_min;
	int		 pw_max;
	/* social_providers, settings.oauth, settings.account_linking */
	struct branch_provider	 providers[BRANCHCFG_PROVIDERS_MAX];
	int		 nproviders;
	enum oauth_flow	 oauth_flow;
	int		 oauth_encrypt_tokens;
	int		 oauth_timeout;		/* seconds per provider call */
	int		 link_enabled;
	int		 link_different_emails;
	int		 link_require_local_verified;
	int		 link_unlink_all;
	int		 lt_invitation;		/* settings.lifetimes.invitation */
	int		 pw_revoke_on_reset;

	/* the registered groups' values (branchcfg_group), owned */
	void		*groups[BRANCHCFG_GROUPS_MAX];

	json_object	*row;		/* the whole row, owned */
	int64_t		 loaded_ms;
};

/* The settings columns that `neon-authd config` may read and write. */
extern const char *const branchcfg_fields[];

/*
 * branchcfg_parse: fill c from a project_config row given as a JSON object
 * (takes ownership of row).  Missing or mistyped values take defaults.
 */
void	 branchcfg_parse(struct branchcfg *c, json_object *row);
/*
 * branchcfg_provider: the social provider with that id, or NULL when the
 * branch has none by that id.
 */
const struct branch_provider *branchcfg_provider(const struct branchcfg *c,
	    const char *id);
/* the cap of settings.session.cookie_cache_max_age, in seconds */
#define BRANCHCFG_COOKIE_CACHE_MAX	3600
/* branchcfg_prefix_ok: 1 when p is 1 to 40 of [A-Za-z0-9_-] */
int	 branchcfg_prefix_ok(const char *p);
/*
 * branchcfg_localhost: 1 when branch b trusts localhost origins: the
 * allow_localhost column, and on an https Auth URL also
 * settings.allow_localhost_on_https (off by default).
 */
int	 branchcfg_localhost(const struct branchcfg *c,
	    const struct branch *b);
/*
 * branchcfg_localhost_warn: 1 when b trusts localhost origins and sends
 * SameSite=None cookies on an https Auth URL (check-config and the log
 * warn: a local program can then read the branch's sessions).
 */
int	 branchcfg_localhost_warn(const struct branchcfg *c,
	    const struct branch *b);
/*
 * branchcfg_neon_cookies: 1 when branch b's cookies take Neon's style
 * (settings.cookies.style "neon": __Secure- names, Secure, SameSite=None,
 * Partitioned): on an https Auth URL, and on an http one whose host is
 * loopback (localhost, 127.0.0.0/8, [::1]), where browsers keep Secure
 * cookies.  0 otherwise: on any other http Auth URL a browser would drop
 * every such cookie, so the setting is not applied there (and logged).
 */
int	 branchcfg_neon_cookies(const struct branchcfg *c,
	    const struct branch *b);
/* branchcfg_clear: free what c owns. */
void	 branchcfg_clear(struct branchcfg *c);

/*
 * branchcfg_validate: check a value for one field ("trusted_origins",
 * "settings", "settings.session", "settings.templates.otp", ...): every
 * member of an object against its row (names, types, ranges), so an
 * unknown key or a wrong type is refused.  Returns NULL when valid, else
 * a message that starts with the offending member's path
 * ("email_and_password.disable_signup: unknown key"), static or in a.
 */
const char *branchcfg_validate(struct arena *a, const char *field,
	    json_object *value);

/*
 * branchcfg_load: read (creating it with defaults if missing) the
 * project_config row over c.  Returns the row as a new JSON object, or
 * NULL on a database error (db_last_error(c) tells).
 */
json_object *branchcfg_load(struct db_conn *c, struct arena *a);

/*
 * branchcfg_set: validate and store one field.  Returns 0, or -1 with a
 * message in err.
 */
int	 branchcfg_set(struct db_conn *c, struct arena *a, const char *field,
	    const char *json_text, char *err, size_t errlen);

/*
 * branchcfg_acquire: for r->branch, take this worker's connection, drain
 * notifications, check the schema once per connection and make sure the
 * cached configuration is current; sets r->db and r->bcfg.  ERR_NONE, or
 * ERR_DATABASE_UNAVAILABLE / ERR_SCHEMA_NOT_READY.
 */
enum err branchcfg_acquire(struct request *r);

/* branchcfg_worker_idle: database.idle_timeout for the worker's pool */
void	 branchcfg_worker_idle(int idle_timeout_s);
/*
 * branchcfg_settle: after the handler, before the reply: take the
 * notifications r's own commits brought (already received, no system
 * call), so that this worker's changes to sessions and users apply
 * before it answers (config and key changes: at the branch's next
 * acquire, since r->bcfg stays in use until the reply).
 */
void	 branchcfg_settle(struct request *r);
/* branchcfg_worker_init / _free: the per-worker pool and cache. */
int	 branchcfg_worker_init(int max_conns, int connect_timeout_s,
	    int statement_timeout_ms, int ttl_s);
void	 branchcfg_worker_free(void);

#endif
