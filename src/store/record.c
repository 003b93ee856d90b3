/*
 * record.c -- the wire JSON of the store's records (see record.h).
 */
#include "store/record.h"

void
user_write(struct jbuf *b, const struct user_rec *u)
{
	jb_lit(b, "{\"name\":");
	jb_str(b, u->name);
	jb_lit(b, ",\"email\":");
	jb_str(b, u->email);
	jb_lit(b, ",\"emailVerified\":");
	jb_bool(b, u->email_verified);
	jb_lit(b, ",\"image\":");
	jb_str(b, u->image);
	jb_lit(b, ",\"createdAt\":");
	jb_str(b, u->created_at);
	jb_lit(b, ",\"updatedAt\":");
	jb_str(b, u->updated_at);
	jb_lit(b, ",\"role\":");
	jb_str(b, u->role);
	jb_lit(b, ",\"banned\":");
	if (u->banned < 0)
		jb_lit(b, "null");
	else
		jb_bool(b, u->banned);
	jb_lit(b, ",\"banReason\":");
	jb_str(b, u->ban_reason);
	jb_lit(b, ",\"banExpires\":");
	jb_str(b, u->ban_expires);
	jb_lit(b, ",\"id\":");
	jb_str(b, u->id);
	jb_lit(b, "}");
}

void
session_write(struct jbuf *b, const struct session_rec *s)
{
	jb_lit(b, "{\"expiresAt\":");
	jb_str(b, s->expires_at);
	jb_lit(b, ",\"token\":");
	jb_str(b, s->token);
	jb_lit(b, ",\"createdAt\":");
	jb_str(b, s->created_at);
	jb_lit(b, ",\"updatedAt\":");
	jb_str(b, s->updated_at);
	jb_lit(b, ",\"ipAddress\":");
	jb_str(b, s->ip_address ? s->ip_address : "");
	jb_lit(b, ",\"userAgent\":");
	jb_str(b, s->user_agent ? s->user_agent : "");
	jb_lit(b, ",\"userId\":");
	jb_str(b, s->user_id);
	jb_lit(b, ",\"impersonatedBy\":");
	jb_str(b, s->impersonated_by);
	jb_lit(b, ",\"activeOrganizationId\":");
	jb_str(b, s->active_organization_id);
	jb_lit(b, ",\"id\":");
	jb_str(b, s->id);
	jb_lit(b, "}");
}
