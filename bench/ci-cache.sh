#!/usr/bin/env bash
# The team/CI cache scenario (issue 5), side by side in one run. A fresh cas-server (packaged jar, loopback) is the
# shared cache. "CI" builds the SQLite shell at -O2 once with cas-compile and once with ccache (Debian's, using the
# same server as its http remote storage), both uploading; three unmeasured hits of each warm the server. Then
# "machine B" (another checkout path, an empty local cache each run) builds it:
#
#   full      : B's whole build (compile + link), results on the server, B's worker starting (a fresh CI runner)
#   full, warm: the same with B's worker already running (a developer's machine), still an empty local cache;
#               ccache measured again beside it (an empty local cache as well)
#   edit      : B after the standard one-function edit of sqlite3.c (ccache misses: nobody built that source)
#
#   bench/ci-cache.sh [runs]      (default 3)
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
runs="${1:-3}"
source "$root/bench/lib.sh"
corpus="$(testdata sqlite-3.52.0)"
bench_install ccache bc curl python3
"$root/bin/install-prerequisites"

work="$(mktemp -d /tmp/cas-ci-bench.XXXXXX)"
cas="$root/bin/cas-compile"
server_pid=""
cleanup() {
  for cache in "$work"/cache-*; do
    [ -d "$cache" ] && CAS_CACHE_DIR="$cache" "$cas" stop >/dev/null 2>&1 || true
  done
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
"$cas" cc --version >/dev/null  # builds the jars and unpacks the bundled toolchain if needed
jar="$(ls "$root"/cas-server/target/cas-server-*.jar | grep -v original | head -1)"
clang="$(bundled_clang)"
token="bench-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
grpc_port=$((20000 + RANDOM % 10000)); http_port=$((grpc_port + 1))

java -Xmx1g -jar "$jar" --cas.storage.path="$work/server" --cas.grpc.port="$grpc_port" --server.port="$http_port" \
  --cas.auth.tokens[0].name=bench --cas.auth.tokens[0].secret="$token" --cas.auth.tokens[0].scope=read-write \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$http_port/actuator/health/readiness" >/dev/null && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$http_port/actuator/health/readiness" >/dev/null || { cat "$work/server.log" >&2; exit 1; }

export CAS_REMOTE="grpc://127.0.0.1:$grpc_port" CAS_TOKEN="$token"
export CCACHE_REMOTE_STORAGE="http://127.0.0.1:$http_port/ccache|layout=subdirs|bearer-token=$token"
defs=(-O2 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION)
unset CAS_PER_FUNCTION

checkout() { mkdir -p "$1" && cp "$corpus"/shell.c "$corpus"/sqlite3.c "$corpus"/sqlite3.h "$corpus"/sqlite3ext.h "$1"/; }
edit() { # the standard one-function edit: inside whereLoopOutputAdjust, `k = 20;` becomes `k = $2;`
  python3 - "$1/sqlite3.c" "$2" <<'PY'
import sys
path, value = sys.argv[1], sys.argv[2]
s = open(path).read()
i = s.index('k = 20;', s.index('static void whereLoopOutputAdjust('))
open(path, 'w').write(s[:i] + 'k = ' + value + ';' + s[i + 7:])
PY
}
timed() { local t0 t1; t0=$(now); "$@" >/dev/null 2>"$work/last.err" || { cat "$work/last.err" >&2; exit 1; }; t1=$(now); echo "$t1 - $t0" | bc -l; }
clang_build() { "$clang" -fuse-ld=lld "${defs[@]}" -o sqlite3 shell.c sqlite3.c -lm; }
ccache_build() {
  ccache "$clang" "${defs[@]}" -c shell.c -o shell.o && ccache "$clang" "${defs[@]}" -c sqlite3.c -o sqlite3.o \
    && "$clang" -fuse-ld=lld -o sqlite3 shell.o sqlite3.o -lm
}
cas_build() { "$cas" cc "${defs[@]}" -o sqlite3 shell.c sqlite3.c -lm; }

# CI: both caches fill the server once from the original source.
checkout "$work/ci/src"
cd "$work/ci/src"
CAS_CACHE_DIR="$work/cache-ci" cas_build
CAS_CACHE_DIR="$work/cache-ci" "$cas" stop >/dev/null  # sends what is still queued for upload
CCACHE_DIR="$work/ccache-ci" ccache_build
expected="$(./sqlite3 :memory: <"$corpus/workload.sql")"
# A warm server, as a shared one is after serving a team for a while: three unmeasured full-hit builds of each client
# (another path, empty local caches) take it past its JIT warm-up. Without them its compiler threads took 130-280 ms of
# processor time during each of the first measured hits, on the same 2 cores as the build (30-60 ms later on).
for ((w = 0; w < 3; w++)); do
  checkout "$work/warm-up/run$w/src"
  cd "$work/warm-up/run$w/src"
  CAS_CACHE_DIR="$work/cache-warm-up$w" cas_build >/dev/null
  CAS_CACHE_DIR="$work/cache-warm-up$w" "$cas" stop >/dev/null
  CCACHE_DIR="$work/ccache-warm-up$w" ccache_build >/dev/null
done

full_clang=(); full_ccache=(); full_cas=(); warm_ccache=(); warm_cas=(); edit_clang=(); edit_ccache=(); edit_cas=()
for ((i = 0; i < runs; i++)); do
  b="$work/machine-b/run$i/elsewhere/src"
  checkout "$b"
  cd "$b"
  export CAS_CACHE_DIR="$work/cache-b$i" CCACHE_DIR="$work/ccache-b$i"
  full_clang+=("$(timed clang_build)")
  full_ccache+=("$(timed ccache_build)")
  full_cas+=("$(timed cas_build)")
  [ "$(./sqlite3 :memory: <"$corpus/workload.sql")" = "$expected" ] || { echo "B's shell differs" >&2; exit 1; }
  edit "$b" $((30 + i))
  edit_clang+=("$(timed clang_build)")
  edit_ccache+=("$(timed ccache_build)")
  edit_cas+=("$(timed cas_build)")
  [ "$(./sqlite3 :memory: <"$corpus/workload.sql")" = "$expected" ] || { echo "B's edited shell differs" >&2; exit 1; }
  "$cas" stats --json >"$work/stats-b$i.json"
  "$cas" stop >/dev/null
  cp "$corpus/sqlite3.c" "$b/"  # back to the source CI built
  export CAS_CACHE_DIR="$work/cache-w$i" CCACHE_DIR="$work/ccache-w$i"
  "$cas" stats >/dev/null  # starts B's worker on an empty cache
  sleep 2                  # ... and lets it finish starting (connecting, loading its native hashing), as a running one has
  # ccache measured again beside it, on an empty local cache too: minutes after the builds above, this machine has
  # dropped from its page cache what they read (it pages out memory unused for a minute), and whichever of the two
  # runs first reads the shared headers back; so the order alternates
  ((i % 2 == 0)) && warm_ccache+=("$(timed ccache_build)")
  warm_cas+=("$(timed cas_build)")
  [ "$(./sqlite3 :memory: <"$corpus/workload.sql")" = "$expected" ] || { echo "B's shell differs" >&2; exit 1; }
  ((i % 2 == 1)) && warm_ccache+=("$(timed ccache_build)")
  "$cas" stop >/dev/null
done
unset CAS_CACHE_DIR

echo
echo "CI cache: SQLite shell at -O2 on machine B (new path, empty local cache), server on loopback;"
echo "median of $runs runs, $(nproc) cores, wall seconds"
printf '%-32s | %11s | %14s | %11s | %13s | %13s\n' "build on B" "plain clang" "ccache+server" "cas-compile" "cas / clang" "cas / ccache"
printf -- '---------------------------------|-------------|----------------|-------------|---------------|--------------\n'
row() {
  local name="$1" c="$2" cc="$3" cs="$4"
  printf '%-32s | %11.2f | %14.2f | %11.2f | %12.2fx | %12.2fx\n' "$name" "$c" "$cc" "$cs" \
    "$(echo "$cs / $c" | bc -l)" "$(echo "$cs / $cc" | bc -l)"
}
row "full build, worker starting" "$(median "${full_clang[@]}")" "$(median "${full_ccache[@]}")" "$(median "${full_cas[@]}")"
row "full build, worker running" "$(median "${full_clang[@]}")" "$(median "${warm_ccache[@]}")" "$(median "${warm_cas[@]}")"
row "after the one-function edit" "$(median "${edit_clang[@]}")" "$(median "${edit_ccache[@]}")" "$(median "${edit_cas[@]}")"
echo "last run's cas stats: $(cat "$work/stats-b$((runs - 1)).json")"
