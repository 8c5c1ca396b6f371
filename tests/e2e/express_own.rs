//! `EcsExpressService` beyond the image: a `taskDefinitionRef` whose new revision is deployed, and tags changed
//! after creation (a tag someone else added stays), against the ECS test double; the helpers `express_claim`
//! shares.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{ExpressGatewayContainer, Tag};
use ecs_bridge::api::common::{OWNER_TAG, UID_TAG};
use ecs_bridge::api::{EcsExpressService, TaskDefinition};
use serde_json::json;

use crate::capacity_provider::ready;
use crate::express_service::{WAIT, ecs_service, is_ready, manifest};
use crate::harness::{Env, condition, eventually_some, unique};

pub(crate) const EXECUTION_ROLE: &str = "arn:aws:iam::123456789012:role/ecs-bridge/web-execution";
pub(crate) const INFRASTRUCTURE_ROLE: &str =
    "arn:aws:iam::123456789012:role/ecs-bridge/web-infrastructure";

pub(crate) fn double() -> ecs_double::Running {
    ecs_double::spawn(&["--throttle", "off", "--rollout-seconds", "3"])
}

/// The service's tags as ECS reports them.
pub(crate) async fn ecs_tags(env: &Env, arn: &str) -> BTreeMap<String, String> {
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
pub(crate) async fn created_outside(env: &Env, name: &str) -> String {
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

pub(crate) fn synced_false(service: &EcsExpressService, reason: &str) -> bool {
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
