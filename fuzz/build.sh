#!/usr/bin/env bash
# fuzz/build.sh -- what `make fuzz` runs: the libFuzzer targets fuzz/fuzz_<name>.c, linked with
# the daemon's own sources compiled again by clang with coverage, ASan and UBSan (the normal
# build's objects carry no coverage).  Incremental: an object is rebuilt when its source is
# newer, all of them when a header or the flags changed.
#
#   build.sh SRCDIR OUTDIR TARGETS --flags CPPFLAGS... --libs LIBS... --sources SOURCES...
#
# The flags come as words (the Makefile's $(DEFS) $(AM_CPPFLAGS) ...), parsed once by the shell
# that runs this, like any compile rule.  Environment: FUZZ_CC (clang).
set -eu
srcdir=$1 out=$2 targets=$3
shift 3
flags=() libs=() srcs=() mode=""
for a in "$@"; do
  case "$a" in
    --flags|--libs|--sources) mode=$a; continue ;;
  esac
  case "$mode" in
    --flags) flags+=("$a") ;; --libs) libs+=("$a") ;; --sources) srcs+=("$a") ;;
  esac
done
cc=${FUZZ_CC:-clang}
cflags=(-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined
  -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter)
mkdir -p "$out/obj"
# a change of compiler or flags, or a newer header, rebuilds everything
sig=$(printf '%s\n' "$cc" "${cflags[@]}" "${flags[@]}" | cksum)
if [ "$(cat "$out/obj/flags" 2>/dev/null)" != "$sig" ] ||
   [ -n "$(find "$srcdir/src" "$srcdir/fuzz" -name '*.h' -newer "$out/obj/flags" 2>/dev/null | head -1)" ]; then
  rm -f "$out"/obj/*.o
fi
jobs=$(nproc 2>/dev/null || echo 2)
objs=() fail=0
for s in "${srcs[@]}"; do
  case "$s" in *.c) ;; *) continue ;; esac
  o=$out/obj/$(printf %s "$s" | tr / _ | sed 's/\.c$/.o/')
  objs+=("$o")
  [ -f "$o" ] && [ ! "$srcdir/$s" -nt "$o" ] && continue
  while [ "$(jobs -pr | wc -l)" -ge "$jobs" ]; do wait -n || fail=1; done
  echo "  FUZZCC   $s"
  "$cc" "${cflags[@]}" -fsanitize=fuzzer-no-link "${flags[@]}" -c -o "$o" "$srcdir/$s" &
done
while [ "$(jobs -pr | wc -l)" -gt 0 ]; do wait -n || fail=1; done
wait || fail=1
[ "$fail" = 0 ] || { echo "fuzz/build.sh: compiling failed" >&2; exit 1; }
for o in "${objs[@]}"; do [ -f "$o" ] || { echo "fuzz/build.sh: $o missing" >&2; exit 1; }; done
printf '%s\n' "$sig" > "$out/obj/flags"
lib=$out/libfuzzcore.a
newer=""
[ -f "$lib" ] && newer=$(find "$out/obj" -name '*.o' -newer "$lib" | head -1)
if [ ! -f "$lib" ] || [ -n "$newer" ]; then rm -f "$lib"; ar rcs "$lib" "${objs[@]}"; fi
for t in $targets; do
  src=$srcdir/fuzz/fuzz_$t.c bin=$out/fuzz_$t
  [ -x "$bin" ] && [ ! "$src" -nt "$bin" ] && [ ! "$lib" -nt "$bin" ] && continue
  echo "  FUZZLD   $bin"
  "$cc" "${cflags[@]}" -fsanitize=fuzzer "${flags[@]}" -I"$srcdir" -o "$bin" "$src" "$lib" "${libs[@]}"
done
