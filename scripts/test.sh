#!/usr/bin/env bash
# Runs every tier of the test suite. Services a tier needs are brought up first; one that
# cannot be brought up fails the run with a message naming it (no tier is skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
source scripts/services.sh

echo "== services"
ensure_postgres
ensure_redis
ensure_prometheus_tools
ensure_bundled_binaries
ensure_chromium  # the e2e tier's browser (tests/e2e/)

echo "== import contracts (DESIGN.md §2)"
$BIN/lint-imports

echo "== dashboard (frontend/): unit tests and the production build"
bash scripts/frontend.sh test
bash scripts/frontend.sh build

echo "== tests"
$BIN/python -m pytest "$@"
