//! The `EcsCluster` kind: one ECS cluster.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Condition, DeletionPolicy, LocalRef, Tags, conditioned_status};

/// An Amazon ECS cluster. Field names follow the ECS `CreateCluster` API.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecsbridge.dev",
    doc = "An Amazon ECS cluster: its settings, Container Insights, execute-command logging and capacity providers, kept as the spec says.",
    version = "v1alpha1",
    kind = "EcsCluster",
    plural = "ecsclusters",
    shortname = "ecsc",
    category = "ecs",
    namespaced,
    status = "EcsClusterStatus",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Synced","type":"string","jsonPath":".status.conditions[?(@.type==\"Synced\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    printcolumn = r#"{"name":"ECS-Status","type":"string","jsonPath":".status.ecsStatus"}"#,
    printcolumn = r#"{"name":"Services","type":"integer","jsonPath":".status.activeServicesCount"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct EcsClusterSpec {
    /// Name of the ECS cluster. Defaults to `metadata.name`; immutable once created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub cluster_name: Option<String>,
    /// Cluster settings, such as `containerInsights`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<ClusterSetting>,
    /// Execute-command and managed-storage configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<ClusterConfiguration>,
    /// Capacity providers associated with the cluster (for example `FARGATE`, `FARGATE_SPOT`, or providers not
    /// managed here). When set, the whole list is managed: providers associated outside Kubernetes that are not
    /// listed here (nor referenced in `capacityProviderRefs`) are disassociated. Left out, the cluster keeps the
    /// associations it did not make.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_providers: Option<Vec<String>>,
    /// `CapacityProvider` objects of this namespace to associate, next to `capacityProviders`; the cluster waits
    /// until they exist in ECS (a Managed Instances provider of this cluster is created after the cluster and
    /// joins it by itself). Only what these references associated (recorded in
    /// `status.associatedCapacityProviders`) is disassociated when a reference goes; FARGATE and other teams'
    /// providers stay. `defaultCapacityProviderStrategy` may name them by their `metadata.name` or by their ECS
    /// name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_refs: Vec<LocalRef>,
    /// Default capacity provider strategy for services and tasks that set none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    /// Default Service Connect namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_connect_defaults: Option<ClusterServiceConnectDefaults>,
    /// Tags for the cluster; the operator adds its ownership tags next to them.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// AWS region of the ECS objects (one the namespace's `EcsAccount` allows); its first region, or the
    /// operator's, when unset. Create-only: read when the object is created (recorded in `status.region`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Writes the object's AWS identities into a ConfigMap of the namespace, under keys named after the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_to: Option<crate::api::common::ExportTo>,
    /// `Delete` (default) deletes the ECS cluster with this object; `Retain` leaves it.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

/// A cluster setting.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSetting {
    /// The setting name; ECS knows `containerInsights`.
    pub name: ClusterSettingName,
    /// `enabled`, `disabled` or `enhanced` for `containerInsights`.
    pub value: String,
}

/// Names of cluster settings.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema,
)]
pub enum ClusterSettingName {
    #[serde(rename = "containerInsights")]
    ContainerInsights,
}

/// The cluster's execute-command and managed-storage configuration.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execute_command_configuration: Option<ExecuteCommandConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_storage_configuration: Option<ManagedStorageConfiguration>,
}

/// How `ecs execute-command` sessions are encrypted and logged.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteCommandConfiguration {
    /// KMS key that encrypts the data between the client and the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// `NONE`, `DEFAULT` or `OVERRIDE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<ExecuteCommandLogging>,
    /// Required when `logging` is `OVERRIDE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<ExecuteCommandLogConfiguration>,
}

/// Logging modes of execute-command sessions.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecuteCommandLogging {
    None,
    Default,
    Override,
}

/// Where execute-command session logs go when `logging` is `OVERRIDE`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteCommandLogConfiguration {
    /// CloudWatch Logs group the session logs go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_watch_log_group_name: Option<String>,
    /// Whether that log group must be encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_watch_encryption_enabled: Option<bool>,
    /// S3 bucket the session logs go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_bucket_name: Option<String>,
    /// Whether the S3 bucket must be encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_encryption_enabled: Option<bool>,
    /// Folder (key prefix) in the S3 bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_key_prefix: Option<String>,
}

/// KMS keys for managed storage.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedStorageConfiguration {
    /// KMS key for the cluster's managed storage (EBS volumes ECS attaches to tasks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// KMS key for the ephemeral storage of the cluster's Fargate tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fargate_ephemeral_storage_kms_key_id: Option<String>,
}

/// One entry of a capacity provider strategy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapacityProviderStrategyItem {
    /// Name of the capacity provider.
    #[schemars(length(min = 1))]
    pub capacity_provider: String,
    /// Relative share of tasks (0-1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1000))]
    pub weight: Option<i32>,
    /// Tasks placed on this provider first (0-100000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100000))]
    pub base: Option<i32>,
}

/// The default Service Connect namespace of the cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterServiceConnectDefaults {
    /// Cloud Map namespace name or ARN.
    pub namespace: String,
}

/// What the operator observed of the cluster; AWS-side facts live here, never in `spec`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EcsClusterStatus {
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
    /// `Ready` (ECS shows the cluster ACTIVE as the spec says) and `Synced` (the last reconcile succeeded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `EcsAccount` whose account this object's ECS objects live in (`(operator)`: the operator's own),
    /// recorded at creation; never changed silently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The AWS region this object's ECS objects live in, recorded at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// ARN of the ECS cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Name of the ECS cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// ECS status of the cluster (`ACTIVE`, `PROVISIONING`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs_status: Option<String>,
    /// Services ECS counts as active on the cluster. (Task and instance counts change all the time and are not
    /// kept in status.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_services_count: Option<i32>,
    /// When this object took over an ECS cluster it had not created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted_at: Option<String>,
    /// The tag keys the operator applied to the ECS cluster: the only ones it ever removes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied_tag_keys: Vec<String>,
    /// ECS names of the capacity providers `spec.capacityProviderRefs` associated with the cluster: the only ones
    /// it disassociates when their reference goes, and releases when the cluster is deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub associated_capacity_providers: Vec<String>,
}
conditioned_status!(EcsClusterStatus);
