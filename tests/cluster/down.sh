#!/usr/bin/env bash
# Stops the loopback test world started by up.sh (same DSTREAMS_CLUSTER_DIR) and removes its
# containers. --purge also deletes the state dir (certificates, kubeconfig, data, logs).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export DSTREAMS_CACHE=${DSTREAMS_CACHE:-$HOME/.cache/dstreams}
STATE=${DSTREAMS_CLUSTER_DIR:-$DSTREAMS_CACHE/cluster}
PIDS=$STATE/pids
export CONTAINERS_CONF=$HERE/containers.conf
[ -d "$PIDS" ] || { echo "cluster-down: nothing running in $STATE" >&2; exit 0; }

stop() {  # name: SIGTERM its process group, wait, then SIGKILL
  local f=$PIDS/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null; }
  fi
  rm -f "$f"
}
# the node agent first: it removes its containers on SIGTERM
for name in node-agent kube-scheduler kube-controller-manager kube-apiserver etcd s3 redis; do stop "$name"; done
if [ -f "$STATE/instance" ] && command -v podman >/dev/null; then
  ids=$(podman ps -aq --filter "label=dstreams.test/node=$(cat "$STATE/instance")" 2>/dev/null)
  [ -n "$ids" ] && podman rm -f -t 0 $ids >/dev/null 2>&1
fi
rm -f "$STATE/cluster.env"
if [ "${1:-}" = "--purge" ]; then rm -rf "$STATE"; fi
echo "cluster-down: stopped the world in $STATE" >&2
