-- 012_jwks_auth_url.sql -- the Auth URL each signing key was made for.
--
-- A copy of a database (a preview branch, a restore, CREATE DATABASE ...
-- TEMPLATE) carries the jwks rows of its parent.  neon-authd records here
-- the Auth URL a key was created (or first served) for, signs only with
-- keys of the Auth URL it serves, and when a database is first served
-- under another Auth URL it starts a new key set there: the parent's keys
-- stay in that database's JWKS for one token lifetime and never sign
-- again (README, "Signing keys and database copies").  A key without a
-- row here -- made before this migration, by Better Auth, or by
-- `neon-authd keys rotate` -- is claimed by the first Auth URL that signs.
-- A table of its own: neon_auth.jwks stays Better Auth's (spec neon.md
-- §2.1); a row goes with its key.
--
-- Idempotent; no BEGIN/COMMIT (see 001_neon_auth.sql).

CREATE TABLE IF NOT EXISTS "neon_auth"."jwks_auth_url" (
	"keyId"   uuid PRIMARY KEY
	          REFERENCES "neon_auth"."jwks" ("id") ON DELETE CASCADE,
	"authUrl" text NOT NULL
);
CREATE INDEX IF NOT EXISTS "jwks_auth_url_authUrl_idx"
	ON "neon_auth"."jwks_auth_url" ("authUrl");
