//! End-to-end tests against the real kube-apiserver and moto's ECS (start them with tests/control-plane/up.sh).

mod chart;
mod cluster;
mod cron_task;
mod harness;
mod operator;
mod rollout;
mod service;
mod task;
mod task_definition;
