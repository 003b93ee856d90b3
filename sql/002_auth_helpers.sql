-- 002_auth_helpers.sql -- SQL helpers for row-level security, schema auth.
--
-- Same names, types and results as pg_session_jwt's fallback mode
-- (spec/neon.md §12.2): the claims come from the GUC request.jwt.claims,
-- which PostgREST (and the Neon Data API) set per request from a JWT they
-- have already verified.  Nothing here verifies a signature.
--
--   auth.session(), auth.jwt()  jsonb  the claims (NULL when none are set)
--   auth.user_id()              text   the "sub" claim
--   auth.uid()                  uuid   "sub" as uuid, NULL when not a uuid
--   auth.organization()         jsonb  the "o" claim {"id","slug","role"}
--   auth.organization_id()      uuid   o.id as uuid, NULL when not a uuid
--
-- When the pg_session_jwt extension is installed it owns these functions
-- and this file leaves them alone.  The Data API roles authenticated and
-- anonymous (spec/neon.md §12.1) are created NOLOGIN when missing and when
-- the migrating role may create roles; they get nothing in neon_auth.
--
-- Idempotent; no BEGIN/COMMIT (see 001_neon_auth.sql).

CREATE SCHEMA IF NOT EXISTS "auth";

DO $do$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension
	    WHERE extname = 'pg_session_jwt') THEN
		RAISE NOTICE 'pg_session_jwt is installed: keeping its auth.* functions';
		RETURN;
	END IF;

	EXECUTE $fn$
	CREATE OR REPLACE FUNCTION "auth"."session"()
	RETURNS jsonb
	LANGUAGE sql STABLE PARALLEL SAFE
	SET search_path = pg_catalog
	AS $$
		SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb
	$$
	$fn$;

	EXECUTE $fn$
	CREATE OR REPLACE FUNCTION "auth"."jwt"()
	RETURNS jsonb
	LANGUAGE sql STABLE PARALLEL SAFE
	SET search_path = pg_catalog
	AS $$
		SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb
	$$
	$fn$;

	EXECUTE $fn$
	CREATE OR REPLACE FUNCTION "auth"."user_id"()
	RETURNS text
	LANGUAGE sql STABLE PARALLEL SAFE
	SET search_path = pg_catalog
	AS $$
		SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb
		    ->> 'sub'
	$$
	$fn$;

	EXECUTE $fn$
	CREATE OR REPLACE FUNCTION "auth"."uid"()
	RETURNS uuid
	LANGUAGE sql STABLE PARALLEL SAFE
	SET search_path = pg_catalog
	AS $$
		SELECT CASE WHEN s ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
		    THEN s::uuid END
		FROM (SELECT nullif(current_setting('request.jwt.claims', true),
		    '')::jsonb ->> 'sub' AS s) AS c
	$$
	$fn$;

	EXECUTE $fn$
	CREATE OR REPLACE FUNCTION "auth"."organization"()
	RETURNS jsonb
	LANGUAGE sql STABLE PARALLEL SAFE
	SET search_path = pg_catalog
	AS $$
		SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb
		    -> 'o'
	$$
	$fn$;

	EXECUTE $fn$
	CREATE OR REPLACE FUNCTION "auth"."organization_id"()
	RETURNS uuid
	LANGUAGE sql STABLE PARALLEL SAFE
	SET search_path = pg_catalog
	AS $$
		SELECT CASE WHEN s ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
		    THEN s::uuid END
		FROM (SELECT nullif(current_setting('request.jwt.claims', true),
		    '')::jsonb -> 'o' ->> 'id' AS s) AS c
	$$
	$fn$;
END
$do$;

-- The Data API roles.  Roles are cluster-wide; a migrating role without
-- CREATEROLE gets a notice instead of a failed migration.
DO $do$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles
	    WHERE rolname = 'authenticated') THEN
		BEGIN
			CREATE ROLE "authenticated" NOLOGIN;
		EXCEPTION WHEN insufficient_privilege OR duplicate_object THEN
			RAISE NOTICE 'role authenticated not created: %', SQLERRM;
		END;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles
	    WHERE rolname = 'anonymous') THEN
		BEGIN
			CREATE ROLE "anonymous" NOLOGIN;
		EXCEPTION WHEN insufficient_privilege OR duplicate_object THEN
			RAISE NOTICE 'role anonymous not created: %', SQLERRM;
		END;
	END IF;
END
$do$;

-- Everyone may call the helpers (RLS policies run them as the querying
-- role); nobody but the owner gets anything in neon_auth.
GRANT USAGE ON SCHEMA "auth" TO PUBLIC;
REVOKE ALL ON SCHEMA "neon_auth" FROM PUBLIC;
