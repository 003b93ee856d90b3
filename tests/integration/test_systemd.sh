#!/usr/bin/env bash
# systemd integration (issue 6), without a running systemd:
#
#   a  systemd-analyze verify on the units (a copy with the paths of this tree), and
#      systemd-analyze security --offline: the hardening rates "OK" or better
#   b  socket activation through systemd-socket-activate on a unix socket (what
#      neon-authd.socket does), nginx in front: sign-up, sign-in, get-session
#   c  sd_notify on a test NOTIFY_SOCKET (a python3 listener that reads the sender's pid):
#      READY=1, STATUS=, RELOADING=1 + MONOTONIC_USEC on SIGHUP then READY=1, STOPPING=1 on
#      SIGTERM, WATCHDOG=1 at half of WATCHDOG_USEC; all from the master (NotifyAccess=main);
#      an abstract "@" socket; no WATCHDOG=1 when WATCHDOG_PID names another process
#   d  the service's hardening applied as systemd would (sd_sandbox.py for the seccomp options
#      SystemCallFilter, MemoryDenyWriteExecute, RestrictAddressFamilies, RestrictNamespaces,
#      ...; a private mount namespace for ProtectSystem=strict, ProtectHome, PrivateTmp; setpriv
#      for User, NoNewPrivileges, CapabilityBoundingSet): the daemon, socket-activated, serves the
#      smoke suite, reloads, respawns a killed worker and stops cleanly without a SIGSYS; the same
#      sandbox kills or refuses what the unit forbids (negative controls)
#
# Part d needs root and a mount namespace; without them it is a skip with the reason.
# Prints TAP. Bounded: NA_TEST_TIMEOUT (300 s). Environment: NA_BIN, NA_TEST_PGPORT, NA_TEST_TMP,
# KEEP=1.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$HERE/../lib.sh"
. "$HERE/lib_smoke.sh"
t_init systemd

[ -x "$NA_BIN" ] || { echo "Bail out! $NA_BIN not built"; exit 1; }
for c in systemd-analyze systemd-socket-activate nginx curl jq python3 unshare setpriv; do
  command -v "$c" >/dev/null || { echo "Bail out! $c missing (scripts/install-deps)"; exit 1; }
done
/usr/bin/python3 -c 'import seccomp' 2>/dev/null || { echo "Bail out! python3-seccomp missing (scripts/install-deps)"; exit 1; }
UNITS=$NA_TOP/packaging/systemd

T=$(mktemp -d "${NA_TEST_TMP:-${TMPDIR:-/tmp}}/systemd.XXXXXX") || exit 1
chmod 755 "$T"
DB=na_systemd_$$
DAEMONS=() BG=() PG_DATA="" WATCHDOG="" NGX=$T/nginx

cleanup() {
  local p
  trap - EXIT
  for p in "${DAEMONS[@]}"; do na_pid_alive "$p" && na_kill_wait "$p" 5 TERM >/dev/null 2>&1; done
  for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
  na_nginx_stop "$NGX" 2>/dev/null
  na_test_release "$DB"
}
na_test_guard cleanup 300 test_systemd.sh

# a private copy: a rebuild of the tree during the test must not swap it
mkdir -p "$T/root" && cp "$NA_BIN" "$T/root/neon-authd" && NA_BIN=$T/root/neon-authd
chmod 755 "$T/root" "$NA_BIN"

# ---------------------------------------------------------------- a: the unit files

# the .service as make generates it, with the paths of this test
gen_service() { # BINDIR SYSCONFDIR OUT
  sed -e "s|@bindir@|$1|g" -e "s|@sysconfdir@|$2|g" "$UNITS/neon-authd.service.in" > "$3"
}

test_a() {
  local d=$T/units out rc
  mkdir -p "$d/man/man8" "$d/etc/neon-authd"
  gen_service "$T/root" "$d/etc" "$d/neon-authd.service"
  cp "$UNITS/neon-authd.socket" "$d/"
  cp "$NA_TOP/doc/neon-authd.8" "$d/man/man8/"   # Documentation=man:neon-authd(8) is checked
  if grep -q '@[a-z]*@' "$d/neon-authd.service"; then
    t_fail "a: every @var@ of neon-authd.service.in is substituted" "$(grep '@[a-z]*@' "$d/neon-authd.service")"
  fi
  out=$(cd "$d" && MANPATH=$d/man timeout 60 systemd-analyze verify ./neon-authd.service ./neon-authd.socket 2>&1); rc=$?
  if [ "$rc" = 0 ] && [ -z "$out" ]; then
    t_ok "a: systemd-analyze verify neon-authd.service neon-authd.socket: no error, no warning"
  else
    t_fail "a: systemd-analyze verify passes silently (exit $rc)" "$out"
  fi
  local want
  for want in 'Type=notify' 'ExecReload=/bin/kill -HUP $MAINPID' 'KillMode=mixed' 'User=neon-authd' \
              'NotifyAccess=main' 'WatchdogSec=' 'ProtectSystem=strict' 'SystemCallFilter=@system-service'; do
    grep -qxF -- "$want" "$d/neon-authd.service" || grep -q "^$want" "$d/neon-authd.service" ||
      t_fail "a: neon-authd.service has $want"
  done
  if grep -q "^ExecStart=$T/root/neon-authd --foreground" "$d/neon-authd.service"; then
    t_ok "a: ExecStart runs the daemon in the foreground (Type=notify: the master is the main process)"
  else
    t_fail "a: ExecStart runs the daemon with --foreground" "$(grep ^ExecStart "$d/neon-authd.service")"
  fi
  out=$(cd "$d" && timeout 60 systemd-analyze security --offline=true ./neon-authd.service 2>&1); rc=$?
  local level; level=$(grep -o 'Overall exposure level for neon-authd.service: .*' <<<"$out")
  case "$level" in
    *" OK"*|*" SAFE"*) t_ok "a: systemd-analyze security --offline: ${level#Overall exposure level for }" ;;
    *) t_fail "a: systemd-analyze security rates the service OK or SAFE" "exit $rc: $level" "$(tail -n 5 <<<"$out")" ;;
  esac
}

# ---------------------------------------------------------------- stack

NA_NGINX_PORT=$(na_free_port)
na_test_pg "$(na_free_port "$NA_NGINX_PORT")" || { echo "Bail out! postgres did not start"; exit 1; }
export NA_NGINX_PORT NA_PG_PORT
na_pg_createdb "$NA_PG_PORT" "$DB" || { echo "Bail out! cannot create database $DB"; exit 1; }
DBCONN="host=127.0.0.1 port=$NA_PG_PORT dbname=$DB user=postgres"
BASE=http://127.0.0.1:$NA_NGINX_PORT$NA_BASE_PATH
OK_URL=$BASE/ok

# ---------------------------------------------------------------- the notify listener

# notify_listen ADDRESS OUT: receive sd_notify datagrams on ADDRESS (a path, or @name for an
# abstract socket); one line per datagram: "<sender pid> <lines joined by |>". Sets LISTENER.
notify_listen() {
  python3 - "$1" "$2" <<'PY' &
import array, os, signal, socket, struct, sys, time
addr, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
if not addr.startswith("@"):
    os.chmod(addr, 0o777)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
s.settimeout(1.0)
end = time.time() + 280
with open(out, "a", buffering=1) as f:
    f.write("# listening\n")
    while time.time() < end:
        try:
            data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            continue
        pid = 0
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", payload[:12])[0]
        f.write("%d %s\n" % (pid, data.decode(errors="replace").strip().replace("\n", "|")))
PY
  LISTENER=$!; BG+=("$LISTENER")
  na_wait_ms 5000 grep -q '^# listening' "$2"
}
# notify_has FILE ERE: a datagram matches
notify_has() { grep -E -- "$2" "$1" >/dev/null 2>&1; }
notify_count() { grep -cE -- "$2" "$1" 2>/dev/null; }

# ---------------------------------------------------------------- b, c: activation and notify

test_bc() {
  local conf=$T/b.conf log=$T/b.log nf=$T/notify-b.txt asock=$T/activated.sock master
  : > "$nf"; : > "$log"
  if ! notify_listen "$T/notify.sock" "$nf"; then t_fail "c: notify listener starts"; return; fi
  na_conf "$conf" listen="unix:$T/unused-b.sock" workers=2 database="$DBCONN"
  if ! out=$("$NA_BIN" migrate -c "$conf" --all 2>&1); then echo "Bail out! migrate failed: $out"; exit 1; fi
  # the smoke checks use the bearer plugin, off by default (issue 12)
  if ! out=$("$NA_BIN" config set main settings.bearer true -c "$conf" 2>&1); then echo "Bail out! config set: $out"; exit 1; fi
  na_nginx_conf "$NGX" "$NA_NGINX_PORT" "unix:$asock"
  na_nginx_start "$NGX" || { echo "Bail out! nginx did not start"; exit 1; }
  NA_WRAP=(systemd-socket-activate -l "$asock" --fdname=neon-authd
           -E NOTIFY_SOCKET="$T/notify.sock" -E WATCHDOG_USEC=2000000)
  na_start "$conf" "$log"; master=$NA_PID; DAEMONS+=("$master")
  unset NA_WRAP
  # systemd-socket-activate execs the daemon on the first connection, like a socket unit
  if na_wait_http "$OK_URL" 15; then
    t_ok "b: systemd-socket-activate -l $asock: the first request starts the daemon, /ok answers"
  else
    t_fail "b: socket-activated daemon answers /ok" "$(tail -n 10 "$log")"; na_stop "$master" 5; return
  fi
  if [ ! -e "$T/unused-b.sock" ]; then t_ok "b: the inherited socket is used (listen.address not created)"
  else t_fail "b: the inherited socket is used (listen.address not created)"; fi
  sm_signup_signin "b: socket-activated" "$BASE"

  if na_wait_ms 10000 notify_has "$nf" "^$master READY=1"; then
    t_ok "c: READY=1 from the master ($master): $(grep -m1 " READY=1" "$nf" | cut -d' ' -f2- | cut -c1-80)"
  else
    t_fail "c: READY=1 from the master" "$(cat "$nf")"
  fi
  if notify_has "$nf" "^$master .*STATUS=."; then
    t_ok "c: STATUS= line: $(grep -m1 -o 'STATUS=[^|]*' "$nf")"
  else
    t_fail "c: a STATUS= line" "$(cat "$nf")"
  fi
  # WATCHDOG_USEC=2 s: pings about every second
  local w0 w1
  w0=$(notify_count "$nf" "^$master WATCHDOG=1")
  sleep 3.2
  w1=$(notify_count "$nf" "^$master WATCHDOG=1")
  if [ $((w1 - w0)) -ge 2 ]; then t_ok "c: WATCHDOG=1 every ~1 s with WATCHDOG_USEC=2000000 ($((w1 - w0)) in 3.2 s)"
  else t_fail "c: WATCHDOG=1 at least twice in 3.2 s with WATCHDOG_USEC=2000000" "got $((w1 - w0))" "$(tail -n 5 "$nf")"; fi

  local mark; mark=$(wc -l < "$nf")
  kill -HUP "$master"
  reload_done() { tail -n +$((mark + 1)) "$nf" | grep -A100 -E "^$master (.*\|)?RELOADING=1" | grep -qE "^$master (.*\|)?READY=1"; }
  if na_wait_ms 10000 reload_done; then
    local line; line=$(tail -n +$((mark + 1)) "$nf" | grep -m1 'RELOADING=1')
    if grep -q 'MONOTONIC_USEC=[0-9]' <<<"$line"; then
      t_ok "c: SIGHUP -> '$(cut -d' ' -f2- <<<"$line")' then READY=1"
    else
      t_fail "c: RELOADING=1 comes with MONOTONIC_USEC=" "$line"
    fi
  else
    t_fail "c: SIGHUP -> RELOADING=1 then READY=1" "$(tail -n +$((mark + 1)) "$nf")"
  fi
  na_wait_http "$OK_URL" 5 || t_fail "c: serving after the reload"

  na_stop "$master" 15
  t_is "$NA_RC" 0 "c: SIGTERM -> exit 0"
  if notify_has "$nf" "^$master (.*\|)?STOPPING=1"; then t_ok "c: STOPPING=1 sent on SIGTERM"
  else t_fail "c: STOPPING=1 sent on SIGTERM" "$(tail -n 5 "$nf")"; fi
  local others; others=$(grep -v '^#' "$nf" | grep -vc "^$master ")
  if [ "$others" = 0 ]; then t_ok "c: every message came from the master ($(grep -vc '^#' "$nf") datagrams; NotifyAccess=main holds)"
  else t_fail "c: every message came from the master (NotifyAccess=main)" "$(grep -v '^#' "$nf" | grep -v "^$master " | head -5)"; fi
  kill "$LISTENER" 2>/dev/null; wait "$LISTENER" 2>/dev/null
}

test_c_abstract() {
  local conf=$T/c.conf log=$T/c.log nf=$T/notify-c.txt master port w
  : > "$nf"; : > "$log"
  if ! notify_listen "@neon-authd-test-$$" "$nf"; then t_fail "c: abstract notify listener starts"; return; fi
  port=$(na_free_port "$NA_NGINX_PORT" "$NA_PG_PORT")
  na_conf "$conf" listen="127.0.0.1:$port" workers=1 database="$DBCONN"
  # WATCHDOG_PID names another process (pid 1): this one must not ping
  NA_WRAP=(env NOTIFY_SOCKET="@neon-authd-test-$$" WATCHDOG_USEC=1000000 WATCHDOG_PID=1)
  na_start "$conf" "$log"; master=$NA_PID; DAEMONS+=("$master")
  unset NA_WRAP
  if na_wait_ms 10000 notify_has "$nf" "^$master READY=1"; then
    t_ok "c: READY=1 through an abstract NOTIFY_SOCKET (@neon-authd-test-$$)"
  else
    t_fail "c: READY=1 through an abstract NOTIFY_SOCKET" "$(cat "$nf")" "$(tail -n 5 "$log")"
  fi
  sleep 1.5
  w=$(notify_count "$nf" 'WATCHDOG=1')
  t_is "$w" 0 "c: no WATCHDOG=1 when WATCHDOG_PID is another process"
  na_stop "$master" 15
  kill "$LISTENER" 2>/dev/null; wait "$LISTENER" 2>/dev/null
}

# ---------------------------------------------------------------- d: the hardened service

SBX=$T/root   # appears as /run/sbx inside the sandbox
cat > "$T/enter.sh" <<'EOF'
#!/bin/sh
# enter.sh HOSTNS ROOT COMMAND...: inside `unshare -m`, emulate the unit's ProtectSystem=strict,
# ProtectHome=yes, PrivateTmp=yes, LimitNOFILE=, UMask=, User= (nobody here), NoNewPrivileges=
# and CapabilityBoundingSet= (empty), then exec COMMAND (the pid stays the same throughout).
set -e
hostns=$1 root=$2; shift 2
# never touch the host's mounts: refuse unless this is a new mount namespace
[ "$(readlink /proc/self/ns/mnt)" != "$hostns" ] || { echo "enter.sh: not in a new mount namespace" >&2; exit 111; }
mount --make-rprivate /
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mkdir /run/sbx
mount --bind "$root" /run/sbx
mount -o remount,bind,ro /run/sbx
mount -o remount,bind,ro /                                    # ProtectSystem=strict
for d in /tmp /var/tmp; do mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$d"; done   # PrivateTmp
for d in /home /root; do [ -d "$d" ] && mount -t tmpfs -o mode=0000 tmpfs "$d"; done   # ProtectHome
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"       # LimitNOFILE (as far as allowed here)
umask 077                                                      # UMask
exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
  --no-new-privs -- "$@"
EOF
chmod 755 "$T/enter.sh"
HOSTNS=$(readlink /proc/self/ns/mnt)

# sandbox CMD...: run CMD as the unit would run it (see enter.sh and sd_sandbox.py)
sandbox() {
  unshare -m "$T/enter.sh" "$HOSTNS" "$SBX" /usr/bin/python3 /run/sbx/sd_sandbox.py /run/sbx/neon-authd.service -- "$@"
}

test_d() {
  local conf=$SBX/neon-authd.conf log=$T/d.log nf=$T/notify-d.txt port master out rc
  : > "$log"; : > "$nf"
  cp "$HERE/sd_sandbox.py" "$SBX/"
  gen_service /run/sbx /run/sbx/etc "$SBX/neon-authd.service"
  port=$(na_free_port "$NA_NGINX_PORT" "$NA_PG_PORT")
  # listen.address points into the read-only tree: only the inherited socket can work
  na_conf "$conf" listen="unix:/run/sbx/unused.sock" workers=2 database="$DBCONN"
  chmod 644 "$conf" "$SBX/sd_sandbox.py" "$SBX/neon-authd.service"

  # negative controls: the same sandbox enforces what the unit says
  out=$(sandbox /usr/sbin/chroot / /bin/true 2>&1); rc=$?
  local ctl=""
  [ "$rc" = 159 ] || ctl="$ctl chroot (@privileged) not killed by SIGSYS (exit $rc);"
  out=$(sandbox /usr/bin/nice -n 5 /bin/true 2>&1); rc=$?
  [ "$rc" = 159 ] || ctl="$ctl nice (@resources) not killed by SIGSYS (exit $rc);"
  out=$(sandbox /usr/bin/python3 -c 'import mmap; mmap.mmap(-1, 4096, prot=7)' 2>&1)
  grep -q 'PermissionError' <<<"$out" || ctl="$ctl W+X mmap allowed ($out);"
  out=$(sandbox /usr/bin/python3 -c 'import socket; socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)' 2>&1)
  grep -q 'Errno 97' <<<"$out" || ctl="$ctl AF_NETLINK socket allowed ($out);"
  out=$(sandbox /bin/sh -c 'touch /usr/sd-sandbox-probe' 2>&1)
  grep -q 'Read-only' <<<"$out" || ctl="$ctl /usr writable ($out);"
  out=$(sandbox /bin/sh -c 'id -u; ls -A /tmp | wc -l; ls /root 2>&1 | head -1' 2>&1)
  [ "$(sed -n 1p <<<"$out")" = 65534 ] || ctl="$ctl not running as nobody ($out);"
  [ "$(sed -n 2p <<<"$out")" = 0 ] || ctl="$ctl /tmp not private ($out);"
  grep -q 'Permission denied' <<<"$(sed -n 3p <<<"$out")" || ctl="$ctl /root readable ($out);"
  if [ -z "$ctl" ]; then
    t_ok "d: the sandbox enforces the unit: chroot and nice killed by SIGSYS, W+X mmap EPERM, AF_NETLINK refused, / read-only, /tmp private, /root hidden, uid nobody"
  else
    t_fail "d: the sandbox enforces the unit (negative controls)" "$ctl"
  fi

  out=$(sandbox /run/sbx/neon-authd check-config -c /run/sbx/neon-authd.conf 2>&1); rc=$?
  if [ "$rc" = 0 ]; then t_ok "d: check-config (the unit's ExecReload=) runs in the sandbox"
  else t_fail "d: check-config runs in the sandbox" "exit $rc: $out"; fi

  if ! notify_listen "@neon-authd-sbx-$$" "$nf"; then t_fail "d: notify listener starts"; return; fi
  na_nginx_conf "$NGX" "$NA_NGINX_PORT" "127.0.0.1:$port"
  na_nginx_reload "$NGX" || { t_fail "d: nginx reload to 127.0.0.1:$port"; return; }
  NA_WRAP=(systemd-socket-activate -l "127.0.0.1:$port" -E NOTIFY_SOCKET="@neon-authd-sbx-$$"
           -E WATCHDOG_USEC=4000000 unshare -m "$T/enter.sh" "$HOSTNS" "$SBX"
           /usr/bin/python3 /run/sbx/sd_sandbox.py /run/sbx/neon-authd.service --)
  local save=$NA_BIN; NA_BIN=/run/sbx/neon-authd
  na_start /run/sbx/neon-authd.conf "$log"; master=$NA_PID; DAEMONS+=("$master")
  NA_BIN=$save; unset NA_WRAP
  if ! na_wait_http "$OK_URL" 15; then
    t_fail "d: the hardened, socket-activated daemon answers /ok" "$(tail -n 15 "$log")"; na_stop "$master" 5; return
  fi
  if na_wait_ms 10000 notify_has "$nf" "^$master READY=1"; then
    t_ok "d: hardened daemon (pid $master) is up: READY=1 through the abstract socket"
  else
    t_fail "d: hardened daemon sends READY=1" "$(cat "$nf")"
  fi
  local st p bad=""
  for p in $master $(na_children "$master"); do
    st=$(grep -E '^(Uid|Seccomp|NoNewPrivs|CapBnd):' "/proc/$p/status" 2>/dev/null | tr -s '\t ' ' ' | tr '\n' ';')
    [[ "$st" == *"Uid: 65534 "* && "$st" == *"NoNewPrivs: 1"* && "$st" == *"Seccomp: 2"* && "$st" == *"CapBnd: 0000000000000000"* ]] ||
      bad="$bad $p: $st"
  done
  if [ -z "$bad" ]; then t_ok "d: master and workers run as nobody, NoNewPrivs, seccomp filter mode, no capabilities"
  else t_fail "d: master and workers run as nobody with NoNewPrivs, seccomp and no capabilities" "$bad"; fi

  SM_413_FROM="neon-authd" sm_suite "d: hardened" "$BASE"
  # semget/semctl/semop (@ipc, part of @system-service): any failure is logged as "hashgate:"
  if grep -q 'hashgate' "$log"; then
    t_fail "d: the password-hash gate works under the filter (no hashgate warning)" "$(grep hashgate "$log" | head -3)"
  else
    t_ok "d: the password-hash gate works under the filter (no hashgate warning after sign-up and sign-in)"
  fi

  # a killed worker is respawned (fork under the filter), a reload rolls the pool
  local w1; w1=$(na_children "$master" | cut -d' ' -f1)
  [ -n "$w1" ] && kill -KILL "$w1"
  local mark; mark=$(wc -l < "$nf")
  sleep 0.5
  kill -HUP "$master"
  reloaded() { tail -n +$((mark + 1)) "$nf" | grep -A100 'RELOADING=1' | grep -q 'READY=1'; }
  if na_wait_ms 10000 reloaded && na_wait_http "$OK_URL" 5 && [ "$(wc -w <<<"$(na_children "$master")")" -ge 2 ]; then
    t_ok "d: after kill -9 of worker $w1 and a SIGHUP reload: READY=1 again, 2 workers, /ok answers"
  else
    t_fail "d: respawn and reload in the sandbox" "children: $(na_children "$master")" "$(tail -n 10 "$log")"
  fi
  sm_signup_signin "d: hardened after reload" "$BASE"
  w0=$(notify_count "$nf" "^$master WATCHDOG=1")
  if [ "$w0" -ge 1 ]; then t_ok "d: WATCHDOG=1 pings from the sandbox ($w0 so far)"
  else t_fail "d: WATCHDOG=1 pings from the sandbox"; fi

  na_stop "$master" 15
  t_is "$NA_RC" 0 "d: SIGTERM -> the hardened daemon exits 0"
  if grep -qE 'signal 31|Bad system call|SIGSYS' "$log"; then
    t_fail "d: no process was killed by the syscall filter" "$(grep -E 'signal 31|Bad system call|SIGSYS' "$log" | head -5)"
  else
    t_ok "d: no process was killed by the syscall filter (no 'signal 31' in the log)"
  fi
  if grep -E 'exited on signal' "$log" | grep -vq "worker $w1 exited on signal 9"; then
    t_fail "d: only the worker we killed died of a signal" "$(grep 'exited on signal' "$log")"
  else
    t_ok "d: only the worker we killed died of a signal"
  fi
  kill "$LISTENER" 2>/dev/null; wait "$LISTENER" 2>/dev/null
}

test_a
test_bc
test_c_abstract
# d needs what a container may not give: root (setpriv to another user) and a mount namespace
D_DESC="d: the service's sandbox as systemd applies it (seccomp, read-only system, private /tmp, no privileges)"
if ! na_is_root; then
  t_skip "$D_DESC" "not root: a private mount namespace and setpriv to user nobody need root"
elif ! out=$(unshare -m true 2>&1); then
  t_skip "$D_DESC" "no mount namespace here (unshare -m: ${out:-failed})"
else
  test_d
fi
na_nginx_stop "$NGX"
if errs=$(na_nginx_errors "$NGX"); then t_fail "nginx error.log has no [alert]/[emerg]" "$errs"
else t_ok "nginx error.log has no [alert]/[emerg]"; fi
t_done
