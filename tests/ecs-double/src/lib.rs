//! `ecs-double`: an Amazon ECS test double for what moto cannot do — throttling, rollouts over time, tasks that
//! run and stop, and faults — following the behaviours written down in `docs/ecs-behaviour.md`.
//!
//! It speaks ECS's awsJson1_1 protocol (`POST /` with `X-Amz-Target`), so aws-sdk-ecs talks to it unchanged with
//! `AWS_ENDPOINT_URL_ECS=http://127.0.0.1:PORT`; it checks no request signature, but reads the access key to tell
//! the account (see `accounts`), and serves STS's AssumeRole at the same endpoint. The binary prints one line,
//! `listening on http://ADDRESS:PORT`, to stdout; tests start it in-process with [`spawn`]. The admin API is under
//! `/_double/` (see [`admin`]).
#![forbid(unsafe_code)]

mod accounts;
mod admin;
mod app;
mod cli;
mod clock;
mod dispatch;
mod faults;
mod ids;
mod ops_capacity_provider;
mod ops_cluster;
mod ops_daemon;
mod ops_daemon_deployment;
mod ops_daemon_task_definition;
mod ops_express;
mod ops_express_view;
mod ops_gateway;
mod ops_gateway_links;
mod ops_run_task;
mod ops_scaling;
mod ops_service;
mod ops_service_deployment;
mod ops_tags;
mod ops_task;
mod ops_task_definition;
mod paginate;
mod placement;
mod prng;
mod protocol;
mod request;
mod rollout;
mod server;
mod service_rules;
mod service_tasks;
mod settings;
mod state;
mod stats;
mod strategies;
mod tags;
mod task_life;
mod task_memory;
mod task_request;
mod td_defaults;
mod throttle;
mod timeline;
mod validate;

pub use cli::Cli;
pub use server::{Running, serve, spawn};
