//! Checks of an `EcsService` spec that the schema cannot express; pure, no AWS call. Each ECS rule quotes the API
//! reference or ECS's own error message it rests on (see also docs/ecs-behaviour.md entry 89); what ECS is not
//! known to refuse is left to ECS, whose answer reaches the `Synced` condition (`RejectedByEcs`).
//!
//! [`validate`] looks at the spec alone; [`Launch::check_compatibility`] runs once the task definition is known.

use crate::api::EcsService;
use crate::api::service::{
    DeploymentControllerType, DeploymentStrategy, EcsServiceSpec, LaunchType,
    PlacementStrategyType, SchedulingStrategy,
};
use crate::controllers::launch::{self, Launch};
use crate::controllers::validation::{check_ecs_name, check_name_unchanged, check_tags};

/// CreateService placementConstraints: "You can specify a maximum of 10 constraints for each task."; placementStrategy:
/// "You can specify a maximum of 5 strategy rules for each service."
const MAX_PLACEMENT_CONSTRAINTS: usize = 10;
const MAX_PLACEMENT_STRATEGY_RULES: usize = 5;
/// The launch fields of a service spec.
pub fn launch(spec: &EcsServiceSpec) -> Launch<'_> {
    Launch {
        launch_type: spec.launch_type,
        strategy: spec.capacity_providers(),
        platform_version: spec.platform_version.as_deref(),
        network: spec.network_configuration.as_ref(),
    }
}

/// The ECS name of the service: `spec.serviceName`, else `metadata.name`.
pub fn service_name(svc: &EcsService) -> String {
    svc.spec
        .service_name
        .clone()
        .unwrap_or_else(|| svc.metadata.name.clone().unwrap_or_default())
}

/// Validates the spec; the error names the field and what to do.
pub fn validate(svc: &EcsService) -> Result<(), String> {
    let spec = &svc.spec;
    let field = if spec.service_name.is_some() {
        "spec.serviceName"
    } else {
        "metadata.name"
    };
    let name = service_name(svc);
    check_ecs_name(field, &name)?;
    let status = svc.status.as_ref();
    check_name_unchanged(
        "spec.serviceName",
        &name,
        status.and_then(|s| s.service_name.as_deref()),
    )?;
    check_references(svc, status.and_then(|s| s.cluster_arn.as_deref()))?;
    launch(spec).check()?;
    check_scheduling(spec)?;
    check_deployment(spec)?;
    super::strategy::check(spec)?;
    super::revision_fields::check(spec)?;
    check_placement(spec)?;
    check_load_balancing(spec)?;
    super::autoscaling::validate::validate(svc)?;
    check_tags("spec.tags", &spec.tags)
}

fn uses_ecs_controller(spec: &EcsServiceSpec) -> bool {
    spec.deployment_controller
        .as_ref()
        .is_none_or(|c| c.type_ == DeploymentControllerType::Ecs)
}

/// Exactly one cluster and one task definition, and the cluster cannot move once the service exists: the operator's
/// contract (API.md), not ECS rules.
fn check_references(svc: &EcsService, recorded_cluster_arn: Option<&str>) -> Result<(), String> {
    let spec = &svc.spec;
    launch::check_references(&svc.references())?;
    if let (Some(cluster), Some(recorded)) = (&spec.cluster, recorded_cluster_arn) {
        let recorded_name = recorded.rsplit('/').next().unwrap_or(recorded);
        if cluster != recorded && cluster != recorded_name {
            return Err(format!(
                "spec.cluster cannot change: the ECS service runs on cluster {recorded_name} ({recorded}); set it back, \
                 or delete this EcsService and create a new one for cluster {cluster}"
            ));
        }
    }
    Ok(())
}

/// The DAEMON scheduler places one task per container instance and supports less than REPLICA.
fn check_scheduling(spec: &EcsServiceSpec) -> Result<(), String> {
    if spec.scheduling_strategy != Some(SchedulingStrategy::Daemon) {
        return Ok(());
    }
    // ECS answers "The daemon scheduling strategy does not support a desired count for services." (kayac/ecspresso#20).
    if spec.desired_count.is_some() {
        return Err("spec.desiredCount: a DAEMON service runs one task per container instance; remove desiredCount \
                    or use schedulingStrategy REPLICA"
            .into());
    }
    // schedulingStrategy: "Tasks using the Fargate launch type or the CODE_DEPLOY or EXTERNAL deployment controller
    // types don't support the DAEMON scheduling strategy." (entry 8; also for the controller below).
    if launch(spec).on_fargate() {
        return Err("spec.schedulingStrategy: DAEMON is not supported on Fargate; use REPLICA or run on EC2".into());
    }
    // ECS answers "The daemon scheduling strategy does not support placement strategies." (kayac/ecspresso#402).
    if !spec.placement_strategy_list().is_empty() {
        return Err(
            "spec.placementStrategy: a DAEMON service takes no placement strategy; remove it \
                    (placementConstraints still apply)"
                .into(),
        );
    }
    // Catalogue entry 8: ECS refuses a strategy for DAEMON services, also one inherited from the cluster's
    // default (the operator sends launchType EC2 when both are left out).
    if spec
        .capacity_provider_strategy
        .as_ref()
        .is_some_and(|s| !s.is_empty())
    {
        return Err(
            "spec.capacityProviderStrategy: ECS refuses a capacity provider strategy for a DAEMON service; remove \
             it and set launchType EC2 (or leave both out: the service is created with launchType EC2)"
                .into(),
        );
    }
    if !uses_ecs_controller(spec) {
        return Err(
            "spec.deploymentController: a DAEMON service supports only the ECS deployment controller".into(),
        );
    }
    Ok(())
}

fn check_deployment(spec: &EcsServiceSpec) -> Result<(), String> {
    let Some(config) = &spec.deployment_configuration else {
        return Ok(());
    };
    const FIELD: &str = "spec.deploymentConfiguration";
    if uses_ecs_controller(spec) {
        return Ok(());
    }
    // DeploymentCircuitBreaker: "The deployment circuit breaker can only be used for services using the rolling update
    // (ECS) deployment type."
    if config
        .deployment_circuit_breaker
        .as_ref()
        .is_some_and(|b| b.enable)
    {
        return Err(format!(
            "{FIELD}.deploymentCircuitBreaker: the circuit breaker works only with the ECS deployment controller; \
             disable it or remove spec.deploymentController"
        ));
    }
    // Entry 73: the linear and canary configurations are "only valid when you run CreateService or UpdateService with
    // deploymentController set to ECS".
    match config.strategy {
        Some(strategy) if strategy != DeploymentStrategy::Rolling => Err(format!(
            "{FIELD}.strategy: BLUE_GREEN, LINEAR and CANARY deployments need the ECS deployment controller; \
             remove spec.deploymentController or the strategy"
        )),
        _ => Ok(()),
    }
}

fn check_placement(spec: &EcsServiceSpec) -> Result<(), String> {
    let placed =
        !spec.placement_constraint_list().is_empty() || !spec.placement_strategy_list().is_empty();
    // PlacementConstraint: "If you're using the Fargate launch type, task placement constraints aren't supported."
    if placed && spec.launch_type == Some(LaunchType::Fargate) {
        return Err("spec.placementConstraints and spec.placementStrategy are not supported on Fargate, which \
                    spreads tasks across Availability Zones itself; remove them"
            .into());
    }
    if spec.placement_constraint_list().len() > MAX_PLACEMENT_CONSTRAINTS {
        return Err(format!(
            "spec.placementConstraints: {} constraints given; ECS allows at most {MAX_PLACEMENT_CONSTRAINTS}",
            spec.placement_constraint_list().len()
        ));
    }
    if spec.placement_strategy_list().len() > MAX_PLACEMENT_STRATEGY_RULES {
        return Err(format!(
            "spec.placementStrategy: {} rules given; ECS allows at most {MAX_PLACEMENT_STRATEGY_RULES}",
            spec.placement_strategy_list().len()
        ));
    }
    // PlacementStrategy.field: "For the binpack placement strategy, valid values are cpu and memory."
    for (i, rule) in spec.placement_strategy_list().iter().enumerate() {
        if rule.type_ == Some(PlacementStrategyType::Binpack)
            && !matches!(rule.field.as_deref(), Some("cpu" | "memory"))
        {
            return Err(format!(
                "spec.placementStrategy[{i}].field: binpack needs field cpu or memory"
            ));
        }
    }
    Ok(())
}

/// CreateService loadBalancers: "For Application Load Balancers and Network Load Balancers, this object must contain
/// the load balancer target group ARN, the container name, and the container port [...] The load balancer name
/// parameter must be omitted", and for Classic Load Balancers the name, "The target group ARN parameter must be
/// omitted"; serviceRegistries: "Multiple service registries for each service isn't supported."
fn check_load_balancing(spec: &EcsServiceSpec) -> Result<(), String> {
    for (i, lb) in spec.load_balancer_list().iter().enumerate() {
        if lb.target_group_arn.is_some() == lb.load_balancer_name.is_some() {
            return Err(format!(
                "spec.loadBalancers[{i}]: set exactly one of targetGroupArn (Application or Network Load Balancer) \
                 and loadBalancerName (Classic Load Balancer)"
            ));
        }
        if lb.container_name.as_deref().is_none_or(str::is_empty) {
            return Err(format!(
                "spec.loadBalancers[{i}].containerName is required: the container (as named in the task definition) \
                 to register"
            ));
        }
        if lb.container_port.is_none() {
            return Err(format!(
                "spec.loadBalancers[{i}].containerPort is required: the container port to register"
            ));
        }
    }
    if spec.service_registry_list().len() > 1 {
        return Err(format!(
            "spec.serviceRegistries: {} registries given; ECS supports one per service",
            spec.service_registry_list().len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
