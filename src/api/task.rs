//! The `EcsTask` kind: one run of `count` ECS tasks (RunTask), retried like a Kubernetes Job.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::cluster::CapacityProviderStrategyItem;
use super::common::{DeletionPolicy, LocalRef, Tags};
use super::service::{LaunchType, NetworkConfiguration, PropagateTags};
use super::task_definition::{
    EnvironmentFile, EphemeralStorage, KeyValuePair, ResourceRequirement,
};

/// One run of ECS tasks, like a Job: RunTask with `count` tasks, retried up to `backoffLimit` times.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecsbridge.dev",
    doc = "A one-off run of ECS tasks, with Job semantics: `count` tasks must succeed, failures are retried with backoff up to `backoffLimit`.",
    version = "v1alpha1",
    kind = "EcsTask",
    plural = "ecstasks",
    shortname = "ecst",
    category = "ecs",
    namespaced,
    status = "EcsTaskStatus",
    printcolumn = r#"{"name":"Status","type":"string","jsonPath":".status.phase"}"#,
    printcolumn = r#"{"name":"Synced","type":"string","jsonPath":".status.conditions[?(@.type==\"Synced\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    printcolumn = r#"{"name":"Attempts","type":"integer","jsonPath":".status.attempts"}"#,
    printcolumn = r#"{"name":"Exit","type":"integer","jsonPath":".status.exitCode"}"#,
    printcolumn = r#"{"name":"Completed","type":"date","jsonPath":".status.completionTime"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct EcsTaskSpec {
    /// An `EcsCluster` in this namespace to run on. Set exactly one of `clusterRef` and `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_ref: Option<LocalRef>,
    /// Name or ARN of an ECS cluster not managed here. Set exactly one of `clusterRef` and `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// A `TaskDefinition` in this namespace; the run uses its newest revision when the run starts (every attempt
    /// runs that revision).
    /// Set exactly one of `taskDefinitionRef` and `taskDefinition`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_ref: Option<LocalRef>,
    /// A task definition not managed here: `family`, `family:revision` or a full ARN; a family is resolved to its
    /// newest ACTIVE revision when the run starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// How many tasks must succeed (1-10; default 1). A failed task is replaced by a new one while `backoffLimit`
    /// allows; tasks ECS could not place are placed again later.
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = 10))]
    pub count: i32,
    /// `EC2`, `FARGATE`, `EXTERNAL` or `MANAGED_INSTANCES`. Mutually exclusive with `capacityProviderStrategy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<LaunchType>,
    /// Capacity provider strategy of the tasks. Mutually exclusive with `launchType`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    /// Subnets, security groups and public IP of tasks using the `awsvpc` network mode (required on Fargate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
    /// Changes to the task definition for these tasks (ECS's TaskOverride).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<TaskOverride>,
    /// Fargate platform version (for example `LATEST` or `1.4.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    /// Task group name (ECS default: `family:<family>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 255))]
    pub group: Option<String>,
    /// Tags for the tasks; the operator adds its ownership tags next to them.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// Copy the task definition's tags to the tasks (`TASK_DEFINITION`) or not (`NONE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagate_tags: Option<PropagateTags>,
    /// Whether `ecs execute-command` is enabled for the tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_execute_command: Option<bool>,
    /// How many failed tasks are replaced (default 0: a failure is final), after a backoff of 10 s, 20 s, 40 s ...
    /// up to 6 minutes. A task ECS could not place (`RESOURCE:*`, `AGENT`) is not a failure.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub backoff_limit: i32,
    /// Seconds from the first start after which running tasks are stopped and the run Failed (`DeadlineExceeded`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub active_deadline_seconds: Option<i64>,
    /// Seconds after the run finished (Complete or Failed) after which this object deletes itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub ttl_seconds_after_finished: Option<i64>,
    /// AWS region of the ECS objects (one the namespace's `EcsAccount` allows); its first region, or the
    /// operator's, when unset. Create-only: read when the object is created (recorded in `status.region`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Writes the object's AWS identities into a ConfigMap of the namespace, under keys named after the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_to: Option<crate::api::common::ExportTo>,
    /// `Delete` (default) stops running tasks when this object is deleted; `Retain` leaves them running.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

fn one() -> i32 {
    1
}

/// ECS's TaskOverride: changes to the task definition for one run.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskOverride {
    /// Per container changes; each names a container of the task definition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub container_overrides: Vec<ContainerOverride>,
    /// Task CPU units (as a string, like the task definition's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Task memory in MiB (as a string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// IAM role the containers assume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role_arn: Option<String>,
    /// IAM role ECS uses to pull images and write logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<String>,
    /// Ephemeral storage of a Fargate task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<EphemeralStorage>,
}

/// ECS's ContainerOverride.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerOverride {
    /// The container of the task definition to change.
    pub name: String,
    /// Replaces the container's command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Adds or replaces environment variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Vec<KeyValuePair>>,
    /// Files with environment variables (S3 objects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_files: Option<Vec<EnvironmentFile>>,
    /// Replaces the container's CPU units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<i32>,
    /// Replaces the container's hard memory limit in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<i32>,
    /// Replaces the container's soft memory limit in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_reservation: Option<i32>,
    /// GPUs and inference accelerators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_requirements: Option<Vec<ResourceRequirement>>,
}

pub use super::task_status::{
    ContainerRecord, EcsTaskStatus, Ending, InFlight, PlacementFailure, TaskPhase, TaskRecord,
};
