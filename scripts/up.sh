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
# Leaflet for the console's map comes from PyPI's xstatic-leaflet (BSD-2-Clause, docs/MAP.md),
# served by the gateway at /vendor/leaflet/; without it the map page says it is missing.
leaflet_dir() { python3 -c 'import xstatic.pkg.leaflet as l; print(l.BASE_DIR)' 2>/dev/null || true; }
leaflet="$(leaflet_dir)"
if [ -z "$leaflet" ] && python3 -m pip install -q 'xstatic-leaflet==1.9.3.0' >/dev/null 2>&1; then
  leaflet="$(leaflet_dir)"
fi
map=()
[ -n "$leaflet" ] && map=(--map-library "$leaflet")
exec "$bin/governance" up --demo ${map[@]+"${map[@]}"} "$@"
