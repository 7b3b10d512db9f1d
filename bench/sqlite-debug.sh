#!/usr/bin/env bash
# Debug builds per function (issue 18): sqlite3.c at -O2 -g, side by side in one run: plain clang, ccache and cas
# (per-function pieces with debug info). Cold build, the standard one-function edit (`k = 20` in
# whereLoopOutputAdjust, a new value each run), and a blank line inserted at the top of the file (every function's
# lines move); the bytes of the debug sections of each object, and whether cas's passes llvm-dwarfdump --verify.
#
#   bench/sqlite-debug.sh [runs]     (default 3)
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
runs="${1:-3}"
source "$root/bench/lib.sh"
corpus="$(testdata sqlite-3.52.0)"
bench_install ccache bc python3
"$root/bin/install-prerequisites"

work="$(mktemp -d /tmp/cas-debug-bench.XXXXXX)"
trap 'CAS_CACHE_DIR="$work/cas" "$root/bin/cas-compile" stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
export CAS_CACHE_DIR="$work/cas" CCACHE_DIR="$work/ccache"
unset CAS_PER_FUNCTION
cas="$root/bin/cas-compile"
"$cas" cc --version >/dev/null  # builds the jar and unpacks the bundled toolchain if needed
clang="$(bundled_clang)"
dwarfdump="$(dirname "$clang")/llvm-dwarfdump"
chmod +x "$dwarfdump"
cd "$work"
cp "$corpus"/sqlite3.c "$corpus"/sqlite3.h .
cp sqlite3.c original.c
flags=(-O2 -g -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -c sqlite3.c)

debug_bytes() { size -A "$1" | awk '/^\.debug/ {s += $2} END {print s}'; }
compiled() { "$cas" explain sqlite3.c | head -1 | grep -o '[0-9]* compiled' | grep -o '[0-9]*'; }
pieces() { "$cas" explain sqlite3.c | head -1 | grep -o '[0-9]* pieces' | grep -o '[0-9]*'; }

clang_cold=(); cas_cold=(); clang_edit=(); ccache_edit=(); cas_edit=(); clang_shift=(); ccache_shift=(); cas_shift=()
shift_compiled=()
for ((i = 0; i < runs; i++)); do
  cp original.c sqlite3.c
  "$cas" stop >/dev/null; rm -rf "$CAS_CACHE_DIR" "$CCACHE_DIR"
  cas_cold+=("$(timed "$cas" cc "${flags[@]}" -o cas.o)")
  clang_cold+=("$(timed "$clang" "${flags[@]}" -o clang.o)")
  ccache "$clang" "${flags[@]}" -o ccache.o >/dev/null 2>&1
  sqlite_edit $((21 + i))
  clang_edit+=("$(timed "$clang" "${flags[@]}" -o clang.o)")
  ccache_edit+=("$(timed ccache "$clang" "${flags[@]}" -o ccache.o)")
  cas_edit+=("$(timed "$cas" cc "${flags[@]}" -o cas.o)")
  edit_compiled="$(compiled)"
  { echo; cat sqlite3.c; } >shifted.c && mv shifted.c sqlite3.c
  clang_shift+=("$(timed "$clang" "${flags[@]}" -o clang.o)")
  ccache_shift+=("$(timed ccache "$clang" "${flags[@]}" -o ccache.o)")
  cas_shift+=("$(timed "$cas" cc "${flags[@]}" -o cas.o)")
  shift_compiled+=("$(compiled)")
done
total="$(pieces)"
verify="$("$dwarfdump" --verify cas.o 2>&1 | tail -1)"
cas_bytes="$(debug_bytes cas.o)"
clang_bytes="$(debug_bytes clang.o)"

ratio() { echo "$1 / $2" | bc -l; }
echo
echo "sqlite3.c -O2 -g -c, median of $runs runs, $(nproc) cores, wall seconds; cas per function (its default)"
printf '%-22s | %8s | %8s | %8s | %14s | %s\n' step clang ccache cas "clang / cas" "pieces compiled"
printf -- '-----------------------|----------|----------|----------|----------------|----------------\n'
printf '%-22s | %8.2f | %8s | %8.2f | %13.2fx | %s of %s\n' "cold build" "$(median "${clang_cold[@]}")" "" \
  "$(median "${cas_cold[@]}")" "$(ratio "$(median "${clang_cold[@]}")" "$(median "${cas_cold[@]}")")" "$total" "$total"
printf '%-22s | %8.2f | %8.2f | %8.2f | %13.2fx | %s\n' "one-function edit" "$(median "${clang_edit[@]}")" \
  "$(median "${ccache_edit[@]}")" "$(median "${cas_edit[@]}")" \
  "$(ratio "$(median "${clang_edit[@]}")" "$(median "${cas_edit[@]}")")" "$edit_compiled (last run)"
printf '%-22s | %8.2f | %8.2f | %8.2f | %13.2fx | %s (median)\n' "blank line at the top" \
  "$(median "${clang_shift[@]}")" "$(median "${ccache_shift[@]}")" "$(median "${cas_shift[@]}")" \
  "$(ratio "$(median "${clang_shift[@]}")" "$(median "${cas_shift[@]}")")" "$(median "${shift_compiled[@]}")"
printf 'cold build: cas / clang = %.2fx\n' "$(ratio "$(median "${cas_cold[@]}")" "$(median "${clang_cold[@]}")")"
printf 'debug sections: clang %d bytes, cas %d bytes (%.2fx); llvm-dwarfdump --verify on cas.o: %s\n' \
  "$clang_bytes" "$cas_bytes" "$(ratio "$cas_bytes" "$clang_bytes")" "$verify"
echo "targets (issue 18): edit and blank line >= 5x faster than clang (goal 8x), blank line <= 1% of pieces"
echo "compiled, debug sections <= 1.5x clang's, cold build <= 1.15x clang's wall time"
