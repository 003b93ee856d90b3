/*
 * api_admin.c -- the admin plugin (protocol.md §11.1): admin/create-user,
 * list-users, get-user, update-user, set-role, ban-user, unban-user,
 * list-user-sessions, revoke-user-session(s), remove-user,
 * set-user-password, impersonate-user, stop-impersonating,
 * has-permission.
 *
 * Better Auth's order decides which error wins: the body (zod, 400), then
 * the admin middleware (an authoritative session, read without the
 * cookie cache; none: 401 with an empty body), then the permission of
 * the caller's role (403 with the plugin's code), then the route's own
 * checks.  Roles, permissions and the ban gate are auth/admin.c's; the
 * SQL is store/store_admin.c's; the operations after the permission
 * checks are shared with `neon-authd user` (api_admin.h).  Every change
 * and its audit row are one transaction; a refused admin action is
 * recorded on its own (actor_id = the caller).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_admin.h"
#include "api/route.h"
#include "auth/admin.h"
#include "auth/audit.h"
#include "auth/password.h"
#include "auth/session.h"
#include "auth/signup.h"
#include "auth/webhook.h"
#include "http/body.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/cookie.h"
#include "http/revoke.h"
#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/text.h"
#include "lib/url.h"
#include "store/db.h"
#include "store/store.h"
#include "store/store_admin.h"

#define ERR_TAKEN	ERR_ADMIN_USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL

/* list-users answers at most this many users, whatever limit asks */
#define LIST_MAX	10000
/* Better Auth's adapters: findMany without a limit */
#define LIST_DEFAULT	100

/* ---- JavaScript values as Better Auth's code sees them */

/* String(n) for a number: the shortest text that reads back as n */
static char *
js_number(struct arena *a, double d)
{
	char	 buf[40], *e;
	int	 prec;

	if (isnan(d))
		return (arena_strdup(a, "NaN"));
	if (isinf(d))
		return (arena_strdup(a, d < 0 ? "-Infinity" : "Infinity"));
	if (d == 0)
		return (arena_strdup(a, "0"));
	if (fabs(d) < 1e21 && d == floor(d)) {
		snprintf(buf, sizeof(buf), "%.0f", d);
		return (arena_strdup(a, buf));
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	/* C writes 1e-07 where JavaScript writes 1e-7 */
	if ((e = strchr(buf, 'e')) != NULL) {
		char	*m = e + 2;

		if (e[1] == '+' || e[1] == '-')
			while (*m == '0' && m[1] != '\0')
				memmove(m, m + 1, strlen(m));
		if (e[1] == '+' && fabs(d) < 1e21)
			memmove(e + 1, e + 2, strlen(e + 1));
	}
	return (arena_strdup(a, buf));
}

/* String(v): z.coerce.string(), template literals, array.toString() */
static char *
js_string(struct arena *a, json_object *v)
{
	struct jbuf	 b;
	json_object	*x;
	size_t		 i, n;
	char		*s;

	if (v == NULL)
		return (arena_strdup(a, "null"));
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return (arena_strdup(a, json_object_get_boolean(v) ? "true" :
		    "false"));
	case json_type_int:
		return (arena_printf(a, "%lld",
		    (long long)json_object_get_int64(v)));
	case json_type_double:
		return (js_number(a, json_object_get_double(v)));
	case json_type_string:
		return (arena_strdup(a, json_object_get_string(v)));
	case json_type_array:
		jb_init(&b, a, 64);
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			if (i > 0)
				jb_lit(&b, ",");
			x = json_object_array_get_idx(v, i);
			if (x == NULL)
				continue;	/* null and undefined: "" */
			s = js_string(a, x);
			jb_raw(&b, s, strlen(s));
		}
		return (jb_done(&b));
	default:
		return (arena_strdup(a, "[object Object]"));
	}
}

/*
 * Number(s): JavaScript's string-to-number conversion (whitespace,
 * decimal with exponent, 0x/0o/0b, Infinity); 0 with *d NaN otherwise.
 */
static void
js_to_number(const char *s, double *d)
{
	const char	*p = s, *e;
	char		*end;
	int		 base = 0, digits = 0;

	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || (e[-1] >= '\t' && e[-1] <= '\r')))
		e--;
	*d = NAN;
	if (e == p) {
		*d = 0;
		return;
	}
	if (e - p >= 2 && p[0] == '0' && strchr("xXoObB", p[1]) != NULL)
		base = p[1] == 'x' || p[1] == 'X' ? 16 : p[1] == 'o' ||
		    p[1] == 'O' ? 8 : 2;
	if (base != 0) {
		double	 v = 0;
		int	 dv;

		for (s = p + 2; s < e; s++) {
			dv = text_hexval((unsigned char)*s);
			if (dv < 0 || dv >= base)
				return;
			v = v * base + dv;
			digits++;
		}
		if (digits > 0)
			*d = v;
		return;
	}
	s = p;
	if (*s == '+' || *s == '-')
		s++;
	if ((size_t)(e - s) == 8 && strncmp(s, "Infinity", 8) == 0) {
		*d = *p == '-' ? -INFINITY : INFINITY;
		return;
	}
	/* digits [. digits] [e [+-] digits], with a digit somewhere */
	for (; s < e && *s >= '0' && *s <= '9'; s++)
		digits++;
	if (s < e && *s == '.')
		for (s++; s < e && *s >= '0' && *s <= '9'; s++)
			digits++;
	if (digits == 0)
		return;
	if (s < e && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < e && (*s == '+' || *s == '-'))
			s++;
		for (digits = 0; s < e && *s >= '0' && *s <= '9'; s++)
			digits++;
		if (digits == 0)
			return;
	}
	if (s != e)
		return;
	*d = strtod(p, &end);	/* the grammar is checked: strtod agrees */
}

/* ---- the admin middleware, permissions, audit */

/*
 * The caller's session, read as Better Auth's admin middleware does
 * (getAuthoritativeSessionFromCtx: the database, not the cookie cache);
 * none: 401 with an empty body.
 */
static enum err
admin_session(struct request *r, int flags)
{
	struct auth	*a = arena_alloc(r->a, sizeof(*a));
	enum err	 e;
	int		 found;

	if ((e = session_load(r, flags, a, &found)) != ERR_NONE)
		return (e);
	if (!found)
		return (ERR_UNAUTHORIZED_EMPTY);
	r->auth = a;
	return (ERR_NONE);
}

/* the audit detail: the operator's rows say they came from the CLI */
static const char *
detail(struct request *r, const char *actor, const char *members)
{
	if (actor == NULL)
		return (arena_printf(r->a, "{\"via\":\"cli\"%s%s}",
		    members ? "," : "", members ? members : ""));
	return (members ? arena_printf(r->a, "{%s}", members) : NULL);
}

/* a user id fit for the audit row's uuid column, or NULL */
static const char *
audit_uid(const char *id)
{
	return (id != NULL && store_admin_uuid_ok(id) ? id : NULL);
}

/*
 * The session, then the caller's role must allow resource:action: else
 * the plugin's 403, recorded as a refused `event` for target.
 */
static enum err
need_admin(struct request *r, const char *resource, const char *action,
    enum err refused, const char *event, const char *target)
{
	enum err	 e;

	if ((e = admin_session(r, SESSION_SENSITIVE)) != ERR_NONE)
		return (e);
	if (admin_can(r->bcfg, r->auth->u.role, resource, action))
		return (ERR_NONE);
	if (audit_event(r, event, audit_uid(target), r->auth->u.id, refused,
	    NULL) == -1)
		log_warnx("route=%s audit row not written", r->route_name);
	return (refused);
}

/* the permission alone, once the session is loaded */
static enum err
also_can(struct request *r, const char *resource, const char *action,
    enum err refused, const char *event, const char *target)
{
	if (admin_can(r->bcfg, r->auth->u.role, resource, action))
		return (ERR_NONE);
	if (audit_event(r, event, audit_uid(target), r->auth->u.id, refused,
	    NULL) == -1)
		log_warnx("route=%s audit row not written", r->route_name);
	return (refused);
}

/* the user, or USER_NOT_FOUND (404) */
static enum err
find_user(struct request *r, const char *id, struct user_rec *u)
{
	int	 rc;

	if ((rc = store_admin_user(r->db, r->a, id, u)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	return (rc == 1 ? ERR_NONE : ERR_USER_NOT_FOUND_404);
}

/*
 * The user's cookie-cache cookies are not to be trusted any more: every
 * worker of this server knows before the answer leaves (http/revoke.h).
 */
static void
revoked(struct request *r, const char *user_id)
{
	if (r->branch != NULL && user_id != NULL)
		revoke_note(r->branch->name, user_id);
}

/* commit, or roll back and say why */
static enum err
finish(struct request *r, int rc, enum err otherwise)
{
	enum err	 e;

	if (rc != -1 && store_commit(r->db) != -1)
		return (ERR_NONE);
	e = err_db(r, r->db, otherwise);
	store_rollback(r->db);
	return (e);
}

static void
reply_user(struct request *r, const struct user_rec *u, int wrapped)
{
	struct jbuf	 b;

	jb_init(&b, r->a, 512);
	if (wrapped)
		jb_lit(&b, "{\"user\":");
	user_write(&b, u);
	if (wrapped)
		jb_lit(&b, "}");
	reply_json_str(r, 200, jb_done(&b));
}

static void
reply_session_user(struct request *r, const struct session_rec *s,
    const struct user_rec *u)
{
	struct jbuf	 b;

	jb_init(&b, r->a, 1024);
	jb_lit(&b, "{\"session\":");
	session_write(&b, s);
	jb_lit(&b, ",\"user\":");
	user_write(&b, u);
	jb_lit(&b, "}");
	reply_json_str(r, 200, jb_done(&b));
}

/* ---- the operations (api_admin.h) */

/* a data member as text for its column: scalars, null; else -1 */
static int
data_text(struct arena *a, json_object *v, const char **out)
{
	if (v == NULL) {
		*out = NULL;
		return (0);
	}
	if (json_object_is_type(v, json_type_object) ||
	    json_object_is_type(v, json_type_array))
		return (-1);
	*out = js_string(a, v);
	return (0);
}

enum err
api_admin_create_user(struct request *r, const char *actor,
    const struct admin_new *in, struct user_rec *out)
{
	static const struct {
		const char	*key;
		size_t		 off;
	} dk[] = {
		{ "id", offsetof(struct store_admin_new, id) },
		{ "emailVerified", offsetof(struct store_admin_new,
		    email_verified) },
		{ "image", offsetof(struct store_admin_new, image) },
		{ "banned", offsetof(struct store_admin_new, banned) },
		{ "banReason", offsetof(struct store_admin_new, ban_reason) },
		{ "banExpires", offsetof(struct store_admin_new, ban_expires) },
		{ "createdAt", offsetof(struct store_admin_new, created_at) },
		{ "updatedAt", offsetof(struct store_admin_new, updated_at) },
	};
	struct store_admin_new	 nu;
	struct signup_new	 su;
	json_object		*v;
	const char		*email;
	char			*hash = NULL;
	size_t			 i;
	int			 rc;
	enum err		 e;

	memset(&nu, 0, sizeof(nu));
	email = text_lower(r->a, in->email);
	if (!body_email_ok(email))
		return (ERR_INVALID_EMAIL);
	if (in->password != NULL && *in->password != '\0' &&
	    (e = password_check_length(r, in->password, in->check_min)) !=
	    ERR_NONE)
		return (e);
	if ((rc = store_email_taken(r->db, r->a, email)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 1)
		return (ERR_TAKEN);
	/* data: the columns Better Auth's adapter would write */
	for (i = 0; in->data != NULL && i < sizeof(dk) / sizeof(dk[0]); i++)
		if (json_object_object_get_ex(in->data, dk[i].key, &v) &&
		    data_text(r->a, v, (const char **)((char *)&nu +
		    dk[i].off)) == -1)
			return (ERR_INTERNAL_EMPTY);
	if (in->password != NULL && *in->password != '\0' &&
	    (e = password_hash(r, in->password, &hash,
	    ERR_ADMIN_FAILED_TO_CREATE_USER)) != ERR_NONE)
		return (e);
	nu.name = in->name;
	nu.email = email;
	nu.role = in->role != NULL ? in->role :
	    admin_settings(r->bcfg)->default_role;
	nu.password_hash = hash;
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	su.email = email;
	su.name = in->name;
	su.image = nu.image;
	su.email_verified = nu.email_verified != NULL &&
	    strcmp(nu.email_verified, "true") == 0;
	su.provider = "admin";
	if ((e = signup_check(r, r->db, &su)) != ERR_NONE) {
		store_rollback(r->db);
		return (e);
	}
	rc = store_admin_create(r->db, r->a, &nu, out);
	if (rc == STORE_ADMIN_TAKEN) {
		store_rollback(r->db);
		return (ERR_TAKEN);
	}
	if (rc == 1 && audit_event(r, "admin_user_create", out->id, actor,
	    ERR_NONE, detail(r, actor, arena_printf(r->a, "\"role\":%s,"
	    "\"password\":%s", json_quote(r->a, nu.role), hash ? "true" :
	    "false"))) == -1)
		rc = -1;
	if (rc == 1) {
		struct webhook_user	 wu;

		webhook_user_of(&wu, out);
		if (webhook_queue(r, "user.created", &wu, "credential") == -1)
			rc = -1;
	}
	return (finish(r, rc, ERR_INTERNAL_EMPTY));
}

enum err
api_admin_set_role(struct request *r, const char *actor, const char *user_id,
    const char *role, struct user_rec *out)
{
	struct store_admin_patch	 p;
	struct user_rec			 u;
	enum err			 e;
	int				 rc;

	if ((e = find_user(r, user_id, &u)) != ERR_NONE)
		return (e);
	memset(&p, 0, sizeof(p));
	p.set[SAF_ROLE] = 1;
	p.value[SAF_ROLE] = role;
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	rc = store_admin_update(r->db, r->a, u.id, &p, out);
	if (rc == 1 && audit_event(r, "admin_set_role", u.id, actor, ERR_NONE,
	    detail(r, actor, arena_printf(r->a, "\"from\":%s,\"to\":%s",
	    json_quote(r->a, u.role), json_quote(r->a, role)))) == -1)
		rc = -1;
	if (rc == 0) {
		store_rollback(r->db);
		return (ERR_USER_NOT_FOUND_404);
	}
	return (finish(r, rc, ERR_INTERNAL_EMPTY));
}

enum err
api_admin_ban_user(struct request *r, const char *actor, const char *user_id,
    const char *reason, double expires_in_s, struct user_rec *out)
{
	struct user_rec	 u;
	const char	*until = NULL;
	double		 ms;
	enum err	 e;
	int		 rc;

	if ((e = find_user(r, user_id, &u)) != ERR_NONE)
		return (e);
	if (actor != NULL && strcmp(u.id, actor) == 0)
		return (ERR_YOU_CANNOT_BAN_YOURSELF);
	if (reason == NULL || *reason == '\0')
		reason = "No reason";
	if (expires_in_s != 0) {
		/* getDate(banExpiresIn, "sec"): now + s * 1000, to the ms */
		ms = floor((double)clock_now_ms() + expires_in_s * 1000);
		if (!(fabs(ms) <= 8.64e15))
			return (ERR_INTERNAL_EMPTY);	/* an Invalid Date */
		until = clock_iso(r->a, (int64_t)ms);
	}
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	rc = store_admin_ban(r->db, r->a, u.id, reason, until, out);
	if (rc == 1 && audit_event(r, "admin_ban", u.id, actor, ERR_NONE,
	    detail(r, actor, arena_printf(r->a, "\"reason\":%s,\"expires\":%s",
	    json_quote(r->a, reason), until ? json_quote(r->a, until) :
	    "null"))) == -1)
		rc = -1;
	if (rc == 0) {
		store_rollback(r->db);
		return (ERR_USER_NOT_FOUND_404);
	}
	if ((e = finish(r, rc, ERR_INTERNAL_EMPTY)) == ERR_NONE)
		revoked(r, u.id);
	return (e);
}

enum err
api_admin_unban_user(struct request *r, const char *actor,
    const char *user_id, struct user_rec *out)
{
	struct user_rec	 u;
	enum err	 e;
	int		 rc;

	if ((e = find_user(r, user_id, &u)) != ERR_NONE)
		return (e);
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	rc = store_admin_unban(r->db, r->a, u.id, 0, out);
	if (rc == 1 && audit_event(r, "admin_unban", u.id, actor, ERR_NONE,
	    detail(r, actor, NULL)) == -1)
		rc = -1;
	if (rc == 0) {
		store_rollback(r->db);
		return (ERR_USER_NOT_FOUND_404);
	}
	return (finish(r, rc, ERR_INTERNAL_EMPTY));
}

enum err
api_admin_revoke_sessions(struct request *r, const char *actor,
    const char *user_id, int64_t *count)
{
	enum err	 e;
	int		 rc;

	*count = 0;
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	rc = store_admin_revoke_sessions(r->db, r->a, user_id, count);
	if (rc == 1 && *count > 0 && audit_event(r, "admin_sessions_revoke",
	    audit_uid(user_id), actor, ERR_NONE, detail(r, actor,
	    arena_printf(r->a, "\"sessions\":%lld", (long long)*count))) ==
	    -1)
		rc = -1;
	if ((e = finish(r, rc, ERR_INTERNAL_EMPTY)) == ERR_NONE && *count > 0)
		revoked(r, user_id);
	return (e);
}

enum err
api_admin_remove_user(struct request *r, const char *actor,
    const char *user_id)
{
	struct user_rec	 u;
	enum err	 e;
	int		 rc;

	if (actor != NULL && strcmp(user_id, actor) == 0)
		return (ERR_YOU_CANNOT_REMOVE_YOURSELF);
	if ((e = find_user(r, user_id, &u)) != ERR_NONE)
		return (e);
	if (actor != NULL && strcmp(u.id, actor) == 0)
		return (ERR_YOU_CANNOT_REMOVE_YOURSELF);
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	rc = store_admin_remove(r->db, r->a, u.id);
	if (rc == 1 && audit_event(r, "admin_user_remove", u.id, actor,
	    ERR_NONE, detail(r, actor, arena_printf(r->a, "\"email\":%s",
	    json_quote(r->a, u.email)))) == -1)
		rc = -1;
	if (rc == 0) {
		store_rollback(r->db);
		return (ERR_USER_NOT_FOUND_404);
	}
	if ((e = finish(r, rc, ERR_INTERNAL_EMPTY)) == ERR_NONE)
		revoked(r, u.id);
	return (e);
}

enum err
api_admin_set_password(struct request *r, const char *actor,
    const char *user_id, const char *password)
{
	struct user_rec	 u;
	char		*hash;
	enum err	 e;
	int		 rc;

	if ((e = password_check_length(r, password, 1)) != ERR_NONE)
		return (e);
	if ((e = find_user(r, user_id, &u)) != ERR_NONE)
		return (e);
	if ((e = password_hash(r, password, &hash, ERR_INTERNAL_EMPTY)) !=
	    ERR_NONE)
		return (e);
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	rc = store_admin_set_password(r->db, r->a, u.id, hash);
	if (rc == 1 && audit_event(r, "admin_set_password", u.id, actor,
	    ERR_NONE, detail(r, actor, NULL)) == -1)
		rc = -1;
	return (finish(r, rc, ERR_INTERNAL_EMPTY));
}

/* ---- zod's shapes the plain v_* helpers do not have */

/* z.coerce.string(), required; nonempty: refine's message, or NULL */
static const char *
v_coerce(struct vctx *v, const char *key, const char *nonempty)
{
	json_object	*x;
	char		*s;

	if (v_describe(v, key, "{\"type\":\"string\"}", 1))
		return ("");
	if (v->body == NULL)
		return (NULL);
	if (!json_object_object_get_ex(v->body, key, &x)) {
		v_issue(v, key, "Invalid input: expected nonoptional, received "
		    "undefined");
		return (NULL);
	}
	s = js_string(v->r->a, x);
	if (nonempty != NULL && *s == '\0') {
		v_issue(v, key, nonempty);
		return (NULL);
	}
	return (s);
}

/* z.coerce.string().optional() */
static const char *
v_coerce_opt(struct vctx *v, const char *key)
{
	json_object	*x;

	if (v_describe(v, key, "{\"type\":\"string\"}", 0))
		return (NULL);
	if (v->body == NULL || !json_object_object_get_ex(v->body, key, &x))
		return (NULL);
	return (js_string(v->r->a, x));
}

/* a string or an array of strings, joined with ','; NULL when absent */
static const char *
join_roles(struct arena *a, json_object *x, int *bad)
{
	struct jbuf	 b;
	json_object	*e;
	size_t		 i;

	*bad = 0;
	if (x != NULL && json_object_is_type(x, json_type_string))
		return (json_object_get_string(x));
	if (x == NULL || !json_object_is_type(x, json_type_array)) {
		*bad = 1;
		return (NULL);
	}
	jb_init(&b, a, 32);
	for (i = 0; i < json_object_array_length(x); i++) {
		e = json_object_array_get_idx(x, i);
		if (e == NULL || !json_object_is_type(e, json_type_string)) {
			*bad = 1;
			return (NULL);
		}
		if (i > 0)
			jb_lit(&b, ",");
		jb_raw(&b, json_object_get_string(e),
		    (size_t)json_object_get_string_len(e));
	}
	return (jb_done(&b));
}

/* role: z.union([z.string(), z.array(z.string())]) */
static const char *
v_roles(struct vctx *v, const char *key, int required)
{
	json_object	*x;
	const char	*s;
	int		 bad;

	if (v_describe(v, key, "{\"oneOf\":[{\"type\":\"string\"},{\"type\":"
	    "\"array\",\"items\":{\"type\":\"string\"}}]}", required))
		return (NULL);
	if (v->body == NULL)
		return (NULL);
	if (!json_object_object_get_ex(v->body, key, &x)) {
		if (required)
			v_issue(v, key, "Invalid input");
		return (NULL);
	}
	if ((s = join_roles(v->r->a, x, &bad)) == NULL || bad)
		v_issue(v, key, "Invalid input");
	return (bad ? NULL : s);
}

/* z.record(z.string(), z.any()) */
static json_object *
v_record(struct vctx *v, const char *key, int required)
{
	json_object	*x;

	if (v_describe(v, key, "{\"type\":\"object\","
	    "\"additionalProperties\":true}", required))
		return (NULL);
	if (v->body == NULL)
		return (NULL);
	if (!json_object_object_get_ex(v->body, key, &x)) {
		if (required)
			v_issue(v, key, "Invalid input: expected record, "
			    "received undefined");
		return (NULL);
	}
	if (x == NULL || !json_object_is_type(x, json_type_object)) {
		v_issue(v, key, arena_printf(v->r->a, "Invalid input: expected "
		    "record, received %s", v_type_name(x)));
		return (NULL);
	}
	return (x);
}

/* z.number().optional(): 1 with *d, 0 absent */
static int
v_number(struct vctx *v, const char *key, double *d)
{
	json_object	*x;

	*d = 0;
	if (v_describe(v, key, "{\"type\":\"number\"}", 0))
		return (0);
	if (v->body == NULL || !json_object_object_get_ex(v->body, key, &x))
		return (0);
	if (x == NULL || (!json_object_is_type(x, json_type_int) &&
	    !json_object_is_type(x, json_type_double))) {
		v_issue(v, key, arena_printf(v->r->a, "Invalid input: expected "
		    "number, received %s", v_type_name(x)));
		return (0);
	}
	*d = json_object_get_double(x);
	return (1);
}

/* z.record(z.string(), z.array(z.string())) */
static int
permissions_ok(json_object *x)
{
	json_object_iter	 it;
	size_t			 i;

	if (x == NULL || !json_object_is_type(x, json_type_object))
		return (0);
	json_object_object_foreachC(x, it) {
		if (it.val == NULL || !json_object_is_type(it.val,
		    json_type_array))
			return (0);
		for (i = 0; i < json_object_array_length(it.val); i++)
			if (!json_object_is_type(json_object_array_get_idx(
			    it.val, i), json_type_string))
				return (0);
	}
	return (1);
}

/* ---- POST bodies */

struct user_id_in {
	const char	*user_id;
};

static enum err
parse_user_id(struct request *r, void **inp)
{
	struct user_id_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx		 v;

	v_begin(&v, r, V_OBJECT);
	in->user_id = v_coerce(&v, "userId", NULL);
	*inp = in;
	return (v_end(&v));
}

struct set_role_in {
	const char	*user_id, *role;
};

static enum err
parse_set_role(struct request *r, void **inp)
{
	struct set_role_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx		 v;

	v_begin(&v, r, V_OBJECT);
	in->user_id = v_coerce(&v, "userId", NULL);
	in->role = v_roles(&v, "role", 1);
	*inp = in;
	return (v_end(&v));
}

struct ban_in {
	const char	*user_id, *reason;
	double		 expires_in;
};

static enum err
parse_ban(struct request *r, void **inp)
{
	struct ban_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT);
	in->user_id = v_coerce(&v, "userId", NULL);
	in->reason = v_str(&v, "banReason", 0);
	(void)v_number(&v, "banExpiresIn", &in->expires_in);
	*inp = in;
	return (v_end(&v));
}

struct create_in {
	const char	*email, *password, *name, *role;
	json_object	*data;
	int		 has_role;
};

static enum err
parse_create(struct request *r, void **inp)
{
	struct create_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx		 v;

	memset(in, 0, sizeof(*in));
	v_begin(&v, r, V_OBJECT);
	in->email = v_str(&v, "email", 1);
	in->password = v_str(&v, "password", 0);
	in->name = v_str(&v, "name", 1);
	in->has_role = v_present(&v, "role");
	in->role = v_roles(&v, "role", 0);
	in->data = v_record(&v, "data", 0);
	*inp = in;
	return (v_end(&v));
}

struct update_in {
	const char	*user_id;
	json_object	*data;
};

static enum err
parse_update(struct request *r, void **inp)
{
	struct update_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx		 v;

	v_begin(&v, r, V_OBJECT);
	in->user_id = v_coerce(&v, "userId", NULL);
	in->data = v_record(&v, "data", 1);
	*inp = in;
	return (v_end(&v));
}

struct password_in {
	const char	*user_id, *password;
};

static enum err
parse_password(struct request *r, void **inp)
{
	struct password_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx		 v;
	json_object		*x;

	v_begin(&v, r, V_OBJECT);
	in->password = v_str(&v, "newPassword", 1);
	if (in->password != NULL && *in->password == '\0' &&
	    r->describe == NULL && json_object_object_get_ex(r->json,
	    "newPassword", &x)) {
		v_issue(&v, "newPassword", "newPassword cannot be empty");
		in->password = NULL;
	}
	in->user_id = v_coerce(&v, "userId", "userId cannot be empty");
	*inp = in;
	return (v_end(&v));
}

static enum err
parse_session_token(struct request *r, void **inp)
{
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT);
	*inp = (void *)v_str(&v, "sessionToken", 1);
	return (v_end(&v));
}

struct perm_in {
	json_object	*permissions;	/* NULL: only "permission" given */
};

static enum err
parse_has_permission(struct request *r, void **inp)
{
	struct perm_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx	 v;
	json_object	*one = NULL, *many = NULL;
	int		 a = 0, b = 0;

	in->permissions = NULL;
	v_begin(&v, r, V_OBJECT);
	(void)v_coerce_opt(&v, "userId");
	(void)v_str(&v, "role", 0);
	if (v_describe(&v, "permissions", "{\"type\":\"object\","
	    "\"additionalProperties\":{\"type\":\"array\",\"items\":"
	    "{\"type\":\"string\"}}}", 0)) {
		v_describe(&v, "permission", "{\"type\":\"object\","
		    "\"additionalProperties\":{\"type\":\"array\",\"items\":"
		    "{\"type\":\"string\"}}}", 0);
		*inp = in;
		return (v_end(&v));
	}
	/* z.xor: exactly one of {permission} and {permissions} */
	if (v.body != NULL) {
		a = json_object_object_get_ex(v.body, "permission", &one) &&
		    permissions_ok(one);
		b = json_object_object_get_ex(v.body, "permissions", &many) &&
		    permissions_ok(many);
	}
	if (a && b)
		v_issue(&v, NULL, "Invalid input: more than one option "
		    "matched");
	else if (!a && !b)
		v_issue(&v, NULL, "Invalid input");
	in->permissions = b ? many : NULL;
	*inp = in;
	return (v_end(&v));
}

/* ---- query strings (a repeated key is an array, protocol.md §0.4) */

struct qv {
	int		 n;
	const char	**v;
};

static void
query_all(struct request *r, const char *key, struct qv *out)
{
	const char	*p = r->query.p, *end = r->query.p + r->query.len;
	char		*k, *val;
	int		 cap = 0;

	out->n = 0;
	out->v = NULL;
	if (r->query.len == 0)
		return;
	while (url_pair_next(r->a, &p, end, &k, &val)) {
		if (strcmp(k, key) != 0)
			continue;
		if (out->n == cap) {
			const char	**nv;

			cap = cap ? cap * 2 : 4;
			nv = arena_alloc(r->a, sizeof(*nv) * (size_t)cap);
			if (out->n > 0)
				memcpy(nv, out->v, sizeof(*nv) *
				    (size_t)out->n);
			out->v = nv;
		}
		out->v[out->n++] = val;
	}
}

struct issues {
	struct request	*r;
	char		*text;
};

static void
q_issue(struct issues *is, const char *key, const char *msg)
{
	const char	*one;

	one = arena_printf(is->r->a, "[query.%s] %s", key, msg);

	is->text = is->text ? arena_printf(is->r->a, "%s; %s", is->text, one) :
	    (char *)one;
}

/* z.string().optional(): the value, or NULL */
static const char *
q_str(struct issues *is, const char *key, int required)
{
	struct qv	 q;

	query_all(is->r, key, &q);
	if (q.n == 0) {
		if (required)
			q_issue(is, key, "Invalid input: expected string, "
			    "received undefined");
		return (NULL);
	}
	if (q.n > 1) {
		q_issue(is, key, "Invalid input: expected string, received "
		    "array");
		return (NULL);
	}
	return (q.v[0]);
}

/* z.enum(choices).optional(): the index, or -1 */
static int
q_enum(struct issues *is, const char *key, const char *const *choices)
{
	struct qv	 q;
	char		*msg;
	int		 i;

	query_all(is->r, key, &q);
	if (q.n == 0)
		return (-1);
	for (i = 0; q.n == 1 && choices[i] != NULL; i++)
		if (strcmp(q.v[0], choices[i]) == 0)
			return (i);
	msg = "Invalid option: expected one of ";
	for (i = 0; choices[i] != NULL; i++)
		msg = arena_printf(is->r->a, "%s%s\"%s\"", msg, i ? "|" : "",
		    choices[i]);
	q_issue(is, key, msg);
	return (-1);
}

/* z.string().or(z.number()).optional(): the string, NULL when absent */
static const char *
q_str_or_number(struct issues *is, const char *key)
{
	struct qv	 q;

	query_all(is->r, key, &q);
	if (q.n > 1)
		q_issue(is, key, "Invalid input");
	return (q.n == 1 ? q.v[0] : NULL);
}

/* GET admin/get-user */
static enum err
parse_get_user(struct request *r, void **inp)
{
	struct issues	 is = { r, NULL };

	*inp = (void *)q_str(&is, "id", 1);
	return (is.text ? err_msg(r, ERR_VALIDATION_ERROR, is.text) : ERR_NONE);
}

/* GET admin/list-users */
static const char *const search_fields[] = { "email", "name", NULL };
static const char *const search_ops[] = { "contains", "starts_with",
	"ends_with", NULL };
static const char *const directions[] = { "asc", "desc", NULL };
/* whereOperators, in enum store_admin_op order */
static const char *const where_ops[] = { "eq", "ne", "lt", "lte", "gt",
	"gte", "in", "not_in", "contains", "starts_with", "ends_with", NULL };

struct list_in {
	const char	*search_value, *limit, *offset, *sort_by, *filter_field;
	int		 search_field, search_op, direction, filter_op;
	struct qv	 filter_value;	/* n 0: absent; n > 1: an array */
};

static enum err
parse_list(struct request *r, void **inp)
{
	struct list_in	*in = arena_alloc(r->a, sizeof(*in));
	struct issues	 is = { r, NULL };

	in->search_value = q_str(&is, "searchValue", 0);
	in->search_field = q_enum(&is, "searchField", search_fields);
	in->search_op = q_enum(&is, "searchOperator", search_ops);
	in->limit = q_str_or_number(&is, "limit");
	in->offset = q_str_or_number(&is, "offset");
	in->sort_by = q_str(&is, "sortBy", 0);
	in->direction = q_enum(&is, "sortDirection", directions);
	in->filter_field = q_str(&is, "filterField", 0);
	query_all(r, "filterValue", &in->filter_value);
	in->filter_op = q_enum(&is, "filterOperator", where_ops);
	*inp = in;
	return (is.text ? err_msg(r, ERR_VALIDATION_ERROR, is.text) : ERR_NONE);
}

/* ---- GET admin/list-users, GET admin/get-user */

/*
 * Number(s) || undefined for limit and offset: 1 with *n, 0 when it is
 * undefined (absent, 0, NaN), -1 when the adapter's query would fail
 * (negative, fractional, beyond a bigint).
 */
static int
page_number(const char *s, int64_t *n)
{
	double	 d;

	*n = 0;
	if (s == NULL)
		return (0);
	js_to_number(s, &d);
	if (isnan(d) || d == 0)
		return (0);
	if (d < 0 || d != floor(d) || d > 9.2e18)
		return (-1);
	*n = (int64_t)d;
	return (1);
}

static enum err
reply_no_users(struct request *r)
{
	/* Better Auth's answer when its adapter throws */
	reply_json_str(r, 200, "{\"users\":[],\"total\":0}");
	return (ERR_NONE);
}

/* filterValue as the adapter's where clause takes it; 0: it throws */
static int
filter_cond(const struct list_in *in, struct arena *a,
    struct store_admin_cond *k)
{
	const struct qv	*fv = &in->filter_value;
	int		 array = fv->n > 1, boolean;
	const char	*v = fv->v[0];

	k->field = store_admin_field(in->filter_field ? in->filter_field :
	    "email");
	if (k->field < 0)
		return (0);
	k->op = in->filter_op >= 0 ? (enum store_admin_op)in->filter_op :
	    SAO_EQ;
	/* a boolean field given one string: value === "true" */
	boolean = strcmp(store_admin_field_type(k->field), "boolean") == 0;
	if (boolean && !array)
		v = strcmp(v, "true") == 0 ? "true" : "false";
	switch (k->op) {
	case SAO_IN:
		if (!array)
			return (0);		/* "Value must be an array" */
		/* FALLTHROUGH */
	case SAO_NOT_IN:
		k->values = array ? fv->v : &k->value;
		k->nvalues = array ? fv->n : 1;
		k->value = v;
		return (1);
	case SAO_CONTAINS:
	case SAO_STARTS_WITH:
	case SAO_ENDS_WITH:
		/* a template literal: an array reads "a,b" */
		if (array) {
			struct jbuf	 b;
			int		 i;

			jb_init(&b, a, 64);
			for (i = 0; i < fv->n; i++) {
				if (i > 0)
					jb_lit(&b, ",");
				jb_raw(&b, fv->v[i], strlen(fv->v[i]));
			}
			v = jb_done(&b);
		}
		k->value = v;
		return (1);
	default:
		k->value = v;
		return (!array);	/* "= ($1, $2)": the database refuses */
	}
}

static enum err
list_users(struct request *r, void *inp)
{
	struct list_in		*in = inp;
	struct store_admin_query q;
	struct store_admin_cond	*k;
	struct user_rec		*users;
	int64_t			 limit, offset, total;
	int			 hl, ho, n, i, rc;
	struct jbuf		 b;
	char			*t;
	enum err		 e;

	if ((e = need_admin(r, "user", "list",
	    ERR_YOU_ARE_NOT_ALLOWED_TO_LIST_USERS, "admin_list_users", NULL)) !=
	    ERR_NONE)
		return (e);
	memset(&q, 0, sizeof(q));
	q.sort = -1;
	if (in->search_value != NULL && *in->search_value != '\0') {
		k = &q.cond[q.ncond++];
		k->field = in->search_field == 1 ? SAF_NAME : SAF_EMAIL;
		k->op = in->search_op == 1 ? SAO_STARTS_WITH :
		    in->search_op == 2 ? SAO_ENDS_WITH : SAO_CONTAINS;
		k->value = in->search_value;
	}
	if (in->filter_value.n > 0 &&
	    !filter_cond(in, r->a, &q.cond[q.ncond++]))
		return (reply_no_users(r));
	if (in->sort_by != NULL &&
	    (q.sort = store_admin_field(in->sort_by)) < 0)
		return (reply_no_users(r));
	q.desc = in->direction == 1;
	if ((hl = page_number(in->limit, &limit)) < 0 ||
	    (ho = page_number(in->offset, &offset)) < 0)
		return (reply_no_users(r));
	q.limit = hl ? (limit < LIST_MAX ? limit : LIST_MAX) : LIST_DEFAULT;
	q.offset = ho ? offset : 0;
	rc = store_admin_list(r->db, r->a, &q, &users, &n, &total);
	if (rc == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0) {
		log_info("route=admin/list-users a value the database refuses");
		return (reply_no_users(r));
	}
	jb_init(&b, r->a, 256 + (size_t)n * 320);
	jb_lit(&b, "{\"users\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			jb_lit(&b, ",");
		user_write(&b, &users[i]);
	}
	t = arena_printf(r->a, "],\"total\":%lld", (long long)total);
	jb_raw(&b, t, strlen(t));
	if (hl) {
		t = arena_printf(r->a, ",\"limit\":%lld", (long long)q.limit);
		jb_raw(&b, t, strlen(t));
	}
	if (ho) {
		t = arena_printf(r->a, ",\"offset\":%lld", (long long)q.offset);
		jb_raw(&b, t, strlen(t));
	}
	jb_lit(&b, "}");
	reply_json_str(r, 200, jb_done(&b));
	return (ERR_NONE);
}

static enum err
get_user(struct request *r, void *in)
{
	struct user_rec	 u;
	enum err	 e;

	if ((e = need_admin(r, "user", "get",
	    ERR_YOU_ARE_NOT_ALLOWED_TO_GET_USER, "admin_get_user", in)) !=
	    ERR_NONE)
		return (e);
	if ((e = find_user(r, in, &u)) != ERR_NONE)
		return (e);
	reply_user(r, &u, 0);
	return (ERR_NONE);
}

/* ---- POST admin/create-user, admin/update-user, admin/set-role */

/* a role value from data: a string, or an array of strings */
static enum err
data_roles(struct request *r, json_object *x, const char **joined)
{
	int	 bad;

	if (x != NULL && !json_object_is_type(x, json_type_string) &&
	    !json_object_is_type(x, json_type_array))
		return (ERR_INVALID_ROLE_TYPE);	/* [x]: not a string */
	*joined = join_roles(r->a, x, &bad);
	return (bad || *joined == NULL ? ERR_INVALID_ROLE_TYPE : ERR_NONE);
}

/* the names of an object's members, as a JSON array (the audit detail) */
static json_object *
keys_of(struct arena *a, json_object *o)
{
	json_object		*arr = json_object_new_array();
	json_object_iter	 it;

	json_object_object_foreachC(o, it)
		json_object_array_add(arr, json_object_new_string(it.key));
	json_own(a, arr);
	return (arr);
}

static int
has_key(json_object *o, const char *k)
{
	return (o != NULL && json_object_object_get_ex(o, k, NULL));
}

static enum err
create_user(struct request *r, void *inp)
{
	struct create_in	*in = inp;
	struct admin_new	 nu;
	struct user_rec		 u;
	json_object		*dr = NULL;
	const char		*role = in->role;
	enum err		 e;

	if ((e = need_admin(r, "user", "create",
	    ERR_YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS, "admin_user_create",
	    NULL)) != ERR_NONE)
		return (e);
	/* ctx.body.role ?? data.role */
	if (in->has_role || json_object_object_get_ex(in->data, "role", &dr)) {
		if ((e = also_can(r, "user", "set-role",
		    ERR_YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE,
		    "admin_user_create", NULL)) != ERR_NONE)
			return (e);
		if (!in->has_role && (e = data_roles(r, dr, &role)) != ERR_NONE)
			return (e);
	}
	if ((has_key(in->data, "banned") || has_key(in->data, "banReason") ||
	    has_key(in->data, "banExpires")) && (e = also_can(r, "user", "ban",
	    ERR_YOU_ARE_NOT_ALLOWED_TO_BAN_USERS, "admin_user_create",
	    NULL)) != ERR_NONE)
		return (e);
	memset(&nu, 0, sizeof(nu));
	nu.email = in->email;
	nu.name = in->name;
	nu.role = role;
	nu.password = in->password;
	nu.data = in->data;
	if ((e = api_admin_create_user(r, r->auth->u.id, &nu, &u)) != ERR_NONE)
		return (e);
	reply_user(r, &u, 1);
	return (ERR_NONE);
}

static enum err
update_user(struct request *r, void *inp)
{
	static const struct {
		const char	*key;
		int		 field;
	} cols[] = {
		{ "name", SAF_NAME }, { "emailVerified", SAF_EMAIL_VERIFIED },
		{ "image", SAF_IMAGE }, { "createdAt", SAF_CREATED_AT },
		{ "updatedAt", SAF_UPDATED_AT }, { "banned", SAF_BANNED },
		{ "banReason", SAF_BAN_REASON },
		{ "banExpires", SAF_BAN_EXPIRES },
	};
	struct update_in		*in = inp;
	struct store_admin_patch	 p;
	struct user_rec			 u, other;
	json_object			*d = in->data, *x;
	const char			*role, *email, *hash;
	int64_t				 gone = 0;
	size_t				 i;
	int				 rc, ban;
	enum err			 e;

	if ((e = need_admin(r, "user", "update",
	    ERR_YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS, "admin_user_update",
	    in->user_id)) != ERR_NONE)
		return (e);
	if (json_object_object_length(d) == 0)
		return (ERR_NO_DATA_TO_UPDATE);
	if (has_key(d, "password"))
		return (ERR_PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER);
	if (has_key(d, "id"))
		return (ERR_USER_ID_CANNOT_BE_UPDATED);
	memset(&p, 0, sizeof(p));
	if (json_object_object_get_ex(d, "role", &x)) {
		if ((e = also_can(r, "user", "set-role",
		    ERR_YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE,
		    "admin_user_update", in->user_id)) != ERR_NONE)
			return (e);
		if ((e = data_roles(r, x, &role)) != ERR_NONE)
			return (e);
		p.set[SAF_ROLE] = 1;
		p.value[SAF_ROLE] = role;
	}
	ban = json_object_object_get_ex(d, "banned", &x) && x != NULL &&
	    json_object_is_type(x, json_type_boolean) &&
	    json_object_get_boolean(x);
	if (has_key(d, "banned") || has_key(d, "banReason") ||
	    has_key(d, "banExpires")) {
		if ((e = also_can(r, "user", "ban",
		    ERR_YOU_ARE_NOT_ALLOWED_TO_BAN_USERS, "admin_user_update",
		    in->user_id)) != ERR_NONE)
			return (e);
		if (ban && strcmp(in->user_id, r->auth->u.id) == 0)
			return (ERR_YOU_CANNOT_BAN_YOURSELF);
	}
	if (has_key(d, "email") || has_key(d, "emailVerified")) {
		if ((e = also_can(r, "user", "set-email",
		    ERR_YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL,
		    "admin_user_update", in->user_id)) != ERR_NONE)
			return (e);
		if (json_object_object_get_ex(d, "email", &x)) {
			email = text_lower(r->a, js_string(r->a, x));
			if (!body_email_ok(email))
				return (ERR_INVALID_EMAIL);
			if ((rc = store_user_by_email(r->db, r->a, email,
			    &other, &hash)) == -1)
				return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
			if (rc == 1 && strcmp(other.id, in->user_id) != 0)
				return (ERR_TAKEN);
			p.set[SAF_EMAIL] = 1;
			p.value[SAF_EMAIL] = email;
		}
	}
	if ((has_key(d, "phoneNumber") || has_key(d, "phoneNumberVerified")) &&
	    (e = also_can(r, "user", "set-phone",
	    ERR_YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER,
	    "admin_user_update", in->user_id)) != ERR_NONE)
		return (e);
	if ((e = find_user(r, in->user_id, &u)) != ERR_NONE)
		return (e);
	for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		if (json_object_object_get_ex(d, cols[i].key, &x)) {
			if (data_text(r->a, x, &p.value[cols[i].field]) == -1)
				return (ERR_INTERNAL_EMPTY);
			p.set[cols[i].field] = 1;
		}
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	rc = store_admin_update(r->db, r->a, u.id, &p, &u);
	if (rc == STORE_ADMIN_TAKEN) {
		store_rollback(r->db);
		return (ERR_TAKEN);
	}
	/* banned: true also ends the user's sessions (Better Auth) */
	if (rc == 1 && ban && store_admin_revoke_sessions(r->db, r->a, u.id,
	    &gone) == -1)
		rc = -1;
	if (rc == 1 && audit_event(r, ban ? "admin_ban" : "admin_user_update",
	    u.id, r->auth->u.id, ERR_NONE, arena_printf(r->a,
	    "{\"fields\":%s}", json_dump(r->a, keys_of(r->a, d)))) == -1)
		rc = -1;
	if (rc == 0) {
		store_rollback(r->db);
		return (ERR_USER_NOT_FOUND_404);
	}
	if ((e = finish(r, rc, ERR_INTERNAL_EMPTY)) != ERR_NONE)
		return (e);
	if (u.banned == 1)
		revoked(r, u.id);
	reply_user(r, &u, 0);
	return (ERR_NONE);
}

static enum err
set_role(struct request *r, void *inp)
{
	struct set_role_in	*in = inp;
	struct user_rec		 u;
	enum err		 e;

	if ((e = need_admin(r, "user", "set-role",
	    ERR_YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE, "admin_set_role",
	    in->user_id)) != ERR_NONE)
		return (e);
	if ((e = api_admin_set_role(r, r->auth->u.id, in->user_id, in->role,
	    &u)) != ERR_NONE)
		return (e);
	reply_user(r, &u, 1);
	return (ERR_NONE);
}

/* ---- bans */

static enum err
ban_user(struct request *r, void *inp)
{
	struct ban_in	*in = inp;
	struct user_rec	 u;
	enum err	 e;

	if ((e = need_admin(r, "user", "ban",
	    ERR_YOU_ARE_NOT_ALLOWED_TO_BAN_USERS, "admin_ban", in->user_id)) !=
	    ERR_NONE)
		return (e);
	if ((e = api_admin_ban_user(r, r->auth->u.id, in->user_id, in->reason,
	    in->expires_in, &u)) != ERR_NONE)
		return (e);
	reply_user(r, &u, 1);
	return (ERR_NONE);
}

static enum err
unban_user(struct request *r, void *inp)
{
	struct user_id_in	*in = inp;
	struct user_rec		 u;
	enum err		 e;

	if ((e = need_admin(r, "user", "ban",
	    ERR_YOU_ARE_NOT_ALLOWED_TO_BAN_USERS, "admin_unban",
	    in->user_id)) != ERR_NONE)
		return (e);
	if ((e = api_admin_unban_user(r, r->auth->u.id, in->user_id, &u)) !=
	    ERR_NONE)
		return (e);
	reply_user(r, &u, 1);
	return (ERR_NONE);
}

/* ---- sessions of a user */

static enum err
list_user_sessions(struct request *r, void *inp)
{
	struct user_id_in	*in = inp;
	struct session_rec	*s;
	struct jbuf		 b;
	int			 n, i;
	enum err		 e;

	if ((e = need_admin(r, "session", "list",
	    ERR_YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS,
	    "admin_list_user_sessions", in->user_id)) != ERR_NONE)
		return (e);
	if (store_admin_sessions(r->db, r->a, in->user_id, &s, &n) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	jb_init(&b, r->a, 256 + (size_t)n * 400);
	jb_lit(&b, "{\"sessions\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			jb_lit(&b, ",");
		session_write(&b, &s[i]);
	}
	jb_lit(&b, "]}");
	reply_json_str(r, 200, jb_done(&b));
	return (ERR_NONE);
}

static enum err
revoke_user_session(struct request *r, void *in)
{
	struct session_rec	 gone;
	enum err		 e;
	int			 rc;

	if ((e = need_admin(r, "session", "revoke",
	    ERR_YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS,
	    "admin_session_revoke", NULL)) != ERR_NONE)
		return (e);
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	rc = store_admin_revoke_session(r->db, r->a, in, &gone);
	if (rc == 1 && audit_event(r, "admin_session_revoke", gone.user_id,
	    r->auth->u.id, ERR_NONE, arena_printf(r->a,
	    "{\"session_id\":\"%s\"}", gone.id)) == -1)
		rc = -1;
	if ((e = finish(r, rc, ERR_INTERNAL_EMPTY)) != ERR_NONE)
		return (e);
	if (rc == 1)
		revoked(r, gone.user_id);
	reply_json_str(r, 200, "{\"success\":true}");
	return (ERR_NONE);
}

static enum err
revoke_user_sessions(struct request *r, void *inp)
{
	struct user_id_in	*in = inp;
	int64_t			 n;
	enum err		 e;

	if ((e = need_admin(r, "session", "revoke",
	    ERR_YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS,
	    "admin_sessions_revoke", in->user_id)) != ERR_NONE)
		return (e);
	if ((e = api_admin_revoke_sessions(r, r->auth->u.id, in->user_id,
	    &n)) != ERR_NONE)
		return (e);
	reply_json_str(r, 200, "{\"success\":true}");
	return (ERR_NONE);
}

/* ---- remove-user, set-user-password */

static enum err
remove_user(struct request *r, void *inp)
{
	struct user_id_in	*in = inp;
	enum err		 e;

	if ((e = need_admin(r, "user", "delete",
	    ERR_YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS, "admin_user_remove",
	    in->user_id)) != ERR_NONE)
		return (e);
	if ((e = api_admin_remove_user(r, r->auth->u.id, in->user_id)) !=
	    ERR_NONE)
		return (e);
	reply_json_str(r, 200, "{\"success\":true}");
	return (ERR_NONE);
}

static enum err
set_user_password(struct request *r, void *inp)
{
	struct password_in	*in = inp;
	enum err		 e;

	if ((e = need_admin(r, "user", "set-password",
	    ERR_YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD, "admin_set_password",
	    in->user_id)) != ERR_NONE)
		return (e);
	if ((e = api_admin_set_password(r, r->auth->u.id, in->user_id,
	    in->password)) != ERR_NONE)
		return (e);
	reply_json_str(r, 200, "{\"status\":true}");
	return (ERR_NONE);
}

/* ---- impersonation */

static enum err
impersonate_user(struct request *r, void *inp)
{
	struct user_id_in	*in = inp;
	struct session_new	 sn;
	struct auth		 ta;
	char			*dr = NULL;
	enum err		 e;
	int			 rc;

	if ((e = need_admin(r, "user", "impersonate",
	    ERR_YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS, "impersonation_start",
	    in->user_id)) != ERR_NONE)
		return (e);
	memset(&ta, 0, sizeof(ta));
	if ((e = find_user(r, in->user_id, &ta.u)) != ERR_NONE)
		return (e);
	/* an admin may not be impersonated (impersonate-admins: nobody) */
	if (admin_is_admin(r->bcfg, ta.u.role) && !admin_can(r->bcfg,
	    r->auth->u.role, "user", "impersonate-admins")) {
		if (audit_event(r, "impersonation_start", ta.u.id,
		    r->auth->u.id, ERR_YOU_CANNOT_IMPERSONATE_ADMINS, NULL) ==
		    -1)
			log_warnx("route=%s audit row not written",
			    r->route_name);
		return (ERR_YOU_CANNOT_IMPERSONATE_ADMINS);
	}
	/* the session hook: a banned user gets no session, even so */
	if ((e = admin_ban_check(r, &ta.u, ERR_ADMIN_FAILED_TO_CREATE_USER)) !=
	    ERR_NONE)
		return (e);
	sn = session_new(r, 1);
	sn.ttl_s = admin_settings(r->bcfg)->impersonation_s;
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_ADMIN_FAILED_TO_CREATE_USER));
	rc = store_admin_impersonate(r->db, r->a, ta.u.id, r->auth->u.id, &sn,
	    &ta.s);
	if (rc == 1 && audit_event(r, "impersonation_start", ta.u.id,
	    r->auth->u.id, ERR_NONE, arena_printf(r->a, "{\"session_id\":"
	    "\"%s\",\"expires\":\"%s\"}", ta.s.id, ta.s.expires_at)) == -1)
		rc = -1;
	if ((e = finish(r, rc, ERR_ADMIN_FAILED_TO_CREATE_USER)) != ERR_NONE)
		return (e);
	/* the admin's own session waits in the signed admin_session cookie */
	if (cookie_get_signed(r, cookie_name(r, "dont_remember"), &dr) !=
	    CRYPTO_COOKIE_VALID)
		dr = NULL;
	session_clear_cookies(r);
	cookie_set_signed(r, cookie_name(r, "admin_session"), arena_printf(r->a,
	    "%s:%s", r->auth->s.token, dr ? dr : ""),
	    r->bcfg->session_expires_in);
	session_set_cookie(r, &ta, 1);
	reply_session_user(r, &ta.s, &ta.u);
	return (ERR_NONE);
}

static enum err
stop_impersonating(struct request *r, void *in)
{
	struct auth		 adm;
	struct user_rec		 admin;
	char			*cv, *colon;
	enum err		 e;
	int			 rc;

	(void)in;
	if ((e = admin_session(r, 0)) != ERR_NONE)
		return (e);
	if (r->auth->s.impersonated_by == NULL)
		return (ERR_NOT_IMPERSONATING);
	if ((rc = store_admin_user(r->db, r->a, r->auth->s.impersonated_by,
	    &admin)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0)
		return (ERR_FAILED_TO_FIND_USER);
	if (cookie_get_signed(r, cookie_name(r, "admin_session"), &cv) !=
	    CRYPTO_COOKIE_VALID)
		return (ERR_FAILED_TO_FIND_ADMIN_SESSION);
	/* "<admin session token>:<its dont_remember value, or empty>" */
	if ((colon = strchr(cv, ':')) != NULL)
		*colon++ = '\0';
	memset(&adm, 0, sizeof(adm));
	if ((rc = store_session_lookup(r->db, r->a, cv, &adm.s, &adm.u)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	if (rc == 0 || strcmp(adm.s.user_id, admin.id) != 0)
		return (ERR_FAILED_TO_FIND_ADMIN_SESSION);
	if (store_begin(r->db) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	rc = store_session_delete(r->db, r->a, r->auth->s.token, NULL);
	if (rc != -1 && audit_event(r, "impersonation_stop", r->auth->u.id,
	    admin.id, ERR_NONE, arena_printf(r->a, "{\"session_id\":\"%s\"}",
	    r->auth->s.id)) == -1)
		rc = -1;
	if ((e = finish(r, rc, ERR_INTERNAL_EMPTY)) != ERR_NONE)
		return (e);
	session_set_cookie(r, &adm, colon != NULL && *colon != '\0');
	cookie_expire(r, cookie_name(r, "admin_session"));
	reply_session_user(r, &adm.s, &adm.u);
	return (ERR_NONE);
}

/* ---- has-permission */

static enum err
has_permission(struct request *r, void *inp)
{
	struct perm_in	*in = inp;
	enum err	 e;

	if (in->permissions == NULL)
		return (ERR_NO_PERMISSION_PASSED);
	if ((e = admin_session(r, SESSION_SENSITIVE)) != ERR_NONE)
		return (e);
	reply_json_str(r, 200, admin_has_permissions(r->bcfg, r->auth->u.role,
	    in->permissions) ? "{\"error\":null,\"success\":true}" :
	    "{\"error\":null,\"success\":false}");
	return (ERR_NONE);
}

/* ---- the rows */

#define USER_REPLY	"{\"type\":\"object\",\"properties\":{\"user\":" \
	"{\"$ref\":\"#/components/schemas/User\"}}}"
#define BARE_USER	"{\"$ref\":\"#/components/schemas/User\"}"
#define SUCCESS_REPLY	"{\"type\":\"object\",\"properties\":{\"success\":" \
	"{\"type\":\"boolean\"}}}"
#define SESSION_USER	"{\"type\":\"object\",\"properties\":{\"session\":" \
	"{\"$ref\":\"#/components/schemas/Session\"},\"user\":" \
	"{\"$ref\":\"#/components/schemas/User\"}}}"

static const struct route routes[] = {
	{ "POST", "/admin/create-user", "admin/create-user", parse_create,
	    create_user, SESS_NONE, RL_BRANCH, ROUTE_DB, USER_REPLY },
	{ "GET", "/admin/list-users", "admin/list-users", parse_list,
	    list_users, SESS_NONE, RL_BRANCH, ROUTE_DB,
	    "{\"type\":\"object\",\"properties\":{\"users\":{\"type\":"
	    "\"array\",\"items\":{\"$ref\":\"#/components/schemas/User\"}},"
	    "\"total\":{\"type\":\"number\"},\"limit\":{\"type\":\"number\"},"
	    "\"offset\":{\"type\":\"number\"}},\"required\":[\"users\","
	    "\"total\"]}" },
	{ "GET", "/admin/get-user", "admin/get-user", parse_get_user,
	    get_user, SESS_NONE, RL_BRANCH, ROUTE_DB, BARE_USER },
	{ "POST", "/admin/update-user", "admin/update-user", parse_update,
	    update_user, SESS_NONE, RL_BRANCH, ROUTE_DB, BARE_USER },
	{ "POST", "/admin/set-role", "admin/set-role", parse_set_role,
	    set_role, SESS_NONE, RL_BRANCH, ROUTE_DB, USER_REPLY },
	{ "POST", "/admin/ban-user", "admin/ban-user", parse_ban, ban_user,
	    SESS_NONE, RL_BRANCH, ROUTE_DB, USER_REPLY },
	{ "POST", "/admin/unban-user", "admin/unban-user", parse_user_id,
	    unban_user, SESS_NONE, RL_BRANCH, ROUTE_DB, USER_REPLY },
	{ "POST", "/admin/list-user-sessions", "admin/list-user-sessions",
	    parse_user_id, list_user_sessions, SESS_NONE, RL_BRANCH, ROUTE_DB,
	    "{\"type\":\"object\",\"properties\":{\"sessions\":{\"type\":"
	    "\"array\",\"items\":{\"$ref\":\"#/components/schemas/Session\"}}}}"
	},
	{ "POST", "/admin/revoke-user-session", "admin/revoke-user-session",
	    parse_session_token, revoke_user_session, SESS_NONE, RL_BRANCH,
	    ROUTE_DB, SUCCESS_REPLY },
	{ "POST", "/admin/revoke-user-sessions", "admin/revoke-user-sessions",
	    parse_user_id, revoke_user_sessions, SESS_NONE, RL_BRANCH,
	    ROUTE_DB, SUCCESS_REPLY },
	{ "POST", "/admin/remove-user", "admin/remove-user", parse_user_id,
	    remove_user, SESS_NONE, RL_BRANCH, ROUTE_DB, SUCCESS_REPLY },
	{ "POST", "/admin/set-user-password", "admin/set-user-password",
	    parse_password, set_user_password, SESS_NONE, RL_BRANCH, ROUTE_DB,
	    "{\"type\":\"object\",\"properties\":{\"status\":{\"type\":"
	    "\"boolean\"}}}" },
	{ "POST", "/admin/impersonate-user", "admin/impersonate-user",
	    parse_user_id, impersonate_user, SESS_NONE, RL_BRANCH, ROUTE_DB,
	    SESSION_USER },
	{ "POST", "/admin/stop-impersonating", "admin/stop-impersonating",
	    NULL, stop_impersonating, SESS_NONE, RL_BRANCH, ROUTE_DB,
	    SESSION_USER },
	{ "POST", "/admin/has-permission", "admin/has-permission",
	    parse_has_permission, has_permission, SESS_NONE, RL_BRANCH,
	    ROUTE_DB, "{\"type\":\"object\",\"properties\":{\"error\":{"
	    "\"type\":[\"string\",\"null\"]},\"success\":{\"type\":"
	    "\"boolean\"}},\"required\":[\"success\"]}" },
	{ NULL, NULL, NULL, NULL, NULL, SESS_NONE, RL_BRANCH, 0, NULL }
};

/* Neon always runs the admin plugin (neon.md §3.1) */
const struct api_group api_admin_group = { "admin", routes, NULL,
    &admin_settings_group };
