#!/usr/bin/env bash
# Builds the six processes and the operator tool in release mode, then starts the whole system on
# 127.0.0.1 with a demo city, data under ./data. Extra arguments go to `governance up`
# (e.g. --data DIR, --port-offset N). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only the seven executables `up` runs are built (not the benchmarks or the tests), so a start
# with nothing changed links nothing and starts at once.
for product in organisation-service property-service grid-service volunteers-service evaluation-service gateway governance; do
  swift build -c release --product "$product"
done
exec .build/release/governance up --demo "$@"
