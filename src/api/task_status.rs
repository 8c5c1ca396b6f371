//! The status of an `EcsTask`: where the run stands, what it runs (recorded when it starts, so a started run
//! depends only on what it ran), the RunTask in flight, and the recent tasks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Condition, conditioned_status};

/// Where a run stands, for `kubectl get`: `Pending`, `Running`, `Succeeded` or `Failed`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum TaskPhase {
    #[default]
    Pending,
    Running,
    Succeeded,
    Failed,
}

/// What the operator and ECS report about the run.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EcsTaskStatus {
    /// The `metadata.generation` the status was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The ConfigMap the object's identities were exported to (`spec.exportTo`), so they are removed from it when
    /// the field or the object goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_to: Option<String>,
    /// With `ecsbridge.dev/read-only`: the fields where ECS differs from the spec (nothing is changed in AWS).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<crate::api::common::Drift>,
    /// `Complete`, `Failed`, `Ready` (True once Complete) and `Synced`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `EcsAccount` whose account this object's ECS objects live in (`(operator)`: the operator's own),
    /// recorded at creation; never changed silently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The AWS region this object's ECS objects live in, recorded at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default)]
    pub phase: TaskPhase,
    /// RunTask calls made for this run (attempts), the one in flight included.
    #[serde(default)]
    pub attempts: i32,
    /// Tasks that succeeded (their essential containers exited 0).
    #[serde(default)]
    pub succeeded: i32,
    /// Tasks that failed; each is one failed attempt of its place in the run.
    #[serde(default)]
    pub failed_attempts: i32,
    /// ARN of the cluster the run's tasks run in, recorded when the run starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_arn: Option<String>,
    /// ARN of the task definition revision every attempt runs, recorded when the run starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_arn: Option<String>,
    /// The essential containers of that revision: only they decide whether a task succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub essential_containers: Option<Vec<String>>,
    /// The RunTask request of the run (JSON, without `count` and `clientToken`), recorded when the run starts:
    /// every attempt sends it, so an edit of the spec does not change a started run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// A RunTask sent whose answer is not recorded yet, written before the call: a repeat after a crash sends the
    /// same request with the same client token, which starts nothing new.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight: Option<InFlight>,
    /// No new attempt starts before this time (RFC 3339): the backoff after a failure or a placement failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
    /// The run is ending this way once its remaining tasks have stopped (Failed and Complete are set only then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ending: Option<Ending>,
    /// Why the last task or placement failed (or why the run failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<String>,
    /// The recent RunTask calls that could not place every task, newest last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_failures: Vec<PlacementFailure>,
    /// The tasks that have not stopped, the ones that succeeded, and the recent failed ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<TaskRecord>,
    /// The exit code of the essential container of the last finished task (non-zero first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// When the first attempt was started (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// When the run finished, Complete or Failed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_time: Option<String>,
    /// The AWS console page of the newest task (a display hint; the format is not documented by AWS).
    #[serde(
        rename = "consoleURL",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub console_url: Option<String>,
}

conditioned_status!(EcsTaskStatus);

/// A RunTask call whose answer is not recorded yet.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InFlight {
    /// The attempt (1-based).
    pub attempt: i32,
    /// How many tasks it asks for.
    pub count: i32,
    /// Its client token.
    pub client_token: String,
    /// When it was first sent (RFC 3339).
    pub sent_at: String,
}

/// Why a run is ending.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ending {
    /// `DeadlineExceeded`, `BackoffLimitExceeded`, `ClusterNotFound`, ...
    pub reason: String,
    /// What happened, in words.
    pub message: String,
}

/// A RunTask call that could not place every task it asked for.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlacementFailure {
    /// The attempt (1-based) whose RunTask this was.
    pub attempt: i32,
    /// Tasks asked for and tasks placed.
    pub requested: i32,
    /// Tasks ECS placed.
    pub placed: i32,
    /// ECS's `failures[]`: `reason: detail` each.
    pub reasons: Vec<String>,
    /// When ECS answered (RFC 3339).
    pub time: String,
}

/// One ECS task of one attempt, as last seen.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskRecord {
    /// ARN of the ECS task.
    pub arn: String,
    /// The attempt (1-based) that started it.
    pub attempt: i32,
    /// ECS's lastStatus (PROVISIONING, PENDING, RUNNING, ..., STOPPED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<String>,
    /// ECS's desiredStatus (RUNNING or STOPPED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_status: Option<String>,
    /// ECS's stop code (EssentialContainerExited, TaskFailedToStart, UserInitiated, ...), or the operator's
    /// `TaskExpired` for a task ECS no longer showed before its end was seen, and `ClusterNotFound` for a task
    /// whose cluster is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_code: Option<String>,
    /// ECS's stoppedReason, in its words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_reason: Option<String>,
    /// Whether it succeeded, once it stopped: its essential containers exited 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub succeeded: Option<bool>,
    /// When ECS created it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// When its containers started (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it stopped (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<String>,
    /// Its containers, with their exit codes once stopped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<ContainerRecord>,
}

/// One container of a task: its exit code and reason once it stopped.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerRecord {
    /// Name of the container.
    pub name: String,
    /// ECS's lastStatus of the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<String>,
    /// Exit code, once the container stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// ECS's reason, when the container stopped abnormally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
