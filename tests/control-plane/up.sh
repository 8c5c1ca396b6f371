#!/usr/bin/env bash
# Starts etcd, kube-apiserver, kube-controller-manager (garbage collector, namespace controller) and moto's ECS
# server on 127.0.0.1, waits until they answer, and writes $ECSB_STATE/kubeconfig and $ECSB_STATE/env. Installs what is missing first. Running it again is harmless.
# moto reports MOTO_ECS_SERVICE_RUNNING (default 2) running tasks for every new service: it never runs tasks itself.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

bash "$(dirname "${BASH_SOURCE[0]}")/install.sh"
mkdir -p "$ECSB_STATE/pki" "$ECSB_STATE/logs"
cd "$ECSB_STATE"

alive() { [ -f "$1.pid" ] && kill -0 "$(cat "$1.pid")" 2>/dev/null; }

# The pid of the process listening on TCP port $1, empty when nothing listens there.
listener_pid() { ss -ltnpH "sport = :$1" 2>/dev/null | sed -nE 's/.*pid=([0-9]+).*/\1/p' | head -n 1; }

# True when port $2 is served by daemon $1 started here (its session): a server this script did not start is never used.
serves_port() {
  local pid
  pid=$(listener_pid "$2")
  [ -n "$pid" ] && alive "$1" && [ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$(cat "$1.pid")" ]
}

# Starts daemon $1, which is to listen on port $2, in its own session so that `down.sh` can stop it and its children.
start() {
  local name=$1 port=$2; shift 2
  alive "$name" && return 0
  local other
  other=$(listener_pid "$port")
  if [ -n "$other" ]; then
    log "port $port (for $name) is taken by process $other, which this script did not start;"
    log "stop it or choose other ports with ECSB_ETCD_PORT, ECSB_APISERVER_PORT, ECSB_CONTROLLER_MANAGER_PORT, ECSB_MOTO_PORT"
    exit 1
  fi
  log "starting $name"
  setsid "$@" >"logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$name.pid"
}

# Waits until daemon $1 answers probe $3 on its own port $2.
wait_for() {
  local name=$1 port=$2 probe=$3
  for _ in $(seq 1 240); do
    serves_port "$name" "$port" && eval "$probe" >/dev/null 2>&1 && return 0
    alive "$name" || { tail -n 30 "logs/$name.log" >&2; log "$name exited"; exit 1; }
    sleep 0.5
  done
  tail -n 30 "logs/$name.log" >&2; log "$name did not become ready on port $port"; exit 1
}

# A CA and a serving certificate for 127.0.0.1/localhost, a service-account key and a static admin token.
make_credentials() {
  [ -f pki/token ] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ecs-bridge-local-ca" \
    -keyout pki/ca.key -out pki/ca.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout pki/apiserver.key -out pki/apiserver.csr 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > pki/ext.cnf
  openssl x509 -req -in pki/apiserver.csr -CA pki/ca.crt -CAkey pki/ca.key -CAcreateserial -days 3650 \
    -extfile pki/ext.cnf -out pki/apiserver.crt 2>/dev/null
  openssl genrsa -out pki/sa.key 2048 2>/dev/null
  openssl rsa -in pki/sa.key -pubout -out pki/sa.pub 2>/dev/null
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > pki/token
  printf '%s,admin,admin,system:masters\n' "$(cat pki/token)" > pki/tokens.csv
}

make_credentials
start etcd "$ETCD_PORT" "$ETCD_BIN" --name ecs-bridge --data-dir "$ECSB_STATE/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "ecs-bridge=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls ""
wait_for etcd "$ETCD_PORT" "curl -sf http://127.0.0.1:$ETCD_PORT/health"

start kube-apiserver "$APISERVER_PORT" "$KUBE_APISERVER_BIN" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
  --tls-cert-file="$ECSB_STATE/pki/apiserver.crt" --tls-private-key-file="$ECSB_STATE/pki/apiserver.key" \
  --client-ca-file="$ECSB_STATE/pki/ca.crt" --cert-dir="$ECSB_STATE/pki" \
  --token-auth-file="$ECSB_STATE/pki/tokens.csv" --authorization-mode=RBAC \
  --service-account-issuer=https://kubernetes.default.svc \
  --service-account-key-file="$ECSB_STATE/pki/sa.pub" --service-account-signing-key-file="$ECSB_STATE/pki/sa.key" \
  --service-cluster-ip-range=10.0.0.0/16
wait_for kube-apiserver "$APISERVER_PORT" "curl -sf --cacert pki/ca.crt -H 'Authorization: Bearer $(cat pki/token)' https://127.0.0.1:$APISERVER_PORT/readyz"

cat > kubeconfig <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 pki/ca.crt)
users:
- name: admin
  user:
    token: $(cat pki/token)
contexts:
- name: local
  context: {cluster: local, user: admin, namespace: default}
current-context: local
KCFG

# Only the controllers the tests rely on: owner references are garbage-collected, namespaces are emptied and
# deleted, namespaces get their default service account, the chart's roles aggregate into view/edit/admin.
# Nothing runs pods here.
start kube-controller-manager "$CONTROLLER_MANAGER_PORT" "$KUBE_CONTROLLER_MANAGER_BIN" \
  --kubeconfig="$ECSB_STATE/kubeconfig" --authentication-kubeconfig="$ECSB_STATE/kubeconfig" \
  --authorization-kubeconfig="$ECSB_STATE/kubeconfig" --authentication-skip-lookup --bind-address=127.0.0.1 \
  --secure-port="$CONTROLLER_MANAGER_PORT" --cert-dir="$ECSB_STATE/pki/controller-manager" --leader-elect=false \
  --controllers=garbage-collector-controller,namespace-controller,serviceaccount-controller,clusterrole-aggregation-controller
wait_for kube-controller-manager "$CONTROLLER_MANAGER_PORT" "curl -sfk https://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz"

start moto "$MOTO_PORT" env MOTO_ECS_SERVICE_RUNNING="${MOTO_ECS_SERVICE_RUNNING:-2}" "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT"
wait_for moto "$MOTO_PORT" "curl -sf http://127.0.0.1:$MOTO_PORT/moto-api/"

cat > env <<ENV
export KUBECONFIG="$ECSB_STATE/kubeconfig"
export AWS_ENDPOINT_URL_ECS="http://127.0.0.1:$MOTO_PORT"
export AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING="http://127.0.0.1:$MOTO_PORT"
# STS too: EcsAccount roles are assumed at moto, whose assumed-role credentials act in the role's account.
export AWS_ENDPOINT_URL_STS="http://127.0.0.1:$MOTO_PORT"
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
export PATH="$ECSB_CACHE/bin:\$PATH"
ENV
log "ready: source $ECSB_STATE/env"
