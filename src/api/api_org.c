/*
 * api_org.c -- the organization plugin (protocol.md §10, neon.md §3.3):
 * organizations, members, invitations and the session's active
 * organization, with Better Auth's default roles and its error codes.
 *
 * Each handler makes Better Auth 1.7.25's checks in Better Auth's order,
 * so that the same request gets the same refusal.  Where we differ, on
 * purpose:
 *  - accepting, rejecting or viewing an invitation needs a verified email
 *    (Better Auth's requireEmailVerificationOnInvitation, always on:
 *    neon.md §14 item 14);
 *  - what changes together is one transaction (an organization and its
 *    owner, an accepted invitation and its membership), with its audit
 *    row; limits and the last-owner rule are checked again under a row
 *    lock, so concurrent requests cannot pass them together;
 *  - deleting an organization clears it as every session's active one;
 *    a member's removal or new role renews the JWTs of that member's
 *    sessions (the `o` claim, neon.md §7.2); with the branch's cookie
 *    cache on, a change of the caller's active organization re-issues
 *    the cookie so that get-session shows it;
 *  - invitation emails (send_invitation_email) are not sent: this build
 *    has no mail delivery.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/route.h"
#include "auth/audit.h"
#include "auth/email.h"
#include "auth/org_access.h"
#include "auth/session.h"
#include "http/body.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/origin.h"
#include "lib/clock.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/text.h"
#include "lib/url.h"
#include "store/store.h"
#include "store/store_org.h"

#define INVITATION_LIMIT	100	/* Better Auth's invitationLimit */

#define DBERR(r)	err_db((r), (r)->db, ERR_INTERNAL_EMPTY)

static int
org_enabled(const struct branchcfg *c)
{
	return (org_settings(c)->enabled);
}

/* a JavaScript-truthy string */
static int
given(const char *s)
{
	return (s != NULL && *s != '\0');
}

static const char *
creator_role(struct request *r)
{
	return (org_settings(r->bcfg)->creator_role);
}

static int
is_creator(struct request *r, const char *roles)
{
	return (org_roles_include(r->a, roles, creator_role(r)));
}

static enum err
reply_jb(struct request *r, struct jbuf *b)
{
	reply_json_str(r, 200, jb_done(b));
	return (ERR_NONE);
}

static enum err
reply_org(struct request *r, const struct org_rec *o, enum org_meta how)
{
	struct jbuf	 b;

	jb_init(&b, r->a, 512);
	org_write(&b, o, how, 0);
	return (reply_jb(r, &b));
}

static enum err
reply_member(struct request *r, const struct member_rec *m, int with_user)
{
	struct jbuf	 b;

	jb_init(&b, r->a, 512);
	member_write(&b, m, with_user);
	return (reply_jb(r, &b));
}

static enum err
reply_invitation(struct request *r, const struct invitation_rec *i)
{
	struct jbuf	 b;

	jb_init(&b, r->a, 512);
	invitation_write(&b, i, 0);
	return (reply_jb(r, &b));
}

/* ------------------------------------------------------------ plumbing */

static enum err
tx_begin(struct request *r)
{
	return (store_begin(r->db) == -1 ? DBERR(r) : ERR_NONE);
}

/* commit, or roll back and answer e when e is an error */
static enum err
tx_end(struct request *r, enum err e)
{
	if (e != ERR_NONE) {
		store_rollback(r->db);
		return (e);
	}
	if (store_commit(r->db) == -1) {
		e = DBERR(r);
		store_rollback(r->db);
		return (e);
	}
	return (ERR_NONE);
}

/*
 * set_active: org_id (NULL: none) becomes the active organization of the
 * caller's session, in its row and in r->auth.  -1 on a database error.
 */
static int
set_active(struct request *r, const char *org_id)
{
	int64_t	 ms;
	int	 rc;

	rc = store_org_set_active(r->db, r->a, r->auth->s.id, org_id, &ms);
	if (rc != 1)
		return (rc);
	r->auth->s.active_organization_id = org_id != NULL ?
	    arena_strdup(r->a, org_id) : NULL;
	r->auth->s.updated_ms = ms;
	r->auth->s.updated_at = clock_iso(r->a, ms);
	return (1);
}

/*
 * After a committed change of the caller's active organization: SSC when
 * Better Auth does it (set-active), and the cookie cache whenever the
 * branch keeps one, so that it does not show the old organization.
 */
static void
active_changed(struct request *r, int ssc)
{
	if (ssc || r->bcfg->cookie_cache)
		session_set_cookie(r, r->auth, -1);
}

static const char *
org_detail(struct request *r, const char *org_id, const char *role)
{
	return (role == NULL ? arena_printf(r->a, "{\"organization_id\":%s}",
	    json_quote(r->a, org_id)) : arena_printf(r->a,
	    "{\"organization_id\":%s,\"role\":%s}", json_quote(r->a, org_id),
	    json_quote(r->a, role)));
}

/* the role list a request gives, normalised; *n = 0 when empty */
static char *
roles_of(struct request *r, const char *const *in, size_t nin, size_t *n,
    const char ***list)
{
	*n = org_roles_parse(r->a, in, nin, list);
	return (org_roles_join(r->a, *list, *n));
}

/* "a, b": the roles the default statements do not know, or NULL */
static char *
unknown_roles(struct request *r, const char **list, size_t n)
{
	char	*out = NULL;
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!org_role_known(list[i]))
			out = out == NULL ? arena_strdup(r->a, list[i]) :
			    arena_printf(r->a, "%s, %s", out, list[i]);
	return (out);
}

/* ---- query strings, validated as zod does ([query.<key>] ...) */

struct qv {
	struct request	*r;
	char		*issues;
};

static void
q_issue(struct qv *q, const char *key, const char *msg)
{
	const char	*one = arena_printf(q->r->a, "[query.%s] %s", key, msg);

	q->issues = q->issues ? arena_printf(q->r->a, "%s; %s", q->issues,
	    one) : (char *)one;
}

/* an optional string; a repeated key is an array */
static const char *
q_str(struct qv *q, const char *key, int required)
{
	char	*v;
	int	 n = 0;

	v = request_query_n(q->r, key, &n);
	if (n > 1) {
		q_issue(q, key, "Invalid input: expected string, received "
		    "array");
		return (NULL);
	}
	if (v == NULL && required)
		q_issue(q, key, "Invalid input: expected string, received "
		    "undefined");
	return (v);
}

/* a z.string().or(...) union: a repeated key is "Invalid input" */
static const char *
q_union(struct qv *q, const char *key)
{
	char	*v;
	int	 n = 0;

	v = request_query_n(q->r, key, &n);
	if (n > 1) {
		q_issue(q, key, "Invalid input");
		return (NULL);
	}
	return (v);
}

/* a z.enum(): the index of the value in choices, -1 when absent */
static int
q_enum(struct qv *q, const char *key, const char *const *choices,
    const char *expected)
{
	const char	*v;
	int		 i, n = 0;

	v = request_query_n(q->r, key, &n);
	if (v == NULL)
		return (-1);
	if (n == 1)
		for (i = 0; choices[i] != NULL; i++)
			if (strcmp(v, choices[i]) == 0)
				return (i);
	q_issue(q, key, arena_printf(q->r->a, "Invalid option: expected one "
	    "of %s", expected));
	return (-1);
}

static enum err
q_end(struct qv *q)
{
	return (q->issues == NULL ? ERR_NONE : err_msg(q->r,
	    ERR_VALIDATION_ERROR, q->issues));
}

/* JavaScript white space around a query number (ASCII is enough here) */
static const char *
js_trim(struct request *r, const char *s)
{
	const char	*e;

	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || (e[-1] >= '\t' && e[-1] <= '\r')))
		e--;
	return (arena_strndup(r->a, s, (size_t)(e - s)));
}

/* JavaScript Number(s): NaN as NAN */
static double
js_number(struct request *r, const char *s)
{
	const char	*t = js_trim(r, s), *d;
	char		*end;
	double		 v;
	int		 base = 0;

	if (*t == '\0')
		return (0);
	if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
		base = 16;
	else if (t[0] == '0' && (t[1] == 'o' || t[1] == 'O'))
		base = 8;
	else if (t[0] == '0' && (t[1] == 'b' || t[1] == 'B'))
		base = 2;
	if (base != 0) {
		if (t[2] == '\0' || strspn(t + 2, base == 16 ?
		    "0123456789abcdefABCDEF" : base == 8 ? "01234567" : "01") !=
		    strlen(t + 2))
			return (NAN);
		return ((double)strtoull(t + 2, NULL, base));
	}
	d = (*t == '+' || *t == '-') ? t + 1 : t;
	if (strcmp(d, "Infinity") == 0)
		return (*t == '-' ? -INFINITY : INFINITY);
	if (strspn(t, "0123456789+-.eE") != strlen(t))
		return (NAN);
	if (strcmp(d, ".") == 0)
		return (NAN);
	end = NULL;
	v = strtod(t, &end);
	return (end != NULL && *end == '\0' ? v : NAN);
}

/* JavaScript parseInt(s) in base 10 (or 16 after 0x): NaN as NAN */
static double
js_parse_int(const char *s)
{
	double	 v = 0;
	int	 neg = 0, base = 10, digits = 0, d;

	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; (d = text_hexval((unsigned char)*s)) >= 0 && d < base; s++) {
		v = v * base + d;
		digits++;
	}
	if (digits == 0)
		return (NAN);
	return (neg ? -v : v);
}

/*
 * A limit or offset as the adapter takes it: NaN and 0 give def; what
 * SQL's LIMIT refuses (a fraction, below zero, not finite) is -1, the
 * 500 Better Auth answers.
 */
static int64_t
adapter_count(double v, int64_t def)
{
	if (isnan(v) || v == 0)
		return (def);
	if (!isfinite(v) || v < 0 || v > 9.0e15 || v != (double)(int64_t)v)
		return (-1);
	return ((int64_t)v);
}

/* ------------------------------------------------------------ create */

struct create_in {
	const char	*name, *slug, *logo;
	json_object	*metadata;
	int		 keep;
};

static enum err
parse_create(struct request *r, void **inp)
{
	struct create_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx		 v;
	int			 st;

	v_begin(&v, r, V_OBJECT);
	in->name = v_str_min(&v, "name", 1, 1);
	in->slug = v_str_min(&v, "slug", 1, 1);
	/* userId is server-only: ignored over HTTP (z.coerce.string) */
	(void)v_describe(&v, "userId", "{\"type\":\"string\","
	    "\"description\":\"server-only; ignored\"}", 0);
	in->logo = v_nstr(&v, "logo", &st);
	in->metadata = v_record_any(&v, "metadata", 0);
	in->keep = v_bool(&v, "keepCurrentActiveOrganization", 0);
	*inp = in;
	return (v_end(&v));
}

static enum err
create(struct request *r, void *inp)
{
	struct create_in	*in = inp;
	struct auth		*a = r->auth;
	struct org_rec		 org, found;
	struct member_rec	 m;
	struct org_rec		*list;
	struct jbuf		 b;
	const char		*meta;
	enum err		 e;
	int			 n, rc;

	if (a == NULL)
		return (ERR_UNAUTHORIZED_EMPTY);
	meta = in->metadata != NULL ? json_dump(r->a, in->metadata) : NULL;
	if ((e = tx_begin(r)) != ERR_NONE)
		return (e);
	/* the limit holds under concurrency: one creation per user at a time */
	if (store_org_lock_user(r->db, r->a, a->u.id) == -1 ||
	    store_org_list(r->db, r->a, a->u.id, &list, &n) == -1)
		return (tx_end(r, DBERR(r)));
	if (n >= org_settings(r->bcfg)->organization_limit)
		return (tx_end(r,
		    ERR_YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS));
	if ((rc = store_org_get(r->db, r->a, in->slug, 1, &found)) == -1)
		return (tx_end(r, DBERR(r)));
	if (rc == 1)
		return (tx_end(r, ERR_ORGANIZATION_ALREADY_EXISTS));
	rc = store_org_create(r->db, r->a, in->name, in->slug, in->logo, meta,
	    a->u.id, creator_role(r), &org, &m);
	if (rc == -1)
		return (tx_end(r, DBERR(r)));
	if (rc == 0)
		return (tx_end(r, ERR_ORGANIZATION_ALREADY_EXISTS));
	if ((!in->keep && set_active(r, org.id) == -1) ||
	    audit_event(r, "org_create", a->u.id, NULL, ERR_NONE,
	    org_detail(r, org.id, m.role)) == -1)
		return (tx_end(r, DBERR(r)));
	if ((e = tx_end(r, ERR_NONE)) != ERR_NONE)
		return (e);
	if (!in->keep)
		active_changed(r, 0);
	jb_init(&b, r->a, 1024);
	org_write(&b, &org, ORG_META_PARSED, 1);
	jb_lit(&b, ",\"members\":[");
	member_write(&b, &m, 0);
	jb_lit(&b, "]}");
	return (reply_jb(r, &b));
}

/* ------------------------------------------------------------ check-slug */

static enum err
parse_slug(struct request *r, void **inp)
{
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT);
	*inp = (void *)v_str(&v, "slug", 1);
	return (v_end(&v));
}

static enum err
check_slug(struct request *r, void *in)
{
	struct org_rec	 o;
	int		 rc;

	if ((rc = store_org_get(r->db, r->a, in, 1, &o)) == -1)
		return (DBERR(r));
	if (rc == 1)
		return (ERR_ORGANIZATION_SLUG_ALREADY_TAKEN);
	reply_json_str(r, 200, "{\"status\":true}");
	return (ERR_NONE);
}

/* ------------------------------------------------------------ update */

struct update_in {
	struct org_patch	 p;
	const char		*org_id;
};

static enum err
parse_update(struct request *r, void **inp)
{
	struct update_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx		 v, d;
	json_object		*meta;
	int			 st;

	v_begin(&v, r, V_OBJECT);
	(void)v_object(&v, "data", 1, &d);
	in->p.name = v_str_min(&d, "name", 0, 1);
	in->p.set_name = in->p.name != NULL;
	in->p.slug = v_str_min(&d, "slug", 0, 1);
	in->p.set_slug = in->p.slug != NULL;
	in->p.logo = v_nstr(&d, "logo", &st);
	in->p.set_logo = st != 0;
	if ((meta = v_record_any(&d, "metadata", 0)) != NULL) {
		in->p.set_metadata = 1;
		in->p.metadata = json_dump(r->a, meta);
	}
	in->org_id = v_str(&v, "organizationId", 0);
	*inp = in;
	return (v_end(&v));
}

static enum err
update(struct request *r, void *inp)
{
	struct update_in	*in = inp;
	struct member_rec	 m;
	struct org_rec		 o;
	const char		*org_id;
	enum err		 e;
	int			 rc;

	if (r->auth == NULL)
		return (ERR_ORG_USER_NOT_FOUND_401);
	org_id = given(in->org_id) ? in->org_id :
	    r->auth->s.active_organization_id;
	if (!given(org_id))
		return (ERR_ORGANIZATION_NOT_FOUND);
	if ((rc = store_member_get(r->db, r->a, org_id, r->auth->u.id,
	    &m)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION);
	if (!org_allowed(r->a, m.role, "organization", "update"))
		return (ERR_YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION);
	if (in->p.set_slug) {
		if ((rc = store_org_get(r->db, r->a, in->p.slug, 1, &o)) == -1)
			return (DBERR(r));
		if (rc == 1 && strcmp(o.id, org_id) != 0)
			return (ERR_ORGANIZATION_SLUG_ALREADY_TAKEN);
	}
	if ((e = tx_begin(r)) != ERR_NONE)
		return (e);
	if ((rc = store_org_update(r->db, r->a, org_id, &in->p, &o)) == -1 ||
	    (rc == 1 && audit_event(r, "org_update", r->auth->u.id, NULL,
	    ERR_NONE, org_detail(r, org_id, NULL)) == -1))
		return (tx_end(r, DBERR(r)));
	if ((e = tx_end(r, ERR_NONE)) != ERR_NONE)
		return (e);
	if (rc == 0) {
		reply_json_str(r, 200, "null");
		return (ERR_NONE);
	}
	return (reply_org(r, &o, ORG_META_PARSED));
}

/* ------------------------------------------------------------ delete */

static enum err
parse_org_id(struct request *r, void **inp)
{
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT);
	*inp = (void *)v_str(&v, "organizationId", 1);
	return (v_end(&v));
}

static enum err
delete_org(struct request *r, void *in)
{
	const char		*org_id = in;
	struct member_rec	 m;
	struct org_rec		 o;
	enum err		 e;
	int			 rc, was_active;

	if (r->auth == NULL)
		return (ERR_UNAUTHORIZED_EMPTY);
	if (!given(org_id))
		return (ERR_ORGANIZATION_NOT_FOUND);
	if ((rc = store_member_get(r->db, r->a, org_id, r->auth->u.id,
	    &m)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION);
	if (!org_allowed(r->a, m.role, "organization", "delete"))
		return (ERR_YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION);
	if ((rc = store_org_get(r->db, r->a, org_id, 0, &o)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_BAD_REQUEST_EMPTY);
	was_active = r->auth->s.active_organization_id != NULL &&
	    strcmp(r->auth->s.active_organization_id, org_id) == 0;
	if ((e = tx_begin(r)) != ERR_NONE)
		return (e);
	/* also clears it as every session's active organization */
	if (store_org_delete(r->db, r->a, org_id) == -1 ||
	    (was_active && set_active(r, NULL) == -1) ||
	    audit_event(r, "org_delete", r->auth->u.id, NULL, ERR_NONE,
	    org_detail(r, org_id, NULL)) == -1)
		return (tx_end(r, DBERR(r)));
	if ((e = tx_end(r, ERR_NONE)) != ERR_NONE)
		return (e);
	if (was_active)
		active_changed(r, 0);
	return (reply_org(r, &o, ORG_META_RAW));
}

/* ---------------------------------------------------- get, get-full */

struct get_in {
	const char	*org_id, *slug, *limit;
};

static enum err
parse_get(struct request *r, void **inp)
{
	struct get_in	*in = arena_alloc(r->a, sizeof(*in));
	struct qv	 q = { r, NULL };

	in->org_id = q_str(&q, "organizationId", 0);
	in->slug = q_str(&q, "organizationSlug", 0);
	in->limit = q_union(&q, "membersLimit");
	*inp = in;
	return (q_end(&q));
}

/*
 * The organization a get asks for (slug, else id, else the active one):
 * 1 found and the caller is a member (*m), 0 when nothing is asked for,
 * or the error.  A caller who is not a member loses the session's active
 * organization (Better Auth does that) and gets a 403.
 */
static enum err
get_target(struct request *r, const struct get_in *in, struct org_rec *o,
    struct member_rec *m, int *found)
{
	const char	*key;
	int		 rc, by_slug = given(in->slug);

	*found = 0;
	key = by_slug ? in->slug : given(in->org_id) ? in->org_id :
	    r->auth->s.active_organization_id;
	if (!given(key))
		return (ERR_NONE);
	if ((rc = store_org_get(r->db, r->a, key, by_slug, o)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_ORGANIZATION_NOT_FOUND);
	if ((rc = store_member_get(r->db, r->a, o->id, r->auth->u.id,
	    m)) == -1)
		return (DBERR(r));
	if (rc == 0) {
		if (set_active(r, NULL) == -1)
			return (DBERR(r));
		active_changed(r, 0);
		return (ERR_USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION_403);
	}
	*found = 1;
	return (ERR_NONE);
}

static enum err
get_org(struct request *r, void *inp)
{
	struct org_rec		 o;
	struct member_rec	 m;
	enum err		 e;
	int			 found;

	if ((e = get_target(r, inp, &o, &m, &found)) != ERR_NONE)
		return (e);
	if (!found) {
		reply_json_str(r, 200, "null");
		return (ERR_NONE);
	}
	return (reply_org(r, &o, ORG_META_RAW));
}

/*
 * invitations a member may see: all when its role may create them
 * (invitation ids are links), but those granting the creator role only
 * to a member holding it
 */
static int
inv_visible(struct request *r, const char *viewer_role,
    const struct invitation_rec *i)
{
	return (is_creator(r, viewer_role) || !is_creator(r, i->role));
}

static enum err
get_full(struct request *r, void *inp)
{
	struct get_in		*in = inp;
	struct org_rec		 o;
	struct member_rec	 self, *mem;
	struct invitation_rec	*inv;
	struct member_query	 q;
	struct jbuf		 b;
	int64_t			 limit, total;
	enum err		 e;
	int			 found, n, ninv, i, first, see;

	limit = org_settings(r->bcfg)->membership_limit;
	if (in->limit != NULL &&
	    (limit = adapter_count(js_parse_int(in->limit), limit)) == -1)
		return (ERR_INTERNAL_EMPTY);
	if ((e = get_target(r, in, &o, &self, &found)) != ERR_NONE)
		return (e);
	if (!found) {
		reply_json_str(r, 200, "null");
		return (ERR_NONE);
	}
	memset(&q, 0, sizeof(q));
	q.organization_id = o.id;
	q.limit = limit;
	if (store_inv_list_org(r->db, r->a, o.id, &inv, &ninv) == -1 ||
	    store_member_list(r->db, r->a, &q, &mem, &n, &total) == -1)
		return (DBERR(r));
	see = org_allowed(r->a, self.role, "invitation", "create");
	jb_init(&b, r->a, 2048);
	org_write(&b, &o, ORG_META_RAW, 1);
	jb_lit(&b, ",\"invitations\":[");
	for (i = 0, first = 1; see && i < ninv; i++) {
		if (!inv_visible(r, self.role, &inv[i]))
			continue;
		if (!first)
			jb_lit(&b, ",");
		invitation_write(&b, &inv[i], 0);
		first = 0;
	}
	jb_lit(&b, "],\"members\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			jb_lit(&b, ",");
		member_write(&b, &mem[i], 1);
	}
	jb_lit(&b, "]}");
	return (reply_jb(r, &b));
}

/* ------------------------------------------------------------ set-active */

struct set_active_in {
	const char	*org_id, *slug;
	int		 id_state;	/* v_nstr: 0 absent, 1 null, 2 string */
};

static enum err
parse_set_active(struct request *r, void **inp)
{
	struct set_active_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx		 v;

	v_begin(&v, r, V_OBJECT);
	in->org_id = v_nstr(&v, "organizationId", &in->id_state);
	in->slug = v_str(&v, "organizationSlug", 0);
	*inp = in;
	return (v_end(&v));
}

static enum err
set_active_org(struct request *r, void *inp)
{
	struct set_active_in	*in = inp;
	const char		*org_id = in->org_id;
	struct org_rec		 o;
	struct member_rec	 m;
	int			 rc;

	if (in->id_state == 1) {
		if (!given(r->auth->s.active_organization_id)) {
			reply_json_str(r, 200, "null");
			return (ERR_NONE);
		}
		if (set_active(r, NULL) == -1)
			return (DBERR(r));
		active_changed(r, 1);
		reply_json_str(r, 200, "null");
		return (ERR_NONE);
	}
	if (!given(org_id) && !given(in->slug)) {
		if (!given(r->auth->s.active_organization_id)) {
			reply_json_str(r, 200, "null");
			return (ERR_NONE);
		}
		org_id = r->auth->s.active_organization_id;
	}
	if (given(in->slug) && !given(org_id)) {
		if ((rc = store_org_get(r->db, r->a, in->slug, 1, &o)) == -1)
			return (DBERR(r));
		if (rc == 0)
			return (ERR_ORGANIZATION_NOT_FOUND);
		org_id = o.id;
	}
	if ((rc = store_member_get(r->db, r->a, org_id, r->auth->u.id,
	    &m)) == -1)
		return (DBERR(r));
	if (rc == 0) {
		if (set_active(r, NULL) == -1)
			return (DBERR(r));
		active_changed(r, 0);
		return (ERR_USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION_403);
	}
	if ((rc = store_org_get(r->db, r->a, org_id, 0, &o)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_ORGANIZATION_NOT_FOUND);
	/* the row's updatedAt moves: the next token carries the new `o` */
	if (set_active(r, o.id) == -1)
		return (DBERR(r));
	active_changed(r, 1);
	return (reply_org(r, &o, ORG_META_RAW));
}

/* ------------------------------------------------------------ list */

static enum err
list_orgs(struct request *r, void *in)
{
	struct org_rec	*list;
	struct jbuf	 b;
	int		 i, n;

	(void)in;
	if (store_org_list(r->db, r->a, r->auth->u.id, &list, &n) == -1)
		return (DBERR(r));
	jb_init(&b, r->a, 256 + (size_t)n * 256);
	jb_lit(&b, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			jb_lit(&b, ",");
		org_write(&b, &list[i], ORG_META_RAW, 0);
	}
	jb_lit(&b, "]");
	return (reply_jb(r, &b));
}

/* ----------------------------------------------------- invite-member */

struct invite_in {
	const char	*email, *org_id;
	const char	**roles;
	size_t		 nroles;
	int		 resend;
};

static enum err
parse_invite(struct request *r, void **inp)
{
	struct invite_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx		 v;
	const char		**teams;
	size_t			 nteams;

	v_begin(&v, r, V_OBJECT);
	in->email = v_str(&v, "email", 1);
	(void)v_strs(&v, "role", 1, &in->roles, &in->nroles);
	in->org_id = v_str(&v, "organizationId", 0);
	in->resend = v_bool(&v, "resend", 0);
	/* teams are off (neon.md §3.1): a valid teamId is ignored */
	(void)v_strs(&v, "teamId", 0, &teams, &nteams);
	*inp = in;
	return (v_end(&v));
}

/*
 * The app's origin for the invitation link: the invite-member request's
 * Origin when it is trusted (the app that calls), else the branch's first
 * trusted origin, else the Auth URL's origin.
 */
static const char *
app_origin(struct request *r)
{
	const char	*o = request_header(r, "HTTP_ORIGIN");
	json_object	*to = r->bcfg->trusted_origins, *e;
	size_t		 i;

	if (o != NULL && *o != '\0' && strcmp(o, "null") != 0 &&
	    origin_trusted(r, o, 0))
		return (o);
	for (i = 0; to != NULL && i < json_object_array_length(to); i++) {
		e = json_object_array_get_idx(to, i);
		/* an exact origin, not a wildcard pattern */
		if (json_object_is_type(e, json_type_string) &&
		    strchr(json_object_get_string(e), '*') == NULL &&
		    strncmp(json_object_get_string(e), "http", 4) == 0)
			return (json_object_get_string(e));
	}
	return (r->branch->origin);
}

/*
 * sendInvitationEmail (plugin_configs.organization.send_invitation_email):
 * the "invitation" mail with Neon's accept link on the app,
 * <app>/auth/accept-invitation?invitationId=<id> (neon.md §10).  -1 when
 * it could not be queued: the endpoint fails as Better Auth's does when
 * its sender throws (the invitation stays).
 */
static int
invitation_mail(struct request *r, const struct invitation_rec *inv,
    const struct org_rec *o)
{
	struct email_vars	 v;
	const char		*app;
	size_t			 n;

	if (!org_settings(r->bcfg)->send_invitation_email)
		return (0);
	if (!email_enabled(r)) {
		log_info("route=%s send_invitation_email: the branch has no "
		    "mail transport, not sent", r->route_name);
		return (0);
	}
	app = app_origin(r);
	n = strlen(app);
	while (n > 0 && app[n - 1] == '/')
		n--;
	memset(&v, 0, sizeof(v));
	v.url = arena_printf(r->a, "%.*s/auth/accept-invitation?"
	    "invitationId=%s", (int)n, app, url_encode(r->a, inv->id));
	v.organization_name = o->name;
	v.inviter_name = r->auth->u.name != NULL && *r->auth->u.name != '\0' ?
	    r->auth->u.name : r->auth->u.email;
	v.role = inv->role;
	v.expires_s = r->bcfg->lt_invitation;
	return (email_send(r, MAIL_INVITATION, inv->email, &v));
}

static enum err
invite(struct request *r, void *inp)
{
	struct invite_in	*in = inp;
	struct auth		*a = r->auth;
	struct member_rec	 self, other;
	struct invitation_rec	 inv, pend;
	struct org_rec		 o;
	const char		*org_id, *email, **list;
	char			*roles, *unknown;
	int64_t			 pending;
	size_t			 n;
	enum err		 e;
	int			 rc, has_pending;

	org_id = given(in->org_id) ? in->org_id :
	    a->s.active_organization_id;
	if (!given(org_id))
		return (ERR_ORGANIZATION_NOT_FOUND);
	email = text_lower(r->a, in->email);
	if (!body_email_ok(email))
		return (ERR_INVALID_EMAIL);
	if ((rc = store_member_get(r->db, r->a, org_id, a->u.id, &self)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_MEMBER_NOT_FOUND);
	if (!org_allowed(r->a, self.role, "invitation", "create"))
		return (ERR_YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION);
	roles = roles_of(r, in->roles, in->nroles, &n, &list);
	if (n == 0)
		return (ERR_ROLE_NOT_FOUND);
	if ((unknown = unknown_roles(r, list, n)) != NULL)
		return (err_msg(r, ERR_ROLE_NOT_FOUND_MSG, arena_printf(r->a,
		    "ROLE_NOT_FOUND: %s", unknown)));
	if (!is_creator(r, self.role) && is_creator(r, roles))
		return (ERR_YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE);
	if ((rc = store_member_by_email(r->db, r->a, org_id, email,
	    &other)) == -1)
		return (DBERR(r));
	if (rc == 1)
		return (ERR_USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION);
	if ((has_pending = store_inv_pending(r->db, r->a, org_id, email,
	    &pend)) == -1)
		return (DBERR(r));
	if (has_pending && !in->resend)
		return (ERR_USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION);
	if ((rc = store_org_get(r->db, r->a, org_id, 0, &o)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_ORGANIZATION_NOT_FOUND);
	if (has_pending) {
		/* re-sent: the same invitation, its expiry renewed */
		if (!is_creator(r, self.role) && is_creator(r, pend.role))
			return (ERR_YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE);
		if ((e = tx_begin(r)) != ERR_NONE)
			return (e);
		if ((rc = store_inv_extend(r->db, r->a, pend.id,
		    r->bcfg->lt_invitation, &inv)) == -1 || (rc == 1 &&
		    audit_event(r, "org_invitation_resend", NULL, a->u.id,
		    ERR_NONE, arena_printf(r->a, "{\"organization_id\":%s,"
		    "\"email\":%s}", json_quote(r->a, org_id),
		    json_quote(r->a, email))) == -1))
			return (tx_end(r, DBERR(r)));
		if ((e = tx_end(r, ERR_NONE)) != ERR_NONE)
			return (e);
		if (rc == 0)
			return (ERR_INVITATION_NOT_FOUND);
		if (invitation_mail(r, &inv, &o) == -1)
			return (ERR_INTERNAL_EMPTY);
		return (reply_invitation(r, &inv));
	}
	if ((e = tx_begin(r)) != ERR_NONE)
		return (e);
	/* one invitation at a time per organization: the limit and the
	 * one-pending-invitation rule hold under concurrency */
	if ((rc = store_org_lock(r->db, r->a, org_id)) == -1)
		return (tx_end(r, DBERR(r)));
	if (rc == 0)
		return (tx_end(r, ERR_ORGANIZATION_NOT_FOUND));
	if ((rc = store_inv_pending(r->db, r->a, org_id, email, &pend)) == -1)
		return (tx_end(r, DBERR(r)));
	if (rc == 1)
		return (tx_end(r,
		    ERR_USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION));
	if (store_inv_pending_count(r->db, r->a, org_id, &pending) == -1)
		return (tx_end(r, DBERR(r)));
	if (pending >= INVITATION_LIMIT)
		return (tx_end(r, ERR_INVITATION_LIMIT_REACHED));
	if (store_inv_create(r->db, r->a, org_id, email, roles, a->u.id,
	    r->bcfg->lt_invitation, &inv) != 1 ||
	    audit_event(r, "org_invitation_create", NULL, a->u.id, ERR_NONE,
	    arena_printf(r->a, "{\"organization_id\":%s,\"email\":%s,"
	    "\"role\":%s}", json_quote(r->a, org_id), json_quote(r->a, email),
	    json_quote(r->a, roles))) == -1)
		return (tx_end(r, DBERR(r)));
	if ((e = tx_end(r, ERR_NONE)) != ERR_NONE)
		return (e);
	if (invitation_mail(r, &inv, &o) == -1)
		return (ERR_INTERNAL_EMPTY);
	return (reply_invitation(r, &inv));
}

/* ---------------------------------------------------- accept, reject */

static enum err
parse_invitation_id(struct request *r, void **inp)
{
	struct vctx	 v;

	v_begin(&v, r, V_OBJECT);
	*inp = (void *)v_str(&v, "invitationId", 1);
	return (v_end(&v));
}

/*
 * The recipient checks of accept and reject (and get-invitation): the
 * session's email is the invitation's and it is verified.  A refusal is
 * recorded on its own.
 */
static enum err
recipient_check(struct request *r, const struct invitation_rec *i,
    const char *event, enum err unverified)
{
	enum err	 e = ERR_NONE;

	if (strcmp(text_lower(r->a, i->email), text_lower(r->a,
	    r->auth->u.email)) != 0)
		e = ERR_YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION;
	else if (!r->auth->u.email_verified)
		e = unverified;
	if (e != ERR_NONE && event != NULL && audit_event(r, event,
	    r->auth->u.id, NULL, e, org_detail(r, i->organization_id,
	    NULL)) == -1)
		log_warnx("route=%s audit row not written", r->route_name);
	return (e);
}

static enum err
accept_invitation(struct request *r, void *in)
{
	struct auth		*a = r->auth;
	struct invitation_rec	 i, done;
	struct member_rec	 m, already;
	struct jbuf		 b;
	const char		*role, **list;
	size_t			 nroles;
	int64_t			 count;
	enum err		 e;
	int			 rc;

	if ((rc = store_inv_get(r->db, r->a, in, &i)) == -1)
		return (DBERR(r));
	if (rc == 0 || i.expires_ms < clock_now_ms() ||
	    strcmp(i.status, "pending") != 0)
		return (ERR_INVITATION_NOT_FOUND);
	if ((e = recipient_check(r, &i, "org_invitation_accept",
	    ERR_EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION))
	    != ERR_NONE)
		return (e);
	/* the stored role list, normalised ("member" when there is none) */
	role = roles_of(r, (const char *const *)&i.role, 1, &nroles, &list);
	if (nroles == 0)
		role = "member";
	if ((e = tx_begin(r)) != ERR_NONE)
		return (e);
	/* the membership limit holds under concurrency: lock the org */
	if ((rc = store_org_lock(r->db, r->a, i.organization_id)) == -1)
		return (tx_end(r, DBERR(r)));
	if (rc == 0)
		return (tx_end(r, ERR_ORGANIZATION_NOT_FOUND));
	if (store_member_count(r->db, r->a, i.organization_id, &count) == -1)
		return (tx_end(r, DBERR(r)));
	if (count >= org_settings(r->bcfg)->membership_limit)
		return (tx_end(r, ERR_ORGANIZATION_MEMBERSHIP_LIMIT_REACHED));
	if ((rc = store_inv_set_status(r->db, r->a, i.id, "accepted",
	    "pending", &done)) == -1)
		return (tx_end(r, DBERR(r)));
	if (rc == 0)
		return (tx_end(r, ERR_INVITATION_NOT_FOUND));
	/* never a second membership of one organization */
	if ((rc = store_member_get(r->db, r->a, i.organization_id, a->u.id,
	    &already)) == -1)
		return (tx_end(r, DBERR(r)));
	if (rc == 1)
		return (tx_end(r,
		    ERR_USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION));
	if (store_member_create(r->db, r->a, i.organization_id, a->u.id, role,
	    &m) != 1 || set_active(r, i.organization_id) == -1 ||
	    audit_event(r, "org_invitation_accept", a->u.id, NULL, ERR_NONE,
	    org_detail(r, i.organization_id, role)) == -1)
		return (tx_end(r, DBERR(r)));
	if ((e = tx_end(r, ERR_NONE)) != ERR_NONE)
		return (e);
	active_changed(r, 0);
	jb_init(&b, r->a, 1024);
	jb_lit(&b, "{\"invitation\":");
	invitation_write(&b, &done, 0);
	jb_lit(&b, ",\"member\":");
	member_write(&b, &m, 0);
	jb_lit(&b, "}");
	return (reply_jb(r, &b));
}

static enum err
reject_invitation(struct request *r, void *in)
{
	struct invitation_rec	 i, done;
	struct org_rec		 o;
	struct jbuf		 b;
	enum err		 e;
	int			 rc;

	if ((rc = store_inv_get(r->db, r->a, in, &i)) == -1)
		return (DBERR(r));
	if (rc == 0 || strcmp(i.status, "pending") != 0)
		return (ERR_REJECT_INVITATION_NOT_FOUND);
	if ((e = recipient_check(r, &i, "org_invitation_reject",
	    ERR_EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION))
	    != ERR_NONE)
		return (e);
	if ((rc = store_org_get(r->db, r->a, i.organization_id, 0, &o)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_ORGANIZATION_NOT_FOUND);
	if ((e = tx_begin(r)) != ERR_NONE)
		return (e);
	if ((rc = store_inv_set_status(r->db, r->a, i.id, "rejected", NULL,
	    &done)) == -1 || (rc == 1 && audit_event(r,
	    "org_invitation_reject", r->auth->u.id, NULL, ERR_NONE,
	    org_detail(r, i.organization_id, NULL)) == -1))
		return (tx_end(r, DBERR(r)));
	if ((e = tx_end(r, ERR_NONE)) != ERR_NONE)
		return (e);
	jb_init(&b, r->a, 1024);
	jb_lit(&b, "{\"invitation\":");
	if (rc == 1)
		invitation_write(&b, &done, 0);
	else
		jb_lit(&b, "null");
	jb_lit(&b, ",\"member\":null}");
	return (reply_jb(r, &b));
}

/* ------------------------------------------------------------ cancel */

static enum err
cancel_invitation(struct request *r, void *in)
{
	struct invitation_rec	 i, done;
	struct member_rec	 m;
	struct org_rec		 o;
	enum err		 e;
	int			 rc;

	if ((rc = store_inv_get(r->db, r->a, in, &i)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_INVITATION_NOT_FOUND);
	if ((rc = store_member_get(r->db, r->a, i.organization_id,
	    r->auth->u.id, &m)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_MEMBER_NOT_FOUND);
	if (!org_allowed(r->a, m.role, "invitation", "cancel"))
		return (ERR_YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION);
	if ((rc = store_org_get(r->db, r->a, i.organization_id, 0, &o)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_ORGANIZATION_NOT_FOUND);
	if ((e = tx_begin(r)) != ERR_NONE)
		return (e);
	if ((rc = store_inv_set_status(r->db, r->a, i.id, "canceled", NULL,
	    &done)) == -1 || (rc == 1 && audit_event(r,
	    "org_invitation_cancel", NULL, r->auth->u.id, ERR_NONE,
	    arena_printf(r->a, "{\"organization_id\":%s,\"email\":%s}",
	    json_quote(r->a, i.organization_id), json_quote(r->a,
	    i.email))) == -1))
		return (tx_end(r, DBERR(r)));
	if ((e = tx_end(r, ERR_NONE)) != ERR_NONE)
		return (e);
	if (rc == 0) {
		reply_json_str(r, 200, "null");
		return (ERR_NONE);
	}
	return (reply_invitation(r, &done));
}

/* ---------------------------------------------------- get-invitation */

static enum err
parse_get_invitation(struct request *r, void **inp)
{
	struct qv	 q = { r, NULL };

	*inp = (void *)q_str(&q, "id", 1);
	return (q_end(&q));
}

static enum err
get_invitation(struct request *r, void *in)
{
	struct invitation_rec	 i;
	struct org_rec		 o;
	struct member_rec	 inviter;
	struct jbuf		 b;
	enum err		 e;
	int			 rc;

	if (r->auth == NULL)
		return (ERR_ORG_NOT_AUTHENTICATED);
	if ((rc = store_inv_get(r->db, r->a, in, &i)) == -1)
		return (DBERR(r));
	if (rc == 0 || strcmp(i.status, "pending") != 0 ||
	    i.expires_ms < clock_now_ms())
		return (ERR_INVITATION_NOT_FOUND);
	if ((e = recipient_check(r, &i, NULL,
	    ERR_EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION)) != ERR_NONE)
		return (e);
	if ((rc = store_org_get(r->db, r->a, i.organization_id, 0, &o)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_ORGANIZATION_NOT_FOUND);
	if ((rc = store_member_get(r->db, r->a, i.organization_id,
	    i.inviter_id, &inviter)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_INVITER_IS_NO_LONGER_A_MEMBER_OF_THE_ORGANIZATION);
	jb_init(&b, r->a, 1024);
	invitation_write(&b, &i, 1);
	jb_lit(&b, ",\"organizationName\":");
	jb_str(&b, o.name);
	jb_lit(&b, ",\"organizationSlug\":");
	jb_str(&b, o.slug);
	jb_lit(&b, ",\"inviterEmail\":");
	jb_str(&b, inviter.user_email);
	jb_lit(&b, "}");
	return (reply_jb(r, &b));
}

/* -------------------------------------------------- list-invitations */

static enum err
parse_list_invitations(struct request *r, void **inp)
{
	struct qv	 q = { r, NULL };

	*inp = (void *)q_str(&q, "organizationId", 0);
	return (q_end(&q));
}

static enum err
list_invitations(struct request *r, void *in)
{
	struct invitation_rec	*inv;
	struct member_rec	 m;
	struct jbuf		 b;
	const char		*org_id;
	int			 i, n, rc, first;

	org_id = given(in) ? in : r->auth->s.active_organization_id;
	if (!given(org_id))
		return (ERR_ORGANIZATION_ID_REQUIRED);
	if ((rc = store_member_get(r->db, r->a, org_id, r->auth->u.id,
	    &m)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION_MSG);
	if (!org_allowed(r->a, m.role, "invitation", "create"))
		return (ERR_YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS);
	if (store_inv_list_org(r->db, r->a, org_id, &inv, &n) == -1)
		return (DBERR(r));
	jb_init(&b, r->a, 256 + (size_t)n * 320);
	jb_lit(&b, "[");
	for (i = 0, first = 1; i < n; i++) {
		if (!inv_visible(r, m.role, &inv[i]))
			continue;
		if (!first)
			jb_lit(&b, ",");
		invitation_write(&b, &inv[i], 0);
		first = 0;
	}
	jb_lit(&b, "]");
	return (reply_jb(r, &b));
}

/* --------------------------------------------- list-user-invitations */

static enum err
parse_list_user_invitations(struct request *r, void **inp)
{
	struct qv	 q = { r, NULL };

	*inp = (void *)q_str(&q, "email", 0);
	return (q_end(&q));
}

static enum err
list_user_invitations(struct request *r, void *in)
{
	struct invitation_rec	*inv;
	struct jbuf		 b;
	int			 i, n;

	/* ?email is for server-side calls only */
	if (given(in))
		return (ERR_ORG_EMAIL_NOT_FOR_CLIENTS);
	if (r->auth == NULL)
		return (ERR_ORG_SESSION_OR_EMAIL_MISSING);
	if (!r->auth->u.email_verified)
		return (ERR_EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION);
	if (store_inv_list_email(r->db, r->a, text_lower(r->a,
	    r->auth->u.email), &inv, &n) == -1)
		return (DBERR(r));
	jb_init(&b, r->a, 256 + (size_t)n * 360);
	jb_lit(&b, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			jb_lit(&b, ",");
		invitation_write(&b, &inv[i], 1);
		jb_lit(&b, ",\"organizationName\":");
		jb_str(&b, inv[i].organization_name);
		jb_lit(&b, "}");
	}
	jb_lit(&b, "]");
	return (reply_jb(r, &b));
}

/* ------------------------------------------------------------ owners */

/*
 * Inside a transaction that removes or demotes a holder of the creator
 * role: lock the organization and count the holders again, so that two
 * owners cannot remove or demote each other at the same time.  1 when
 * another holder stays, 0 when none would, -1 on error.
 */
static int
another_creator_stays(struct request *r, const char *org_id)
{
	int64_t	 n;

	if (store_org_lock(r->db, r->a, org_id) == -1 ||
	    store_member_role_count(r->db, r->a, org_id, creator_role(r),
	    &n) == -1)
		return (-1);
	return (n > 1);
}

/* ----------------------------------------------------- remove-member */

struct remove_in {
	const char	*who, *org_id;
};

static enum err
parse_remove(struct request *r, void **inp)
{
	struct remove_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx		 v;

	v_begin(&v, r, V_OBJECT);
	in->who = v_str(&v, "memberIdOrEmail", 1);
	in->org_id = v_str(&v, "organizationId", 0);
	*inp = in;
	return (v_end(&v));
}

static enum err
remove_member(struct request *r, void *inp)
{
	struct remove_in	*in = inp;
	struct auth		*a = r->auth;
	struct member_rec	 self, target;
	struct org_rec		 o;
	struct jbuf		 b;
	const char		*org_id;
	int64_t			 owners;
	enum err		 e;
	int			 rc, by_email, target_creator, self_active;

	org_id = given(in->org_id) ? in->org_id : a->s.active_organization_id;
	if (!given(org_id))
		return (ERR_NO_ACTIVE_ORGANIZATION);
	if ((rc = store_member_get(r->db, r->a, org_id, a->u.id, &self)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_MEMBER_NOT_FOUND);
	by_email = strchr(in->who, '@') != NULL;
	rc = by_email ? store_member_by_email(r->db, r->a, org_id,
	    text_lower(r->a, in->who), &target) :
	    store_member_by_id(r->db, r->a, in->who, &target);
	if (rc == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_MEMBER_NOT_FOUND);
	target_creator = is_creator(r, target.role);
	if (target_creator) {
		if (!is_creator(r, self.role))
			return (ERR_YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER);
		if (store_member_role_count(r->db, r->a, org_id,
		    creator_role(r), &owners) == -1)
			return (DBERR(r));
		if (owners <= 1)
			return (ERR_YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER);
	}
	if (!org_allowed(r->a, self.role, "member", "delete"))
		return (ERR_YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER);
	if (strcmp(target.organization_id, org_id) != 0)
		return (ERR_MEMBER_NOT_FOUND);
	if ((rc = store_org_get(r->db, r->a, org_id, 0, &o)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_ORGANIZATION_NOT_FOUND);
	self_active = strcmp(target.user_id, a->u.id) == 0 &&
	    given(a->s.active_organization_id) &&
	    strcmp(a->s.active_organization_id, target.organization_id) == 0;
	if ((e = tx_begin(r)) != ERR_NONE)
		return (e);
	if (target_creator && (rc = another_creator_stays(r, org_id)) != 1)
		return (tx_end(r, rc == -1 ? DBERR(r) :
		    ERR_YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER));
	if ((rc = store_member_delete(r->db, r->a, target.id)) == -1 ||
	    store_org_touch_sessions(r->db, r->a, target.user_id,
	    org_id) == -1 || (self_active && set_active(r, NULL) == -1) ||
	    (rc == 1 && audit_event(r, "org_member_remove", target.user_id,
	    strcmp(target.user_id, a->u.id) == 0 ? NULL : a->u.id, ERR_NONE,
	    org_detail(r, org_id, target.role)) == -1))
		return (tx_end(r, DBERR(r)));
	if ((e = tx_end(r, ERR_NONE)) != ERR_NONE)
		return (e);
	if (self_active)
		active_changed(r, 0);
	jb_init(&b, r->a, 512);
	jb_lit(&b, "{\"member\":");
	member_write(&b, &target, by_email);
	jb_lit(&b, "}");
	return (reply_jb(r, &b));
}

/* ------------------------------------------------ update-member-role */

struct role_in {
	const char	**roles;
	size_t		 nroles;
	int		 role_given;	/* truthy: a non-empty string, a list */
	const char	*member_id, *org_id;
};

static enum err
parse_update_role(struct request *r, void **inp)
{
	struct role_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx	 v;
	json_object	*x;

	v_begin(&v, r, V_OBJECT);
	(void)v_strs(&v, "role", 1, &in->roles, &in->nroles);
	in->role_given = v.body != NULL && json_object_object_get_ex(v.body,
	    "role", &x) && x != NULL && (json_object_is_type(x,
	    json_type_array) || json_object_get_string_len(x) > 0);
	in->member_id = v_str(&v, "memberId", 1);
	in->org_id = v_str(&v, "organizationId", 0);
	*inp = in;
	return (v_end(&v));
}

static enum err
update_member_role(struct request *r, void *inp)
{
	struct role_in		*in = inp;
	struct auth		*a = r->auth;
	struct member_rec	 self, target, done;
	struct org_rec		 o;
	const char		*org_id, **list;
	char			*roles, *unknown;
	size_t			 n;
	int64_t			 owners;
	enum err		 e;
	int			 rc, target_creator, setting_creator;
	int			 self_creator;

	if (!in->role_given)
		return (ERR_BAD_REQUEST_EMPTY);
	org_id = given(in->org_id) ? in->org_id : a->s.active_organization_id;
	if (!given(org_id))
		return (ERR_NO_ACTIVE_ORGANIZATION);
	roles = roles_of(r, in->roles, in->nroles, &n, &list);
	if (n == 0)
		return (ERR_BAD_REQUEST_EMPTY);
	if ((rc = store_member_get(r->db, r->a, org_id, a->u.id, &self)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_MEMBER_NOT_FOUND);
	if (strcmp(self.id, in->member_id) == 0)
		target = self;
	else if ((rc = store_member_by_id(r->db, r->a, in->member_id,
	    &target)) == -1)
		return (DBERR(r));
	else if (rc == 0)
		return (ERR_MEMBER_NOT_FOUND);
	if (strcmp(target.organization_id, org_id) != 0)
		return (ERR_YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER);
	target_creator = is_creator(r, target.role);
	self_creator = is_creator(r, self.role);
	setting_creator = is_creator(r, roles);
	/* only a holder of the creator role grants or changes it */
	if ((target_creator || setting_creator) && !self_creator)
		return (ERR_YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER);
	if (self_creator && strcmp(self.id, target.id) == 0) {
		if (store_member_role_count(r->db, r->a, org_id,
		    creator_role(r), &owners) == -1)
			return (DBERR(r));
		if (owners <= 1 && !setting_creator)
			return (ERR_YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER);
	}
	if (!self_creator && !org_allowed(r->a, self.role, "member", "update"))
		return (ERR_YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER);
	if ((unknown = unknown_roles(r, list, n)) != NULL)
		return (err_msg(r, ERR_ROLE_NOT_FOUND, arena_printf(r->a,
		    "ROLE_NOT_FOUND: %s", unknown)));
	if ((rc = store_org_get(r->db, r->a, org_id, 0, &o)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_ORGANIZATION_NOT_FOUND);
	if ((e = tx_begin(r)) != ERR_NONE)
		return (e);
	if (target_creator && !setting_creator &&
	    (rc = another_creator_stays(r, org_id)) != 1)
		return (tx_end(r, rc == -1 ? DBERR(r) :
		    ERR_YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER));
	if ((rc = store_member_set_role(r->db, r->a, target.id, roles,
	    &done)) == -1 || store_org_touch_sessions(r->db, r->a,
	    target.user_id, org_id) == -1 || (rc == 1 && audit_event(r,
	    "org_member_role", target.user_id, strcmp(target.user_id,
	    a->u.id) == 0 ? NULL : a->u.id, ERR_NONE, arena_printf(r->a,
	    "{\"organization_id\":%s,\"from\":%s,\"to\":%s}",
	    json_quote(r->a, org_id), json_quote(r->a, target.role),
	    json_quote(r->a, roles))) == -1))
		return (tx_end(r, DBERR(r)));
	if ((e = tx_end(r, ERR_NONE)) != ERR_NONE)
		return (e);
	if (rc == 0)
		return (ERR_MEMBER_NOT_FOUND);
	/* the caller's own role changed: its JWT (the `o` role) renews */
	if (strcmp(target.user_id, a->u.id) == 0 && r->bcfg->cookie_cache)
		session_set_cookie(r, a, -1);
	return (reply_member(r, &done, 0));
}

/* ----------------------------------------------------- active member */

static enum err
get_active_member(struct request *r, void *in)
{
	struct member_rec	 m;
	int			 rc;

	(void)in;
	if (!given(r->auth->s.active_organization_id))
		return (ERR_NO_ACTIVE_ORGANIZATION);
	if ((rc = store_member_get(r->db, r->a,
	    r->auth->s.active_organization_id, r->auth->u.id, &m)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_MEMBER_NOT_FOUND);
	return (reply_member(r, &m, 1));
}

struct role_q {
	const char	*user_id, *org_id, *slug;
};

static enum err
parse_active_role(struct request *r, void **inp)
{
	struct role_q	*in = arena_alloc(r->a, sizeof(*in));
	struct qv	 q = { r, NULL };

	in->user_id = q_str(&q, "userId", 0);
	in->org_id = q_str(&q, "organizationId", 0);
	in->slug = q_str(&q, "organizationSlug", 0);
	*inp = in;
	return (q_end(&q));
}

/* the organization of a query: ?organizationSlug, else id, else active */
static enum err
query_org(struct request *r, const char *org_id, const char *slug,
    const char **out)
{
	struct org_rec	 o;
	int		 rc;

	*out = given(org_id) ? org_id : r->auth->s.active_organization_id;
	if (given(slug)) {
		if ((rc = store_org_get(r->db, r->a, slug, 1, &o)) == -1)
			return (DBERR(r));
		if (rc == 0)
			return (ERR_ORGANIZATION_NOT_FOUND);
		*out = o.id;
	}
	if (!given(*out))
		return (ERR_NO_ACTIVE_ORGANIZATION);
	return (ERR_NONE);
}

static enum err
get_active_member_role(struct request *r, void *inp)
{
	struct role_q		*in = inp;
	struct member_rec	 m;
	struct jbuf		 b;
	const char		*org_id;
	enum err		 e;
	int			 rc;

	if ((e = query_org(r, in->org_id, in->slug, &org_id)) != ERR_NONE)
		return (e);
	if ((rc = store_member_get(r->db, r->a, org_id, r->auth->u.id,
	    &m)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION);
	if (given(in->user_id)) {
		if ((rc = store_member_get(r->db, r->a, org_id, in->user_id,
		    &m)) == -1)
			return (DBERR(r));
		if (rc == 0)
			return (ERR_YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION);
	}
	jb_init(&b, r->a, 64);
	jb_lit(&b, "{\"role\":");
	jb_str(&b, m.role);
	jb_lit(&b, "}");
	return (reply_jb(r, &b));
}

/* ------------------------------------------------------ list-members */

static const char *const sort_dirs[] = { "asc", "desc", NULL };
static const char *const filter_ops[] = {
	"eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "contains",
	"starts_with", "ends_with", NULL
};
#define FILTER_OPS_TEXT "\"eq\"|\"ne\"|\"lt\"|\"lte\"|\"gt\"|\"gte\"|" \
	"\"in\"|\"not_in\"|\"contains\"|\"starts_with\"|\"ends_with\""

struct members_q {
	const char	*limit, *offset, *sort_by, *filter_field, *org_id,
			*slug;
	const char	**values;
	size_t		 nvalues;
	int		 dir, op;
};

static enum err
parse_list_members(struct request *r, void **inp)
{
	struct members_q	*in = arena_alloc(r->a, sizeof(*in));
	struct qv		 q = { r, NULL };
	const char		*p, *end;
	char			*k, *val;
	size_t			 cap = 0;

	in->limit = q_union(&q, "limit");
	in->offset = q_union(&q, "offset");
	in->sort_by = q_str(&q, "sortBy", 0);
	in->dir = q_enum(&q, "sortDirection", sort_dirs, "\"asc\"|\"desc\"");
	in->filter_field = q_str(&q, "filterField", 0);
	/* filterValue: a string, or a list when repeated */
	p = r->query.p;
	end = r->query.p + r->query.len;
	while (p != NULL && url_pair_next(r->a, &p, end, &k, &val))
		if (strcmp(k, "filterValue") == 0) {
			if (in->nvalues == cap) {
				const char	**nv;

				cap = cap ? cap * 2 : 4;
				nv = arena_alloc(r->a, cap * sizeof(*nv));
				if (in->nvalues)
					memcpy(nv, in->values, in->nvalues *
					    sizeof(*nv));
				in->values = nv;
			}
			in->values[in->nvalues++] = val;
		}
	in->op = q_enum(&q, "filterOperator", filter_ops, FILTER_OPS_TEXT);
	in->org_id = q_str(&q, "organizationId", 0);
	in->slug = q_str(&q, "organizationSlug", 0);
	*inp = in;
	return (q_end(&q));
}

/* a member field name as the adapter knows it */
static enum member_col
member_field(const char *s)
{
	static const struct {
		const char	*name;
		enum member_col	 col;
	} f[] = {
		{ "id", MCOL_ID }, { "organizationId", MCOL_ORGANIZATION_ID },
		{ "userId", MCOL_USER_ID }, { "role", MCOL_ROLE },
		{ "createdAt", MCOL_CREATED_AT }, { NULL, MCOL_NONE }
	};
	size_t	 i;

	for (i = 0; f[i].name != NULL; i++)
		if (strcmp(f[i].name, s) == 0)
			return (f[i].col);
	return (MCOL_NONE);
}

static enum err
list_members(struct request *r, void *inp)
{
	struct members_q	*in = inp;
	struct member_query	 q;
	struct member_rec	 self, *mem;
	struct jbuf		 b;
	const char		*org_id;
	char			*t;
	int64_t			 total;
	enum err		 e;
	int			 i, n, rc;

	if ((e = query_org(r, in->org_id, in->slug, &org_id)) != ERR_NONE)
		return (e);
	if ((rc = store_member_get(r->db, r->a, org_id, r->auth->u.id,
	    &self)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION);
	memset(&q, 0, sizeof(q));
	q.organization_id = org_id;
	q.limit = org_settings(r->bcfg)->membership_limit;
	if (given(in->limit))
		q.limit = adapter_count(js_number(r, in->limit), q.limit);
	if (given(in->offset))
		q.offset = adapter_count(js_number(r, in->offset), 0);
	/*
	 * What Better Auth's adapter cannot run (an unknown field, a list
	 * operator without a list, LIMIT -1) is its 500.
	 */
	if (q.limit == -1 || q.offset == -1)
		return (ERR_INTERNAL_EMPTY);
	if (given(in->sort_by)) {
		if ((q.sort = member_field(in->sort_by)) == MCOL_NONE)
			return (ERR_INTERNAL_EMPTY);
		q.desc = in->dir == 1;
	}
	if (given(in->filter_field)) {
		if ((q.filter = member_field(in->filter_field)) == MCOL_NONE)
			return (ERR_INTERNAL_EMPTY);
		q.op = in->op < 0 ? MOP_EQ : (enum member_op)in->op;
		q.values = in->values;
		q.nvalues = in->nvalues;
		q.value_list = in->nvalues > 1;
		if ((q.op == MOP_IN || q.op == MOP_NOT_IN) && q.nvalues > 0 &&
		    !q.value_list)
			return (ERR_INTERNAL_EMPTY);
		if (q.op != MOP_IN && q.op != MOP_NOT_IN && q.value_list)
			return (ERR_INTERNAL_EMPTY);
	}
	if (store_member_list(r->db, r->a, &q, &mem, &n, &total) == -1)
		return (DBERR(r));
	jb_init(&b, r->a, 256 + (size_t)n * 320);
	jb_lit(&b, "{\"members\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			jb_lit(&b, ",");
		member_write(&b, &mem[i], 1);
	}
	t = arena_printf(r->a, "],\"total\":%lld}", (long long)total);
	jb_raw(&b, t, strlen(t));
	return (reply_jb(r, &b));
}

/* ------------------------------------------------------------ leave */

static enum err
leave(struct request *r, void *in)
{
	const char		*org_id = in;
	struct auth		*a = r->auth;
	struct member_rec	 m;
	int64_t			 owners;
	enum err		 e;
	int			 rc, creator, was_active;

	if ((rc = store_member_get(r->db, r->a, org_id, a->u.id, &m)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_MEMBER_NOT_FOUND);
	if ((creator = is_creator(r, m.role))) {
		if (store_member_role_count(r->db, r->a, org_id,
		    creator_role(r), &owners) == -1)
			return (DBERR(r));
		if (owners <= 1)
			return (ERR_YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER);
	}
	was_active = given(a->s.active_organization_id) &&
	    strcmp(a->s.active_organization_id, org_id) == 0;
	if ((e = tx_begin(r)) != ERR_NONE)
		return (e);
	if (creator && (rc = another_creator_stays(r, m.organization_id)) != 1)
		return (tx_end(r, rc == -1 ? DBERR(r) :
		    ERR_YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER));
	if ((rc = store_member_delete(r->db, r->a, m.id)) == -1 ||
	    store_org_touch_sessions(r->db, r->a, a->u.id,
	    m.organization_id) == -1 || (was_active && set_active(r,
	    NULL) == -1) || (rc == 1 && audit_event(r, "org_member_leave",
	    a->u.id, NULL, ERR_NONE, org_detail(r, m.organization_id,
	    m.role)) == -1))
		return (tx_end(r, DBERR(r)));
	if ((e = tx_end(r, ERR_NONE)) != ERR_NONE)
		return (e);
	if (was_active)
		active_changed(r, 0);
	return (reply_member(r, &m, 1));
}

/* ---------------------------------------------------- has-permission */

struct perm_in {
	const char	*org_id;
	json_object	*perms;		/* NULL: only the old "permission" */
};

/* z.record(z.string(), z.array(z.string())) */
static int
perm_record(json_object *body, const char *key)
{
	json_object		*x, *e;
	json_object_iter	 it;
	size_t			 i;

	if (body == NULL || !json_object_object_get_ex(body, key, &x) ||
	    x == NULL || !json_object_is_type(x, json_type_object))
		return (0);
	json_object_object_foreachC(x, it) {
		if (it.val == NULL || !json_object_is_type(it.val,
		    json_type_array))
			return (0);
		for (i = 0; i < json_object_array_length(it.val); i++) {
			e = json_object_array_get_idx(it.val, i);
			if (e == NULL || !json_object_is_type(e,
			    json_type_string))
				return (0);
		}
	}
	return (1);
}

static enum err
parse_has_permission(struct request *r, void **inp)
{
	struct perm_in	*in = arena_alloc(r->a, sizeof(*in));
	struct vctx	 v;
	int		 one, many;

	v_begin(&v, r, V_OBJECT);
	in->org_id = v_str(&v, "organizationId", 0);
	if (v_describe(&v, "permissions", "{\"type\":\"object\","
	    "\"additionalProperties\":{\"type\":\"array\",\"items\":"
	    "{\"type\":\"string\"}}}", 1)) {
		(void)v_describe(&v, "permission", "{\"type\":\"object\","
		    "\"deprecated\":true}", 0);
		return (v_end(&v));
	}
	/* z.xor([{permission}, {permissions}]): exactly one must match */
	one = perm_record(v.body, "permission");
	many = perm_record(v.body, "permissions");
	if (one && many)
		v_issue(&v, NULL, "Invalid input: more than one option "
		    "matched");
	else if (!one && !many)
		v_issue(&v, NULL, "Invalid input");
	else if (many)
		in->perms = json_object_object_get(v.body, "permissions");
	*inp = in;
	return (v_end(&v));
}

static enum err
has_permission(struct request *r, void *inp)
{
	struct perm_in		*in = inp;
	struct member_rec	 m;
	const char		*org_id;
	int			 rc, ok;

	org_id = given(in->org_id) ? in->org_id :
	    r->auth->s.active_organization_id;
	if (!given(org_id))
		return (ERR_NO_ACTIVE_ORGANIZATION);
	if ((rc = store_member_get(r->db, r->a, org_id, r->auth->u.id,
	    &m)) == -1)
		return (DBERR(r));
	if (rc == 0)
		return (ERR_USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION_401);
	/* the deprecated "permission" alone checks nothing (Better Auth) */
	ok = in->perms != NULL && org_allowed_all(r->a, m.role, in->perms);
	reply_json_str(r, 200, ok ? "{\"error\":null,\"success\":true}" :
	    "{\"error\":null,\"success\":false}");
	return (ERR_NONE);
}

/* ------------------------------------------------------------ routes */

#define S_ORG "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":" \
	"\"string\"},\"name\":{\"type\":\"string\"},\"slug\":{\"type\":" \
	"\"string\"},\"logo\":{\"type\":[\"string\",\"null\"]},\"createdAt\":" \
	"{\"type\":\"string\",\"format\":\"date-time\"},\"metadata\":{}}," \
	"\"required\":[\"id\",\"name\",\"slug\",\"createdAt\"]}"
#define S_MEMBER "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":" \
	"\"string\"},\"organizationId\":{\"type\":\"string\"},\"userId\":" \
	"{\"type\":\"string\"},\"role\":{\"type\":\"string\"},\"createdAt\":" \
	"{\"type\":\"string\",\"format\":\"date-time\"},\"user\":{\"type\":" \
	"\"object\"}},\"required\":[\"id\",\"organizationId\",\"userId\"," \
	"\"role\",\"createdAt\"]}"
#define S_INVITATION "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":" \
	"\"string\"},\"organizationId\":{\"type\":\"string\"},\"email\":" \
	"{\"type\":\"string\"},\"role\":{\"type\":[\"string\",\"null\"]}," \
	"\"status\":{\"type\":\"string\",\"enum\":[\"pending\",\"accepted\"," \
	"\"rejected\",\"canceled\"]},\"expiresAt\":{\"type\":\"string\"," \
	"\"format\":\"date-time\"},\"createdAt\":{\"type\":\"string\"," \
	"\"format\":\"date-time\"},\"inviterId\":{\"type\":\"string\"}}," \
	"\"required\":[\"id\",\"organizationId\",\"email\",\"status\"," \
	"\"expiresAt\",\"createdAt\",\"inviterId\"]}"
#define S_NULLABLE(s)	"{\"oneOf\":[" s ",{\"type\":\"null\"}]}"
#define S_ARRAY(s)	"{\"type\":\"array\",\"items\":" s "}"

#define R_DB	ROUTE_DB

static const struct route routes[] = {
	{ "POST", "/organization/create", "organization/create", parse_create,
	    create, SESS_OPTIONAL, RL_BRANCH, R_DB,
	    "{\"allOf\":[" S_ORG ",{\"type\":\"object\",\"properties\":"
	    "{\"members\":" S_ARRAY(S_MEMBER) "}}]}" },
	{ "POST", "/organization/check-slug", "organization/check-slug",
	    parse_slug, check_slug, SESS_REQUIRED, RL_BRANCH, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"status\":{\"type\":"
	    "\"boolean\"}}}" },
	{ "POST", "/organization/update", "organization/update", parse_update,
	    update, SESS_OPTIONAL, RL_BRANCH, R_DB, S_NULLABLE(S_ORG) },
	{ "POST", "/organization/delete", "organization/delete", parse_org_id,
	    delete_org, SESS_OPTIONAL, RL_BRANCH, R_DB, S_ORG },
	{ "GET", "/organization/get-organization",
	    "organization/get-organization", parse_get, get_org, SESS_REQUIRED,
	    RL_BRANCH, R_DB, S_NULLABLE(S_ORG) },
	{ "GET", "/organization/get-full-organization",
	    "organization/get-full-organization", parse_get, get_full,
	    SESS_REQUIRED, RL_BRANCH, R_DB,
	    S_NULLABLE("{\"allOf\":[" S_ORG ",{\"type\":\"object\","
	    "\"properties\":{\"invitations\":" S_ARRAY(S_INVITATION) ","
	    "\"members\":" S_ARRAY(S_MEMBER) "}}]}") },
	{ "POST", "/organization/set-active", "organization/set-active",
	    parse_set_active, set_active_org, SESS_REQUIRED, RL_BRANCH, R_DB,
	    S_NULLABLE(S_ORG) },
	{ "GET", "/organization/list", "organization/list", NULL, list_orgs,
	    SESS_REQUIRED, RL_BRANCH, R_DB, S_ARRAY(S_ORG) },
	{ "POST", "/organization/invite-member", "organization/invite-member",
	    parse_invite, invite, SESS_REQUIRED, RL_BRANCH, R_DB,
	    S_INVITATION },
	{ "POST", "/organization/accept-invitation",
	    "organization/accept-invitation", parse_invitation_id,
	    accept_invitation, SESS_REQUIRED, RL_BRANCH, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"invitation\":"
	    S_INVITATION ",\"member\":" S_MEMBER "}}" },
	{ "POST", "/organization/reject-invitation",
	    "organization/reject-invitation", parse_invitation_id,
	    reject_invitation, SESS_REQUIRED, RL_BRANCH, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"invitation\":"
	    S_NULLABLE(S_INVITATION) ",\"member\":{\"type\":\"null\"}}}" },
	{ "POST", "/organization/cancel-invitation",
	    "organization/cancel-invitation", parse_invitation_id,
	    cancel_invitation, SESS_REQUIRED, RL_BRANCH, R_DB,
	    S_NULLABLE(S_INVITATION) },
	{ "GET", "/organization/get-invitation", "organization/get-invitation",
	    parse_get_invitation, get_invitation, SESS_OPTIONAL, RL_BRANCH,
	    R_DB, "{\"allOf\":[" S_INVITATION ",{\"type\":\"object\","
	    "\"properties\":{\"organizationName\":{\"type\":\"string\"},"
	    "\"organizationSlug\":{\"type\":\"string\"},\"inviterEmail\":"
	    "{\"type\":\"string\"}}}]}" },
	{ "GET", "/organization/list-invitations",
	    "organization/list-invitations", parse_list_invitations,
	    list_invitations, SESS_REQUIRED, RL_BRANCH, R_DB,
	    S_ARRAY(S_INVITATION) },
	{ "GET", "/organization/list-user-invitations",
	    "organization/list-user-invitations", parse_list_user_invitations,
	    list_user_invitations, SESS_OPTIONAL, RL_BRANCH, R_DB,
	    S_ARRAY("{\"allOf\":[" S_INVITATION ",{\"type\":\"object\","
	    "\"properties\":{\"organizationName\":{\"type\":\"string\"}}}]}") },
	{ "POST", "/organization/remove-member", "organization/remove-member",
	    parse_remove, remove_member, SESS_REQUIRED, RL_BRANCH, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"member\":" S_MEMBER "}}" },
	{ "POST", "/organization/update-member-role",
	    "organization/update-member-role", parse_update_role,
	    update_member_role, SESS_REQUIRED, RL_BRANCH, R_DB, S_MEMBER },
	{ "GET", "/organization/get-active-member",
	    "organization/get-active-member", NULL, get_active_member,
	    SESS_REQUIRED, RL_BRANCH, R_DB, S_MEMBER },
	{ "GET", "/organization/get-active-member-role",
	    "organization/get-active-member-role", parse_active_role,
	    get_active_member_role, SESS_REQUIRED, RL_BRANCH, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"role\":{\"type\":"
	    "\"string\"}}}" },
	{ "GET", "/organization/list-members", "organization/list-members",
	    parse_list_members, list_members, SESS_REQUIRED, RL_BRANCH, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"members\":"
	    S_ARRAY(S_MEMBER) ",\"total\":{\"type\":\"integer\"}}}" },
	{ "POST", "/organization/leave", "organization/leave", parse_org_id,
	    leave, SESS_REQUIRED, RL_BRANCH, R_DB, S_MEMBER },
	{ "POST", "/organization/has-permission",
	    "organization/has-permission", parse_has_permission,
	    has_permission, SESS_REQUIRED, RL_BRANCH, R_DB,
	    "{\"type\":\"object\",\"properties\":{\"error\":{\"type\":"
	    "\"null\"},\"success\":{\"type\":\"boolean\"}}}" },
	{ NULL, NULL, NULL, NULL, NULL, SESS_NONE, RL_BRANCH, 0, NULL }
};

const struct api_group api_organization_group = { "organization", routes,
	org_enabled, &org_settings_group };
