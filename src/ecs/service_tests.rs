//! Unit tests of the ECS service calls' inputs and readings (`service.rs`).

use super::*;
use crate::api::service::LaunchType;
use aws_sdk_ecs::types as sdk;
use serde_json::json;

fn sdk_service(value: serde_json::Value) -> sdk::Service {
    to_sdk(&value, sdk::Service::deserialize).unwrap()
}

/// Catalogue entry 8: ECS refuses a DAEMON service that would take the cluster's default capacity provider
/// strategy, so a DAEMON service without a launch type is created with `launchType: EC2`.
#[test]
fn a_daemon_service_without_a_launch_type_is_created_on_ec2() {
    let spec = |yaml: &str| -> EcsServiceSpec {
        serde_yaml::from_str(&format!("cluster: main\ntaskDefinition: agent\n{yaml}")).unwrap()
    };
    let daemon = create_input(&spec("schedulingStrategy: DAEMON")).unwrap();
    assert_eq!(daemon.launch_type, Some(sdk::LaunchType::Ec2));
    assert!(daemon.capacity_provider_strategy.is_none());
    let external = create_input(&spec("schedulingStrategy: DAEMON\nlaunchType: EXTERNAL")).unwrap();
    assert_eq!(external.launch_type, Some(sdk::LaunchType::External));
    let replica = create_input(&spec("desiredCount: 1")).unwrap();
    assert_eq!(
        replica.launch_type, None,
        "a REPLICA service may take the cluster's default"
    );
}

#[test]
fn reads_a_described_service() {
    let service = sdk_service(json!({
        "serviceArn": "arn:aws:ecs:us-east-1:123:service/main/web",
        "serviceName": "web",
        "clusterArn": "arn:aws:ecs:us-east-1:123:cluster/main",
        "status": "ACTIVE",
        "desiredCount": 2,
        "runningCount": 1,
        "pendingCount": 1,
        "launchType": "FARGATE",
        "taskDefinition": "arn:aws:ecs:us-east-1:123:task-definition/web:3",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "DISABLED"}},
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": true, "rollback": true},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
            "alarms": {"alarmNames": [], "enable": false, "rollback": false},
            "strategy": "ROLLING",
            "bakeTimeInMinutes": 0
        },
        "schedulingStrategy": "REPLICA",
        "enableExecuteCommand": true,
        "tags": [{"key": "team", "value": "web"}],
        "deployments": [{
            "id": "ecs-svc/1",
            "status": "PRIMARY",
            "taskDefinition": "arn:aws:ecs:us-east-1:123:task-definition/web:3",
            "desiredCount": 2,
            "runningCount": 1,
            "pendingCount": 1,
            "failedTasks": 0,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": "ECS deployment ecs-svc/1 in progress.",
            "createdAt": 1700000000.5,
            "updatedAt": 1700000060,
            "serviceConnectConfiguration": {
                "enabled": true,
                "namespace": "arn:aws:servicediscovery:us-east-1:123:namespace/ns-1",
                "services": [{"portName": "http", "discoveryName": "http",
                              "clientAliases": [{"port": 80, "dnsName": "web"}]}]
            }
        }],
        "events": [{"id": "e1", "createdAt": 1700000001, "message": "(service web) has started 1 tasks"}]
    }));
    let observed = observed(&service).unwrap();
    assert_eq!(observed.service_name, "web");
    assert_eq!(observed.launch_type, Some(LaunchType::Fargate));
    assert_eq!(observed.desired_count, 2);
    assert!(observed.enable_execute_command);
    assert!(!observed.enable_ecs_managed_tags);
    assert_eq!(observed.tags["team"], "web");
    assert_eq!(
        observed
            .network_configuration
            .and_then(|n| n.awsvpc_configuration)
            .map(|a| a.subnets),
        Some(vec!["subnet-1".to_owned()])
    );
    let deployment = &observed.deployments[0];
    assert_eq!(deployment.rollout_state.as_deref(), Some("IN_PROGRESS"));
    assert_eq!(deployment.created_at, Some(1700000000.5));
    assert_eq!(deployment.updated_at, Some(1700000060.0));
    assert_eq!(observed.events[0].created_at, Some(1700000001.0));
    let alarms = observed.deployment_configuration.and_then(|d| d.alarms);
    assert_eq!(alarms.map(|a| a.enable), Some(false));
    let connect = deployment.service_connect_configuration.as_ref().unwrap();
    assert_eq!(connect.services[0].client_aliases[0].port, 80);
}

#[test]
fn sends_the_ecs_fields_of_the_spec_and_not_the_operators() {
    let spec: EcsServiceSpec = serde_yaml::from_str(
        "serviceName: web\nclusterRef: {name: main}\ntaskDefinitionRef: {name: web}\ndesiredCount: 3\n\
         desiredCountPolicy: IgnoreChanges\ndeletionPolicy: Retain\ntags: {team: web}\n\
         launchType: FARGATE\nplatformVersion: LATEST\n\
         networkConfiguration: {awsvpcConfiguration: {subnets: [subnet-1], securityGroups: [sg-1], assignPublicIp: ENABLED}}\n\
         loadBalancers: [{targetGroupArn: tg, containerName: app, containerPort: 80}]\n\
         deploymentConfiguration: {deploymentCircuitBreaker: {enable: true, rollback: true}, maximumPercent: 150}\n\
         enableECSManagedTags: true\npropagateTags: SERVICE\nschedulingStrategy: REPLICA\n\
         healthCheckGracePeriodSeconds: 30\navailabilityZoneRebalancing: ENABLED\n",
    )
    .unwrap();
    let input = create_input(&spec).unwrap();
    assert_eq!(input.service_name.as_deref(), Some(""));
    assert_eq!(input.cluster, None);
    assert_eq!(input.task_definition, None);
    assert_eq!(input.desired_count, None);
    assert_eq!(input.tags, None);
    assert_eq!(input.launch_type, Some(sdk::LaunchType::Fargate));
    assert_eq!(input.platform_version.as_deref(), Some("LATEST"));
    let vpc = input
        .network_configuration
        .and_then(|n| n.awsvpc_configuration)
        .unwrap();
    assert_eq!(vpc.subnets(), ["subnet-1"]);
    assert_eq!(vpc.assign_public_ip(), Some(&sdk::AssignPublicIp::Enabled));
    let lb = &input.load_balancers.unwrap()[0];
    assert_eq!(lb.container_port(), Some(80));
    let deployment = input.deployment_configuration.unwrap();
    assert_eq!(deployment.maximum_percent(), Some(150));
    assert!(deployment.deployment_circuit_breaker().unwrap().rollback());
    assert_eq!(input.enable_ecs_managed_tags, Some(true));
    assert_eq!(input.propagate_tags, Some(sdk::PropagateTags::Service));
    assert_eq!(
        input.scheduling_strategy,
        Some(sdk::SchedulingStrategy::Replica)
    );
    assert_eq!(input.health_check_grace_period_seconds, Some(30));
    assert_eq!(
        input.availability_zone_rebalancing,
        Some(sdk::AvailabilityZoneRebalancing::Enabled)
    );
}

#[test]
fn an_update_sends_only_the_fields_it_sets() {
    let update = ServiceUpdate {
        task_definition: Some("web:4".into()),
        force_new_deployment: true,
        capacity_provider_strategy: Some(Vec::new()),
        enable_ecs_managed_tags: Some(false),
        ..Default::default()
    };
    let input = update_input(&update).unwrap();
    assert_eq!(input.task_definition.as_deref(), Some("web:4"));
    assert_eq!(input.force_new_deployment, Some(true));
    assert_eq!(input.capacity_provider_strategy, Some(Vec::new()));
    assert_eq!(input.enable_ecs_managed_tags, Some(false));
    assert_eq!(input.desired_count, None);
    assert_eq!(input.network_configuration, None);
    assert_eq!(input.load_balancers, None);

    let nothing = update_input(&ServiceUpdate::default()).unwrap();
    assert_eq!(nothing.force_new_deployment, None);
    assert_eq!(nothing.task_definition, None);
}

/// ECS keeps a service's last 100 events; a service read keeps only the newest few (all the status and the
/// Kubernetes Events use), newest first whatever order they came in.
#[test]
fn a_service_read_keeps_only_its_newest_events() {
    let events: Vec<_> = (0..100)
        .map(|i| json!({"id": format!("e{i}"), "createdAt": 1_700_000_000 + (i * 37) % 100, "message": "m"}))
        .collect();
    let service = sdk_service(json!({
        "serviceArn": "arn:aws:ecs:us-east-1:123:service/main/web",
        "serviceName": "web",
        "status": "ACTIVE",
        "events": events,
    }));
    let observed = observed(&service).unwrap();
    let times: Vec<_> = observed
        .events
        .iter()
        .map(|e| e.created_at.unwrap())
        .collect();
    let newest: Vec<_> = (0..NEWEST_EVENTS)
        .map(|i| 1_700_000_099.0 - i as f64)
        .collect();
    assert_eq!(times, newest);
}
