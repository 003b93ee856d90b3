-- 005_audit_columns.sql -- what each audit row records (README "Audit trail"):
--
--   session_id  the session the event happened in (sign-out, revocation...)
--   actor_id    who did it when that is not user_id (an admin, an
--               impersonator, the CLI: NULL with data.via = 'cli')
--   ip          the client's address (the one trusted-proxy rule)
--   user_agent  the client's User-Agent
--   outcome     'success', or the failure's Better Auth code
--               ('INVALID_EMAIL_OR_PASSWORD', 'BANNED_USER', ...)
--
-- No foreign keys: the trail outlives the users and sessions it names.
-- Idempotent; no BEGIN/COMMIT (see 001_neon_auth.sql).

ALTER TABLE "neon_auth"."audit_log"
	ADD COLUMN IF NOT EXISTS "session_id" uuid,
	ADD COLUMN IF NOT EXISTS "actor_id" uuid,
	ADD COLUMN IF NOT EXISTS "ip" text DEFAULT '' NOT NULL,
	ADD COLUMN IF NOT EXISTS "user_agent" text DEFAULT '' NOT NULL,
	ADD COLUMN IF NOT EXISTS "outcome" text DEFAULT 'success' NOT NULL;

CREATE INDEX IF NOT EXISTS "audit_log_ip_at_idx"
	ON "neon_auth"."audit_log" ("ip", "at");

-- failed sign-ins per client address in the last hour
CREATE OR REPLACE VIEW "neon_auth"."failed_sign_ins_last_hour" AS
	SELECT "ip", count(*) AS "failures", max("at") AS "last_at"
	FROM "neon_auth"."audit_log"
	WHERE "event" = 'sign_in' AND "outcome" <> 'success'
	    AND "at" > now() - interval '1 hour'
	GROUP BY "ip";
