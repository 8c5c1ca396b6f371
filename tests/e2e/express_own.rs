//! `EcsExpressService` beyond the image: a `taskDefinitionRef` whose new revision is deployed, tags changed after
//! creation (a tag someone else added stays), a service created by a pass that ended before it recorded the ARN
//! (found again by name, not refused as a duplicate), the adoption of an existing Express service (never of one
//! another object owns), and a read-only object that observes one and changes nothing. All against the ECS test
//! double.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{ExpressGatewayContainer, Tag};
use ecs_bridge::api::common::{OWNER_TAG, UID_TAG};
use ecs_bridge::api::{EcsExpressService, TaskDefinition};
use kube::ResourceExt;
use serde_json::json;

use crate::capacity_provider::ready;
use crate::express_service::{WAIT, ecs_service, is_ready, manifest};
use crate::harness::{Env, condition, eventually_some, unique};

const EXECUTION_ROLE: &str = "arn:aws:iam::123456789012:role/ecs-bridge/web-execution";
const INFRASTRUCTURE_ROLE: &str = "arn:aws:iam::123456789012:role/ecs-bridge/web-infrastructure";

fn double() -> ecs_double::Running {
    ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "3"])
}

/// The service's tags as ECS reports them.
async fn ecs_tags(env: &Env, arn: &str) -> BTreeMap<String, String> {
    let out = env
        .ecs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .expect("ListTagsForResource");
    out.tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// An Express service created outside Kubernetes (tagged `made-by: console`); its ARN.
async fn created_outside(env: &Env, name: &str) -> String {
    let existing = env
        .ecs
        .create_express_gateway_service()
        .service_name(name)
        .execution_role_arn(EXECUTION_ROLE)
        .infrastructure_role_arn(INFRASTRUCTURE_ROLE)
        .primary_container(
            ExpressGatewayContainer::builder()
                .image("public.ecr.aws/nginx/nginx:1.27")
                .container_port(8080)
                .build()
                .expect("a container"),
        )
        .tags(Tag::builder().key("made-by").value("console").build())
        .send()
        .await
        .expect("CreateExpressGatewayService outside Kubernetes");
    existing
        .service
        .and_then(|s| s.service_arn)
        .expect("an ARN")
}

fn synced_false(service: &EcsExpressService, reason: &str) -> bool {
    service
        .status
        .as_ref()
        .and_then(|st| condition(&st.conditions, "Synced"))
        .is_some_and(|c| c.status == "False" && c.reason == reason)
}

#[tokio::test]
async fn a_task_definition_ref_is_followed_to_its_newest_revision() {
    let double = double();
    let env = Env::against(&unique("express-td"), &double.url).await;
    let family = unique("web");
    let td = |image: &str| {
        format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n  family: {family}\n  \
             requiresCompatibilities: [FARGATE]\n  networkMode: awsvpc\n  cpu: \"256\"\n  memory: \"512\"\n  \
             executionRoleArn: {EXECUTION_ROLE}\n  containerDefinitions:\n  - name: Main\n    image: {image}\n    \
             portMappings: [{{containerPort: 8080, name: http}}]\n"
        )
    };
    env.apply::<TaskDefinition>(&td("nginx:1.27")).await;
    let first = env
        .wait_for::<TaskDefinition>("web", WAIT, |t| {
            ready(t.status.as_ref().map(|s| &s.conditions[..]), t)
        })
        .await;
    let first_arn = first.status.and_then(|s| s.latest_arn).expect("a revision");
    let name = unique("web");
    env.apply::<EcsExpressService>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsExpressService\nmetadata: {{name: web}}\nspec:\n  \
         serviceName: {name}\n  taskDefinitionRef: {{name: web}}\n  infrastructureRoleArn: {INFRASTRUCTURE_ROLE}\n"
    ))
    .await;
    let running = env
        .wait_for::<EcsExpressService>("web", WAIT, is_ready)
        .await;
    let status = running.status.expect("a status");
    assert_eq!(
        status.task_definition_arn.as_deref(),
        Some(first_arn.as_str())
    );
    let arn = status.service_arn.expect("an ARN");

    env.patch::<TaskDefinition>(
        "web",
        json!({"spec": {"containerDefinitions": [{"name": "Main", "image": "nginx:1.28",
            "portMappings": [{"containerPort": 8080, "name": "http"}]}]}}),
    )
    .await;
    let second = env
        .wait_for::<TaskDefinition>("web", WAIT, |t| {
            t.status.as_ref().and_then(|s| s.latest_arn.as_deref()) != Some(first_arn.as_str())
                && ready(t.status.as_ref().map(|s| &s.conditions[..]), t)
        })
        .await;
    let second_arn = second
        .status
        .and_then(|s| s.latest_arn)
        .expect("a revision");
    let followed = env
        .wait_for::<EcsExpressService>("web", WAIT, |s| {
            is_ready(s)
                && s.status
                    .as_ref()
                    .and_then(|st| st.task_definition_arn.as_deref())
                    == Some(second_arn.as_str())
        })
        .await;
    assert_eq!(
        followed.status.and_then(|s| s.service_arn),
        Some(arn.clone())
    );
    let described = ecs_service(&env, &arn).await;
    let configurations = described.active_configurations();
    assert_eq!(configurations.len(), 1, "{configurations:?}");
    assert_eq!(
        configurations[0].task_definition_arn(),
        Some(second_arn.as_str())
    );
    env.delete::<EcsExpressService>("web").await;
    env.wait_gone::<EcsExpressService>("web", WAIT).await;
}

#[tokio::test]
async fn tag_changes_reach_ecs_and_a_tag_someone_else_added_stays() {
    let double = double();
    let env = Env::against(&unique("express-tags"), &double.url).await;
    let name = unique("web");
    let tagged = manifest("web", &name) + "  tags: {team: web, stage: dev}\n";
    env.apply::<EcsExpressService>(&tagged).await;
    let running = env
        .wait_for::<EcsExpressService>("web", WAIT, is_ready)
        .await;
    let arn = running.status.and_then(|s| s.service_arn).expect("an ARN");
    let before = ecs_tags(&env, &arn).await;
    assert_eq!(before.get("stage").map(String::as_str), Some("dev"));
    env.ecs
        .tag_resource()
        .resource_arn(&arn)
        .tags(Tag::builder().key("cost-center").value("42").build())
        .send()
        .await
        .expect("TagResource by someone else");

    env.patch::<EcsExpressService>(
        "web",
        json!({"spec": {"tags": {"team": "payments", "stage": null}}}),
    )
    .await;
    let tags = eventually_some(WAIT, "the new tags in ECS", || async {
        let tags = ecs_tags(&env, &arn).await;
        (tags.get("team").map(String::as_str) == Some("payments") && !tags.contains_key("stage"))
            .then_some(tags)
    })
    .await;
    assert_eq!(
        tags.get("cost-center").map(String::as_str),
        Some("42"),
        "{tags:?}"
    );
    assert!(
        tags.contains_key(UID_TAG) && tags.contains_key(OWNER_TAG),
        "{tags:?}"
    );
    env.delete::<EcsExpressService>("web").await;
    env.wait_gone::<EcsExpressService>("web", WAIT).await;
}

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
