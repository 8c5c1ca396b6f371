//! ECS service calls: describe, create, update, delete.
//!
//! Requests are built from our ECS-shaped types in one JSON round trip through the SDK's input type
//! (see [`super::bridge`]), so every ECS field of the spec reaches ECS without field-by-field mapping.

use aws_sdk_ecs::operation::RequestId;
use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use aws_sdk_ecs::types::ServiceField;
use std::collections::HashMap;

use serde::Serialize;

use super::batch::Found;
use super::bridge::{from_sdk, to_sdk};
use super::service_observed::newest_events;
pub use super::service_observed::{
    NEWEST_EVENTS, ObservedDeployment, ObservedService, ObservedServiceEvent, ObservedTaskSet,
    newer_first,
};
use super::{AwsError, AwsErrorKind, Core, Ecs};
use crate::api::Tags;
use crate::api::cluster::CapacityProviderStrategyItem;
use crate::api::service::{
    AvailabilityZoneRebalancing, DeploymentConfiguration, DeploymentController, EcsServiceSpec,
    LoadBalancer, NetworkConfiguration, PlacementConstraint, PlacementStrategy, PropagateTags,
    ServiceConnectConfiguration, ServiceRegistry, ServiceVolumeConfiguration,
    VpcLatticeConfiguration,
};
use crate::api::service_revision_fields::{GatewayConnector, MonitoringConfiguration};

/// The fields to change with `UpdateService`; only the ones that are set are sent.
#[derive(Serialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// An empty list moves the service back from a capacity provider strategy to its launch type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_configuration: Option<DeploymentConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability_zone_rebalancing: Option<AvailabilityZoneRebalancing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement_constraints: Option<Vec<PlacementConstraint>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement_strategy: Option<Vec<PlacementStrategy>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    /// Starts a new deployment even when nothing else changes.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub force_new_deployment: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_grace_period_seconds: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_controller: Option<DeploymentController>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_execute_command: Option<bool>,
    #[serde(
        rename = "enableECSManagedTags",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_ecs_managed_tags: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_balancers: Option<Vec<LoadBalancer>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub propagate_tags: Option<PropagateTags>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_registries: Option<Vec<ServiceRegistry>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_connect_configuration: Option<ServiceConnectConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_configurations: Option<Vec<ServiceVolumeConfiguration>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_lattice_configurations: Option<Vec<VpcLatticeConfiguration>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<MonitoringConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_connectors: Option<Vec<GatewayConnector>>,
}

impl ServiceUpdate {
    /// Drops every change that would start a deployment (docs/ecs-behaviour.md, "which fields start a new
    /// deployment"), keeping those ECS applies in place.
    pub fn without_deployment(&mut self) {
        self.task_definition = None;
        self.network_configuration = None;
        self.platform_version = None;
        self.load_balancers = None;
        self.service_registries = None;
        self.service_connect_configuration = None;
        self.volume_configurations = None;
        self.vpc_lattice_configurations = None;
        // Kept on the service revision: a change is a new service revision (docs/ecs-behaviour.md, entry 151).
        self.monitoring = None;
        self.gateway_connectors = None;
        self.capacity_provider_strategy = None;
        self.enable_execute_command = None;
        self.propagate_tags = None;
        self.enable_ecs_managed_tags = None;
        self.force_new_deployment = false;
    }

    /// Whether the update starts a deployment.
    pub fn starts_deployment(&self) -> bool {
        let mut without = self.clone();
        without.without_deployment();
        without != *self
    }
}

/// Spec fields that belong to the operator or are passed resolved; never sent as they are.
const NOT_SENT_FROM_SPEC: [&str; 12] = [
    "region",
    "exportTo",
    "serviceName",
    "clusterRef",
    "cluster",
    "taskDefinitionRef",
    "taskDefinition",
    "desiredCount",
    "desiredCountPolicy",
    "autoScaling",
    "tags",
    "deletionPolicy",
];

fn observed(service: &aws_sdk_ecs::types::Service) -> Result<ObservedService, AwsError> {
    let mut observed: ObservedService = from_sdk(service)?;
    observed.events = newest_events(std::mem::take(&mut observed.events));
    Ok(observed)
}

/// The ECS fields of the spec as a `CreateService` input (name, cluster, task definition, count and tags apart).
/// A DAEMON service without a launch type gets `EC2`: left out, ECS would use the cluster's default capacity
/// provider strategy, which it refuses for DAEMON services (catalogue entry 8).
fn create_input(spec: &EcsServiceSpec) -> Result<CreateServiceInput, AwsError> {
    let mut fields = serde_json::to_value(spec).map_err(|e| AwsError::conversion(e.to_string()))?;
    if let Some(map) = fields.as_object_mut() {
        for key in NOT_SENT_FROM_SPEC {
            map.remove(key);
        }
    }
    let mut input = to_sdk(&fields, CreateServiceInput::deserialize)?;
    let daemon = input.scheduling_strategy == Some(aws_sdk_ecs::types::SchedulingStrategy::Daemon);
    let no_strategy = input
        .capacity_provider_strategy
        .as_ref()
        .is_none_or(Vec::is_empty);
    if daemon && input.launch_type.is_none() && no_strategy {
        input.launch_type = Some(aws_sdk_ecs::types::LaunchType::Ec2);
        input.capacity_provider_strategy = None;
    }
    Ok(input)
}

fn update_input(update: &ServiceUpdate) -> Result<UpdateServiceInput, AwsError> {
    to_sdk(update, UpdateServiceInput::deserialize)
}

impl Ecs {
    /// Reads the services of a cluster ahead of their reconciles (a drift pass, or the rollouts a round of the
    /// rollout loop wakes), in DescribeServices calls of 10; each answer serves its service's next background
    /// lookup within `valid_for`, unless a write or a user's read of the service comes first. Returns the
    /// services found, by name.
    pub async fn prefetch_services(
        &self,
        cluster: &str,
        names: Vec<String>,
        valid_for: std::time::Duration,
    ) -> Found<ObservedService> {
        self.services.prefetch_for(cluster, names, valid_for).await
    }

    /// Reads the services of a cluster ahead of a drift pass, as [`Self::prefetch_services`], keeping only the
    /// answers for the pass's lookups. Returns how many services were found.
    pub async fn read_services_ahead(
        &self,
        cluster: &str,
        names: Vec<String>,
        valid_for: std::time::Duration,
    ) -> Result<usize, AwsError> {
        let mut found = 0;
        (self.services)
            .prefetch_each(cluster, names, valid_for, |batch| found += batch.len())
            .await?;
        Ok(found)
    }

    /// The DescribeServices calls a second the service-read bucket sustains (None when calls are not limited).
    pub fn service_reads_per_second(&self) -> Option<f64> {
        self.limits.sustained(super::limits::Category::ServiceRead)
    }

    /// The service named `name` in `cluster`, or `None` when it does not exist or is INACTIVE; lookups made
    /// at about the same time share DescribeServices calls of up to 10 services per cluster.
    pub async fn describe_service(
        &self,
        cluster: &str,
        name: &str,
    ) -> Result<Option<ObservedService>, AwsError> {
        self.services.lookup(cluster, name).await
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create_service(
        &self,
        cluster: &str,
        name: &str,
        spec: &EcsServiceSpec,
        task_definition: &str,
        desired_count: Option<i32>,
        tags: &Tags,
        client_token: &str,
    ) -> Result<ObservedService, AwsError> {
        self.services.forget(cluster, name);
        let input = create_input(spec)?;
        let out = {
            let request = self
                .client
                .create_service()
                .cluster(cluster)
                .service_name(name)
                .set_task_definition(
                    (!task_definition.is_empty()).then(|| task_definition.to_owned()),
                )
                .set_desired_count(desired_count)
                .client_token(client_token)
                .set_tags(Some(super::tags::to_ecs(tags)))
                .set_launch_type(input.launch_type)
                .set_capacity_provider_strategy(input.capacity_provider_strategy)
                .set_platform_version(input.platform_version)
                .set_network_configuration(input.network_configuration)
                .set_load_balancers(input.load_balancers)
                .set_service_registries(input.service_registries)
                .set_deployment_configuration(input.deployment_configuration)
                .set_deployment_controller(input.deployment_controller)
                .set_placement_constraints(input.placement_constraints)
                .set_placement_strategy(input.placement_strategy)
                .set_health_check_grace_period_seconds(input.health_check_grace_period_seconds)
                .set_scheduling_strategy(input.scheduling_strategy)
                .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
                .set_propagate_tags(input.propagate_tags)
                .set_enable_execute_command(input.enable_execute_command)
                .set_service_connect_configuration(input.service_connect_configuration)
                .set_availability_zone_rebalancing(input.availability_zone_rebalancing)
                .set_volume_configurations(input.volume_configurations)
                .set_vpc_lattice_configurations(input.vpc_lattice_configurations)
                .set_monitoring(input.monitoring)
                .set_gateway_connectors(input.gateway_connectors)
                .set_role(input.role);
            self.call("CreateService", || request.clone().send()).await
        }?;
        let service = out
            .service()
            .ok_or_else(|| AwsError::conversion("CreateService returned no service".into()))?;
        observed(service)
    }

    /// Changes the fields set in `update` in place.
    pub async fn update_service(
        &self,
        cluster: &str,
        name: &str,
        update: &ServiceUpdate,
    ) -> Result<ObservedService, AwsError> {
        self.services.forget(cluster, name);
        let input = update_input(update)?;
        let out = {
            let request = self
                .client
                .update_service()
                .cluster(cluster)
                .service(name)
                .set_desired_count(input.desired_count)
                .set_task_definition(input.task_definition)
                .set_capacity_provider_strategy(input.capacity_provider_strategy)
                .set_deployment_configuration(input.deployment_configuration)
                .set_availability_zone_rebalancing(input.availability_zone_rebalancing)
                .set_network_configuration(input.network_configuration)
                .set_placement_constraints(input.placement_constraints)
                .set_placement_strategy(input.placement_strategy)
                .set_platform_version(input.platform_version)
                .set_force_new_deployment(input.force_new_deployment)
                .set_health_check_grace_period_seconds(input.health_check_grace_period_seconds)
                .set_deployment_controller(input.deployment_controller)
                .set_enable_execute_command(input.enable_execute_command)
                .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
                .set_load_balancers(input.load_balancers)
                .set_propagate_tags(input.propagate_tags)
                .set_service_registries(input.service_registries)
                .set_service_connect_configuration(input.service_connect_configuration)
                .set_volume_configurations(input.volume_configurations)
                .set_vpc_lattice_configurations(input.vpc_lattice_configurations)
                .set_monitoring(input.monitoring)
                .set_gateway_connectors(input.gateway_connectors);
            if update.force_new_deployment {
                // A repeat after a time-out would start a second deployment: the next reconcile looks first.
                self.call_once("UpdateService", || request.clone().send())
                    .await
            } else {
                self.call("UpdateService", || request.clone().send()).await
            }
        }?;
        let service = out
            .service()
            .ok_or_else(|| AwsError::conversion("UpdateService returned no service".into()))?;
        observed(service)
    }

    /// Deletes the service (without `force`, a REPLICA service must be scaled to 0 first; a DAEMON service is
    /// deleted with it); a service or cluster that is already gone counts as deleted.
    pub async fn delete_service(
        &self,
        cluster: &str,
        name: &str,
        force: bool,
    ) -> Result<(), AwsError> {
        self.services.forget(cluster, name);
        match self
            .call("DeleteService", || {
                self.client
                    .delete_service()
                    .cluster(cluster)
                    .service(name)
                    .force(force)
                    .send()
            })
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match e {
                gone if gone.kind == AwsErrorKind::NotFound
                    || gone.code.as_deref() == Some("ServiceNotActiveException") =>
                {
                    Ok(())
                }
                other => Err(other),
            },
        }
    }
}

/// DescribeServices answers for at most this many services per call.
pub const DESCRIBE_SERVICES_BATCH: usize = 10;

impl Core {
    /// One DescribeServices call for up to 10 services of a cluster: the ones that exist and are not INACTIVE, by name.
    pub async fn describe_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> Found<ObservedService> {
        let request = self
            .client
            .describe_services()
            .cluster(cluster)
            .set_services(Some(names.to_vec()))
            .include(ServiceField::Tags);
        let out = self
            .call("DescribeServices", || request.clone().send())
            .await?;
        super::batch::refuse_failures(
            "DescribeServices",
            cluster,
            "service",
            out.failures(),
            out.request_id(),
        )?;
        let mut found = HashMap::new();
        for service in out.services() {
            let service = observed(service)?;
            if service.status != "INACTIVE" {
                found.insert(service.service_name.clone(), service);
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
