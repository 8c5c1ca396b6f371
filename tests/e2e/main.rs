//! End-to-end tests against the real kube-apiserver and moto's ECS (start them with tests/control-plane/up.sh).

mod chart;
mod cluster;
mod harness;
mod operator;
mod rollout;
mod safety;
mod service;
mod task_definition;
