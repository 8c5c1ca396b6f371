#!/usr/bin/env bash
# Starts etcd, kube-apiserver and moto's ECS server on 127.0.0.1, waits until they answer, and writes
# $ECSB_STATE/kubeconfig and $ECSB_STATE/env. Installs what is missing first. Running it again is harmless.
# moto reports MOTO_ECS_SERVICE_RUNNING (default 2) running tasks for every new service: it never runs tasks itself.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

bash "$(dirname "${BASH_SOURCE[0]}")/install.sh"
mkdir -p "$ECSB_STATE/pki" "$ECSB_STATE/logs"
cd "$ECSB_STATE"

alive() { [ -f "$1.pid" ] && kill -0 "$(cat "$1.pid")" 2>/dev/null; }

# Starts a daemon in its own session so that `down.sh` can stop it and its children.
start() {
  local name=$1; shift
  alive "$name" && return 0
  log "starting $name"
  setsid "$@" >"logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$name.pid"
}

wait_for() {
  local name=$1 probe=$2
  for _ in $(seq 1 120); do
    eval "$probe" >/dev/null 2>&1 && return 0
    alive "$name" || { tail -n 30 "logs/$name.log" >&2; log "$name exited"; exit 1; }
    sleep 0.5
  done
  tail -n 30 "logs/$name.log" >&2; log "$name did not become ready"; exit 1
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
start etcd etcd --name ecs-bridge --data-dir "$ECSB_STATE/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "ecs-bridge=http://127.0.0.1:$ETCD_PEER_PORT"
wait_for etcd "curl -sf http://127.0.0.1:$ETCD_PORT/health"

start kube-apiserver "$KUBE_APISERVER_BIN" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
  --tls-cert-file="$ECSB_STATE/pki/apiserver.crt" --tls-private-key-file="$ECSB_STATE/pki/apiserver.key" \
  --client-ca-file="$ECSB_STATE/pki/ca.crt" --cert-dir="$ECSB_STATE/pki" \
  --token-auth-file="$ECSB_STATE/pki/tokens.csv" --authorization-mode=RBAC \
  --service-account-issuer=https://kubernetes.default.svc \
  --service-account-key-file="$ECSB_STATE/pki/sa.pub" --service-account-signing-key-file="$ECSB_STATE/pki/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24
wait_for kube-apiserver "curl -sf --cacert pki/ca.crt -H 'Authorization: Bearer $(cat pki/token)' https://127.0.0.1:$APISERVER_PORT/readyz"

start moto env MOTO_ECS_SERVICE_RUNNING="${MOTO_ECS_SERVICE_RUNNING:-2}" "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT"
wait_for moto "curl -sf http://127.0.0.1:$MOTO_PORT/moto-api/"

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

cat > env <<ENV
export KUBECONFIG="$ECSB_STATE/kubeconfig"
export AWS_ENDPOINT_URL_ECS="http://127.0.0.1:$MOTO_PORT"
export AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING="http://127.0.0.1:$MOTO_PORT"
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
export PATH="$ECSB_CACHE/bin:\$PATH"
ENV
log "ready: source $ECSB_STATE/env"
