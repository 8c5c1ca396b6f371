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
# The lifecycle walks (tests/walker, its own [[test]]) run with the other tests: plan::PARTS seeds of the day (a
# rotating set that takes every walked field through add, change, remove, out-of-band change and deletion), about
# 3 minutes, and the named replays; ECSB_WALKS=N walks more, ECSB_WALK_SEED=S (ECSB_WALK_KEEP=i,j) replays one.
# A walk goes on past a wrong value (written off) and reports every defect it finds. The run walks (EcsTask) take
# the same seeds, in parallel, about 1 minute; so do the cron walks (EcsCronTask, one firing each: up to a minute
# waiting for it), 35 to 75 s. Reports: target/walker/report.txt, runs.txt and crons.txt.
cargo test --workspace --lib --bins --tests
