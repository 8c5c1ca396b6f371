//! The `EcsService` kind: one ECS service running a task definition on a cluster. This file holds its spec; the
//! shapes it uses are split by topic (`service_network`, `service_deployment`, `service_connect`, `service_status`)
//! and re-exported here.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::autoscaling::AutoScaling;
use super::cluster::CapacityProviderStrategyItem;
use super::common::{DeletionPolicy, LocalRef, Tags};
use super::kubernetes_service::KubernetesService;
use super::service_revision_fields::{GatewayConnector, MonitoringConfiguration};

pub use super::service_connect::*;
pub use super::service_deployment::*;
pub use super::service_network::*;
pub use super::service_status::*;

/// An Amazon ECS service. ECS field names follow the ECS `CreateService` API.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecsbridge.dev",
    doc = "An Amazon ECS service: its task definition, count, network, load balancers, deployment strategy and autoscaling; Ready once ECS finished rolling it out.",
    version = "v1alpha1",
    kind = "EcsService",
    plural = "ecsservices",
    shortname = "ecss",
    category = "ecs",
    namespaced,
    status = "EcsServiceStatus",
    scale(
        spec_replicas_path = ".spec.desiredCount",
        status_replicas_path = ".status.runningCount",
        label_selector_path = ".status.selector"
    ),
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Synced","type":"string","jsonPath":".status.conditions[?(@.type==\"Synced\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    printcolumn = r#"{"name":"Desired","type":"integer","jsonPath":".status.desiredCount"}"#,
    printcolumn = r#"{"name":"Running","type":"integer","jsonPath":".status.runningCount"}"#,
    printcolumn = r#"{"name":"TaskDef","type":"string","jsonPath":".status.taskDefinitionRevision"}"#,
    printcolumn = r#"{"name":"Rollout","type":"string","jsonPath":".status.deployments[?(@.status==\"PRIMARY\")].rolloutState"}"#,
    printcolumn = r#"{"name":"Paused","type":"string","jsonPath":".status.paused.stage"}"#,
    printcolumn = r#"{"name":"Min","type":"integer","priority":1,"jsonPath":".status.autoScaling.minCapacity"}"#,
    printcolumn = r#"{"name":"Max","type":"integer","priority":1,"jsonPath":".status.autoScaling.maxCapacity"}"#,
    printcolumn = r#"{"name":"Strategy","type":"string","priority":1,"jsonPath":".status.strategy"}"#,
    printcolumn = r#"{"name":"Stage","type":"string","priority":1,"jsonPath":".status.serviceDeployment.lifecycleStage"}"#,
    printcolumn = r#"{"name":"Endpoints","type":"integer","priority":1,"jsonPath":".status.kubernetesService.readyEndpoints"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct EcsServiceSpec {
    /// Name of the ECS service. Defaults to `metadata.name`; immutable once created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub service_name: Option<String>,
    /// An `EcsCluster` in this namespace to run the service on. Set exactly one of `clusterRef` and `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_ref: Option<LocalRef>,
    /// Name or ARN of an ECS cluster not managed here. Set exactly one of `clusterRef` and `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// A `TaskDefinition` in this namespace; the service follows its newest revision.
    /// Set exactly one of `taskDefinitionRef` and `taskDefinition`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_ref: Option<LocalRef>,
    /// A task definition not managed here: `family`, `family:revision` or a full ARN.
    /// Set exactly one of `taskDefinitionRef` and `taskDefinition`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// Number of tasks to keep running. Also the replica count of the `scale` subresource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub desired_count: Option<i32>,
    /// `Enforce` (default) keeps the ECS desired count at `desiredCount`; `IgnoreChanges` sets it at
    /// creation only and leaves it to ECS / Application Auto Scaling afterwards.
    #[serde(default)]
    pub desired_count_policy: DesiredCountPolicy,
    /// Application Auto Scaling of the desired count. With it set, `desiredCount` (or `minCapacity` when absent)
    /// is used at creation only, whatever `desiredCountPolicy` says. Not with the annotation
    /// `ecsbridge.dev/external-scaler: "true"` (HPA, KEDA) nor with DAEMON services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_scaling: Option<AutoScaling>,
    /// `EC2`, `FARGATE`, `EXTERNAL` or `MANAGED_INSTANCES`. Mutually exclusive with `capacityProviderStrategy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<LaunchType>,
    /// Capacity provider strategy of the service. Mutually exclusive with `launchType`. Left out: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    /// Fargate platform version (for example `LATEST` or `1.4.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    /// Subnets, security groups and public IP of tasks using the `awsvpc` network mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
    /// Load balancer target groups that the service's containers are registered with. Left out: not managed (ECS keeps
    /// what the service has); `[]` removes them all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancers: Option<Vec<LoadBalancer>>,
    /// Cloud Map service discovery registries of the service. Left out: not managed; `[]` removes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_registries: Option<Vec<ServiceRegistry>>,
    /// How many tasks run during a deployment, the deployment strategy, circuit breaker and alarms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_configuration: Option<DeploymentConfiguration>,
    /// The deployment controller: `ECS` (default), `CODE_DEPLOY` or `EXTERNAL`. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_controller: Option<DeploymentController>,
    /// Task placement constraints (EC2 and external capacity only). Left out: not managed; `[]` removes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_constraints: Option<Vec<PlacementConstraint>>,
    /// Task placement strategy rules (EC2 and external capacity only). Left out: not managed; `[]` removes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_strategy: Option<Vec<PlacementStrategy>>,
    /// Seconds during which failing load balancer or container health checks of new tasks are ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub health_check_grace_period_seconds: Option<i32>,
    /// `REPLICA` (default) or `DAEMON`. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduling_strategy: Option<SchedulingStrategy>,
    /// Whether ECS adds its managed tags (`aws:ecs:*`) to the service's tasks.
    #[serde(
        rename = "enableECSManagedTags",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_ecs_managed_tags: Option<bool>,
    /// Copy tags to tasks from the `TASK_DEFINITION` or the `SERVICE`, or `NONE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagate_tags: Option<PropagateTags>,
    /// Whether `ecs execute-command` is enabled for the service's tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_execute_command: Option<bool>,
    /// Service Connect configuration of the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_connect_configuration: Option<ServiceConnectConfiguration>,
    /// `ENABLED` or `DISABLED`: whether ECS rebalances tasks across Availability Zones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone_rebalancing: Option<AvailabilityZoneRebalancing>,
    /// EBS volumes created for each task at deployment (`volumeConfigurations`, ECS's shape). Left out: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_configurations: Option<Vec<ServiceVolumeConfiguration>>,
    /// VPC Lattice target groups the service's tasks register with. Left out: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_lattice_configurations: Option<Vec<VpcLatticeConfiguration>>,
    /// Resolution of the service's CPU and memory CloudWatch metrics (`monitoring`, ECS's shape). Left out: not
    /// managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<MonitoringConfiguration>,
    /// Ports of the service that ECS gateways route ingress traffic to (`gatewayConnectors`, ECS's shape). Left
    /// out: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_connectors: Option<Vec<GatewayConnector>>,
    /// IAM role ECS uses for the service's load balancers (only for task definitions without `awsvpc`); fixed at
    /// creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// A Kubernetes Service with the service's tasks as its endpoints (see the API document).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_service: Option<KubernetesService>,
    /// Tags for the service; the operator adds its ownership tags next to them.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// AWS region of the ECS objects (one the namespace's `EcsAccount` allows); its first region, or the
    /// operator's, when unset. Create-only: read when the object is created (recorded in `status.region`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Writes the object's AWS identities into a ConfigMap of the namespace, under keys named after the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_to: Option<crate::api::common::ExportTo>,
    /// `Delete` (default) deletes the ECS service with this object; `Retain` leaves it.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

impl EcsServiceSpec {
    /// The capacity provider strategy, empty when left out.
    pub fn capacity_providers(&self) -> &[CapacityProviderStrategyItem] {
        self.capacity_provider_strategy
            .as_deref()
            .unwrap_or_default()
    }

    /// The load balancers, empty when left out.
    pub fn load_balancer_list(&self) -> &[LoadBalancer] {
        self.load_balancers.as_deref().unwrap_or_default()
    }

    /// The service registries, empty when left out.
    pub fn service_registry_list(&self) -> &[ServiceRegistry] {
        self.service_registries.as_deref().unwrap_or_default()
    }

    /// The placement constraints, empty when left out.
    pub fn placement_constraint_list(&self) -> &[PlacementConstraint] {
        self.placement_constraints.as_deref().unwrap_or_default()
    }

    /// The placement strategy rules, empty when left out.
    pub fn placement_strategy_list(&self) -> &[PlacementStrategy] {
        self.placement_strategy.as_deref().unwrap_or_default()
    }
}

/// An EBS volume ECS creates for each task of a deployment, attached under the task definition's volume `name`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceVolumeConfiguration {
    /// The task definition volume configured with `configuredAtLaunch: true`.
    pub name: String,
    /// The volume ECS creates.
    #[serde(
        rename = "managedEBSVolume",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub managed_ebs_volume: Option<ServiceManagedEbsVolumeConfiguration>,
}

/// ECS's `ServiceManagedEBSVolumeConfiguration`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceManagedEbsVolumeConfiguration {
    /// IAM role that lets ECS manage the volumes (the ECS infrastructure role).
    pub role_arn: String,
    /// Whether the volumes are encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// KMS key that encrypts the volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// `gp3` (ECS default), `gp2`, `io1`, `io2`, `st1`, `sc1` or `standard`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_type: Option<String>,
    /// Size of each volume in GiB (required unless `snapshotId` gives it).
    #[serde(rename = "sizeInGiB", default, skip_serializing_if = "Option::is_none")]
    pub size_in_gib: Option<i32>,
    /// EBS snapshot the volumes are created from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
    /// How fast the volume is filled from the snapshot, in MiB/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_initialization_rate: Option<i32>,
    /// Provisioned I/O operations per second (`io1`, `io2`, `gp3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<i32>,
    /// Provisioned throughput in MiB/s (`gp3` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<i32>,
    /// `ext3`, `ext4` or `xfs` (Linux), `NTFS` (Windows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filesystem_type: Option<String>,
}

/// A VPC Lattice target group the service's tasks register with.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VpcLatticeConfiguration {
    /// IAM role ECS uses to register tasks with the target group.
    pub role_arn: String,
    /// ARN of the VPC Lattice target group.
    pub target_group_arn: String,
    /// The task definition port mapping name.
    pub port_name: String,
}

/// Who owns the desired count of the ECS service after creation.
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
pub enum DesiredCountPolicy {
    /// The operator keeps the ECS desired count at `spec.desiredCount`.
    #[default]
    Enforce,
    /// `spec.desiredCount` is used at creation only; ECS or Application Auto Scaling own it afterwards.
    IgnoreChanges,
}

/// Launch types of an ECS service.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum LaunchType {
    #[serde(rename = "EC2")]
    Ec2,
    #[serde(rename = "FARGATE")]
    Fargate,
    #[serde(rename = "EXTERNAL")]
    External,
    #[serde(rename = "MANAGED_INSTANCES")]
    ManagedInstances,
}

/// Scheduling strategies of an ECS service.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum SchedulingStrategy {
    #[serde(rename = "REPLICA")]
    Replica,
    #[serde(rename = "DAEMON")]
    Daemon,
}

/// Where tasks get their tags from.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum PropagateTags {
    #[serde(rename = "TASK_DEFINITION")]
    TaskDefinition,
    #[serde(rename = "SERVICE")]
    Service,
    #[serde(rename = "NONE")]
    None,
}

/// Whether ECS rebalances tasks across Availability Zones.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum AvailabilityZoneRebalancing {
    #[serde(rename = "ENABLED")]
    Enabled,
    #[serde(rename = "DISABLED")]
    Disabled,
}
