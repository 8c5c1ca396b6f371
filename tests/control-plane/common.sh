#!/usr/bin/env bash
# Shared settings of the local control plane scripts: where things are cached, where state lives, which ports.
set -euo pipefail

ECSB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ECSB_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/ecs-bridge"
ECSB_STATE="${ECSB_STATE:-$ECSB_ROOT/target/control-plane}"
# One Kubernetes release for every k8s.io module (tests/control-plane/kube/go.mod pins them) and the etcd it requires.
KUBE_VERSION="v1.34.4"
ETCD_VERSION="v3.6.4"
KUBE_APISERVER_BIN="$ECSB_CACHE/bin/kube-apiserver-$KUBE_VERSION"
KUBE_CONTROLLER_MANAGER_BIN="$ECSB_CACHE/bin/kube-controller-manager-$KUBE_VERSION"
ETCD_BIN="$ECSB_CACHE/bin/etcd-$ETCD_VERSION"
KUBECTL_BIN="$ECSB_CACHE/bin/kubectl"
HELM_BIN="$ECSB_CACHE/bin/helm"
MOTO_VENV="$ECSB_CACHE/moto-venv"
ETCD_PORT="${ECSB_ETCD_PORT:-23790}"
ETCD_PEER_PORT="${ECSB_ETCD_PEER_PORT:-23800}"
APISERVER_PORT="${ECSB_APISERVER_PORT:-16443}"
CONTROLLER_MANAGER_PORT="${ECSB_CONTROLLER_MANAGER_PORT:-16444}"
MOTO_PORT="${ECSB_MOTO_PORT:-15000}"

log() { printf '[control-plane] %s\n' "$*" >&2; }

# Runs apt-get install for the packages that are not installed yet; `apt-get update` once per call.
apt_install_missing() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
