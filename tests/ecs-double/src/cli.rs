//! The command line (and `ECS_DOUBLE_*` environment) of the double, also used by [`crate::spawn`].

use std::net::IpAddr;

use clap::{Parser, ValueEnum};

use crate::settings::{self, Settings, TaskOutcome};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

/// An Amazon ECS test double: the ECS JSON protocol with throttling, rollouts over time and injected faults.
#[derive(Parser, Debug)]
#[command(name = "ecs-double", version)]
pub struct Cli {
    /// Address to listen on.
    #[arg(long, env = "ECS_DOUBLE_BIND", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Port to listen on; 0 picks a free one (see the `listening on` line).
    #[arg(long, env = "ECS_DOUBLE_PORT", default_value_t = 0)]
    pub port: u16,
    /// AWS Region shown in ARNs.
    #[arg(long, env = "ECS_DOUBLE_REGION", default_value = "us-east-1")]
    pub region: String,
    /// Time runs this many times faster: token refills, rollouts, drains, task definition deletions.
    #[arg(long, env = "ECS_DOUBLE_SPEEDUP", default_value_t = 1.0, value_parser = speedup)]
    pub speedup: f64,
    /// ECS's token-bucket throttling.
    #[arg(long, env = "ECS_DOUBLE_THROTTLE", value_enum, default_value_t = Switch::On)]
    pub throttle: Switch,
    /// How long a rollout (and a drain) takes, before the speed-up.
    #[arg(long, env = "ECS_DOUBLE_ROLLOUT_SECONDS", default_value_t = 10.0, value_parser = seconds)]
    pub rollout_seconds: f64,
    /// Share (0 to 1) of new deployments whose tasks fail to start.
    #[arg(long, env = "ECS_DOUBLE_ROLLOUT_FAILURE_RATE", default_value_t = 0.0, value_parser = share)]
    pub rollout_failure_rate: f64,
    /// Share (0 to 1) of calls that fail: half answer HTTP 500 at once, half hang first.
    #[arg(long, env = "ECS_DOUBLE_FAULT_RATE", default_value_t = 0.0, value_parser = share)]
    pub fault_rate: f64,
    /// How long a hanging call hangs before its 500 (real seconds, not sped up).
    #[arg(long, env = "ECS_DOUBLE_TIMEOUT_SECONDS", default_value_t = 30.0, value_parser = seconds)]
    pub timeout_seconds: f64,
    /// Faults strike after the call had its effect (to test idempotency), not before.
    #[arg(long, env = "ECS_DOUBLE_FAULT_AFTER_EFFECT")]
    pub fault_after_effect: bool,
    /// The operations faults strike, comma-separated (all when not given).
    #[arg(long, env = "ECS_DOUBLE_FAULT_OPERATIONS", value_delimiter = ',')]
    pub fault_operations: Vec<String>,
    /// Milliseconds added to every ECS call (real time, not sped up).
    #[arg(long, env = "ECS_DOUBLE_LATENCY_MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Seed of the generators that choose faults and failing rollouts.
    #[arg(long, env = "ECS_DOUBLE_SEED", default_value_t = 1)]
    pub seed: u64,
    /// Container instances per cluster (a DAEMON service runs one task on each).
    #[arg(long, env = "ECS_DOUBLE_CONTAINER_INSTANCES", default_value_t = 2)]
    pub container_instances: i32,
    /// How long a task's containers run before they exit, before the speed-up.
    #[arg(long, env = "ECS_DOUBLE_TASK_SECONDS", default_value_t = 5.0, value_parser = seconds)]
    pub task_seconds: f64,
    /// How tasks end: `exit:N` (essential containers exit with code N), `fail-to-start` or `hang` (run until
    /// StopTask).
    #[arg(long, env = "ECS_DOUBLE_TASK_OUTCOME", default_value = "exit:0")]
    pub task_outcome: TaskOutcome,
    /// Seconds before a new service deployment shows in ListServiceDeployments (eventual consistency).
    #[arg(long, env = "ECS_DOUBLE_LIST_LAG_SECONDS", default_value_t = 0.0, value_parser = seconds)]
    pub list_lag_seconds: f64,
    /// Share (0 to 1) of the tasks RunTask is asked for that cannot be placed (they come back in `failures[]`).
    #[arg(long, env = "ECS_DOUBLE_PLACEMENT_FAILURE_RATE", default_value_t = 0.0, value_parser = share)]
    pub placement_failure_rate: f64,
    /// The reason of a placement failure.
    #[arg(
        long,
        env = "ECS_DOUBLE_PLACEMENT_FAILURE_REASON",
        value_enum,
        default_value = "RESOURCE:MEMORY"
    )]
    pub placement_failure_reason: settings::PlacementReason,
    /// How long a STOPPED task stays describable, before the speed-up (ECS: at least an hour).
    #[arg(long, env = "ECS_DOUBLE_STOPPED_TASK_SECONDS", default_value_t = 3600.0, value_parser = seconds)]
    pub stopped_task_seconds: f64,
    /// The longest a RunTask client token is remembered, before the speed-up (ECS: 24 hours).
    #[arg(long, env = "ECS_DOUBLE_CLIENT_TOKEN_SECONDS", default_value_t = 86400.0, value_parser = seconds)]
    pub client_token_seconds: f64,
    /// Exit code of a non-essential container that ECS stops when an essential one exits (137: SIGKILL).
    #[arg(long, env = "ECS_DOUBLE_SIDECAR_EXIT_CODE", default_value_t = 137)]
    pub sidecar_exit_code: i32,
    /// Get one documented ECS behaviour wrong on purpose (repeatable), to show the conformance suite fails.
    #[arg(long = "break", value_enum)]
    pub broken: Vec<settings::Broken>,
}

fn share(text: &str) -> Result<f64, String> {
    let value: f64 = text.parse().map_err(|e| format!("{e}"))?;
    settings::share("the value", value)
}

fn seconds(text: &str) -> Result<f64, String> {
    let value: f64 = text.parse().map_err(|e| format!("{e}"))?;
    settings::non_negative("the value", value)
}

fn speedup(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 => Ok(value),
        _ => Err(format!("the speed-up must be a number > 0, not {text:?}")),
    }
}

impl Cli {
    /// The double's settings from the command line.
    pub fn settings(&self) -> Settings {
        Settings {
            region: self.region.clone(),
            speedup: self.speedup,
            rollout_seconds: self.rollout_seconds,
            rollout_failure_rate: self.rollout_failure_rate,
            fault_rate: self.fault_rate,
            timeout_seconds: self.timeout_seconds,
            fault_after_effect: self.fault_after_effect,
            fault_operations: self.fault_operations.clone(),
            latency_ms: self.latency_ms,
            throttle: self.throttle == Switch::On,
            seed: self.seed,
            container_instances: self.container_instances,
            broken: self.broken.clone(),
            task_seconds: self.task_seconds,
            task_outcome: self.task_outcome,
            list_lag_seconds: self.list_lag_seconds,
            placement_failure_rate: self.placement_failure_rate,
            placement_failure_reason: self.placement_failure_reason,
            stopped_task_seconds: self.stopped_task_seconds,
            client_token_seconds: self.client_token_seconds,
            sidecar_exit_code: self.sidecar_exit_code,
        }
    }
}
