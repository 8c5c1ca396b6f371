#!/usr/bin/env bash
# The demo: starts the local control plane (kube-apiserver + etcd + moto's ECS), installs the CRDs, runs the
# operator and applies the examples, then shows `kubectl get ecs` once everything is Ready.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tests/control-plane/up.sh
source target/control-plane/env
cargo build --quiet
./target/debug/ecs-bridge crds | kubectl apply --server-side -f - >/dev/null
kubectl wait --for condition=established --timeout=60s \
  crd/ecsclusters.ecsbridge.dev crd/taskdefinitions.ecsbridge.dev crd/ecsservices.ecsbridge.dev \
  crd/capacityproviders.ecsbridge.dev >/dev/null

mkdir -p target/demo
./target/debug/ecs-bridge run --health-addr 127.0.0.1:18081 --metrics-addr 127.0.0.1:18080 \
  > target/demo/operator.log 2>&1 &
operator=$!
trap 'kill $operator 2>/dev/null || true' EXIT

# moto checks awsvpc subnets against its own EC2: give the example real (emulated) ones.
source tests/control-plane/common.sh
read -r subnet group < <("$MOTO_VENV/bin/python" tests/control-plane/moto-network.py)
sed -e "s/subnet-0a1b2c3d/$subnet/" -e "s/sg-0a1b2c3d/$group/" examples/manifests/web-app.yaml | kubectl apply -f -
kubectl wait --for=condition=Ready --timeout=120s -f examples/manifests/web-app.yaml
kubectl get ecs
echo
echo "The operator log is target/demo/operator.log. The control plane keeps running:"
echo "  source target/control-plane/env && kubectl get ecs     # look around"
echo "  bash tests/control-plane/down.sh                        # stop it"
if [ -t 0 ]; then
  echo "The operator keeps reconciling; press Ctrl-C to stop it."
  wait "$operator"
fi
