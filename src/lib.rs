//! ecs-bridge: a Kubernetes operator that manages Amazon ECS clusters, task definitions and services.
#![forbid(unsafe_code)]

pub mod api;
pub mod cli;
pub mod controllers;
pub mod crdgen;
pub mod diff;
pub mod ecs;
pub mod health;
pub mod import;
pub mod metrics;
pub mod reconcile;
pub mod runtime;
pub mod shard;
