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
    /// Subnet IDs the instances are launched in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnets: Option<Vec<String>>,
    /// Security group IDs of the instances' network interfaces.
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
    /// CPU makers to allow: `intel`, `amd`, `amazon-web-services`, `apple`; any when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_manufacturers: Option<Vec<String>>,
    /// Memory per vCPU in GiB.
    #[serde(
        default,
        rename = "memoryGiBPerVCpu",
        skip_serializing_if = "Option::is_none"
    )]
    pub memory_gib_per_v_cpu: Option<FloatRange>,
    /// Instance types to leave out (wildcards such as `m5.*` allowed); not with `allowedInstanceTypes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_instance_types: Option<Vec<String>>,
    /// The only instance types to choose from (wildcards allowed); not with `excludedInstanceTypes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_instance_types: Option<Vec<String>>,
    /// `current` and/or `previous` instance generations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_generations: Option<Vec<String>>,
    /// Spot price ceiling, as a percentage above the cheapest matching instance type's price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot_max_price_percentage_over_lowest_price: Option<i32>,
    /// On-Demand price ceiling, as a percentage above the cheapest matching instance type's price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_max_price_percentage_over_lowest_price: Option<i32>,
    /// Spot price ceiling, as a percentage of the optimal On-Demand price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_spot_price_as_percentage_of_optimal_on_demand_price: Option<i32>,
    /// `included`, `excluded` or `required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bare_metal: Option<String>,
    /// `included`, `excluded` or `required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burstable_performance: Option<String>,
    /// Only instance types that support hibernation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_hibernate_support: Option<bool>,
    /// Network interfaces per instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_interface_count: Option<IntRange>,
    /// `included`, `excluded` or `required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_storage: Option<String>,
    /// `hdd` and/or `ssd` local storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_storage_types: Option<Vec<String>>,
    /// Total local storage per instance in GB.
    #[serde(
        default,
        rename = "totalLocalStorageGB",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_local_storage_gb: Option<FloatRange>,
    /// Baseline EBS bandwidth per instance in Mbps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_ebs_bandwidth_mbps: Option<IntRange>,
    /// Accelerator kinds to allow: `gpu`, `fpga`, `inference`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator_types: Option<Vec<String>>,
    /// Accelerators per instance; `max: 0` excludes instance types with accelerators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator_count: Option<IntRange>,
    /// Accelerator makers to allow, such as `nvidia`, `amd`, `amazon-web-services`, `xilinx`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator_manufacturers: Option<Vec<String>>,
    /// Accelerator models to allow, such as `a100`, `t4`, `inferentia`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator_names: Option<Vec<String>>,
    /// Total accelerator memory per instance in MiB.
    #[serde(
        default,
        rename = "acceleratorTotalMemoryMiB",
        skip_serializing_if = "Option::is_none"
    )]
    pub accelerator_total_memory_mib: Option<IntRange>,
    /// Network bandwidth per instance in Gbps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_bandwidth_gbps: Option<FloatRange>,
}

/// A whole-number range; an absent bound is open.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct IntRange {
    /// The smallest value allowed; no lower bound when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub min: Option<i32>,
    /// The largest value allowed; no upper bound when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max: Option<i32>,
}

/// A decimal range; an absent bound is open.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct FloatRange {
    /// The smallest value allowed; no lower bound when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The largest value allowed; no upper bound when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}
