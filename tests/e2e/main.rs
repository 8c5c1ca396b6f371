//! End-to-end tests against the real kube-apiserver and moto's ECS (start them with tests/control-plane/up.sh).

mod chart;
mod cluster;
mod harness;
mod operator;
mod rollout;
mod service;
mod service_truth;
mod strategies;
mod task_definition;
