#!/usr/bin/env bash
# Builds, once, the Go tools of the loopback test world from the Go module proxy and caches them
# outside the repo:  $DSTREAMS_CACHE/tools/<name>/<version>/   (DSTREAMS_CACHE=~/.cache/dstreams)
#
#   build-tools.sh [kubernetes|etcd|helm|minio|all]...     (default: all)
#   build-tools.sh --print-env     print the tool paths as shell variable assignments
#
# Versions live in versions.env. A tool is rebuilt only when its directory lacks the
# `.complete` marker. Builds run under `nice` with DSTREAMS_BUILD_JOBS (default 2) Go jobs.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/versions.env"
CACHE=${DSTREAMS_CACHE:-$HOME/.cache/dstreams}
TOOLS=$CACHE/tools
SRC=$CACHE/src
LOGS=$CACHE/logs
JOBS=${DSTREAMS_BUILD_JOBS:-2}

K8S_DIR=$TOOLS/kubernetes/$K8S_VERSION
ETCD_DIR=$TOOLS/etcd/$ETCD_VERSION
HELM_DIR=$TOOLS/helm/$HELM_VERSION
MINIO_DIR=$TOOLS/minio/$MINIO_VERSION

if [ "${1:-}" = "--print-env" ]; then
  cat <<EOF
KUBE_APISERVER=$K8S_DIR/kube-apiserver
KUBE_CONTROLLER_MANAGER=$K8S_DIR/kube-controller-manager
KUBE_SCHEDULER=$K8S_DIR/kube-scheduler
KUBECTL=$K8S_DIR/kubectl
ETCD=$ETCD_DIR/etcd
HELM=$HELM_DIR/helm
MINIO=$MINIO_DIR/minio
EOF
  exit 0
fi

command -v go >/dev/null || { echo "build-tools: Go is needed (go 1.26+)" >&2; exit 1; }
# sum.golang.org is not reachable on every machine this runs on; the module proxy is.
# Set DSTREAMS_GOSUMDB=sum.golang.org where it is (GitHub's runners do that in ci.yaml).
export GOSUMDB=${DSTREAMS_GOSUMDB:-off}
export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export CGO_ENABLED=0
mkdir -p "$TOOLS" "$SRC" "$LOGS"

# one builder per tool at a time (pytest fixtures and `make cluster-up` may race)
locked() {  # tool function
  ( flock 9; "$2" ) 9>"$CACHE/.build-$1.lock"
}

GO="nice -n 10 go"
BUILD_FLAGS=(-p "$JOBS" -trimpath)

stamp() { date +%s; }
report() { echo "build-tools: $1 built in $(( $(stamp) - $2 ))s" >&2; }

build_kubernetes() {
  [ -f "$K8S_DIR/.complete" ] && return 0
  local t0; t0=$(stamp)
  echo "build-tools: building Kubernetes $K8S_VERSION (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl); a cold build takes ~5 min on 2 cores" >&2
  local staging="v0.${K8S_VERSION#v1.}" minor
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  local w=$SRC/kubernetes-$K8S_VERSION
  rm -rf "$w"; mkdir -p "$w"; cd "$w"
  # k8s.io/kubernetes requires its staging modules at v0.0.0 with local replaces;
  # a wrapper module pins each of them to the matching published v0.<minor>.<patch>.
  local gomod
  gomod=$($GO mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -f "$gomod" ] || { echo "build-tools: could not download k8s.io/kubernetes@$K8S_VERSION" >&2; return 1; }
  {
    echo "module dstreams.test/kubernetes-tools"
    echo
    echo "go $(sed -n 's/^go //p' "$gomod")"
    echo
    sed -n 's/^godebug /godebug /p' "$gomod"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    awk '$2 == "v0.0.0" && $1 ~ /^k8s\.io\// { print "\t" $1 " => " $1 " '"$staging"'" }' "$gomod"
    echo ")"
    echo
    echo "tool ("
    for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do echo "	k8s.io/kubernetes/cmd/$c"; done
    echo ")"
  } > go.mod
  $GO mod tidy
  local vpkgs="k8s.io/component-base/version k8s.io/client-go/pkg/version" ld="-s -w"
  for p in $vpkgs; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  mkdir -p "$K8S_DIR.tmp"
  $GO build "${BUILD_FLAGS[@]}" -ldflags "$ld" -o "$K8S_DIR.tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
  rm -rf "$K8S_DIR"; mv "$K8S_DIR.tmp" "$K8S_DIR"; touch "$K8S_DIR/.complete"
  report "Kubernetes $K8S_VERSION" "$t0"
}

build_etcd() {
  [ -f "$ETCD_DIR/.complete" ] && return 0
  local t0; t0=$(stamp)
  echo "build-tools: building etcd $ETCD_VERSION" >&2
  local w=$SRC/etcd-$ETCD_VERSION
  rm -rf "$w"; mkdir -p "$w"; cd "$w"
  # go.etcd.io/etcd/server/v3 replaces its sibling modules with ../ paths; pin them instead.
  cat > go.mod <<EOF
module dstreams.test/etcd-tools

go 1.26.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION

replace (
	go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 $ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
)

tool go.etcd.io/etcd/server/v3
EOF
  $GO mod tidy
  mkdir -p "$ETCD_DIR.tmp"
  $GO build "${BUILD_FLAGS[@]}" -ldflags "-s -w" -o "$ETCD_DIR.tmp/etcd" go.etcd.io/etcd/server/v3
  rm -rf "$ETCD_DIR"; mv "$ETCD_DIR.tmp" "$ETCD_DIR"; touch "$ETCD_DIR/.complete"
  report "etcd $ETCD_VERSION" "$t0"
}

build_helm() {
  [ -f "$HELM_DIR/.complete" ] && return 0
  local t0; t0=$(stamp)
  echo "build-tools: building helm $HELM_VERSION" >&2
  mkdir -p "$HELM_DIR.tmp"
  cd "$SRC"
  GOBIN="$HELM_DIR.tmp" GOFLAGS="-buildvcs=false" $GO install "${BUILD_FLAGS[@]}" \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  rm -rf "$HELM_DIR"; mv "$HELM_DIR.tmp" "$HELM_DIR"; touch "$HELM_DIR/.complete"
  report "helm $HELM_VERSION" "$t0"
}

build_minio() {
  [ -f "$MINIO_DIR/.complete" ] && return 0
  local t0; t0=$(stamp)
  echo "build-tools: building MinIO $MINIO_VERSION" >&2
  mkdir -p "$MINIO_DIR.tmp"
  cd "$SRC"
  GOBIN="$MINIO_DIR.tmp" GOFLAGS="-buildvcs=false" $GO install "${BUILD_FLAGS[@]}" -ldflags "-s -w" \
    "github.com/minio/minio@$MINIO_VERSION"
  rm -rf "$MINIO_DIR"; mv "$MINIO_DIR.tmp" "$MINIO_DIR"; touch "$MINIO_DIR/.complete"
  report "MinIO $MINIO_VERSION" "$t0"
}

targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(all)
for t in "${targets[@]}"; do
  case $t in
    all) locked etcd build_etcd; locked kubernetes build_kubernetes; locked helm build_helm; locked minio build_minio ;;
    kubernetes|k8s) locked kubernetes build_kubernetes ;;
    etcd) locked etcd build_etcd ;;
    helm) locked helm build_helm ;;
    minio) locked minio build_minio ;;
    *) echo "build-tools: unknown tool $t" >&2; exit 2 ;;
  esac
done
