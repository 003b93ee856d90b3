-- 009_admin.sql -- the admin plugin (spec protocol.md §11.1): bans that reach
-- every worker at once, and the indexes list-users needs on a large table.
--
-- Bans and deletions notify.  When a user's "banned" is set to true (its
-- "banExpires" too, so a ban renewed is heard again), or the user is
-- deleted, the row's trigger sends NOTIFY neon_auth_revoke with the user's
-- id as payload -- whoever made the change: the admin endpoints,
-- `neon-authd user`, or plain SQL.  Workers drain it at the start of each
-- request (no round trip) and stop trusting that user's session_data
-- cookie-cache cookies (src/http/revoke.c, src/auth/session.c): the next
-- request reads the database, where the ban has deleted the sessions.
--
-- list-users (README "Administration"):
--   "createdAt", id       the default order, and stable paging by offset
--   email, name           text_pattern_ops: a starts_with search (LIKE
--                         'abc%') uses the index whatever the collation
-- contains and ends_with have no btree to use; a trigram index
-- (CREATE EXTENSION pg_trgm; ... USING gin (email gin_trgm_ops)) is the
-- operator's choice, not made here.
--
-- Idempotent; no BEGIN/COMMIT (see 001_neon_auth.sql).  The indexes are
-- built under a lock that blocks writes to "user" while they are made.

CREATE OR REPLACE FUNCTION "neon_auth"."notify_revoke"()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		PERFORM pg_notify('neon_auth_revoke', OLD."id"::text);
	ELSE
		PERFORM pg_notify('neon_auth_revoke', NEW."id"::text);
	END IF;
	RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS "user_ban_notify" ON "neon_auth"."user";
CREATE TRIGGER "user_ban_notify"
	AFTER UPDATE OF "banned", "banExpires" ON "neon_auth"."user"
	FOR EACH ROW WHEN (NEW."banned" IS TRUE)
	EXECUTE FUNCTION "neon_auth"."notify_revoke"();
DROP TRIGGER IF EXISTS "user_delete_notify" ON "neon_auth"."user";
CREATE TRIGGER "user_delete_notify"
	AFTER DELETE ON "neon_auth"."user"
	FOR EACH ROW EXECUTE FUNCTION "neon_auth"."notify_revoke"();

CREATE INDEX IF NOT EXISTS "user_createdAt_id_idx"
	ON "neon_auth"."user" ("createdAt", "id");
CREATE INDEX IF NOT EXISTS "user_email_pattern_idx"
	ON "neon_auth"."user" ("email" text_pattern_ops);
CREATE INDEX IF NOT EXISTS "user_name_pattern_idx"
	ON "neon_auth"."user" ("name" text_pattern_ops);
