#!/usr/bin/env bash
# Starts the loopback Kubernetes test world:
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler (built once by build-tools.sh),
#   the test node agent (node_agent.py: runs pods with podman), Redis, an S3 server (MinIO, or
#   moto's server if MinIO cannot be had), and builds the project's images (build-images.sh).
#
#   up.sh            start (idempotent: a healthy world in the same state dir is reused)
#   down.sh          stop it
#
# Env (all optional):
#   DSTREAMS_CACHE         tool/image cache (default ~/.cache/dstreams)
#   DSTREAMS_CLUSTER_DIR   state dir: certs, kubeconfig, data, logs (default $DSTREAMS_CACHE/cluster)
#   DSTREAMS_APISERVER_PORT (16443), DSTREAMS_ETCD_PORT (16379), DSTREAMS_KUBELET_PORT (16250),
#   DSTREAMS_REDIS_PORT (16390), DSTREAMS_S3_PORT (16900): taken if free, else a free port is picked;
#   DSTREAMS_DYNAMIC_PORTS=1 picks free ports for everything
#   DSTREAMS_S3_ACCESS_KEY / DSTREAMS_S3_SECRET_KEY   S3 credentials (default dstreams / dstreams-secret)
#   DSTREAMS_SKIP_IMAGES=1 do not build the images;  DSTREAMS_NO_S3=1, DSTREAMS_NO_REDIS=1
# Writes $DSTREAMS_CLUSTER_DIR/cluster.env (KEY=VALUE lines) and $DSTREAMS_CLUSTER_DIR/kubeconfig.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/versions.env"
export DSTREAMS_CACHE=${DSTREAMS_CACHE:-$HOME/.cache/dstreams}
STATE=${DSTREAMS_CLUSTER_DIR:-$DSTREAMS_CACHE/cluster}
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
export CONTAINERS_CONF=$HERE/containers.conf
PYTHON=${PYTHON:-$( [ -x "$REPO/.venv/bin/python" ] && echo "$REPO/.venv/bin/python" || command -v python3 )}
LOGS=$STATE/logs; PIDS=$STATE/pids; PKI=$STATE/pki
mkdir -p "$LOGS" "$PIDS" "$PKI"

say() { echo "cluster-up: $*" >&2; }
die() { echo "cluster-up: ERROR: $*" >&2; exit 1; }
alive() { [ -f "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }
tail_log() { echo "----- last lines of $LOGS/$1.log -----" >&2; tail -n "${2:-40}" "$LOGS/$1.log" >&2 || true; }

# --- reuse a healthy world
if [ -f "$STATE/cluster.env" ] && alive kube-apiserver && alive node-agent; then
  # shellcheck disable=SC1091
  . "$STATE/cluster.env"
  if "$KUBECTL" --kubeconfig "$KUBECONFIG" get --raw /readyz >/dev/null 2>&1; then
    say "already up (state dir $STATE; settings in $STATE/cluster.env)"
    echo "export KUBECONFIG=$KUBECONFIG PATH=$(dirname "$KUBECTL"):$(dirname "$HELM"):\$PATH"
    exit 0
  fi
fi
if ls "$PIDS"/*.pid >/dev/null 2>&1; then
  say "stopping the remains of an earlier world in $STATE"
  bash "$HERE/down.sh" >/dev/null 2>&1 || true
fi

# --- tools (built once, cached)
t0=$SECONDS
bash "$HERE/build-tools.sh" etcd kubernetes helm >"$LOGS/build-tools.log" 2>&1 || {
  tail -n 60 "$LOGS/build-tools.log" >&2; die "building the tools failed (full log: $LOGS/build-tools.log)"; }
S3_KIND=none
if [ "${DSTREAMS_NO_S3:-0}" != 1 ]; then
  if bash "$HERE/build-tools.sh" minio >>"$LOGS/build-tools.log" 2>&1; then S3_KIND=minio
  elif "$PYTHON" -c "import moto.server" 2>/dev/null; then S3_KIND=moto; say "MinIO unavailable; using moto's server"
  else tail -n 30 "$LOGS/build-tools.log" >&2; die "neither MinIO nor moto[server] is available for S3"; fi
fi
eval "$(bash "$HERE/build-tools.sh" --print-env)"
say "tools ready in $((SECONDS - t0))s"

# --- ports
port_free() { "$PYTHON" -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null; }
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# DSTREAMS_DYNAMIC_PORTS=1 (the pytest fixture) takes free ports throughout
pick() { if [ "${DSTREAMS_DYNAMIC_PORTS:-0}" != 1 ] && port_free "$1"; then echo "$1"; else free_port; fi; }
API_PORT=$(pick "${DSTREAMS_APISERVER_PORT:-16443}")
ETCD_PORT=$(pick "${DSTREAMS_ETCD_PORT:-16379}")
ETCD_PEER_PORT=$(pick $((ETCD_PORT + 1)))
KCM_PORT=$(pick 16257)
SCHED_PORT=$(pick 16259)
KUBELET_PORT=$(pick "${DSTREAMS_KUBELET_PORT:-16250}")
REDIS_PORT=$(pick "${DSTREAMS_REDIS_PORT:-16390}")
S3_PORT=$(pick "${DSTREAMS_S3_PORT:-16900}")
S3_CONSOLE_PORT=$(pick $((S3_PORT + 1)))

# --- certificates and credentials (made once per state dir)
if [ ! -f "$PKI/.complete" ]; then
  (
    cd "$PKI"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=dstreams-test-ca" \
      -keyout ca.key -out ca.crt 2>/dev/null
    issue() {  # name CN SANs
      openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
      printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" > "$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    issue apiserver kube-apiserver "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    issue kubelet dstreams-node "IP:127.0.0.1,DNS:localhost,DNS:dstreams-node"
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    tok() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }
    {
      echo "$(tok),admin,admin,system:masters"
      echo "$(tok),system:kube-controller-manager,kcm,system:masters"
      echo "$(tok),system:kube-scheduler,scheduler,system:masters"
      echo "$(tok),system:node:dstreams-node,node-agent,\"system:nodes,system:masters\""
    } > tokens.csv
    chmod 600 ./*.key tokens.csv
    touch .complete
  )
fi
token_of() { awk -F, -v u="$1" '$2 == u { print $1 }' "$PKI/tokens.csv"; }
kubeconfig() {  # file user
  cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: dstreams-test
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 < "$PKI/ca.crt")
users:
- name: $2
  user:
    token: $(token_of "$2")
contexts:
- name: dstreams-test
  context: {cluster: dstreams-test, user: $2, namespace: default}
current-context: dstreams-test
EOF
  chmod 600 "$1"
}
KUBECONFIG_FILE=$STATE/kubeconfig
kubeconfig "$KUBECONFIG_FILE" admin
kubeconfig "$STATE/kcm.kubeconfig" system:kube-controller-manager
kubeconfig "$STATE/scheduler.kubeconfig" system:kube-scheduler
token_of system:node:dstreams-node > "$STATE/node-agent.token"; chmod 600 "$STATE/node-agent.token"
INSTANCE=$(cat "$STATE/instance" 2>/dev/null || { echo "dstreams-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')" | tee "$STATE/instance"; })

# --- process helpers
start() {  # name cmd...
  local name=$1; shift
  : > "$LOGS/$name.log"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
}
wait_for() {  # name seconds cmd...  (polls cmd until it succeeds, the process dies, or time runs out)
  local name=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    alive "$name" || { tail_log "$name"; die "$name exited during start-up (log: $LOGS/$name.log)"; }
    [ $SECONDS -lt $deadline ] || { tail_log "$name"; die "$name not ready after ${secs}s (log: $LOGS/$name.log)"; }
    sleep 0.5
  done
}
KC=("$KUBECTL" --kubeconfig "$KUBECONFIG_FILE")

t0=$SECONDS
rm -rf "$STATE/etcd"
start etcd "$ETCD" --name default --data-dir "$STATE/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "" \
  --unsafe-no-fsync --log-level warn
wait_for etcd 60 curl -sf "http://127.0.0.1:$ETCD_PORT/health"

start kube-apiserver "$KUBE_APISERVER" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
  --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
  --client-ca-file "$PKI/ca.crt" --token-auth-file "$PKI/tokens.csv" \
  --authorization-mode Node,RBAC --allow-privileged=true \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 --endpoint-reconciler-type none \
  --kubelet-preferred-address-types InternalIP,Hostname \
  --kubelet-certificate-authority "$PKI/ca.crt" \
  --kubelet-client-certificate "$PKI/apiserver.crt" --kubelet-client-key "$PKI/apiserver.key" \
  --cert-dir "$STATE/apiserver" --profiling=false --v 1
wait_for kube-apiserver 120 "${KC[@]}" get --raw /readyz

start kube-controller-manager "$KUBE_CONTROLLER_MANAGER" \
  --kubeconfig "$STATE/kcm.kubeconfig" --authentication-kubeconfig "$STATE/kcm.kubeconfig" \
  --authorization-kubeconfig "$STATE/kcm.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --cert-dir "$STATE/kcm" \
  --leader-elect=false --use-service-account-credentials=false \
  --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
  --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
  --controllers '*' --profiling=false --v 1
start kube-scheduler "$KUBE_SCHEDULER" \
  --kubeconfig "$STATE/scheduler.kubeconfig" --authentication-kubeconfig "$STATE/scheduler.kubeconfig" \
  --authorization-kubeconfig "$STATE/scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --leader-elect=false --profiling=false --v 1
wait_for kube-controller-manager 60 curl -skf "https://127.0.0.1:$KCM_PORT/healthz"
wait_for kube-scheduler 60 curl -skf "https://127.0.0.1:$SCHED_PORT/healthz"

rm -rf "$STATE/node"; mkdir -p "$STATE/node"   # pods and their logs of an earlier world are gone with its etcd
start node-agent "$PYTHON" -u "$HERE/node_agent.py" --server "https://127.0.0.1:$API_PORT" \
  --token-file "$STATE/node-agent.token" --ca-file "$PKI/ca.crt" --node-name dstreams-node \
  --instance "$INSTANCE" --state-dir "$STATE/node" --kubelet-port "$KUBELET_PORT" \
  --tls-cert "$PKI/kubelet.crt" --tls-key "$PKI/kubelet.key" --containers-conf "$CONTAINERS_CONF" \
  --kubelet-version "$K8S_VERSION"
node_ready() {
  [ "$("${KC[@]}" get node dstreams-node -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ] &&
  [ -z "$("${KC[@]}" get node dstreams-node -o jsonpath='{.spec.taints}')" ] &&
  "${KC[@]}" -n default get serviceaccount default
}
wait_for node-agent 90 node_ready
say "control plane and node up in $((SECONDS - t0))s"

REDIS_URL=""
if [ "${DSTREAMS_NO_REDIS:-0}" != 1 ]; then
  command -v redis-server >/dev/null || die "redis-server not found: run tests/cluster/setup-system.sh"
  mkdir -p "$STATE/redis"
  start redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --dir "$STATE/redis" --protected-mode no
  wait_for redis 30 redis-cli -p "$REDIS_PORT" ping
  REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
fi

S3_ACCESS_KEY=${DSTREAMS_S3_ACCESS_KEY:-dstreams}
S3_SECRET_KEY=${DSTREAMS_S3_SECRET_KEY:-dstreams-secret}
S3_ENDPOINT=""
case $S3_KIND in
  minio)
    rm -rf "$STATE/minio"; mkdir -p "$STATE/minio"
    MINIO_ROOT_USER=$S3_ACCESS_KEY MINIO_ROOT_PASSWORD=$S3_SECRET_KEY MINIO_BROWSER=off \
      start s3 "$MINIO" server "$STATE/minio" --address "127.0.0.1:$S3_PORT" \
      --console-address "127.0.0.1:$S3_CONSOLE_PORT" --quiet
    wait_for s3 60 curl -sf "http://127.0.0.1:$S3_PORT/minio/health/ready"
    S3_ENDPOINT=http://127.0.0.1:$S3_PORT ;;
  moto)
    start s3 "$PYTHON" -m moto.server -H 127.0.0.1 -p "$S3_PORT"
    wait_for s3 60 curl -sf "http://127.0.0.1:$S3_PORT/moto-api/"
    S3_ENDPOINT=http://127.0.0.1:$S3_PORT ;;
esac

IMAGES_ENV=$(bash "$HERE/build-images.sh" --print-env)
eval "$IMAGES_ENV"
if [ "${DSTREAMS_SKIP_IMAGES:-0}" != 1 ]; then
  t0=$SECONDS
  bash "$HERE/build-images.sh" all >"$LOGS/build-images.log" 2>&1 || {
    tail -n 60 "$LOGS/build-images.log" >&2; die "building the images failed (full log: $LOGS/build-images.log)"; }
  say "images built in $((SECONDS - t0))s"
fi

cat > "$STATE/cluster.env" <<EOF
CLUSTER_DIR=$STATE
KUBECONFIG=$KUBECONFIG_FILE
KUBECTL=$KUBECTL
HELM=$HELM
K8S_VERSION=$K8S_VERSION
APISERVER=https://127.0.0.1:$API_PORT
NODE_NAME=dstreams-node
NODE_INSTANCE=$INSTANCE
NODE_STATE_DIR=$STATE/node
CONTAINERS_CONF=$CONTAINERS_CONF
REDIS_URL=$REDIS_URL
S3_KIND=$S3_KIND
S3_ENDPOINT=$S3_ENDPOINT
S3_ACCESS_KEY=$S3_ACCESS_KEY
S3_SECRET_KEY=$S3_SECRET_KEY
RUNTIME_IMAGE=$RUNTIME_IMAGE
OPERATOR_IMAGE=$OPERATOR_IMAGE
LOGS=$LOGS
EOF

cat >&2 <<EOF
cluster-up: the dstreams test world is up (state and logs in $STATE)
  export KUBECONFIG=$KUBECONFIG_FILE
  export PATH=$(dirname "$KUBECTL"):$(dirname "$HELM"):\$PATH     # kubectl $K8S_VERSION, helm $HELM_VERSION
  kubectl get nodes
  images: $RUNTIME_IMAGE  $OPERATOR_IMAGE
  redis:  $REDIS_URL
  s3:     $S3_ENDPOINT ($S3_KIND; access key $S3_ACCESS_KEY, secret $S3_SECRET_KEY)
  stop with: make cluster-down
EOF
echo "export KUBECONFIG=$KUBECONFIG_FILE PATH=$(dirname "$KUBECTL"):$(dirname "$HELM"):\$PATH"
