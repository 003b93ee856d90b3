-- 013_session_notify.sql -- every change to a session or to its user
-- notifies, so that the session cache the workers of a host share
-- (src/http/sesscache.c) never answers from a row that changed.
--
-- NOTIFY neon_auth_session, payload the user's id, after every UPDATE or
-- DELETE of a session row (sign-out, revoke, expiry refresh, the purge)
-- and of a user row (update-user, ban, delete), and of an account row
-- (a password change, an unlinked or relinked provider) -- whoever made
-- it: the endpoints, `neon-authd user`, or plain SQL.  A new session
-- needs none (nothing can be cached for a token that did not exist).
-- TRUNCATE of either table notifies with an empty
-- payload: every worker then trusts no entry of the branch read before.
-- Workers drain the channel at the start of each request, and the
-- committing worker drains its own before it answers.  PostgreSQL folds
-- identical notifications of one transaction into one.
--
-- Idempotent; no BEGIN/COMMIT (see 001_neon_auth.sql).

CREATE OR REPLACE FUNCTION "neon_auth"."notify_session"()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
	IF TG_LEVEL = 'STATEMENT' THEN
		PERFORM pg_notify('neon_auth_session', '');
	ELSIF TG_TABLE_NAME IN ('session', 'account') THEN
		PERFORM pg_notify('neon_auth_session', OLD."userId"::text);
		IF TG_OP = 'UPDATE' AND NEW."userId" <> OLD."userId" THEN
			PERFORM pg_notify('neon_auth_session',
			    NEW."userId"::text);
		END IF;
	ELSE
		PERFORM pg_notify('neon_auth_session', OLD."id"::text);
		IF TG_OP = 'UPDATE' AND NEW."id" <> OLD."id" THEN
			PERFORM pg_notify('neon_auth_session',
			    NEW."id"::text);
		END IF;
	END IF;
	RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS "session_change_notify" ON "neon_auth"."session";
CREATE TRIGGER "session_change_notify"
	AFTER UPDATE OR DELETE ON "neon_auth"."session"
	FOR EACH ROW EXECUTE FUNCTION "neon_auth"."notify_session"();
DROP TRIGGER IF EXISTS "session_truncate_notify" ON "neon_auth"."session";
CREATE TRIGGER "session_truncate_notify"
	AFTER TRUNCATE ON "neon_auth"."session"
	FOR EACH STATEMENT EXECUTE FUNCTION "neon_auth"."notify_session"();
DROP TRIGGER IF EXISTS "user_change_notify" ON "neon_auth"."user";
CREATE TRIGGER "user_change_notify"
	AFTER UPDATE OR DELETE ON "neon_auth"."user"
	FOR EACH ROW EXECUTE FUNCTION "neon_auth"."notify_session"();
DROP TRIGGER IF EXISTS "user_truncate_notify" ON "neon_auth"."user";
CREATE TRIGGER "user_truncate_notify"
	AFTER TRUNCATE ON "neon_auth"."user"
	FOR EACH STATEMENT EXECUTE FUNCTION "neon_auth"."notify_session"();
DROP TRIGGER IF EXISTS "account_change_notify" ON "neon_auth"."account";
CREATE TRIGGER "account_change_notify"
	AFTER UPDATE OR DELETE ON "neon_auth"."account"
	FOR EACH ROW EXECUTE FUNCTION "neon_auth"."notify_session"();
