#!/usr/bin/env bash
# Multi-unit builds under `make -j2`, side by side in one run: plain clang, ccache + clang and cas-compile (default
# settings), all with the bundled clang 20, at -O2 and -O0:
#   zstd-1.5.6      its own Makefiles (the library and CLI: ~45 C units), CC=...
#   yaml-cpp-0.9.0  its own CMake (~40 C++ units, without its test suite), compiler launcher
# For each: a cold build with an empty cache and no worker running (its start is included), a no-change rebuild
# (`make clean && make`) and a one-function edit in a library source (a compiler barrier at the start of one function).
# cas builds the units of a parallel cold build whole and splits them into pieces when idle; the "idle split" column
# is how long that took after the cold build (nothing else ran then), and the rebuilds start after it.
# "clang+THP" is plain clang once more with the glibc setting cas runs clang with (malloc on transparent huge pages,
# CAS_HUGE_PAGES in the README), for reference: the part of cas's time that is that setting, not caching.
#
#   bench/multi-unit.sh [RUNS] [PROJECT...]        e.g. bench/multi-unit.sh 3 zstd-1.5.6
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
source "$root/bench/lib.sh"
runs="${1:-3}"
shift || true
projects=("$@")
[ ${#projects[@]} -gt 0 ] || projects=(zstd-1.5.6 yaml-cpp-0.9.0)
bench_install ccache cmake make bc python3

compare_tools_setup

# the file, and the first line of one function (the barrier goes after its opening brace)
edit_of() {
  case "$1" in
    zstd-*) echo 'lib/compress/zstd_compress.c|size_t ZSTD_compressBound(size_t srcSize) {' ;;
    yaml-cpp-*) echo 'src/node.cpp|Node Clone(const Node& node) {' ;;
  esac
}

# prints the wall seconds of `make -j2` in $1 ("build" for a CMake tree, the source tree for zstd)
timed_make() {
  local t0; t0=$(now)
  case "$project" in
    zstd-*) env "${make_env[@]}" make -C "$1/programs" -j2 zstd CC="$cc" MOREFLAGS="$opt" >"$work/make.log" 2>&1 ;;
    *) env "${make_env[@]}" make -C "$1" -j2 >"$work/make.log" 2>&1 ;;
  esac || { tail -30 "$work/make.log" >&2; exit 1; }
  echo "$(now) - $t0" | bc
}

clean() {
  case "$project" in
    zstd-*) make -C "$1/programs" clean >/dev/null ;;
    *) make -C "$1" clean >/dev/null ;;
  esac
}

printf '%-15s %-4s %-9s %9s %9s %9s %11s\n' project opt tool cold no-change edit "idle split"
for project in "${projects[@]}"; do
  source_tree="$(testdata "real/$project")"
  IFS='|' read -r edit_file edit_line <<<"$(edit_of "$project")"
  for opt in -O2 -O0; do
    declare -A results=()
    for run in $(seq "$runs"); do
      for tool in clang clang+THP ccache cas; do
        src="$work/src-$tool" build="$work/build-$tool"
        "$launcher" stop >/dev/null 2>&1 || true  # first: the worker is found by its socket in the cache dir
        rm -rf "$src" "$build" "$CAS_CACHE_DIR" "$CCACHE_DIR"
        cp -r "$source_tree" "$src"
        make_env=()
        case "$tool" in
          clang) cc="$work/bin/clang" launch=() ;;
          clang+THP) cc="$work/bin/clang" launch=() make_env+=("$huge_pages_env") ;;
          ccache) cc="ccache $work/bin/clang" launch=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache) ;;
          cas) cc="$launcher cc" launch=(-DCMAKE_C_COMPILER_LAUNCHER="$launcher" -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher") ;;
        esac
        case "$project" in
          zstd-*) build="$src" ;;
          *) cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=None -DCMAKE_C_FLAGS="$opt" -DCMAKE_CXX_FLAGS="$opt" \
               -DCMAKE_C_COMPILER="$work/bin/clang" -DCMAKE_CXX_COMPILER="$work/bin/clang++" "${launch[@]}" \
               -DYAML_CPP_BUILD_TESTS=OFF >"$work/cmake.log" 2>&1 ;;
        esac
        cold=$(timed_make "$build")
        settled=0
        if [ "$tool" = cas ]; then
          t0=$(now); cas_settle "$launcher"; settled=$(echo "$(now) - $t0" | bc)
        fi
        clean "$build"
        again=$(timed_make "$build")
        insert_barrier "$src/$edit_file" "$edit_line"
        edited=$(timed_make "$build")
        results[$tool.cold]+="$cold " results[$tool.again]+="$again " results[$tool.edit]+="$edited "
        results[$tool.idle]+="$settled "
      done
    done
    for tool in clang clang+THP ccache cas; do
      # shellcheck disable=SC2086
      printf '%-15s %-4s %-9s %8.2fs %8.2fs %8.2fs %10.2fs\n' "$project" "$opt" "$tool" "$(median ${results[$tool.cold]})" \
        "$(median ${results[$tool.again]})" "$(median ${results[$tool.edit]})" "$(median ${results[$tool.idle]})"
    done
    # shellcheck disable=SC2086
    printf '%-15s %-4s %-9s %8.2fx %8.2fx %8.2fx\n' "$project" "$opt" ratio \
      "$(echo "$(median ${results[cas.cold]}) / $(median ${results[clang.cold]})" | bc -l)" \
      "$(echo "$(median ${results[cas.again]}) / $(median ${results[ccache.again]})" | bc -l)" \
      "$(echo "$(median ${results[cas.edit]}) / $(median ${results[clang.edit]})" | bc -l)"
    unset results
  done
done
echo "(ratios: cold and edit against plain clang, no-change rebuild against ccache; clang+THP: plain clang with"
echo " $huge_pages_env, the setting cas runs clang with, for reference)"
