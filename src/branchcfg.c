/*
 * branchcfg.c -- per-branch auth configuration from neon_auth.project_config
 * (see branchcfg.h).  The row is read as one JSON document with a single
 * query (row_to_json); the worker keeps a small cache keyed by branch name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "branch.h"
#include "branchcfg.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "request.h"
#include "scoreboard.h"
#include "store_jwks.h"

#define CACHE_MAX	64

const char *const branchcfg_fields[] = {
	"name", "trusted_origins", "allow_localhost", "email_and_password",
	"email_provider", "social_providers", "plugin_configs",
	"webhook_config", "settings", NULL
};

struct cache_entry {
	char		 name[160];
	struct branchcfg cfg;
	int		 valid;
	struct db_conn	*checked_conn;	/* schema verified on this conn */
	int		 schema_logged;
	int64_t		 used_ms;
};

static struct db_pool		*pool;
static struct cache_entry	 cache[CACHE_MAX];
static int64_t			 ttl_ms;

static json_object *
member(json_object *o, const char *k, json_type t)
{
	json_object	*v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, k, &v) || v == NULL ||
	    !json_object_is_type(v, t))
		return (NULL);
	return (v);
}

static int
get_bool(json_object *o, const char *k, int def)
{
	json_object	*v = member(o, k, json_type_boolean);

	return (v ? json_object_get_boolean(v) : def);
}

static int64_t
get_int(json_object *o, const char *k, int64_t def, int64_t min,
    int64_t max)
{
	json_object	*v = member(o, k, json_type_int);
	int64_t		 n;

	if (v == NULL)
		return (def);
	n = json_object_get_int64(v);
	return (n < min || n > max ? def : n);
}

static void
get_str(json_object *o, const char *k, const char *def, char *out,
    size_t outlen)
{
	json_object	*v = member(o, k, json_type_string);
	const char	*s = v ? json_object_get_string(v) : def;

	if (strlen(s) >= outlen)
		s = def;
	snprintf(out, outlen, "%s", s);
}

void
branchcfg_parse(struct branchcfg *c, json_object *row)
{
	json_object	*ep, *st, *sub;

	memset(c, 0, sizeof(*c));
	c->row = row;
	get_str(row, "name", "", c->app_name, sizeof(c->app_name));
	c->trusted_origins = member(row, "trusted_origins", json_type_array);
	c->allow_localhost = get_bool(row, "allow_localhost", 1);

	ep = member(row, "email_and_password", json_type_object);
	c->ep_enabled = get_bool(ep, "enabled", 1);
	c->require_email_verification = get_bool(ep,
	    "require_email_verification", 0);
	c->disable_sign_up = get_bool(ep, "disable_sign_up", 0);
	c->auto_sign_in_after_verification = get_bool(ep,
	    "auto_sign_in_after_verification", 1);
	c->send_verification_email_on_sign_up = get_bool(ep,
	    "send_verification_email_on_sign_up", 0);
	get_str(ep, "email_verification_method", "otp",
	    c->verification_method, sizeof(c->verification_method));

	st = member(row, "settings", json_type_object);
	sub = member(st, "session", json_type_object);
	c->session_expires_in = get_int(sub, "expires_in", 604800, 60,
	    INT64_C(31536000) * 10);
	c->session_update_age = get_int(sub, "update_age", 86400, 0,
	    INT64_C(31536000) * 10);
	c->session_fresh_age = get_int(sub, "fresh_age", 86400, 0,
	    INT64_C(31536000) * 10);
	c->cookie_cache = get_bool(sub, "cookie_cache", 0);
	c->cookie_cache_max_age = get_int(sub, "cookie_cache_max_age", 300, 1,
	    INT64_C(31536000));
	sub = member(st, "cookies", json_type_object);
	get_str(sub, "prefix", "neon-auth", c->cookie_prefix,
	    sizeof(c->cookie_prefix));
	{
		char	 ss[8];

		get_str(sub, "same_site", "lax", ss, sizeof(ss));
		c->same_site_none = strcmp(ss, "none") == 0;
	}
	c->bearer = get_bool(st, "bearer", 1);
	c->delete_user = get_bool(st, "delete_user", 1);
	c->anonymous_token = get_bool(st, "anonymous_token", 0);
	sub = member(st, "rate_limit", json_type_object);
	c->rl_enabled = get_bool(sub, "enabled", 1);
	c->rl_window = (int)get_int(sub, "window", 10, 1, 86400);
	c->rl_max = (int)get_int(sub, "max", 100, 1, 1000000);
	{
		char	 sto[12];

		get_str(sub, "storage", "memory", sto, sizeof(sto));
		c->rl_database = strcmp(sto, "database") == 0;
	}
	sub = member(st, "jwt", json_type_object);
	get_str(sub, "alg", "EdDSA", c->jwt_alg, sizeof(c->jwt_alg));
	if (strcmp(c->jwt_alg, "EdDSA") != 0 && strcmp(c->jwt_alg, "ES256") &&
	    strcmp(c->jwt_alg, "RS256") != 0)
		snprintf(c->jwt_alg, sizeof(c->jwt_alg), "EdDSA");
	c->jwt_ttl = (int)get_int(sub, "ttl", 900, 10, 86400 * 30);
	sub = member(st, "lifetimes", json_type_object);
	c->lt_verification_link = (int)get_int(sub, "verification_link", 900,
	    60, 86400 * 30);
	c->lt_reset_link = (int)get_int(sub, "reset_link", 900, 60, 86400 * 30);
	c->lt_otp = (int)get_int(sub, "otp", 300, 30, 86400);
	c->lt_magic_link = (int)get_int(sub, "magic_link", 300, 60, 86400);
	sub = member(st, "password", json_type_object);
	c->pw_min = (int)get_int(sub, "min_length", 8, 1, 1024);
	c->pw_max = (int)get_int(sub, "max_length", 128, 1, 4096);
	if (c->pw_max < c->pw_min)
		c->pw_max = c->pw_min;
}

void
branchcfg_clear(struct branchcfg *c)
{
	if (c->row)
		json_object_put(c->row);
	memset(c, 0, sizeof(*c));
}

/* ---- validation of `config set` values ---- */

static const char *
check_keys(json_object *v, const char *const *keys)
{
	json_object_iter	 it;
	int			 i;

	json_object_object_foreachC(v, it) {
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(keys[i], it.key) == 0)
				break;
		if (keys[i] == NULL)
			return ("unknown key");
	}
	return (NULL);
}

static const char *
validate_settings_key(const char *key, json_object *v)
{
	static const char *const session_keys[] = { "expires_in",
	    "update_age", "fresh_age", "cookie_cache", "cookie_cache_max_age",
	    NULL };
	static const char *const cookie_keys[] = { "prefix", "same_site",
	    NULL };
	static const char *const rl_keys[] = { "enabled", "window", "max",
	    "storage", NULL };
	static const char *const jwt_keys[] = { "alg", "ttl", NULL };
	static const char *const lt_keys[] = { "verification_link",
	    "reset_link", "otp", "magic_link", NULL };
	static const char *const pw_keys[] = { "min_length", "max_length",
	    NULL };
	json_object	*x;

	if (strcmp(key, "bearer") == 0 || strcmp(key, "delete_user") == 0 ||
	    strcmp(key, "anonymous_token") == 0)
		return (json_object_is_type(v, json_type_boolean) ? NULL :
		    "must be true or false");
	if (!json_object_is_type(v, json_type_object))
		return (strcmp(key, "session") == 0 ||
		    strcmp(key, "cookies") == 0 ||
		    strcmp(key, "rate_limit") == 0 ||
		    strcmp(key, "jwt") == 0 || strcmp(key, "lifetimes") == 0 ||
		    strcmp(key, "password") == 0 ||
		    strcmp(key, "templates") == 0 ? "must be an object" :
		    "unknown settings key");
	if (strcmp(key, "session") == 0)
		return (check_keys(v, session_keys));
	if (strcmp(key, "cookies") == 0) {
		if (check_keys(v, cookie_keys))
			return ("unknown key (prefix, same_site)");
		if ((x = member(v, "prefix", json_type_string)) != NULL) {
			const char *p = json_object_get_string(x);

			if (*p == '\0' || strlen(p) > 40 ||
			    strspn(p, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
			    strlen(p))
				return ("cookies.prefix: 1-40 of [A-Za-z0-9_-]");
		}
		if ((x = member(v, "same_site", json_type_string)) != NULL &&
		    strcmp(json_object_get_string(x), "lax") != 0 &&
		    strcmp(json_object_get_string(x), "none") != 0)
			return ("cookies.same_site: \"lax\" or \"none\"");
		return (NULL);
	}
	if (strcmp(key, "rate_limit") == 0)
		return (check_keys(v, rl_keys));
	if (strcmp(key, "jwt") == 0) {
		if (check_keys(v, jwt_keys))
			return ("unknown key (alg, ttl)");
		if ((x = member(v, "alg", json_type_string)) != NULL &&
		    strcmp(json_object_get_string(x), "EdDSA") != 0 &&
		    strcmp(json_object_get_string(x), "ES256") != 0 &&
		    strcmp(json_object_get_string(x), "RS256") != 0)
			return ("jwt.alg: \"EdDSA\", \"ES256\" or \"RS256\"");
		return (NULL);
	}
	if (strcmp(key, "lifetimes") == 0)
		return (check_keys(v, lt_keys));
	if (strcmp(key, "password") == 0)
		return (check_keys(v, pw_keys));
	if (strcmp(key, "templates") == 0)
		return (NULL);
	return ("unknown settings key");
}

const char *
branchcfg_validate(const char *field, json_object *v)
{
	json_object_iter	 it;
	size_t			 i;

	if (strncmp(field, "settings.", 9) == 0)
		return (validate_settings_key(field + 9, v));
	if (strcmp(field, "name") == 0)
		return (json_object_is_type(v, json_type_string) ? NULL :
		    "must be a string");
	if (strcmp(field, "allow_localhost") == 0)
		return (json_object_is_type(v, json_type_boolean) ? NULL :
		    "must be true or false");
	if (strcmp(field, "trusted_origins") == 0) {
		if (!json_object_is_type(v, json_type_array))
			return ("must be an array of origin strings");
		for (i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);

			if (!json_object_is_type(e, json_type_string) ||
			    json_object_get_string_len(e) == 0)
				return ("must be an array of origin strings");
		}
		return (NULL);
	}
	if (strcmp(field, "social_providers") == 0) {
		if (!json_object_is_type(v, json_type_array))
			return ("must be an array of provider objects");
		for (i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);

			if (!json_object_is_type(e, json_type_object) ||
			    member(e, "id", json_type_string) == NULL)
				return ("each provider needs a string \"id\"");
		}
		return (NULL);
	}
	if (strcmp(field, "email_and_password") == 0 ||
	    strcmp(field, "email_provider") == 0 ||
	    strcmp(field, "plugin_configs") == 0 ||
	    strcmp(field, "webhook_config") == 0)
		return (json_object_is_type(v, json_type_object) ||
		    json_object_is_type(v, json_type_null) ? NULL :
		    "must be an object");
	if (strcmp(field, "settings") == 0) {
		const char	*e;

		if (!json_object_is_type(v, json_type_object))
			return ("must be an object");
		json_object_object_foreachC(v, it)
			if ((e = validate_settings_key(it.key, it.val)) != NULL)
				return (e);
		return (NULL);
	}
	return ("unknown field");
}

/* ---- database ---- */

#define SQL_LOAD \
	"SELECT row_to_json(p)::text FROM neon_auth.project_config p LIMIT 1"
#define SQL_INSERT_DEFAULT \
	"INSERT INTO neon_auth.project_config DEFAULT VALUES ON CONFLICT DO NOTHING"

json_object *
branchcfg_load(struct db_conn *c, struct arena *a)
{
	struct db_result	*res;
	json_object		*row;
	int			 attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		res = db_exec(c, a, "cfg_load", SQL_LOAD, 0, NULL);
		if (res == NULL)
			return (NULL);
		if (db_ntuples(res) == 1) {
			struct str s = db_getstr(res, 0, 0);

			row = json_parse(s.p, s.len, NULL);
			return (row ? row : json_object_new_object());
		}
		if (db_exec(c, a, NULL, SQL_INSERT_DEFAULT, 0, NULL) == NULL)
			return (NULL);
	}
	return (json_object_new_object());
}

int
branchcfg_set(struct db_conn *c, struct arena *a, const char *field,
    const char *json_text, char *err, size_t errlen)
{
	json_object	*v;
	const char	*msg, *col = NULL, *params[2];
	char		*sql;
	int		 i, is_null = 0;

	v = json_parse(json_text, strlen(json_text), &is_null);
	if (v == NULL && !is_null) {
		snprintf(err, errlen, "%s: value is not valid JSON", field);
		return (-1);
	}
	if (v == NULL) {
		/* JSON null: only the nullable object columns take it */
		if (strcmp(field, "email_provider") != 0 &&
		    strcmp(field, "email_and_password") != 0 &&
		    strcmp(field, "plugin_configs") != 0 &&
		    strcmp(field, "webhook_config") != 0) {
			snprintf(err, errlen, "%s: null is not allowed", field);
			return (-1);
		}
	} else if ((msg = branchcfg_validate(field, v)) != NULL) {
		snprintf(err, errlen, "%s: %s", field, msg);
		json_object_put(v);
		return (-1);
	}
	if (v)
		json_object_put(v);
	if (strncmp(field, "settings.", 9) == 0) {
		params[0] = arena_printf(a, "{%s}", field + 9);
		params[1] = json_text;
		sql = "UPDATE neon_auth.project_config SET settings = "
		    "jsonb_set(settings, $1::text[], $2::jsonb, true), "
		    "updated_at = now()";
		if (db_exec(c, a, NULL, SQL_INSERT_DEFAULT, 0, NULL) == NULL ||
		    db_exec(c, a, NULL, sql, 2, params) == NULL)
			goto dberr;
		return (0);
	}
	for (i = 0; branchcfg_fields[i] != NULL; i++)
		if (strcmp(branchcfg_fields[i], field) == 0)
			col = branchcfg_fields[i];
	if (col == NULL) {
		snprintf(err, errlen, "%s: unknown field", field);
		return (-1);
	}
	/* col comes from the whitelist above, never from the caller */
	if (strcmp(col, "name") == 0)
		sql = "UPDATE neon_auth.project_config SET name = "
		    "$1::jsonb #>> '{}', updated_at = now()";
	else if (strcmp(col, "allow_localhost") == 0)
		sql = "UPDATE neon_auth.project_config SET allow_localhost = "
		    "($1::jsonb)::boolean, updated_at = now()";
	else
		sql = arena_printf(a, "UPDATE neon_auth.project_config SET "
		    "\"%s\" = NULLIF($1::jsonb, 'null'::jsonb), "
		    "updated_at = now()", col);
	params[0] = json_text;
	if (db_exec(c, a, NULL, SQL_INSERT_DEFAULT, 0, NULL) == NULL ||
	    db_exec(c, a, NULL, sql, 1, params) == NULL)
		goto dberr;
	return (0);
 dberr:
	snprintf(err, errlen, "%s: database error: %s", field,
	    db_last_error(c)->message);
	return (-1);
}

/* ---- per-worker cache ---- */

int
branchcfg_worker_init(int max_conns, int connect_timeout_s,
    int statement_timeout_ms, int ttl_s)
{
	pool = db_pool_new(max_conns, connect_timeout_s, statement_timeout_ms);
	ttl_ms = (int64_t)ttl_s * 1000;
	return (pool ? 0 : -1);
}

void
branchcfg_worker_free(void)
{
	int	 i;

	for (i = 0; i < CACHE_MAX; i++)
		if (cache[i].valid)
			branchcfg_clear(&cache[i].cfg);
	memset(cache, 0, sizeof(cache));
	db_pool_free(pool);
	pool = NULL;
}

static struct cache_entry *
cache_slot(const char *name)
{
	struct cache_entry	*lru = &cache[0];
	int			 i;

	for (i = 0; i < CACHE_MAX; i++) {
		if (cache[i].name[0] != '\0' &&
		    strcmp(cache[i].name, name) == 0)
			return (&cache[i]);
		if (cache[i].used_ms < lru->used_ms)
			lru = &cache[i];
	}
	if (lru->valid)
		branchcfg_clear(&lru->cfg);
	memset(lru, 0, sizeof(*lru));
	snprintf(lru->name, sizeof(lru->name), "%s", name);
	return (lru);
}

static void
unavailable(struct request *r)
{
	reply_error(r, 503, "DATABASE_UNAVAILABLE",
	    "The database is unavailable; try again shortly");
}

static void
schema_not_ready(struct request *r)
{
	reply_error(r, 503, "SCHEMA_NOT_READY",
	    "The neon_auth schema of this branch is missing or out of date");
}

int
branchcfg_acquire(struct request *r)
{
	struct branch		*b = r->branch;
	struct cache_entry	*e;
	struct db_conn		*c;
	unsigned		 flags = 0;
	int			 err = 0, v;
	int64_t			 now = scoreboard_now_ms();
	json_object		*row;

	c = db_pool_get(pool, b->name, b->conninfo, &err);
	if (c == NULL) {
		log_warnx("branch %s: database unavailable: %s", b->name,
		    db_pool_last_error(pool)->message);
		unavailable(r);
		return (-1);
	}
	e = cache_slot(b->name);
	e->used_ms = now;
	if (db_drain_notifies(c, &flags) == -1)
		flags = DB_NOTIFY_CONFIG | DB_NOTIFY_JWKS;
	if ((flags & DB_NOTIFY_CONFIG) && e->valid) {
		branchcfg_clear(&e->cfg);
		e->valid = 0;
	}
	if (flags & DB_NOTIFY_JWKS)
		store_jwks_invalidate(b->name);
	if (e->checked_conn != c) {
		enum db_schema_state st = db_schema_check(c, &v);

		if (st == DB_SCHEMA_ERROR) {
			log_warnx("branch %s: database error: %s", b->name,
			    db_last_error(c)->message);
			unavailable(r);
			return (-1);
		}
		if (st == DB_SCHEMA_MISSING || st == DB_SCHEMA_BEHIND) {
			if (!e->schema_logged)
				log_err("branch %s: neon_auth schema %s "
				    "(version %d, need %d): run neon-authd "
				    "migrate", b->name, st == DB_SCHEMA_MISSING
				    ? "missing" : "behind", v,
				    NEON_AUTHD_SCHEMA_VERSION);
			e->schema_logged = 1;
			schema_not_ready(r);
			return (-1);
		}
		e->checked_conn = c;
		e->schema_logged = 0;
		/* a new connection: notifications sent meanwhile are lost */
		if (e->valid) {
			branchcfg_clear(&e->cfg);
			e->valid = 0;
		}
		store_jwks_invalidate(b->name);
	}
	if (e->valid && ttl_ms > 0 && now - e->cfg.loaded_ms > ttl_ms) {
		branchcfg_clear(&e->cfg);
		e->valid = 0;
	}
	if (!e->valid) {
		if ((row = branchcfg_load(c, r->a)) == NULL) {
			const struct db_error *de = db_last_error(c);

			log_warnx("branch %s: cannot load project_config: %s",
			    b->name, de->message);
			e->checked_conn = NULL;
			if (de->kind == DB_ERR_SCHEMA)
				schema_not_ready(r);
			else
				unavailable(r);
			return (-1);
		}
		branchcfg_parse(&e->cfg, row);
		e->cfg.loaded_ms = now;
		e->valid = 1;
	}
	r->db = c;
	r->bcfg = &e->cfg;
	return (0);
}
