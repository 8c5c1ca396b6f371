//! The `CapacityProvider` kind: one ECS capacity provider, on an Auto Scaling group or on ECS Managed Instances.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Condition, DeletionPolicy, Tags, conditioned_status};
use super::managed_instances::ManagedInstancesProvider;

/// An Amazon ECS capacity provider. Field names follow the ECS `CreateCapacityProvider` API.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecsbridge.dev",
    doc = "An ECS capacity provider: an Auto Scaling group with managed scaling, or ECS Managed Instances.",
    version = "v1alpha1",
    kind = "CapacityProvider",
    plural = "capacityproviders",
    shortname = "ecscp",
    category = "ecs",
    namespaced,
    status = "CapacityProviderStatus",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Synced","type":"string","jsonPath":".status.conditions[?(@.type==\"Synced\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    printcolumn = r#"{"name":"Type","type":"string","jsonPath":".status.type"}"#,
    printcolumn = r#"{"name":"Target","type":"integer","jsonPath":".status.targetCapacity"}"#,
    printcolumn = r#"{"name":"ASG","type":"string","priority":1,"jsonPath":".status.autoScalingGroupName"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct CapacityProviderSpec {
    /// Name of the ECS capacity provider. Defaults to `metadata.name`; immutable once created. ECS refuses names
    /// that start with `aws`, `ecs` or `fargate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub name: Option<String>,
    /// Capacity from an EC2 Auto Scaling group. Set exactly one of `autoScalingGroupProvider` and
    /// `managedInstancesProvider`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_scaling_group_provider: Option<AutoScalingGroupProvider>,
    /// Capacity from ECS Managed Instances. Set exactly one of `autoScalingGroupProvider` and
    /// `managedInstancesProvider`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_instances_provider: Option<ManagedInstancesProvider>,
    /// The ECS cluster (name) a Managed Instances provider belongs to: ECS scopes those to one cluster. Required
    /// with `managedInstancesProvider`, not allowed with `autoScalingGroupProvider`; immutable once created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Tags for the capacity provider; the operator adds its ownership tags next to them.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// AWS region of the ECS objects (one the namespace's `EcsAccount` allows); its first region, or the
    /// operator's, when unset. Create-only: read when the object is created (recorded in `status.region`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Writes the object's AWS identities into a ConfigMap of the namespace, under keys named after the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_to: Option<crate::api::common::ExportTo>,
    /// `Delete` (default) deletes the ECS capacity provider with this object; `Retain` leaves it.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

/// An Auto Scaling group as capacity, and how ECS manages it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoScalingGroupProvider {
    /// The Auto Scaling group: its ARN
    /// (`arn:aws:autoscaling:REGION:ACCOUNT:autoScalingGroup:UUID:autoScalingGroupName/NAME`) or its name, as
    /// ECS's `CreateCapacityProvider` takes either. ECS cannot move a provider to another group; the name and
    /// the ARN of the same group are the same group.
    pub auto_scaling_group_arn: String,
    /// Managed scaling: ECS scales the group to keep `targetCapacity` percent of it in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_scaling: Option<ManagedScaling>,
    /// Whether ECS protects instances that run tasks from scale-in (needs managed scaling and the group's
    /// instance scale-in protection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_termination_protection: Option<Toggle>,
    /// Whether ECS drains instances before the group terminates them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_draining: Option<Toggle>,
}

/// Managed scaling of an Auto Scaling group provider.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedScaling {
    /// `ENABLED` or `DISABLED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Toggle>,
    /// Percent of the group's capacity to keep in use (1-100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub target_capacity: Option<i32>,
    /// Fewest instances to add or remove at once (1-10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10000))]
    pub minimum_scaling_step_size: Option<i32>,
    /// Most instances to add or remove at once (1-10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10000))]
    pub maximum_scaling_step_size: Option<i32>,
    /// Seconds a new instance takes before it counts (0-10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 10000))]
    pub instance_warmup_period: Option<i32>,
}

/// ECS's `ENABLED` / `DISABLED` switches.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Toggle {
    Enabled,
    Disabled,
}

/// What the operator observed of the capacity provider; AWS-side facts live here, never in `spec`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapacityProviderStatus {
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
    /// `Ready`, `Synced` and, while an update failed in ECS, `Degraded`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `EcsAccount` whose account this object's ECS objects live in (`(operator)`: the operator's own),
    /// recorded at creation; never changed silently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The AWS region this object's ECS objects live in, recorded at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// ARN of the ECS capacity provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Name of the ECS capacity provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The cluster a Managed Instances provider belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `EC2_AUTOSCALING` or `MANAGED_INSTANCES`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// ECS status (`ACTIVE`, `INACTIVE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs_status: Option<String>,
    /// ECS's state of the last create, update or delete (`UPDATE_COMPLETE`, `UPDATE_FAILED`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_status: Option<String>,
    /// ECS's reason for `updateStatus`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_status_reason: Option<String>,
    /// Name of the Auto Scaling group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_scaling_group_name: Option<String>,
    /// Target capacity of managed scaling, as ECS reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_capacity: Option<i32>,
    /// The tag keys the operator applied to the ECS capacity provider: the only ones it ever removes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied_tag_keys: Vec<String>,
}
conditioned_status!(CapacityProviderStatus);
