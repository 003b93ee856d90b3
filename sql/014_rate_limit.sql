-- 014_rate_limit.sql -- the rate limiter's counters in the database.
--
-- settings.rate_limit.storage "database" keeps Better Auth's rateLimit
-- model here (key, count, lastRequest in milliseconds since the epoch),
-- so that several neon-authd hosts in front of one database count every
-- client once (README "Running several hosts").  One row per limited key
-- ("<client address>|<path>"), written by one upsert per limited request
-- (src/store/store_ratelimit.c); times come from the database's clock, so
-- hosts with skewed clocks still agree.  The memory storage (the default)
-- never touches this table.
--
-- Idempotent; no BEGIN/COMMIT (see 001_neon_auth.sql).

CREATE TABLE IF NOT EXISTS "neon_auth"."rateLimit" (
	"id"          uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"key"         text NOT NULL,
	"count"       integer NOT NULL,
	"lastRequest" bigint NOT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS "rateLimit_key_idx"
	ON "neon_auth"."rateLimit" ("key");

-- Every limited request updates its row: with no index on the columns it
-- changes and room left in each page, those are HOT updates (no index
-- write).  Old rows (lastRequest older than the longest window, 1 day at
-- most) can be deleted by whoever cares to; that scan is rare and cheap
-- next to an index written on every request.
ALTER TABLE "neon_auth"."rateLimit" SET (fillfactor = 50);
