#!/usr/bin/env bash
# Load test of cas-server beside Redis, on loopback, in one run:
#   load-tests/run.sh [--duration S] [--warmup S] [--small-blobs N] [--concurrency C] [--rounds R]
# Starts a fresh cas-server (packaged jar, temporary storage) and Debian's redis-server (installed when missing),
# measures with cas-load (async grpc-java, HdrHistogram), wrk (HTTP, the path ccache uses; one thread) and
# redis-benchmark at the same value size and concurrency (1 MiB runs: concurrency 8 for both),
# repeats the 4 KiB reads with the server on one transport thread, then loads N small blobs (default 1,000,000) into
# a fresh server and reads its RSS. The 4 KiB reads and writes, the targets' comparison, run R times (default 3)
# alternating with Redis, and the report gives medians: one run's ratio swings by +-20% with the machine's speed.
# Writes load-tests/results/results.tsv, .hgrm histograms (the last run of each scenario) and report.html, and prints
# the table.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
duration=10
# Both JVMs (server and load generator) compile their hot paths for ~20 s under load; before that a run measures
# the JIT, not the server (4 KiB BatchRead: ~6.5k ops/s after 3 s of warm-up, ~20k after 25 s, same build).
warmup=20
small_blobs=1000000
concurrency=32
rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --small-blobs) small_blobs="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "usage: $0 [--duration S] [--warmup S] [--small-blobs N] [--concurrency C] [--rounds R]" >&2; exit 2 ;;
  esac
done

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null || ! command -v wrk >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server redis-tools wrk
fi
(cd "$root" && mvn -q -B -DskipTests -pl cas-server,load-tests -am package)

results="$root/load-tests/results"
rm -rf "$results" && mkdir -p "$results"
work="$(mktemp -d)"
grpc_port=19092; http_port=18080; redis_port=16379
server_opts="${CAS_SERVER_JAVA_OPTS:--Xmx256m -XX:+UseSerialGC -XX:MaxDirectMemorySize=128m -XX:ReservedCodeCacheSize=64m}"
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true
  [ -n "${redis:-}" ] && kill "$redis" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# MALLOC_ARENA_MAX=2 as in the container image: glibc's per-thread arenas otherwise inflate RocksDB's native memory.
start_server() { # storage directory, then extra server arguments
  local db="$1"; shift
  # shellcheck disable=SC2086
  MALLOC_ARENA_MAX=2 java $server_opts -jar "$root"/cas-server/target/cas-server-*.jar --cas.storage.path="$db" \
    --cas.storage.max-size=40GB --cas.grpc.port=$grpc_port --server.port=$http_port "$@" >>"$results/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$http_port/actuator/health" >/dev/null && break
    sleep 0.5
  done
}
start_server "$work/db"
redis-server --port $redis_port --save '' --appendonly no >"$results/redis.log" 2>&1 &
redis=$!
load() { java -Xmx1g -jar "$root/load-tests/target/cas-load.jar" "$@"; }
run() { load run --port $grpc_port --results "$results" --duration "$duration" --warmup "$warmup" "$@"; }

# redis-benchmark's CSV: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
redis_bench() { # size keys test pair label: SET runs first in the same call, so GET reads real values
  local tests="$3"; [ "$3" = get ] && tests="set,get"
  redis-benchmark -p $redis_port -t "$tests" -d "$1" -r "$2" -c "$(( $1 > 65536 ? 8 : concurrency ))" \
      -n "$(( $1 > 65536 ? 2000 : duration * 40000 ))" --csv 2>/dev/null \
    | awk -F, -v test="$3" -v pair="$4" -v label="$5" -v size="$1" '{ for (i = 1; i <= NF; i++) gsub(/"/, "", $i) } \
        tolower($1) == test { printf "%s\tredis\t%s\t%s\t%.2f\t%s\t%s\tNaN\t0\n", label, pair, $2, $2 * size / 1e6, $5, $7 }' \
    >>"$results/results.tsv"
}

# wrk's report: "Requests/sec: N", and with --latency "50% 1.23ms" ... "99% 4.56ms" (us, ms or s)
wrk_bench() { # lua script, label, pair: a warm-up run, then one measured run of $duration s (the script's env set)
  wrk -t1 -c"$concurrency" -d"${warmup}s" -s "$root/load-tests/wrk/$1" "http://127.0.0.1:$http_port" >/dev/null
  wrk -t1 -c"$concurrency" -d"${duration}s" --latency -s "$root/load-tests/wrk/$1" "http://127.0.0.1:$http_port" \
    >"$work/wrk.txt"
  awk -v label="$2" -v pair="$3" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; return v * 1000 }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) } $1 == "Requests/sec:" { rps = $2 }
    /Non-2xx/ { errors = $NF }
    END { printf "%s\tcas\t%s\t%s\t%.2f\t%.3f\t%.3f\tNaN\t%d\n", label, pair, rps, rps * 4096 / 1e6, p50, p99, errors }' \
    "$work/wrk.txt" >>"$results/results.tsv"
  tail -1 "$results/results.tsv"
}

reads_4k() { # cas label suffix, pair, Redis label suffix: BatchRead, ByteStream, HTTP GET and Redis GET in turn
  for round in $(seq 1 "$rounds"); do
    echo "-- round $round of $rounds"
    run --scenario BATCH_READ --blob-size 4096 --concurrency "$concurrency" --label "read 4KiB BatchRead$1" --pair "$2"
    run --scenario BYTESTREAM_READ --blob-size 4096 --concurrency "$concurrency" --label "read 4KiB ByteStream$1" \
      --pair "$2"
    HASHES="$work/hashes.txt" wrk_bench get.lua "read 4KiB HTTP GET$1" "$2"
    redis_bench 4096 10000 get "$2" "GET 4KiB$3"
  done
}

echo "== 4 KiB blobs: 10,000 preloaded; reads and writes at concurrency $concurrency"
load preload --port $grpc_port --count 10000 --blob-size 4096 --hashes "$work/hashes.txt"
reads_4k "" read-4k ""
load preload --export-only --first 1000000 --count 20000 --blob-size 4096 --hashes "$work/put-hashes.txt" \
  --contents "$work/put-contents.bin"
for round in $(seq 1 "$rounds"); do
  echo "-- writes, round $round of $rounds"
  run --scenario BYTESTREAM_WRITE --blob-size 4096 --concurrency "$concurrency" --label "write 4KiB ByteStream" \
    --pair write-4k
  run --scenario BATCH_WRITE --blob-size 4096 --concurrency "$concurrency" --label "write 4KiB BatchUpdate" \
    --pair write-4k
  HASHES="$work/put-hashes.txt" CONTENTS="$work/put-contents.bin" BLOB_SIZE=4096 \
    wrk_bench put.lua "write 4KiB HTTP PUT" write-4k
  redis_bench 4096 10000 set write-4k "SET 4KiB"
done

echo "== FindMissingBlobs of 10,000 digests, half held"
run --scenario FIND_MISSING --blob-size 4096 --digests-per-call 10000 --hit-ratio 0.5 --concurrency 1 \
  --label "FindMissing 10k, conc. 1"
run --scenario FIND_MISSING --blob-size 4096 --digests-per-call 10000 --hit-ratio 0.5 --concurrency 4 \
  --label "FindMissing 10k, conc. 4"

echo "== 1 MiB blobs through ByteStream"
load preload --port $grpc_port --count 200 --blob-size 1048576 --batch 2
run --scenario BYTESTREAM_READ --blob-size 1048576 --working-set 200 --concurrency 8 --label "read 1MiB ByteStream" --pair read-1m
redis_bench 1048576 200 get read-1m "GET 1MiB"
run --scenario BYTESTREAM_WRITE --blob-size 1048576 --concurrency 8 --label "write 1MiB ByteStream" --pair write-1m
redis_bench 1048576 200 set write-1m "SET 1MiB"

rss_mib() { echo $(( $(awk '/VmRSS/ { print $2 }' "/proc/$server/status") / 1024 )); }
after_runs=$(rss_mib)
restart_server() { kill "$server"; wait "$server" 2>/dev/null || true; start_server "$@"; }

# Redis serves from one thread, and redis-benchmark and cas-load each drive from one: on a small box the server
# shares with its load generator, the like-for-like setting gives the server one transport thread too.
echo "== 4 KiB reads again, the server with one transport thread (cas.grpc.event-loops=1; default: one per processor)"
restart_server "$work/db-one-loop" --cas.grpc.event-loops=1
load preload --port $grpc_port --count 10000 --blob-size 4096 --hashes "$work/hashes.txt"
reads_4k ", 1 thread" read-4k-1t ", again" # the machine's speed drifts: compare with fresh figures

echo "== RSS after $small_blobs small blobs, on a fresh server (the runs above left ${after_runs} MiB)"
restart_server "$work/db-small"
load preload --port $grpc_port --count "$small_blobs" --blob-size 256 --batch 1000
disk=$(du -sm "$work/db-small" | cut -f1)
echo "server RSS after loading $small_blobs blobs of 256 bytes into a fresh server: $(rss_mib) MiB (JVM: $server_opts," \
  "MALLOC_ARENA_MAX=2; RocksDB on disk: $disk MiB); after all the runs above: $after_runs MiB" | tee "$results/facts.txt"

load report --results "$results"
