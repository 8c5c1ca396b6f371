//! A service as ECS reports it (`DescribeServices`, and the answers of its writes), in the shape of our API types,
//! with its deployments, task sets and newest events.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::api::Tags;
use crate::api::cluster::CapacityProviderStrategyItem;
use crate::api::service::{
    AvailabilityZoneRebalancing, DeploymentConfiguration, DeploymentController, LaunchType,
    LoadBalancer, NetworkConfiguration, PlacementConstraint, PlacementStrategy, PropagateTags,
    SchedulingStrategy, ServiceConnectConfiguration, ServiceRegistry, ServiceVolumeConfiguration,
    VpcLatticeConfiguration,
};

/// A service as ECS reports it, in the shape of our API types (serialized: its settable fields, to compare with
/// a spec).
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ObservedService {
    pub service_arn: String,
    pub service_name: String,
    pub cluster_arn: String,
    /// `ACTIVE`, `DRAINING` (being deleted) or `INACTIVE` (deleted).
    pub status: String,
    pub desired_count: i32,
    pub running_count: i32,
    pub pending_count: i32,
    /// ARN of the task definition of the newest deployment.
    pub task_definition: Option<String>,
    pub launch_type: Option<LaunchType>,
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    pub platform_version: Option<String>,
    pub network_configuration: Option<NetworkConfiguration>,
    pub load_balancers: Vec<LoadBalancer>,
    pub service_registries: Vec<ServiceRegistry>,
    pub deployment_configuration: Option<DeploymentConfiguration>,
    pub deployment_controller: Option<DeploymentController>,
    pub placement_constraints: Vec<PlacementConstraint>,
    pub placement_strategy: Vec<PlacementStrategy>,
    pub health_check_grace_period_seconds: Option<i32>,
    pub scheduling_strategy: Option<SchedulingStrategy>,
    #[serde(rename = "enableECSManagedTags")]
    pub enable_ecs_managed_tags: bool,
    pub propagate_tags: Option<PropagateTags>,
    pub enable_execute_command: bool,
    pub availability_zone_rebalancing: Option<AvailabilityZoneRebalancing>,
    pub vpc_lattice_configurations: Vec<VpcLatticeConfiguration>,
    #[serde(deserialize_with = "super::tags::deserialize_list")]
    pub tags: Tags,
    /// The `PRIMARY` deployment and the `ACTIVE` ones it replaces.
    #[serde(skip_serializing)]
    pub deployments: Vec<ObservedDeployment>,
    /// ECS service events, newest first.
    #[serde(skip_serializing)]
    pub events: Vec<ObservedServiceEvent>,
    /// Task sets of an EXTERNAL (or CODE_DEPLOY) service.
    #[serde(skip_serializing)]
    pub task_sets: Vec<ObservedTaskSet>,
    /// ARN of the service's current service deployment (docs/ecs-behaviour.md, entry 6).
    pub current_service_deployment: Option<String>,
}

/// A task set as ECS reports it.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ObservedTaskSet {
    pub id: Option<String>,
    /// `PRIMARY`, `ACTIVE` or `DRAINING`.
    pub status: Option<String>,
    pub task_definition: Option<String>,
    pub computed_desired_count: i32,
    pub running_count: i32,
    pub pending_count: i32,
    /// `STEADY_STATE` or `STABILIZING`.
    pub stability_status: Option<String>,
}

/// One deployment of a service as ECS reports it; timestamps are epoch seconds.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ObservedDeployment {
    pub id: Option<String>,
    /// `PRIMARY`, `ACTIVE` or `INACTIVE`.
    pub status: Option<String>,
    pub task_definition: Option<String>,
    pub desired_count: i32,
    pub running_count: i32,
    pub pending_count: i32,
    pub failed_tasks: i32,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED`; absent on older ECS versions and emulators.
    pub rollout_state: Option<String>,
    pub rollout_state_reason: Option<String>,
    /// The Service Connect configuration this deployment runs with (ECS reports it per deployment).
    pub service_connect_configuration: Option<ServiceConnectConfiguration>,
    /// The EBS volumes this deployment's tasks get (ECS reports them per deployment).
    pub volume_configurations: Vec<ServiceVolumeConfiguration>,
    pub created_at: Option<f64>,
    pub updated_at: Option<f64>,
}

/// One ECS service event.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ObservedServiceEvent {
    pub id: Option<String>,
    /// Epoch seconds.
    pub created_at: Option<f64>,
    pub message: Option<String>,
}

/// How many of a service's newest events the operator keeps of the up to 100 ECS reports: the status shows them
/// and new ones become Kubernetes Events. The rest would only take memory, by the service, in every answer
/// read ahead for a drift pass (100 events of 10,000 services are hundreds of MiB).
pub const NEWEST_EVENTS: usize = 5;

/// The [`NEWEST_EVENTS`] newest of `events`, newest first (as ECS lists them).
pub(super) fn newest_events(mut events: Vec<ObservedServiceEvent>) -> Vec<ObservedServiceEvent> {
    events.sort_by(newer_first);
    events.truncate(NEWEST_EVENTS);
    events.shrink_to_fit();
    events
}

/// Orders events newest first (as ECS lists them); an event without a time comes last.
pub fn newer_first(a: &ObservedServiceEvent, b: &ObservedServiceEvent) -> Ordering {
    b.created_at
        .unwrap_or(0.0)
        .total_cmp(&a.created_at.unwrap_or(0.0))
}
