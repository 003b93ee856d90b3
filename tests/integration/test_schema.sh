#!/usr/bin/env bash
# test_schema.sh -- the neon_auth migrations and src/store/db.c against a real,
# throwaway PostgreSQL cluster.  Prints TAP; exits non-zero on any failure.
#
# What it checks:
#   * two concurrent `db_migrate` runs (tests/integration/migrate_driver.c)
#     apply every sql/NNN_*.sql exactly once; a third run applies nothing;
#     a failing migration rolls back and leaves the ledger alone;
#   * tables, columns, types, defaults, indexes, cascading foreign keys and
#     the single project_config row (spec/neon.md §2, §9);
#   * the project_config / jwks NOTIFY triggers;
#   * the auth.* RLS helpers and an RLS policy run as role authenticated;
#   * src/store/db.c itself: pool, prepared statements, errors, transactions,
#     reconnects, notifications (migrate_driver dbtest).
#
# Environment:
#   CC                compiler for the driver (gcc)
#   TEST_PGPORT       cluster port (default: a free port)
#   KEEP_TMP=1        keep the temporary directory (cluster stopped anyway)
# The cluster is its own (tests/lib.sh na_pg_start), lives in a mktemp
# directory, listens on 127.0.0.1:$TEST_PGPORT only, and is stopped on exit.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
. "$ROOT/tests/lib.sh"
CC=${CC:-gcc}
DB=neon_authd_test
EMPTY_DB=neon_authd_empty

n=0
fails=0
ok() {		# ok STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fails=$((fails + 1))
	fi
}
is() {		# is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '%s\n' "got:" "$1" "want:" "$2" | sed 's/^/#   /'
	fi
}
diag() { sed 's/^/# /'; }
bail() { echo "Bail out! $*"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/neon-authd-schema.XXXXXX") || bail "mktemp"
# as root the cluster runs as user postgres, which must reach its data directory
chmod a+x "$TMP"
PGDATA_DIR=$(na_pg_datadir_for "$TMP")

cleanup() {
	na_pg_stop "$PGDATA_DIR" >/dev/null 2>&1 || true
	case "$PGDATA_DIR" in "$TMP"/*) ;; *) [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$PGDATA_DIR" ;; esac
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "# kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=${TEST_PGPORT:-$(na_free_port)} || bail "no free port"
if ! na_pg_start "$PGDATA_DIR" "$port" "$TMP/postgres.log" >"$TMP/pg.out" 2>&1 ||
    ! na_pg_createdb "$port" "$DB" >>"$TMP/pg.out" 2>&1; then
	diag <"$TMP/pg.out"
	bail "postgres did not start on port $port"
fi
echo "# postgres on 127.0.0.1:$port, data directory $PGDATA_DIR"

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
PSQL_BIN=$(command -v psql || echo "$PGBIN/psql")
CI="host=127.0.0.1 port=$port user=postgres dbname=$DB"
CI_EMPTY="host=127.0.0.1 port=$port user=postgres dbname=$EMPTY_DB"
psql_db() { "$PSQL_BIN" -X -q -v ON_ERROR_STOP=1 -tA -h 127.0.0.1 -p "$port" -U postgres "$@"; }
q() { psql_db -d "$DB" -c "$1" 2>&1; }	# one statement, unaligned tuples

# ---- build the driver ---------------------------------------------------
DRIVER=$TMP/migrate_driver
# shellcheck disable=SC2046
if (cd "$ROOT" && $CC -Wall -Wextra -O1 -g -Isrc -o "$DRIVER" src/store/db.c \
    src/lib/arena.c src/lib/log.c src/lib/clock.c src/lib/metrics.c tests/integration/migrate_driver.c \
    $(pkg-config --cflags --libs libpq)) >"$TMP/cc.out" 2>&1; then
	ok 0 "driver builds"
	if [ -s "$TMP/cc.out" ]; then
		ok 1 "driver builds without warnings"; diag <"$TMP/cc.out"
	else
		ok 0 "driver builds without warnings"
	fi
else
	ok 1 "driver builds"; diag <"$TMP/cc.out"
	echo "1..$n"
	exit 1
fi

# ---- migrations ---------------------------------------------------------
top=$(ls "$ROOT/sql" | sed -n 's/^\([0-9][0-9]*\)_.*\.sql$/\1/p' | sort -n | tail -1)
V=$((10#$top))
hv=$(sed -n 's/^#define[[:space:]]*NEON_AUTHD_SCHEMA_VERSION[[:space:]]*\([0-9]*\).*/\1/p' "$ROOT/src/store/db.h")
is "$hv" "$V" "NEON_AUTHD_SCHEMA_VERSION matches the highest sql/ file ($V)"
# the files, not the highest number: numbers may leave gaps
NF=$(ls "$ROOT/sql" | grep -c '^[0-9][0-9]*_.*\.sql$')

out=$("$DRIVER" race "$CI" "$ROOT/sql" 2>"$TMP/race.err")
rc=$?
set -- $out
a=${2:--1} b=${3:--1}
ok $(( rc != 0 || a + b != NF || (a != 0 && b != 0) )) \
    "two concurrent db_migrate: one applies all $NF files, the other 0 (got $a and $b)"
[ $rc = 0 ] || diag <"$TMP/race.err"
is "$("$DRIVER" migrate "$CI" "$ROOT/sql" 2>&1)" "applied 0" "db_migrate again applies nothing"
is "$(q "SELECT string_agg(version || ':' || name, ',' ORDER BY version) FROM neon_auth.schema_migrations")" \
    "$(ls "$ROOT/sql" | sed -n 's/^\(\([0-9][0-9]*\)_.*\)\.sql$/\2 \1/p' | sort -n |
       awk '{ printf "%s%d:%s", (NR > 1 ? "," : ""), $1, $2 }')" \
    "ledger lists every file"
is "$(q "SELECT count(*) FROM neon_auth.schema_migrations WHERE applied_at IS NULL")" 0 "ledger has applied_at"

# A failing migration: rolled back, ledger unchanged, error names the file.
mkdir -p "$TMP/sqlbad"
cp "$ROOT"/sql/*.sql "$TMP/sqlbad/"
printf -- '-- broken on purpose\nCREATE TABLE neon_auth.must_vanish (x int);\n\nSELECT nope FROM neon_auth.must_vanish;\n' \
    >"$TMP/sqlbad/$(printf '%03d' $((V + 1)))_broken.sql"
out=$("$DRIVER" migrate "$CI" "$TMP/sqlbad" 2>&1)
rc=$?
ok $(( rc == 0 )) "a failing migration makes db_migrate fail"
case "$out" in *_broken.sql*"line 4"*'"nope" does not exist'*) r=0 ;; *) r=1 ;; esac
ok $r "the error names the file, the line and the cause"
[ $r = 0 ] || echo "$out" | diag
is "$(q "SELECT to_regclass('neon_auth.must_vanish') IS NULL AND (SELECT max(version) FROM neon_auth.schema_migrations) = $V")" t \
    "the failed file was rolled back and not recorded"

# Every file can also be applied by hand, again, without harm.
r=0
for f in "$ROOT"/sql/[0-9]*.sql; do
	psql_db -d "$DB" -1 -f "$f" >"$TMP/psql.out" 2>&1 || { r=1; diag <"$TMP/psql.out"; }
done
ok $r "every migration is idempotent (psql -1 -f on a migrated database)"

# ---- tables and columns -------------------------------------------------
is "$(q "SELECT string_agg(table_name, ' ' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'neon_auth' AND table_type = 'BASE TABLE'")" \
    "account audit_log import_id_map invitation jwks jwks_auth_url member organization project_config rateLimit schema_migrations session user user_metadata verification webhook_outbox" \
    "neon_auth tables (Neon's, and neon-authd's own: audit_log, import_id_map, user_metadata, jwks_auth_url, rateLimit, webhook_outbox)"
is "$(q "SELECT string_agg(table_name, ' ' ORDER BY table_name) FROM information_schema.views WHERE table_schema = 'neon_auth'")" \
    "failed_sign_ins_last_hour" "neon_auth views (the audit trail's)"

cols=$(q "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
    FROM information_schema.columns WHERE table_schema = 'neon_auth'
    AND table_name IN ('user','session','account','verification','jwks','organization','member','invitation','project_config')
    ORDER BY table_name, ordinal_position")
is "$cols" "$(cat <<'EOF'
account.id uuid NO
account.accountId text NO
account.providerId text NO
account.userId uuid NO
account.accessToken text YES
account.refreshToken text YES
account.idToken text YES
account.accessTokenExpiresAt timestamp with time zone YES
account.refreshTokenExpiresAt timestamp with time zone YES
account.scope text YES
account.password text YES
account.createdAt timestamp with time zone NO
account.updatedAt timestamp with time zone NO
invitation.id uuid NO
invitation.organizationId uuid NO
invitation.email text NO
invitation.role text YES
invitation.status text NO
invitation.expiresAt timestamp with time zone NO
invitation.createdAt timestamp with time zone NO
invitation.inviterId uuid NO
jwks.id uuid NO
jwks.publicKey text NO
jwks.privateKey text NO
jwks.createdAt timestamp with time zone NO
jwks.expiresAt timestamp with time zone YES
member.id uuid NO
member.organizationId uuid NO
member.userId uuid NO
member.role text NO
member.createdAt timestamp with time zone NO
organization.id uuid NO
organization.name text NO
organization.slug text NO
organization.logo text YES
organization.createdAt timestamp with time zone NO
organization.metadata text YES
project_config.id uuid NO
project_config.name text NO
project_config.endpoint_id text NO
project_config.created_at timestamp with time zone NO
project_config.updated_at timestamp with time zone NO
project_config.trusted_origins jsonb NO
project_config.social_providers jsonb NO
project_config.email_provider jsonb YES
project_config.email_and_password jsonb YES
project_config.allow_localhost boolean NO
project_config.plugin_configs jsonb YES
project_config.webhook_config jsonb YES
project_config.settings jsonb NO
session.id uuid NO
session.expiresAt timestamp with time zone NO
session.token text NO
session.createdAt timestamp with time zone NO
session.updatedAt timestamp with time zone NO
session.ipAddress text YES
session.userAgent text YES
session.userId uuid NO
session.impersonatedBy text YES
session.activeOrganizationId text YES
user.id uuid NO
user.name text NO
user.email text NO
user.emailVerified boolean NO
user.image text YES
user.createdAt timestamp with time zone NO
user.updatedAt timestamp with time zone NO
user.role text YES
user.banned boolean YES
user.banReason text YES
user.banExpires timestamp with time zone YES
user.phoneNumber text YES
user.phoneNumberVerified boolean YES
verification.id uuid NO
verification.identifier text NO
verification.value text NO
verification.expiresAt timestamp with time zone NO
verification.createdAt timestamp with time zone NO
verification.updatedAt timestamp with time zone NO
EOF
)" "columns, types and nullability as spec/neon.md §2.1 (+ project_config.settings)"

is "$(q "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'neon_auth' AND column_name = 'id' AND data_type = 'uuid' AND column_default = 'gen_random_uuid()'")" 11 \
    "all eleven uuid ids default to gen_random_uuid() (nine of Neon's, rateLimit's, webhook_outbox's)"
is "$(q "SELECT string_agg(table_name || '.' || column_name, ' ' ORDER BY table_name, column_name) FROM information_schema.columns WHERE table_schema = 'neon_auth' AND column_default = 'CURRENT_TIMESTAMP' AND table_name NOT IN ('audit_log', 'import_id_map', 'user_metadata')")" \
    "account.createdAt invitation.createdAt project_config.created_at project_config.updated_at session.createdAt user.createdAt user.updatedAt verification.createdAt verification.updatedAt webhook_outbox.created_at webhook_outbox.next_at" \
    "CURRENT_TIMESTAMP defaults where Neon has them"
is "$(q "SELECT column_default FROM information_schema.columns WHERE table_schema = 'neon_auth' AND table_name = 'project_config' AND column_name = 'settings'")" \
    "'{\"cookies\": {\"style\": \"host\"}}'::jsonb" "project_config.settings defaults to __Host- cookie names (migration 015)"

idx=$(q "SELECT indexname FROM pg_indexes WHERE schemaname = 'neon_auth' ORDER BY 1")
r=0
for i in session_userId_idx account_userId_idx verification_identifier_idx organization_slug_uidx \
    member_organizationId_idx member_userId_idx invitation_email_idx invitation_organizationId_idx \
    user_email_key session_token_key organization_slug_key project_config_endpoint_id_key \
    project_config_singleton_uidx; do
	echo "$idx" | grep -qx "$i" || { r=1; echo "missing index $i" | diag; }
done
ok $r "indexes and unique constraints of spec/neon.md §2.1 exist"

is "$(q "SELECT string_agg(fk, ' ' ORDER BY fk) FROM (
    SELECT conrelid::regclass::text || '(' || a.attname || ')->' || confrelid::regclass::text || ':' || confdeltype::text AS fk
    FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    WHERE c.contype = 'f' AND c.connamespace = 'neon_auth'::regnamespace
    AND c.conrelid <> 'neon_auth.user_metadata'::regclass
    AND c.conrelid <> 'neon_auth.jwks_auth_url'::regclass) AS f")" \
    'neon_auth.account(userId)->neon_auth."user":c neon_auth.invitation(inviterId)->neon_auth."user":c neon_auth.invitation(organizationId)->neon_auth.organization:c neon_auth.member(organizationId)->neon_auth.organization:c neon_auth.member(userId)->neon_auth."user":c neon_auth.session(userId)->neon_auth."user":c' \
    "six foreign keys, all ON DELETE CASCADE"
is "$(q "SELECT confdeltype::text || ' ' || confrelid::regclass::text FROM pg_constraint
    WHERE contype = 'f' AND conrelid = 'neon_auth.jwks_auth_url'::regclass")" "c neon_auth.jwks" \
    "jwks_auth_url (migration 012) goes with its key: ON DELETE CASCADE"
is "$(q "SELECT confrelid::regclass::text || ':' || confdeltype::text FROM pg_constraint WHERE contype = 'f' AND conrelid = 'neon_auth.user_metadata'::regclass")" \
    'neon_auth."user":c' "user_metadata follows its user (ON DELETE CASCADE)"

is "$(q "WITH u AS (INSERT INTO neon_auth.\"user\" (name, email, \"emailVerified\") VALUES ('C', 'cascade@example.com', false) RETURNING id),
    s AS (INSERT INTO neon_auth.session (\"expiresAt\", token, \"updatedAt\", \"userId\") SELECT now() + interval '1 day', 'tok-cascade', now(), id FROM u RETURNING 1)
    SELECT count(*) FROM s")" 1 "insert a user and a session"
q "DELETE FROM neon_auth.\"user\" WHERE email = 'cascade@example.com'" >/dev/null
is "$(q "SELECT count(*) FROM neon_auth.session WHERE token = 'tok-cascade'")" 0 "deleting the user deletes the session"

# ---- project_config ------------------------------------------------------
is "$(q "SELECT count(*) FROM neon_auth.project_config")" 1 "project_config has one row"
is "$(q "SELECT (email_and_password->>'email_verification_method') || ' ' || allow_localhost || ' ' || (plugin_configs->'organization'->>'organization_limit') || ' ' || trusted_origins::text || ' ' || social_providers::text || ' ' || settings::text || ' ' || (name = current_database()) FROM neon_auth.project_config")" \
    'otp true 10 [] [] {"cookies": {"style": "host"}} true' "the row carries the fresh-branch defaults"
out=$(q "INSERT INTO neon_auth.project_config (endpoint_id) VALUES ('ep-second')")
case "$out" in *project_config_singleton_uidx*) r=0 ;; *) r=1 ;; esac
ok $r "a second project_config row is refused"

out=$(printf '%s\n' "LISTEN neon_auth_config;" \
    "UPDATE neon_auth.project_config SET allow_localhost = false;" \
    "SELECT pg_sleep(0.1);" | psql_db -d "$DB" 2>&1)
case "$out" in *'notification "neon_auth_config" with payload "update"'*) r=0 ;; *) r=1 ;; esac
ok $r "UPDATE project_config sends NOTIFY neon_auth_config"
[ $r = 0 ] || echo "$out" | diag
out=$(printf '%s\n' "LISTEN neon_auth_jwks;" \
    "INSERT INTO neon_auth.jwks (\"publicKey\", \"privateKey\", \"createdAt\") VALUES ('{}', 'x', now());" \
    "DELETE FROM neon_auth.jwks;" "SELECT pg_sleep(0.1);" | psql_db -d "$DB" 2>&1)
case "$out" in *'"neon_auth_jwks" with payload "insert"'*'"neon_auth_jwks" with payload "delete"'*) r=0 ;; *) r=1 ;; esac
ok $r "INSERT/DELETE on jwks send NOTIFY neon_auth_jwks"
[ $r = 0 ] || echo "$out" | diag
is "$(q "SELECT updated_at > created_at FROM neon_auth.project_config")" t "updated_at follows updates"

# ---- auth.* helpers and RLS ----------------------------------------------
U=6f1b8e7c-2a3d-4e5f-8a9b-0c1d2e3f4a5b
O=11111111-2222-4333-8444-555555555555
CLAIMS="{\"sub\":\"$U\",\"role\":\"authenticated\",\"o\":{\"id\":\"$O\",\"slug\":\"acme\",\"role\":\"owner\"}}"
is "$(psql_db -d "$DB" -c "SET request.jwt.claims = '$CLAIMS'" \
    -c "SELECT auth.user_id(), auth.uid(), auth.organization_id(), auth.organization()->>'slug', auth.jwt()->>'role', auth.session()->>'sub', pg_typeof(auth.uid()), pg_typeof(auth.organization_id())" 2>&1)" \
    "$U|$U|$O|acme|authenticated|$U|uuid|uuid" "auth.* read request.jwt.claims"
is "$(psql_db -d "$DB" -c "SELECT set_config('request.jwt.claims', '{\"sub\":\"user_42\",\"o\":{\"id\":\"org_1\"}}', false)" \
    -c "SELECT auth.user_id(), coalesce(auth.uid()::text, 'NULL'), coalesce(auth.organization_id()::text, 'NULL')" 2>&1 | tail -1)" \
    "user_42|NULL|NULL" "auth.uid() / organization_id() are NULL for non-uuid ids"
is "$(q "SELECT coalesce(auth.user_id(), 'NULL') || ' ' || (auth.jwt() IS NULL) || ' ' || (auth.uid() IS NULL) || ' ' || (auth.organization() IS NULL)")" \
    "NULL true true true" "no claims: every helper is NULL"
is "$(q "SELECT string_agg(rolname || ':' || rolcanlogin, ' ' ORDER BY rolname) FROM pg_roles WHERE rolname IN ('authenticated', 'anonymous')")" \
    "anonymous:false authenticated:false" "roles authenticated and anonymous exist, NOLOGIN"

psql_db -d "$DB" >"$TMP/rls.out" 2>&1 <<'EOF' || { diag <"$TMP/rls.out"; }
CREATE TABLE public.notes (
	id serial PRIMARY KEY,
	user_id text NOT NULL DEFAULT (auth.user_id()),
	body text
);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_owner ON public.notes TO authenticated
	USING ((SELECT auth.user_id()) = user_id)
	WITH CHECK ((SELECT auth.user_id()) = user_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON public.notes TO authenticated;
GRANT USAGE ON SEQUENCE public.notes_id_seq TO authenticated;
INSERT INTO public.notes (user_id, body) VALUES ('alice', 'a1'), ('alice', 'a2'), ('bob', 'b1');
EOF
as_user() {	# as_user SUB SQL: run SQL as role authenticated with claims {sub}
	psql_db -d "$DB" <<EOF 2>&1
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub":"$1","role":"authenticated"}', true) \\g /dev/null
$2
COMMIT;
EOF
}
is "$(as_user alice "SELECT string_agg(body, ',' ORDER BY id) FROM public.notes;")" "a1,a2" \
    "RLS: authenticated sees only its own rows"
is "$(as_user bob "INSERT INTO public.notes (body) VALUES ('b2') RETURNING user_id;")" "bob" \
    "RLS: DEFAULT (auth.user_id()) fills the owner"
case "$(as_user bob "INSERT INTO public.notes (user_id, body) VALUES ('alice', 'forged');")" in
*"row-level security"*) r=0 ;; *) r=1 ;; esac
ok $r "RLS: WITH CHECK refuses a row for another user"
is "$(as_user bob "UPDATE public.notes SET body = 'x' WHERE user_id = 'alice';" ; q "SELECT count(*) FROM public.notes WHERE body = 'x'")" "0" \
    "RLS: updates cannot reach other users' rows"
case "$(as_user alice 'SELECT count(*) FROM neon_auth."user";')" in
*"permission denied"*) r=0 ;; *) r=1 ;; esac
ok $r "authenticated has no access to neon_auth (as on Neon)"

# ---- audit log ----------------------------------------------------------
is "$(q "INSERT INTO neon_auth.audit_log (event, user_id, data) VALUES ('session.create', '$U', '{\"ip\":\"127.0.0.1\"}') RETURNING event || ' ' || (at IS NOT NULL) || ' ' || (data->>'ip')")" \
    "session.create true 127.0.0.1" "audit_log accepts an event"

# ---- src/store/db.c ------------------------------------------------------------
psql_db -d postgres -c "CREATE DATABASE $EMPTY_DB" >/dev/null 2>&1
"$DRIVER" dbtest "$CI" "$CI_EMPTY" >"$TMP/dbtest.out" 2>"$TMP/dbtest.err"
rc=$?
while IFS= read -r line; do
	case "$line" in
	"ok - "*) ok 0 "db: ${line#ok - }" ;;
	"not ok - "*) ok 1 "db: ${line#not ok - }" ;;
	*) echo "# $line" ;;
	esac
done <"$TMP/dbtest.out"
ok $rc "migrate_driver dbtest exit status"
if [ $rc != 0 ]; then
	diag <"$TMP/dbtest.err"
fi

echo "1..$n"
[ $fails = 0 ]
