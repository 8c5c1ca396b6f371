//! Plans the ECS calls that bring a service to its spec; pure, so every decision is unit-tested.
//!
//! Only fields the user set are compared: a field left out is not managed, ECS keeps whatever it has (its
//! default, or what someone else set); a value, `[]` included, is enforced. Lists compare in order.

use serde::Serialize;

use crate::api::Tags;
use crate::api::cluster::CapacityProviderStrategyItem;
use crate::api::service::{
    DeploymentConfiguration, DeploymentController, DeploymentControllerType, EcsServiceSpec,
    LoadBalancer, NetworkConfiguration, PropagateTags, SchedulingStrategy,
    ServiceConnectConfiguration,
};
use crate::api::service_revision_fields::SentRevisionFields;
use crate::controllers::compare::{covers, strategy_key};
use crate::ecs::service::{ObservedService, ServiceUpdate};
use crate::reconcile::ownership::tag_changes_since;

use super::status::{primary, revision_of};

/// One ECS call for a service.
#[derive(Clone, Debug, PartialEq)]
pub enum ServiceAction {
    Create,
    /// Boxed: an update holds every field `UpdateService` takes.
    Update(Box<ServiceUpdate>),
    Tag(Tags),
    Untag(Vec<String>),
}

/// What the service should be.
pub struct Desired<'a> {
    pub spec: &'a EcsServiceSpec,
    /// The task definition to run, resolved: an ARN or `family:revision` (a bare family matches any revision).
    pub task_definition: &'a str,
    /// The user's tags plus the ownership tags.
    pub tags: &'a Tags,
    /// The tag keys the operator applied before: the only ones it may remove.
    pub applied_tag_keys: &'a [String],
    /// A new `ecsbridge.dev/restartedAt` value: start one new deployment.
    pub restart_requested: bool,
    /// `desiredCountPolicy: Enforce`: keep ECS's desired count at `spec.desiredCount`.
    pub enforce_desired_count: bool,
    /// The deployment of this desired state failed already: start none (no new task definition, no field that
    /// starts a deployment) until the desired state changes.
    pub redeploy_blocked: bool,
    /// What ecs-bridge last sent of the fields DescribeServices does not report: compared instead of ECS's.
    pub sent: &'a SentRevisionFields,
}

/// The calls to make, empty when ECS already matches; an error when a field changed that ECS cannot change in place.
pub fn plan(
    desired: &Desired,
    observed: Option<&ObservedService>,
) -> Result<Vec<ServiceAction>, String> {
    let Some(observed) = observed else {
        return Ok(vec![ServiceAction::Create]);
    };
    check_immutable(desired.spec, observed)?;
    let mut update = update_for(desired, observed);
    if desired.redeploy_blocked {
        update.without_deployment();
    }
    check_controller(desired.spec, observed, &update)?;

    // Tags first: an adopted service carries the ownership tags before anything else of it changes.
    let mut actions = Vec::new();
    let (set, remove) = tag_changes_since(desired.tags, &observed.tags, desired.applied_tag_keys);
    if !set.is_empty() {
        actions.push(ServiceAction::Tag(set));
    }
    if !remove.is_empty() {
        actions.push(ServiceAction::Untag(remove));
    }
    if update != ServiceUpdate::default() {
        actions.push(ServiceAction::Update(Box::new(update)));
    }
    Ok(actions)
}

/// Whether the task definition ECS reports (an ARN) is the desired one: the same ARN, the same `family:revision`,
/// or, for a bare family, any revision of it.
pub(super) fn same_task_definition(observed: Option<&str>, desired: &str) -> bool {
    let Some(observed) = observed else {
        return false;
    };
    if observed.starts_with("arn:") && desired.starts_with("arn:") {
        return observed == desired;
    }
    let (observed, desired) = (revision_of(observed), revision_of(desired));
    if desired.contains(':') {
        observed == desired
    } else {
        observed.split(':').next() == Some(desired)
    }
}

/// `launchType` and `schedulingStrategy` are fixed when the service is created.
fn check_immutable(spec: &EcsServiceSpec, observed: &ObservedService) -> Result<(), String> {
    match fixed_differences(spec, observed).first() {
        Some((field, actual, desired)) => Err(immutable(field, actual, desired)),
        None => Ok(()),
    }
}

/// The fields fixed at creation where the spec differs from ECS: the field, ECS's value and the spec's (JSON).
pub(super) fn fixed_differences(
    spec: &EcsServiceSpec,
    observed: &ObservedService,
) -> Vec<(&'static str, serde_json::Value, serde_json::Value)> {
    let mut found = Vec::new();
    if let (Some(desired), Some(actual)) = (spec.launch_type, observed.launch_type)
        && desired != actual
    {
        found.push(("spec.launchType", json(&actual), json(&desired)));
    }
    let actual = observed
        .scheduling_strategy
        .unwrap_or(SchedulingStrategy::Replica);
    if let Some(desired) = spec.scheduling_strategy
        && desired != actual
    {
        found.push(("spec.schedulingStrategy", json(&actual), json(&desired)));
    }
    found
}

fn json(value: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

fn immutable(field: &str, actual: &impl Serialize, desired: &impl Serialize) -> String {
    format!(
        "{field} cannot change in place (ECS: {} -> {}); delete and recreate the EcsService, or create a new one \
         under another serviceName",
        wire(actual),
        wire(desired)
    )
}

/// A value as ECS spells it, such as `FARGATE`.
fn wire(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// The `UpdateService` fields where ECS differs from the desired service (tags and fixed fields aside).
pub(super) fn update_for(desired: &Desired, observed: &ObservedService) -> ServiceUpdate {
    let spec = desired.spec;
    let ecs_controller = DeploymentController {
        type_: DeploymentControllerType::Ecs,
    };
    let daemon = observed.scheduling_strategy == Some(SchedulingStrategy::Daemon);
    let mut update = ServiceUpdate {
        desired_count: spec.desired_count.filter(|count| {
            desired.enforce_desired_count && !daemon && *count != observed.desired_count
        }),
        task_definition: task_definition(desired, observed),
        capacity_provider_strategy: capacity_provider_strategy(spec, observed),
        deployment_configuration: deployment_configuration(spec, observed),
        availability_zone_rebalancing: changed(
            &observed.availability_zone_rebalancing,
            &spec.availability_zone_rebalancing,
        ),
        network_configuration: network_configuration(spec, observed),
        placement_constraints: changed_list(
            &observed.placement_constraints,
            &spec.placement_constraints,
        ),
        placement_strategy: changed_list(&observed.placement_strategy, &spec.placement_strategy),
        platform_version: changed(&observed.platform_version, &spec.platform_version),
        force_new_deployment: desired.restart_requested,
        // ECS leaves out a grace period of 0 and the defaults of the fields below.
        health_check_grace_period_seconds: changed(
            &observed.health_check_grace_period_seconds.unwrap_or(0),
            &spec.health_check_grace_period_seconds,
        ),
        deployment_controller: changed(
            observed
                .deployment_controller
                .as_ref()
                .unwrap_or(&ecs_controller),
            &spec.deployment_controller,
        ),
        enable_execute_command: changed(
            &observed.enable_execute_command,
            &spec.enable_execute_command,
        ),
        enable_ecs_managed_tags: changed(
            &observed.enable_ecs_managed_tags,
            &spec.enable_ecs_managed_tags,
        ),
        load_balancers: load_balancers(spec, observed),
        propagate_tags: changed(
            &observed.propagate_tags.unwrap_or(PropagateTags::None),
            &spec.propagate_tags,
        ),
        service_registries: changed_list(&observed.service_registries, &spec.service_registries),
        service_connect_configuration: service_connect(spec, observed),
        // ECS reports EBS volume configurations per deployment: the PRIMARY one runs the current configuration.
        volume_configurations: changed_list(
            primary(observed).map_or(&[][..], |d| &d.volume_configurations),
            &spec.volume_configurations,
        ),
        vpc_lattice_configurations: changed_list(
            &observed.vpc_lattice_configurations,
            &spec.vpc_lattice_configurations,
        ),
        monitoring: changed(&desired.sent.monitoring, &spec.monitoring),
        gateway_connectors: changed(&desired.sent.gateway_connectors, &spec.gateway_connectors),
    };
    // These reach running tasks only through a new deployment, and ECS refuses a strategy change without one.
    update.force_new_deployment |= update.capacity_provider_strategy.is_some()
        || update.enable_execute_command.is_some()
        || update.propagate_tags.is_some()
        || update.enable_ecs_managed_tags.is_some();
    update
}

/// The desired value when the user set it and ECS has something else.
fn changed<T: Serialize + Clone>(observed: &impl Serialize, desired: &Option<T>) -> Option<T> {
    desired.as_ref().filter(|d| !covers(observed, d)).cloned()
}

/// The desired list when the user set it and it differs; `[]` removes what ECS has.
fn changed_list<T: Serialize + Clone>(observed: &[T], desired: &Option<Vec<T>>) -> Option<Vec<T>> {
    let desired = desired.as_ref()?;
    (!covers(&observed, desired)).then(|| desired.clone())
}

/// The deployment configuration to send when the spec's differs from ECS's. The API reference does not say that
/// UpdateService merges the block with what the service has (the ECS test double takes it whole: a member left out
/// goes back to its default), so the percentages and hooks the spec leaves out are sent as ECS has them: a field
/// left out of the spec keeps ECS's value (`../shared/API.md`), also when another member of the block changes.
fn deployment_configuration(
    spec: &EcsServiceSpec,
    observed: &ObservedService,
) -> Option<DeploymentConfiguration> {
    let observed = hooks_listed(&observed.deployment_configuration);
    let mut sent = changed(&observed, &spec.deployment_configuration)?;
    if let Some(ecs) = observed {
        sent.maximum_percent = sent.maximum_percent.or(ecs.maximum_percent);
        sent.minimum_healthy_percent = sent.minimum_healthy_percent.or(ecs.minimum_healthy_percent);
        sent.lifecycle_hooks = sent.lifecycle_hooks.or(ecs.lifecycle_hooks);
    }
    Some(sent)
}

/// The deployment configuration ECS reports, with a left-out list of lifecycle hooks read as `[]`: ECS may leave
/// an empty list out of its answer, and `lifecycleHooks: []` in the spec asks for none.
fn hooks_listed(observed: &Option<DeploymentConfiguration>) -> Option<DeploymentConfiguration> {
    observed.clone().map(|mut config| {
        config.lifecycle_hooks.get_or_insert_with(Vec::new);
        config
    })
}

/// Load balancers, where a blue/green swap is not drift: after a blue/green deployment the service may serve from
/// the alternate target group of the pair, the pair's roles swapped (docs/ecs-behaviour.md, entry 78). Only the pair
/// swaps: listener rules, role, container and port are compared as the spec has them, and a change is sent with
/// the pair in the orientation ECS has, so that it does not swap the pair back. A CODE_DEPLOY service's target
/// groups change only through CodeDeploy (entry 13).
fn load_balancers(spec: &EcsServiceSpec, observed: &ObservedService) -> Option<Vec<LoadBalancer>> {
    let desired = spec.load_balancers.as_ref()?;
    let code_deploy = observed
        .deployment_controller
        .as_ref()
        .is_some_and(|c| c.type_ == DeploymentControllerType::CodeDeploy);
    if observed.load_balancers.len() != desired.len() {
        return Some(desired.clone());
    }
    let oriented: Vec<LoadBalancer> = observed
        .load_balancers
        .iter()
        .zip(desired)
        .map(|(o, d)| match () {
            _ if code_deploy => LoadBalancer {
                target_group_arn: o.target_group_arn.clone().or(d.target_group_arn.clone()),
                ..d.clone()
            },
            _ if swapped(o, d) => swap_pair(d),
            _ => d.clone(),
        })
        .collect();
    let same = observed
        .load_balancers
        .iter()
        .zip(&oriented)
        .all(|(o, d)| covers(o, d));
    (!same).then_some(oriented)
}

/// Whether ECS shows the pair the spec names with its roles swapped: the spec's alternate target group serving, and
/// the spec's target group as the alternate.
fn swapped(observed: &LoadBalancer, desired: &LoadBalancer) -> bool {
    let alternate_of = |lb: &LoadBalancer| {
        lb.advanced_configuration
            .as_ref()
            .and_then(|a| a.alternate_target_group_arn.clone())
    };
    let Some(alternate) = alternate_of(desired) else {
        return false;
    };
    observed.target_group_arn.as_ref() == Some(&alternate)
        && alternate_of(observed) == desired.target_group_arn
}

/// The spec's load balancer with its target group pair swapped.
fn swap_pair(desired: &LoadBalancer) -> LoadBalancer {
    let mut swapped = desired.clone();
    if let Some(advanced) = swapped.advanced_configuration.as_mut() {
        let alternate = advanced.alternate_target_group_arn.take();
        advanced.alternate_target_group_arn = swapped.target_group_arn.take();
        swapped.target_group_arn = alternate;
    }
    swapped
}

/// The task definition to deploy, unless ECS runs it already or just rolled it back (which a restart overrides).
fn task_definition(desired: &Desired, observed: &ObservedService) -> Option<String> {
    let external = observed
        .deployment_controller
        .as_ref()
        .is_some_and(|c| c.type_ == DeploymentControllerType::External);
    if external
        || same_task_definition(observed.task_definition.as_deref(), desired.task_definition)
    {
        return None;
    }
    let rolled_back = observed.deployments.iter().any(|d| {
        d.status.as_deref() != Some("PRIMARY")
            && d.rollout_state.as_deref() == Some("FAILED")
            && same_task_definition(d.task_definition.as_deref(), desired.task_definition)
    });
    (desired.restart_requested || !rolled_back).then(|| desired.task_definition.to_owned())
}

fn capacity_provider_strategy(
    spec: &EcsServiceSpec,
    observed: &ObservedService,
) -> Option<Vec<CapacityProviderStrategyItem>> {
    let has_strategy = !observed.capacity_provider_strategy.is_empty();
    match &spec.capacity_provider_strategy {
        Some(desired) if !desired.is_empty() => (strategy_key(desired)
            != strategy_key(&observed.capacity_provider_strategy))
        .then(|| desired.clone()),
        // `[]`, or a launch type instead of a strategy: back to the launch type, which ECS does with `[]`.
        Some(_) => has_strategy.then(Vec::new),
        None => (spec.launch_type.is_some() && has_strategy).then(Vec::new),
    }
}

/// Subnets and security groups compare as sets.
fn network_configuration(
    spec: &EcsServiceSpec,
    observed: &ObservedService,
) -> Option<NetworkConfiguration> {
    let desired = spec.network_configuration.as_ref()?;
    let sorted = |network: &NetworkConfiguration| {
        let mut network = network.clone();
        if let Some(awsvpc) = network.awsvpc_configuration.as_mut() {
            awsvpc.subnets.sort();
            awsvpc.security_groups.sort();
        }
        network
    };
    let current = observed.network_configuration.as_ref().map(sorted);
    (!covers(&current, &sorted(desired))).then(|| desired.clone())
}

/// ECS reports Service Connect per deployment; the PRIMARY one runs the current configuration.
fn service_connect(
    spec: &EcsServiceSpec,
    observed: &ObservedService,
) -> Option<ServiceConnectConfiguration> {
    let desired = spec.service_connect_configuration.as_ref()?;
    let current = primary(observed).and_then(|d| d.service_connect_configuration.as_ref());
    let matches = match current {
        None => !desired.enabled,
        Some(current) if !desired.enabled => !current.enabled,
        Some(current) => {
            let mut comparable = desired.clone();
            // ECS answers with the namespace's ARN, which cannot be compared with a namespace name.
            let is_arn = |n: &Option<String>| n.as_deref().is_some_and(|n| n.starts_with("arn:"));
            if is_arn(&current.namespace) && !is_arn(&comparable.namespace) {
                comparable.namespace = None;
            }
            covers(current, &comparable)
        }
    };
    (!matches).then(|| desired.clone())
}

/// Services deployed by CodeDeploy or by an external controller change these fields outside `UpdateService`.
fn check_controller(
    spec: &EcsServiceSpec,
    observed: &ObservedService,
    update: &ServiceUpdate,
) -> Result<(), String> {
    let controller = spec
        .deployment_controller
        .as_ref()
        .or(observed.deployment_controller.as_ref())
        .map_or(DeploymentControllerType::Ecs, |c| c.type_);
    let how = match controller {
        DeploymentControllerType::Ecs => return Ok(()),
        DeploymentControllerType::CodeDeploy => "a CodeDeploy deployment",
        DeploymentControllerType::External => "a new task set (CreateTaskSet)",
    };
    let task_definition_field = if spec.task_definition_ref.is_some() {
        "spec.taskDefinitionRef"
    } else {
        "spec.taskDefinition"
    };
    let blocked = [
        (update.task_definition.is_some(), task_definition_field),
        (
            update.network_configuration.is_some(),
            "spec.networkConfiguration",
        ),
        (update.platform_version.is_some(), "spec.platformVersion"),
        (update.load_balancers.is_some(), "spec.loadBalancers"),
    ];
    match blocked.iter().find(|(changed, _)| *changed) {
        Some((_, field)) => Err(format!(
            "{field} cannot change in place: the service uses the {} deployment controller, which changes it through \
             {how}; do that, or switch spec.deploymentController to ECS",
            wire(&controller)
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
