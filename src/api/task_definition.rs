//! The `TaskDefinition` kind: one ECS task definition family.
//!
//! The spec mirrors the ECS `RegisterTaskDefinition` request: every serde name below is the exact
//! ECS JSON member name, so the output of `aws ecs describe-task-definition` (as YAML) can be pasted
//! under `spec`, and the operator can hand the JSON form of these structs to the AWS SDK. This file holds the
//! spec and status; the container and volume shapes are split by topic (`task_definition_container`,
//! `task_definition_linux`, `task_definition_logging`, `task_definition_volume`) and re-exported here.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Condition, DeletionPolicy, Tags, conditioned_status};

pub use super::task_definition_container::*;
pub use super::task_definition_linux::*;
pub use super::task_definition_logging::*;
pub use super::task_definition_volume::*;

/// How many older revisions stay `ACTIVE` when `revisionHistoryLimit` is not set.
const DEFAULT_REVISION_HISTORY_LIMIT: usize = 10;

/// An Amazon ECS task definition family. Field names follow the ECS `RegisterTaskDefinition` API;
/// every change of the ECS fields registers a new revision.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecsbridge.dev",
    doc = "An ECS task definition family: a new revision is registered only when the definition really changes, and old revisions are deregistered by the history limit.",
    version = "v1alpha1",
    kind = "TaskDefinition",
    plural = "taskdefinitions",
    shortname = "ecstd",
    category = "ecs",
    namespaced,
    status = "TaskDefinitionStatus",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Synced","type":"string","jsonPath":".status.conditions[?(@.type==\"Synced\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    printcolumn = r#"{"name":"Family","type":"string","jsonPath":".status.family"}"#,
    printcolumn = r#"{"name":"Revision","type":"integer","jsonPath":".status.revision"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinitionSpec {
    /// Name of the task definition family. Defaults to `metadata.name`; immutable once created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub family: Option<String>,
    /// The containers of the task (1 to 10).
    #[schemars(length(min = 1, max = 10))]
    pub container_definitions: Vec<ContainerDefinition>,
    /// ARN of the IAM role that the containers of the task can assume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role_arn: Option<String>,
    /// ARN of the IAM role that the ECS agent uses to pull images and write logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<String>,
    /// Docker networking mode: `bridge`, `host`, `awsvpc` or `none`. Fargate requires `awsvpc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<NetworkMode>,
    /// Data volumes that containers of the task can mount.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    /// Placement constraints for the task (EC2 and external launch types only; at most 10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_constraints: Vec<TaskDefinitionPlacementConstraint>,
    /// Launch types the task definition is validated against: `EC2`, `FARGATE`, `EXTERNAL`, `MANAGED_INSTANCES`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires_compatibilities: Vec<Compatibility>,
    /// Task-level CPU, in CPU units (`"1024"`) or vCPUs (`"1 vCPU"`). Required on Fargate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Task-level memory, in MiB (`"2048"`) or GB (`"2 GB"`). Required on Fargate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// Process namespace shared by the containers: `host` or `task`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_mode: Option<PidMode>,
    /// IPC namespace of the containers: `host`, `task` or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipc_mode: Option<IpcMode>,
    /// App Mesh proxy configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_configuration: Option<ProxyConfiguration>,
    /// Elastic Inference accelerators of the task.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inference_accelerators: Vec<InferenceAccelerator>,
    /// Ephemeral storage of a Fargate task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<EphemeralStorage>,
    /// Operating system and CPU architecture the task runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_platform: Option<RuntimePlatform>,
    /// Whether fault injection is enabled for the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_fault_injection: Option<bool>,
    /// Tags for every revision; the operator adds its ownership tags next to them.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// How many older revisions of this resource stay `ACTIVE` next to the newest one; older ones
    /// are deregistered. Defaults to 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub revision_history_limit: Option<i32>,
    /// Also delete deregistered revisions with ECS `DeleteTaskDefinitions`. Defaults to `false`.
    #[serde(default)]
    pub delete_deregistered_revisions: bool,
    /// AWS region of the ECS objects (one the namespace's `EcsAccount` allows); its first region, or the
    /// operator's, when unset. Create-only: read when the object is created (recorded in `status.region`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Writes the object's AWS identities into a ConfigMap of the namespace, under keys named after the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_to: Option<crate::api::common::ExportTo>,
    /// `Delete` (default) deregisters the revisions with this object; `Retain` leaves them.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

/// Spec fields that belong to the operator, not to ECS's RegisterTaskDefinition request.
const OPERATOR_FIELDS: [&str; 6] = [
    "family",
    "region",
    "tags",
    "revisionHistoryLimit",
    "deleteDeregisteredRevisions",
    "deletionPolicy",
];

impl TaskDefinitionSpec {
    /// The ECS content of the spec as ECS JSON: what a revision registers (no family, no tags, no operator fields).
    pub fn ecs_content(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            for field in OPERATOR_FIELDS {
                map.remove(field);
            }
        }
        value
    }

    /// How many older revisions stay `ACTIVE`: `revisionHistoryLimit`, or 10 when unset.
    pub fn revision_history_limit(&self) -> usize {
        self.revision_history_limit
            .map_or(DEFAULT_REVISION_HISTORY_LIMIT, |limit| {
                usize::try_from(limit).unwrap_or(0)
            })
    }
}

/// Docker networking mode of the task.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum NetworkMode {
    #[serde(rename = "bridge")]
    Bridge,
    #[serde(rename = "host")]
    Host,
    #[serde(rename = "awsvpc")]
    Awsvpc,
    #[serde(rename = "none")]
    None,
}

/// A launch type a task definition can be validated against.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum Compatibility {
    #[serde(rename = "EC2")]
    Ec2,
    #[serde(rename = "FARGATE")]
    Fargate,
    #[serde(rename = "EXTERNAL")]
    External,
    #[serde(rename = "MANAGED_INSTANCES")]
    ManagedInstances,
}

/// Process namespace mode of the task.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum PidMode {
    #[serde(rename = "host")]
    Host,
    #[serde(rename = "task")]
    Task,
}

/// IPC namespace mode of the task.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum IpcMode {
    #[serde(rename = "host")]
    Host,
    #[serde(rename = "task")]
    Task,
    #[serde(rename = "none")]
    None,
}

// ---------------------------------------------------------------------------------------------
// Containers
// ---------------------------------------------------------------------------------------------

/// A placement constraint of the task.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinitionPlacementConstraint {
    /// The constraint type; only `memberOf`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<TaskDefinitionPlacementConstraintType>,
    /// A cluster query language expression, such as `attribute:ecs.instance-type =~ t3.*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// Types of task definition placement constraints.
#[derive(
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    JsonSchema,
)]
pub enum TaskDefinitionPlacementConstraintType {
    #[default]
    #[serde(rename = "memberOf")]
    MemberOf,
}

/// App Mesh proxy configuration of the task.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProxyConfiguration {
    /// The proxy type; only `APPMESH`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<ProxyConfigurationType>,
    /// Name of the container that serves as the proxy.
    #[schemars(length(min = 1))]
    pub container_name: String,
    /// Network settings of the CNI plugin, such as `IgnoredUID`, `AppPorts` and `ProxyIngressPort`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<KeyValuePair>,
}

/// Types of proxy configuration.
#[derive(
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    JsonSchema,
)]
pub enum ProxyConfigurationType {
    #[default]
    #[serde(rename = "APPMESH")]
    Appmesh,
}

/// An Elastic Inference accelerator of the task.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InferenceAccelerator {
    /// Name of the accelerator, referenced by `resourceRequirements[].value`.
    #[schemars(length(min = 1))]
    pub device_name: String,
    /// Elastic Inference accelerator type, such as `eia2.medium`.
    #[schemars(length(min = 1))]
    pub device_type: String,
}

/// Ephemeral storage of a Fargate task.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EphemeralStorage {
    /// Total ephemeral storage in GiB (21-200).
    #[serde(rename = "sizeInGiB")]
    #[schemars(range(min = 21, max = 200))]
    pub size_in_gib: i32,
}

/// Operating system and CPU architecture of the task.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimePlatform {
    /// `X86_64` or `ARM64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_architecture: Option<String>,
    /// `LINUX` or a Windows Server family such as `WINDOWS_SERVER_2022_CORE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operating_system_family: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------

/// What the operator observed of the task definition family; AWS-side facts live here, never in `spec`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinitionStatus {
    /// The `metadata.generation` last reconciled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The ConfigMap the object's identities were exported to (`spec.exportTo`), so they are removed from it when
    /// the field or the object goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_to: Option<String>,
    /// With `ecsbridge.dev/read-only`: the fields where ECS differs from the spec (nothing is changed in AWS).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<crate::api::common::Drift>,
    /// `Ready`, `Synced`, `Progressing` and `Degraded` conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `EcsAccount` whose account this object's ECS objects live in (`(operator)`: the operator's own),
    /// recorded at creation; never changed silently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The AWS region this object's ECS objects live in, recorded at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Name of the ECS task definition family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Newest revision this resource owns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i32>,
    /// ARN of the newest revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// ARN of the newest revision, `arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_arn: Option<String>,
    /// Revisions of this resource that are `ACTIVE`, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub active_revisions: Vec<i32>,
    /// Hash of the normalized spec of the newest revision, with its scheme (`v3:...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_hash: Option<String>,
    /// Hash of a spec ECS refused to register; that spec is not sent again until it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_spec_hash: Option<String>,
    /// When this object took over the family's revisions it had not registered (RFC 3339). Adoption happens once:
    /// revisions someone else registers later are not taken over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted_at: Option<String>,
    /// The tag keys the operator applied to the current revision: the only ones it ever removes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied_tag_keys: Vec<String>,
}
conditioned_status!(TaskDefinitionStatus);
