#!/usr/bin/env bash
# Installs the system packages the test suite needs (idempotent; root or sudo).
set -euo pipefail
need=()
command -v redis-server >/dev/null || need+=(redis-server)
# PostgreSQL for tests/sql (the fixtures run initdb and postgres from /usr/lib/postgresql/*/bin)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # the fixtures start their own servers; keep the distribution's service off
  $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || $SUDO service redis-server stop >/dev/null 2>&1 || true
  $SUDO systemctl disable --now postgresql >/dev/null 2>&1 || $SUDO service postgresql stop >/dev/null 2>&1 || true
fi
