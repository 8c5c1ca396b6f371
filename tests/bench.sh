#!/usr/bin/env bash
# Runs the scale benchmark (benches/scale) against the local control plane and the ECS test double; prints a
# table and writes target/bench/scale.md and target/bench/scale.json. Arguments go to the benchmark, e.g.
#   bash tests/bench.sh --sizes 100,1000 --speedup 5 --steady-seconds 120 --drift-samples 20
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tests/control-plane/up.sh
source target/control-plane/env
cargo bench --bench scale -- "$@"
