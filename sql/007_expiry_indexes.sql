-- 007_expiry_indexes.sql -- indexes on the expiry of sessions and
-- verification rows, so that `neon-authd purge` deletes expired rows in
-- small batches without scanning the tables, and the status page counts
-- them cheaply.  Idempotent; no BEGIN/COMMIT (db_migrate wraps the file).

CREATE INDEX IF NOT EXISTS "session_expiresAt_idx"
	ON "neon_auth"."session" ("expiresAt");
CREATE INDEX IF NOT EXISTS "verification_expiresAt_idx"
	ON "neon_auth"."verification" ("expiresAt");
