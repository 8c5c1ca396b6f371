//! The ECS conformance suite: scenarios written once against the ECS API (aws-sdk-ecs) that assert the behaviours
//! catalogued in `docs/ecs-behaviour.md`. `cargo test` runs each against the ECS test double and, for the shapes it
//! covers, against moto; `ECSB_CONFORMANCE_AWS=1` adds a real AWS account (see the README for what it creates).

mod backend;
mod broken;
mod clusters;
mod daemons;
mod express;
mod express_own;
mod gateways;
mod harness;
mod pauses;
mod services;
mod strategies;
mod task_definitions;
mod tasks;
