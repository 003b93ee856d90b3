/*
 * store_org.h -- the SQL for organizations, members and invitations
 * (neon_auth.organization, member, invitation; protocol.md §10), the
 * session's active organization, and the rows' wire JSON.
 *
 * Like store.h: (connection, arena, ...) in, records out, 1 found/done,
 * 0 not found, -1 on a database error.  Ids that are not uuids name
 * nothing (0, no query), as a string-id Better Auth finds no row.
 * Records hold wire text: ISO dates, uuids as strings, NULL for null.
 */
#ifndef NEON_AUTHD_STORE_ORG_H
#define NEON_AUTHD_STORE_ORG_H

#include <stdint.h>

#include "lib/arena.h"
#include "lib/json.h"

struct db_conn;

/* what the JWT's `o` claim carries (neon.md §7.2) */
struct org_claim {
	const char	*id;
	const char	*slug;
	const char	*role;
};

struct org_rec {
	const char	*id;
	const char	*name;
	const char	*slug;
	const char	*logo;		/* NULL = null */
	const char	*created_at;
	const char	*metadata;	/* the stored text; NULL = null */
};

struct member_rec {
	const char	*id;
	const char	*organization_id;
	const char	*user_id;
	const char	*role;
	const char	*created_at;
	/* the member's user (joined): {id, name, email, image} */
	const char	*user_name;
	const char	*user_email;
	const char	*user_image;	/* NULL = null */
};

struct invitation_rec {
	const char	*id;
	const char	*organization_id;
	const char	*email;
	const char	*role;		/* NULL = null */
	const char	*status;	/* pending accepted rejected canceled */
	const char	*expires_at;
	const char	*created_at;
	const char	*inviter_id;
	int64_t		 expires_ms;
	const char	*organization_name;	/* list-user-invitations */
};

/* which members list-members returns (the query already validated) */
enum member_col {
	MCOL_NONE = 0, MCOL_ID, MCOL_ORGANIZATION_ID, MCOL_USER_ID, MCOL_ROLE,
	MCOL_CREATED_AT
};
enum member_op {
	MOP_EQ = 0, MOP_NE, MOP_LT, MOP_LTE, MOP_GT, MOP_GTE, MOP_IN,
	MOP_NOT_IN, MOP_CONTAINS, MOP_STARTS_WITH, MOP_ENDS_WITH
};
struct member_query {
	const char		*organization_id;
	int64_t			 limit;		/* > 0 */
	int64_t			 offset;	/* >= 0 */
	enum member_col		 sort;		/* MCOL_NONE: by creation */
	int			 desc;
	enum member_col		 filter;	/* MCOL_NONE: no filter */
	enum member_op		 op;
	const char *const	*values;	/* the filter's value(s) */
	size_t			 nvalues;	/* 0: the value is undefined */
	int			 value_list;	/* given as a list */
};

/* the fields org update sets: each set_* says whether to touch it */
struct org_patch {
	int		 set_name, set_slug, set_logo, set_metadata;
	const char	*name, *slug, *logo, *metadata;
};

/*
 * store_org_claim: the organization org_id as user_id's membership sees
 * it.  1 found, 0 not a member (or no such organization), -1 on error.
 */
int	 store_org_claim(struct db_conn *c, struct arena *a, const char *org_id,
	    const char *user_id, struct org_claim *out);

/* ---- organizations */

/* store_org_get: by id, or by slug when by_slug. */
int	 store_org_get(struct db_conn *c, struct arena *a, const char *key,
	    int by_slug, struct org_rec *out);
/* store_org_list: the organizations user_id is a member of (*n of them). */
int	 store_org_list(struct db_conn *c, struct arena *a, const char *user_id,
	    struct org_rec **out, int *n);
/*
 * store_org_lock_user: lock the user's row for the transaction (one
 * organization limit check at a time per user).
 */
int	 store_org_lock_user(struct db_conn *c, struct arena *a,
	    const char *user_id);
/* store_org_lock: lock the organization's row for the transaction. */
int	 store_org_lock(struct db_conn *c, struct arena *a, const char *org_id);
/*
 * store_org_create: the organization and its creator's membership with
 * role; 0 when the slug is taken.  metadata is JSON text or NULL.
 */
int	 store_org_create(struct db_conn *c, struct arena *a, const char *name,
	    const char *slug, const char *logo, const char *metadata,
	    const char *user_id, const char *role, struct org_rec *org,
	    struct member_rec *member);
/* store_org_update: apply p; 0 when there is no such organization. */
int	 store_org_update(struct db_conn *c, struct arena *a, const char *id,
	    const struct org_patch *p, struct org_rec *out);
/*
 * store_org_delete: the organization, its members and invitations, and
 * it as any session's active organization.  0 when there was none.
 */
int	 store_org_delete(struct db_conn *c, struct arena *a, const char *id);

/* ---- the session's active organization */

/*
 * store_org_set_active: set (org_id NULL: clear) the session's active
 * organization; updatedAt moves, which renews its cached JWT.  The new
 * updatedAt in *updated_ms.  0 when the session is gone.
 */
int	 store_org_set_active(struct db_conn *c, struct arena *a,
	    const char *session_id, const char *org_id, int64_t *updated_ms);
/*
 * store_org_touch_sessions: move updatedAt of user_id's sessions whose
 * active organization is org_id (their cached `o` claim is stale).
 */
int	 store_org_touch_sessions(struct db_conn *c, struct arena *a,
	    const char *user_id, const char *org_id);

/* ---- members (each with its user) */

/* store_member_get: user_id's membership of org_id. */
int	 store_member_get(struct db_conn *c, struct arena *a,
	    const char *org_id, const char *user_id, struct member_rec *out);
/* store_member_by_id: the member row of that id, in any organization. */
int	 store_member_by_id(struct db_conn *c, struct arena *a, const char *id,
	    struct member_rec *out);
/* store_member_by_email: the membership of the user with that email. */
int	 store_member_by_email(struct db_conn *c, struct arena *a,
	    const char *org_id, const char *email, struct member_rec *out);
/* store_member_count: the organization's members. */
int	 store_member_count(struct db_conn *c, struct arena *a,
	    const char *org_id, int64_t *n);
/* store_member_role_count: members whose role list holds role. */
int	 store_member_role_count(struct db_conn *c, struct arena *a,
	    const char *org_id, const char *role, int64_t *n);
/*
 * store_member_list: the page of members q asks for (*n of them) and
 * how many match in all (*total).
 */
int	 store_member_list(struct db_conn *c, struct arena *a,
	    const struct member_query *q, struct member_rec **out, int *n,
	    int64_t *total);
/* store_member_create: a member of org_id with role; the row with its user. */
int	 store_member_create(struct db_conn *c, struct arena *a,
	    const char *org_id, const char *user_id, const char *role,
	    struct member_rec *out);
/* store_member_set_role: the member's new role list; 0 when it is gone. */
int	 store_member_set_role(struct db_conn *c, struct arena *a,
	    const char *id, const char *role, struct member_rec *out);
/* store_member_delete: 1 when the member row was there. */
int	 store_member_delete(struct db_conn *c, struct arena *a,
	    const char *id);

/* ---- invitations */

/* store_inv_create: a pending invitation that expires in ttl_s seconds. */
int	 store_inv_create(struct db_conn *c, struct arena *a,
	    const char *org_id, const char *email, const char *role,
	    const char *inviter_id, int64_t ttl_s, struct invitation_rec *out);
/* store_inv_get: the invitation of that id, whatever its status. */
int	 store_inv_get(struct db_conn *c, struct arena *a, const char *id,
	    struct invitation_rec *out);
/* store_inv_pending: the first unexpired pending invitation of email. */
int	 store_inv_pending(struct db_conn *c, struct arena *a,
	    const char *org_id, const char *email, struct invitation_rec *out);
/* store_inv_pending_count: the organization's unexpired pending ones. */
int	 store_inv_pending_count(struct db_conn *c, struct arena *a,
	    const char *org_id, int64_t *n);
/* store_inv_extend: expiresAt = now + ttl_s (a re-sent invitation). */
int	 store_inv_extend(struct db_conn *c, struct arena *a, const char *id,
	    int64_t ttl_s, struct invitation_rec *out);
/*
 * store_inv_set_status: set status, only from from_status when that is
 * not NULL; 0 when no row changed.
 */
int	 store_inv_set_status(struct db_conn *c, struct arena *a,
	    const char *id, const char *status, const char *from_status,
	    struct invitation_rec *out);
/* store_inv_list_org: every invitation of the organization. */
int	 store_inv_list_org(struct db_conn *c, struct arena *a,
	    const char *org_id, struct invitation_rec **out, int *n);
/*
 * store_inv_list_email: the pending invitations to email, each with its
 * organization's name.
 */
int	 store_inv_list_email(struct db_conn *c, struct arena *a,
	    const char *email, struct invitation_rec **out, int *n);

/* ---- wire JSON, in Better Auth's key order */

enum org_meta {
	ORG_META_RAW,		/* "metadata": the stored string, or null */
	ORG_META_PARSED,	/* the stored JSON itself; left out when null */
};
/*
 * org_write: an Organization; open leaves the object open for more
 * members (the caller closes it).
 */
void	 org_write(struct jbuf *b, const struct org_rec *o, enum org_meta how,
	    int open);
/* member_write: a Member, with its "user" when with_user. */
void	 member_write(struct jbuf *b, const struct member_rec *m,
	    int with_user);
/* invitation_write: an Invitation; open as for org_write. */
void	 invitation_write(struct jbuf *b, const struct invitation_rec *i,
	    int open);

#endif
