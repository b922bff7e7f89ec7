#!/usr/bin/env bash
# Runs the benchmarks side by side in one go and writes BENCHMARKS.md: a release build of
# everything, a whole city seeded into a fresh system, the baselines (a bare gRPC echo server and
# raw SQLite transactions) and the system's scenarios driven by the same load tool, the same calls
# driven by h2load beside a C++ gRPC echo (scripts/server-cost.sh), the resident memory of every
# service, and the machine's description. Needs Debian's nghttp2-client (h2load), libgrpc++-dev,
# pkg-config and time, and Python's grpcio and grpcio-tools.
#
#   scripts/benchmark.sh                  # about 10 minutes after the build
#   BENCH_DURATION=30 BENCH_CASES=200000 scripts/benchmark.sh
#   BENCH_MICRO=0 scripts/benchmark.sh    # without the microbenchmarks
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${BENCH_DURATION:-15}"
cases="${BENCH_CASES:-1000000}"
offset="${BENCH_PORT_OFFSET:-700}"
concurrency="${BENCH_CONCURRENCY:-64}"

swift build -c release
bin="$(swift build -c release --show-bin-path)"
work="$(mktemp -d /tmp/governance-benchmark.XXXXXX)"
data="$work/data"
results="$work/results"
mkdir -p "$results"

# The webhook scenario's receiver is the load tool's own, on loopback.
GOVERNANCE_WEBHOOK_ALLOW_PRIVATE=1 "$bin/governance" up --data "$data" --port-offset "$offset" >"$work/up.log" 2>&1 &
up=$!
echo_server=""
cleanup() {
  [ -n "$echo_server" ] && kill "$echo_server" 2>/dev/null || true
  kill "$up" 2>/dev/null || true
  wait 2>/dev/null || true
  # A run with a failed scenario keeps its results and the processes' logs to read.
  if [ -s "$results/failed.txt" ]; then
    kept="$(mktemp -d /tmp/governance-benchmark-failed.XXXXXX)"
    cp -r "$results" "$work/up.log" "$kept/" || true
    echo "a scenario failed: results and logs kept in $kept" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 120); do
  "$bin/governance" status --port-offset "$offset" >/dev/null 2>&1 && break
  sleep 0.5
done
"$bin/governance" status --port-offset "$offset"

# The resident memory of each of the six processes, in kB, by the PIDs `governance up` started.
memory() {
  for pid in $(pgrep -P "$up"); do
    printf '%s %s\n' "$(basename "$(readlink -f /proc/"$pid"/exe)")" "$(ps -o rss= -p "$pid" | tr -d ' ')"
  done >"$results/memory-$1.txt"
}

start=$(date +%s.%N)
"$bin/governance" seed --scale city --cases "$cases" --data "$data" --port-offset "$offset" | tee "$results/seed.txt"
end=$(date +%s.%N)
echo "$start $end" >"$results/seed-time.txt"
memory seeded
# The scenarios measure a settled system: the seed's last gigabyte flushed to disk and the
# services' checkpoints done, rather than the kernel's writeback competing for the two cores.
sync
sleep 20

# A scenario that fails is reported as failed (its row left out of BENCHMARKS.md, its error in
# the results' failed.txt) and the others still run.
load() {
  local name="$1"
  shift
  echo "== $name"
  if ! "$bin/governance" load "$@" --duration "$duration" --data "$data" --port-offset "$offset" \
    --json "$results/$name.json" 2>"$results/$name.err"; then
    echo "$name: $(tail -1 "$results/$name.err")" | tee -a "$results/failed.txt"
  fi
}

"$bin/governance" echo-server --port $((50100 + offset)) >/dev/null 2>&1 &
echo_server=$!
sleep 1
load echo echo --echo-port $((50100 + offset)) --concurrency "$concurrency"
load sqlite sqlite --concurrency "$concurrency"
load case-get case-get --concurrency "$concurrency"
load case-list case-list --concurrency "$concurrency"
load case-create case-create --concurrency "$concurrency"
load gateway-case-get gateway-case-get --concurrency "$concurrency"
load mixed mixed --concurrency "$concurrency"
load console console --concurrency 32
load intake intake --rate 300
load alarms alarms --rate 200 --reads 1000 --grids 200
load webhooks webhooks --rate 500 --receiver-port $((18600 + offset))
load city-stats city-stats
load city-street-stats city-street-stats
load city-coverage city-coverage
echo "== server cost (h2load)"
scripts/server-cost.sh "$bin" "$data" "$offset" "$results"
memory loaded
echo "== export"
if ! scripts/export-benchmark.sh "$bin" "$data" "$offset" "$up" "$results" 2>"$results/export.err"; then
  echo "export: $(tail -1 "$results/export.err")" | tee -a "$results/failed.txt"
fi
echo "== alarms, outside clients"
# The alarm storm again, watched and raised by a Python grpcio client (scripts/alarm-latency.py)
# while h2load reads 1,000 GetCase a second beside it: neither is the Swift load tool, so the
# figure is the server's and not the tool's. The reads' request is the one server-cost.sh wrote;
# the grid service's own count of GetCase answered OK says how many reads it served meanwhile.
# Last of the steps: the storm's unacknowledged alarms are handed over a minute later.
read_headers=()
while IFS= read -r line || [ -n "$line" ]; do read_headers+=(-H "$line"); done <"$results/cost/case-get/headers"
h2load -t 1 -D $((duration + 60)) --rps 250 -c 4 -m 16 -d "$results/cost/case-get/body" "${read_headers[@]}" \
  "$(cat "$results/cost/case-get/url")" >"$results/alarm-outside-reads.txt" 2>&1 &
reads=$!
reads_from=$(date +%s.%N)
reads_before=$(curl -sf "$(cat "$results/cost/case-get/metrics")" | awk '/^grpc_server_handled_total\{/ && /GridService\/GetCase"/ && /code="ok"/ { s += $NF } END { printf "%d", s }') || reads_before=0
if ! python3 scripts/alarm-latency.py --data "$data" --port-offset "$offset" --grids 200 --rate 200 \
  --seconds "$duration" --json "$results/alarm-outside.json" 2>"$results/alarm-outside.err"; then
  echo "alarm-outside: $(tail -1 "$results/alarm-outside.err")" | tee -a "$results/failed.txt"
fi
reads_after=$(curl -sf "$(cat "$results/cost/case-get/metrics")" | awk '/^grpc_server_handled_total\{/ && /GridService\/GetCase"/ && /code="ok"/ { s += $NF } END { printf "%d", s }') || reads_after=0
echo "$reads_from $(date +%s.%N) $((reads_after - reads_before))" >"$results/alarm-outside-reads-ok.txt"
kill "$reads" 2>/dev/null || true
wait "$reads" 2>/dev/null || true

# The microbenchmarks run once the system is stopped, so that nothing else competes for the cores.
kill "$echo_server" "$up" 2>/dev/null || true
wait 2>/dev/null || true
echo_server=""
# BENCH_MICRO=0 leaves them out: the plugin builds the package again in its own configuration,
# which takes about as long as a release build the first time.
if [ "${BENCH_MICRO:-1}" != 0 ]; then
  swift package --disable-sandbox benchmark --no-progress 2>&1 | sed -n '/^Running Benchmarks/,$p' >"$results/micro.txt" || true
fi

python3 scripts/benchmark-report.py "$results" "$duration" "$concurrency" >BENCHMARKS.md
echo "wrote BENCHMARKS.md"
