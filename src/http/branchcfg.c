/*
 * branchcfg.c -- per-branch auth configuration from neon_auth.project_config
 * (see branchcfg.h).  The row is read as one JSON document with a single
 * query (row_to_json); the worker keeps a small cache keyed by branch name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/branch.h"
#include "http/branchcfg.h"
#include "store/db.h"
#include "lib/httpc.h"
#include "lib/netaddr.h"
#include "lib/json.h"
#include "lib/log.h"
#include "http/request.h"
#include "http/revoke.h"
#include "http/sesscache.h"
#include "store/store_jwks.h"
#include "store/store_hooks.h"
#include "lib/clock.h"
#include "lib/mail.h"
#include "lib/smtp.h"

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
	int64_t		 down_logged_ms;	/* last "unavailable" log line */
	int64_t		 used_ms;
	unsigned	 pending;	/* flags settled mid-request */
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

/*
 * The keys of `settings` (DESIGN.md "Branch settings"): type, default and
 * accepted range, used both to read a row and to check `config set`.
 */
enum spec_type { S_BOOL, S_INT, S_STR,
	S_FUNC,	/* "" or a function name (store_hooks_name_ok) */
};

struct setting_spec {
	const char		*group;		/* NULL: top-level key */
	const char		*key;
	enum spec_type		 type;
	int64_t			 def, min, max;	/* S_INT; S_BOOL uses def */
	const char		*sdef;		/* S_STR */
	const char *const	*choices;	/* S_STR: NULL = any */
};

static const char *const same_site_choices[] = { "lax", "none", NULL };
static const char *const cookie_style_choices[] = { "auto", "neon", "host",
	NULL };
static const char *const storage_choices[] = { "memory", "database", NULL };
static const char *const alg_choices[] = { "EdDSA", "ES256", "RS256", NULL };
static const char *const flow_choices[] = { "auto", "cookie", "verifier",
	NULL };
#define DAYS(n)	((int64_t)(n) * 86400)

/* "a, b, c" */
static const char *
choice_list(struct arena *a, const char *const *choices)
{
	const char	*out = "";
	size_t		 i;

	for (i = 0; choices[i] != NULL; i++)
		out = arena_printf(a, "%s%s%s", out, i ? ", " : "", choices[i]);
	return (out);
}

static const struct setting_spec specs[] = {
	{ "session", "expires_in", S_INT, 604800, 60, DAYS(3650), NULL, NULL },
	{ "session", "update_age", S_INT, 86400, 0, DAYS(3650), NULL, NULL },
	{ "session", "fresh_age", S_INT, 86400, 0, DAYS(3650), NULL, NULL },
	{ "session", "cookie_cache", S_BOOL, 0, 0, 0, NULL, NULL },
	/* capped: a revoked session reads as signed in until its cookie ends */
	{ "session", "cookie_cache_max_age", S_INT, 300, 1,
	    BRANCHCFG_COOKIE_CACHE_MAX, NULL,
	    NULL },
	{ "cookies", "prefix", S_STR, 0, 0, 0, "neon-auth", NULL },
	{ "cookies", "same_site", S_STR, 0, 0, 0, "lax", same_site_choices },
	/* "neon": Neon's names and attributes, also on http loopback */
	{ "cookies", "style", S_STR, 0, 0, 0, "auto", cookie_style_choices },
	/* off, as on Neon's hosted service (issue 12) */
	{ NULL, "bearer", S_BOOL, 0, 0, 0, NULL, NULL },
	/* a bearer must be "token.sig"; false: the raw token too */
	{ NULL, "bearer_require_signature", S_BOOL, 1, 0, 0, NULL, NULL },
	/* allow_localhost on an https Auth URL (off: issue 12) */
	{ NULL, "allow_localhost_on_https", S_BOOL, 0, 0, 0, NULL, NULL },
	{ NULL, "delete_user", S_BOOL, 1, 0, 0, NULL, NULL },
	{ NULL, "delete_user_verification", S_BOOL, 0, 0, 0, NULL, NULL },
	{ NULL, "anonymous_token", S_BOOL, 0, 0, 0, NULL, NULL },
	{ "rate_limit", "enabled", S_BOOL, 1, 0, 0, NULL, NULL },
	{ "rate_limit", "window", S_INT, 10, 1, 86400, NULL, NULL },
	{ "rate_limit", "max", S_INT, 100, 1, 1000000, NULL, NULL },
	{ "rate_limit", "storage", S_STR, 0, 0, 0, "memory", storage_choices },
	{ "jwt", "alg", S_STR, 0, 0, 0, "EdDSA", alg_choices },
	{ "jwt", "ttl", S_INT, 900, 10, DAYS(30), NULL, NULL },
	/* the branch's custom claims function (README "Custom JWT claims") */
	{ "jwt", "claims_function", S_FUNC, 0, 0, 0, "", NULL },
	{ "lifetimes", "verification_link", S_INT, 900, 60, DAYS(30), NULL,
	    NULL },
	{ "lifetimes", "reset_link", S_INT, 900, 60, DAYS(30), NULL, NULL },
	{ "lifetimes", "otp", S_INT, 300, 30, 86400, NULL, NULL },
	{ "lifetimes", "magic_link", S_INT, 300, 60, 86400, NULL, NULL },
	{ "lifetimes", "invitation", S_INT, 172800, 60, DAYS(365), NULL, NULL },
	{ "password", "min_length", S_INT, 8, 1, 1024, NULL, NULL },
	{ "password", "max_length", S_INT, 128, 1, 4096, NULL, NULL },
	{ "oauth", "flow", S_STR, 0, 0, 0, "auto", flow_choices },
	{ "oauth", "encrypt_tokens", S_BOOL, 1, 0, 0, NULL, NULL },
	{ "oauth", "timeout", S_INT, 10, 1, 60, NULL, NULL },
	{ "account_linking", "enabled", S_BOOL, 1, 0, 0, NULL, NULL },
	{ "account_linking", "allow_different_emails", S_BOOL, 0, 0, 0, NULL,
	    NULL },
	{ "account_linking", "require_local_email_verified", S_BOOL, 1, 0, 0,
	    NULL, NULL },
	{ "account_linking", "allow_unlinking_all", S_BOOL, 0, 0, 0, NULL,
	    NULL },
	{ "password", "revoke_sessions_on_reset", S_BOOL, 0, 0, 0, NULL, NULL },
};

static const struct setting_spec *
spec_find(const char *group, const char *key)
{
	size_t	 i;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (((group == NULL && specs[i].group == NULL) ||
		    (group && specs[i].group &&
		    strcmp(group, specs[i].group) == 0)) &&
		    strcmp(key, specs[i].key) == 0)
			return (&specs[i]);
	return (NULL);
}

static int
spec_is_group(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (specs[i].group && strcmp(specs[i].group, name) == 0)
			return (1);
	return (strcmp(name, "templates") == 0);
}

/* the value of one setting from the settings object, or its default */
static int64_t
s_int(json_object *st, const char *group, const char *key)
{
	const struct setting_spec	*sp = spec_find(group, key);
	json_object			*sub = group ?
					    member(st, group, json_type_object) :
					    st;

	if (sp->type == S_BOOL)
		return (get_bool(sub, key, (int)sp->def));
	return (get_int(sub, key, sp->def, sp->min, sp->max));
}

static void
s_str(json_object *st, const char *group, const char *key, char *out,
    size_t outlen)
{
	const struct setting_spec	*sp = spec_find(group, key);
	json_object			*sub = member(st, group,
					    json_type_object);
	size_t				 i;

	get_str(sub, key, sp->sdef, out, outlen);
	if (sp->choices == NULL)
		return;
	for (i = 0; sp->choices[i] != NULL; i++)
		if (strcmp(out, sp->choices[i]) == 0)
			return;
	snprintf(out, outlen, "%s", sp->sdef);
}

/* why v is not acceptable for the setting, or NULL */
static const char *
spec_check(struct arena *a, const struct setting_spec *sp, json_object *v)
{
	size_t	 i;

	switch (sp->type) {
	case S_BOOL:
		return (json_object_is_type(v, json_type_boolean) ? NULL :
		    "must be true or false");
	case S_INT:
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < sp->min ||
		    json_object_get_int64(v) > sp->max)
			return (arena_printf(a, "must be an integer from "
			    "%lld to %lld", (long long)sp->min,
			    (long long)sp->max));
		return (NULL);
	case S_STR:
		if (!json_object_is_type(v, json_type_string))
			return ("must be a string");
		if (sp->choices == NULL)
			return (NULL);
		for (i = 0; sp->choices[i] != NULL; i++)
			if (strcmp(json_object_get_string(v),
			    sp->choices[i]) == 0)
				return (NULL);
		return (arena_printf(a, "must be one of %s",
		    choice_list(a, sp->choices)));
	case S_FUNC:
		if (!json_object_is_type(v, json_type_string))
			return ("must be a string");
		if (*json_object_get_string(v) != '\0' &&
		    !store_hooks_name_ok(json_object_get_string(v)))
			return ("must be a schema-qualified function name in "
			    "lower case (\"app.jwt_claims\"), or \"\"");
		return (NULL);
	}
	return (NULL);
}

/* ---- social_providers ---- */

static const char *const builtin_providers[] = { "google", "github",
	"microsoft", "vercel", NULL };
static const char *const provider_urls[] = { "issuer",
	"authorization_endpoint", "token_endpoint", "userinfo_endpoint",
	"jwks_uri", NULL };
static const char *const provider_strs[] = { "id", "type", "client_id",
	"client_secret", "microsoft_tenant_id", NULL };
static const char *const provider_bools[] = { "trusted", "disable_sign_up",
	NULL };

static int
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return (1);
	return (0);
}

static const char *
pstr(json_object *o, const char *k)
{
	json_object	*v = member(o, k, json_type_string);

	return (v && json_object_get_string_len(v) > 0 ?
	    json_object_get_string(v) : NULL);
}

/*
 * An endpoint or issuer: an absolute http(s) URL, https unless the host
 * is a loopback address (local providers in tests and development).
 */
static int
provider_url_ok(const char *url)
{
	struct httpc_url	 u;

	if (httpc_url_parse(NULL, url, &u) == -1)
		return (0);
	if (strcmp(u.scheme, "https") == 0)
		return (1);
	return (strcmp(u.scheme, "http") == 0 &&
	    (strcmp(u.host, "localhost") == 0 || strcmp(u.host, "[::1]") == 0 ||
	    strncmp(u.host, "127.", 4) == 0));
}

/* why one provider object is not acceptable, or NULL */
static const char *
provider_check(struct arena *a, json_object *e)
{
	json_object_iter	 it;
	const char		*id, *type;
	json_object		*sc;
	size_t			 i;

	if (!json_object_is_type(e, json_type_object))
		return ("each provider must be an object");
	json_object_object_foreachC(e, it) {
		if (in_list(provider_strs, it.key) ||
		    in_list(provider_urls, it.key)) {
			if (!json_object_is_type(it.val, json_type_string))
				return (arena_printf(a, "%s must be a string",
				    it.key));
		} else if (in_list(provider_bools, it.key)) {
			if (!json_object_is_type(it.val, json_type_boolean))
				return (arena_printf(a, "%s must be true or "
				    "false", it.key));
		} else if (strcmp(it.key, "scopes") != 0)
			return (arena_printf(a, "unknown provider key %s",
			    it.key));
	}
	if ((id = pstr(e, "id")) == NULL)
		return ("each provider needs a string \"id\"");
	if (strlen(id) > 64 || strspn(id, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") != strlen(id))
		return ("id: 1 to 64 of [a-z0-9_-]");
	type = pstr(e, "type");
	if (type != NULL && strcmp(type, "standard") != 0 &&
	    strcmp(type, "shared") != 0)
		return ("type must be \"standard\" or \"shared\"");
	if (!in_list(builtin_providers, id) && pstr(e, "issuer") == NULL)
		return (arena_printf(a, "%s: a provider other than google, "
		    "github, microsoft and vercel needs an \"issuer\"", id));
	if (pstr(e, "client_id") == NULL)
		return (arena_printf(a, "%s: client_id is required (Neon's "
		    "shared credentials are not available here)", id));
	for (i = 0; provider_urls[i] != NULL; i++)
		if (pstr(e, provider_urls[i]) != NULL &&
		    !provider_url_ok(pstr(e, provider_urls[i])))
			return (arena_printf(a, "%s: %s must be an https URL "
			    "(http only on a loopback host)", id,
			    provider_urls[i]));
	if ((sc = member(e, "scopes", json_type_array)) == NULL &&
	    json_object_object_get_ex(e, "scopes", NULL))
		return ("scopes must be an array of strings");
	for (i = 0; sc != NULL && i < json_object_array_length(sc); i++)
		if (!json_object_is_type(json_object_array_get_idx(sc, i),
		    json_type_string))
			return ("scopes must be an array of strings");
	return (NULL);
}

static const char *
providers_check(struct arena *a, json_object *v)
{
	const char	*e, *id, *id2;
	size_t		 i, j, n;

	if (!json_object_is_type(v, json_type_array))
		return ("social_providers: must be an array of provider "
		    "objects");
	n = json_object_array_length(v);
	if (n > BRANCHCFG_PROVIDERS_MAX)
		return ("social_providers: too many providers");
	for (i = 0; i < n; i++) {
		if ((e = provider_check(a, json_object_array_get_idx(v, i))) !=
		    NULL)
			return (arena_printf(a, "social_providers[%zu]: %s", i,
			    e));
		id = pstr(json_object_array_get_idx(v, i), "id");
		for (j = 0; j < i; j++) {
			id2 = pstr(json_object_array_get_idx(v, j), "id");
			if (strcmp(id, id2) == 0)
				return (arena_printf(a,
				    "social_providers[%zu]: %s: provider ids "
				    "must be unique", i, id));
		}
	}
	return (NULL);
}

/* the usable providers of a row (a row written by SQL may hold bad ones) */
static void
providers_parse(struct branchcfg *c, json_object *list)
{
	struct arena		 a;
	struct branch_provider	*p;
	json_object		*e;
	size_t			 i;

	if (list == NULL)
		return;
	arena_init(&a, 1024);
	for (i = 0; i < json_object_array_length(list) &&
	    c->nproviders < BRANCHCFG_PROVIDERS_MAX; i++) {
		e = json_object_array_get_idx(list, i);
		arena_reset(&a);
		if (provider_check(&a, e) != NULL ||
		    branchcfg_provider(c, pstr(e, "id")) != NULL)
			continue;
		p = &c->providers[c->nproviders++];
		p->id = pstr(e, "id");
		p->type = pstr(e, "type");
		p->client_id = pstr(e, "client_id");
		p->client_secret = pstr(e, "client_secret");
		p->tenant = pstr(e, "microsoft_tenant_id");
		p->issuer = pstr(e, "issuer");
		p->authorization_endpoint = pstr(e, "authorization_endpoint");
		p->token_endpoint = pstr(e, "token_endpoint");
		p->userinfo_endpoint = pstr(e, "userinfo_endpoint");
		p->jwks_uri = pstr(e, "jwks_uri");
		p->scopes = member(e, "scopes", json_type_array);
		p->trusted = get_bool(e, "trusted", 0);
		p->disable_sign_up = get_bool(e, "disable_sign_up", 0);
	}
	arena_free(&a);
}

const struct branch_provider *
branchcfg_provider(const struct branchcfg *c, const char *id)
{
	int	 i;

	for (i = 0; id != NULL && i < c->nproviders; i++)
		if (strcmp(c->providers[i].id, id) == 0)
			return (&c->providers[i]);
	return (NULL);
}

/* ---- the groups' own settings (branchcfg.h) ---- */

static const struct settings_group	*registered[BRANCHCFG_GROUPS_MAX];
static void				*defaults[BRANCHCFG_GROUPS_MAX];
static size_t				 nregistered;

/* group g's object in the row (NULL when absent or not an object) */
static json_object *
group_object(json_object *row, const struct settings_group *g)
{
	const char	*dot = strchr(g->path, '.');
	char		 col[32];

	if (dot == NULL || (size_t)(dot - g->path) >= sizeof(col))
		return (NULL);
	memcpy(col, g->path, (size_t)(dot - g->path));
	col[dot - g->path] = '\0';
	return (member(member(row, col, json_type_object), dot + 1,
	    json_type_object));
}

/* why v is not acceptable for member gs, or NULL */
static const char *
gset_check(struct arena *a, const struct group_setting *gs, json_object *v)
{
	size_t	 n, i;

	switch (gs->type) {
	case GSET_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return ("must be true or false");
		break;
	case GSET_INT:
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < gs->min ||
		    json_object_get_int64(v) > gs->max)
			return (arena_printf(a, "must be an integer from "
			    "%lld to %lld", (long long)gs->min,
			    (long long)gs->max));
		break;
	case GSET_STR:
		if (!json_object_is_type(v, json_type_string))
			return ("must be a string");
		n = (size_t)json_object_get_string_len(v);
		if ((int64_t)n < gs->min || n >= gs->len ||
		    (gs->max > 0 && (int64_t)n > gs->max))
			return (arena_printf(a, "%lld to %lld characters",
			    (long long)gs->min, (long long)(gs->max > 0 ?
			    gs->max : (int64_t)gs->len - 1)));
		if (gs->choices == NULL)
			break;
		for (i = 0; gs->choices[i] != NULL; i++)
			if (strcmp(json_object_get_string(v),
			    gs->choices[i]) == 0)
				break;
		if (gs->choices[i] == NULL)
			return (arena_printf(a, "must be one of %s",
			    choice_list(a, gs->choices)));
		break;
	case GSET_JSON:
		break;
	}
	return (gs->check != NULL ? gs->check(a, v) : NULL);
}

/* the values of g from its object (NULL: every default) into vals */
static void
group_parse(const struct settings_group *g, json_object *obj, void *vals,
    const struct branchcfg *c)
{
	const struct group_setting	*gs;
	struct arena			 a;
	json_object			*v;
	char				*p;

	arena_init(&a, 512);
	for (gs = g->settings; gs->key != NULL; gs++) {
		p = (char *)vals + gs->off;
		if (obj == NULL || !json_object_object_get_ex(obj, gs->key,
		    &v) || v == NULL)
			v = NULL;
		arena_reset(&a);
		if (v != NULL && gset_check(&a, gs, v) != NULL)
			v = NULL;	/* what `config set` refuses: default */
		switch (gs->type) {
		case GSET_BOOL:
			*(int *)(void *)p = v ? json_object_get_boolean(v) :
			    (int)gs->def;
			break;
		case GSET_INT:
			*(int *)(void *)p = v ? (int)json_object_get_int64(v) :
			    (int)gs->def;
			break;
		case GSET_STR:
			snprintf(p, gs->len, "%s", v ?
			    json_object_get_string(v) : gs->sdef);
			break;
		case GSET_JSON:
			break;
		}
	}
	arena_free(&a);
	if (g->finish != NULL)
		g->finish(vals, obj, c);
}

int
branchcfg_register(const struct settings_group *g)
{
	size_t	 i;

	for (i = 0; i < nregistered; i++)
		if (registered[i] == g)
			return (0);
	if (nregistered == BRANCHCFG_GROUPS_MAX ||
	    (strncmp(g->path, "settings.", 9) != 0 &&
	    strncmp(g->path, "plugin_configs.", 15) != 0) ||
	    (defaults[nregistered] = calloc(1, g->size)) == NULL)
		return (-1);
	group_parse(g, NULL, defaults[nregistered], NULL);
	registered[nregistered++] = g;
	return (0);
}

const void *
branchcfg_group(const struct branchcfg *c, const struct settings_group *g)
{
	size_t	 i;

	for (i = 0; i < nregistered; i++)
		if (registered[i] == g)
			return (c != NULL && c->groups[i] != NULL ?
			    c->groups[i] : defaults[i]);
	log_warnx("%s: settings group %s was never registered", __func__,
	    g->path);
	abort();
}

/* the registered group at path ("plugin_configs.organization"), or NULL */
static const struct settings_group *
group_find(const char *path)
{
	size_t	 i;

	for (i = 0; i < nregistered; i++)
		if (strcmp(registered[i]->path, path) == 0)
			return (registered[i]);
	return (NULL);
}

/* every member of group g's object v, by its declaration */
static const char *
group_check(struct arena *a, const struct settings_group *g, json_object *v)
{
	const struct group_setting	*gs;
	json_object_iter		 it;
	const char			*e;

	if (!json_object_is_type(v, json_type_object))
		return (arena_printf(a, "%s: must be an object", g->path));
	json_object_object_foreachC(v, it) {
		for (gs = g->settings; gs->key != NULL; gs++)
			if (strcmp(gs->key, it.key) == 0)
				break;
		if (gs->key == NULL)
			return (arena_printf(a, "%s.%s: unknown key", g->path,
			    it.key));
		if ((e = gset_check(a, gs, it.val)) != NULL)
			return (arena_printf(a, "%s.%s: %s", g->path, it.key,
			    e));
	}
	return (NULL);
}

void
branchcfg_parse(struct branchcfg *c, json_object *row)
{
	json_object	*ep, *st;
	size_t		 i;

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
	c->send_verification_email_on_sign_in = get_bool(ep,
	    "send_verification_email_on_sign_in", 0);
	get_str(ep, "email_verification_method", "otp",
	    c->verification_method, sizeof(c->verification_method));

	st = member(row, "settings", json_type_object);
	c->session_expires_in = s_int(st, "session", "expires_in");
	c->session_update_age = s_int(st, "session", "update_age");
	c->session_fresh_age = s_int(st, "session", "fresh_age");
	c->cookie_cache = (int)s_int(st, "session", "cookie_cache");
	c->cookie_cache_max_age = s_int(st, "session", "cookie_cache_max_age");
	{
		/* a row written before the cap: the cap */
		json_object *ma = member(member(st, "session",
		    json_type_object), "cookie_cache_max_age", json_type_int);

		if (ma != NULL && json_object_get_int64(ma) >
		    BRANCHCFG_COOKIE_CACHE_MAX)
			c->cookie_cache_max_age = BRANCHCFG_COOKIE_CACHE_MAX;
	}
	s_str(st, "cookies", "prefix", c->cookie_prefix,
	    sizeof(c->cookie_prefix));
	/* the prefix goes into Set-Cookie names: config set's charset */
	if (!branchcfg_prefix_ok(c->cookie_prefix))
		snprintf(c->cookie_prefix, sizeof(c->cookie_prefix), "%s",
		    spec_find("cookies", "prefix")->sdef);
	{
		char	 v[12];

		s_str(st, "cookies", "same_site", v, sizeof(v));
		c->same_site_none = strcmp(v, "none") == 0;
		s_str(st, "cookies", "style", v, sizeof(v));
		c->cookie_style_neon = strcmp(v, "neon") == 0;
		c->cookie_style_host = strcmp(v, "host") == 0;
		s_str(st, "rate_limit", "storage", v, sizeof(v));
		c->rl_database = strcmp(v, "database") == 0;
	}
	c->bearer = (int)s_int(st, NULL, "bearer");
	c->bearer_require_signature = (int)s_int(st, NULL,
	    "bearer_require_signature");
	c->allow_localhost_on_https = (int)s_int(st, NULL,
	    "allow_localhost_on_https");
	c->delete_user = (int)s_int(st, NULL, "delete_user");
	c->delete_user_verification = (int)s_int(st, NULL,
	    "delete_user_verification");
	c->anonymous_token = (int)s_int(st, NULL, "anonymous_token");
	c->rl_enabled = (int)s_int(st, "rate_limit", "enabled");
	c->rl_window = (int)s_int(st, "rate_limit", "window");
	c->rl_max = (int)s_int(st, "rate_limit", "max");
	s_str(st, "jwt", "alg", c->jwt_alg, sizeof(c->jwt_alg));
	c->jwt_ttl = (int)s_int(st, "jwt", "ttl");
	/* kept as written: an invalid name fails closed where it is called */
	s_str(st, "jwt", "claims_function", c->jwt_claims_fn,
	    sizeof(c->jwt_claims_fn));
	c->lt_verification_link = (int)s_int(st, "lifetimes",
	    "verification_link");
	c->lt_reset_link = (int)s_int(st, "lifetimes", "reset_link");
	c->lt_otp = (int)s_int(st, "lifetimes", "otp");
	c->lt_magic_link = (int)s_int(st, "lifetimes", "magic_link");
	c->lt_invitation = (int)s_int(st, "lifetimes", "invitation");
	c->pw_min = (int)s_int(st, "password", "min_length");
	c->pw_max = (int)s_int(st, "password", "max_length");
	c->pw_revoke_on_reset = (int)s_int(st, "password",
	    "revoke_sessions_on_reset");
	if (c->pw_max < c->pw_min)
		c->pw_max = c->pw_min;
	{
		char	 v[12];

		s_str(st, "oauth", "flow", v, sizeof(v));
		c->oauth_flow = strcmp(v, "cookie") == 0 ? OAUTH_FLOW_COOKIE :
		    strcmp(v, "verifier") == 0 ? OAUTH_FLOW_VERIFIER :
		    OAUTH_FLOW_AUTO;
	}
	c->oauth_encrypt_tokens = (int)s_int(st, "oauth", "encrypt_tokens");
	c->oauth_timeout = (int)s_int(st, "oauth", "timeout");
	c->link_enabled = (int)s_int(st, "account_linking", "enabled");
	c->link_different_emails = (int)s_int(st, "account_linking",
	    "allow_different_emails");
	c->link_require_local_verified = (int)s_int(st, "account_linking",
	    "require_local_email_verified");
	c->link_unlink_all = (int)s_int(st, "account_linking",
	    "allow_unlinking_all");
	providers_parse(c, member(row, "social_providers", json_type_array));
	for (i = 0; i < nregistered; i++)
		if ((c->groups[i] = calloc(1, registered[i]->size)) != NULL)
			group_parse(registered[i], group_object(row,
			    registered[i]), c->groups[i], c);
}

int
branchcfg_prefix_ok(const char *p)
{
	size_t	 n = strlen(p);

	return (n > 0 && n <= 40 && strspn(p, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n);
}

int
branchcfg_localhost(const struct branchcfg *c, const struct branch *b)
{
	return (c->allow_localhost && (b == NULL || !b->secure ||
	    c->allow_localhost_on_https));
}

int
branchcfg_localhost_warn(const struct branchcfg *c, const struct branch *b)
{
	return (b != NULL && b->secure && branchcfg_localhost(c, b) &&
	    (c->same_site_none || c->cookie_style_neon));
}

int
branchcfg_neon_cookies(const struct branchcfg *c, const struct branch *b)
{
	return (c->cookie_style_neon && b != NULL && (b->secure ||
	    netaddr_host_loopback(b->host)));
}

void
branchcfg_clear(struct branchcfg *c)
{
	size_t	 i;

	for (i = 0; i < BRANCHCFG_GROUPS_MAX; i++)
		free(c->groups[i]);
	if (c->row)
		json_object_put(c->row);
	memset(c, 0, sizeof(*c));
}

/* ---- validation of `config set` values ---- */

/*
 * The members of the Neon-shaped object columns (spec/neon.md §9.2 and its
 * column mapping) and of settings.templates: one row per member, by its
 * path below the column, with its type and range.  A plugin that reads a
 * member adds its row here; a member without a row is refused ("unknown
 * key"), so a misspelled key is never stored silently.  (The members of
 * the other settings groups are the rows of specs[] above, which also
 * give their defaults; social_providers has provider_check.)
 */
enum member_type {
	M_BOOL,
	M_INT,		/* min..max */
	M_STR,		/* length min..max (max 0: any); choices when given */
	M_STRS,		/* array of strings, each one of choices when given */
	M_OBJECT,	/* its members have rows of their own */
};

#define M_URL		0x01	/* M_STR: an https URL (http on loopback) */
#define M_EMAIL		0x02	/* M_STR: something@something */

struct member_spec {
	const char		*path;
	enum member_type	 type;
	int64_t			 min, max;
	const char *const	*choices;
	unsigned		 flags;
	/* an object's own rule across its members, or NULL */
	const char		*(*check)(struct arena *, json_object *);
};

static const char *const verification_methods[] = { "link", "otp", NULL };
static const char *const provider_types[] = { "shared", "standard", NULL };
static const char *const smtp_securities[] = { "tls", "starttls", "none",
	NULL };
static const char *const webhook_events[] = { "send.otp",
	"send.magic_link", "user.before_create", "user.created",
	"phone_number.verified", NULL };

static const char *check_email_provider(struct arena *, json_object *);

/* a kind's template texts use only that kind's placeholders (lib/mail.h) */
static const char *
check_template(struct arena *a, json_object *v, const char *kind)
{
	json_object_iter	 it;
	const char		*e;

	json_object_object_foreachC(v, it)
		if (json_object_is_type(it.val, json_type_string) &&
		    (e = mail_template_check(a, mail_kind_parse(kind),
		    json_object_get_string(it.val))) != NULL)
			return (arena_printf(a, "settings.templates.%s.%s %s",
			    kind, it.key, e));
	return (NULL);
}

#define TEMPLATE_CHECK(kind) \
static const char * \
check_template_##kind(struct arena *a, json_object *v) \
{ \
	return (check_template(a, v, #kind)); \
}
TEMPLATE_CHECK(verification)
TEMPLATE_CHECK(reset)
TEMPLATE_CHECK(otp)
TEMPLATE_CHECK(magic_link)
TEMPLATE_CHECK(change_email)
TEMPLATE_CHECK(invitation)
TEMPLATE_CHECK(delete_account)

#define TEMPLATE_ROWS(kind) \
	{ "settings.templates." #kind, M_OBJECT, 0, 0, NULL, 0, \
	    check_template_##kind }, \
	{ "settings.templates." #kind ".subject", M_STR, 0, 998, NULL, 0, \
	    NULL }, \
	{ "settings.templates." #kind ".text", M_STR, 0, 65536, NULL, 0, \
	    NULL }, \
	{ "settings.templates." #kind ".html", M_STR, 0, 262144, NULL, 0, \
	    NULL }

static const struct member_spec member_specs[] = {
	{ "email_and_password", M_OBJECT, 0, 0, NULL, 0, NULL },
	{ "email_and_password.enabled", M_BOOL, 0, 0, NULL, 0, NULL },
	{ "email_and_password.email_verification_method", M_STR, 0, 0,
	    verification_methods, 0, NULL },
	{ "email_and_password.require_email_verification", M_BOOL, 0, 0, NULL,
	    0, NULL },
	{ "email_and_password.auto_sign_in_after_verification", M_BOOL, 0, 0,
	    NULL, 0, NULL },
	{ "email_and_password.send_verification_email_on_sign_up", M_BOOL, 0,
	    0, NULL, 0, NULL },
	{ "email_and_password.send_verification_email_on_sign_in", M_BOOL, 0,
	    0, NULL, 0, NULL },
	{ "email_and_password.disable_sign_up", M_BOOL, 0, 0, NULL, 0, NULL },

	{ "email_provider", M_OBJECT, 0, 0, NULL, 0, check_email_provider },
	{ "email_provider.type", M_STR, 0, 0, provider_types, 0, NULL },
	{ "email_provider.sender_email", M_STR, 3, 254, NULL, M_EMAIL, NULL },
	{ "email_provider.sender_name", M_STR, 0, 128, NULL, 0, NULL },
	{ "email_provider.host", M_STR, 1, 253, NULL, 0, NULL },
	{ "email_provider.port", M_INT, 1, 65535, NULL, 0, NULL },
	{ "email_provider.username", M_STR, 0, 1024, NULL, 0, NULL },
	{ "email_provider.password", M_STR, 0, 1024, NULL, 0, NULL },
	/* neon-authd's addition: how to reach the server (lib/smtp.h) */
	{ "email_provider.security", M_STR, 0, 0, smtp_securities, 0, NULL },

	{ "plugin_configs", M_OBJECT, 0, 0, NULL, 0, NULL },
	/* plugin_configs.phone-number: api_phone.c's group */

	{ "webhook_config", M_OBJECT, 0, 0, NULL, 0, NULL },
	{ "webhook_config.enabled", M_BOOL, 0, 0, NULL, 0, NULL },
	{ "webhook_config.webhook_url", M_STR, 1, 2048, NULL, M_URL, NULL },
	{ "webhook_config.enabled_events", M_STRS, 0, 0, webhook_events, 0,
	    NULL },
	{ "webhook_config.timeout_seconds", M_INT, 1, 10, NULL, 0, NULL },

	{ "settings.templates", M_OBJECT, 0, 0, NULL, 0, NULL },
	TEMPLATE_ROWS(verification),
	TEMPLATE_ROWS(reset),
	TEMPLATE_ROWS(otp),
	TEMPLATE_ROWS(magic_link),
	TEMPLATE_ROWS(change_email),
	TEMPLATE_ROWS(invitation),
	TEMPLATE_ROWS(delete_account),
};

static const struct member_spec *
member_find(const char *path)
{
	size_t	 i;

	for (i = 0; i < sizeof(member_specs) / sizeof(member_specs[0]); i++)
		if (strcmp(member_specs[i].path, path) == 0)
			return (&member_specs[i]);
	return (NULL);
}

static const char *
fail(struct arena *a, const char *path, const char *why)
{
	return (arena_printf(a, "%s: %s", path, why));
}

/* a standard (own SMTP) provider needs its server and sender */
static const char *
check_email_provider(struct arena *a, json_object *v)
{
	json_object	*t = member(v, "type", json_type_string);

	(void)a;
	if (t == NULL || strcmp(json_object_get_string(t), "standard") != 0)
		return (NULL);
	if (member(v, "host", json_type_string) == NULL)
		return ("email_provider.host: required when type is "
		    "\"standard\"");
	if (member(v, "port", json_type_int) == NULL)
		return ("email_provider.port: required when type is "
		    "\"standard\"");
	if (member(v, "sender_email", json_type_string) == NULL)
		return ("email_provider.sender_email: required when type is "
		    "\"standard\"");
	if (!smtp_host_ok(json_object_get_string(member(v, "host",
	    json_type_string))))
		return ("email_provider.host: must be a host name or address");
	if (!mail_addr_ok(json_object_get_string(member(v, "sender_email",
	    json_type_string))))
		return ("email_provider.sender_email: must be an address an "
		    "SMTP server takes");
	return (NULL);
}

static const char *check_member(struct arena *, const char *,
    const struct member_spec *, json_object *);

/* every member of the object v at path, by its row */
static const char *
check_members(struct arena *a, const char *path, json_object *v)
{
	const struct settings_group	*g;
	const struct member_spec	*ms;
	json_object_iter		 it;
	const char			*sub, *e;

	if (!json_object_is_type(v, json_type_object))
		return (fail(a, path, "must be an object"));
	json_object_object_foreachC(v, it) {
		sub = arena_printf(a, "%s.%s", path, it.key);
		if ((g = group_find(sub)) != NULL) {
			if ((e = group_check(a, g, it.val)) != NULL)
				return (e);
			continue;
		}
		if ((ms = member_find(sub)) == NULL)
			return (fail(a, sub, "unknown key"));
		if ((e = check_member(a, sub, ms, it.val)) != NULL)
			return (e);
	}
	ms = member_find(path);
	return (ms != NULL && ms->check != NULL ? ms->check(a, v) : NULL);
}

static const char *
check_str(struct arena *a, const char *path, const struct member_spec *ms,
    json_object *v)
{
	const char	*s;
	size_t		 n, i;

	if (!json_object_is_type(v, json_type_string))
		return (fail(a, path, "must be a string"));
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if ((int64_t)n < ms->min || (ms->max > 0 && (int64_t)n > ms->max))
		return (fail(a, path, arena_printf(a, "%lld to %lld characters",
		    (long long)ms->min, (long long)ms->max)));
	if (ms->choices != NULL) {
		for (i = 0; ms->choices[i] != NULL; i++)
			if (strcmp(s, ms->choices[i]) == 0)
				break;
		if (ms->choices[i] == NULL)
			return (fail(a, path, arena_printf(a, "must be one of "
			    "%s", choice_list(a, ms->choices))));
	}
	if ((ms->flags & M_URL) && !provider_url_ok(s))
		return (fail(a, path, "must be an https URL (http only on a "
		    "loopback host)"));
	if ((ms->flags & M_EMAIL) && (strchr(s, '@') == NULL || s[0] == '@' ||
	    s[n - 1] == '@'))
		return (fail(a, path, "must be an email address"));
	return (NULL);
}

static const char *
check_member(struct arena *a, const char *path, const struct member_spec *ms,
    json_object *v)
{
	size_t	 i;

	switch (ms->type) {
	case M_BOOL:
		return (json_object_is_type(v, json_type_boolean) ? NULL :
		    fail(a, path, "must be true or false"));
	case M_INT:
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < ms->min ||
		    json_object_get_int64(v) > ms->max)
			return (fail(a, path, arena_printf(a, "must be an "
			    "integer from %lld to %lld", (long long)ms->min,
			    (long long)ms->max)));
		return (NULL);
	case M_STR:
		return (check_str(a, path, ms, v));
	case M_STRS:
		if (!json_object_is_type(v, json_type_array))
			return (fail(a, path, "must be an array of strings"));
		for (i = 0; i < json_object_array_length(v); i++) {
			const char *e = check_str(a, arena_printf(a, "%s[%zu]",
			    path, i), ms, json_object_array_get_idx(v, i));

			if (e != NULL)
				return (e);
		}
		return (NULL);
	case M_OBJECT:
		return (check_members(a, path, v));
	}
	return (NULL);
}

/*
 * One key of `settings` (path "settings.<key>"): a flag of specs[], a
 * group of specs[] whose members are checked one by one, or templates
 * (member_specs[]).
 */
static const char *
check_settings_key(struct arena *a, const char *key, json_object *v)
{
	const struct settings_group	*g;
	const struct setting_spec	*sp;
	json_object_iter		 it;
	const char			*path, *sub, *e;

	path = arena_printf(a, "settings.%s", key);
	if ((g = group_find(path)) != NULL)
		return (group_check(a, g, v));
	if ((sp = spec_find(NULL, key)) != NULL)
		return ((e = spec_check(a, sp, v)) ? fail(a, path, e) : NULL);
	if (strcmp(key, "templates") == 0)
		return (check_members(a, path, v));
	if (!spec_is_group(key))
		return (fail(a, path, "unknown key"));
	if (!json_object_is_type(v, json_type_object))
		return (fail(a, path, "must be an object"));
	json_object_object_foreachC(v, it) {
		sub = arena_printf(a, "%s.%s", path, it.key);
		if ((sp = spec_find(key, it.key)) == NULL)
			return (fail(a, sub, "unknown key"));
		if ((e = spec_check(a, sp, it.val)) != NULL)
			return (fail(a, sub, e));
	}
	if (strcmp(key, "cookies") == 0 &&
	    json_object_object_get_ex(v, "prefix", NULL)) {
		json_object	*x = member(v, "prefix", json_type_string);
		const char	*p = json_object_get_string(x);

		if (!branchcfg_prefix_ok(p))
			return ("settings.cookies.prefix: 1 to 40 of "
			    "[A-Za-z0-9_-]");
	}
	return (NULL);
}

const char *
branchcfg_validate(struct arena *a, const char *field, json_object *v)
{
	const struct settings_group	*g;
	const struct member_spec	*ms;
	json_object_iter		 it;
	const char			*e;
	size_t				 i;

	if (strncmp(field, "settings.", 9) == 0) {
		/* a key of settings, or one template (settings.templates.x) */
		if (strchr(field + 9, '.') != NULL) {
			if ((g = group_find(field)) != NULL)
				return (group_check(a, g, v));
			if ((ms = member_find(field)) == NULL)
				return (fail(a, field, "unknown field"));
			return (check_member(a, field, ms, v));
		}
		return (check_settings_key(a, field + 9, v));
	}
	if (strcmp(field, "name") == 0)
		return (json_object_is_type(v, json_type_string) &&
		    json_object_get_string_len(v) < 128 ? NULL :
		    "name: must be a string of at most 127 bytes");
	if (strcmp(field, "allow_localhost") == 0)
		return (json_object_is_type(v, json_type_boolean) ? NULL :
		    "allow_localhost: must be true or false");
	if (strcmp(field, "trusted_origins") == 0) {
		if (!json_object_is_type(v, json_type_array))
			return ("trusted_origins: must be an array of origin "
			    "strings");
		for (i = 0; i < json_object_array_length(v); i++) {
			json_object *o = json_object_array_get_idx(v, i);

			if (!json_object_is_type(o, json_type_string) ||
			    json_object_get_string_len(o) == 0)
				return (arena_printf(a, "trusted_origins[%zu]: "
				    "must be an array of origin strings", i));
		}
		return (NULL);
	}
	if (strcmp(field, "social_providers") == 0)
		return (providers_check(a, v));
	if (strcmp(field, "settings") == 0) {
		if (!json_object_is_type(v, json_type_object))
			return ("settings: must be an object");
		json_object_object_foreachC(v, it)
			if ((e = check_settings_key(a, it.key, it.val)) != NULL)
				return (e);
		return (NULL);
	}
	if ((ms = member_find(field)) != NULL && ms->type == M_OBJECT &&
	    strchr(field, '.') == NULL)
		return (check_members(a, field, v));
	return (arena_printf(a, "%s: unknown field", field));
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
	} else if ((msg = branchcfg_validate(a, field, v)) != NULL) {
		snprintf(err, errlen, "%s", msg);
		json_object_put(v);
		return (-1);
	}
	if (v)
		json_object_put(v);
	if (strncmp(field, "settings.", 9) == 0) {
		/* settings.templates.otp: {templates,otp}, the parent first */
		char		*kp = arena_printf(a, "{%s}", field + 9);
		const char	*p3[3];

		for (i = 0; kp[i] != '\0'; i++)
			if (kp[i] == '.')
				kp[i] = ',';
		p3[0] = kp;
		p3[1] = json_text;
		p3[2] = arena_printf(a, "{%.*s}",
		    (int)strcspn(field + 9, "."), field + 9);
		sql = "UPDATE neon_auth.project_config SET settings = "
		    "jsonb_set(jsonb_set(settings, $3::text[], coalesce("
		    "settings #> $3::text[], '{}'::jsonb), true), $1::text[], "
		    "$2::jsonb, true), updated_at = now()";
		if (strchr(field + 9, '.') == NULL)
			sql = "UPDATE neon_auth.project_config SET settings = "
			    "jsonb_set(settings, $1::text[], $2::jsonb, true), "
			    "updated_at = now()";
		if (db_exec(c, a, NULL, SQL_INSERT_DEFAULT, 0, NULL) == NULL ||
		    db_exec(c, a, NULL, sql, strchr(field + 9, '.') ? 3 : 2,
		    p3) == NULL)
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
branchcfg_worker_idle(int idle_timeout_s)
{
	if (pool != NULL)
		db_pool_set_idle(pool, idle_timeout_s);
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

/* a notification for branch arg (db_drain_notifies_ch) */
static void
drain_note(void *arg, const char *channel, const char *payload)
{
	struct branch		*b = arg;
	struct sesscache_key	 k;

	if (channel == NULL || strcmp(channel, DB_CHANNEL_REVOKE) == 0)
		revoke_note(b->name, payload);
	if (!sesscache_enabled() || (channel != NULL &&
	    strcmp(channel, DB_CHANNEL_SESSION) != 0))
		return;
	k = sesscache_key(b->name, b->conninfo);
	sesscache_note(&k, payload != NULL && *payload != '\0' ? payload :
	    NULL);
}

/* what the drained flags say of branch b's cached config and keys */
static void
drain_apply(struct branch *b, struct cache_entry *e, unsigned flags)
{
	if ((flags & DB_NOTIFY_CONFIG) && e->valid) {
		branchcfg_clear(&e->cfg);
		e->valid = 0;
	}
	if (flags & DB_NOTIFY_JWKS)
		store_jwks_invalidate(b->name);
}

void
branchcfg_settle(struct request *r)
{
	unsigned	 flags = 0;

	if (r->db == NULL || r->branch == NULL)
		return;
	if (db_drain_notifies_ch(r->db, &flags, 1, drain_note, r->branch) ==
	    -1)
		flags = DB_NOTIFY_CONFIG | DB_NOTIFY_JWKS;
	/* r->bcfg is in use until the reply: the next acquire applies them */
	if (flags != 0)
		cache_slot(r->branch->name)->pending |= flags;
}

enum err
branchcfg_acquire(struct request *r)
{
	struct branch		*b = r->branch;
	struct cache_entry	*e;
	struct db_conn		*c;
	unsigned		 flags = 0;
	int			 err = 0, v;
	int64_t			 now = clock_mono_ms();
	json_object		*row;

	e = cache_slot(b->name);
	e->used_ms = now;
	/* a database that just failed to connect: 503 within its backoff */
	if (branch_down_wait(b))
		return (ERR_DATABASE_UNAVAILABLE);
	{
		struct db_target t = { b->conninfo, b->listen_conninfo,
		    b->pooled };

		c = db_pool_open(pool, b->name, &t, &err);
	}
	if (c == NULL) {
		int	 dropped;

		branch_down_note(b, 1);
		/* one line a second per branch, ten a second daemon-wide */
		if (now - e->down_logged_ms >= 1000 &&
		    branch_log_allow(&dropped)) {
			if (dropped > 0)
				log_warnx("database unavailable: %d similar "
				    "lines not logged", dropped);
			log_warnx("branch %s: database unavailable: %s",
			    b->name, db_pool_last_error(pool)->message);
			e->down_logged_ms = now;
		}
		return (ERR_DATABASE_UNAVAILABLE);
	}
	branch_down_note(b, 0);
	e->down_logged_ms = 0;
	if (db_drain_notifies_ch(c, &flags, 0, drain_note, b) == -1)
		flags = DB_NOTIFY_CONFIG | DB_NOTIFY_JWKS;
	flags |= e->pending;
	e->pending = 0;
	drain_apply(b, e, flags);
	if (e->checked_conn != c) {
		enum db_schema_state st = db_schema_check(c, &v);

		if (st == DB_SCHEMA_ERROR) {
			log_warnx("branch %s: database error: %s", b->name,
			    db_last_error(c)->message);
			return (ERR_DATABASE_UNAVAILABLE);
		}
		if (st == DB_SCHEMA_MISSING || st == DB_SCHEMA_BEHIND) {
			if (!e->schema_logged)
				log_err("branch %s: neon_auth schema %s "
				    "(version %d, need %d): run neon-authd "
				    "migrate", b->name, st == DB_SCHEMA_MISSING
				    ? "missing" : "behind", v,
				    NEON_AUTHD_SCHEMA_VERSION);
			e->schema_logged = 1;
			return (ERR_SCHEMA_NOT_READY);
		}
		e->checked_conn = c;
		e->schema_logged = 0;
		/*
		 * a new connection: notifications sent meanwhile are lost --
		 * the branch's config and keys, and the bans (http/revoke.h:
		 * cookie-cache cookies minted before now are distrusted once)
		 */
		drain_note(b, NULL, NULL);
		if (e->valid) {
			branchcfg_clear(&e->cfg);
			e->valid = 0;
		}
		store_jwks_invalidate(b->name);
	}
	if (e->valid && ttl_ms > 0 && now - e->cfg.loaded_ms > ttl_ms) {
		branchcfg_clear(&e->cfg);
		e->valid = 0;
		if (!db_conn_listens(c)) {
			/* no NOTIFY through a pooler: keys, bans by the TTL */
			revoke_note(b->name, NULL);
			store_jwks_invalidate(b->name);
		}
	}
	if (!e->valid) {
		if ((row = branchcfg_load(c, r->a)) == NULL) {
			const struct db_error *de = db_last_error(c);

			log_warnx("branch %s: cannot load project_config: %s",
			    b->name, de->message);
			e->checked_conn = NULL;
			return (de->kind == DB_ERR_SCHEMA ?
			    ERR_SCHEMA_NOT_READY : ERR_DATABASE_UNAVAILABLE);
		}
		branchcfg_parse(&e->cfg, row);
		if (e->cfg.cookie_style_neon && !branchcfg_neon_cookies(&e->cfg,
		    b))
			log_warnx("branch=%s settings.cookies.style \"neon\" "
			    "is not applied: the Auth URL is http on a host "
			    "that is not loopback, where browsers drop Secure "
			    "cookies", b->name);
		if (branchcfg_localhost_warn(&e->cfg, b))
			log_warnx("branch=%s allow_localhost with "
			    "SameSite=None on an https Auth URL: any program "
			    "serving a page on localhost can read this "
			    "branch's sessions", b->name);
		e->cfg.loaded_ms = now;
		e->valid = 1;
	}
	r->db = c;
	r->bcfg = &e->cfg;
	return (ERR_NONE);
}
