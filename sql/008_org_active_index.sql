-- 008_org_active_index.sql -- sessions by their active organization.
--
-- Deleting an organization clears it as every session's active one
-- (UPDATE ... WHERE "activeOrganizationId" = $1); without an index that is
-- a scan of all sessions.  Partial: most sessions have no active
-- organization, and those cost the index nothing.
--
-- Idempotent; no BEGIN/COMMIT (see 001_neon_auth.sql).

CREATE INDEX IF NOT EXISTS "session_activeOrganizationId_idx"
	ON "neon_auth"."session" ("activeOrganizationId")
	WHERE "activeOrganizationId" IS NOT NULL;
