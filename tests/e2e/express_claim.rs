//! Whose Express service it is, against the ECS test double: a service created by a pass that ended before it
//! recorded the ARN is found again by name (not refused as a duplicate) and deleted with the object; an existing
//! Express service is adopted (never one another object owns); an ordinary ECS service of the name is refused; a
//! read-only object observes one and changes nothing.

use aws_sdk_ecs::types::{ExpressGatewayContainer, Tag};
use ecs_bridge::api::EcsExpressService;
use ecs_bridge::api::common::{OWNER_TAG, UID_TAG};
use kube::ResourceExt;
use serde_json::json;

use crate::express_own::{
    EXECUTION_ROLE, INFRASTRUCTURE_ROLE, created_outside, double, ecs_tags, synced_false,
};
use crate::express_service::{WAIT, ecs_service, is_ready, manifest};
use crate::harness::{Env, condition, unique};

#[tokio::test]
async fn a_service_created_before_a_crash_is_found_by_name_not_refused() {
    let double = double();
    let mut env = Env::against(&unique("express-crash"), &double.url).await;
    env.stop_operator();
    let name = unique("web");
    let object = env
        .apply::<EcsExpressService>(&manifest("web", &name))
        .await;
    // What the operator's create sends, answered by ECS, with the pass ending before the ARN is recorded.
    let owner = format!("{}/web", env.namespace);
    let created = env
        .ecs
        .create_express_gateway_service()
        .service_name(&name)
        .execution_role_arn(EXECUTION_ROLE)
        .infrastructure_role_arn(INFRASTRUCTURE_ROLE)
        .primary_container(
            ExpressGatewayContainer::builder()
                .image("public.ecr.aws/nginx/nginx:1.27")
                .container_port(8080)
                .build()
                .expect("a container"),
        )
        .tags(Tag::builder().key(OWNER_TAG).value(owner).build())
        .tags(
            Tag::builder()
                .key(UID_TAG)
                .value(object.uid().expect("a uid"))
                .build(),
        )
        .send()
        .await
        .expect("CreateExpressGatewayService");
    let arn = created.service.and_then(|s| s.service_arn).expect("an ARN");

    env.start_operator().await;
    let found = env
        .wait_for::<EcsExpressService>("web", WAIT, |s| {
            is_ready(s) || synced_false(s, "AlreadyExists")
        })
        .await;
    assert!(
        is_ready(&found),
        "refused its own service: {:?}",
        found.status
    );
    assert_eq!(found.status.and_then(|s| s.service_arn), Some(arn));
    env.wait_event("web", "Warning", "Found", WAIT).await;
    let reasons = env.event_reasons("web").await;
    assert!(
        !reasons.iter().any(|(_, reason)| reason == "Created"),
        "{reasons:?}"
    );
    env.delete::<EcsExpressService>("web").await;
    env.wait_gone::<EcsExpressService>("web", WAIT).await;
}

#[tokio::test]
async fn an_existing_express_service_is_adopted_but_never_one_another_object_owns() {
    let double = double();
    let env = Env::against(&unique("express-adopt"), &double.url).await;
    let name = unique("web");
    let arn = created_outside(&env, &name).await;

    let without = manifest("web", &name);
    env.apply::<EcsExpressService>(&without).await;
    env.wait_for::<EcsExpressService>("web", WAIT, |s| synced_false(s, "AlreadyExists"))
        .await;
    let untouched = ecs_tags(&env, &arn).await;
    assert!(!untouched.contains_key(UID_TAG), "{untouched:?}");

    let adopting = without.replace(
        "metadata: {name: web}",
        "metadata: {name: web, annotations: {ecsbridge.dev/adopt: \"true\"}}",
    );
    env.apply::<EcsExpressService>(&adopting).await;
    let adopted = env
        .wait_for::<EcsExpressService>("web", WAIT, is_ready)
        .await;
    let status = adopted.status.clone().expect("a status");
    assert_eq!(status.service_arn.as_deref(), Some(arn.as_str()));
    assert!(status.adopted_at.is_some(), "{status:?}");
    let tags = ecs_tags(&env, &arn).await;
    assert_eq!(tags.get(UID_TAG), adopted.uid().as_ref(), "{tags:?}");
    assert_eq!(tags.get("made-by").map(String::as_str), Some("console"));

    let thief = adopting.replace("name: web,", "name: thief,");
    env.apply::<EcsExpressService>(&thief).await;
    let refused = env
        .wait_for::<EcsExpressService>("thief", WAIT, |s| synced_false(s, "OwnedByAnother"))
        .await;
    assert_eq!(refused.status.and_then(|s| s.service_arn), None);
    env.delete::<EcsExpressService>("thief").await;
    env.wait_gone::<EcsExpressService>("thief", WAIT).await;
    let kept = ecs_tags(&env, &arn).await;
    assert_eq!(kept.get(UID_TAG), adopted.uid().as_ref(), "{kept:?}");
    env.delete::<EcsExpressService>("web").await;
    env.wait_gone::<EcsExpressService>("web", WAIT).await;
}

#[tokio::test]
async fn a_read_only_object_observes_an_express_service_and_changes_nothing() {
    let double = double();
    // A read-only object is looked at again on the drift interval: the endpoint appears after creation.
    let env = Env::against_with_drift_interval(
        &unique("express-watch"),
        &double.url,
        std::time::Duration::from_secs(2),
    )
    .await;
    let name = unique("web");
    let arn = created_outside(&env, &name).await;
    let watching = format!("{}  cpu: \"512\"\n", manifest("watch", &name)).replace(
        "metadata: {name: watch}",
        "metadata: {name: watch, annotations: {ecsbridge.dev/read-only: \"true\"}}",
    );
    env.apply::<EcsExpressService>(&watching).await;
    let watched = env
        .wait_for::<EcsExpressService>("watch", WAIT, |s| {
            is_ready(s) && s.status.as_ref().is_some_and(|st| !st.drift.is_empty())
        })
        .await;
    let status = watched.status.expect("a status");
    assert_eq!(status.service_arn.as_deref(), Some(arn.as_str()));
    assert!(
        status.drift.iter().any(|d| d.path == "spec.cpu"),
        "{:?}",
        status.drift
    );
    let described = ecs_service(&env, &arn).await;
    assert_eq!(described.active_configurations().len(), 1, "no update sent");
    assert_ne!(described.active_configurations()[0].cpu(), Some("512"));
    let tags = ecs_tags(&env, &arn).await;
    assert!(!tags.contains_key(UID_TAG), "not tagged: {tags:?}");

    env.delete::<EcsExpressService>("watch").await;
    env.wait_gone::<EcsExpressService>("watch", WAIT).await;
    let kept = ecs_service(&env, &arn).await;
    assert_eq!(
        kept.status().and_then(|s| s.status_code()),
        Some(&aws_sdk_ecs::types::ExpressGatewayServiceStatusCode::Active)
    );
}

#[tokio::test]
async fn deleting_an_object_whose_arn_was_never_recorded_deletes_its_service() {
    let double = double();
    let mut env = Env::against(&unique("express-crash-delete"), &double.url).await;
    let name = unique("web");
    env.apply::<EcsExpressService>(&manifest("web", &name))
        .await;
    let running = env
        .wait_for::<EcsExpressService>("web", WAIT, is_ready)
        .await;
    let arn = running.status.and_then(|s| s.service_arn).expect("an ARN");
    // The state a crash right after CreateExpressGatewayService leaves: the service exists, no ARN is recorded.
    env.stop_operator();
    env.api::<EcsExpressService>()
        .patch_status(
            "web",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(json!({"status": {"serviceArn": null}})),
        )
        .await
        .expect("drop the recorded ARN");
    env.delete::<EcsExpressService>("web").await;
    env.start_operator().await;
    env.wait_gone::<EcsExpressService>("web", WAIT).await;
    let left = ecs_service(&env, &arn).await;
    assert_ne!(
        left.status().and_then(|s| s.status_code()),
        Some(&aws_sdk_ecs::types::ExpressGatewayServiceStatusCode::Active),
        "the service was left running: {left:?}"
    );
}

#[tokio::test]
async fn an_ordinary_service_of_the_name_is_refused_and_never_adopted() {
    let double = double();
    let env = Env::against(&unique("express-ordinary"), &double.url).await;
    let name = unique("web");
    env.ecs
        .create_cluster()
        .cluster_name("default")
        .send()
        .await
        .expect("CreateCluster");
    let family = unique("app");
    env.ecs
        .register_task_definition()
        .family(&family)
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("app")
                .image("nginx")
                .memory(128)
                .build(),
        )
        .send()
        .await
        .expect("RegisterTaskDefinition");
    let ordinary = env
        .ecs
        .create_service()
        .service_name(&name)
        .task_definition(&family)
        .desired_count(0)
        .send()
        .await
        .expect("CreateService")
        .service
        .and_then(|s| s.service_arn)
        .expect("an ARN");
    let adopting = manifest("web", &name).replace(
        "metadata: {name: web}",
        "metadata: {name: web, annotations: {ecsbridge.dev/adopt: \"true\"}}",
    );
    env.apply::<EcsExpressService>(&adopting).await;
    let refused = env
        .wait_for::<EcsExpressService>("web", WAIT, |s| synced_false(s, "AlreadyExists"))
        .await;
    let message = refused
        .status
        .as_ref()
        .and_then(|st| condition(&st.conditions, "Synced"))
        .map(|c| c.message.clone())
        .unwrap_or_default();
    assert!(message.contains("not an Express service"), "{message}");
    assert_eq!(refused.status.and_then(|s| s.service_arn), None);
    assert!(!ecs_tags(&env, &ordinary).await.contains_key(UID_TAG));
    env.delete::<EcsExpressService>("web").await;
    env.wait_gone::<EcsExpressService>("web", WAIT).await;
    let kept = env
        .ecs
        .describe_services()
        .services(&name)
        .send()
        .await
        .expect("DescribeServices");
    assert_eq!(
        kept.services().first().and_then(|s| s.status()),
        Some("ACTIVE")
    );
}
