//! `EcsCluster` end to end: create, update, delete, retain, foreign clusters, adoption, drift, bad input.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ecs::types::{ClusterField, Tag};
use ecs_bridge::api::EcsCluster;
use serde_json::json;

use crate::harness::{Env, condition, eventually, unique};

const WAIT: Duration = Duration::from_secs(60);

pub(crate) fn manifest(name: &str, cluster_name: &str, extra: &str) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata:\n  name: {name}\nspec:\n  clusterName: {cluster_name}\n{extra}"
    )
}

pub(crate) fn is_ready(c: &EcsCluster) -> bool {
    c.status.as_ref().is_some_and(|s| {
        condition(&s.conditions, "Ready")
            .is_some_and(|r| r.status == "True" && r.observed_generation == c.metadata.generation)
    })
}

fn synced_reason(c: &EcsCluster) -> Option<String> {
    c.status
        .as_ref()
        .and_then(|s| condition(&s.conditions, "Synced"))
        .map(|s| s.reason.clone())
}

/// The cluster as ECS reports it (ACTIVE only), with tags and settings.
pub(crate) async fn ecs_cluster(env: &Env, name: &str) -> Option<aws_sdk_ecs::types::Cluster> {
    let out = env
        .ecs
        .describe_clusters()
        .clusters(name)
        .include(ClusterField::Tags)
        .include(ClusterField::Settings)
        .send()
        .await
        .expect("describe clusters");
    out.clusters()
        .iter()
        .find(|c| c.status() == Some("ACTIVE"))
        .cloned()
}

pub(crate) fn tags_of(cluster: &aws_sdk_ecs::types::Cluster) -> BTreeMap<String, String> {
    cluster
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn crds_are_established() {
    let env = Env::new("crds").await;
    let crds: kube::Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
        kube::Api::all(env.client.clone());
    for name in [
        "ecsclusters.ecsbridge.dev",
        "taskdefinitions.ecsbridge.dev",
        "ecsservices.ecsbridge.dev",
        "capacityproviders.ecsbridge.dev",
    ] {
        let crd = crds.get(name).await.expect("CRD is installed");
        let established = crd.status.and_then(|s| s.conditions).unwrap_or_default();
        assert!(
            established
                .iter()
                .any(|c| c.type_ == "Established" && c.status == "True"),
            "{name} not Established"
        );
        assert!(
            crd.spec
                .names
                .categories
                .unwrap_or_default()
                .contains(&"ecs".to_owned())
        );
    }
}

#[tokio::test]
async fn cluster_becomes_ready_with_ownership_and_user_tags_then_follows_changes() {
    let env = Env::new("cluster-life").await;
    let ecs_name = unique("life");
    let yaml = manifest(
        "web",
        &ecs_name,
        "  settings: [{name: containerInsights, value: enabled}]\n  tags: {team: web, cost: a}\n",
    );
    env.apply::<EcsCluster>(&yaml).await;
    let ready = env.wait_for::<EcsCluster>("web", WAIT, is_ready).await;

    let cluster = ecs_cluster(&env, &ecs_name)
        .await
        .expect("cluster exists in ECS");
    let tags = tags_of(&cluster);
    assert_eq!(tags["team"], "web");
    assert_eq!(
        tags["ecsbridge.dev/owner"],
        format!("{}/web", env.namespace)
    );
    assert_eq!(
        tags["ecsbridge.dev/uid"],
        ready.metadata.uid.clone().unwrap()
    );
    assert_eq!(
        ready.status.as_ref().unwrap().arn.as_deref(),
        cluster.cluster_arn()
    );
    env.wait_event("web", "Normal", "Created", WAIT).await;

    let changed = manifest(
        "web",
        &ecs_name,
        "  settings: [{name: containerInsights, value: disabled}]\n  tags: {team: api, owner: me}\n",
    );
    env.apply::<EcsCluster>(&changed).await;
    env.wait_for::<EcsCluster>("web", WAIT, is_ready).await;
    let cluster = ecs_cluster(&env, &ecs_name).await.unwrap();
    let tags = tags_of(&cluster);
    assert_eq!(tags.get("team").map(String::as_str), Some("api"));
    assert_eq!(tags.get("owner").map(String::as_str), Some("me"));
    assert!(
        !tags.contains_key("cost"),
        "a tag removed from the spec is removed in ECS: {tags:?}"
    );
    let insights = cluster
        .settings()
        .iter()
        .find(|s| s.name().map(|n| n.as_str()) == Some("containerInsights"));
    assert_eq!(insights.and_then(|s| s.value()), Some("disabled"));

    env.delete::<EcsCluster>("web").await;
    env.wait_gone::<EcsCluster>("web", WAIT).await;
    assert!(
        ecs_cluster(&env, &ecs_name).await.is_none(),
        "deletionPolicy Delete removes the ECS cluster"
    );
}

#[tokio::test]
async fn retain_leaves_the_cluster_in_ecs() {
    let env = Env::new("cluster-retain").await;
    let ecs_name = unique("retain");
    env.apply::<EcsCluster>(&manifest("keep", &ecs_name, "  deletionPolicy: Retain\n"))
        .await;
    env.wait_for::<EcsCluster>("keep", WAIT, is_ready).await;
    env.delete::<EcsCluster>("keep").await;
    env.wait_gone::<EcsCluster>("keep", WAIT).await;
    assert!(
        ecs_cluster(&env, &ecs_name).await.is_some(),
        "deletionPolicy Retain keeps the ECS cluster"
    );
}

#[tokio::test]
async fn a_foreign_cluster_is_untouched_until_adopted() {
    let env = Env::new("cluster-adopt").await;
    let ecs_name = unique("foreign");
    env.ecs
        .create_cluster()
        .cluster_name(&ecs_name)
        .tags(Tag::builder().key("made-by").value("terraform").build())
        .send()
        .await
        .expect("create foreign cluster");

    env.apply::<EcsCluster>(&manifest("taken", &ecs_name, "  tags: {team: web}\n"))
        .await;
    let refused = env
        .wait_for::<EcsCluster>("taken", WAIT, |c| {
            synced_reason(c).as_deref() == Some("AlreadyExists")
        })
        .await;
    let message = condition(&refused.status.unwrap().conditions, "Synced")
        .unwrap()
        .message
        .clone();
    assert!(
        message.contains("ecsbridge.dev/adopt"),
        "the message tells how to proceed: {message}"
    );
    env.wait_event("taken", "Warning", "AlreadyExists", WAIT)
        .await;
    let untouched = tags_of(&ecs_cluster(&env, &ecs_name).await.unwrap());
    assert_eq!(
        untouched,
        BTreeMap::from([("made-by".to_owned(), "terraform".to_owned())])
    );

    env.patch::<EcsCluster>(
        "taken",
        json!({"metadata": {"annotations": {"ecsbridge.dev/adopt": "true"}}}),
    )
    .await;
    let adopted = env.wait_for::<EcsCluster>("taken", WAIT, is_ready).await;
    let tags = tags_of(&ecs_cluster(&env, &ecs_name).await.unwrap());
    assert_eq!(tags.get("ecsbridge.dev/uid"), adopted.metadata.uid.as_ref());
    assert_eq!(tags.get("team").map(String::as_str), Some("web"));
    assert_eq!(
        tags.get("made-by").map(String::as_str),
        Some("terraform"),
        "adoption keeps the tags others put on the cluster"
    );
    assert!(
        adopted.status.as_ref().unwrap().adopted_at.is_some(),
        "status records the adoption"
    );
    env.wait_event("taken", "Normal", "Adopted", WAIT).await;
}

#[tokio::test]
async fn drift_check_recreates_a_cluster_deleted_outside_kubernetes() {
    let env = Env::with_drift_interval("cluster-drift", Duration::from_secs(2)).await;
    let ecs_name = unique("drift");
    env.apply::<EcsCluster>(&manifest(
        "drifty",
        &ecs_name,
        "  settings: [{name: containerInsights, value: enabled}]\n",
    ))
    .await;
    env.wait_for::<EcsCluster>("drifty", WAIT, is_ready).await;

    env.ecs
        .delete_cluster()
        .cluster(&ecs_name)
        .send()
        .await
        .expect("delete behind the operator's back");
    eventually(WAIT, "the cluster to be recreated", || async {
        ecs_cluster(&env, &ecs_name).await.is_some()
    })
    .await;
    env.wait_event("drifty", "Warning", "Recreated", WAIT).await;

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
        .expect("change a setting behind the operator's back");
    eventually(WAIT, "the setting to be restored", || async {
        let cluster = ecs_cluster(&env, &ecs_name).await.unwrap();
        cluster
            .settings()
            .iter()
            .any(|s| s.value() == Some("enabled"))
    })
    .await;
    env.wait_event("drifty", "Warning", "DriftRepaired", WAIT)
        .await;
}

#[tokio::test]
async fn invalid_spec_is_reported_without_any_aws_call() {
    let env = Env::new("cluster-invalid").await;
    let ecs_name = unique("invalid");
    let yaml = manifest(
        "broken",
        &ecs_name,
        "  configuration: {executeCommandConfiguration: {logging: OVERRIDE}}\n",
    );
    env.apply::<EcsCluster>(&yaml).await;
    let broken = env
        .wait_for::<EcsCluster>("broken", WAIT, |c| {
            synced_reason(c).as_deref() == Some("InvalidSpec")
        })
        .await;
    let synced = condition(&broken.status.as_ref().unwrap().conditions, "Synced")
        .unwrap()
        .clone();
    assert!(
        synced
            .message
            .contains("spec.configuration.executeCommandConfiguration.logConfiguration"),
        "{}",
        synced.message
    );
    assert_eq!(
        condition(&broken.status.unwrap().conditions, "Ready")
            .unwrap()
            .status,
        "False"
    );
    env.wait_event("broken", "Warning", "InvalidSpec", WAIT)
        .await;
    assert!(
        ecs_cluster(&env, &ecs_name).await.is_none(),
        "no cluster was created for an invalid spec"
    );

    let fixed = manifest(
        "broken",
        &ecs_name,
        "  configuration: {executeCommandConfiguration: {logging: DEFAULT}}\n",
    );
    env.apply::<EcsCluster>(&fixed).await;
    env.wait_for::<EcsCluster>("broken", WAIT, is_ready).await;
}

#[tokio::test]
async fn the_schema_rejects_what_it_can_express() {
    let env = Env::new("cluster-schema").await;
    let err = env
        .try_apply::<EcsCluster>(&manifest("bad", "not a valid name", ""))
        .await
        .expect_err("the API server refuses an invalid clusterName");
    let text = err.to_string();
    assert!(text.contains("spec.clusterName"), "{text}");
    let err = env
        .try_apply::<EcsCluster>(&manifest("bad", "ok", "  deletionPolicy: Sometimes\n"))
        .await
        .expect_err("the API server refuses an unknown deletionPolicy");
    assert!(err.to_string().contains("spec.deletionPolicy"), "{err}");
}
