-- 006_import.sql -- what `neon-authd import` keeps (README "Moving in and out"):
--
--   import_id_map  for every imported row, its id in the source database and the
--                  uuid it has here, so that a rerun updates the same rows and the
--                  application can translate its own foreign keys
--                  (`neon-authd import map` prints the SQL for a table and column).
--                  source names the source database: '<kind>:<database>/<schema>'.
--   user_metadata  what a source keeps about a user that neon_auth.user has no
--                  column for (Supabase Auth's raw_user_meta_data and
--                  raw_app_meta_data, phone), per user.
--
-- Idempotent; no BEGIN/COMMIT (see 001_neon_auth.sql).

CREATE TABLE IF NOT EXISTS "neon_auth"."import_id_map" (
	"source"      text NOT NULL,
	"kind"        text NOT NULL,
	"source_id"   text NOT NULL,
	"id"          uuid NOT NULL,
	"imported_at" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
	PRIMARY KEY ("source", "kind", "source_id")
);
CREATE INDEX IF NOT EXISTS "import_id_map_kind_id_idx"
	ON "neon_auth"."import_id_map" ("kind", "id");

CREATE TABLE IF NOT EXISTS "neon_auth"."user_metadata" (
	"user_id"            uuid PRIMARY KEY
	    REFERENCES "neon_auth"."user" ("id") ON DELETE CASCADE,
	"source"             text NOT NULL,
	"user_metadata"      jsonb DEFAULT '{}'::jsonb NOT NULL,
	"app_metadata"       jsonb DEFAULT '{}'::jsonb NOT NULL,
	"phone"              text,
	"phone_confirmed_at" timestamptz,
	"updated_at"         timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL
);

-- an account by its provider and provider account id: the import's match, and a social
-- sign-in's lookup of a returning user
CREATE INDEX IF NOT EXISTS "account_providerId_accountId_idx"
	ON "neon_auth"."account" ("providerId", "accountId");
