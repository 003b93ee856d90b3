-- 016_user_sort_indexes.sql -- admin list-users sorted by name (issue 18,
-- big tables): a page of users ordered by name, then id for a stable order,
-- is an index scan instead of a sort of the whole table.  The pattern
-- index of 009 serves LIKE, not ORDER BY.  (Sorting by email needs none:
-- the unique index on email gives that order.)

CREATE INDEX IF NOT EXISTS "user_name_id_idx"
	ON "neon_auth"."user" ("name", "id");
