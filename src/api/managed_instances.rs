//! The ECS Managed Instances shapes of a `CapacityProvider`: the infrastructure role, the launch template with
//! its network and storage configuration, and the instance requirements (ECS's `ManagedInstancesProvider`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Capacity that ECS launches and manages itself on EC2.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedInstancesProvider {
    /// ARN of the IAM role ECS uses to manage the instances (`arn:aws:iam::ACCOUNT:role/...`).
    pub infrastructure_role_arn: String,
    /// How ECS launches the instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_launch_template: Option<InstanceLaunchTemplate>,
    /// `CAPACITY_PROVIDER` copies the provider's tags to the instances; `NONE` does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagate_tags: Option<PropagateTags>,
    /// When ECS consolidates idle instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infrastructure_optimization: Option<InfrastructureOptimization>,
}

/// Whether the provider's tags reach the instances.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PropagateTags {
    CapacityProvider,
    None,
}

/// Idle instance consolidation.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfrastructureOptimization {
    /// Seconds an idle or underused instance stays before ECS scales it in (-1 turns this off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_in_after: Option<i32>,
}

/// How ECS launches Managed Instances.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstanceLaunchTemplate {
    /// ARN of the instance profile of the instances (`arn:aws:iam::ACCOUNT:instance-profile/...`).
    pub ec2_instance_profile_arn: String,
    /// Subnets and security groups of the instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<ManagedInstancesNetworkConfiguration>,
    /// Root volume of the instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_configuration: Option<ManagedInstancesStorageConfiguration>,
    /// `BASIC` or `DETAILED` CloudWatch monitoring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,
    /// `ON_DEMAND`, `SPOT` or `RESERVED`; ECS cannot change it in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_option_type: Option<CapacityOptionType>,
    /// Whether instance tags are visible in the instance metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_metadata_tags_propagation: Option<bool>,
    /// The instance types ECS may choose from, by attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_requirements: Option<InstanceRequirements>,
}

/// Subnets and security groups of Managed Instances.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedInstancesNetworkConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnets: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_groups: Option<Vec<String>>,
}

/// Root volume of Managed Instances.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct ManagedInstancesStorageConfiguration {
    /// Size in GiB.
    #[serde(
        default,
        rename = "storageSizeGiB",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 1))]
    pub storage_size_gib: Option<i32>,
}

/// CloudWatch monitoring of the instances.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Monitoring {
    Basic,
    Detailed,
}

/// How the instances are bought.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CapacityOptionType {
    OnDemand,
    Spot,
    Reserved,
}

/// Instance types by attribute (EC2 attribute-based instance type selection). Enumerated values are EC2's,
/// such as `intel`, `current`, `included`, `gpu`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstanceRequirements {
    /// vCPUs per instance.
    pub v_cpu_count: IntRange,
    /// Memory per instance in MiB.
    #[serde(rename = "memoryMiB")]
    pub memory_mib: IntRange,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_manufacturers: Option<Vec<String>>,
    #[serde(
        default,
        rename = "memoryGiBPerVCpu",
        skip_serializing_if = "Option::is_none"
    )]
    pub memory_gib_per_v_cpu: Option<FloatRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_instance_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_instance_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_generations: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot_max_price_percentage_over_lowest_price: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_max_price_percentage_over_lowest_price: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_spot_price_as_percentage_of_optimal_on_demand_price: Option<i32>,
    /// `included`, `excluded` or `required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bare_metal: Option<String>,
    /// `included`, `excluded` or `required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burstable_performance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_hibernate_support: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_interface_count: Option<IntRange>,
    /// `included`, `excluded` or `required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_storage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_storage_types: Option<Vec<String>>,
    #[serde(
        default,
        rename = "totalLocalStorageGB",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_local_storage_gb: Option<FloatRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_ebs_bandwidth_mbps: Option<IntRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator_count: Option<IntRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator_manufacturers: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator_names: Option<Vec<String>>,
    #[serde(
        default,
        rename = "acceleratorTotalMemoryMiB",
        skip_serializing_if = "Option::is_none"
    )]
    pub accelerator_total_memory_mib: Option<IntRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_bandwidth_gbps: Option<FloatRange>,
}

/// A whole-number range; an absent bound is open.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct IntRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub min: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max: Option<i32>,
}

/// A decimal range; an absent bound is open.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct FloatRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}
