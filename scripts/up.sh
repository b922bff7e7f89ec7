#!/usr/bin/env bash
# Builds the six processes and the operator tool in release mode, then starts the whole system on
# 127.0.0.1 with a demo city, data under ./data. Extra arguments go to `governance up`
# (e.g. --data DIR, --port-offset N). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release
exec .build/release/governance up --demo "$@"
