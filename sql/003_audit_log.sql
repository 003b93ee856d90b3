-- 003_audit_log.sql -- the audit trail of auth events.
--
-- One row per event (sign-up, sign-in, sign-out, password change, key
-- rotation...), written in the same transaction as the event itself, so a
-- rolled-back event leaves no trace and a committed one always has its row.
-- neon-authd's own table, so snake_case like project_config.
--
--   event    dotted event name, e.g. 'session.create', 'user.delete'
--   user_id  the user concerned, if any; no foreign key, so the trail
--            outlives the user it describes
--   at       when (transaction time)
--   data     event details (ip address, user agent, provider...); never a
--            token, password, OTP or cookie
--
-- Idempotent; no BEGIN/COMMIT (see 001_neon_auth.sql).

CREATE TABLE IF NOT EXISTS "neon_auth"."audit_log" (
	"id"      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	"event"   text NOT NULL,
	"user_id" uuid,
	"at"      timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
	"data"    jsonb DEFAULT '{}'::jsonb NOT NULL
);

CREATE INDEX IF NOT EXISTS "audit_log_user_id_at_idx"
	ON "neon_auth"."audit_log" ("user_id", "at");
CREATE INDEX IF NOT EXISTS "audit_log_at_idx"
	ON "neon_auth"."audit_log" ("at");
