//! The knobs of the double: set from the command line, and most of them changeable at run time through
//! `POST /_double/config`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The current settings.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// AWS Region of the ARNs.
    pub region: String,
    /// Time runs this many times faster for token refills, rollouts, draining and deletions.
    pub speedup: f64,
    /// Length of a rollout (and of a drain) before the speed-up.
    pub rollout_seconds: f64,
    /// Share of new deployments that fail.
    pub rollout_failure_rate: f64,
    /// Share of calls that answer a 500 or hang.
    pub fault_rate: f64,
    /// How long a hanging call hangs (real seconds, not sped up).
    pub timeout_seconds: f64,
    /// Faults happen after the call had its effect (instead of before).
    pub fault_after_effect: bool,
    /// The operations faults strike (all when empty).
    pub fault_operations: Vec<String>,
    /// Added to every ECS call (real milliseconds, not sped up).
    pub latency_ms: u64,
    /// Whether the token buckets apply.
    pub throttle: bool,
    /// Seed of the fault and rollout generators.
    pub seed: u64,
    /// Container instances per cluster: where DAEMON services place one task each.
    pub container_instances: i32,
    /// Documented behaviours broken on purpose (see [`Broken`]), to show that the conformance suite fails.
    pub broken: Vec<Broken>,
    /// How long a task's containers run, before the speed-up.
    pub task_seconds: f64,
    /// How tasks run from now on end.
    pub task_outcome: TaskOutcome,
    /// A new service deployment shows in ListServiceDeployments this many seconds after it started (real
    /// seconds): ECS's API is eventually consistent, so a list may lag behind DescribeServices.
    pub list_lag_seconds: f64,
    /// Share of the tasks RunTask is asked for that cannot be placed (drawn from the seeded generator).
    pub placement_failure_rate: f64,
    /// The `reason` of a placement failure: `RESOURCE:CPU`, `RESOURCE:MEMORY` or `AGENT`.
    pub placement_failure_reason: PlacementReason,
    /// How long a STOPPED task stays describable, before the speed-up (ECS: at least an hour).
    pub stopped_task_seconds: f64,
    /// The longest a RunTask client token is remembered, before the speed-up (ECS: 24 hours).
    pub client_token_seconds: f64,
    /// The exit code of a non-essential container that ECS stops because an essential one exited.
    pub sidecar_exit_code: i32,
}

/// Why a task could not be placed (the reasons ECS documents for RunTask's `failures[]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum PlacementReason {
    #[serde(rename = "RESOURCE:CPU")]
    #[value(name = "RESOURCE:CPU")]
    Cpu,
    #[serde(rename = "RESOURCE:MEMORY")]
    #[value(name = "RESOURCE:MEMORY")]
    Memory,
    #[serde(rename = "AGENT")]
    #[value(name = "AGENT")]
    Agent,
}

impl PlacementReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cpu => "RESOURCE:CPU",
            Self::Memory => "RESOURCE:MEMORY",
            Self::Agent => "AGENT",
        }
    }
}

/// How the tasks the double runs end: `exit:N` (the essential containers exit with code N after the task
/// seconds), `fail-to-start` (a CannotPullContainerError) or `hang` (run until stopped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskOutcome {
    Exit(i32),
    FailToStart,
    Hang,
}

impl std::str::FromStr for TaskOutcome {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "fail-to-start" => Ok(Self::FailToStart),
            "hang" => Ok(Self::Hang),
            _ => text
                .strip_prefix("exit:")
                .and_then(|code| code.parse().ok())
                .map(Self::Exit)
                .ok_or_else(|| {
                    format!("a task outcome is exit:N, fail-to-start or hang, not {text:?}")
                }),
        }
    }
}

impl std::fmt::Display for TaskOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exit(code) => write!(f, "exit:{code}"),
            Self::FailToStart => f.write_str("fail-to-start"),
            Self::Hang => f.write_str("hang"),
        }
    }
}

impl Serialize for TaskOutcome {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A documented ECS behaviour the double can be told to get wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Broken {
    /// Accept `desiredCount` for a DAEMON service (as moto does).
    DaemonDesiredCount,
    /// Return task definitions without the defaults ECS fills in.
    TaskDefinitionDefaults,
    /// Ignore RunTask's `clientToken`: every call starts new tasks.
    RunTaskClientToken,
    /// Let a daemon deployment of images that cannot be pulled succeed: no circuit breaker, no rollback.
    DaemonRollback,
}

impl Settings {
    /// How long rollouts, drains and task definition deletions take, in seconds of the clock.
    pub fn rollout_duration(&self) -> f64 {
        self.rollout_seconds / self.speedup
    }

    /// Whether faults may strike `operation`.
    pub fn faults_strike(&self, operation: &str) -> bool {
        self.fault_operations.is_empty() || self.fault_operations.iter().any(|o| o == operation)
    }

    /// How long a task's containers run, in seconds of the clock.
    pub fn task_duration(&self) -> f64 {
        self.task_seconds / self.speedup
    }

    /// How long a STOPPED task stays describable, in seconds of the clock.
    pub fn stopped_task_duration(&self) -> f64 {
        self.stopped_task_seconds / self.speedup
    }

    /// The longest a RunTask client token is remembered, in seconds of the clock.
    pub fn client_token_duration(&self) -> f64 {
        self.client_token_seconds / self.speedup
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs_f64(self.timeout_seconds)
    }

    /// Applies a change from the admin API; nothing changes when a value is out of range.
    pub fn apply(&mut self, patch: &ConfigPatch) -> Result<(), String> {
        let mut next = self.clone();
        if let Some(rate) = patch.fault_rate {
            next.fault_rate = share("faultRate", rate)?;
        }
        if let Some(rate) = patch.rollout_failure_rate {
            next.rollout_failure_rate = share("rolloutFailureRate", rate)?;
        }
        if let Some(seconds) = patch.rollout_seconds {
            next.rollout_seconds = non_negative("rolloutSeconds", seconds)?;
        }
        if let Some(seconds) = patch.timeout_seconds {
            next.timeout_seconds = non_negative("timeoutSeconds", seconds)?;
        }
        if let Some(after) = patch.fault_after_effect {
            next.fault_after_effect = after;
        }
        if let Some(operations) = &patch.fault_operations {
            next.fault_operations.clone_from(operations);
        }
        if let Some(latency) = patch.latency_ms {
            next.latency_ms = latency;
        }
        if let Some(throttle) = patch.throttle {
            next.throttle = throttle;
        }
        if let Some(seconds) = patch.task_seconds {
            next.task_seconds = non_negative("taskSeconds", seconds)?;
        }
        if let Some(outcome) = &patch.task_outcome {
            next.task_outcome = outcome.parse()?;
        }
        if let Some(seconds) = patch.list_lag_seconds {
            next.list_lag_seconds = non_negative("listLagSeconds", seconds)?;
        }
        if let Some(rate) = patch.placement_failure_rate {
            next.placement_failure_rate = share("placementFailureRate", rate)?;
        }
        if let Some(reason) = patch.placement_failure_reason {
            next.placement_failure_reason = reason;
        }
        if let Some(seconds) = patch.stopped_task_seconds {
            next.stopped_task_seconds = non_negative("stoppedTaskSeconds", seconds)?;
        }
        if let Some(seconds) = patch.client_token_seconds {
            next.client_token_seconds = non_negative("clientTokenSeconds", seconds)?;
        }
        if let Some(code) = patch.sidecar_exit_code {
            next.sidecar_exit_code = code;
        }
        *self = next;
        Ok(())
    }
}

/// A run-time change of the settings (`POST /_double/config`); absent members stay as they are.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigPatch {
    pub fault_rate: Option<f64>,
    pub latency_ms: Option<u64>,
    pub throttle: Option<bool>,
    pub timeout_seconds: Option<f64>,
    pub fault_after_effect: Option<bool>,
    pub fault_operations: Option<Vec<String>>,
    pub rollout_failure_rate: Option<f64>,
    pub rollout_seconds: Option<f64>,
    pub task_seconds: Option<f64>,
    pub task_outcome: Option<String>,
    pub list_lag_seconds: Option<f64>,
    pub placement_failure_rate: Option<f64>,
    pub placement_failure_reason: Option<PlacementReason>,
    /// Not a setting: the next this many tasks RunTask is asked for cannot be placed (a counter in the model).
    pub unplaceable_tasks: Option<u32>,
    pub stopped_task_seconds: Option<f64>,
    pub client_token_seconds: Option<f64>,
    pub sidecar_exit_code: Option<i32>,
}

/// Checks a share (0 to 1).
pub fn share(name: &str, value: f64) -> Result<f64, String> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{name} must be between 0 and 1, not {value}"))
    }
}

/// Checks a duration in seconds.
pub fn non_negative(name: &str, value: f64) -> Result<f64, String> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(format!(
            "{name} must be a number of seconds >= 0, not {value}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            region: "us-east-1".into(),
            speedup: 10.0,
            rollout_seconds: 10.0,
            rollout_failure_rate: 0.0,
            fault_rate: 0.0,
            timeout_seconds: 30.0,
            fault_after_effect: false,
            fault_operations: Vec::new(),
            latency_ms: 0,
            throttle: true,
            seed: 1,
            container_instances: 2,
            broken: Vec::new(),
            task_seconds: 5.0,
            task_outcome: TaskOutcome::Exit(0),
            list_lag_seconds: 0.0,
            placement_failure_rate: 0.0,
            placement_failure_reason: PlacementReason::Memory,
            stopped_task_seconds: 3600.0,
            client_token_seconds: 86400.0,
            sidecar_exit_code: 137,
        }
    }

    #[test]
    fn a_patch_changes_only_what_it_names_and_checks_ranges() {
        let mut s = settings();
        assert_eq!(s.rollout_duration(), 1.0);
        let patch: ConfigPatch =
            serde_json::from_str(r#"{"faultRate": 0.5, "throttle": false}"#).unwrap();
        s.apply(&patch).unwrap();
        assert_eq!((s.fault_rate, s.throttle, s.latency_ms), (0.5, false, 0));
        let bad: ConfigPatch = serde_json::from_str(r#"{"faultRate": 2, "latencyMs": 5}"#).unwrap();
        assert!(s.apply(&bad).is_err());
        assert_eq!(s.latency_ms, 0, "a refused patch changes nothing");
        assert!(serde_json::from_str::<ConfigPatch>(r#"{"fault_rate": 1}"#).is_err());
        let tasks: ConfigPatch =
            serde_json::from_str(r#"{"taskSeconds": 1, "taskOutcome": "exit:3"}"#).unwrap();
        s.apply(&tasks).unwrap();
        assert_eq!(
            (s.task_duration(), s.task_outcome),
            (0.1, TaskOutcome::Exit(3))
        );
        let bad: ConfigPatch = serde_json::from_str(r#"{"taskOutcome": "explode"}"#).unwrap();
        assert!(s.apply(&bad).is_err());
        assert_eq!(serde_json::to_value(&s).unwrap()["taskOutcome"], "exit:3");
        assert!(s.faults_strike("RunTask"));
        let only: ConfigPatch =
            serde_json::from_str(r#"{"faultOperations": ["RunTask"]}"#).unwrap();
        s.apply(&only).unwrap();
        assert!(s.faults_strike("RunTask") && !s.faults_strike("DescribeTasks"));
    }

    #[test]
    fn task_knobs_are_checked_and_sped_up() {
        let mut s = settings();
        assert_eq!(
            (s.stopped_task_duration(), s.client_token_duration()),
            (360.0, 8640.0)
        );
        let patch: ConfigPatch = serde_json::from_str(
            r#"{"placementFailureRate": 0.1, "placementFailureReason": "AGENT", "stoppedTaskSeconds": 20,
                "clientTokenSeconds": 30, "sidecarExitCode": 1, "unplaceableTasks": 2}"#,
        )
        .unwrap();
        s.apply(&patch).unwrap();
        assert_eq!(s.placement_failure_reason, PlacementReason::Agent);
        assert_eq!(
            (s.stopped_task_duration(), s.client_token_duration()),
            (2.0, 3.0)
        );
        assert_eq!((s.placement_failure_rate, s.sidecar_exit_code), (0.1, 1));
        let shown = serde_json::to_value(&s).unwrap();
        assert_eq!(shown["placementFailureReason"], "AGENT");
        for bad in [
            r#"{"placementFailureRate": 1.5}"#,
            r#"{"stoppedTaskSeconds": -1}"#,
            r#"{"clientTokenSeconds": -1}"#,
        ] {
            let patch: ConfigPatch = serde_json::from_str(bad).unwrap();
            assert!(s.apply(&patch).is_err(), "{bad}");
        }
        assert!(
            serde_json::from_str::<ConfigPatch>(r#"{"placementFailureReason": "DISK"}"#).is_err()
        );
    }
}
