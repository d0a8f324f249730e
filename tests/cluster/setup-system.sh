#!/usr/bin/env bash
# Installs the system packages of the loopback Kubernetes test world (idempotent; root or sudo).
# Debian/Ubuntu: podman with runc (containers of the test node agent), catatonit (their init),
# debootstrap (the local base image), redis-server, openssl (the cluster's certificates).
# Go (1.26+) must already be on PATH: the control plane, kubectl, helm and MinIO are built from
# the Go module proxy by build-tools.sh on first use and cached under ~/.cache/dstreams.
set -euo pipefail
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
need=()
for pkg in podman runc catatonit debootstrap redis-server openssl ca-certificates; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-system: installing ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # the fixtures start their own servers; keep the distribution's service off
  $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || $SUDO service redis-server stop >/dev/null 2>&1 || true
fi
command -v go >/dev/null || echo "setup-system: warning: no 'go' on PATH; the e2e tests need Go 1.26+ to build the control plane" >&2
exit 0
