//! End-to-end tests against the real kube-apiserver and moto's ECS (start them with tests/control-plane/up.sh).

mod chart;
mod cluster;
#[path = "../support/ecs_double.rs"]
mod ecs_double;
mod harness;
mod operator;
mod rollout;
mod service;
mod task_definition;
