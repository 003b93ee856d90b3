-- 012_jwks_auth_url.sql -- the Auth URL each signing key was made for.
--
-- A copy of a database (a preview branch, a restore, CREATE DATABASE ...
-- TEMPLATE) carries the jwks rows of its parent.  neon-authd records in
-- "authUrl" the Auth URL a key was created (or first served) for, signs
-- only with keys of the Auth URL it serves, and when a database is first
-- served under another Auth URL it starts a new key set there: the
-- parent's keys stay in that database's JWKS for one token lifetime and
-- never sign again (README, "Signing keys and database copies").  NULL: a
-- key made before this migration, by Better Auth, or by `neon-authd keys
-- rotate`; the first Auth URL that signs claims it.  Better Auth ignores
-- the column.
--
-- Idempotent; no BEGIN/COMMIT (see 001_neon_auth.sql).

ALTER TABLE "neon_auth"."jwks" ADD COLUMN IF NOT EXISTS "authUrl" text;
