#!/usr/bin/env bash
# tests/bench/list_users.sh [OUT] -- GET admin/list-users on a large user table (issue 20):
# neon-authd and the Better Auth reference server (tests/reference, with admin()), the same
# users in each one's schema of one PostgreSQL server, the same queries. Reports; asserts
# nothing.
#
# What it does (everything under a temp dir, cleaned up by a trap):
#  1. builds neon-authd (unless NA_BIN names a binary) and brings up a dedicated stack
#     (tests/stack, STACK_DIR under the temp dir), rate limiting off;
#  2. starts the reference server (PEER_PLUGINS=extended) on the stack's PostgreSQL server;
#  3. inserts BENCH_USERS users into neon_auth."user" and the same into neon_auth_peer."user"
#     with one INSERT ... SELECT generate_series each (every 1000th an admin, every 500th
#     banned, createdAt one second apart), then ANALYZE;
#  4. signs an admin up on each (role set with SQL) and, for each case, sends BENCH_REPS
#     sequential requests with curl after BENCH_WARM unmeasured ones, and reports the median
#     and the 95th percentile of the total time, the rows and the total each answered;
#  5. writes a Markdown report to stdout and to OUT/summary.md.
#
# Cases (query strings of list-users): the first page, a page at offset BENCH_USERS/2, sorted
# by name, email contains / starts with / ends with, name starts with, filter role = admin,
# filter banned = true. neon-authd orders by "createdAt", id when no sortBy is given (stable
# paging; an index); Better Auth gives no ORDER BY. Every answer carries the exact total, so
# each request also counts the matching rows.
#
# Env: OUT (or $1), BENCH_USERS (1000000), BENCH_REPS (20), BENCH_WARM (3), BENCH_REFERENCE
# (1; 0 = neon-authd only), BENCH_TIMEOUT (1800 s watchdog), NA_BIN, KEEP=1 (keep the temp dir).
# Only 127.0.0.1 is used. Needs: curl, jq, node >= 20, nginx, PostgreSQL.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$HERE/../lib.sh"

REF=$NA_TOP/tests/reference
USERS=${BENCH_USERS:-1000000}
REPS=${BENCH_REPS:-20}
WARM=${BENCH_WARM:-3}
WITH_REF=${BENCH_REFERENCE:-1}
for c in curl jq node nginx awk sort; do command -v "$c" >/dev/null || na_die "$c not found (scripts/install-deps)"; done
case $USERS in ''|*[!0-9]*) na_die "BENCH_USERS must be a number" ;; esac

OUT=${1:-${OUT:-}}
if [ -z "$OUT" ]; then OUT=$(mktemp -d "${TMPDIR:-/tmp}/neon-authd-bench-lu.XXXXXX"); fi
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd -P)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nablu.XXXXXX")
chmod 755 "$WORK"
export STACK_DIR=$WORK/stack PEER_WORK=$WORK/peer
LOGF=$OUT/log.txt; : >"$LOGF"
log() { echo "[list-users $(date +%T)] $*" | tee -a "$LOGF" >&2; }

WATCHDOG="" STACK_STARTED=0 PEER_STARTED=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
  [ "$PEER_STARTED" = 1 ] && { bash "$REF/stop.sh" >>"$LOGF" 2>&1 || true; }
  [ "$STACK_STARTED" = 1 ] && { "$NA_TOP/tests/stack" wipe >>"$LOGF" 2>&1 || true; }
  if [ "${KEEP:-0}" = 1 ]; then echo "work files kept in $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
( sleep "${BENCH_TIMEOUT:-1800}"; log "watchdog: timed out"; kill -TERM $$ ) 2>/dev/null &
WATCHDOG=$!

# ---------------------------------------------------------------- 1, 2: stack and reference
log "stack up (log $LOGF)"
env_lines=$("$NA_TOP/tests/stack" up 2>>"$LOGF") || na_die "tests/stack up failed (see $LOGF)"
STACK_STARTED=1
AUTH_URL=$(sed -n 's/^AUTH_URL=//p' <<<"$env_lines")
DATABASE_URL=$(sed -n 's/^DATABASE_URL=//p' <<<"$env_lines")
ORIGIN=$(sed -E 's|^(https?://[^/]+).*|\1|' <<<"$AUTH_URL")
sql() { psql "$DATABASE_URL" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }
sql "UPDATE neon_auth.project_config SET settings = settings || '{\"rate_limit\":{\"enabled\":false}}'"
PEER_URL=""
if [ "$WITH_REF" = 1 ]; then
  log "reference server (admin plugin)"
  out=$(PEER_DATABASE_URL=$DATABASE_URL PEER_PLUGINS=extended bash "$REF/start.sh" 2>>"$LOGF") ||
    na_die "tests/reference/start.sh failed (see $LOGF)"
  PEER_STARTED=1
  PEER_URL=$(sed -n 's/^PEER_URL=//p' <<<"$out")
fi

# ---------------------------------------------------------------- 3: the users
seed() { # SCHEMA ID_EXPRESSION
  local t0=$(na_now_ms)
  sql "INSERT INTO $1.\"user\" (id, name, email, \"emailVerified\", image, \"createdAt\", \"updatedAt\", role, banned)
       SELECT $2, 'Name ' || i, 'user-' || i || '@example.com', i % 3 = 0, NULL,
              now() - make_interval(secs => $USERS - i), now(),
              CASE WHEN i % 1000 = 0 THEN 'admin' ELSE 'user' END, i % 500 = 0
       FROM generate_series(1, $USERS) AS i" >/dev/null
  sql "ANALYZE $1.\"user\"" >/dev/null
  log "$USERS users in $1 in $(( $(na_now_ms) - t0 )) ms"
}
seed neon_auth "gen_random_uuid()"
[ -n "$PEER_URL" ] && seed neon_auth_peer "md5(i::text)"

# ---------------------------------------------------------------- 4: an admin on each
admin_cookie() { # BASE ORIGIN SCHEMA -> "Cookie: ..." value
  local base=$1 origin=$2 schema=$3 jar=$WORK/jar.$RANDOM email=bench-admin-$RANDOM@example.com
  curl -s -o /dev/null -c "$jar" -H "Origin: $origin" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"bench-password-123\",\"name\":\"Bench\"}" "$base/sign-up/email"
  sql "UPDATE $schema.\"user\" SET role = 'admin' WHERE email = '$email'" >/dev/null
  # curl's jar: HttpOnly cookies are the lines that start "#HttpOnly_"
  awk '{ sub(/^#HttpOnly_/, "") } $0 !~ /^#/ && NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep = "; " }' "$jar"
}
OURS_COOKIE=$(admin_cookie "$AUTH_URL" "$ORIGIN" neon_auth)
PEER_COOKIE=""
[ -n "$PEER_URL" ] && PEER_COOKIE=$(admin_cookie "$PEER_URL" "$(sed -E 's|^(https?://[^/]+).*|\1|' <<<"$PEER_URL")" neon_auth_peer)

HALF=$((USERS / 2))
CASES=(
  "first page|limit=20"
  "offset $HALF|limit=20&offset=$HALF"
  "sort by name desc|sortBy=name&sortDirection=desc&limit=20"
  "email contains|searchValue=user-12345&limit=20"
  "email starts with|searchValue=user-99&searchOperator=starts_with&limit=20"
  "email ends with|searchValue=77%40example.com&searchOperator=ends_with&limit=20"
  "name starts with|searchField=name&searchValue=Name%204242&searchOperator=starts_with&limit=20"
  "role = admin|filterField=role&filterValue=admin&limit=20"
  "banned = true|filterField=banned&filterValue=true&limit=20"
)

# measure BASE COOKIE QUERY -> "p50 p95 rows total" (ms)
measure() {
  local base=$1 cookie=$2 q=$3 i times=() body
  for i in $(seq "$WARM"); do curl -s -o /dev/null -H "Cookie: $cookie" "$base/admin/list-users?$q"; done
  for i in $(seq "$REPS"); do
    times+=("$(curl -s -o "$WORK/body" -w '%{time_total}' -H "Cookie: $cookie" "$base/admin/list-users?$q")")
  done
  body=$(jq -r '"\(.users | length) \(.total)"' "$WORK/body" 2>/dev/null)
  [ -n "$body" ] || body="? ?"
  printf '%s\n' "${times[@]}" | sort -n | awk -v body="$body" '
    { t[NR] = $1 * 1000 }
    END { p50 = t[int((NR + 1) / 2)]; p95 = t[int(NR * 0.95 + 0.999)]; printf "%.1f %.1f %s\n", p50, p95, body }'
}

{
  echo "# list-users on $USERS users"
  echo
  echo "$(date -u +%FT%TZ), $(nproc) cores, $REPS requests per case after $WARM unmeasured, one at a time (curl)."
  echo "Times are the client's total per request, in ms: median / 95th percentile."
  echo
  if [ -n "$PEER_URL" ]; then
    echo "| case | neon-authd | rows / total | Better Auth | rows / total | median ratio (BA / ours) |"
    echo "|---|---|---|---|---|---|"
  else
    echo "| case | neon-authd | rows / total |"
    echo "|---|---|---|"
  fi
} | tee "$OUT/summary.md"
for c in "${CASES[@]}"; do
  name=${c%%|*} q=${c#*|}
  log "case: $name"
  read -r o50 o95 orows ototal <<<"$(measure "$AUTH_URL" "$OURS_COOKIE" "$q")"
  if [ -n "$PEER_URL" ]; then
    read -r p50 p95 prows ptotal <<<"$(measure "$PEER_URL" "$PEER_COOKIE" "$q")"
    ratio=$(awk -v a="$p50" -v b="$o50" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    echo "| $name | $o50 / $o95 | $orows / $ototal | $p50 / $p95 | $prows / $ptotal | $ratio |"
  else
    echo "| $name | $o50 / $o95 | $orows / $ototal |"
  fi | tee -a "$OUT/summary.md"
done
log "report in $OUT/summary.md"
