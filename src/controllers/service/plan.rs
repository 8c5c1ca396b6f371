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
    if let (Some(desired), Some(actual)) = (spec.launch_type, observed.launch_type)
        && desired != actual
    {
        return Err(immutable("spec.launchType", &actual, &desired));
    }
    let actual = observed
        .scheduling_strategy
        .unwrap_or(SchedulingStrategy::Replica);
    if let Some(desired) = spec.scheduling_strategy
        && desired != actual
    {
        return Err(immutable("spec.schedulingStrategy", &actual, &desired));
    }
    Ok(())
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

fn update_for(desired: &Desired, observed: &ObservedService) -> ServiceUpdate {
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
        deployment_configuration: changed(
            &hooks_listed(&observed.deployment_configuration),
            &spec.deployment_configuration,
        ),
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
mod tests {
    use super::*;
    use crate::api::service::{AwsVpcConfiguration, LaunchType};
    use crate::ecs::service::ObservedDeployment;

    const TD: &str = "arn:aws:ecs:us-east-1:123:task-definition/web:3";

    const FULL: &str = "clusterRef: {name: main}\ntaskDefinitionRef: {name: web}\ndesiredCount: 2\nlaunchType: FARGATE\n\
        networkConfiguration: {awsvpcConfiguration: {subnets: [subnet-b, subnet-a], securityGroups: [sg-1]}}\n\
        deploymentConfiguration: {maximumPercent: 200, deploymentCircuitBreaker: {enable: true, rollback: true}}\n\
        loadBalancers: [{targetGroupArn: tg, containerName: app, containerPort: 80}]\n\
        enableExecuteCommand: true\npropagateTags: SERVICE\nhealthCheckGracePeriodSeconds: 30\n";

    fn spec(yaml: &str) -> EcsServiceSpec {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn tags() -> Tags {
        Tags::from([
            ("team".to_owned(), "web".to_owned()),
            ("ecsbridge.dev/uid".to_owned(), "u".to_owned()),
        ])
    }

    /// What ECS reports after creating the service from `spec`, with ECS's defaults filled in.
    fn observed_from(spec: &EcsServiceSpec) -> ObservedService {
        let mut deployment_configuration =
            spec.deployment_configuration.clone().unwrap_or_default();
        deployment_configuration.minimum_healthy_percent = Some(100);
        let mut network = spec.network_configuration.clone();
        if let Some(awsvpc) = network
            .as_mut()
            .and_then(|n| n.awsvpc_configuration.as_mut())
        {
            awsvpc.subnets.reverse();
            awsvpc.assign_public_ip = Some(crate::api::service::AssignPublicIp::Disabled);
        }
        ObservedService {
            service_arn: "arn:aws:ecs:us-east-1:123:service/main/web".into(),
            service_name: "web".into(),
            status: "ACTIVE".into(),
            desired_count: spec.desired_count.unwrap_or(0),
            task_definition: Some(TD.into()),
            launch_type: spec.launch_type,
            capacity_provider_strategy: spec.capacity_provider_strategy.clone().unwrap_or_default(),
            platform_version: Some("LATEST".into()),
            network_configuration: network,
            load_balancers: spec.load_balancers.clone().unwrap_or_default(),
            deployment_configuration: Some(deployment_configuration),
            health_check_grace_period_seconds: spec.health_check_grace_period_seconds,
            scheduling_strategy: Some(SchedulingStrategy::Replica),
            enable_execute_command: spec.enable_execute_command.unwrap_or(false),
            propagate_tags: spec.propagate_tags.or(Some(PropagateTags::None)),
            tags: tags(),
            deployments: vec![ObservedDeployment {
                status: Some("PRIMARY".into()),
                task_definition: Some(TD.into()),
                rollout_state: Some("COMPLETED".into()),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn run(
        spec: &EcsServiceSpec,
        observed: Option<&ObservedService>,
        task_definition: &str,
        restart_requested: bool,
        enforce_desired_count: bool,
    ) -> Result<Vec<ServiceAction>, String> {
        let tags = tags();
        let applied = ["old".to_owned()];
        plan(
            &Desired {
                spec,
                task_definition,
                tags: &tags,
                applied_tag_keys: &applied,
                restart_requested,
                enforce_desired_count,
                redeploy_blocked: false,
            },
            observed,
        )
    }

    fn update_of(actions: Result<Vec<ServiceAction>, String>) -> ServiceUpdate {
        match actions.unwrap().as_slice() {
            [ServiceAction::Update(update)] => update.as_ref().clone(),
            other => panic!("expected one update, got {other:?}"),
        }
    }

    #[test]
    fn creates_a_missing_service() {
        let s = spec(FULL);
        assert_eq!(
            run(&s, None, TD, false, false),
            Ok(vec![ServiceAction::Create])
        );
    }

    #[test]
    fn does_nothing_when_ecs_matches() {
        let s = spec(FULL);
        let observed = observed_from(&s);
        assert_eq!(run(&s, Some(&observed), TD, false, true), Ok(vec![]));
        assert_eq!(run(&s, Some(&observed), "web:3", false, true), Ok(vec![]));
        assert_eq!(run(&s, Some(&observed), "web", false, true), Ok(vec![]));
    }

    #[test]
    fn leaves_ecs_defaults_for_fields_the_user_did_not_set() {
        let s = spec("clusterRef: {name: main}\ntaskDefinition: web\n");
        let mut observed = observed_from(&spec(FULL));
        observed.capacity_provider_strategy = vec![CapacityProviderStrategyItem {
            capacity_provider: "FARGATE".into(),
            weight: Some(1),
            base: None,
        }];
        observed.load_balancers.clear();
        observed.launch_type = None;
        observed.enable_ecs_managed_tags = true;
        observed
            .tags
            .insert("aws:cloudformation:stack-name".into(), "x".into());
        assert_eq!(run(&s, Some(&observed), "web", false, true), Ok(vec![]));
    }

    #[test]
    fn updates_only_the_fields_that_changed() {
        let mut s = spec(FULL);
        let observed = observed_from(&s);
        s.deployment_configuration.as_mut().unwrap().maximum_percent = Some(150);
        s.enable_execute_command = Some(false);
        s.network_configuration = Some(NetworkConfiguration {
            awsvpc_configuration: Some(AwsVpcConfiguration {
                subnets: vec!["subnet-a".into(), "subnet-c".into()],
                ..Default::default()
            }),
        });
        let update = update_of(run(&s, Some(&observed), TD, false, true));
        assert_eq!(
            update,
            ServiceUpdate {
                deployment_configuration: s.deployment_configuration.clone(),
                enable_execute_command: Some(false),
                // Running tasks get the exec setting only from a new deployment.
                force_new_deployment: true,
                network_configuration: s.network_configuration.clone(),
                ..Default::default()
            }
        );
    }

    #[test]
    fn lists_left_out_of_the_spec_are_not_managed_and_an_empty_list_removes() {
        let mut s = spec(FULL);
        let observed = observed_from(&s);
        s.load_balancers = None;
        s.placement_constraints = None;
        s.service_registries = None;
        assert_eq!(run(&s, Some(&observed), TD, false, true), Ok(vec![]));
        s.load_balancers = Some(Vec::new());
        assert_eq!(
            update_of(run(&s, Some(&observed), TD, false, true)).load_balancers,
            Some(Vec::new())
        );
    }

    #[test]
    fn changes_that_reach_tasks_only_through_a_deployment_force_one() {
        let base = spec(FULL);
        let observed = observed_from(&base);
        let mut s = base.clone();
        s.propagate_tags = Some(PropagateTags::TaskDefinition);
        let update = update_of(run(&s, Some(&observed), TD, false, true));
        assert!(update.force_new_deployment && update.propagate_tags.is_some());
        let mut s = base.clone();
        s.enable_ecs_managed_tags = Some(true);
        assert!(update_of(run(&s, Some(&observed), TD, false, true)).force_new_deployment);
        let mut s = base.clone();
        s.deployment_configuration.as_mut().unwrap().maximum_percent = Some(150);
        assert!(!update_of(run(&s, Some(&observed), TD, false, true)).force_new_deployment);
    }

    #[test]
    fn a_daemon_service_is_never_sent_a_desired_count() {
        let s = spec(FULL);
        let mut observed = observed_from(&s);
        observed.scheduling_strategy = Some(SchedulingStrategy::Daemon);
        observed.desired_count = 3;
        assert_eq!(run(&s, Some(&observed), TD, false, true), Ok(vec![]));
    }

    #[test]
    fn a_blocked_redeploy_keeps_in_place_changes_only() {
        let mut s = spec(FULL);
        let observed = observed_from(&s);
        s.deployment_configuration.as_mut().unwrap().maximum_percent = Some(150);
        s.platform_version = Some("1.4.0".into());
        let tags = tags();
        let desired = Desired {
            spec: &s,
            task_definition: "arn:aws:ecs:us-east-1:123:task-definition/web:4",
            tags: &tags,
            applied_tag_keys: &[],
            restart_requested: false,
            enforce_desired_count: true,
            redeploy_blocked: true,
        };
        assert_eq!(
            update_of(plan(&desired, Some(&observed))),
            ServiceUpdate {
                deployment_configuration: s.deployment_configuration.clone(),
                ..Default::default()
            }
        );
    }

    #[test]
    fn a_blue_green_target_group_swap_is_not_drift() {
        let s = spec(
            "clusterRef: {name: main}\ntaskDefinition: web\nloadBalancers: [{targetGroupArn: blue, containerName: app, \
             containerPort: 80, advancedConfiguration: {alternateTargetGroupArn: green, productionListenerRule: r, \
             roleArn: role}}]\n",
        );
        let mut observed = observed_from(&s);
        // The pair as given is no drift, nor the pair with its roles swapped (entry 78 names both).
        assert_eq!(run(&s, Some(&observed), TD, false, true), Ok(vec![]));
        observed.load_balancers[0].target_group_arn = Some("green".into());
        observed.load_balancers[0]
            .advanced_configuration
            .as_mut()
            .unwrap()
            .alternate_target_group_arn = Some("blue".into());
        assert_eq!(run(&s, Some(&observed), TD, false, true), Ok(vec![]));
        observed.load_balancers[0].target_group_arn = Some("other".into());
        assert!(
            update_of(run(&s, Some(&observed), TD, false, true))
                .load_balancers
                .is_some()
        );
    }

    /// A blue/green service whose load balancer has the pair blue/green, rule `r`, test rule `t` and role `role`.
    const BLUE_GREEN_LB: &str = "clusterRef: {name: main}\ntaskDefinition: web\nloadBalancers: [{targetGroupArn: blue, \
        containerName: app, containerPort: 80, advancedConfiguration: {alternateTargetGroupArn: green, \
        productionListenerRule: r, testListenerRule: t, roleArn: role}}]\n";

    #[test]
    fn after_a_target_group_swap_rules_and_role_still_reach_ecs_in_the_orientation_ecs_has() {
        let s = spec(BLUE_GREEN_LB);
        let mut observed = observed_from(&s);
        // ECS serves from green now; blue is the alternate.
        let lb = &mut observed.load_balancers[0];
        lb.target_group_arn = Some("green".into());
        lb.advanced_configuration
            .as_mut()
            .unwrap()
            .alternate_target_group_arn = Some("blue".into());
        assert_eq!(run(&s, Some(&observed), TD, false, true), Ok(vec![]));
        type Edit = fn(&mut crate::api::service::AdvancedConfiguration);
        let edits: [(&str, Edit); 3] = [
            ("productionListenerRule", |a| {
                a.production_listener_rule = Some("r2".into())
            }),
            ("testListenerRule", |a| {
                a.test_listener_rule = Some("t2".into())
            }),
            ("roleArn", |a| a.role_arn = Some("role2".into())),
        ];
        for (field, edit) in edits {
            let mut changed = s.clone();
            edit(
                changed.load_balancers.as_mut().unwrap()[0]
                    .advanced_configuration
                    .as_mut()
                    .unwrap(),
            );
            let update = update_of(run(&changed, Some(&observed), TD, false, true));
            let sent = update.load_balancers.expect(field);
            let mut expected = changed.load_balancers.clone().unwrap();
            expected[0].target_group_arn = Some("green".into());
            expected[0]
                .advanced_configuration
                .as_mut()
                .unwrap()
                .alternate_target_group_arn = Some("blue".into());
            assert_eq!(
                sent, expected,
                "{field} reaches ECS, the pair as ECS has it"
            );
        }
        // Only the pair swaps: another target group is drift, sent as the spec has it.
        observed.load_balancers[0].target_group_arn = Some("other".into());
        assert_eq!(
            update_of(run(&s, Some(&observed), TD, false, true)).load_balancers,
            s.load_balancers
        );
    }

    #[test]
    fn an_empty_list_of_lifecycle_hooks_removes_the_hooks_ecs_has() {
        let with_hooks = "{strategy: BLUE_GREEN, bakeTimeInMinutes: 5, lifecycleHooks: [{hookTargetArn: fn, \
                          roleArn: r, lifecycleStages: [POST_SCALE_UP]}]}";
        let mut s = spec(&format!(
            "{BLUE_GREEN_LB}deploymentConfiguration: {with_hooks}\n"
        ));
        let observed = observed_from(&s);
        s.deployment_configuration = serde_yaml::from_str(
            "{strategy: BLUE_GREEN, bakeTimeInMinutes: 5, lifecycleHooks: []}",
        )
        .unwrap();
        let update = update_of(run(&s, Some(&observed), TD, false, true));
        let sent = serde_json::to_value(update.deployment_configuration.expect("sent")).unwrap();
        assert_eq!(sent["lifecycleHooks"], serde_json::json!([]), "{sent}");
        // ECS without hooks (the list left out of its answer, or empty) matches `[]`.
        let mut without = observed_from(&s);
        assert_eq!(run(&s, Some(&without), TD, false, true), Ok(vec![]));
        let config = serde_json::to_value(&without.deployment_configuration).unwrap();
        let mut config = config.as_object().unwrap().clone();
        config.remove("lifecycleHooks");
        without.deployment_configuration = serde_json::from_value(config.into()).unwrap();
        assert_eq!(run(&s, Some(&without), TD, false, true), Ok(vec![]));
        // Left out of the spec, the hooks ECS has are not managed.
        s.deployment_configuration =
            serde_yaml::from_str("{strategy: BLUE_GREEN, bakeTimeInMinutes: 5}").unwrap();
        assert_eq!(run(&s, Some(&observed), TD, false, true), Ok(vec![]));
    }

    #[test]
    fn removes_load_balancers_dropped_from_the_spec() {
        let mut s = spec(FULL);
        let observed = observed_from(&s);
        s.load_balancers = Some(Vec::new());
        let update = update_of(run(&s, Some(&observed), TD, false, true));
        assert_eq!(update.load_balancers, Some(Vec::new()));
    }

    #[test]
    fn ignore_changes_leaves_an_out_of_band_count_while_enforce_reverts_it() {
        let s = spec(FULL);
        let mut observed = observed_from(&s);
        observed.desired_count = 7;
        assert_eq!(run(&s, Some(&observed), TD, false, false), Ok(vec![]));
        assert_eq!(
            update_of(run(&s, Some(&observed), TD, false, true)),
            ServiceUpdate {
                desired_count: Some(2),
                ..Default::default()
            }
        );
    }

    #[test]
    fn a_new_task_definition_revision_updates_only_the_task_definition() {
        let s = spec(FULL);
        let observed = observed_from(&s);
        let next = "arn:aws:ecs:us-east-1:123:task-definition/web:4";
        assert_eq!(
            update_of(run(&s, Some(&observed), next, false, true)),
            ServiceUpdate {
                task_definition: Some(next.into()),
                ..Default::default()
            }
        );
        assert_eq!(
            update_of(run(&s, Some(&observed), "web:4", false, true)).task_definition,
            Some("web:4".into())
        );
        assert_eq!(
            update_of(run(&s, Some(&observed), "api", false, true)).task_definition,
            Some("api".into())
        );
    }

    #[test]
    fn a_restart_forces_a_new_deployment() {
        let s = spec(FULL);
        let observed = observed_from(&s);
        assert_eq!(
            update_of(run(&s, Some(&observed), TD, true, true)),
            ServiceUpdate {
                force_new_deployment: true,
                ..Default::default()
            }
        );
    }

    #[test]
    fn does_not_redeploy_a_task_definition_ecs_just_rolled_back() {
        let s = spec(FULL);
        let mut observed = observed_from(&s);
        let failed = "arn:aws:ecs:us-east-1:123:task-definition/web:4";
        observed.deployments.push(ObservedDeployment {
            status: Some("ACTIVE".into()),
            task_definition: Some(failed.into()),
            rollout_state: Some("FAILED".into()),
            ..Default::default()
        });
        assert_eq!(run(&s, Some(&observed), failed, false, true), Ok(vec![]));
        let update = update_of(run(&s, Some(&observed), failed, true, true));
        assert_eq!(update.task_definition.as_deref(), Some(failed));
        assert!(update.force_new_deployment);
    }

    #[test]
    fn refuses_fields_ecs_cannot_change_in_place() {
        let mut s = spec(FULL);
        let observed = observed_from(&s);
        s.launch_type = Some(LaunchType::Ec2);
        let err = run(&s, Some(&observed), TD, false, true).unwrap_err();
        assert!(
            err.contains("spec.launchType cannot change in place (ECS: FARGATE -> EC2)")
                && err.contains("delete and recreate"),
            "{err}"
        );

        let mut daemon = spec(FULL);
        daemon.scheduling_strategy = Some(SchedulingStrategy::Daemon);
        let err = run(&daemon, Some(&observed), TD, false, true).unwrap_err();
        assert!(err.contains("spec.schedulingStrategy"), "{err}");

        let code_deploy = spec(&format!(
            "{FULL}deploymentController: {{type: CODE_DEPLOY}}\n"
        ));
        let mut observed = observed_from(&code_deploy);
        observed.deployment_controller = code_deploy.deployment_controller.clone();
        let err = run(&code_deploy, Some(&observed), "web:4", false, true).unwrap_err();
        assert!(
            err.contains("spec.taskDefinitionRef cannot change in place")
                && err.contains("CODE_DEPLOY"),
            "{err}"
        );
    }

    #[test]
    fn moves_between_capacity_providers_and_launch_type() {
        let fargate = spec(FULL);
        let mut observed = observed_from(&fargate);
        let mut spot = spec(FULL);
        spot.launch_type = None;
        spot.capacity_provider_strategy = Some(vec![CapacityProviderStrategyItem {
            capacity_provider: "FARGATE_SPOT".into(),
            weight: Some(1),
            base: None,
        }]);
        assert_eq!(
            update_of(run(&spot, Some(&observed), TD, false, true)).capacity_provider_strategy,
            spot.capacity_provider_strategy.clone()
        );
        observed.launch_type = None;
        observed.capacity_provider_strategy = spot.capacity_providers().to_vec();
        assert_eq!(run(&spot, Some(&observed), TD, false, true), Ok(vec![]));
        assert_eq!(
            update_of(run(&fargate, Some(&observed), TD, false, true)).capacity_provider_strategy,
            Some(Vec::new())
        );
    }

    #[test]
    fn compares_service_connect_with_the_primary_deployment() {
        let s = spec(&format!(
            "{FULL}serviceConnectConfiguration: {{enabled: true, namespace: internal, services: [{{portName: http}}]}}\n"
        ));
        let mut observed = observed_from(&s);
        assert!(
            update_of(run(&s, Some(&observed), TD, false, true))
                .service_connect_configuration
                .is_some()
        );
        let mut current = s.service_connect_configuration.clone().unwrap();
        current.namespace = Some("arn:aws:servicediscovery:us-east-1:123:namespace/ns-1".into());
        current.services[0].discovery_name = Some("http".into());
        observed.deployments[0].service_connect_configuration = Some(current);
        assert_eq!(run(&s, Some(&observed), TD, false, true), Ok(vec![]));
    }

    #[test]
    fn sets_tags_and_removes_only_applied_ones() {
        let s = spec(FULL);
        let mut observed = observed_from(&s);
        observed.tags.remove("team");
        observed.tags.insert("old".into(), "x".into());
        observed.tags.insert("theirs".into(), "y".into());
        assert_eq!(
            run(&s, Some(&observed), TD, false, true),
            Ok(vec![
                ServiceAction::Tag(Tags::from([("team".to_owned(), "web".to_owned())])),
                ServiceAction::Untag(vec!["old".to_owned()]),
            ])
        );
    }

    #[test]
    fn matches_task_definitions_by_arn_revision_or_family() {
        assert!(same_task_definition(Some(TD), TD));
        assert!(same_task_definition(Some(TD), "web:3"));
        assert!(same_task_definition(Some(TD), "web"));
        assert!(!same_task_definition(Some(TD), "web:4"));
        assert!(!same_task_definition(Some(TD), "webapp"));
        assert!(!same_task_definition(
            Some(TD),
            "arn:aws:ecs:us-east-1:123:task-definition/web:4"
        ));
        assert!(!same_task_definition(None, "web"));
    }
}
