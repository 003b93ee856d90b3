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

	/* plugin_configs["magic-link"] */
	int		 ml_enabled;
	int		 ml_expires_in;		/* seconds */
	int		 ml_disable_sign_up;

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
	/* settings flags */
	int		 bearer;
	int		 delete_user;
	int		 delete_user_verification;	/* by emailed link */
	int		 anonymous_token;
	/* settings.admin (protocol.md §11.1) */
	char		 admin_roles[128];	/* adminRoles, comma-separated */
	char		 admin_default_role[64];	/* defaultRole */
	int		 admin_impersonation_s;	/* impersonationSessionDuration */
	/* settings.rate_limit */
	int		 rl_enabled;
	int		 rl_window;
	int		 rl_max;
	int		 rl_database;
	/* settings.jwt */
	char		 jwt_alg[8];
	int		 jwt_ttl;
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
	/* plugin_configs.organization (neon.md §9.2) */
	int		 org_enabled;
	int		 org_limit;		/* organizations per user */
	int		 org_membership_limit;	/* members per organization */
	char		 org_creator_role[8];	/* "owner" | "admin" */
	int		 org_send_invitation_email;
	int		 lt_invitation;		/* settings.lifetimes.invitation */
	int		 pw_revoke_on_reset;

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
