#!/usr/bin/env bash
# The fault scenario: a mixed workload (blob writes over BatchUpdateBlobs, ByteStream and HTTP PUT; action results;
# reads over gRPC and HTTP, every one checked) runs against a cas-server whose data directory is on a small file
# system of its own (a tmpfs of 256 MiB), while the server is killed with -9 and restarted KILLS times and while
# that file system is filled to the last byte by another file for a while. Afterwards the server is killed once
# more, restarted, and every write it acknowledged is read back.
#   load-tests/faults.sh [--kills N] [--phase S]
# Needs root (or sudo) for the tmpfs mount. Writes load-tests/results/faults/{report.txt,journal,...}.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
kills=3
phase=10
while [ $# -gt 0 ]; do
  case "$1" in
    --kills) kills="$2"; shift 2 ;;
    --phase) phase="$2"; shift 2 ;;
    *) echo "usage: $0 [--kills N] [--phase SECONDS]" >&2; exit 2 ;;
  esac
done
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
(cd "$root" && mvn -q -B -DskipTests -pl cas-server,load-tests -am package)

results="$root/load-tests/results/faults"
rm -rf "$results" && mkdir -p "$results"
work="$(mktemp -d)"
volume="$work/volume"
mkdir -p "$volume"
$sudo mount -t tmpfs -o size=256m cas-faults "$volume"
grpc_port=19192; http_port=18180
cleanup() {
  [ -n "${workload:-}" ] && kill "$workload" 2>/dev/null || true
  [ -n "${server:-}" ] && kill -9 "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  $sudo umount "$volume" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
report() { echo "$*" | tee -a "$results/report.txt"; }

start_server() { # sets server (its pid) and up (the seconds it took to answer its health check)
  local started; started=$(date +%s.%N)
  MALLOC_ARENA_MAX=2 java -Xmx256m -jar "$root"/cas-server/target/cas-server-*.jar --cas.storage.path="$volume/db" \
    --cas.storage.max-size=192MB --cas.storage.max-blob-size=16MB --cas.grpc.port=$grpc_port --server.port=$http_port >>"$results/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$http_port/actuator/health" >/dev/null && break
    kill -0 "$server" 2>/dev/null || { echo "cas-server exited; see $results/server.log" >&2; exit 1; }
    sleep 0.25
  done
  curl -sf "http://127.0.0.1:$http_port/actuator/health" >/dev/null || { echo "cas-server did not come up" >&2; exit 1; }
  up=$(echo "$(date +%s.%N) - $started" | bc)
}
kill_server() { kill -9 "$server"; wait "$server" 2>/dev/null || true; }
# a write of a fresh blob over HTTP: 201 once the server takes writes
probe_write() { head -c 4096 /dev/urandom >"$work/probe"; curl -s -o /dev/null -w '%{http_code}' -X PUT \
  --data-binary @"$work/probe" "http://127.0.0.1:$http_port/cas/$(sha256sum "$work/probe" | cut -d' ' -f1)"; }

load="java -Xmx512m -jar $root/load-tests/target/cas-load.jar faults"
report "== cas-server fault scenario, $(date -u +%FT%TZ): $kills kills with -9, then a full disk; ${phase}s phases"
start_server
report "server started in $up s"
$load run --port $grpc_port --http-port $http_port --journal "$results/journal" --stop-file "$work/stop" \
  --rate 300 >"$results/workload.txt" 2>"$results/workload.log" &
workload=$!

for kill in $(seq 1 "$kills"); do
  sleep "$phase"
  kill_server
  start_server
  report "kill -9 #$kill: back in $up s"
done

sleep "$phase"
dd if=/dev/zero of="$volume/ballast" bs=1M status=none 2>/dev/null || true
report "disk full: $(df -h --output=used,avail "$volume" | tail -1 | xargs) (used, available) with another file filling it"
sleep "$phase"
report "a write while the disk is full answers HTTP $(probe_write)"
rm -f "$volume/ballast"
code=000
for _ in $(seq 1 60); do
  code=$(probe_write)
  [ "$code" = 201 ] && break
  sleep 0.5
done
report "disk freed: a write answers HTTP $code (the server was not restarted)"
if [ "$code" != 201 ]; then
  kill_server
  start_server
  report "restarted after the full disk: back in $up s"
fi
sleep "$phase"

touch "$work/stop"
workload_status=0
wait "$workload" || workload_status=$?
workload=""
report "-- the workload (calls by outcome; a read of an acknowledged write that was missing or wrong fails it):"
tee -a "$results/report.txt" <"$results/workload.txt"

kill_server
start_server
report "final kill -9: back in $up s"
verify_status=0
$load verify --port $grpc_port --http-port $http_port --journal "$results/journal" >"$results/verify.txt" \
  2>>"$results/workload.log" || verify_status=$?
report "-- every acknowledged write read back after the last restart:"
tee -a "$results/report.txt" <"$results/verify.txt"
report "corrupt entries removed by the server: $(curl -s "http://127.0.0.1:$http_port/actuator/prometheus" \
  | awk '/^cas_storage_corrupt_removed_total/ { print $2 }')"
if [ "$workload_status" != 0 ] || [ "$verify_status" != 0 ]; then
  report "FAILED: workload exit $workload_status, verify exit $verify_status (details: $results/workload.log)"
  exit 1
fi
report "PASSED: no acknowledged write lost, no wrong value served, no action result naming a missing blob"
