#!/usr/bin/env bash
# Stops the local control plane started by up.sh. With --purge it also removes its state (etcd data, keys).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

for name in moto kube-controller-manager kube-apiserver etcd; do
  pidfile="$ECSB_STATE/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
done
[ "${1:-}" = "--purge" ] && rm -rf "$ECSB_STATE"
exit 0
