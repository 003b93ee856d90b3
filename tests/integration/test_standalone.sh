#!/usr/bin/env bash
# The project stands on its own (issue 11): what a new user gets builds and passes its tests
# with nothing beside it.
#
#   clone    `git clone` of this repository (its committed HEAD) into an empty directory, nothing
#            else in that directory: no file of the clone names the workspace's shared folder;
#            autoreconf -fi && ./configure && make, then make check passes there (unit tests
#            against the project's own tests/vectors, NEON_AUTHD_VECTORS unset)
#   tarball  make dist in that clone: the tarball holds every file git tracks and no
#            node_modules; unpacked into another empty directory, ./configure && make &&
#            make check passes there
#
# The package builds with their tests on (dpkg-buildpackage's dh_auto_test, the RPM spec's
# %check) are in test_packaging.sh. The full Quick start (tests/stack up && tests/run-all in a
# fresh clone) is run by hand before a release; here the clone's build and make check stand for
# it. Outside a git checkout (an unpacked tarball) the clone part is skipped and the tarball is
# made from a copy of the tree. Prints TAP. Bounded: NA_TEST_TIMEOUT (400 s). Environment:
# NA_TEST_TMP, KEEP=1.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$HERE/../lib.sh"
t_init standalone

for c in git autoreconf make tar gzip; do
  command -v "$c" >/dev/null || { echo "Bail out! $c missing (scripts/install-deps)"; exit 1; }
done

T=$(mktemp -d "${NA_TEST_TMP:-${TMPDIR:-/tmp}}/standalone.XXXXXX") || exit 1
JOBS=$(nproc 2>/dev/null || echo 2)
cleanup() { trap - EXIT; na_test_release; }
na_test_guard cleanup 400 test_standalone.sh

# step NAME LOG CMD...: run CMD (in the current directory) with its output in LOG; prints the
# seconds it took on success (STEP_S), or the end of LOG as TAP diagnostics on failure
step() {
  local name=$1 log=$2 t0; shift 2
  t0=$(date +%s)
  if "$@" > "$log" 2>&1; then STEP_S=$(( $(date +%s) - t0 )); return 0; fi
  t_fail "$name" "$(tail -n 25 "$log")"
  return 1
}
# the environment of a new user: none of our test variables
clean_env() { env -u NEON_AUTHD_VECTORS -u NA_BIN -u NA_CONFIGURE_FLAGS -u CFLAGS -u top_srcdir -u srcdir "$@"; }
build() { clean_env sh -c "autoreconf -fi && ./configure && make -j$JOBS"; }
configure_make() { clean_env sh -c "./configure && make -j$JOBS"; }
check() { clean_env make -j"$JOBS" check; }
# check_counts LOG: "N passed, N skipped" from automake's summary in LOG; false when nothing ran
check_counts() {
  local pass skip fail err
  pass=$(sed -n 's/^# PASS: *\([0-9]*\)$/\1/p' "$1" | tail -1)
  skip=$(sed -n 's/^# SKIP: *\([0-9]*\)$/\1/p' "$1" | tail -1)
  fail=$(sed -n 's/^# FAIL: *\([0-9]*\)$/\1/p' "$1" | tail -1)
  err=$(sed -n 's/^# ERROR: *\([0-9]*\)$/\1/p' "$1" | tail -1)
  COUNTS="${pass:-?} passed, ${skip:-?} skipped"
  [ "${pass:-0}" -gt 0 ] && [ "${fail:-1}" = 0 ] && [ "${err:-1}" = 0 ]
}

# ---------------------------------------------------------------- the clone

SRC=""
if [ "$(git -C "$NA_TOP" rev-parse --show-toplevel 2>/dev/null)" = "$NA_TOP" ]; then
  mkdir -p "$T/clone"
  head=$(git -C "$NA_TOP" rev-parse --short HEAD)
  if (cd "$T/clone" && git clone -q "$NA_TOP" neon-authd) > "$T/clone.log" 2>&1 &&
     [ "$(ls -A "$T/clone")" = neon-authd ]; then
    SRC=$T/clone/neon-authd
    t_ok "git clone into an empty directory: commit $head, nothing beside it"
    git -C "$NA_TOP" diff --quiet HEAD 2>/dev/null || t_diag "the working tree has uncommitted changes: the clone has only commit $head"
  else
    t_fail "git clone into an empty directory" "$(cat "$T/clone.log")"
  fi
else
  t_skip "git clone into an empty directory, build and make check there" "$NA_TOP is not a git checkout (an unpacked tarball?)"
fi

if [ -n "$SRC" ]; then
  # nothing that is read may name the workspace's shared folder (comments are no exception:
  # a path in a comment is one step from a path in code); [d] keeps this line from matching
  out=$(cd "$SRC" && git grep -n -e '\.\./share[d]' -e '/work/share[d]' -- src tests scripts packaging \
        Makefile.am configure.ac 2>&1)
  if [ -z "$out" ]; then t_ok "no file under src, tests, scripts, packaging, Makefile.am or configure.ac names the workspace's shared folder"
  else t_fail "no file under src, tests, scripts, packaging, Makefile.am or configure.ac names the workspace's shared folder" "$out"; fi

  cd "$SRC" || exit 1
  if step "autoreconf -fi && ./configure && make in the clone" "$T/clone-build.log" build; then
    t_ok "autoreconf -fi && ./configure && make in the clone (${STEP_S} s)"
    if step "make check in the clone" "$T/clone-check.log" check; then
      if check_counts "$T/clone-check.log"; then t_ok "make check in the clone: $COUNTS (${STEP_S} s)"
      else t_fail "make check in the clone runs tests and passes" "$(grep '^# ' "$T/clone-check.log")"; fi
    fi
    if [ -n "$(ls -A "$T/clone" | grep -vx neon-authd)" ]; then
      t_fail "the build wrote nothing beside the clone" "$(ls -A "$T/clone")"
    else
      t_ok "the build wrote nothing beside the clone"
    fi
  fi
  cd "$T" || exit 1
fi

# ---------------------------------------------------------------- the tarball

TARBALL=""
make_dist() {
  if [ -n "$SRC" ] && [ -f "$SRC/Makefile" ]; then
    (cd "$SRC" && clean_env make dist) || return 1
    TARBALL=$(ls "$SRC"/neon-authd-*.tar.gz 2>/dev/null | head -1)
  else
    # no clone (or its build failed): from a copy of this tree, as test_packaging.sh does
    local src=$T/tree
    mkdir -p "$src" &&
      tar -C "$NA_TOP" --exclude=./_stack --exclude='./neon-authd-*' --exclude=node_modules \
        --exclude='*.o' --exclude='*.a' --exclude='*.log' --exclude='*.trs' -cf - . | tar -C "$src" -xf - || return 1
    (cd "$src" && rm -f config.status Makefile && mkdir -p m4 && clean_env sh -c 'autoreconf -fi && ./configure && make dist') || return 1
    TARBALL=$(ls "$src"/neon-authd-*.tar.gz 2>/dev/null | head -1)
  fi
  [ -n "$TARBALL" ]
}
if step "make dist" "$T/dist.log" make_dist; then
  t_ok "make dist: $(basename "$TARBALL") ($(du -k "$TARBALL" | cut -f1) KiB, ${STEP_S} s)"
else
  t_done; exit
fi
NAME=$(basename "$TARBALL" .tar.gz)
tar tzf "$TARBALL" | sed "s|^$NAME/||" | sort > "$T/tarball.files"
if [ -n "$SRC" ]; then
  missing=$(cd "$SRC" && git ls-files | grep -vx '.gitignore' | sort | comm -23 - "$T/tarball.files")
  if [ -z "$missing" ]; then t_ok "the tarball holds every file git tracks ($(wc -l < "$T/tarball.files") entries)"
  else t_fail "the tarball holds every file git tracks (EXTRA_DIST in Makefile.am)" "missing: $(echo $missing)"; fi
fi
bad=$(grep -E '(^|/)node_modules(/|$)|\.o$|(^|/)config\.status$|\.trs$' "$T/tarball.files" | head -5)
if [ -z "$bad" ]; then t_ok "the tarball holds no node_modules and no build outputs"
else t_fail "the tarball holds no node_modules and no build outputs" "$bad"; fi

mkdir -p "$T/unpacked"
if tar -C "$T/unpacked" -xzf "$TARBALL" && [ "$(ls -A "$T/unpacked")" = "$NAME" ]; then
  cd "$T/unpacked/$NAME" || exit 1
  if step "./configure && make from the unpacked tarball" "$T/tar-build.log" configure_make; then
    t_ok "./configure && make from the unpacked tarball, in an empty directory (${STEP_S} s)"
    if step "make check from the unpacked tarball" "$T/tar-check.log" check; then
      if check_counts "$T/tar-check.log"; then t_ok "make check from the unpacked tarball: $COUNTS (${STEP_S} s)"
      else t_fail "make check from the unpacked tarball runs tests and passes" "$(grep '^# ' "$T/tar-check.log")"; fi
    fi
  fi
  cd "$T" || exit 1
else
  t_fail "the tarball unpacks into one directory $NAME" "$(ls -A "$T/unpacked")"
fi

t_done
