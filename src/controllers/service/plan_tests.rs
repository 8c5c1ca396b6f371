//! Unit tests of the service planner: which ECS calls a spec and an observed service lead to.

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
    let mut deployment_configuration = spec.deployment_configuration.clone().unwrap_or_default();
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
            sent: &Default::default(),
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
    let mut sent = s.deployment_configuration.clone().unwrap();
    // Left out of the spec: sent as ECS has it, since UpdateService takes the block whole.
    sent.minimum_healthy_percent = Some(100);
    sent.lifecycle_hooks = Some(vec![]);
    assert_eq!(
        update,
        ServiceUpdate {
            deployment_configuration: Some(sent),
            enable_execute_command: Some(false),
            // Running tasks get the exec setting only from a new deployment.
            force_new_deployment: true,
            network_configuration: s.network_configuration.clone(),
            ..Default::default()
        }
    );
}

/// Walk seed 83170: `maximumPercent` set, then left out of the spec (ECS keeps 150 by contract), then a lifecycle
/// hook changes: the block sent to UpdateService must carry ECS's 150, or ECS takes the block whole and
/// `maximumPercent` goes back to its default of 200.
#[test]
fn a_deployment_configuration_change_keeps_the_members_the_spec_leaves_out() {
    let mut s = spec(FULL);
    let mut observed = observed_from(&s);
    let ecs = observed.deployment_configuration.as_mut().unwrap();
    ecs.maximum_percent = Some(150);
    ecs.minimum_healthy_percent = Some(50);
    let config = s.deployment_configuration.as_mut().unwrap();
    config.maximum_percent = None;
    config.deployment_circuit_breaker = Some(crate::api::service::DeploymentCircuitBreaker {
        enable: true,
        rollback: false,
        ..Default::default()
    });
    let sent = update_of(run(&s, Some(&observed), TD, false, true))
        .deployment_configuration
        .expect("the changed block is sent");
    assert_eq!(sent.maximum_percent, Some(150));
    assert_eq!(sent.minimum_healthy_percent, Some(50));
    assert_eq!(sent.lifecycle_hooks, Some(vec![]));
    assert!(!sent.deployment_circuit_breaker.unwrap().rollback);
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
        sent: &Default::default(),
    };
    let mut sent = s.deployment_configuration.clone().unwrap();
    (sent.minimum_healthy_percent, sent.lifecycle_hooks) = (Some(100), Some(vec![]));
    assert_eq!(
        update_of(plan(&desired, Some(&observed))),
        ServiceUpdate {
            deployment_configuration: Some(sent),
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
    s.deployment_configuration =
        serde_yaml::from_str("{strategy: BLUE_GREEN, bakeTimeInMinutes: 5, lifecycleHooks: []}")
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

/// `monitoring` and `gatewayConnectors` are not in DescribeServices: they are sent when the spec differs from what
/// ecs-bridge last sent, never again once sent, and dropped with the rest of a blocked redeploy.
#[test]
fn revision_fields_are_compared_with_what_was_last_sent() {
    let s = spec(&format!(
        "{FULL}monitoring: {{metricConfigurations: [{{metricNames: [CPUUtilization], resolutionSeconds: 20}}]}}\n\
         gatewayConnectors: [{{portName: http, filters: {{accessTypes: [PUBLIC]}}}}]\n"
    ));
    let observed = observed_from(&s);
    let tags = tags();
    let plan_with = |sent: &SentRevisionFields, blocked: bool| {
        plan(
            &Desired {
                spec: &s,
                task_definition: TD,
                tags: &tags,
                applied_tag_keys: &[],
                restart_requested: false,
                enforce_desired_count: true,
                redeploy_blocked: blocked,
                sent,
            },
            Some(&observed),
        )
    };
    let update = update_of(plan_with(&SentRevisionFields::default(), false));
    assert_eq!(update.monitoring, s.monitoring);
    assert_eq!(update.gateway_connectors, s.gateway_connectors);
    assert!(update.starts_deployment());
    let sent =
        SentRevisionFields::default().after(s.monitoring.as_ref(), s.gateway_connectors.as_ref());
    assert_eq!(plan_with(&sent, false), Ok(vec![]));
    assert_eq!(
        plan_with(&SentRevisionFields::default(), true),
        Ok(vec![]),
        "a blocked redeploy sends no service revision field"
    );
}
