#!/usr/bin/env bash
# Runs every test. The integration tests start the real executables, so everything is built first.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build
