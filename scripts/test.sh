#!/usr/bin/env bash
# Runs every test. The integration tests start the real executables, so everything is built first;
# then the console is driven in headless Chromium against the whole system (Debian's chromium and
# chromium-driver, Python's selenium), a Python grpcio client runs a workflow per service, and a
# C client (libnghttp2, libprotobuf-c) calls one RPC of each; raw HTTP/2 frames (h2) and bursts try
# the transport, a thousand server-sent event watchers the gateway, and the connectrpc client its
# Connect protocol; the grid worker's app and the residents' page are driven in Chromium emulating
# a 360x640 phone, offline too; the gateway's SMS, WeChat Work robot and e-mail channels are tried
# against aiosmtpd and loopback stand-ins checked with Tencent Cloud's own SDK; webhooks reach a
# loopback receiver that fails, goes down and hangs, through killed processes, each signature
# checked with the standardwebhooks library; spreadsheets the gateway writes are read with openpyxl and
# LibreOffice, registers of 10,000 compounds and 60,000 members are imported twice, and the monthly
# report is printed to PDF.
set -euo pipefail
cd "$(dirname "$0")/.."
# Leaflet (PyPI's xstatic-leaflet, installed by .ci/run) for the console's map: every system the
# tests start serves it at /vendor/leaflet/.
GOVERNANCE_MAP_LIBRARY="$(python3 -c 'import xstatic.pkg.leaflet as l; print(l.BASE_DIR)' 2>/dev/null)" || {
  echo "Leaflet for the map tests is missing: pip install xstatic-leaflet (.ci/run installs every test tool)" >&2
  exit 1
}
export GOVERNANCE_MAP_LIBRARY
swift build --build-tests
swift test --skip-build
python3 -m unittest Tests/Console/test_labels.py Tests/Console/test_errors.py Tests/Console/test_console.py Tests/Console/test_messages.py Tests/External/test_python_client.py Tests/External/test_c_client.py \
  Tests/External/test_transport_hardening.py Tests/External/test_gateway_streams.py Tests/External/test_connect.py \
  Tests/External/test_supervisor.py Tests/External/test_second_factor.py Tests/External/test_text_limits.py \
  Tests/External/test_upgrade.py Tests/External/test_attachments.py Tests/External/test_map_layers.py \
  Tests/External/test_open311.py Tests/Mobile/test_worker.py Tests/Mobile/test_resident.py \
  Tests/Messaging/test_channels.py Tests/Messaging/test_webhooks.py Tests/Spreadsheets/test_spreadsheets.py \
  Tests/Registers/test_registers.py Tests/Reports/test_monthly_report.py Tests/Deploy/test_kubernetes.py \
  Tests/External/test_reflection.py Tests/External/test_replication.py Tests/External/test_traces.py \
  Tests/External/test_network.py
