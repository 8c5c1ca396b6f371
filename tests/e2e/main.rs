//! End-to-end tests against the real kube-apiserver and moto's ECS (start them with tests/control-plane/up.sh).

mod admission;
mod autoscaling;
mod capacity_provider;
mod capacity_stack;
mod chart;
mod cluster;
mod control_plane;
mod corpus;
mod cron_edges;
mod cron_task;
mod drift_listing;
mod harness;
mod operator;
mod real_world;
mod rollout;
mod safety;
mod service;
mod service_truth;
mod shards;
mod strategies;
mod task;
mod task_definition;
mod task_definition_use;
mod task_edges;
mod task_time;
mod tools;
