-- 015_host_cookies.sql -- __Host- cookie names for new branches (issue 12,
-- #13).  settings.cookies.style "host" gives an https Auth URL __Host-
-- names (Secure, Path=/, no Domain), which no sibling subdomain can set or
-- shadow; on an http Auth URL, and on a templated branch whose cookies
-- are scoped to its base path, it gives the "auto" names.
--
-- Only a branch nobody is signed in to takes it: one without any user
-- (a freshly migrated database).  A branch with users keeps its cookie
-- names, since new names would sign everyone out; a branch whose settings
-- already choose a style keeps it.  Existing branches opt in with
--   neon-authd config set BRANCH settings.cookies '{"style":"host"}'

UPDATE "neon_auth"."project_config"
SET "settings" = jsonb_set("settings", '{cookies}',
	CASE WHEN jsonb_typeof("settings"->'cookies') = 'object'
	     THEN "settings"->'cookies' ELSE '{}'::jsonb END
	|| '{"style": "host"}'::jsonb)
WHERE NOT COALESCE("settings"->'cookies' ? 'style', false)
  AND NOT EXISTS (SELECT 1 FROM "neon_auth"."user");

-- A row created later (the first request after the row was deleted, or a
-- database whose row is made by the daemon) starts the same way.
ALTER TABLE "neon_auth"."project_config"
	ALTER COLUMN "settings" SET DEFAULT '{"cookies": {"style": "host"}}'::jsonb;
