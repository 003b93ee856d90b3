#!/usr/bin/env bash
# Fuzzing (issue 12), the short run of the test command: `make fuzz` builds every libFuzzer
# target of fuzz/ (clang, ASan + UBSan, coverage), then each runs NA_FUZZ_SECONDS (5) on its
# seed corpus fuzz/corpus/<target> (fuzz/run.sh: a crash, a sanitizer report, a leak or a 10 s
# input fails it).  Without a clang that links -fsanitize=fuzzer (configure says so) the suite
# skips.  A longer run: README "Fuzzing".
#
# Environment: NA_FUZZ_SECONDS (5), NA_TEST_TMP, KEEP=1 (keep the new corpus and crash files).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
t_init fuzz
cd "$NA_TOP" || exit 1
if [ ! -f Makefile ]; then echo "Bail out! not configured (run the build first)"; exit 1; fi
if ! grep -q '^NA_HAVE_FUZZ = yes' Makefile; then
  t_skip "libFuzzer targets" "configure found no clang that links -fsanitize=fuzzer (scripts/install-deps: clang libclang-rt-14-dev)"
  t_done; exit 0
fi
W=$(mktemp -d "${NA_TEST_TMP:-${TMPDIR:-/tmp}}/fuzz.XXXXXX") || exit 1
T0=$(date +%s)
if make fuzz > "$W/build.log" 2>&1; then
  t_ok "make fuzz builds the targets ($(( $(date +%s) - T0 )) s)"
else
  t_fail "make fuzz builds the targets" "$(tail -n 20 "$W/build.log")"
  t_done; exit 1
fi
targets=$(sed -n 's/^FUZZ_TARGETS = //p' Makefile)
# fuzz/run.sh prints its own TAP; its results become this suite's
while IFS= read -r line; do
  case "$line" in
    "ok "*) t_ok "${line#ok [0-9]* - }" ;;
    "not ok "*) t_fail "${line#not ok [0-9]* - }" ;;
    "#"*) echo "$line" ;;
  esac
done < <(FUZZ_WORK=$W/run bash fuzz/run.sh . fuzz "$targets" "${NA_FUZZ_SECONDS:-5}" 2>&1)
if [ "$T_FAIL" = 0 ] && [ "${KEEP:-0}" != 1 ]; then rm -rf "$W"; else echo "# fuzz work files in $W"; fi
t_done
