//! `EcsExpressService` end to end against the ECS test double: an Express service goes Ready with its HTTPS URL
//! and the security groups ECS made in status, an update deploys a new configuration, and deletion waits until
//! ECS has drained it, leaving nothing behind. A second object naming the same ECS service is refused (another
//! object owns it), not adopted, and its deletion leaves the first one's service alone; `deletionPolicy: Retain`
//! leaves the service running. A spec ECS would refuse is refused with the field named.

use std::time::Duration;

use aws_sdk_ecs::types::ExpressGatewayServiceStatusCode;
use ecs_bridge::api::EcsExpressService;
use serde_json::json;

use crate::capacity_provider::ready;
use crate::harness::{Env, condition, unique};

pub(crate) const WAIT: Duration = Duration::from_secs(60);

pub(crate) fn manifest(object: &str, service: &str) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsExpressService\nmetadata: {{name: {object}}}\nspec:\n  \
         serviceName: {service}\n  primaryContainer: {{image: \"public.ecr.aws/nginx/nginx:1.27\", containerPort: 8080}}\n  \
         executionRoleArn: arn:aws:iam::123456789012:role/ecs-bridge/web-execution\n  \
         infrastructureRoleArn: arn:aws:iam::123456789012:role/ecs-bridge/web-infrastructure\n  \
         healthCheckPath: /health\n  scalingTarget: {{minTaskCount: 1, maxTaskCount: 4}}\n"
    )
}

pub(crate) fn is_ready(service: &EcsExpressService) -> bool {
    ready(service.status.as_ref().map(|s| &s.conditions[..]), service)
}

/// The service as ECS reports it.
pub(crate) async fn ecs_service(
    env: &Env,
    arn: &str,
) -> aws_sdk_ecs::types::EcsExpressGatewayService {
    env.ecs
        .describe_express_gateway_service()
        .service_arn(arn)
        .send()
        .await
        .expect("DescribeExpressGatewayService")
        .service
        .expect("a service")
}

#[tokio::test]
async fn an_express_service_goes_ready_with_its_url_and_is_deleted_with_nothing_left() {
    let double = ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "3"]);
    let env = Env::against(&unique("express"), &double.url).await;
    let name = unique("web");
    env.apply::<EcsExpressService>(&manifest("web", &name))
        .await;
    let ready_service = env
        .wait_for::<EcsExpressService>("web", WAIT, is_ready)
        .await;
    let status = ready_service.status.expect("a status");
    let url = status.url.clone().expect("a URL");
    assert!(url.starts_with("https://") && url.contains(&name), "{url}");
    assert_eq!(status.ecs_status.as_deref(), Some("ACTIVE"));
    assert!(
        !status.security_groups.is_empty(),
        "the security groups ECS made: {status:?}"
    );
    let arn = status.service_arn.clone().expect("the service ARN");
    assert!(arn.ends_with(&format!("service/default/{name}")), "{arn}");

    env.patch::<EcsExpressService>("web", json!({"spec": {"cpu": "512"}}))
        .await;
    env.wait_for::<EcsExpressService>("web", WAIT, |s| {
        is_ready(s) && s.metadata.generation == Some(2)
    })
    .await;
    let updated = ecs_service(&env, &arn).await;
    let configurations = updated.active_configurations();
    assert_eq!(configurations.len(), 1);
    assert_eq!(configurations[0].cpu(), Some("512"));
    assert_eq!(
        configurations[0].primary_container().map(|c| c.image()),
        Some("public.ecr.aws/nginx/nginx:1.27")
    );

    env.delete::<EcsExpressService>("web").await;
    env.wait_gone::<EcsExpressService>("web", WAIT).await;
    let left = ecs_service(&env, &arn).await;
    assert_eq!(
        left.status().and_then(|s| s.status_code()),
        Some(&ExpressGatewayServiceStatusCode::Inactive)
    );
    assert!(left.active_configurations().is_empty(), "{left:?}");
}

#[tokio::test]
async fn a_second_object_naming_the_same_ecs_service_is_refused_and_leaves_it_alone() {
    let double = ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "3"]);
    let env = Env::against(&unique("express-twice"), &double.url).await;
    let name = unique("web");
    env.apply::<EcsExpressService>(&manifest("first", &name))
        .await;
    let first = env
        .wait_for::<EcsExpressService>("first", WAIT, is_ready)
        .await;
    let arn = first.status.and_then(|s| s.service_arn).expect("an ARN");

    env.apply::<EcsExpressService>(&manifest("second", &name))
        .await;
    let refused = env
        .wait_for::<EcsExpressService>("second", WAIT, |s| {
            s.status
                .as_ref()
                .and_then(|st| condition(&st.conditions, "Synced"))
                .is_some_and(|c| c.status == "False" && c.reason == "OwnedByAnother")
        })
        .await;
    let status = refused.status.expect("a status");
    assert_eq!(status.service_arn, None, "not adopted: {status:?}");

    env.delete::<EcsExpressService>("second").await;
    env.wait_gone::<EcsExpressService>("second", WAIT).await;
    let kept = ecs_service(&env, &arn).await;
    assert_eq!(
        kept.status().and_then(|s| s.status_code()),
        Some(&ExpressGatewayServiceStatusCode::Active)
    );
    let first = env
        .api::<EcsExpressService>()
        .get("first")
        .await
        .expect("first");
    assert!(is_ready(&first));
    env.delete::<EcsExpressService>("first").await;
    env.wait_gone::<EcsExpressService>("first", WAIT).await;
}

fn synced_false_with(service: &EcsExpressService, reason: &str, words: &str) -> bool {
    service
        .status
        .as_ref()
        .and_then(|st| condition(&st.conditions, "Synced"))
        .is_some_and(|c| c.status == "False" && c.reason == reason && c.message.contains(words))
}

#[tokio::test]
async fn a_bad_spec_is_refused_with_the_field_named() {
    let double = ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "3"]);
    let env = Env::against(&unique("express-refused"), &double.url).await;
    let name = unique("web");
    let bad = manifest("web", &name).replace("healthCheckPath: /health", "healthCheckPath: health");
    env.apply::<EcsExpressService>(&bad).await;
    let refused = env
        .wait_for::<EcsExpressService>("web", WAIT, |s| {
            synced_false_with(s, "InvalidSpec", "spec.healthCheckPath")
        })
        .await;
    assert_eq!(refused.status.and_then(|s| s.service_arn), None);

    env.apply::<EcsExpressService>(&manifest("web", &name))
        .await;
    env.wait_for::<EcsExpressService>("web", WAIT, is_ready)
        .await;
    env.delete::<EcsExpressService>("web").await;
    env.wait_gone::<EcsExpressService>("web", WAIT).await;
}

#[tokio::test]
async fn deletion_policy_retain_leaves_the_express_service_running() {
    let double = ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "3"]);
    let env = Env::against(&unique("express-retain"), &double.url).await;
    let name = unique("web");
    let retained = format!("{}  deletionPolicy: Retain\n", manifest("web", &name));
    env.apply::<EcsExpressService>(&retained).await;
    let ready_service = env
        .wait_for::<EcsExpressService>("web", WAIT, is_ready)
        .await;
    let arn = ready_service
        .status
        .and_then(|s| s.service_arn)
        .expect("an ARN");
    env.delete::<EcsExpressService>("web").await;
    env.wait_gone::<EcsExpressService>("web", WAIT).await;
    let kept = ecs_service(&env, &arn).await;
    assert_eq!(
        kept.status().and_then(|s| s.status_code()),
        Some(&ExpressGatewayServiceStatusCode::Active)
    );
}

/// An Express service applied before the EcsCluster it names waits for it (DependencyNotReady, retried after
/// 30 s), and is woken when the cluster changes: it is created and Ready within seconds of the cluster.
#[tokio::test]
async fn an_express_service_waiting_for_its_cluster_is_woken_when_the_cluster_is_ready() {
    let double = ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "1"]);
    let env = Env::against(&unique("express-wake"), &double.url).await;
    let (apps, name) = (unique("apps"), unique("web"));
    env.apply::<EcsExpressService>(&format!(
        "{}  clusterRef: {{name: apps}}\n",
        manifest("web", &name)
    ))
    .await;
    env.wait_for::<EcsExpressService>("web", WAIT, |s| {
        synced_false_with(s, "DependencyNotReady", "apps")
    })
    .await;
    env.apply::<ecs_bridge::api::EcsCluster>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: apps}}\nspec: {{clusterName: {apps}}}\n"
    ))
    .await;
    env.wait_for::<ecs_bridge::api::EcsCluster>("apps", WAIT, |c| {
        c.status
            .as_ref()
            .and_then(|s| condition(&s.conditions, "Ready"))
            .is_some_and(|r| r.status == "True")
    })
    .await;
    env.wait_for::<EcsExpressService>("web", Duration::from_secs(15), is_ready)
        .await;
}
