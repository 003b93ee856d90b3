#!/usr/bin/env bash
# test_import.sh -- moving in and out (issue 16): `neon-authd import` from the real Better Auth
# (tests/reference), from a Neon Auth database and from a Supabase Auth schema, and `neon-authd
# export` back to the real Better Auth, through a stack (PostgreSQL + neon-authd + nginx).
#
#   a  Better Auth -> neon-authd: users, accounts, an organization, sessions and keys made by the
#      real Better Auth are imported; the old password signs in here, the old session cookie is
#      a session here, a JWT it issued verifies against our JWKS; rerun and dry run
#   b  import map: the SQL that rewrites an application's own user-id column
#   c  neon-authd -> Better Auth: export, then the real Better Auth accepts our passwords, our
#      session cookie and our JWTs
#   d  Supabase Auth: bcrypt passwords sign in and become scrypt, metadata and identities land
#   e  Neon Auth: users come over, the old public key stays published and never signs
#   f  bad sources: a duplicate email, a dangling foreign key, an unknown hash format -- each
#      named, nothing written
#
# Environment: NA_TEST_TMP (parent of the work directory), KEEP_TMP=1.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

REF=${NA_REFERENCE_DIR:-$NA_TOP/tests/reference}
JOSE=$NA_TOP/tests/interop/jwt
# one secret for both sides: the old app's secret the operator carries over
SECRET=import-test-secret-7d1f3a9c5e2b8f4a6c0e1d3b5f7a9c2e
bail() { echo "Bail out! $*"; exit 1; }
t_init import

TMP=$(mktemp -d "${NA_TEST_TMP:-${TMPDIR:-/tmp}}/neon-authd-import.XXXXXX") || bail "mktemp"
chmod 755 "$TMP"
export STACK_DIR=$TMP/stack PEER_WORK=$TMP/ref
cleanup() {
	[ -x "$REF/stop.sh" ] && bash "$REF/stop.sh" >/dev/null 2>&1
	"$NA_TOP/tests/stack" down >/dev/null 2>&1
	if [ "${KEEP_TMP:-0}" = 1 ]; then echo "# kept $TMP"; else
		"$NA_TOP/tests/stack" wipe >/dev/null 2>&1; rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for c in node npm jq curl python3; do command -v $c >/dev/null || bail "$c not found"; done
[ -x "$REF/start.sh" ] || bail "no reference server in $REF"

mkdir -p "$STACK_DIR"
(umask 077; printf %s "$SECRET" > "$STACK_DIR/secret")
env_out=$(timeout 300 "$NA_TOP/tests/stack" up 2>"$TMP/stack-up.log") || {
	tail -n 20 "$TMP/stack-up.log" | sed 's/^/# /'; bail "tests/stack up failed"; }
eval "$(printf '%s\n' "$env_out" | sed -n 's/^\(AUTH_URL\|DATABASE_URL\)=\(.*\)$/\1="\2"/p')"
PGP=$(printf %s "$DATABASE_URL" | sed -n 's|.*@127\.0\.0\.1:\([0-9]*\)/.*|\1|p')
CONF=$STACK_DIR/neon-authd.conf
ORIGIN=$(printf %s "$AUTH_URL" | sed 's|^\(https\?://[^/]*\).*|\1|')
db() { echo "postgresql://postgres@127.0.0.1:$PGP/$1"; }
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$1" -c "$2"; }
authd() { "$NA_BIN" "$@" -c "$CONF"; }
for d in imp_ba imp_back imp_sb imp_bad imp_neon; do
	q "$(db postgres)" "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1
	q "$(db postgres)" "CREATE DATABASE $d" >/dev/null || bail "CREATE DATABASE $d"
done
(cd "$JOSE" && timeout 300 npm ci --no-audit --no-fund) >"$TMP/npm-ci.log" 2>&1 || bail "npm ci (jose)"
q "$DATABASE_URL" "UPDATE neon_auth.project_config SET settings = settings || '{\"rate_limit\":{\"enabled\":false}}'" >/dev/null

# a JSON POST; prints "STATUS BODY"; $3 a cookie jar
post() { curl -s -o "$TMP/body" -w '%{http_code}' -b "$3" -c "$3" -H 'content-type: application/json' \
	-H "origin: $4" --data "$2" "$1"; echo " $(cat "$TMP/body")"; }
get() { curl -s -o "$TMP/body" -w '%{http_code}' -b "$2" -c "$2" -H "origin: $3" "$1"; echo " $(cat "$TMP/body")"; }
# verify a JWT against a JWKS URL with jose; prints the payload's email or the error
jwt_email() { (cd "$JOSE" && node -e '
const { createRemoteJWKSet, jwtVerify } = require("jose");
jwtVerify(process.argv[1], createRemoteJWKSet(new URL(process.argv[2])))
  .then((r) => console.log(r.payload.email)).catch((e) => console.log("invalid: " + e.code));' "$1" "$2"); }

# ---------------------------------------------------------------- a: Better Auth -> here
ref_env=$(PEER_DATABASE_URL=$(db imp_ba) PEER_PG_SCHEMA=ba PEER_SECRET=$SECRET bash "$REF/start.sh" 2>"$TMP/ref.log") ||
	{ tail -n 20 "$TMP/ref.log" | sed 's/^/# /'; bail "the reference server did not start"; }
REF_URL=$(printf '%s\n' "$ref_env" | sed -n 's/^PEER_URL=//p')
REF_ORIGIN=$(printf %s "$REF_URL" | sed 's|^\(https\?://[^/]*\).*|\1|')
echo "# reference Better Auth at $REF_URL"
J_A=$TMP/alice.jar J_B=$TMP/bob.jar
r=$(post "$REF_URL/sign-up/email" '{"email":"alice@example.com","password":"alice-old-password","name":"Alice"}' "$J_A" "$REF_ORIGIN")
t_check "a: Better Auth signs Alice up" [ "${r%% *}" = 200 ]
r=$(post "$REF_URL/sign-up/email" '{"email":"bob@example.com","password":"bob-old-password","name":"Bob"}' "$J_B" "$REF_ORIGIN")
t_check "a: Better Auth signs Bob up" [ "${r%% *}" = 200 ]
r=$(post "$REF_URL/organization/create" '{"name":"Acme","slug":"acme-import"}' "$J_A" "$REF_ORIGIN")
t_check "a: Better Auth creates Alice's organization" [ "${r%% *}" = 200 ]
r=$(get "$REF_URL/token" "$J_A" "$REF_ORIGIN")
OLD_JWT=$(printf %s "${r#* }" | jq -r .token 2>/dev/null)
t_check "a: Better Auth issues Alice a JWT" [ "${#OLD_JWT}" -gt 100 ]
BA_USERS=$(q "$(db imp_ba)" 'SELECT count(*) FROM ba."user"')

out=$(authd import better-auth main --from "$(db imp_ba)" --schema ba --keep-sessions \
	--keys-secret-stdin <<< "$SECRET" 2>"$TMP/import.err"); rc=$?
t_is "$rc" 0 "a: import better-auth exits 0"
t_diag "$out"
t_is "$(q "$DATABASE_URL" "SELECT count(*) FROM neon_auth.\"user\" WHERE email IN ('alice@example.com','bob@example.com')")" 2 \
	"a: both users are in neon_auth"
t_is "$(q "$DATABASE_URL" "SELECT count(*) FROM neon_auth.organization o JOIN neon_auth.member m ON m.\"organizationId\" = o.id
	JOIN neon_auth.\"user\" u ON u.id = m.\"userId\" WHERE o.slug = 'acme-import' AND u.email = 'alice@example.com' AND m.role = 'owner'")" 1 \
	"a: the organization and its owner membership came over, ids mapped"
t_is "$(q "$DATABASE_URL" "SELECT count(*) FROM neon_auth.import_id_map WHERE kind = 'user' AND source LIKE 'better-auth:imp_ba/ba'")" "$BA_USERS" \
	"a: import_id_map holds every user's old id"
r=$(post "$AUTH_URL/sign-in/email" '{"email":"alice@example.com","password":"alice-old-password"}' "$TMP/n.jar" "$ORIGIN")
t_check "a: Alice signs in here with her old password" [ "${r%% *}" = 200 ]
r=$(post "$AUTH_URL/sign-in/email" '{"email":"alice@example.com","password":"wrong-password-1"}' "$TMP/n2.jar" "$ORIGIN")
t_is "${r%% *}" 401 "a: a wrong password still fails"
# the old session cookie: same secret, Better Auth's cookie names
authd config set main settings.cookies '{"prefix":"better-auth"}' >/dev/null 2>&1 ||
	q "$DATABASE_URL" "UPDATE neon_auth.project_config SET settings = jsonb_set(settings, '{cookies}', '{\"prefix\":\"better-auth\"}')" >/dev/null
sleep 0.3
r=$(curl -s -b "$J_A" -H "origin: $ORIGIN" "$AUTH_URL/get-session")
t_is "$(printf %s "$r" | jq -r .user.email 2>/dev/null)" alice@example.com \
	"a: the session cookie Better Auth set before the import is a session here"
t_is "$(jwt_email "$OLD_JWT" "$AUTH_URL/jwks")" alice@example.com \
	"a: a JWT Better Auth issued before the import verifies against our JWKS"
# a session of ours, under Better Auth's cookie names now
r=$(post "$AUTH_URL/sign-in/email" '{"email":"alice@example.com","password":"alice-old-password"}' "$TMP/n.jar" "$ORIGIN")
t_check "a: Alice signs in here again, cookies named as Better Auth names them" grep -q 'better-auth.session_token' "$TMP/n.jar"
r=$(curl -s -b "$TMP/n.jar" -H "origin: $ORIGIN" "$AUTH_URL/token" | jq -r .token)
t_is "$(jwt_email "$r" "$AUTH_URL/jwks")" alice@example.com "a: our own new JWTs verify too"
# the phone-number plugin's columns, when the source has them
q "$(db imp_ba)" "ALTER TABLE ba.\"user\" ADD COLUMN IF NOT EXISTS \"phoneNumber\" text, ADD COLUMN IF NOT EXISTS \"phoneNumberVerified\" boolean;
	UPDATE ba.\"user\" SET \"phoneNumber\" = '+15555550123', \"phoneNumberVerified\" = true WHERE email = 'alice@example.com'" >/dev/null
# rerun: the same rows, updated
out=$(authd import better-auth main --from "$(db imp_ba)" --schema ba --keep-sessions \
	--keys-secret-stdin <<< "$SECRET" 2>>"$TMP/import.err"); rc=$?
t_is "$rc $(q "$DATABASE_URL" "SELECT count(*) FROM neon_auth.\"user\" WHERE email LIKE '%@example.com'")" \
	"0 2" "a: a second run updates the same rows (no duplicates)"
t_is "$(q "$DATABASE_URL" "SELECT \"phoneNumber\" || ' ' || \"phoneNumberVerified\" FROM neon_auth.\"user\" WHERE email = 'alice@example.com'")" \
	"+15555550123 true" "a: the phone number and its verification come along"
n_map=$(q "$DATABASE_URL" "SELECT count(*) FROM neon_auth.import_id_map")
q "$(db imp_ba)" "UPDATE ba.\"user\" SET name = 'Alice Renamed' WHERE email = 'alice@example.com'" >/dev/null
out=$(authd import better-auth main --from "$(db imp_ba)" --schema ba --dry-run 2>>"$TMP/import.err"); rc=$?
case "$rc $out" in "0 dry run"*) t_ok "a: --dry-run reports what it would do" ;;
	*) t_fail "a: --dry-run reports what it would do" "exit $rc: $out" ;; esac
t_is "$(q "$DATABASE_URL" "SELECT name FROM neon_auth.\"user\" WHERE email = 'alice@example.com'")/$(q "$DATABASE_URL" "SELECT count(*) FROM neon_auth.import_id_map")" \
	"Alice/$n_map" "a: ... and writes nothing"

# ---------------------------------------------------------------- b: the app's own foreign keys
q "$(db imp_ba)" "SELECT id FROM ba.\"user\" WHERE email = 'bob@example.com'" > "$TMP/bob.id"
q "$DATABASE_URL" "CREATE TABLE public.app_notes (note text, user_id text); INSERT INTO public.app_notes VALUES ('hi', '$(cat "$TMP/bob.id")')" >/dev/null
sql=$(authd import map main --source "better-auth:imp_ba/ba" --table public.app_notes --column user_id)
printf %s "$sql" | psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" >/dev/null 2>&1
t_is "$(q "$DATABASE_URL" "SELECT u.email FROM public.app_notes n JOIN neon_auth.\"user\" u ON u.id::text = n.user_id")" \
	bob@example.com "b: import map's SQL rewrites the app's user_id column to our uuids"

# ---------------------------------------------------------------- c: here -> Better Auth
out=$(authd export better-auth main --to "$(db imp_back)" --schema ba2 --secret-stdin <<< "$SECRET" 2>"$TMP/export.err"); rc=$?
t_is "$rc" 0 "c: export better-auth exits 0"
t_is "$(q "$(db imp_back)" "SELECT \"phoneNumber\" || ' ' || \"phoneNumberVerified\" FROM ba2.\"user\" WHERE email = 'alice@example.com'")" \
	"+15555550123 true" "c: the exported user keeps the phone number"
t_diag "$out"
bash "$REF/stop.sh" >/dev/null 2>&1
ref_env=$(PEER_DATABASE_URL=$(db imp_back) PEER_PG_SCHEMA=ba2 PEER_SECRET=$SECRET bash "$REF/start.sh" 2>>"$TMP/ref.log") ||
	bail "the reference server did not start on the exported schema"
REF_URL=$(printf '%s\n' "$ref_env" | sed -n 's/^PEER_URL=//p')
REF_ORIGIN=$(printf %s "$REF_URL" | sed 's|^\(https\?://[^/]*\).*|\1|')
r=$(post "$REF_URL/sign-in/email" '{"email":"alice@example.com","password":"alice-old-password"}' "$TMP/back.jar" "$REF_ORIGIN")
t_check "c: the real Better Auth accepts the exported password" [ "${r%% *}" = 200 ]
r=$(curl -s -b "$TMP/n.jar" -H "origin: $REF_ORIGIN" "$REF_URL/get-session")
t_is "$(printf %s "$r" | jq -r .user.email 2>/dev/null)" alice@example.com \
	"c: the real Better Auth accepts a session cookie neon-authd issued"
r=$(curl -s -b "$TMP/n.jar" -H "origin: $ORIGIN" "$AUTH_URL/token" | jq -r .token)
t_is "$(jwt_email "$r" "$REF_URL/jwks")" alice@example.com \
	"c: a JWT neon-authd issued verifies against the real Better Auth's JWKS"
r=$(get "$REF_URL/organization/list" "$TMP/back.jar" "$REF_ORIGIN")
case "$r" in 200*acme-import*) t_ok "c: the organization is there for the real Better Auth" ;;
	*) t_fail "c: the organization is there for the real Better Auth" "$r" ;; esac

# ---------------------------------------------------------------- d: Supabase Auth
HASH=$(python3 -c 'import crypt; print(crypt.crypt("carol-old-password", crypt.mksalt(crypt.METHOD_BLOWFISH)))' 2>/dev/null)
[ -n "$HASH" ] || HASH=$(htpasswd -nbB x carol-old-password 2>/dev/null | cut -d: -f2)
cat > "$TMP/supabase.sql" <<EOF
CREATE SCHEMA auth;
-- the columns of auth.users and auth.identities as Supabase Auth's migrations create them
CREATE TABLE auth.users (instance_id uuid, id uuid PRIMARY KEY, aud varchar(255), role varchar(255),
  email varchar(255), encrypted_password varchar(255), email_confirmed_at timestamptz,
  invited_at timestamptz, confirmation_token varchar(255), confirmation_sent_at timestamptz,
  recovery_token varchar(255), recovery_sent_at timestamptz, email_change_token_new varchar(255),
  email_change varchar(255), email_change_sent_at timestamptz, last_sign_in_at timestamptz,
  raw_app_meta_data jsonb, raw_user_meta_data jsonb, is_super_admin bool, created_at timestamptz,
  updated_at timestamptz, phone text UNIQUE DEFAULT NULL, phone_confirmed_at timestamptz,
  phone_change text DEFAULT '', phone_change_token varchar(255) DEFAULT '',
  phone_change_sent_at timestamptz, confirmed_at timestamptz, email_change_token_current varchar(255) DEFAULT '',
  email_change_confirm_status smallint DEFAULT 0, banned_until timestamptz,
  reauthentication_token varchar(255) DEFAULT '', reauthentication_sent_at timestamptz,
  is_sso_user boolean NOT NULL DEFAULT false, deleted_at timestamptz, is_anonymous boolean NOT NULL DEFAULT false);
CREATE TABLE auth.identities (provider_id text NOT NULL, user_id uuid NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
  identity_data jsonb NOT NULL, provider text NOT NULL, last_sign_in_at timestamptz, created_at timestamptz,
  updated_at timestamptz, email text, id uuid PRIMARY KEY DEFAULT gen_random_uuid());
INSERT INTO auth.users (id, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data,
  created_at, updated_at, phone, phone_confirmed_at) VALUES
  ('7c0a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b', 'Carol@Example.com', '$HASH', now(), '{"provider":"email","plan":"pro"}',
   '{"full_name":"Carol C","avatar_url":"https://img.example.com/c.png"}', now() - interval '30 days', now(), '15550100', now()),
  ('8d1b2c3d-4e5f-4061-9b7c-8d9e0f1a2b3c', 'dan@example.com', NULL, now(), '{"provider":"google"}',
   '{"name":"Dan D"}', now(), now(), NULL, NULL);
INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at, email) VALUES
  ('7c0a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b', '7c0a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b', '{"sub":"7c0a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"}', 'email', now(), now(), 'carol@example.com'),
  ('109876543210', '8d1b2c3d-4e5f-4061-9b7c-8d9e0f1a2b3c', '{"sub":"109876543210","email":"dan@example.com"}', 'google', now(), now(), 'dan@example.com');
EOF
psql -X -q -v ON_ERROR_STOP=1 "$(db imp_sb)" -f "$TMP/supabase.sql" >/dev/null 2>&1 || bail "the Supabase-shaped schema"
out=$(authd import supabase main --from "$(db imp_sb)" 2>"$TMP/sb.err"); rc=$?
t_is "$rc" 0 "d: import supabase exits 0"
t_diag "$out"
t_is "$(q "$DATABASE_URL" "SELECT id || ' ' || name || ' ' || \"emailVerified\" FROM neon_auth.\"user\" WHERE email = 'carol@example.com'")" \
	"7c0a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b Carol C true" "d: the user keeps her uuid, her name from the metadata, her confirmed email"
t_is "$(q "$DATABASE_URL" "SELECT left(a.password, 4) FROM neon_auth.account a JOIN neon_auth.\"user\" u ON u.id = a.\"userId\" WHERE u.email = 'carol@example.com' AND a.\"providerId\" = 'credential'")" \
	'$2b$' "d: her bcrypt hash is stored as it was"
r=$(post "$AUTH_URL/sign-in/email" '{"email":"carol@example.com","password":"carol-old-password"}' "$TMP/c.jar" "$ORIGIN")
t_is "${r%% *}" 200 "d: she signs in with her Supabase password"
t_check "d: ... and her hash is now Better Auth's scrypt" [ -n "$(q "$DATABASE_URL" "SELECT 1 FROM neon_auth.account a JOIN neon_auth.\"user\" u ON u.id = a.\"userId\"
	WHERE u.email = 'carol@example.com' AND a.\"providerId\" = 'credential' AND a.password ~ '^[0-9a-f]{32}:[0-9a-f]{128}$'")" ]
r=$(post "$AUTH_URL/sign-in/email" '{"email":"carol@example.com","password":"carol-old-password"}' "$TMP/c2.jar" "$ORIGIN")
t_is "${r%% *}" 200 "d: the next sign-in uses the scrypt hash"
t_is "$(q "$DATABASE_URL" "SELECT count(*) FROM neon_auth.audit_log a JOIN neon_auth.\"user\" u ON u.id = a.user_id WHERE u.email = 'carol@example.com' AND a.event = 'password_rehash'")" \
	1 "d: the rehash is in the audit trail, once"
t_is "$(q "$DATABASE_URL" "SELECT (m.user_metadata->>'full_name') || ' ' || (m.app_metadata->>'plan') || ' ' || m.phone FROM neon_auth.user_metadata m JOIN neon_auth.\"user\" u ON u.id = m.user_id WHERE u.email = 'carol@example.com'")" \
	"Carol C pro 15550100" "d: metadata and phone are in neon_auth.user_metadata"
t_is "$(q "$DATABASE_URL" "SELECT a.\"providerId\" || ':' || a.\"accountId\" FROM neon_auth.account a JOIN neon_auth.\"user\" u ON u.id = a.\"userId\" WHERE u.email = 'dan@example.com'")" \
	"google:109876543210" "d: a Google identity becomes a Google account"

# ---------------------------------------------------------------- e: Neon Auth
cat > "$TMP/neon.conf" <<EOF
$(sed -n '/^branches = (/q;p' "$CONF")
branches = ( { name = "src"; auth_url = "http://127.0.0.1:1/neondb/auth"; database = "host=127.0.0.1 port=$PGP dbname=imp_neon user=postgres"; } );
testing = { sleep_endpoint = false; };
EOF
"$NA_BIN" migrate --all -c "$TMP/neon.conf" >/dev/null 2>&1 || bail "migrate imp_neon"
"$NA_BIN" keys rotate src -c "$TMP/neon.conf" >/dev/null 2>&1 || bail "a key for imp_neon"
OLD_KID=$(q "$(db imp_neon)" "SELECT id FROM neon_auth.jwks ORDER BY \"createdAt\" DESC LIMIT 1")
ALICE_HASH=$(q "$DATABASE_URL" "SELECT a.password FROM neon_auth.account a JOIN neon_auth.\"user\" u ON u.id = a.\"userId\" WHERE u.email = 'alice@example.com' AND a.\"providerId\" = 'credential'")
q "$(db imp_neon)" "WITH u AS (INSERT INTO neon_auth.\"user\" (name, email, \"emailVerified\") VALUES ('Erin', 'erin@example.com', true) RETURNING id)
	INSERT INTO neon_auth.account (\"accountId\", \"providerId\", \"userId\", password, \"updatedAt\") SELECT id::text, 'credential', id, '$ALICE_HASH', now() FROM u" >/dev/null
ERIN_ID=$(q "$(db imp_neon)" "SELECT id FROM neon_auth.\"user\" WHERE email = 'erin@example.com'")
out=$(authd import neon main --from "$(db imp_neon)" --key-grace 1h 2>"$TMP/neon.err"); rc=$?
t_is "$rc" 0 "e: import neon exits 0"
t_diag "$out"
t_is "$(q "$DATABASE_URL" "SELECT id FROM neon_auth.\"user\" WHERE email = 'erin@example.com'")" "$ERIN_ID" "e: Erin keeps her uuid"
r=$(post "$AUTH_URL/sign-in/email" '{"email":"erin@example.com","password":"alice-old-password"}' "$TMP/e.jar" "$ORIGIN")
t_is "${r%% *}" 200 "e: she signs in with her password"
t_check "e: the old public key is in our JWKS under its kid" sh -c "curl -s '$AUTH_URL/jwks' | jq -e '.keys[] | select(.kid == \"$OLD_KID\")' >/dev/null"
t_is "$(q "$DATABASE_URL" "SELECT \"privateKey\" || ' ' || (\"expiresAt\" < now() + interval '61 minutes') FROM neon_auth.jwks WHERE \"publicKey\"::jsonb->>'kid' = '$OLD_KID'")" \
	'"" true' "e: it can never sign and leaves the JWKS after the grace period"
q "$(db postgres)" "DROP DATABASE IF EXISTS imp_copy" >/dev/null 2>&1
# a copy of this branch's database, as a Neon branch would be (pg_dump: the daemon is connected)
q "$(db postgres)" "CREATE DATABASE imp_copy" >/dev/null 2>&1 || bail "CREATE DATABASE imp_copy"
pg_dump --no-owner "$DATABASE_URL" | psql -X -q "$(db imp_copy)" >/dev/null 2>&1 || bail "a copy of neondb"
nkeys=$(q "$DATABASE_URL" "SELECT count(*) FROM neon_auth.jwks")
authd import neon main --from "$(db imp_copy)" >/dev/null 2>>"$TMP/neon.err"; rc=$?
t_is "$rc $(q "$DATABASE_URL" "SELECT count(*) FROM neon_auth.jwks")" "0 $nkeys" \
	"e: importing a copy of this branch adds no second row for a key it already has"
q "$(db postgres)" "DROP DATABASE IF EXISTS imp_copy" >/dev/null 2>&1
NEW_JWT=$(curl -s -b "$TMP/e.jar" -H "origin: $ORIGIN" "$AUTH_URL/token" | jq -r .token)
t_check "e: new tokens are signed by another key" [ "$(printf %s "$NEW_JWT" | cut -d. -f1 | base64 -d 2>/dev/null | jq -r .kid)" != "$OLD_KID" ]

# ---------------------------------------------------------------- f: bad sources
bad() { # description, setup SQL, expected message part
	q "$(db imp_bad)" "SET client_min_messages = warning; DROP SCHEMA IF EXISTS bad CASCADE; CREATE SCHEMA bad;
	 CREATE TABLE bad.\"user\" (id text PRIMARY KEY, name text, email text, \"emailVerified\" boolean, image text, \"createdAt\" timestamptz, \"updatedAt\" timestamptz);
	 CREATE TABLE bad.account (id text PRIMARY KEY, \"accountId\" text, \"providerId\" text, \"userId\" text, \"accessToken\" text, \"refreshToken\" text, \"idToken\" text,
	   \"accessTokenExpiresAt\" timestamptz, \"refreshTokenExpiresAt\" timestamptz, scope text, password text, \"createdAt\" timestamptz, \"updatedAt\" timestamptz);
	 INSERT INTO bad.\"user\" VALUES ('g1', 'Good', 'good-$RANDOM@example.org', true, NULL, now(), now()); $2" >/dev/null || bail "bad source $1"
	local before after err
	before=$(q "$DATABASE_URL" "SELECT count(*) FROM neon_auth.\"user\"")/$(q "$DATABASE_URL" "SELECT count(*) FROM neon_auth.import_id_map")
	authd import better-auth main --from "$(db imp_bad)" --schema bad >/dev/null 2>"$TMP/bad.err"; rc=$?
	err=$(cat "$TMP/bad.err")
	after=$(q "$DATABASE_URL" "SELECT count(*) FROM neon_auth.\"user\"")/$(q "$DATABASE_URL" "SELECT count(*) FROM neon_auth.import_id_map")
	if [ "$rc" = 65 ] && printf %s "$err" | grep -qF "$3" && [ "$before" = "$after" ]; then t_ok "f: $1: exit 65, '$3', nothing written"
	else t_fail "f: $1" "exit $rc, '$err', rows $before -> $after"; fi
}
bad "a duplicate email" "INSERT INTO bad.\"user\" VALUES ('g2', 'Dup', 'DUP@example.org', true, NULL, now(), now()), ('g3', 'dup', 'dup@example.org', true, NULL, now(), now())" \
	"user rows g2, g3, column email"
bad "a dangling foreign key" "INSERT INTO bad.account VALUES ('x1', 'nobody', 'credential', 'nobody', NULL, NULL, NULL, NULL, NULL, NULL, NULL, now(), now())" \
	"account row x1, column userId: no user nobody"
bad "an unknown hash format" "INSERT INTO bad.account VALUES ('x2', 'g1', 'credential', 'g1', NULL, NULL, NULL, NULL, NULL, NULL, '\$argon2id\$v=19\$m=65536,t=3,p=4\$c2FsdA\$aGFzaA', now(), now())" \
	"account row x2, column password: unknown password hash format"
authd import better-auth main --from "$(db imp_bad)" --schema nosuch >/dev/null 2>"$TMP/bad.err"; rc=$?
if [ "$rc" = 65 ] && grep -q 'no better-auth users table' "$TMP/bad.err"; then
	t_ok "f: a source without Better Auth's tables: exit 65 and says so"
else t_fail "f: a source without Better Auth's tables: exit 65 and says so" "exit $rc: $(cat "$TMP/bad.err")"; fi
authd import better-auth main >/dev/null 2>&1; rc=$?
t_is "$rc" 64 "f: without --from: usage, exit 64"
t_check "f: no secret, password or token in any output" sh -c "! grep -rqF -e '$SECRET' -e 'alice-old-password' -e 'carol-old-password' '$TMP'/*.err"

t_done
