#!/usr/bin/env bash
# The dashboard (frontend/): `install` runs `npm ci` when package-lock.json changed,
# `build` builds the production bundle when its sources changed (served by the API at /),
# `test` runs the unit tests once (Vitest). Stamps keep repeated runs instant.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

FRONTEND=frontend
DIST=$FRONTEND/dist/observer-eye/browser

sources_hash() {
  (cd $FRONTEND && find src public -type f -print0 | sort -z | xargs -0 sha1sum
   sha1sum package.json package-lock.json angular.json tsconfig.json tsconfig.app.json) | sha1sum | cut -c1-16
}

install() {
  ensure_node
  local stamp="$FRONTEND/node_modules/.installed-$(cat $FRONTEND/package-lock.json | sha1sum | cut -c1-12)"
  [ -e "$stamp" ] && return
  echo "== frontend: npm ci"
  (cd $FRONTEND && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in $FRONTEND"
  rm -f $FRONTEND/node_modules/.installed-*
  touch "$stamp"
}

build() {
  install
  local stamp="$FRONTEND/dist/.built-$(sources_hash)"
  [ -e "$stamp" ] && [ -f "$DIST/index.html" ] && return
  echo "== frontend: ng build"
  rm -rf $FRONTEND/dist
  (cd $FRONTEND && NG_CLI_ANALYTICS=false npx ng build --progress=false) || die "the dashboard build failed"
  touch "$stamp"
}

unit() {
  install
  echo "== frontend: unit tests"
  (cd $FRONTEND && NG_CLI_ANALYTICS=false CI=true npm test --silent) || die "the dashboard's unit tests failed"
}

case "${1:-}" in
  install) install ;;
  build) build ;;
  test) unit ;;
  *) echo "usage: scripts/frontend.sh install|build|test" >&2; exit 2 ;;
esac
