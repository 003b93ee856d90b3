#!/bin/sh
# fuzz/run.sh -- what `make fuzz-run` runs: each libFuzzer target for SECONDS on its seed corpus
# (fuzz/corpus/<target>, read only: new inputs go to a temporary directory), as TAP.  A crash,
# a sanitizer report, a leak or a timeout fails the target and keeps the input that did it.
#
#   run.sh SRCDIR BUILDDIR TARGETS SECONDS
#
# Environment: FUZZ_WORK (a directory for the new corpus and the crash files; default a
# temporary one, removed when everything passed), FUZZ_ARGS (more libFuzzer flags).
set -u
srcdir=$(cd "$1" && pwd) bdir=$(cd "$2" && pwd) targets=$3 secs=$4
work=${FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/neon-authd-fuzz.XXXXXX")}
mkdir -p "$work"
n=0 fails=0
for t in $targets; do n=$((n + 1)); done
echo "1..$n"
i=0
for t in $targets; do
  i=$((i + 1))
  bin=$bdir/fuzz_$t seeds=$srcdir/fuzz/corpus/$t
  mkdir -p "$work/$t/new" "$work/$t/artifacts"
  if [ ! -x "$bin" ]; then echo "not ok $i - $t: $bin not built (make fuzz)"; fails=$((fails + 1)); continue; fi
  if [ ! -d "$seeds" ]; then echo "not ok $i - $t: no seed corpus $seeds"; fails=$((fails + 1)); continue; fi
  # a leak is a failure, an input that takes 10 s or 2 GB too
  # shellcheck disable=SC2086
  (cd "$work/$t" && ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$srcdir/fuzz/lsan.supp} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$work/$t/artifacts/" ${FUZZ_ARGS:-} \
      "$work/$t/new" "$seeds") > "$work/$t/log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$work/$t/log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$work/$t/log" | tail -1 | cut -d' ' -f2)
  seedn=$(find "$seeds" -type f | wc -l)
  if [ "$rc" = 0 ]; then
    echo "ok $i - $t: ${runs:-?} runs in ${secs}s, ${seedn} seeds, coverage ${cov:-?}"
  else
    fails=$((fails + 1))
    echo "not ok $i - $t: exit $rc after ${runs:-?} runs (artifacts in $work/$t/artifacts)"
    grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==' "$work/$t/log" | head -n 20 | sed 's/^/# /'
  fi
done
if [ "$fails" = 0 ] && [ -z "${FUZZ_WORK:-}" ]; then rm -rf "$work"
elif [ "$fails" != 0 ]; then echo "# fuzz work files in $work"; fi
[ "$fails" = 0 ]
