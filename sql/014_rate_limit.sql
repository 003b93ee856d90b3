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

-- old rows are removed in bounded batches by whoever cares to (a row is
-- dead once lastRequest is older than the longest window, 1 day at most)
CREATE INDEX IF NOT EXISTS "rateLimit_lastRequest_idx"
	ON "neon_auth"."rateLimit" ("lastRequest");
