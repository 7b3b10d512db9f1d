#!/usr/bin/env bash
# Real projects (testdata/real: cJSON and zstd with their tests, yaml-cpp and fmt without: their test suites take
# hours in 3 runs on 2 cores) built with their own CMake in Release, side by side in one run:
# plain clang, ccache + clang and cas-compile (its default policy), all three with the bundled clang 20 as the
# compiler. For each: a cold build (empty cache), a no-change rebuild (`make clean && make`) and a one-function edit
# in a library source (a compiler barrier at the start of one function), each `make -j2`; medians of RUNS runs.
#
#   bench/real-projects.sh [RUNS] [PROJECT...]     e.g. bench/real-projects.sh 3 cJSON-1.7.19 yaml-cpp-0.9.0
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
source "$root/bench/lib.sh"
runs="${1:-3}"
shift || true
projects=("$@")
[ ${#projects[@]} -gt 0 ] || projects=(cJSON-1.7.19 yaml-cpp-0.9.0 fmt-12.2.0 zstd-1.5.6)
bench_install ccache cmake make bc python3

compare_tools_setup

# the file, and the text in one function after which the edit puts a compiler barrier (the end of its first line
# when that is a statement, else its opening brace)
edit_of() {
  case "$1" in
    cJSON-*) echo 'cJSON.c|cJSON *next = NULL;' ;;  # after the declaration: cJSON is C89
    yaml-cpp-*) echo 'src/node.cpp|Node Clone(const Node& node) {' ;;
    fmt-*) echo 'src/os.cc|auto getpagesize() -> long {' ;;
    zstd-*) echo 'lib/compress/zstd_compress.c|size_t ZSTD_compressBound(size_t srcSize) {' ;;
  esac
}
options_of() {
  case "$1" in
    cJSON-*) echo "-DENABLE_CJSON_TEST=ON" ;;
    yaml-cpp-*) echo "-DYAML_CPP_BUILD_TESTS=OFF" ;;  # with its tests (gtest + 1,800 cases) 3 runs take hours
    fmt-*) echo "-DFMT_TEST=OFF -DFMT_DOC=OFF" ;;    # likewise: its tests are most of its build
    zstd-*) echo "-DZSTD_BUILD_TESTS=ON" ;;
  esac
}
# where the project's CMakeLists.txt is
cmake_dir_of() {
  case "$1" in
    zstd-*) echo build/cmake ;;
    *) echo . ;;
  esac
}

timed_make() { local t0; t0=$(now); make -C "$1" -j2 >"$work/make.log" 2>&1 || { tail -30 "$work/make.log" >&2; exit 1; }; echo "$(now) - $t0" | bc; }

printf '%-16s %-8s %12s %12s %12s\n' project tool cold no-change edit
for project in "${projects[@]}"; do
  source_tree="$(testdata "real/$project")"
  IFS='|' read -r edit_file edit_line <<<"$(edit_of "$project")"
  declare -A results=()
  for run in $(seq "$runs"); do
    for tool in clang ccache cas; do
      src="$work/src-$tool" build="$work/build-$tool"
      "$launcher" stop >/dev/null 2>&1 || true  # first: the worker is found by its socket in the cache dir
      rm -rf "$src" "$build" "$CAS_CACHE_DIR" "$CCACHE_DIR"
      cp -r "$source_tree" "$src"
      case "$tool" in
        clang) launch=() ;;
        ccache) launch=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache) ;;
        cas) launch=(-DCMAKE_C_COMPILER_LAUNCHER="$launcher" -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher") ;;
      esac
      # shellcheck disable=SC2046
      cmake -S "$src/$(cmake_dir_of "$project")" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$work/bin/clang" \
        -DCMAKE_CXX_COMPILER="$work/bin/clang++" "${launch[@]}" $(options_of "$project") >"$work/cmake.log" 2>&1
      cold=$(timed_make "$build")
      [ "$tool" != cas ] || cas_settle "$launcher"  # units built whole are split when idle, not beside what follows
      make -C "$build" clean >/dev/null
      again=$(timed_make "$build")
      insert_barrier "$src/$edit_file" "$edit_line"
      edited=$(timed_make "$build")
      results[$tool.cold]+="$cold " results[$tool.again]+="$again " results[$tool.edit]+="$edited "
    done
  done
  for tool in clang ccache cas; do
    # shellcheck disable=SC2086
    printf '%-16s %-8s %11.2fs %11.2fs %11.2fs\n' "$project" "$tool" "$(median ${results[$tool.cold]})" \
      "$(median ${results[$tool.again]})" "$(median ${results[$tool.edit]})"
  done
  # shellcheck disable=SC2086
  printf '%-16s %-8s %11.2fx %11.2fx %11.2fx   (cas / clang)\n' "$project" ratio \
    "$(echo "$(median ${results[cas.cold]}) / $(median ${results[clang.cold]})" | bc -l)" \
    "$(echo "$(median ${results[cas.again]}) / $(median ${results[ccache.again]})" | bc -l)" \
    "$(echo "$(median ${results[cas.edit]}) / $(median ${results[clang.edit]})" | bc -l)"
  unset results
done
echo "(ratios: cold and edit against plain clang, no-change rebuild against ccache)"
