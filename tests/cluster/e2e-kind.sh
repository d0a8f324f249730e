#!/usr/bin/env bash
# `make e2e-kind`: the same e2e tests on a kind cluster, for machines with Docker (users' CI).
# Creates a kind cluster, builds the images with `docker build` (default BASE_IMAGE: the official
# Python image), loads them into kind, installs the chart (when charts/dstreams has one), and runs
# tests/e2e against it. kind and helm come from PATH, or are built from their Go modules (cached).
# Env: KIND_CLUSTER (dstreams-e2e), KIND_NODE_IMAGE (kind's default), KEEP_CLUSTER=1 to keep it,
#      DSTREAMS_KIND_HELM_ARGS extra `helm install` arguments (e.g. image values), PYTEST_ARGS.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/versions.env"
CACHE=${DSTREAMS_CACHE:-$HOME/.cache/dstreams}
CLUSTER=${KIND_CLUSTER:-dstreams-e2e}
TAG=${DSTREAMS_IMAGE_TAG:-dev}
PYTHON=${PYTHON:-$REPO/.venv/bin/python}
command -v docker >/dev/null || { echo "e2e-kind: docker is needed (on machines without it: make cluster-up / make test)" >&2; exit 1; }

KIND=$(command -v kind || true)
if [ -z "$KIND" ]; then
  KIND=$CACHE/tools/kind/$KIND_VERSION/kind
  [ -x "$KIND" ] || GOBIN=$(dirname "$KIND") GOFLAGS=-buildvcs=false go install "sigs.k8s.io/kind@$KIND_VERSION"
fi
KUBECTL=$(command -v kubectl || true)
HELM=$(command -v helm || true)
if [ -z "$KUBECTL" ] || [ -z "$HELM" ]; then
  bash "$HERE/build-tools.sh" $([ -z "$KUBECTL" ] && echo kubernetes) $([ -z "$HELM" ] && echo helm)
  eval "$(bash "$HERE/build-tools.sh" --print-env)"
fi

KUBECONFIG_FILE=$(mktemp -t dstreams-kind-kubeconfig.XXXXXX)
cleanup() {
  if [ "${KEEP_CLUSTER:-0}" != 1 ]; then "$KIND" delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true; rm -f "$KUBECONFIG_FILE"; fi
}
trap cleanup EXIT

if ! "$KIND" get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  "$KIND" create cluster --name "$CLUSTER" ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"} --wait 120s
fi
"$KIND" get kubeconfig --name "$CLUSTER" > "$KUBECONFIG_FILE"
export KUBECONFIG=$KUBECONFIG_FILE

for img in runtime operator; do
  docker build -f "$REPO/images/$img/Dockerfile" -t "dstreams-$img:$TAG" "$REPO"
  "$KIND" load docker-image "dstreams-$img:$TAG" --name "$CLUSTER"
done

if [ -f "$REPO/charts/dstreams/Chart.yaml" ]; then
  "$HELM" lint "$REPO/charts/dstreams"
  # shellcheck disable=SC2086
  "$HELM" upgrade --install dstreams "$REPO/charts/dstreams" --namespace dstreams-system --create-namespace \
    --wait --timeout 5m --set image.repository=dstreams-operator --set "image.tag=$TAG" \
    --set image.pullPolicy=IfNotPresent ${DSTREAMS_KIND_HELM_ARGS:-}
fi

export DSTREAMS_E2E_KUBECONFIG=$KUBECONFIG_FILE DSTREAMS_E2E_KUBECTL=$KUBECTL DSTREAMS_E2E_HELM=$HELM
export DSTREAMS_E2E_RUNTIME_IMAGE=docker.io/library/dstreams-runtime:$TAG
export DSTREAMS_E2E_OPERATOR_IMAGE=docker.io/library/dstreams-operator:$TAG
# shellcheck disable=SC2086
"$PYTHON" -m pytest -q "$REPO/tests/e2e" ${PYTEST_ARGS:-}
