//! Tests of the `EcsService` spec checks: what is accepted, the field each refusal names, and what is left to ECS.

use super::*;
use crate::api::EcsServiceStatus;

const BASE: &str = "  clusterRef: {name: main}\n  taskDefinitionRef: {name: web}\n";
const FARGATE: &str = "  clusterRef: {name: main}\n  taskDefinitionRef: {name: web}\n  launchType: FARGATE\n  \
                       networkConfiguration: {awsvpcConfiguration: {subnets: [subnet-1], securityGroups: [sg-1]}}\n";

fn service(yaml: &str) -> EcsService {
    let mut s: EcsService = serde_yaml::from_str(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: web, namespace: ns}}\nspec:\n{yaml}"
    ))
    .unwrap();
    s.metadata.uid = Some("u".into());
    s
}

#[test]
fn accepts_valid_specs() {
    let valid = [
        BASE.to_owned(),
        format!("{FARGATE}  desiredCount: 2\n  platformVersion: LATEST\n  tags: {{team: web}}\n"),
        "  cluster: arn:aws:ecs:us-east-1:123:cluster/main\n  taskDefinition: web:3\n  desiredCount: 0\n".into(),
        format!(
            "{BASE}  capacityProviderStrategy: [{{capacityProvider: FARGATE, weight: 1, base: 1}}, \
             {{capacityProvider: FARGATE_SPOT, weight: 3}}]\n  \
             networkConfiguration: {{awsvpcConfiguration: {{subnets: [a, b]}}}}\n"
        ),
        format!(
            "{BASE}  launchType: EC2\n  placementConstraints: [{{type: distinctInstance}}, \
             {{type: memberOf, expression: 'attribute:ecs.instance-type =~ t3.*'}}]\n  \
             placementStrategy: [{{type: spread, field: 'attribute:ecs.availability-zone'}}, \
             {{type: binpack, field: memory}}, {{type: random}}]\n"
        ),
        format!(
            "{BASE}  loadBalancers: [{{targetGroupArn: tg, containerName: app, containerPort: 80}}]\n  \
             serviceRegistries: [{{registryArn: arn:sd}}]\n  healthCheckGracePeriodSeconds: 30\n  \
             deploymentConfiguration: {{minimumHealthyPercent: 50, maximumPercent: 200, \
             deploymentCircuitBreaker: {{enable: true, rollback: true}}}}\n"
        ),
        format!("{BASE}  schedulingStrategy: DAEMON\n  launchType: EC2\n"),
        format!(
            "{BASE}  deploymentController: {{type: CODE_DEPLOY}}\n  \
             deploymentConfiguration: {{deploymentCircuitBreaker: {{enable: false, rollback: false}}}}\n"
        ),
    ];
    for yaml in valid {
        assert_eq!(validate(&service(&yaml)), Ok(()), "{yaml}");
    }
}

/// No source shows ECS refusing these before the call (the sweep of issue 28, entry 89): ECS judges them and its
/// answer reaches the Synced condition.
#[test]
fn leaves_to_ecs_what_no_source_shows_it_refusing() {
    for extra in [
        "  desiredCount: -1\n",
        "  deploymentConfiguration: {minimumHealthyPercent: 150, maximumPercent: 50}\n",
        "  placementConstraints: [{type: memberOf}, {expression: 'attribute:x == y'}]\n",
        "  placementStrategy: [{type: spread}, {field: memory}]\n",
        "  serviceRegistries: [{port: 80}]\n",
    ] {
        assert_eq!(
            validate(&service(&format!("{BASE}{extra}"))),
            Ok(()),
            "{extra}"
        );
    }
}

#[test]
fn names_the_field_of_each_mistake() {
    let cases: Vec<(String, &str)> = vec![
        (
            format!("  serviceName: web.app\n{BASE}"),
            "spec.serviceName",
        ),
        (
            "  taskDefinitionRef: {name: web}\n".into(),
            "set exactly one of spec.clusterRef and spec.cluster",
        ),
        (
            format!("{BASE}  cluster: main\n"),
            "set exactly one of spec.clusterRef and spec.cluster",
        ),
        (
            "  clusterRef: {name: main}\n".into(),
            "set exactly one of spec.taskDefinitionRef and spec.taskDefinition",
        ),
        (
            format!("{BASE}  taskDefinition: web:1\n"),
            "set exactly one of spec.taskDefinitionRef and spec.taskDefinition",
        ),
        (
            "  clusterRef: {name: ''}\n  taskDefinition: web\n".into(),
            "spec.clusterRef.name must not be empty",
        ),
        (
            "  cluster: main\n  taskDefinition: ''\n".into(),
            "spec.taskDefinition must not be empty",
        ),
        (
            format!("{FARGATE}  capacityProviderStrategy: [{{capacityProvider: FARGATE}}]\n"),
            "mutually exclusive",
        ),
        (
            format!(
                "{BASE}  capacityProviderStrategy: [{{capacityProvider: cp}}, {{capacityProvider: cp}}]\n"
            ),
            "spec.capacityProviderStrategy[1]",
        ),
        (
            format!(
                "{BASE}  capacityProviderStrategy: [{{capacityProvider: a, base: 1}}, {{capacityProvider: b, base: 2}}]\n"
            ),
            "only one capacity provider may have a base",
        ),
        (
            format!(
                "{BASE}  networkConfiguration: {{awsvpcConfiguration: {{subnets: [s]}}}}\n  \
                 capacityProviderStrategy: [{{capacityProvider: FARGATE}}, {{capacityProvider: my-asg}}]\n"
            ),
            "cannot be mixed",
        ),
        (
            format!("{BASE}  launchType: EC2\n  platformVersion: LATEST\n"),
            "spec.platformVersion",
        ),
        (
            format!(
                "{BASE}  capacityProviderStrategy: [{{capacityProvider: ec2}}]\n  platformVersion: LATEST\n"
            ),
            "spec.platformVersion",
        ),
        (
            format!("{BASE}  launchType: FARGATE\n"),
            "spec.networkConfiguration.awsvpcConfiguration is required on Fargate",
        ),
        (
            format!("{BASE}  capacityProviderStrategy: [{{capacityProvider: FARGATE_SPOT}}]\n"),
            "spec.networkConfiguration.awsvpcConfiguration is required on Fargate",
        ),
        (
            format!("{BASE}  networkConfiguration: {{}}\n"),
            "spec.networkConfiguration.awsvpcConfiguration is required when",
        ),
        (
            format!("{BASE}  networkConfiguration: {{awsvpcConfiguration: {{subnets: []}}}}\n"),
            "awsvpcConfiguration.subnets: give at least one subnet",
        ),
        (
            format!(
                "{BASE}  networkConfiguration: {{awsvpcConfiguration: {{subnets: [{}]}}}}\n",
                (0..17)
                    .map(|i| format!("s{i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "at most 16",
        ),
        (
            format!(
                "{BASE}  networkConfiguration: {{awsvpcConfiguration: {{subnets: [s], securityGroups: [a, b, c, d, e, f]}}}}\n"
            ),
            "awsvpcConfiguration.securityGroups",
        ),
        (
            format!("{BASE}  schedulingStrategy: DAEMON\n  desiredCount: 2\n"),
            "a DAEMON service runs one task per container instance",
        ),
        (
            format!("{FARGATE}  schedulingStrategy: DAEMON\n"),
            "DAEMON is not supported on Fargate",
        ),
        (
            format!(
                "{BASE}  schedulingStrategy: DAEMON\n  placementStrategy: [{{type: random}}]\n"
            ),
            "a DAEMON service takes no placement strategy",
        ),
        (
            format!(
                "{BASE}  schedulingStrategy: DAEMON\n  deploymentController: {{type: EXTERNAL}}\n"
            ),
            "spec.deploymentController",
        ),
        (
            format!(
                "{BASE}  schedulingStrategy: DAEMON\n  capacityProviderStrategy: [{{capacityProvider: ec2-cp, weight: 1}}]\n"
            ),
            "spec.capacityProviderStrategy: ECS refuses a capacity provider strategy for a DAEMON service",
        ),
        (
            format!(
                "{BASE}  deploymentController: {{type: CODE_DEPLOY}}\n  \
                 deploymentConfiguration: {{deploymentCircuitBreaker: {{enable: true, rollback: true}}}}\n"
            ),
            "deploymentCircuitBreaker",
        ),
        (
            format!(
                "{BASE}  deploymentController: {{type: EXTERNAL}}\n  deploymentConfiguration: {{strategy: BLUE_GREEN}}\n"
            ),
            "spec.deploymentConfiguration.strategy",
        ),
        (
            format!("{FARGATE}  placementConstraints: [{{type: distinctInstance}}]\n"),
            "not supported on Fargate",
        ),
        (
            format!(
                "{BASE}  placementConstraints: [{}]\n",
                ["{type: distinctInstance}"; 11].join(", ")
            ),
            "at most 10",
        ),
        (
            format!("{BASE}  placementStrategy: [{{type: binpack, field: instanceId}}]\n"),
            "spec.placementStrategy[0].field: binpack",
        ),
        (
            format!(
                "{BASE}  placementStrategy: [{}]\n",
                ["{type: random}"; 6].join(", ")
            ),
            "at most 5",
        ),
        (
            format!("{BASE}  loadBalancers: [{{containerName: app, containerPort: 80}}]\n"),
            "spec.loadBalancers[0]: set exactly one of targetGroupArn",
        ),
        (
            format!(
                "{BASE}  loadBalancers: [{{targetGroupArn: tg, loadBalancerName: clb, containerName: app, containerPort: 80}}]\n"
            ),
            "spec.loadBalancers[0]: set exactly one",
        ),
        (
            format!("{BASE}  loadBalancers: [{{targetGroupArn: tg, containerPort: 80}}]\n"),
            "spec.loadBalancers[0].containerName",
        ),
        (
            format!("{BASE}  loadBalancers: [{{targetGroupArn: tg, containerName: app}}]\n"),
            "spec.loadBalancers[0].containerPort",
        ),
        (
            format!("{BASE}  serviceRegistries: [{{registryArn: a}}, {{registryArn: b}}]\n"),
            "spec.serviceRegistries: 2 registries",
        ),
        (format!("{BASE}  tags: {{\"aws:owner\": x}}\n"), "spec.tags"),
    ];
    assert!(cases.len() >= 20);
    for (yaml, expected) in cases {
        let err = validate(&service(&yaml)).unwrap_err();
        assert!(err.contains(expected), "{yaml}: {err}");
    }
}

#[test]
fn refuses_a_rename_or_a_cluster_move_after_creation() {
    let recorded = |s: &mut EcsService| {
        s.status = Some(EcsServiceStatus {
            service_name: Some("web".into()),
            cluster_arn: Some("arn:aws:ecs:us-east-1:123:cluster/main".into()),
            ..Default::default()
        });
    };
    let mut renamed = service(&format!("  serviceName: other\n{BASE}"));
    recorded(&mut renamed);
    assert!(validate(&renamed).unwrap_err().contains("immutable"));

    for same in ["main", "arn:aws:ecs:us-east-1:123:cluster/main"] {
        let mut kept = service(&format!("  cluster: {same}\n  taskDefinition: web\n"));
        recorded(&mut kept);
        assert_eq!(validate(&kept), Ok(()));
    }
    let mut moved = service("  cluster: other\n  taskDefinition: web\n");
    recorded(&mut moved);
    assert!(
        validate(&moved)
            .unwrap_err()
            .contains("spec.cluster cannot change")
    );
}

#[test]
fn names_the_default_service_name() {
    assert_eq!(service_name(&service(BASE)), "web");
    assert_eq!(
        service_name(&service(&format!("  serviceName: api\n{BASE}"))),
        "api"
    );
}

fn check_compatibility(
    svc: &EcsService,
    compatibilities: &[String],
    network_mode: Option<&str>,
) -> Result<(), String> {
    let traits = crate::controllers::references::TaskTraits {
        compatibilities: compatibilities.to_vec(),
        network_mode: network_mode.map(str::to_owned),
        containers: Vec::new(),
        essential: Vec::new(),
    };
    launch(&svc.spec).check_compatibility(&svc.references(), &traits)
}

#[test]
fn checks_the_task_definition_against_the_service() {
    let fargate = service(FARGATE);
    let ec2_only = check_compatibility(&fargate, &["EC2".into()], Some("awsvpc")).unwrap_err();
    assert!(
        ec2_only.contains(
            "spec.taskDefinitionRef: task definition web is not compatible with FARGATE (it runs on: EC2)"
        ),
        "{ec2_only}"
    );
    assert_eq!(
        check_compatibility(&fargate, &["EC2".into(), "FARGATE".into()], Some("awsvpc")),
        Ok(())
    );

    let ec2 = service("  cluster: main\n  taskDefinition: web:3\n  launchType: EC2\n");
    assert_eq!(check_compatibility(&ec2, &[], Some("bridge")), Ok(()));
    assert_eq!(check_compatibility(&ec2, &[], None), Ok(()));
    let no_network = check_compatibility(&ec2, &["EC2".into()], Some("awsvpc")).unwrap_err();
    assert!(
        no_network.contains("spec.networkConfiguration.awsvpcConfiguration is required")
            && no_network.contains("web:3"),
        "{no_network}"
    );

    let bridged = service(&format!(
        "{BASE}  launchType: EC2\n  networkConfiguration: {{awsvpcConfiguration: {{subnets: [s]}}}}\n"
    ));
    assert!(
        check_compatibility(&bridged, &["EC2".into()], Some("bridge"))
            .unwrap_err()
            .contains("uses the bridge network mode")
    );
}
