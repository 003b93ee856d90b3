-- 010_webhooks.sql -- webhooks (neon.md §11) and the phone-number plugin
-- (neon.md §2.2, §3.3).
--
-- neon_auth.webhook_outbox holds the non-blocking events (user.created,
-- phone_number.verified), written in the transaction that made the change
-- and delivered later by the webhook sender (src/proc/webhooksend.c).
-- Every row carries the Auth URL of the branch that queued it: a sender
-- delivers only the rows of the Auth URL it serves, so a database copied
-- into another branch (another Auth URL) never delivers its parent's
-- events.  "payload" is the envelope, fixed at queue time (its event_id is
-- the row's id); it is signed afresh at each attempt.
--
-- "user"."phoneNumber" / "phoneNumberVerified" are the columns Better
-- Auth's phone-number plugin adds (unique number, E.164 text).
--
-- Idempotent; no BEGIN/COMMIT (see 001_neon_auth.sql).

CREATE TABLE IF NOT EXISTS "neon_auth"."webhook_outbox" (
	"id"           uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"auth_url"     text NOT NULL,
	"event_type"   text NOT NULL,
	"payload"      text NOT NULL,
	"attempts"     integer DEFAULT 0 NOT NULL,
	"next_at"      timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
	"last_error"   text,
	"created_at"   timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
	"delivered_at" timestamptz,
	"failed_at"    timestamptz
);

CREATE INDEX IF NOT EXISTS "webhook_outbox_due_idx"
	ON "neon_auth"."webhook_outbox" ("auth_url", "next_at")
	WHERE "delivered_at" IS NULL AND "failed_at" IS NULL;

ALTER TABLE "neon_auth"."user"
	ADD COLUMN IF NOT EXISTS "phoneNumber" text,
	ADD COLUMN IF NOT EXISTS "phoneNumberVerified" boolean;

CREATE UNIQUE INDEX IF NOT EXISTS "user_phoneNumber_key"
	ON "neon_auth"."user" ("phoneNumber");
