#!/usr/bin/env bash
# What the servers cost, measured from outside by h2load (Debian's nghttp2-client), a C client on
# one thread that does not share the servers' runtime: the C++ gRPC echo (Debian's libgrpc++,
# Benchmarks/GRPCEcho/echo.cc) as the transport's ceiling, the bare Swift echo, then GetCase,
# ListCases, CreateCase, the whole-city statistics (in total and by street) and coverage (with its districts) straight
# to their services, and GetCase through the gateway's Connect JSON door. Rounds alternate the scenarios' order; each row keeps
# every round (the report gives the median and the spread), h2load's own CPU time (so that a
# reader sees the client had headroom) and the calls the service counted as OK in its metrics
# (h2load sees HTTP 200, and gRPC's errors ride in the trailers of a 200).
#
# Needs Debian's nghttp2-client, libgrpc++-dev, pkg-config and time. Called by scripts/benchmark.sh
# on a seeded, running system:
#   scripts/server-cost.sh BIN DATA PORT_OFFSET RESULTS
# or alone, on a system `governance up --data DATA --port-offset N` already serves:
#   COST_SECONDS=10 COST_ROUNDS=3 scripts/server-cost.sh .build/release DATA N /tmp/results
#   COST_ONLY="swift-echo case-get" scripts/server-cost.sh ...     # some of the scenarios
set -euo pipefail
cd "$(dirname "$0")/.."

bin="$1"
data="$2"
offset="$3"
results="$4"
seconds="${COST_SECONDS:-10}"
rounds="${COST_ROUNDS:-3}"
# Debian's h2load sets the pace with one thread: 4 connections with 16 streams each keep 64
# calls in flight, as the Swift load tool does.
connections=4
streams=16

command -v h2load >/dev/null || { echo "h2load is missing: apt-get install nghttp2-client" >&2; exit 1; }
mkdir -p "$results/cost"
cost="$results/cost"

# The C++ echo, built here from Debian's libgrpc++-dev.
g++ -O2 -std=c++17 Benchmarks/GRPCEcho/echo.cc $(pkg-config --cflags --libs grpc++) -o "$cost/cpp-echo"
cpp_port=$((50110 + offset))
swift_port=$((50120 + offset))
limit=$((rounds * 10 * (seconds + 5) + 120))
"$cost/cpp-echo" "127.0.0.1:$cpp_port" "$limit" >"$cost/cpp-echo.log" 2>&1 &
cpp_echo=$!
"$bin/governance" echo-server --port "$swift_port" >"$cost/swift-echo.log" 2>&1 &
swift_echo=$!
trap 'kill "$cpp_echo" "$swift_echo" 2>/dev/null || true' EXIT
sleep 1

# Each scenario's request, written afresh by the load tool: URL, headers, body, metrics endpoint.
request() {
  local scenario="$1" port="$2" directory="$3"
  rm -rf "$directory"
  "$bin/governance" load "$scenario" --write-request "$directory" --echo-port "$port" \
    --data "$data" --port-offset "$offset" >/dev/null
}
request echo "$swift_port" "$cost/swift-echo"
request echo "$cpp_port" "$cost/cpp-echo-request"
for scenario in case-get case-list case-create city-stats city-street-stats city-coverage gateway-case-get; do
  request "$scenario" 0 "$cost/$scenario"
done

# Calls the answering service counted OK for a method, from its Prometheus metrics.
ok_calls() {
  local metrics="$1" method="$2"
  [ -n "$metrics" ] || { echo 0; return; }
  curl -sf "$metrics" | awk -v m="method=\"$method\"" \
    'index($0, "grpc_server_handled_total{") == 1 && index($0, m) && index($0, "code=\"ok\"") { s += $NF } END { printf "%d\n", s }'
}

run() {
  local name="$1" dir="$2" round="$3"
  shift 3
  local url method metrics before after headers=()
  url="$(cat "$dir/url")"
  method="${url#http://*/}"
  metrics="$(cat "$dir/metrics")"
  while IFS= read -r line || [ -n "$line" ]; do headers+=(-H "$line"); done <"$dir/headers"
  before="$(ok_calls "$metrics" "$method")"
  /usr/bin/time -f "%U %S" -o "$cost/$name.$round.cpu" \
    h2load -t 1 -D "$seconds" -d "$dir/body" "${headers[@]}" "$@" "$url" >"$cost/$name.$round.txt"
  after="$(ok_calls "$metrics" "$method")"
  echo "$((after - before))" >"$cost/$name.$round.ok"
  echo "   $name: $(grep -o '[0-9.]* req/s' "$cost/$name.$round.txt")"
}

# COST_ONLY="swift-echo case-get" runs some of them.
read -r -a scenarios <<<"${COST_ONLY:-cpp-echo swift-echo case-get case-list case-create city-stats city-street-stats city-coverage gateway-case-get}"
for round in $(seq 1 "$rounds"); do
  echo "== server cost, round $round of $rounds"
  # Each round starts one scenario later, so that no scenario always follows the same one.
  for index in $(seq 0 $((${#scenarios[@]} - 1))); do
    name="${scenarios[$(((index + round - 1) % ${#scenarios[@]}))]}"
    case "$name" in
      cpp-echo) run "$name" "$cost/cpp-echo-request" "$round" -c "$connections" -m "$streams" ;;
      # The whole-city dashboards: one call at a time, as an administrator opens them.
      city-stats | city-street-stats | city-coverage) run "$name" "$cost/$name" "$round" -c 1 -m 1 ;;
      # The gateway speaks HTTP/1.1 to browsers and the city platform: 16 connections, one call each.
      gateway-case-get) run "$name" "$cost/$name" "$round" --h1 -c 16 -m 1 ;;
      *) run "$name" "$cost/$name" "$round" -c "$connections" -m "$streams" ;;
    esac
  done
done

python3 - "$cost" "$rounds" "$seconds" "${scenarios[@]}" >"$results/server-cost.json" <<'EOF'
import json, re, sys
cost, rounds, seconds, names = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
table = {}
for name in names:
    runs = []
    for round in range(1, rounds + 1):
        text = open(f"{cost}/{name}.{round}.txt").read()
        done = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", text)
        rate = float(re.search(r"([0-9.]+) req/s", text).group(1))
        mean = re.search(r"time for request:\s+\S+\s+\S+\s+(\S+)", text)
        user, system = (float(x) for x in open(f"{cost}/{name}.{round}.cpu").read().split()[-2:])
        runs.append({"calls_per_second": rate, "succeeded": int(done.group(3)), "failed": int(done.group(4)),
                     "errored": int(done.group(5)), "ok_counted_by_service": int(open(f"{cost}/{name}.{round}.ok").read()),
                     "mean_latency": mean.group(1) if mean else "", "client_cpu": (user + system) / seconds})
    table[name] = runs
print(json.dumps(table, indent=2))
EOF
echo "wrote $results/server-cost.json"
