#!/usr/bin/env bash
# The per-function benchmark (issue 3): sqlite3.c rebuilt with -c after the standard one-function edit
# (testdata/sqlite-3.52.0.tar.gz, its README.md), side by side in one run: plain clang, ccache (a miss: the file changed), and
# cas (per-function pieces, its default for a unit this size); plus the cold per-function build and peak memory.
# For reference, plain clang's edit once more with the glibc setting cas runs clang with (malloc on transparent huge
# pages, CAS_HUGE_PAGES in the README): the part of cas's edit time that is that setting, not caching.
#
#   bench/sqlite-edit.sh [runs]     (default 3; each run edits `k = 20` to a new value, so every tool sees a change)
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
runs="${1:-3}"
source "$root/bench/lib.sh"
corpus="$(testdata sqlite-3.52.0)"
bench_install ccache bc time python3
"$root/bin/install-prerequisites"

work="$(mktemp -d /tmp/cas-edit-bench.XXXXXX)"
trap 'CAS_CACHE_DIR="$work/cas" "$root/bin/cas-compile" stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
export CAS_CACHE_DIR="$work/cas" CCACHE_DIR="$work/ccache"
unset CAS_PER_FUNCTION
cas="$root/bin/cas-compile"
"$cas" cc --version >/dev/null  # builds the jar and unpacks the bundled toolchain if needed
clang="$(bundled_clang)"
cd "$work"
cp "$corpus"/sqlite3.c "$corpus"/sqlite3.h .
flags=(-DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -c sqlite3.c -o sqlite3.o)

worker_peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$(pgrep -f "WorkerDaemon $CAS_CACHE_DIR" | head -1)/status"; }

for opt in -O2 -O0; do
  clang_edit=(); clang_thp_edit=(); ccache_edit=(); cas_edit=(); cas_cold=(); clang_cold=(); rss_cas=(); rss_clang=()
  for ((i = 0; i < runs; i++)); do
    sqlite_edit 20
    "$cas" stop >/dev/null; rm -rf "$CAS_CACHE_DIR"
    cas_cold+=("$(timed "$cas" cc "$opt" "${flags[@]}")")
    rss_cas+=("$(worker_peak_kib)")
    clang_cold+=("$(timed "$clang" "$opt" "${flags[@]}")")
    rss_clang+=("$(/usr/bin/time -f %M "$clang" "$opt" "${flags[@]}" 2>&1 >/dev/null | tail -1)")
  done
  ccache "$clang" "$opt" "${flags[@]}" >/dev/null 2>&1
  for ((i = 0; i < runs; i++)); do
    sqlite_edit $((21 + i))
    clang_edit+=("$(timed "$clang" "$opt" "${flags[@]}")")
    clang_thp_edit+=("$(timed env "$huge_pages_env" "$clang" "$opt" "${flags[@]}")")
    ccache_edit+=("$(timed ccache "$clang" "$opt" "${flags[@]}")")
    cas_edit+=("$(timed "$cas" cc "$opt" "${flags[@]}")")
  done
  rss_edits="$(worker_peak_kib)" # the same worker's peak over its cold build and all the edits
  echo "$opt $(median "${clang_cold[@]}") $(median "${cas_cold[@]}") $(median "${clang_edit[@]}") $(median "${ccache_edit[@]}") $(median "${cas_edit[@]}") $(median "${rss_clang[@]}") $(median "${rss_cas[@]}") $rss_edits $(median "${clang_thp_edit[@]}")" >>"$work/rows"
  "$cas" explain sqlite3.c | head -5 >&2
done

echo
echo "sqlite3.c -c, median of $runs runs, $(nproc) cores, wall seconds; cas per function (its default)"
printf '%-5s | %10s | %9s | %10s | %10s | %11s | %9s | %10s | %13s | %14s | %17s | %15s\n' opt "clang cold" "cas cold" "cold ratio" "clang edit" "ccache edit" "cas edit" "edit ratio" "clang RSS MiB" "worker RSS MiB" "+ edits, RSS MiB" "clang+THP edit"
printf -- '------|------------|-----------|------------|------------|-------------|-----------|------------|---------------|----------------|-------------------|----------------\n'
while read -r opt cc cold ce cce casedit rc rw re cte; do
  printf '%-5s | %10.2f | %9.2f | %9.2fx | %10.2f | %11.2f | %9.2f | %9.2fx | %13.0f | %14.0f | %17.0f | %15.2f\n' "$opt" "$cc" "$cold" \
    "$(echo "$cold / $cc" | bc -l)" "$ce" "$cce" "$casedit" "$(echo "$casedit / $ce" | bc -l)" \
    "$(echo "$rc / 1024" | bc -l)" "$(echo "$rw / 1024" | bc -l)" "$(echo "$re / 1024" | bc -l)" "$cte"
done <"$work/rows"
echo "edit ratio = cas edit / clang edit (target at -O2: <= 0.125, goal 0.1); cold ratio target <= 1.15"
echo "clang+THP edit = plain clang with $huge_pages_env, the setting cas runs clang with (reference only)"
