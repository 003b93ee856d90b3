-- 001_neon_auth.sql -- the neon_auth schema, compatible with Neon Auth.
--
-- Tables, columns, types, defaults, unique constraints and indexes follow
-- spec/neon.md §2.1 exactly: uuid ids (gen_random_uuid()), timestamptz,
-- camelCase quoted columns, every foreign key ON DELETE CASCADE.
-- project_config keeps Neon's snake_case columns (spec/neon.md §9.2) plus
-- one neon-authd column, settings jsonb (DESIGN.md "Branch settings").
--
-- Invariants:
--   * project_config holds at most one row (unique index on a constant);
--     this migration inserts that row with the defaults of a fresh Neon
--     branch (spec/neon.md §9.3), so a new branch works at once.
--   * Any change to project_config sends NOTIFY neon_auth_config, any change
--     to jwks sends NOTIFY neon_auth_jwks, once per statement; workers drain
--     these at the start of each request (DESIGN.md step 4).
--   * Every object is created IF NOT EXISTS, so a database that already has
--     Neon's neon_auth schema is adopted in place rather than rejected.
--
-- Applied by `neon-authd migrate` (db_migrate in src/db.c), inside one
-- transaction; the file may also be applied by hand with
-- `psql -1 -v ON_ERROR_STOP=1 -f`.  It must not contain BEGIN/COMMIT.

-- gen_random_uuid() is built in from PostgreSQL 13; older servers get it
-- from pgcrypto.
DO $$
BEGIN
	IF to_regprocedure('pg_catalog.gen_random_uuid()') IS NULL THEN
		CREATE EXTENSION IF NOT EXISTS pgcrypto;
	END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS "neon_auth";

-- Migration ledger, also created by db_migrate before the first file runs.
CREATE TABLE IF NOT EXISTS "neon_auth"."schema_migrations" (
	"version"    integer PRIMARY KEY,
	"name"       text,
	"applied_at" timestamptz DEFAULT now()
);

CREATE TABLE IF NOT EXISTS "neon_auth"."user" (
	"id"            uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name"          text NOT NULL,
	"email"         text NOT NULL,
	"emailVerified" boolean NOT NULL,
	"image"         text,
	"createdAt"     timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
	"updatedAt"     timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
	"role"          text,
	"banned"        boolean,
	"banReason"     text,
	"banExpires"    timestamptz,
	CONSTRAINT "user_email_key" UNIQUE ("email")
);

CREATE TABLE IF NOT EXISTS "neon_auth"."session" (
	"id"                   uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"expiresAt"            timestamptz NOT NULL,
	"token"                text NOT NULL,
	"createdAt"            timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
	"updatedAt"            timestamptz NOT NULL,
	"ipAddress"            text,
	"userAgent"            text,
	"userId"               uuid NOT NULL,
	"impersonatedBy"       text,
	"activeOrganizationId" text,
	CONSTRAINT "session_token_key" UNIQUE ("token"),
	CONSTRAINT "session_userId_fkey" FOREIGN KEY ("userId")
	    REFERENCES "neon_auth"."user" ("id") ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS "neon_auth"."account" (
	"id"                    uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"accountId"             text NOT NULL,
	"providerId"            text NOT NULL,
	"userId"                uuid NOT NULL,
	"accessToken"           text,
	"refreshToken"          text,
	"idToken"               text,
	"accessTokenExpiresAt"  timestamptz,
	"refreshTokenExpiresAt" timestamptz,
	"scope"                 text,
	"password"              text,
	"createdAt"             timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
	"updatedAt"             timestamptz NOT NULL,
	CONSTRAINT "account_userId_fkey" FOREIGN KEY ("userId")
	    REFERENCES "neon_auth"."user" ("id") ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS "neon_auth"."verification" (
	"id"         uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"identifier" text NOT NULL,
	"value"      text NOT NULL,
	"expiresAt"  timestamptz NOT NULL,
	"createdAt"  timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
	"updatedAt"  timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL
);

-- No alg/crv columns (Better Auth 1.4.x, spec/neon.md §2.3); id is the kid.
CREATE TABLE IF NOT EXISTS "neon_auth"."jwks" (
	"id"         uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"publicKey"  text NOT NULL,
	"privateKey" text NOT NULL,
	"createdAt"  timestamptz NOT NULL,
	"expiresAt"  timestamptz
);

CREATE TABLE IF NOT EXISTS "neon_auth"."organization" (
	"id"        uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name"      text NOT NULL,
	"slug"      text NOT NULL,
	"logo"      text,
	"createdAt" timestamptz NOT NULL,
	"metadata"  text,
	CONSTRAINT "organization_slug_key" UNIQUE ("slug")
);

CREATE TABLE IF NOT EXISTS "neon_auth"."member" (
	"id"             uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organizationId" uuid NOT NULL,
	"userId"         uuid NOT NULL,
	"role"           text NOT NULL,
	"createdAt"      timestamptz NOT NULL,
	CONSTRAINT "member_organizationId_fkey" FOREIGN KEY ("organizationId")
	    REFERENCES "neon_auth"."organization" ("id") ON DELETE CASCADE,
	CONSTRAINT "member_userId_fkey" FOREIGN KEY ("userId")
	    REFERENCES "neon_auth"."user" ("id") ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS "neon_auth"."invitation" (
	"id"             uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organizationId" uuid NOT NULL,
	"email"          text NOT NULL,
	"role"           text,
	"status"         text NOT NULL,
	"expiresAt"      timestamptz NOT NULL,
	"createdAt"      timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
	"inviterId"      uuid NOT NULL,
	CONSTRAINT "invitation_organizationId_fkey" FOREIGN KEY ("organizationId")
	    REFERENCES "neon_auth"."organization" ("id") ON DELETE CASCADE,
	CONSTRAINT "invitation_inviterId_fkey" FOREIGN KEY ("inviterId")
	    REFERENCES "neon_auth"."user" ("id") ON DELETE CASCADE
);

-- The branch's auth configuration: Neon's columns (name and endpoint_id
-- default to the database name, which is what a self-hosted branch is
-- called) plus settings, neon-authd's own keys (DESIGN.md).
CREATE TABLE IF NOT EXISTS "neon_auth"."project_config" (
	"id"                 uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name"               text DEFAULT current_database() NOT NULL,
	"endpoint_id"        text DEFAULT current_database() NOT NULL,
	"created_at"         timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
	"updated_at"         timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
	"trusted_origins"    jsonb DEFAULT '[]'::jsonb NOT NULL,
	"social_providers"   jsonb DEFAULT '[]'::jsonb NOT NULL,
	"email_provider"     jsonb,
	"email_and_password" jsonb,
	"allow_localhost"    boolean DEFAULT true NOT NULL,
	"plugin_configs"     jsonb,
	"webhook_config"     jsonb,
	CONSTRAINT "project_config_endpoint_id_key" UNIQUE ("endpoint_id")
);
-- Columns Neon added after launch, and ours, when adopting an older schema.
ALTER TABLE "neon_auth"."project_config"
	ADD COLUMN IF NOT EXISTS "plugin_configs" jsonb,
	ADD COLUMN IF NOT EXISTS "webhook_config" jsonb,
	ADD COLUMN IF NOT EXISTS "settings" jsonb DEFAULT '{}'::jsonb NOT NULL;

-- One row per branch: a unique index on a constant admits a single row.
CREATE UNIQUE INDEX IF NOT EXISTS "project_config_singleton_uidx"
	ON "neon_auth"."project_config" ((true));

CREATE INDEX IF NOT EXISTS "session_userId_idx"
	ON "neon_auth"."session" ("userId");
CREATE INDEX IF NOT EXISTS "account_userId_idx"
	ON "neon_auth"."account" ("userId");
CREATE INDEX IF NOT EXISTS "verification_identifier_idx"
	ON "neon_auth"."verification" ("identifier");
CREATE UNIQUE INDEX IF NOT EXISTS "organization_slug_uidx"
	ON "neon_auth"."organization" ("slug");
CREATE INDEX IF NOT EXISTS "member_organizationId_idx"
	ON "neon_auth"."member" ("organizationId");
CREATE INDEX IF NOT EXISTS "member_userId_idx"
	ON "neon_auth"."member" ("userId");
CREATE INDEX IF NOT EXISTS "invitation_email_idx"
	ON "neon_auth"."invitation" ("email");
CREATE INDEX IF NOT EXISTS "invitation_organizationId_idx"
	ON "neon_auth"."invitation" ("organizationId");
-- neon-authd addition (not in Neon's dump): OAuth sign-in looks accounts up
-- by provider and provider-side id.
CREATE INDEX IF NOT EXISTS "account_providerId_accountId_idx"
	ON "neon_auth"."account" ("providerId", "accountId");

-- Change notifications.  The payload is the operation in lower case
-- ("insert", "update", "delete", "truncate"); listeners only need the channel.
CREATE OR REPLACE FUNCTION "neon_auth"."notify_config"()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
	PERFORM pg_notify('neon_auth_config', lower(TG_OP));
	RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION "neon_auth"."notify_jwks"()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
	PERFORM pg_notify('neon_auth_jwks', lower(TG_OP));
	RETURN NULL;
END
$$;

-- updated_at follows every change made with SQL, not only ours.
CREATE OR REPLACE FUNCTION "neon_auth"."touch_updated_at"()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
	NEW."updated_at" := CURRENT_TIMESTAMP;
	RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS "project_config_notify" ON "neon_auth"."project_config";
CREATE TRIGGER "project_config_notify"
	AFTER INSERT OR UPDATE OR DELETE ON "neon_auth"."project_config"
	FOR EACH STATEMENT EXECUTE FUNCTION "neon_auth"."notify_config"();
DROP TRIGGER IF EXISTS "project_config_notify_truncate" ON "neon_auth"."project_config";
CREATE TRIGGER "project_config_notify_truncate"
	AFTER TRUNCATE ON "neon_auth"."project_config"
	FOR EACH STATEMENT EXECUTE FUNCTION "neon_auth"."notify_config"();
DROP TRIGGER IF EXISTS "project_config_touch" ON "neon_auth"."project_config";
CREATE TRIGGER "project_config_touch"
	BEFORE UPDATE ON "neon_auth"."project_config"
	FOR EACH ROW EXECUTE FUNCTION "neon_auth"."touch_updated_at"();

DROP TRIGGER IF EXISTS "jwks_notify" ON "neon_auth"."jwks";
CREATE TRIGGER "jwks_notify"
	AFTER INSERT OR UPDATE OR DELETE ON "neon_auth"."jwks"
	FOR EACH STATEMENT EXECUTE FUNCTION "neon_auth"."notify_jwks"();
DROP TRIGGER IF EXISTS "jwks_notify_truncate" ON "neon_auth"."jwks";
CREATE TRIGGER "jwks_notify_truncate"
	AFTER TRUNCATE ON "neon_auth"."jwks"
	FOR EACH STATEMENT EXECUTE FUNCTION "neon_auth"."notify_jwks"();

-- The branch's configuration row, with the defaults of a fresh Neon branch
-- (spec/neon.md §9.3).  Neon's shared Google/GitHub credentials belong to
-- Neon, so no OAuth provider is enabled until one is configured.
INSERT INTO "neon_auth"."project_config" (
	"trusted_origins", "social_providers", "email_provider",
	"email_and_password", "allow_localhost", "plugin_configs",
	"webhook_config", "settings")
SELECT
	'[]'::jsonb,
	'[]'::jsonb,
	'{"type": "shared"}'::jsonb,
	'{"enabled": true, "email_verification_method": "otp",
	  "require_email_verification": false, "disable_sign_up": false}'::jsonb,
	true,
	'{"organization": {"enabled": true, "organization_limit": 10,
	                   "membership_limit": 100, "creator_role": "owner",
	                   "send_invitation_email": false},
	  "magic-link": {"enabled": false, "expires_in": 5,
	                 "disable_sign_up": false},
	  "phone-number": {"enabled": false, "otp_expires_in": 300}}'::jsonb,
	'{"enabled": false, "enabled_events": [], "timeout_seconds": 5}'::jsonb,
	'{}'::jsonb
WHERE NOT EXISTS (SELECT 1 FROM "neon_auth"."project_config");
