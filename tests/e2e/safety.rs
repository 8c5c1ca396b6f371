//! Safety end to end: no takeover of what another live object owns, tags of others survive drift checks, and
//! a cluster is not deleted (nor its finalizer dropped) while ECS still runs services on it.

use std::time::Duration;

use aws_sdk_ecs::types::{ContainerDefinition, Tag};
use ecs_bridge::api::{EcsCluster, EcsService, TaskDefinition};

use crate::cluster::{ecs_cluster, is_ready, manifest, tags_of};
use crate::harness::{Env, condition, eventually, unique};
use crate::service::{condition_of, converge, ecs_service, task_definition_yaml};

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn another_namespace_cannot_adopt_what_a_live_object_owns() {
    let owner = Env::new("owner").await;
    let (cluster, family, service) = (unique("c"), unique("td"), unique("svc"));
    let ready = converge(&owner, &cluster, &family, &service, "  tags: {team: web}\n").await;
    let uid = ready.metadata.uid.clone().unwrap();

    let thief = Env::new("thief").await;
    let takeover = format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata:\n  name: web\n  annotations: {{ecsbridge.dev/adopt: \"true\"}}\nspec:\n  serviceName: {service}\n  cluster: {cluster}\n  taskDefinition: {family}\n  desiredCount: 7\n  launchType: EC2\n  tags: {{team: thief}}\n"
    );
    thief.apply::<EcsService>(&takeover).await;
    let refused = thief
        .wait_for::<EcsService>("web", WAIT, |s| {
            condition_of(s, "Synced").is_some_and(|c| c.0 == "False" && c.1 == "OwnedByAnother")
        })
        .await;
    let message = condition_of(&refused, "Synced").unwrap().2;
    assert!(
        message.contains(&format!("{}/web", owner.namespace)),
        "the message names the owner: {message}"
    );
    thief
        .wait_event("web", "Warning", "OwnedByAnother", WAIT)
        .await;

    let cluster_takeover = format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata:\n  name: main\n  annotations: {{ecsbridge.dev/adopt: \"true\"}}\nspec:\n  clusterName: {cluster}\n  tags: {{team: thief}}\n"
    );
    thief.apply::<EcsCluster>(&cluster_takeover).await;
    thief
        .wait_for::<EcsCluster>("main", WAIT, |c| {
            c.status.as_ref().is_some_and(|s| {
                condition(&s.conditions, "Synced").is_some_and(|c| c.reason == "OwnedByAnother")
            })
        })
        .await;

    // A task definition family another live object owns is not adopted either, and gets no revision from here.
    let family_takeover = task_definition_yaml(&family, "thief:1").replace(
        "metadata: {name: web}",
        "metadata: {name: web, annotations: {ecsbridge.dev/adopt: \"true\"}}",
    );
    thief.apply::<TaskDefinition>(&family_takeover).await;
    thief
        .wait_for::<TaskDefinition>("web", WAIT, |t| {
            t.status.as_ref().is_some_and(|s| {
                condition(&s.conditions, "Synced").is_some_and(|c| c.reason == "OwnedByAnother")
            })
        })
        .await;
    let revisions = owner
        .ecs
        .list_task_definitions()
        .family_prefix(&family)
        .send()
        .await
        .unwrap();
    assert_eq!(
        revisions.task_definition_arns().len(),
        1,
        "no revision registered by the thief"
    );

    let ecs = ecs_service(&owner, &cluster, &service).await.unwrap();
    assert_eq!(ecs.desired_count(), 2, "the owner's count is kept");
    let tag = |key: &str| {
        ecs.tags()
            .iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value())
            .map(str::to_owned)
    };
    assert_eq!(tag("ecsbridge.dev/uid"), Some(uid));
    assert_eq!(tag("team").as_deref(), Some("web"));
    let cluster_tags = tags_of(&ecs_cluster(&owner, &cluster).await.unwrap());
    assert_eq!(
        cluster_tags.get("ecsbridge.dev/owner"),
        Some(&format!("{}/main", owner.namespace))
    );
    assert!(
        !cluster_tags.values().any(|v| v == "thief"),
        "{cluster_tags:?}"
    );
}

#[tokio::test]
async fn a_tag_added_outside_kubernetes_survives_drift_checks() {
    let env = Env::with_drift_interval("foreign-tag", Duration::from_secs(2)).await;
    let ecs_name = unique("tagged");
    env.apply::<EcsCluster>(&manifest(
        "tagged",
        &ecs_name,
        "  settings: [{name: containerInsights, value: enabled}]\n  tags: {team: web, cost: a}\n",
    ))
    .await;
    env.wait_for::<EcsCluster>("tagged", WAIT, is_ready).await;
    let arn = ecs_cluster(&env, &ecs_name)
        .await
        .unwrap()
        .cluster_arn()
        .unwrap()
        .to_owned();
    env.ecs
        .tag_resource()
        .resource_arn(&arn)
        .tags(Tag::builder().key("cost-center").value("finance").build())
        .send()
        .await
        .expect("tag outside Kubernetes");

    // A drift check runs: a setting changed behind the operator's back is restored.
    env.ecs
        .update_cluster()
        .cluster(&ecs_name)
        .settings(
            aws_sdk_ecs::types::ClusterSetting::builder()
                .name(aws_sdk_ecs::types::ClusterSettingName::ContainerInsights)
                .value("disabled")
                .build(),
        )
        .send()
        .await
        .expect("change a setting outside Kubernetes");
    env.wait_event("tagged", "Warning", "DriftRepaired", WAIT)
        .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let tags = tags_of(&ecs_cluster(&env, &ecs_name).await.unwrap());
    assert_eq!(tags.get("cost-center").map(String::as_str), Some("finance"));

    // A tag the operator applied is still removed when the spec drops it.
    env.apply::<EcsCluster>(&manifest("tagged", &ecs_name, "  tags: {team: web}\n"))
        .await;
    eventually(WAIT, "the dropped spec tag to be removed", || async {
        let tags = tags_of(&ecs_cluster(&env, &ecs_name).await.unwrap());
        !tags.contains_key("cost") && tags.contains_key("cost-center")
    })
    .await;
}

#[tokio::test]
async fn deleting_a_cluster_waits_for_an_unmanaged_service_and_says_why() {
    let env = Env::new("cluster-leak").await;
    let ecs_name = unique("busy");
    env.apply::<EcsCluster>(&manifest("busy", &ecs_name, ""))
        .await;
    env.wait_for::<EcsCluster>("busy", WAIT, is_ready).await;
    let family = unique("legacy");
    env.ecs
        .register_task_definition()
        .family(&family)
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image("nginx")
                .memory(128)
                .build(),
        )
        .send()
        .await
        .expect("register a task definition outside Kubernetes");
    env.ecs
        .create_service()
        .cluster(&ecs_name)
        .service_name("legacy")
        .task_definition(&family)
        .desired_count(0)
        .send()
        .await
        .expect("create a service outside Kubernetes");

    env.delete::<EcsCluster>("busy").await;
    let waiting = env
        .wait_for::<EcsCluster>("busy", WAIT, |c| {
            c.status.as_ref().is_some_and(|s| {
                condition(&s.conditions, "Ready")
                    .is_some_and(|r| r.reason == "Deleting" && r.message.contains("legacy"))
            })
        })
        .await;
    let message = condition(&waiting.status.unwrap().conditions, "Ready")
        .unwrap()
        .message
        .clone();
    assert!(message.contains(&ecs_name), "names the cluster: {message}");
    assert!(
        ecs_cluster(&env, &ecs_name).await.is_some(),
        "the ECS cluster is kept while a service runs on it"
    );

    env.ecs
        .delete_service()
        .cluster(&ecs_name)
        .service("legacy")
        .force(true)
        .send()
        .await
        .expect("delete the service outside Kubernetes");
    env.wait_gone::<EcsCluster>("busy", WAIT).await;
    assert!(ecs_cluster(&env, &ecs_name).await.is_none());
}
