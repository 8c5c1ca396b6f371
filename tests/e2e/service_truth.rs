//! EcsService behaviours that rest on documented ECS facts (docs/ecs-behaviour.md), end to end: a rolled-back
//! revision is deployed once and stays Degraded across drift checks; DAEMON services are created and deleted
//! without a desired count, and on EC2 beside a cluster's default capacity provider strategy; a capacity provider
//! strategy change is a forced deployment and Ready only after it; load balancers the spec leaves out stay; the
//! scale subresource carries a selector.

use std::time::Duration;

use ecs_bridge::api::EcsService;
use serde_json::{Value, json};

use crate::harness::{Env, unique};
use crate::rollout::{apply_any, follow, is, manifests};

/// The double's count of calls of `operation`.
pub(crate) fn calls(double: &ecs_double::Running, operation: &str) -> u64 {
    let out = std::process::Command::new("curl")
        .args(["-sf", &format!("{}/_double/stats", double.url)])
        .output()
        .unwrap();
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    stats["calls"][operation].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn a_rolled_back_revision_is_deployed_once_and_stays_degraded() {
    let double = ecs_double::spawn(&["--rollout-seconds", "2"]);
    let drift = Duration::from_secs(3);
    let env = Env::against_with_drift_interval(&unique("rollback"), &double.url, drift).await;
    let (cluster, family) = (unique("c"), unique("td"));
    for manifest in manifests(&cluster, &family, "app:1") {
        apply_any(&env, &manifest).await;
    }
    follow(&env, |s| is(s, "Ready", "True")).await;

    // An image no registry serves: ECS's circuit breaker rolls the deployment back, then drops it.
    apply_any(
        &env,
        &manifests(&cluster, &family, "registry.invalid/app:2")[1],
    )
    .await;
    follow(&env, |s| is(s, "Degraded", "True")).await;
    let updates = calls(&double, "UpdateService");
    tokio::time::sleep(drift * 4).await;
    let svc = env.api::<EcsService>().get("web").await.unwrap();
    assert_eq!(
        calls(&double, "UpdateService"),
        updates,
        "no deployment of the failed revision again over four drift intervals"
    );
    assert!(is(&svc, "Degraded", "True") && is(&svc, "Ready", "False"));
    let status = svc.status.unwrap();
    assert_eq!(
        status.task_definition_revision.as_deref(),
        Some(format!("{family}:1").as_str()),
        "ECS runs the revision it rolled back to"
    );
    assert_eq!(
        status.last_rollout.map(|r| format!("{:?}", r.outcome)),
        Some("Failed".to_owned())
    );

    // A fixed revision rolls out and becomes Ready.
    apply_any(&env, &manifests(&cluster, &family, "app:3")[1]).await;
    let (ready, _) = follow(&env, |s| {
        is(s, "Ready", "True")
            && s.status
                .as_ref()
                .and_then(|st| st.task_definition_revision.as_deref())
                == Some(&format!("{family}:3"))
    })
    .await;
    assert!(is(&ready, "Degraded", "False"));
    drop(double);
}

#[tokio::test]
async fn a_daemon_service_is_created_ready_and_deleted() {
    let double = ecs_double::spawn(&["--rollout-seconds", "2", "--container-instances", "3"]);
    let env = Env::against(&unique("daemon"), &double.url).await;
    let (cluster, family) = (unique("c"), unique("td"));
    let [cluster_yaml, td_yaml, _] = manifests(&cluster, &family, "agent:1");
    apply_any(&env, &cluster_yaml).await;
    apply_any(&env, &td_yaml).await;
    apply_any(
        &env,
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {name: web}\nspec:\n  clusterRef: {name: main}\n  \
         taskDefinitionRef: {name: web}\n  launchType: EC2\n  schedulingStrategy: DAEMON\n",
    )
    .await;
    let (ready, _) = follow(&env, |s| is(s, "Ready", "True")).await;
    let status = ready.status.unwrap();
    assert_eq!(
        (status.desired_count, status.running_count),
        (Some(3), Some(3)),
        "one task per container instance"
    );
    env.delete::<EcsService>("web").await;
    let api = env.api::<EcsService>();
    for _ in 0..150 {
        if api.get_opt("web").await.unwrap().is_none() {
            let out = env
                .ecs
                .describe_services()
                .cluster(&cluster)
                .services("web")
                .send()
                .await
                .unwrap();
            let state = out
                .services()
                .first()
                .and_then(|s| s.status())
                .unwrap_or("MISSING");
            assert!(matches!(state, "INACTIVE" | "MISSING"), "{state}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the DAEMON EcsService was not deleted");
}

/// Catalogue entry 8: on a cluster whose default capacity provider strategy names providers, a DAEMON service left
/// without a launch type would take that strategy, which ECS refuses: the operator sends `launchType: EC2`.
#[tokio::test]
async fn a_daemon_service_beside_a_default_strategy_is_created_on_ec2() {
    let double = ecs_double::spawn(&["--rollout-seconds", "2", "--container-instances", "2"]);
    let env = Env::against(&unique("daemon-cp"), &double.url).await;
    let (cluster, family) = (unique("c"), unique("td"));
    let [cluster_yaml, td_yaml, _] = manifests(&cluster, &family, "agent:1");
    apply_any(
        &env,
        &cluster_yaml.replace(
            "spec: {",
            "spec: {capacityProviders: [FARGATE], \
             defaultCapacityProviderStrategy: [{capacityProvider: FARGATE, weight: 1}], ",
        ),
    )
    .await;
    apply_any(&env, &td_yaml).await;
    apply_any(
        &env,
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {name: web}\nspec:\n  clusterRef: {name: main}\n  \
         taskDefinitionRef: {name: web}\n  schedulingStrategy: DAEMON\n",
    )
    .await;
    let (ready, _) = follow(&env, |s| is(s, "Ready", "True")).await;
    assert_eq!(ready.status.unwrap().running_count, Some(2));
    let out = env
        .ecs
        .describe_services()
        .cluster(&cluster)
        .services("web")
        .send()
        .await
        .unwrap();
    let service = &out.services()[0];
    assert_eq!(
        service.launch_type(),
        Some(&aws_sdk_ecs::types::LaunchType::Ec2)
    );
    assert!(service.capacity_provider_strategy().is_empty());
    drop(double);
}

#[tokio::test]
async fn a_capacity_provider_strategy_change_is_a_deployment_and_ready_only_after_it() {
    let double = ecs_double::spawn(&["--rollout-seconds", "4"]);
    let env = Env::against(&unique("cps"), &double.url).await;
    let (cluster, family) = (unique("c"), unique("td"));
    let [cluster_yaml, _, _] = manifests(&cluster, &family, "app:1");
    apply_any(
        &env,
        &cluster_yaml.replace(
            "spec: {",
            "spec: {capacityProviders: [FARGATE, FARGATE_SPOT], ",
        ),
    )
    .await;
    apply_any(
        &env,
        &format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n  family: {family}\n  \
             requiresCompatibilities: [FARGATE]\n  networkMode: awsvpc\n  cpu: \"256\"\n  memory: \"512\"\n  \
             containerDefinitions:\n  - {{name: web, image: \"app:1\"}}\n"
        ),
    )
    .await;
    let service = |provider: &str| {
        format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: web}}\nspec:\n  clusterRef: {{name: main}}\n  \
             taskDefinitionRef: {{name: web}}\n  desiredCount: 2\n  capacityProviderStrategy: [{{capacityProvider: {provider}, weight: 1}}]\n  \
             networkConfiguration: {{awsvpcConfiguration: {{subnets: [subnet-1], securityGroups: [sg-1]}}}}\n"
        )
    };
    apply_any(&env, &service("FARGATE")).await;
    let (ready, _) = follow(&env, |s| is(s, "Ready", "True")).await;
    let first = ready.status.unwrap().deployments[0].id.clone();

    apply_any(&env, &service("FARGATE_SPOT")).await;
    let (ready, progressed) = follow(&env, |s| {
        is(s, "Ready", "True")
            && s.status
                .as_ref()
                .is_some_and(|st| st.deployments.len() == 1 && st.deployments[0].id != first)
    })
    .await;
    assert!(
        progressed,
        "Progressing=True until the new deployment completed"
    );
    let out = env
        .ecs
        .describe_services()
        .cluster(&cluster)
        .services("web")
        .send()
        .await
        .unwrap();
    let strategy = out.services()[0].capacity_provider_strategy();
    assert_eq!(strategy[0].capacity_provider(), "FARGATE_SPOT");
    assert_eq!(
        ready
            .status
            .unwrap()
            .last_rollout
            .map(|r| format!("{:?}", r.outcome)),
        Some("Completed".to_owned())
    );
}

#[tokio::test]
async fn adoption_keeps_load_balancers_the_spec_leaves_out_and_scale_has_a_selector() {
    let env = Env::new("adopt-lb").await;
    let (cluster, family, name) = (unique("c"), unique("td"), unique("svc"));
    env.ecs
        .create_cluster()
        .cluster_name(&cluster)
        .send()
        .await
        .unwrap();
    let td = env
        .ecs
        .register_task_definition()
        .family(&family)
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("app")
                .image("app:1")
                .memory(256)
                .port_mappings(
                    aws_sdk_ecs::types::PortMapping::builder()
                        .container_port(80)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let arn = td
        .task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_owned();
    let target_group =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef";
    env.ecs
        .create_service()
        .cluster(&cluster)
        .service_name(&name)
        .task_definition(&arn)
        .desired_count(1)
        .launch_type(aws_sdk_ecs::types::LaunchType::Ec2)
        .load_balancers(
            aws_sdk_ecs::types::LoadBalancer::builder()
                .target_group_arn(target_group)
                .container_name("app")
                .container_port(80)
                .build(),
        )
        .send()
        .await
        .unwrap();
    env.apply::<EcsService>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata:\n  name: web\n  annotations: {{ecsbridge.dev/adopt: \"true\"}}\n\
         spec:\n  serviceName: {name}\n  cluster: {cluster}\n  taskDefinition: {arn}\n  desiredCount: 2\n  launchType: EC2\n"
    ))
    .await;
    let api = env.api::<EcsService>();
    let mut adopted = None;
    for _ in 0..150 {
        let svc = api.get("web").await.unwrap();
        if svc.status.as_ref().and_then(|s| s.desired_count) == Some(2) {
            adopted = Some(svc);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(adopted.is_some(), "the service was adopted and scaled to 2");
    let out = env
        .ecs
        .describe_services()
        .cluster(&cluster)
        .services(&name)
        .send()
        .await
        .unwrap();
    let lbs = out.services()[0].load_balancers();
    assert_eq!(lbs.len(), 1, "the load balancer the spec leaves out stays");
    assert_eq!(lbs[0].target_group_arn(), Some(target_group));

    let scale: Value = env
        .client
        .request(
            http::Request::get(format!(
                "/apis/ecsbridge.dev/v1alpha1/namespaces/{}/ecsservices/web/scale",
                env.namespace
            ))
            .body(Vec::new())
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        scale["status"]["selector"],
        json!("ecsbridge.dev/service=web")
    );
}
