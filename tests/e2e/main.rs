//! End-to-end tests against the real kube-apiserver and moto's ECS (start them with tests/control-plane/up.sh).

mod cluster;
mod harness;
mod service;
mod task_definition;
