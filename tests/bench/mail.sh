#!/usr/bin/env bash
# tests/bench/mail.sh [OUT] -- the mail endpoints against the Better Auth reference server
# (tests/reference, PEER_PLUGINS=extended) in one run, and our mail sender's delivery rate
# (issue 13, "Benchmark").  About 2 minutes; a report on stdout and in OUT/summary.md.
#
#  1. a dedicated stack (tests/stack, STACK_DIR in a temp dir, BENCH_WORKERS workers, its mail
#     spool), rate limiting off, the branch's email_provider naming an SMTP sink on loopback
#     (tests/integration/smtp_sink.py);
#  2. the peer on the stack's PostgreSQL server with the email OTP and magic-link plugins and no
#     SMTP (its senders only log: it waits on no SMTP server, and neither do we: we queue);
#  3. the bench user signed up on both; for each case and server a warm-up wrk run, then
#     wrk -t$WRK_THREADS -c$WRK_CONNS -d$WRK_DURATION --latency:
#       request-password-reset            {"email": the user}   a token row + a mail each
#       email-otp/send-verification-otp   {"email", "type":"forget-password"}   a code + a mail each
#  4. the sender's delivery rate: the backlog those runs queued (every request of ours queued
#     one message) drained into the sink: messages / seconds until the queue is empty, counted
#     from the sink's files; and how long the first message of a fresh request takes to arrive.
#
# Env: OUT (or $1), BENCH_WORKERS (4), WRK_THREADS (2), WRK_CONNS (32), WRK_DURATION (10s),
#      WRK_WARMUP (2s), WRK_TIMEOUT (10s), DRAIN_MAX (300 s: the longest wait for the backlog),
#      NA_BIN, KEEP=1.
# Do not read numbers off a busy machine: the report prints the load it saw.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$HERE/../lib.sh"

REF=$NA_TOP/tests/reference
T=${WRK_THREADS:-2} C=${WRK_CONNS:-32} D=${WRK_DURATION:-10s} WARM=${WRK_WARMUP:-2s} TO=${WRK_TIMEOUT:-10s}
export BENCH_EMAIL=bench-mail@example.com
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
for c in wrk curl jq node nginx; do command -v "$c" >/dev/null || na_die "$c not found (scripts/install-deps)"; done
"$PY" -c 'import aiosmtpd' 2>/dev/null || na_die "python3-aiosmtpd not installed (scripts/install-deps)"

OUT=${1:-${OUT:-}}
[ -n "$OUT" ] || OUT=$(mktemp -d "${TMPDIR:-/tmp}/neon-authd-bench-mail.XXXXXX")
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd -P)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nabm.XXXXXX"); chmod 755 "$WORK"
export STACK_DIR=$WORK/stack PEER_WORK=$WORK/peer
LOGF=$OUT/log.txt; : >"$LOGF"
log() { echo "[bench-mail $(date +%T)] $*" | tee -a "$LOGF" >&2; }
SINK="" STACK_STARTED=0 PEER_STARTED=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$SINK" ] && kill "$SINK" 2>/dev/null
  [ "$PEER_STARTED" = 1 ] && { bash "$REF/stop.sh" >>"$LOGF" 2>&1 || true; }
  [ "$STACK_STARTED" = 1 ] && { "$NA_TOP/tests/stack" wipe >>"$LOGF" 2>&1 || true; }
  if [ "${KEEP:-0}" = 1 ]; then echo "work files kept in $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------- 1. stack and sink
log "stack (STACK_DIR=$STACK_DIR, ${BENCH_WORKERS:-4} workers)"
STACK_STARTED=1
env_lines=$(STACK_WORKERS=${BENCH_WORKERS:-4} "$NA_TOP/tests/stack" up 2>>"$LOGF") || na_die "stack up failed (log $LOGF)"
eval "$(printf '%s\n' "$env_lines" | sed -n 's/^\(AUTH_URL\|DATABASE_URL\)=\(.*\)$/\1="\2"/p')"
ORIGIN=$(printf '%s' "$AUTH_URL" | sed -E 's|^(https?://[^/]+).*|\1|')
STATUS_URL=$ORIGIN/_neon-authd/status
PG_PORT=$(sed -n 's/^PG_PORT=//p' "$STACK_DIR/ports")
NGINX_PORT=$(sed -n 's/^NGINX_PORT=//p' "$STACK_DIR/ports")
SMTP_PORT=$(na_free_port "$PG_PORT" "$NGINX_PORT")
MAILDIR=$WORK/mail
mkdir -p "$MAILDIR"
"$PY" "$NA_TOP/tests/integration/smtp_sink.py" --port "$SMTP_PORT" --dir "$MAILDIR" >"$WORK/sink.log" 2>&1 &
SINK=$!
na_wait_ms 10000 grep -q '^ready' "$WORK/sink.log" || na_die "SMTP sink did not start"
psql_db() { "$(na_pgbin)/psql" -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }
psql_db -c "UPDATE neon_auth.project_config SET settings = settings || '{\"rate_limit\":{\"enabled\":false}}'::jsonb,
  email_provider = '{\"type\":\"standard\",\"host\":\"127.0.0.1\",\"port\":$SMTP_PORT,\"security\":\"none\",\"sender_email\":\"bench@example.com\"}'::jsonb" >>"$LOGF"

# ---------------------------------------------------------------- 2. peer
PEER_PORT=$(na_free_port "$NGINX_PORT" "$PG_PORT" "$SMTP_PORT")
mkdir -p "$PEER_WORK"
unset PEER_PLUGIN_OPTIONS PEER_OPTIONS PEER_SMTP_PORT PEER_SECRET PEER_COOKIE_CACHE
log "peer on :$PEER_PORT (tests/reference, PEER_PLUGINS=extended, no SMTP; database $DATABASE_URL, schema neon_auth_peer)"
PEER_STARTED=1
out=$(PEER_PORT=$PEER_PORT PEER_PLUGINS=extended PEER_DATABASE_URL=$DATABASE_URL \
  bash "$REF/start.sh" 2>>"$LOGF") || na_die "peer did not start (log $LOGF)"
PEER_URL=$(printf '%s\n' "$out" | sed -n 's/^PEER_URL=//p')
[ -n "$PEER_URL" ] || na_die "tests/reference/start.sh printed no PEER_URL"

for base in "$AUTH_URL" "$PEER_URL"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"email\":\"$BENCH_EMAIL\",\"password\":\"bench-password-123\",\"name\":\"Bench\"}" "$base/sign-up/email")
  case "$code" in 200|422) ;; *) na_die "sign-up at $base answered $code" ;; esac
done

# ---------------------------------------------------------------- 3. the request cases
load() { awk '{ print $1 }' /proc/loadavg; }
declare -A R
run_case() { # NAME PATH BODY
  local name=$1 p=$2 body=$3 side base f
  for side in ours peer; do
    [ "$side" = ours ] && base=$AUTH_URL || base=$PEER_URL
    BENCH_BODY=$body wrk -t"$T" -c"$C" -d"$WARM" --timeout "$TO" -s "$HERE/mail.lua" "$base$p" >/dev/null 2>&1 || true
    f=$OUT/wrk-$name-$side.txt
    R[$name,$side,load]=$(load)
    BENCH_BODY=$body wrk -t"$T" -c"$C" -d"$D" --timeout "$TO" --latency -s "$HERE/mail.lua" "$base$p" >"$f" 2>&1 || true
    na_wrk_parse "$f"
    R[$name,$side,rps]=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$f")
    R[$name,$side,p50]=$(awk '$1 == "50%" { print $2 }' "$f")
    R[$name,$side,p99]=$(awk '$1 == "99%" { print $2 }' "$f")
    R[$name,$side,bad]=$((WRK_NON2XX + WRK_SOCKERR))
    R[$name,$side,reqs]=$WRK_REQS
    log "$name $side: ${R[$name,$side,rps]} req/s, p50 ${R[$name,$side,p50]}, p99 ${R[$name,$side,p99]}, non-2xx/errors ${R[$name,$side,bad]}"
  done
}
run_case request-password-reset /request-password-reset '{"email":"%EMAIL%"}'
run_case send-verification-otp /email-otp/send-verification-otp '{"email":"%EMAIL%","type":"forget-password"}'

# ---------------------------------------------------------------- 4. delivery rate
mails() { find "$MAILDIR" -maxdepth 1 -name '*.eml' | wc -l; }
queued() { curl -s "$STATUS_URL" | jq -r '.mail | .queued + .retrying + .sending'; }
t0=$(na_now_ms); m0=$(mails); q0=$(queued)
log "draining the backlog: $q0 queued, $m0 delivered so far"
na_wait_ms $(( ${DRAIN_MAX:-300} * 1000 )) eval '[ "$(queued)" = 0 ]' || log "backlog not drained within ${DRAIN_MAX:-300} s"
t1=$(na_now_ms); m1=$(mails)
DRAIN_N=$((m1 - m0)) DRAIN_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN{ printf "%.1f", (b - a) / 1000 }')
DRAIN_RATE=$(awk -v n="$DRAIN_N" -v a="$t0" -v b="$t1" 'BEGIN{ if (b > a) printf "%.0f", n * 1000 / (b - a); else print "-" }')
# one fresh message, queue empty: request to delivery
m2=$(mails); t2=$(na_now_ms)
curl -s -o /dev/null -H 'Content-Type: application/json' -d "{\"email\":\"$BENCH_EMAIL\"}" "$AUTH_URL/request-password-reset"
na_wait_ms 10000 eval '[ "$(mails)" -gt '"$m2"' ]' || true
LATENCY_MS=$(( $(na_now_ms) - t2 ))

# ---------------------------------------------------------------- report
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.1f", a / b }'; }
{
  echo "# neon-authd mail benchmark ($(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$NA_TOP" rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo
  echo "wrk -t$T -c$C -d$D on loopback; ours: ${BENCH_WORKERS:-4} workers behind nginx, every request queues a"
  echo "message in the spool (fsync + rename) for the mail sender; the peer: better-auth 1.7.25 with"
  echo "emailOTP and magicLink, senders that only log. $(nproc) CPUs; load average before each run in brackets."
  echo
  echo "| case | ours req/s | peer req/s | ratio | ours p50 / p99 | peer p50 / p99 | non-2xx (ours / peer) |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for k in request-password-reset send-verification-otp; do
    echo "| POST $k | ${R[$k,ours,rps]:-} [${R[$k,ours,load]:-}] | ${R[$k,peer,rps]:-} [${R[$k,peer,load]:-}] | $(ratio "${R[$k,ours,rps]:-}" "${R[$k,peer,rps]:-}")× | ${R[$k,ours,p50]:-} / ${R[$k,ours,p99]:-} | ${R[$k,peer,p50]:-} / ${R[$k,peer,p99]:-} | ${R[$k,ours,bad]:-} / ${R[$k,peer,bad]:-} |"
  done
  echo
  echo "Mail sender, to a local SMTP sink (aiosmtpd): $DRAIN_N messages of the backlog delivered in"
  echo "$DRAIN_S s after the runs (**$DRAIN_RATE messages/s**, mail.concurrency = 4; the sink is Python and"
  echo "shares the cores); a fresh request-password-reset to its message in the sink: $LATENCY_MS ms."
} | tee "$OUT/summary.md"
