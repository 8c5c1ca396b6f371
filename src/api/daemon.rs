//! The `EcsDaemon` kind: one ECS managed daemon (CreateDaemon), a daemon task on every container instance of its
//! capacity providers, rolled out by ECS's daemon deployments.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Condition, DeletionPolicy, LocalRef, Tags, conditioned_status};

/// An Amazon ECS managed daemon. Field names follow ECS's `CreateDaemon` API.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecsbridge.dev",
    doc = "An ECS managed daemon: one daemon task on each container instance of its capacity providers.",
    version = "v1alpha1",
    kind = "EcsDaemon",
    plural = "ecsdaemons",
    shortname = "ecsd",
    category = "ecs",
    namespaced,
    status = "EcsDaemonStatus",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Synced","type":"string","jsonPath":".status.conditions[?(@.type==\"Synced\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    printcolumn = r#"{"name":"Deployment","type":"string","jsonPath":".status.deploymentStatus"}"#,
    printcolumn = r#"{"name":"Running","type":"integer","jsonPath":".status.runningCount"}"#,
    printcolumn = r#"{"name":"Revision","type":"string","priority":1,"jsonPath":".status.daemonTaskDefinitionArn"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct EcsDaemonSpec {
    /// Name of the daemon. Defaults to `metadata.name`; create-only (ECS cannot rename a daemon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub daemon_name: Option<String>,
    /// The `EcsCluster` of this namespace the daemon runs in. Set at most one of `clusterRef` and `cluster`
    /// (ECS's `default` cluster with neither). Create-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_ref: Option<LocalRef>,
    /// Name or ARN of an ECS cluster the operator does not manage. Create-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `CapacityProvider` objects of this namespace (ECS Managed Instances providers) whose instances run the
    /// daemon; together with `capacityProviders`, at least one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_refs: Vec<LocalRef>,
    /// Names or ARNs of capacity providers the operator does not manage.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_providers: Vec<String>,
    /// The `DaemonTaskDefinition` of this namespace whose newest revision the daemon runs: a new revision is
    /// rolled out as soon as it is registered. Set exactly one of this and `daemonTaskDefinition`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daemon_task_definition_ref: Option<LocalRef>,
    /// ARN of a daemon task definition revision the operator does not manage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daemon_task_definition: Option<String>,
    /// How ECS rolls out a new revision: drain percentage, bake time and the CloudWatch alarms that roll it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_configuration: Option<DaemonDeploymentConfiguration>,
    /// `DAEMON` copies the daemon's tags to its tasks; `NONE` does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagate_tags: Option<DaemonPropagateTags>,
    /// Turns on ECS managed tags for the daemon's tasks.
    #[serde(
        default,
        rename = "enableECSManagedTags",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_ecs_managed_tags: Option<bool>,
    /// Turns on ECS Exec for the daemon's tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_execute_command: Option<bool>,
    /// Whether a failing daemon task makes ECS drain its container instance (ECS's default: true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical: Option<bool>,
    /// Tags for the daemon, sent at creation; the operator adds its ownership tags next to them and puts back
    /// the ones changed outside Kubernetes.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// AWS region of the ECS objects (one the namespace's `EcsAccount` allows); its first region, or the
    /// operator's, when unset. Create-only: read when the object is created (recorded in `status.region`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Writes the object's AWS identities into a ConfigMap of the namespace, under keys named after the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_to: Option<crate::api::common::ExportTo>,
    /// `Delete` (default) deletes the daemon with this object (ECS stops its tasks); `Retain` leaves it.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

/// How ECS rolls out a daemon (ECS's `DaemonDeploymentConfiguration`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DaemonDeploymentConfiguration {
    /// Percentage of the container instances drained at once during a deployment (0.0 to 100.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub drain_percent: Option<f64>,
    /// Minutes ECS waits after a successful step before the next one (ECS's default: 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub bake_time_in_minutes: Option<i32>,
    /// CloudWatch alarms that fail (and roll back) a deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarms: Option<DaemonAlarmConfiguration>,
}

/// The alarms of a daemon deployment (ECS's `DaemonAlarmConfiguration`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DaemonAlarmConfiguration {
    /// CloudWatch alarm names to watch during a deployment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarm_names: Vec<String>,
    /// Whether ECS watches the alarms (ECS's default: false).
    #[serde(default)]
    pub enable: bool,
}

/// Whether a daemon's tags are copied to its tasks.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DaemonPropagateTags {
    Daemon,
    None,
}

/// What the operator observed of the daemon; AWS-side facts live here, never in `spec`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EcsDaemonStatus {
    /// The `metadata.generation` the status was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The ConfigMap the object's identities were exported to (`spec.exportTo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_to: Option<String>,
    /// With `ecsbridge.dev/read-only`: never set (this kind cannot be read-only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<crate::api::common::Drift>,
    /// `Ready`, `Synced`, `Progressing` and `Degraded`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `EcsAccount` whose account this object's ECS objects live in, recorded at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The AWS region this object's ECS objects live in, recorded at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// ARN of the daemon: the only name ECS's daemon calls take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daemon_arn: Option<String>,
    /// Name of the daemon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daemon_name: Option<String>,
    /// ARN of the cluster the daemon runs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_arn: Option<String>,
    /// ECS's status of the daemon: `ACTIVE` or `DELETE_IN_PROGRESS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs_status: Option<String>,
    /// The daemon task definition revision last sent to ECS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daemon_task_definition_arn: Option<String>,
    /// The capacity providers last sent to ECS.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_arns: Vec<String>,
    /// The deployment ECS started for what was last sent (CreateDaemon's or UpdateDaemon's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_arn: Option<String>,
    /// ECS's status of that deployment (`IN_PROGRESS`, `SUCCESSFUL`, `ROLLBACK_SUCCESSFUL`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_status: Option<String>,
    /// ECS's reason for `deploymentStatus`, or for its rollback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_status_reason: Option<String>,
    /// Daemon tasks running, over all current revisions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_count: Option<i32>,
    /// Hash of what was last sent (revision, capacity providers, deployment configuration and flags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_hash: Option<String>,
    /// Hash of a sending ECS rolled back: it is not sent again until the spec (or the revision) changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolled_back_hash: Option<String>,
    /// When this object took over a daemon it had not created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted_at: Option<String>,
}
conditioned_status!(EcsDaemonStatus);
