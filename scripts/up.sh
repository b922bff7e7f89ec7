#!/usr/bin/env bash
# Builds the six processes and the operator tool in release mode, then starts the whole system on
# 127.0.0.1 with a demo city, data under ./data. Extra arguments go to `governance up`
# (e.g. --data DIR, --port-offset N). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

products=(organisation-service property-service grid-service volunteers-service evaluation-service gateway governance)
bin=.build/release
stamp="$bin/.up-built"
# Nothing to build when no source, contract or manifest changed since the last build here: the
# start is then immediate (a no-op `swift build` still spends about two seconds per product
# planning). Otherwise only the seven executables `up` runs are built, not the benchmarks or tests.
changed=yes
if [ -f "$stamp" ]; then
  changed="$(find Package.swift Services Shared Tools proto -newer "$stamp" -print -quit 2>/dev/null)"
  for product in "${products[@]}"; do [ -x "$bin/$product" ] || changed=yes; done
fi
if [ -n "$changed" ]; then
  for product in "${products[@]}"; do
    swift build -c release --product "$product"
  done
  touch "$stamp"
fi
exec "$bin/governance" up --demo "$@"
