#!/usr/bin/env bash
# Runs every test: formatting, lints, CRD freshness and unit tests, and the end-to-end tests against the local
# control plane (real kube-apiserver + etcd + moto), which it starts and stops itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tests/control-plane/up.sh
trap 'bash tests/control-plane/down.sh' EXIT
source "${ECSB_STATE:-target/control-plane}/env"
export ECSB_REQUIRE_MOTO=1

# The Argo CD health checks are tested with a real Lua 5.1 interpreter (tests/argocd_health.rs), as Argo CD runs them.
(source tests/control-plane/common.sh && apt_install_missing lua5.1)

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The benchmark (benches/scale) is a long run of its own: tests/bench.sh.
# The lifecycle walks (tests/walker) run with the other tests: plan::PARTS seeds of the day, about 5 minutes;
# ECSB_WALKS=N walks more. Their report (walks, steps, invariant checks, coverage) is target/walker/report.txt.
cargo test --workspace --lib --bins --tests
