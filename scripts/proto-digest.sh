#!/usr/bin/env bash
# Prints one SHA-256 digest over every .proto file under proto/ (paths and contents, sorted).
set -euo pipefail
cd "$(dirname "$0")/../proto"
find . -name '*.proto' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1
