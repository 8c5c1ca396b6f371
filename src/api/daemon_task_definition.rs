//! The `DaemonTaskDefinition` kind: a family of ECS daemon task definitions (RegisterDaemonTaskDefinition), the
//! containers an `EcsDaemon` runs on every container instance of its capacity providers.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Condition, DeletionPolicy, Tags, conditioned_status};
use super::task_definition::{
    ContainerDependency, ContainerRestartPolicy, Device, EnvironmentFile, FirelensConfiguration,
    HealthCheck, HostVolumeProperties, KernelCapabilities, KeyValuePair, LogConfiguration,
    MountPoint, RepositoryCredentials, Secret, SystemControl, Tmpfs, Ulimit,
};

/// How many older revisions stay `ACTIVE` when `revisionHistoryLimit` is unset.
const DEFAULT_REVISION_HISTORY_LIMIT: usize = 10;

/// An Amazon ECS daemon task definition family. Field names follow ECS's `RegisterDaemonTaskDefinition` API.
#[derive(
    CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema,
)]
#[kube(
    group = "ecsbridge.dev",
    doc = "An ECS daemon task definition family: the containers a managed daemon runs on each container instance.",
    version = "v1alpha1",
    kind = "DaemonTaskDefinition",
    plural = "daemontaskdefinitions",
    shortname = "ecsdtd",
    category = "ecs",
    namespaced,
    status = "DaemonTaskDefinitionStatus",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Synced","type":"string","jsonPath":".status.conditions[?(@.type==\"Synced\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    printcolumn = r#"{"name":"Family","type":"string","jsonPath":".status.family"}"#,
    printcolumn = r#"{"name":"Revision","type":"integer","jsonPath":".status.revision"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct DaemonTaskDefinitionSpec {
    /// Name of the daemon task definition family. Defaults to `metadata.name`; immutable once registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub family: Option<String>,
    /// The containers of the daemon task (1 to 10).
    #[schemars(length(min = 1, max = 10))]
    pub container_definitions: Vec<DaemonContainerDefinition>,
    /// ARN of the IAM role that the containers of the daemon task can assume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role_arn: Option<String>,
    /// ARN of the IAM role that the ECS agent uses to pull images and write logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<String>,
    /// CPU units of the daemon task (`"256"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Memory of the daemon task in MiB (`"512"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// Data volumes the containers can mount: host paths, or the log files of the other tasks on the instance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<DaemonVolume>,
    /// `shared` joins the host's PID namespace; `none` (ECS's default) keeps the daemon's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_mode: Option<DaemonNamespaceMode>,
    /// `shared` joins the host's IPC namespace; `none` (ECS's default) keeps the daemon's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipc_mode: Option<DaemonNamespaceMode>,
    /// Tags for every revision, sent when it is registered; the operator adds its ownership tags next to them.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// How many older revisions of this resource stay `ACTIVE` next to the newest one; older ones this object
    /// registered are deleted (DeleteDaemonTaskDefinition) unless a daemon still runs them. Defaults to 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub revision_history_limit: Option<i32>,
    /// AWS region of the ECS objects (one the namespace's `EcsAccount` allows); its first region, or the
    /// operator's, when unset. Create-only: read when the object is created (recorded in `status.region`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Writes the object's AWS identities into a ConfigMap of the namespace, under keys named after the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_to: Option<crate::api::common::ExportTo>,
    /// `Delete` (default) deletes the revisions this object registered with it (those a daemon still runs are
    /// waited for or kept); `Retain` leaves them.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

/// Spec fields that belong to the operator, not to ECS's RegisterDaemonTaskDefinition request.
const OPERATOR_FIELDS: [&str; 6] = [
    "family",
    "region",
    "tags",
    "revisionHistoryLimit",
    "exportTo",
    "deletionPolicy",
];

impl DaemonTaskDefinitionSpec {
    /// What a revision registers, as ECS JSON (no family, no tags, no operator fields).
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

/// A namespace mode of a daemon task.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DaemonNamespaceMode {
    None,
    Shared,
}

/// One container of a daemon task (ECS's `DaemonContainerDefinition`: no port mappings, links or networking of
/// its own).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DaemonContainerDefinition {
    /// Name of the container: up to 255 letters, digits, hyphens and underscores.
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub name: String,
    /// Image to start the container from, such as `repository-url/image:tag` or `image@digest`.
    #[schemars(length(min = 1))]
    pub image: String,
    /// Hard memory limit of the container, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub memory: Option<i32>,
    /// Soft memory limit (reservation) of the container, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub memory_reservation: Option<i32>,
    /// Credentials for a private registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_credentials: Option<RepositoryCredentials>,
    /// The container's health check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// CPU units reserved for the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub cpu: Option<i32>,
    /// Whether the other containers stop when this one stops. ECS defaults to `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub essential: Option<bool>,
    /// Entry point passed to the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry_point: Vec<String>,
    /// Command passed to the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Working directory of the command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<String>,
    /// Files of environment variables (S3 objects).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment_files: Vec<EnvironmentFile>,
    /// Environment variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<KeyValuePair>,
    /// Environment variables from Secrets Manager or SSM Parameter Store.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    /// Mounts the root file system read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readonly_root_filesystem: Option<bool>,
    /// Volumes mounted into the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mount_points: Vec<MountPoint>,
    /// Where the container's logs go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<LogConfiguration>,
    /// FireLens log router configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firelens_configuration: Option<FirelensConfiguration>,
    /// Runs the container with elevated privileges on the instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    /// User the container runs as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Resource limits of the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ulimits: Vec<Ulimit>,
    /// Linux-specific options of the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_parameters: Option<DaemonLinuxParameters>,
    /// Containers this one waits for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ContainerDependency>,
    /// Seconds to wait for the dependencies before giving up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub start_timeout: Option<i32>,
    /// Seconds before the container is killed when it does not stop by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub stop_timeout: Option<i32>,
    /// Namespaced kernel parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub system_controls: Vec<SystemControl>,
    /// Keeps stdin open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactive: Option<bool>,
    /// Allocates a TTY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pseudo_terminal: Option<bool>,
    /// Restart policy of the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<ContainerRestartPolicy>,
}

/// Linux-specific options of a daemon container (ECS's `DaemonLinuxParameters`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DaemonLinuxParameters {
    /// Linux capabilities added to or dropped from the Docker defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<KernelCapabilities>,
    /// Host devices exposed to the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<Device>,
    /// Runs an init process that forwards signals and reaps processes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_process_enabled: Option<bool>,
    /// tmpfs mounts of the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<Tmpfs>,
}

/// A data volume of a daemon task (ECS's `DaemonVolume`): a host path, or the log files of the instance's other
/// tasks; not both.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DaemonVolume {
    /// Name of the volume, as `mountPoints` refer to it.
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub name: String,
    /// A bind mount of a path on the container instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostVolumeProperties>,
    /// The log files a log driver writes for the other tasks on the instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_driver_volume_configuration: Option<LogDriverVolumeConfiguration>,
}

/// Which log driver's files a log driver volume holds.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogDriverVolumeConfiguration {
    /// The log driver: ECS supports only `json-file`.
    pub driver: String,
}

/// What the operator observed of the daemon task definition family; AWS-side facts live here, never in `spec`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DaemonTaskDefinitionStatus {
    /// The `metadata.generation` last reconciled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The ConfigMap the object's identities were exported to (`spec.exportTo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_to: Option<String>,
    /// With `ecsbridge.dev/read-only`: never set (this kind cannot be read-only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<crate::api::common::Drift>,
    /// `Ready` and `Synced`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `EcsAccount` whose account this object's ECS objects live in, recorded at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The AWS region this object's ECS objects live in, recorded at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Name of the daemon task definition family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Newest revision this resource registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i32>,
    /// ARN of the newest revision: what an `EcsDaemon`'s `daemonTaskDefinitionRef` deploys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_arn: Option<String>,
    /// Revisions of the family that are `ACTIVE`, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub active_revisions: Vec<i32>,
    /// Hash of the spec content of the newest revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_hash: Option<String>,
    /// Hash of a spec ECS refused to register; that spec is not sent again until it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_spec_hash: Option<String>,
}
conditioned_status!(DaemonTaskDefinitionStatus);
