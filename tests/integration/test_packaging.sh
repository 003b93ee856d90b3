#!/usr/bin/env bash
# Packaging (issue 6): from the release tarball (`make dist` of a copy of this tree),
#
#   deb  dpkg-buildpackage -us -uc -b with packaging/debian as debian/, its tests on (dh_auto_test
#        runs make check: the unit tests against the tarball's own tests/vectors); lintian
#        reports no error;
#        dpkg -i on this machine: system user, generated secret, conffile, units, man page,
#        examples, SQL; `neon-authd check-config` passes on the shipped configuration, also as
#        the service user; the installed binary, run as the unit runs it (socket-activated, user
#        neon-authd) with the packaged configuration plus one branch on a throwaway database,
#        behind nginx configured from the installed example: sign-up, sign-in, get-session;
#        a reinstall keeps the secret; dpkg --purge removes everything but the user
#   rpm  rpmbuild -ta on the same tarball (Debian's rpm package; --nodeps: the BuildRequires name
#        Fedora packages), %check (make check) included, then its files, %config and scripts
#
# The package is installed on this machine and purged at the end (a neon-authd package found
# installed beforehand is purged first; without root that part is skipped). Prints TAP.
# Bounded: NA_TEST_TIMEOUT (540 s). Environment: NA_TEST_PGPORT, NA_TEST_TMP, KEEP=1,
# NA_PKG_CHECK=0 (build the packages without their tests, DEB_BUILD_OPTIONS=nocheck and
# rpmbuild --nocheck: quicker while working on the packaging; the run then says so).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$HERE/../lib.sh"
. "$HERE/lib_smoke.sh"
t_init packaging

for c in dpkg-buildpackage dh lintian dpkg autoreconf make nginx curl jq systemd-socket-activate setpriv; do
  command -v "$c" >/dev/null || { echo "Bail out! $c missing (scripts/install-deps)"; exit 1; }
done

T=$(mktemp -d "${NA_TEST_TMP:-${TMPDIR:-/tmp}}/packaging.XXXXXX") || exit 1
chmod 755 "$T"
if ! runuser -u nobody -- test -x "$T" 2>/dev/null; then
  rmdir "$T"; T=$(mktemp -d /tmp/packaging.XXXXXX) || exit 1; chmod 755 "$T"
fi
DB=na_packaging_$$
DAEMONS=() PG_DATA="" WATCHDOG="" NGX=$T/nginx INSTALLED=0
BUILD_JOBS=$(nproc 2>/dev/null || echo 2)

cleanup() {
  local p
  trap - EXIT
  for p in "${DAEMONS[@]}"; do na_pid_alive "$p" && na_kill_wait "$p" 5 TERM >/dev/null 2>&1; done
  [ -f "$NGX/nginx.pid" ] && na_nginx_stop "$NGX" 2>/dev/null
  [ "$INSTALLED" = 1 ] && dpkg_do --purge neon-authd >/dev/null 2>&1
  na_test_release "$DB"
}
na_test_guard cleanup 540 test_packaging.sh

# dpkg_do ARGS...: dpkg, waiting (60 s at most) while another dpkg/apt holds the lock
dpkg_do() {
  local out rc
  for _ in $(seq 30); do
    out=$(DEBIAN_FRONTEND=noninteractive dpkg "$@" 2>&1); rc=$?
    grep -q 'dpkg frontend lock\|dpkg status database is locked' <<<"$out" || { echo "$out"; return $rc; }
    sleep 2
  done
  echo "$out"; return $rc
}
installed_version() { dpkg-query -W -f='${Status} ${Version}' neon-authd 2>/dev/null | sed -n 's/^install ok installed //p'; }
# checked_in LOG WHAT: one result for the unit tests a package build ran (automake's summary in
# LOG): ok with the counts, a failure when none ran or one failed, a skip under NA_PKG_CHECK=0
checked_in() {
  local log=$1 what=$2 pass fail err skip
  if [ "${NA_PKG_CHECK:-1}" = 0 ]; then t_skip "$what ran make check" "NA_PKG_CHECK=0: built without tests"; return; fi
  pass=$(sed -n 's/^# PASS: *\([0-9]*\)$/\1/p' "$log" | tail -1)
  skip=$(sed -n 's/^# SKIP: *\([0-9]*\)$/\1/p' "$log" | tail -1)
  fail=$(sed -n 's/^# FAIL: *\([0-9]*\)$/\1/p' "$log" | tail -1)
  err=$(sed -n 's/^# ERROR: *\([0-9]*\)$/\1/p' "$log" | tail -1)
  if [ "${pass:-0}" -gt 0 ] && [ "$fail" = 0 ] && [ "$err" = 0 ]; then
    t_ok "$what ran make check: $pass passed, ${skip:-0} skipped"
  else
    t_fail "$what ran make check and it passed" "PASS ${pass:-none} FAIL ${fail:-none} ERROR ${err:-none}" \
      "$(grep -E '^(FAIL|ERROR):' "$log" | head -n 10)"
  fi
}

# ---------------------------------------------------------------- the release tarball

tarball() {
  local src=$T/src out
  mkdir -p "$src"
  # the working tree as it is (committed or not), without build products and bulky caches
  tar -C "$NA_TOP" --exclude-vcs --exclude=./_stack --exclude=node_modules --exclude=./autom4te.cache \
      --exclude='*.o' --exclude='*.a' --exclude='*.log' --exclude='*.trs' --exclude='./neon-authd-*' \
      -cf - . | tar -C "$src" -xf - || return 1
  rm -f "$src"/config.status "$src"/Makefile
  ( cd "$src" && mkdir -p m4 && autoreconf -fi && ./configure -q && make dist ) > "$T/dist.log" 2>&1 || return 1
  TARBALL=$(ls "$src"/neon-authd-*.tar.gz 2>/dev/null | head -1)
  [ -n "$TARBALL" ]
}
if tarball; then
  t_ok "make dist: $(basename "$TARBALL") ($(du -k "$TARBALL" | cut -f1) KiB)"
else
  echo "Bail out! make dist failed: $(tail -n 15 "$T/dist.log" | tr '\n' '|')"; exit 1
fi
VERSION=$(basename "$TARBALL" .tar.gz); VERSION=${VERSION#neon-authd-}
missing=""
for f in packaging/debian/control packaging/debian/rules packaging/rpm/neon-authd.spec \
         packaging/systemd/neon-authd.service.in packaging/systemd/neon-authd.socket \
         etc/neon-authd.conf etc/nginx/neon-authd.conf etc/apache/neon-authd.conf \
         etc/lighttpd/neon-authd.conf doc/neon-authd.8 sql/001_neon_auth.sql; do
  tar tzf "$TARBALL" "neon-authd-$VERSION/$f" >/dev/null 2>&1 || missing="$missing $f"
done
if [ -z "$missing" ]; then t_ok "the tarball holds the packaging, units, snippets, man page and SQL"
else t_fail "the tarball holds everything needed to build the packages" "missing:$missing"; fi

# ---------------------------------------------------------------- deb: build and lintian

DEB=""
build_deb() {
  local d=$T/deb opts="parallel=$BUILD_JOBS"
  mkdir -p "$d" && tar -C "$d" -xzf "$TARBALL" || return 1
  cp -r "$d/neon-authd-$VERSION/packaging/debian" "$d/neon-authd-$VERSION/debian"
  [ "${NA_PKG_CHECK:-1}" = 0 ] && opts="$opts nocheck"
  ( cd "$d/neon-authd-$VERSION" && DEB_BUILD_OPTIONS="$opts" timeout 400 dpkg-buildpackage -us -uc -b ) \
    > "$T/deb-build.log" 2>&1 || return 1
  DEB=$(ls "$d"/neon-authd_"$VERSION"-*_*.deb 2>/dev/null | head -1)
  CHANGES=$(ls "$d"/neon-authd_"$VERSION"-*_*.changes 2>/dev/null | head -1)
  [ -n "$DEB" ]
}
if build_deb; then
  t_ok "dpkg-buildpackage -us -uc -b: $(basename "$DEB")"
  checked_in "$T/deb-build.log" "dpkg-buildpackage (dh_auto_test)"
else
  t_fail "dpkg-buildpackage -us -uc -b builds the package" "$(tail -n 25 "$T/deb-build.log")"
fi

if [ -n "$DEB" ]; then
  # dh prints "   dh_foo" (or "   debian/rules override_dh_foo" for the overridden ones)
  steps=$(grep -oE '^ +(debian/rules override_)?dh_(autoreconf|auto_configure|installsystemd|installdeb)' \
            "$T/deb-build.log" | sed 's/.*override_//' | xargs)
  if grep -q -- '-fstack-protector-strong' "$T/deb-build.log" && grep -q -- '-z,now' "$T/deb-build.log" &&
     [[ "$steps" == *dh_autoreconf* && "$steps" == *dh_installsystemd* ]]; then
    t_ok "the build ran $steps with hardening=+all (stack protector, -z now)"
  else
    t_fail "the build ran dh_autoreconf and dh_installsystemd with hardening flags" "steps: $steps"
  fi
  out=$(timeout 300 lintian --fail-on error --tag-display-limit 0 "$CHANGES" 2>&1); rc=$?
  out=$(grep -v 'running with root privileges' <<<"$out")
  if [ "$rc" = 0 ] && ! grep -q '^E: ' <<<"$out"; then
    t_ok "lintian: no error ($(grep -c '^W: ' <<<"$out") warnings)"
    [ -n "$out" ] && t_diag "$out"
  else
    t_fail "lintian reports no error (exit $rc)" "$out"
  fi
fi

# ---------------------------------------------------------------- deb: install

test_install() {
  local out rc v
  if v=$(installed_version) && [ -n "$v" ]; then
    t_diag "neon-authd $v was installed before the test: purging it"
    dpkg_do --purge neon-authd >/dev/null
  fi
  out=$(dpkg_do -i "$DEB"); rc=$?
  if [ "$rc" = 0 ] && [ -n "$(installed_version)" ]; then
    INSTALLED=1
    t_ok "dpkg -i $(basename "$DEB")"
  else
    t_fail "dpkg -i installs the package" "$out"; return 1
  fi
  local bad=""
  getent passwd neon-authd >/dev/null || bad="$bad no user neon-authd;"
  getent group neon-authd >/dev/null || bad="$bad no group neon-authd;"
  [ "$(getent passwd neon-authd | cut -d: -f7)" = /usr/sbin/nologin ] || bad="$bad user has a login shell;"
  [ "$(stat -c '%U:%G %a' /etc/neon-authd 2>/dev/null)" = "root:neon-authd 750" ] ||
    bad="$bad /etc/neon-authd is $(stat -c '%U:%G %a' /etc/neon-authd 2>&1);"
  [ "$(stat -c '%U:%G %a' /etc/neon-authd/secret.conf 2>/dev/null)" = "root:neon-authd 640" ] ||
    bad="$bad secret.conf is $(stat -c '%U:%G %a' /etc/neon-authd/secret.conf 2>&1);"
  grep -qE '^secret = "[0-9a-f]{64}";$' /etc/neon-authd/secret.conf || bad="$bad no 64-hex secret in secret.conf;"
  grep -q '^@include "/etc/neon-authd/secret.conf"' /etc/neon-authd/neon-authd.conf || bad="$bad conffile does not include secret.conf;"
  dpkg-query -W -f='${Conffiles}\n' neon-authd | grep -q ' /etc/neon-authd/neon-authd.conf ' || bad="$bad neon-authd.conf is no conffile;"
  local f unitdir
  unitdir=$(dirname "$(dpkg -L neon-authd | grep '/neon-authd.service$' | head -1)")
  for f in /usr/bin/neon-authd "$unitdir/neon-authd.service" "$unitdir/neon-authd.socket" \
           /usr/share/man/man8/neon-authd.8.gz /usr/share/neon-authd/sql/001_neon_auth.sql \
           /usr/share/doc/neon-authd/examples/nginx/neon-authd.conf \
           /usr/share/doc/neon-authd/examples/apache/neon-authd.conf \
           /usr/share/doc/neon-authd/examples/lighttpd/neon-authd-spawn.conf; do
    [ -e "$f" ] || bad="$bad missing $f;"
  done
  grep -q '^ExecStart=/usr/bin/neon-authd --foreground --config /etc/neon-authd/neon-authd.conf$' \
    "$unitdir/neon-authd.service" 2>/dev/null || bad="$bad ExecStart: $(grep ^ExecStart "$unitdir/neon-authd.service" 2>&1);"
  if [ -z "$bad" ]; then
    t_ok "installed: user and group neon-authd (nologin), /etc/neon-authd 0750, secret.conf 0640 with a 64-hex secret, conffile, units in $unitdir, man page, SQL, examples"
  else
    t_fail "installed files and metadata" "$bad"
  fi
  out=$(neon-authd check-config 2>&1); rc=$?
  if [ "$rc" = 0 ]; then t_ok "neon-authd check-config on the installed /etc/neon-authd/neon-authd.conf: $out"
  else t_fail "neon-authd check-config passes on the shipped configuration (exit $rc)" "$out"; fi
  out=$(setpriv --reuid=neon-authd --regid=neon-authd --init-groups -- /usr/bin/neon-authd check-config 2>&1); rc=$?
  if [ "$rc" = 0 ]; then t_ok "check-config as the service user neon-authd (it can read the config and the secret)"
  else t_fail "check-config as the service user neon-authd (exit $rc)" "$out"; fi
  out=$(MANPATH=/usr/share/man timeout 60 systemd-analyze verify "$unitdir/neon-authd.service" "$unitdir/neon-authd.socket" 2>&1); rc=$?
  if [ "$rc" = 0 ] && [ -z "$out" ]; then t_ok "systemd-analyze verify on the installed units"
  else t_fail "systemd-analyze verify on the installed units (exit $rc)" "$out"; fi
}

# ---------------------------------------------------------------- deb: run the installed daemon

test_run() {
  local conf=$T/installed.conf log=$T/installed.log port out rc pid
  NA_NGINX_PORT=$(na_free_port)
  na_test_pg "$(na_free_port "$NA_NGINX_PORT")" || { t_fail "postgres starts"; return; }
  na_pg_createdb "$NA_PG_PORT" "$DB" || { t_fail "create database $DB"; return; }
  port=$(na_free_port "$NA_NGINX_PORT" "$NA_PG_PORT")
  local base="http://127.0.0.1:$NA_NGINX_PORT$NA_BASE_PATH"
  # the packaged configuration with one branch added (its secret stays in secret.conf)
  python3 - /etc/neon-authd/neon-authd.conf "$conf" "$base" \
      "host=127.0.0.1 port=$NA_PG_PORT dbname=$DB user=postgres" <<'PY' || { t_fail "a branch added to the packaged configuration"; return; }
import sys
src, dst, url, db = sys.argv[1:]
s = open(src).read()
marker = "branches = (\n"
if s.count(marker) != 1:
    sys.exit("no 'branches = (' line")
s = s.replace(marker, marker + '  { name = "main"; auth_url = "%s"; database = "%s"; }\n' % (url, db))
open(dst, "w").write(s)
PY
  chmod 644 "$conf"
  out=$(neon-authd migrate -c "$conf" --all 2>&1); rc=$?
  if [ "$rc" = 0 ]; then t_ok "installed neon-authd migrate (SQL from /usr/share/neon-authd/sql): $(tail -n 1 <<<"$out")"
  else t_fail "installed neon-authd migrate (exit $rc)" "$out"; return; fi
  # the smoke checks use the bearer plugin, off by default (issue 12)
  neon-authd config set main settings.bearer true -c "$conf" >/dev/null 2>&1 ||
    t_fail "installed neon-authd config set main settings.bearer true"

  # nginx from the installed example (FastCGI over TCP), as www-data
  mkdir -p "$NGX/logs" "$NGX/tmp"
  cp /etc/nginx/fastcgi_params "$NGX/"
  local ex=/usr/share/doc/neon-authd/examples/nginx/neon-authd-tcp.conf
  { [ -f "$ex" ] && cat "$ex" || zcat "$ex.gz"; } 2>/dev/null | sed "s/127\.0\.0\.1:9000;/127.0.0.1:$port;/" > "$NGX/neon-authd-tcp.conf"
  grep -q "127.0.0.1:$port;" "$NGX/neon-authd-tcp.conf" || { t_fail "the installed nginx example names 127.0.0.1:9000"; return; }
  cat > "$NGX/nginx.conf" <<EOF
user www-data;
daemon on;
worker_processes 1;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log notice;
events { worker_connections 64; }
http {
$(na_nginx_paths "$NGX")
  server {
    listen 127.0.0.1:$NA_NGINX_PORT;
    server_name 127.0.0.1;
    include $NGX/neon-authd-tcp.conf;
  }
}
EOF
  na_nginx_start "$NGX" || { t_fail "nginx starts with the installed example" "$(tail -n 5 "$NGX/logs/error.log")"; return; }

  # as the unit runs it: the socket from the socket unit (here systemd-socket-activate), user
  # neon-authd, the installed binary in the foreground
  : > "$log"
  systemd-socket-activate -l "127.0.0.1:$port" \
    setpriv --reuid=neon-authd --regid=neon-authd --init-groups --no-new-privs -- \
    /usr/bin/neon-authd --foreground --config "$conf" </dev/null >>"$log" 2>&1 &
  pid=$!; DAEMONS+=("$pid")
  if na_wait_http "$base/ok" 15; then
    t_ok "the installed daemon, socket-activated as user neon-authd, answers through nginx"
  else
    t_fail "the installed daemon answers through nginx" "$(tail -n 10 "$log")"; na_stop "$pid" 5; return
  fi
  local who; who=$(ps -o uid= -p "$pid" 2>/dev/null | xargs)
  [ "$who" = "$(id -u neon-authd)" ] || t_fail "the installed daemon runs as neon-authd" "uid: $who"
  sm_signup_signin "installed" "$base"
  na_stop "$pid" 15
  t_is "$NA_RC" 0 "the installed daemon stops on SIGTERM with status 0"
  na_nginx_stop "$NGX"
}

# ---------------------------------------------------------------- deb: reinstall, purge

test_reinstall_purge() {
  local before after out rc
  before=$(sha256sum /etc/neon-authd/secret.conf 2>/dev/null | cut -d' ' -f1)
  out=$(dpkg_do -i "$DEB"); rc=$?
  after=$(sha256sum /etc/neon-authd/secret.conf 2>/dev/null | cut -d' ' -f1)
  if [ "$rc" = 0 ] && [ -n "$before" ] && [ "$before" = "$after" ] && neon-authd check-config >/dev/null 2>&1; then
    t_ok "reinstalling keeps the generated secret"
  else
    t_fail "reinstalling keeps the generated secret" "exit $rc; $before -> $after" "$out"
  fi
  out=$(dpkg_do --purge neon-authd); rc=$?
  local left=""
  [ -e /usr/bin/neon-authd ] && left="$left /usr/bin/neon-authd"
  [ -e /etc/neon-authd ] && left="$left /etc/neon-authd($(find /etc/neon-authd -mindepth 1 -printf '%f ' 2>/dev/null))"
  left="$left$(find /etc/systemd/system -name 'neon-authd.*' -printf ' %p' 2>/dev/null)"
  if [ "$rc" = 0 ] && [ -z "$(installed_version)" ] && [ -z "$left" ]; then
    INSTALLED=0
    t_ok "dpkg --purge removes the binary, /etc/neon-authd (conffile and secret) and the enablement links"
  else
    t_fail "dpkg --purge removes everything" "exit $rc; left:$left" "$out"
  fi
}

if [ -n "$DEB" ] && ! na_is_root; then
  t_skip "install, run and purge the .deb" "not root: dpkg -i needs root"
elif [ -n "$DEB" ]; then
  if test_install; then
    test_run
    test_reinstall_purge
  fi
else
  t_skip "install, run and purge the .deb" "no package was built"
fi

# ---------------------------------------------------------------- rpm

test_rpm() {
  local top=$T/rpmbuild rpmf out rc
  mkdir -p "$top"
  # Debian's rpm lacks systemd-rpm-macros: stand-ins that only print what they stand for
  local -a defs=(--define "_topdir $top" --define 'debug_package %{nil}')
  for m in systemd_post systemd_preun systemd_postun_with_restart; do
    [ -n "$(rpm --eval "%{?$m:x}")" ] || defs+=(--define "$m() echo $m %*")
  done
  local nocheck=""
  [ "${NA_PKG_CHECK:-1}" = 0 ] && nocheck=--nocheck
  out=$(cd "$top" && timeout 400 rpmbuild -ta --nodeps $nocheck "${defs[@]}" "$TARBALL" 2>&1); rc=$?
  echo "$out" > "$T/rpm-build.log"
  rpmf=$(ls "$top"/RPMS/*/neon-authd-"$VERSION"-*.rpm 2>/dev/null | head -1)
  if [ "$rc" = 0 ] && [ -n "$rpmf" ]; then
    t_ok "rpmbuild -ta $(basename "$TARBALL") (the spec in packaging/rpm): $(basename "$rpmf")"
    if [ "${NA_PKG_CHECK:-1}" != 0 ] && ! grep -q '^Executing(%check)' "$T/rpm-build.log"; then
      t_fail "rpmbuild ran the spec's %check"
    else
      checked_in "$T/rpm-build.log" "rpmbuild's %check"
    fi
  else
    t_fail "rpmbuild builds the binary rpm (exit $rc)" "$(tail -n 25 <<<"$out")"; return
  fi
  local files conf scripts bad="" f
  files=$(rpm -qlp "$rpmf" 2>/dev/null); conf=$(rpm -qp --configfiles "$rpmf" 2>/dev/null)
  scripts=$(rpm -qp --scripts "$rpmf" 2>/dev/null)
  for f in /usr/bin/neon-authd /etc/neon-authd/neon-authd.conf /usr/lib/systemd/system/neon-authd.service \
           /usr/lib/systemd/system/neon-authd.socket /usr/share/neon-authd/sql/001_neon_auth.sql \
           /usr/share/doc/neon-authd/examples/nginx/neon-authd.conf; do
    grep -qxF "$f" <<<"$files" || bad="$bad missing $f;"
  done
  grep -q '^/usr/share/man/man8/neon-authd.8' <<<"$files" || bad="$bad no man page;"
  grep -qxF /etc/neon-authd/neon-authd.conf <<<"$conf" || bad="$bad neon-authd.conf is not %config;"
  grep -q 'useradd -r' <<<"$scripts" || bad="$bad no user creation in %pre;"
  grep -q 'secret.conf' <<<"$scripts" || bad="$bad no secret generation in %post;"
  local x=$T/rpm-root
  # rpm2archive (rpm >= 4.15) writes the payload as a tar stream; no cpio needed
  mkdir -p "$x" && rpm2archive - < "$rpmf" 2>/dev/null | tar -C "$x" -xzf - 2>/dev/null
  grep -q '^@include "/etc/neon-authd/secret.conf"' "$x/etc/neon-authd/neon-authd.conf" 2>/dev/null ||
    bad="$bad configuration does not include secret.conf;"
  grep -q '^ExecStart=/usr/bin/neon-authd --foreground' "$x/usr/lib/systemd/system/neon-authd.service" 2>/dev/null ||
    bad="$bad ExecStart wrong;"
  if [ -z "$bad" ]; then
    t_ok "the rpm holds the binary, units, %config(noreplace) configuration including secret.conf, SQL, man page, examples; %pre adds the user, %post makes the secret"
  else
    t_fail "the rpm's files and scriptlets" "$bad"
  fi
  # the binary it built runs, and accepts the configuration it ships (with a secret)
  printf 'secret = "%s";\n' "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" > "$T/rpm-secret.conf"
  sed "s|^@include \"/etc/neon-authd/secret.conf\"|@include \"$T/rpm-secret.conf\"|" \
    "$x/etc/neon-authd/neon-authd.conf" > "$T/rpm.conf"
  out=$("$x/usr/bin/neon-authd" check-config -c "$T/rpm.conf" 2>&1); rc=$?
  if [ "$rc" = 0 ]; then t_ok "the rpm's binary passes check-config on the rpm's configuration"
  else t_fail "the rpm's binary passes check-config on its configuration (exit $rc)" "$out"; fi
}

if command -v rpmbuild >/dev/null; then
  test_rpm
elif command -v rpmlint >/dev/null; then
  out=$(rpmlint "$NA_TOP/packaging/rpm/neon-authd.spec" 2>&1); rc=$?
  if grep -q ' E: ' <<<"$out"; then t_fail "rpmlint: no error in the spec" "$out"
  else t_ok "rpmlint: no error in the spec"; fi
else
  t_skip "rpmbuild / rpmlint on the spec" "neither rpmbuild (package rpm) nor rpmlint installed"
fi

t_done
