#!/usr/bin/env bash
# Benchmarks cas-compile on the SQLite shell (testdata/sqlite-3.52.0.tar.gz) against plain clang and ccache, side by side
# in one run, at -O0 and -O2. Prints a table of medians and ratios.
#
#   bench/sqlite.sh [runs]        (default 3 runs per measurement)
#
# cold  : empty cache, compile + link the shell    vs the bundled clang doing the same (no cache)
# warm  : every unit cached, `-c` of both units    vs ccache (Debian's) hitting on the same two `-c` commands
# warm+link: the whole build served from the cache (compile + link), for reference
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
runs="${1:-3}"

source "$root/bench/lib.sh"
corpus="$(testdata sqlite-3.52.0)"
bench_install ccache bc
"$root/bin/install-prerequisites"

work="$(mktemp -d /tmp/cas-bench.XXXXXX)"
trap 'CAS_CACHE_DIR="$work/cas" "$root/bin/cas-compile" stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
export CAS_CACHE_DIR="$work/cas"
export CCACHE_DIR="$work/ccache"
cas="$root/bin/cas-compile"
"$cas" --version >/dev/null  # builds the jar if needed
"$cas" cc --version >/dev/null  # unpacks the bundled toolchain if needed
clang="$(bundled_clang)"
defs=(-DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION)
cd "$work"
cp "$corpus"/shell.c "$corpus"/sqlite3.c "$corpus"/sqlite3.h "$corpus"/sqlite3ext.h .

# time_cmd VAR command...: appends the wall time of one run to array VAR
time_cmd() {
  local -n out=$1; shift
  local t0 t1; t0=$(now); "$@" >/dev/null 2>"$work/last.err" || { cat "$work/last.err" >&2; exit 1; }; t1=$(now)
  out+=("$(echo "$t1 - $t0" | bc -l)")
}

rows=()
for opt in -O0 -O2; do
  clang_cold=(); cas_cold=(); cas_warm=(); cas_warm_link=(); ccache_warm=()
  for ((i = 0; i < runs; i++)); do
    time_cmd clang_cold "$clang" -fuse-ld=lld "$opt" "${defs[@]}" -o sqlite3-clang shell.c sqlite3.c -lm
    "$cas" clear >/dev/null
    time_cmd cas_cold "$cas" cc "$opt" "${defs[@]}" -o sqlite3-cas shell.c sqlite3.c -lm
    cas_settle "$cas"  # units built whole are split when idle: not beside the next measurement
  done
  cmp <(./sqlite3-clang :memory: <"$corpus/workload.sql") <(./sqlite3-cas :memory: <"$corpus/workload.sql") \
    || { echo "workload output differs at $opt" >&2; exit 1; }
  warm_c() { "$cas" cc "$opt" "${defs[@]}" -c shell.c -o shell.o && "$cas" cc "$opt" "${defs[@]}" -c sqlite3.c -o sqlite3.o; }
  ccache_c() { ccache "$clang" "$opt" "${defs[@]}" -c shell.c -o shell.o && ccache "$clang" "$opt" "${defs[@]}" -c sqlite3.c -o sqlite3.o; }
  warm_c >/dev/null 2>&1; ccache -C >/dev/null; ccache_c >/dev/null 2>&1  # populate both caches
  for ((i = 0; i < runs; i++)); do
    time_cmd cas_warm warm_c
    time_cmd ccache_warm ccache_c
    time_cmd cas_warm_link "$cas" cc "$opt" "${defs[@]}" -o sqlite3-cas shell.c sqlite3.c -lm
  done
  rows+=("$opt $(median "${clang_cold[@]}") $(median "${cas_cold[@]}") $(median "${ccache_warm[@]}") $(median "${cas_warm[@]}") $(median "${cas_warm_link[@]}")")
done

echo
echo "SQLite shell (shell.c + sqlite3.c), median of $runs runs, $(nproc) cores, wall seconds"
printf '%-5s | %10s | %9s | %11s | %13s | %9s | %11s | %12s\n' opt "clang cold" "cas cold" "cold ratio" "ccache warm -c" "cas warm -c" "warm ratio" "cas warm+link"
printf -- '------|------------|-----------|-------------|----------------|-------------|-------------|--------------\n'
for row in "${rows[@]}"; do
  read -r opt cc cold ccw casw caslink <<<"$row"
  printf '%-5s | %10.2f | %9.2f | %10.2fx | %14.3f | %11.3f | %10.2fx | %12.3f\n' "$opt" "$cc" "$cold" \
    "$(echo "$cold / $cc" | bc -l)" "$ccw" "$casw" "$(echo "$casw / $ccw" | bc -l)" "$caslink"
done
echo "cold ratio = cas cold / clang cold (target <= 1.1); warm ratio = cas warm -c / ccache warm -c (goal <= 2)"
