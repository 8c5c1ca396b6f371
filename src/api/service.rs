//! The `EcsService` kind: one ECS service running a task definition on a cluster.

use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::autoscaling::{AutoScaling, AutoScalingStatus};
use super::cluster::CapacityProviderStrategyItem;
use super::common::{Condition, DeletionPolicy, LocalRef, Tags, conditioned_status};
use super::kubernetes_service::{KubernetesService, KubernetesServiceStatus};
use super::service_pause::PausedHook;
use super::service_revision_fields::{
    GatewayConnector, MonitoringConfiguration, SentRevisionFields,
};

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

/// The network configuration of the service's tasks.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkConfiguration {
    /// Subnets, security groups and public IP assignment for the `awsvpc` network mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awsvpc_configuration: Option<AwsVpcConfiguration>,
}

/// The `awsvpc` network configuration of the service's tasks.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AwsVpcConfiguration {
    /// IDs of the subnets the tasks are placed in (at most 16).
    #[schemars(length(min = 1, max = 16))]
    pub subnets: Vec<String>,
    /// IDs of the security groups of the tasks (at most 5); defaults to the VPC's default security group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 5))]
    pub security_groups: Vec<String>,
    /// `ENABLED` or `DISABLED` (default): whether the tasks' ENIs get a public IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign_public_ip: Option<AssignPublicIp>,
}

/// Whether a task's ENI receives a public IP address.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum AssignPublicIp {
    #[serde(rename = "ENABLED")]
    Enabled,
    #[serde(rename = "DISABLED")]
    Disabled,
}

/// A load balancer target group (or Classic Load Balancer) that a container is registered with.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancer {
    /// ARN of the Elastic Load Balancing target group (ALB / NLB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<String>,
    /// Name of a Classic Load Balancer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_name: Option<String>,
    /// Name of the container (as in the task definition) to register.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// Port of the container to register.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub container_port: Option<i32>,
    /// Alternate target group and listener rules for blue/green, linear and canary deployments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced_configuration: Option<AdvancedConfiguration>,
}

/// Traffic-shifting resources of a load balancer for ECS-native blue/green, linear and canary deployments.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdvancedConfiguration {
    /// ARN of the alternate target group that receives the new revision's tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_target_group_arn: Option<String>,
    /// ARN of the listener rule that routes production traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_listener_rule: Option<String>,
    /// ARN of the listener rule that routes test traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_listener_rule: Option<String>,
    /// ARN of the IAM role that lets ECS modify the load balancer during deployments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

/// A Cloud Map service that the service's tasks are registered with.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRegistry {
    /// ARN of the Cloud Map service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_arn: Option<String>,
    /// Port for `SRV` records when the network mode is `awsvpc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub port: Option<i32>,
    /// Container name for `SRV` records with the `bridge` or `host` network mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// Container port for `SRV` records with the `bridge` or `host` network mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub container_port: Option<i32>,
}

/// Deployment parameters: task counts during a deployment, strategy, circuit breaker and alarms.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentConfiguration {
    /// Fails (and optionally rolls back) a deployment that cannot reach a steady state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_circuit_breaker: Option<DeploymentCircuitBreaker>,
    /// Upper limit of running plus pending tasks during a deployment, in percent of `desiredCount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub maximum_percent: Option<i32>,
    /// Lower limit of running healthy tasks during a deployment, in percent of `desiredCount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub minimum_healthy_percent: Option<i32>,
    /// CloudWatch alarms that fail (and optionally roll back) a deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarms: Option<DeploymentAlarms>,
    /// `ROLLING` (default), `BLUE_GREEN`, `LINEAR` or `CANARY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<DeploymentStrategy>,
    /// Minutes both revisions run after production traffic has shifted; required with `BLUE_GREEN` (the API
    /// reference gives no bounds: ECS judges the value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bake_time_in_minutes: Option<i32>,
    /// Hooks that run a Lambda function or pause the deployment at given lifecycle stages. Left out: the hooks
    /// ECS has stay; `[]` removes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_hooks: Option<Vec<DeploymentLifecycleHook>>,
    /// Traffic steps of a `LINEAR` deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear_configuration: Option<LinearConfiguration>,
    /// Traffic steps of a `CANARY` deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_configuration: Option<CanaryConfiguration>,
    /// When a `ROLLING` deployment counts as successful before it fully stabilizes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_success_criteria: Option<DeploymentEarlySuccessCriteria>,
}

/// The deployment circuit breaker (rolling `ECS` deployments only).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentCircuitBreaker {
    /// Whether the circuit breaker is used.
    pub enable: bool,
    /// Whether a failed deployment rolls back to the last completed one.
    pub rollback: bool,
    /// Whether a task reaching a healthy state resets the failure count (ECS default: `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_on_healthy_task: Option<bool>,
    /// How many task failures are tolerated before the circuit breaker triggers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_configuration: Option<ThresholdConfiguration>,
}

/// The failure threshold of the deployment circuit breaker (ECS default: `BOUNDED_PERCENT`, 50).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThresholdConfiguration {
    /// `BOUNDED_PERCENT`, `UNBOUNDED_PERCENT` (both multiplied by the desired count) or `COUNT`.
    #[serde(rename = "type")]
    pub type_: ThresholdType,
    /// The percentage or count of tolerated task failures.
    #[schemars(range(min = 0))]
    pub value: i32,
}

/// How the circuit breaker threshold `value` is interpreted.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum ThresholdType {
    #[serde(rename = "BOUNDED_PERCENT")]
    BoundedPercent,
    #[serde(rename = "UNBOUNDED_PERCENT")]
    UnboundedPercent,
    #[serde(rename = "COUNT")]
    Count,
}

/// CloudWatch alarms monitored during a deployment.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentAlarms {
    /// Names of the CloudWatch alarms.
    pub alarm_names: Vec<String>,
    /// Whether an alarm in `ALARM` state fails the deployment.
    pub enable: bool,
    /// Whether a failed deployment rolls back to the last completed one.
    pub rollback: bool,
}

/// Deployment strategies of the `ECS` deployment controller.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum DeploymentStrategy {
    #[serde(rename = "ROLLING")]
    Rolling,
    #[serde(rename = "BLUE_GREEN")]
    BlueGreen,
    #[serde(rename = "LINEAR")]
    Linear,
    #[serde(rename = "CANARY")]
    Canary,
}

/// A deployment lifecycle hook: a Lambda function or a pause at given stages of a deployment.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentLifecycleHook {
    /// `AWS_LAMBDA` (default) or `PAUSE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<DeploymentLifecycleHookTargetType>,
    /// ARN of the Lambda function to invoke.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook_target_arn: Option<String>,
    /// ARN of the IAM role that lets ECS invoke the hook target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The deployment stages at which the hook runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_stages: Vec<DeploymentLifecycleHookStage>,
    /// How long the hook may run and what happens when it times out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_configuration: Option<DeploymentLifecycleHookTimeoutConfiguration>,
}

/// Targets of a deployment lifecycle hook.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum DeploymentLifecycleHookTargetType {
    #[serde(rename = "AWS_LAMBDA")]
    AwsLambda,
    #[serde(rename = "PAUSE")]
    Pause,
}

/// Stages of a deployment at which a lifecycle hook can run.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum DeploymentLifecycleHookStage {
    #[serde(rename = "RECONCILE_SERVICE")]
    ReconcileService,
    #[serde(rename = "PRE_SCALE_UP")]
    PreScaleUp,
    #[serde(rename = "POST_SCALE_UP")]
    PostScaleUp,
    #[serde(rename = "TEST_TRAFFIC_SHIFT")]
    TestTrafficShift,
    #[serde(rename = "POST_TEST_TRAFFIC_SHIFT")]
    PostTestTrafficShift,
    #[serde(rename = "PRE_PRODUCTION_TRAFFIC_SHIFT")]
    PreProductionTrafficShift,
    #[serde(rename = "PRODUCTION_TRAFFIC_SHIFT")]
    ProductionTrafficShift,
    #[serde(rename = "POST_PRODUCTION_TRAFFIC_SHIFT")]
    PostProductionTrafficShift,
}

/// Timeout of a deployment lifecycle hook.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentLifecycleHookTimeoutConfiguration {
    /// Minutes ECS waits for the hook before its `action`: 1-20160 (ECS default 1440).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 20160))]
    pub timeout_in_minutes: Option<i32>,
    /// `CONTINUE` or `ROLLBACK` the deployment when the hook times out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<DeploymentLifecycleHookAction>,
}

/// What happens when a lifecycle hook times out.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum DeploymentLifecycleHookAction {
    #[serde(rename = "CONTINUE")]
    Continue,
    #[serde(rename = "ROLLBACK")]
    Rollback,
}

/// Traffic steps of a `LINEAR` deployment.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinearConfiguration {
    /// Percent of production traffic shifted per step: multiples of 0.1 from 3.0 to 100.0 (ECS default 10.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 3.0, max = 100.0))]
    pub step_percent: Option<f64>,
    /// Minutes to wait between steps, 0-1440 (ECS default 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1440))]
    pub step_bake_time_in_minutes: Option<i32>,
}

/// Traffic steps of a `CANARY` deployment.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CanaryConfiguration {
    /// Percent of production traffic shifted in the canary phase: multiples of 0.1 from 0.1 to 100.0 (ECS default 5.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.1, max = 100.0))]
    pub canary_percent: Option<f64>,
    /// Minutes to wait before shifting the remaining traffic, 0-1440.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1440))]
    pub canary_bake_time_in_minutes: Option<i32>,
}

/// When a rolling deployment counts as successful before it fully stabilizes.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentEarlySuccessCriteria {
    /// Whether the early success criteria are used.
    pub enable: bool,
    /// Percent of `desiredCount` (0-100) that must be healthy in the new revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub healthy_percent: Option<i32>,
    /// `BLOCKING` removes the previous tasks before success; `DEFERRED` removes them afterwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_service_revision_cleanup: Option<ServiceRevisionCleanup>,
}

/// When the previous revision's tasks are removed relative to deployment success.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum ServiceRevisionCleanup {
    #[serde(rename = "BLOCKING")]
    Blocking,
    #[serde(rename = "DEFERRED")]
    Deferred,
}

/// The deployment controller of the service.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentController {
    /// `ECS`, `CODE_DEPLOY` or `EXTERNAL`.
    #[serde(rename = "type")]
    pub type_: DeploymentControllerType,
}

/// Deployment controller types.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum DeploymentControllerType {
    #[serde(rename = "ECS")]
    Ecs,
    #[serde(rename = "CODE_DEPLOY")]
    CodeDeploy,
    #[serde(rename = "EXTERNAL")]
    External,
}

/// A task placement constraint.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlacementConstraint {
    /// `distinctInstance` or `memberOf`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<PlacementConstraintType>,
    /// Cluster query language expression (for `memberOf`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// Task placement constraint types.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum PlacementConstraintType {
    #[serde(rename = "distinctInstance")]
    DistinctInstance,
    #[serde(rename = "memberOf")]
    MemberOf,
}

/// A task placement strategy rule.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlacementStrategy {
    /// `random`, `spread` or `binpack`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<PlacementStrategyType>,
    /// Field the strategy applies to (for example `attribute:ecs.availability-zone`, `memory`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Task placement strategy types.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum PlacementStrategyType {
    #[serde(rename = "random")]
    Random,
    #[serde(rename = "spread")]
    Spread,
    #[serde(rename = "binpack")]
    Binpack,
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

/// The Service Connect configuration of a service.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectConfiguration {
    /// Whether Service Connect is used by this service.
    pub enabled: bool,
    /// Cloud Map namespace name or ARN; defaults to the cluster's Service Connect namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Endpoints this service exposes to other Service Connect services.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceConnectService>,
    /// Log configuration of the Service Connect proxy container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<LogConfiguration>,
    /// Access logging of the Service Connect proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_log_configuration: Option<ServiceConnectAccessLogConfiguration>,
    /// Settings of the Service Connect proxy container; each entry sets exactly one member.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub container_configurations: Vec<ServiceConnectContainerConfiguration>,
}

/// An endpoint that a service exposes through Service Connect.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectService {
    /// `name` of a port mapping in the task definition.
    #[schemars(length(min = 1))]
    pub port_name: String,
    /// Name of the Cloud Map service; defaults to `portName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery_name: Option<String>,
    /// DNS names and ports that clients use to reach this endpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_aliases: Vec<ServiceConnectClientAlias>,
    /// Port the proxy listens on, instead of the port mapping's container port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub ingress_port_override: Option<i32>,
    /// Idle and per-request timeouts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<TimeoutConfiguration>,
    /// TLS between Service Connect proxies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ServiceConnectTlsConfiguration>,
}

/// A DNS name and port under which clients reach a Service Connect endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectClientAlias {
    /// Listening port.
    #[schemars(range(min = 0, max = 65535))]
    pub port: i32,
    /// DNS name; defaults to `discoveryName.namespace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    /// Rules that route test traffic to the new revision during blue/green deployments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_traffic_rules: Option<ServiceConnectTestTrafficRules>,
}

/// Test traffic routing rules of a Service Connect client alias.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTestTrafficRules {
    /// HTTP header that marks test traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<ServiceConnectTestTrafficHeaderRules>,
}

/// An HTTP header rule for test traffic.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTestTrafficHeaderRules {
    /// Header name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// How the header value is matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<ServiceConnectTestTrafficHeaderMatchRules>,
}

/// How a test traffic header value is matched.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTestTrafficHeaderMatchRules {
    /// The exact header value.
    pub exact: String,
}

/// Timeouts of a Service Connect endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimeoutConfiguration {
    /// Seconds a connection may stay idle (0 disables the timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub idle_timeout_seconds: Option<i32>,
    /// Seconds the upstream has to respond with a complete response (0 disables the timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub per_request_timeout_seconds: Option<i32>,
}

/// TLS configuration of a Service Connect endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTlsConfiguration {
    /// The AWS Private CA that issues the certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_certificate_authority: Option<ServiceConnectTlsCertificateAuthority>,
    /// KMS key (ID, alias or ARN) used to encrypt the private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<String>,
    /// ARN of the IAM role that ECS uses for the certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

/// The certificate authority of Service Connect TLS.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTlsCertificateAuthority {
    /// ARN of the AWS Private CA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_pca_authority_arn: Option<String>,
}

/// A container log configuration (here: of the Service Connect proxy).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogConfiguration {
    /// Log driver: `awslogs`, `awsfirelens`, `splunk`, `fluentd`, `gelf`, `json-file`, `journald` or `syslog`.
    #[schemars(length(min = 1))]
    pub log_driver: String,
    /// Options passed to the log driver.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
    /// Secrets passed to the log driver.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_options: Vec<Secret>,
}

/// A secret from Secrets Manager or SSM Parameter Store.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    /// Name of the option the secret is passed as.
    pub name: String,
    /// ARN of the Secrets Manager secret or SSM parameter (or the parameter name in the same Region).
    pub value_from: String,
}

/// Access logging of the Service Connect proxy.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectAccessLogConfiguration {
    /// `TEXT` or `JSON`.
    pub format: ServiceConnectAccessLoggingFormat,
    /// `ENABLED` or `DISABLED`: whether query parameters appear in the logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_query_parameters: Option<ServiceConnectIncludeQueryParameters>,
}

/// Formats of Service Connect access logs.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum ServiceConnectAccessLoggingFormat {
    #[serde(rename = "TEXT")]
    Text,
    #[serde(rename = "JSON")]
    Json,
}

/// Whether query parameters are included in Service Connect access logs.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum ServiceConnectIncludeQueryParameters {
    #[serde(rename = "ENABLED")]
    Enabled,
    #[serde(rename = "DISABLED")]
    Disabled,
}

/// One setting of the Service Connect proxy container (an ECS union: set exactly one member).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectContainerConfiguration {
    /// `info` (default) or `debug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<ServiceConnectContainerLogLevel>,
}

/// Log levels of the Service Connect proxy container.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum ServiceConnectContainerLogLevel {
    #[serde(rename = "info")]
    Info,
    #[serde(rename = "debug")]
    Debug,
}

/// What the operator observed of the service; AWS-side facts live here, never in `spec`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EcsServiceStatus {
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
    /// ARN of the ECS service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Name of the ECS service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// ARN of the cluster the service runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_arn: Option<String>,
    /// ARN of the task definition the `PRIMARY` deployment runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// `family:revision` of the task definition the `PRIMARY` deployment runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_revision: Option<String>,
    /// Desired task count reported by ECS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<i32>,
    /// Tasks in the `RUNNING` state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_count: Option<i32>,
    /// Tasks in the `PENDING` state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_count: Option<i32>,
    /// The service's current deployments (`PRIMARY`, `ACTIVE`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deployments: Vec<ServiceDeploymentStatus>,
    /// The most recent service events, newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<ServiceEventStatus>,
    /// The last `ecsbridge.dev/restartedAt` annotation value that triggered a new deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restarted_at: Option<String>,
    /// The last `ecsbridge.dev/rollback` annotation value acted on (a StopServiceDeployment with ROLLBACK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<String>,
    /// The last `ecsbridge.dev/continue` annotation value acted on (a ContinueServiceDeployment, or a Warning
    /// event when nothing was paused): a value is acted on once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continued: Option<String>,
    /// What ecs-bridge last sent of `monitoring` and `gatewayConnectors`, which DescribeServices does not report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_revision_fields: Option<SentRevisionFields>,
    /// The service deployment a PAUSE lifecycle hook holds: stage, hook and when ECS takes the time-out action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<PausedHook>,
    /// The deployment strategy ECS reports for the service (`ROLLING`, `BLUE_GREEN`, `LINEAR` or `CANARY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// The newest service deployment of a BLUE_GREEN, LINEAR or CANARY service, as ECS describes it; read only
    /// while a deployment is in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_deployment: Option<ServiceDeploymentTruth>,
    /// ID of the newest ECS service event already seen (and emitted as a Kubernetes event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_event_id: Option<String>,
    /// The deployment the operator started last and what became of it. A deployment that failed is not started
    /// again for the same desired state: only a change of the spec, of the task definition revision or of
    /// `ecsbridge.dev/restartedAt` starts another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_rollout: Option<RolloutRecord>,
    /// Label selector naming this service (`ecsbridge.dev/service=<name>`), for the scale subresource (HPA, KEDA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// The Application Auto Scaling target the operator registered for `spec.autoScaling`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_scaling: Option<AutoScalingStatus>,
    /// CreateService attempts: part of the idempotency token, so a service deleted outside Kubernetes can be
    /// created again with a new token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_attempt: Option<i32>,
    /// When this object took over an ECS service it had not created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted_at: Option<String>,
    /// The tag keys the operator applied to the ECS service: the only ones it ever removes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied_tag_keys: Vec<String>,
    /// The Kubernetes Service of `spec.kubernetesService` and its endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_service: Option<KubernetesServiceStatus>,
}
conditioned_status!(EcsServiceStatus);

/// A deployment the operator started, and its outcome.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutRecord {
    /// Digest of the desired state the deployment was started for (spec without the count, revision, restart).
    pub desired: String,
    /// The task definition deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// The PRIMARY deployment before the update: the deployment started is the first PRIMARY after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_deployment: Option<String>,
    /// ID of the deployment started, once ECS shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    /// The service's current service deployment before the update: never the one started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_service_deployment: Option<String>,
    /// ARN of the service deployment started, once ECS names it as the service's current one: only its
    /// rollback fails this record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_deployment: Option<String>,
    /// `InProgress`, `Completed` or `Failed`.
    pub outcome: RolloutOutcome,
    /// ECS's reason for a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What became of a deployment the operator started.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum RolloutOutcome {
    #[default]
    InProgress,
    Completed,
    Failed,
}

/// One deployment of the service as reported by ECS.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDeploymentStatus {
    /// Deployment ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `PRIMARY`, `ACTIVE` or `INACTIVE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// ARN of the task definition this deployment runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_state: Option<String>,
    /// Why the deployment is in its rollout state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_state_reason: Option<String>,
    /// Desired task count of this deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<i32>,
    /// Running tasks of this deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_count: Option<i32>,
    /// Pending tasks of this deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_count: Option<i32>,
    /// Tasks of this deployment that failed to start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_tasks: Option<i32>,
    /// When the deployment was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// When the deployment was last updated (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// A service deployment of a BLUE_GREEN, LINEAR or CANARY service (ECS's `ServiceDeployment`, in brief).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDeploymentTruth {
    /// ARN of the service deployment.
    pub arn: String,
    /// `PENDING`, `IN_PROGRESS`, `SUCCESSFUL`, `STOPPED`, `STOP_REQUESTED`, `ROLLBACK_REQUESTED`,
    /// `ROLLBACK_IN_PROGRESS`, `ROLLBACK_SUCCESSFUL` or `ROLLBACK_FAILED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Why the service deployment is in its status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// The lifecycle stage: `RECONCILE_SERVICE`, `PRE_SCALE_UP`, `SCALE_UP`, `POST_SCALE_UP`, `TEST_TRAFFIC_SHIFT`,
    /// `POST_TEST_TRAFFIC_SHIFT`, `PRODUCTION_TRAFFIC_SHIFT`, `POST_PRODUCTION_TRAFFIC_SHIFT`, `BAKE_TIME` or
    /// `CLEAN_UP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_stage: Option<String>,
    /// Percent of production traffic ECS routes to the new service revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_traffic_weight: Option<f64>,
    /// Percent of test traffic ECS routes to the new service revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_traffic_weight: Option<f64>,
    /// The lifecycle hooks run so far and their outcome.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<LifecycleHookOutcome>,
    /// Why ECS rolled the deployment back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_reason: Option<String>,
}

impl ServiceDeploymentTruth {
    /// Whether the service deployment has not ended yet (ECS's pending and ongoing statuses).
    pub fn ongoing(&self) -> bool {
        matches!(
            self.status.as_deref(),
            None | Some(
                "PENDING"
                    | "IN_PROGRESS"
                    | "STOP_REQUESTED"
                    | "ROLLBACK_REQUESTED"
                    | "ROLLBACK_IN_PROGRESS"
            )
        )
    }

    /// Whether ECS rolls or rolled the deployment back.
    pub fn rolled_back(&self) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| s.starts_with("ROLLBACK_"))
    }
}

/// A lifecycle hook of a service deployment and its outcome.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleHookOutcome {
    /// ID of the hook in this service deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook_id: Option<String>,
    /// `AWS_LAMBDA` or `PAUSE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    /// ARN of the hook target (a Lambda function; none for a PAUSE hook).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_arn: Option<String>,
    /// `AWAITING_ACTION`, `IN_PROGRESS`, `SUCCEEDED`, `FAILED` or `TIMED_OUT` (`CONTINUE_REQUESTED` after
    /// ecs-bridge continued a paused hook, until ECS is read again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When ECS takes the time-out action if the hook has not completed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// `CONTINUE` or `ROLLBACK`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_action: Option<String>,
}

/// One ECS service event.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEventStatus {
    /// Event ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// When the event happened (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The event message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
