//! `ecsbridge.dev/read-only: "true"`: an object that only observes. It shows the ECS object of its name and where
//! ECS differs from its spec, never writes to AWS (not even tags, not on deletion), reports a missing ECS object as
//! NotFound, and once the annotation goes it is managed under the adoption rules.

use std::time::Duration;

use aws_sdk_ecs::types::{ClusterSetting, ClusterSettingName, Tag};
use ecs_bridge::api::EcsCluster;
use serde_json::json;

use crate::cluster::{ecs_cluster, tags_of};
use crate::harness::{Env, condition, unique};

const WAIT: Duration = Duration::from_secs(60);

fn read_only_yaml(ecs_name: &str, annotations: &str) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata:\n  name: main\n  annotations: {{{annotations}}}\n\
         spec:\n  clusterName: {ecs_name}\n  settings: [{{name: containerInsights, value: disabled}}]\n  tags: {{team: web}}\n"
    )
}

fn shows(cluster: &EcsCluster, type_: &str, status: &str, reason: &str) -> bool {
    cluster.status.as_ref().is_some_and(|s| {
        condition(&s.conditions, type_).is_some_and(|c| {
            c.status == status
                && c.reason == reason
                && c.observed_generation == cluster.metadata.generation
        })
    })
}

fn drift_paths(cluster: &EcsCluster) -> Vec<String> {
    let status = cluster.status.as_ref().unwrap();
    status.drift.iter().map(|d| d.path.clone()).collect()
}

#[tokio::test]
async fn a_read_only_cluster_shows_ecs_and_its_drift_and_never_writes() {
    let env = Env::new("read-only").await;
    let ecs_name = unique("ro");
    env.ecs
        .create_cluster()
        .cluster_name(&ecs_name)
        .settings(
            ClusterSetting::builder()
                .name(ClusterSettingName::ContainerInsights)
                .value("enabled")
                .build(),
        )
        .tags(Tag::builder().key("team").value("ops").build())
        .send()
        .await
        .expect("a cluster made outside Kubernetes");

    env.apply::<EcsCluster>(&read_only_yaml(
        &ecs_name,
        "ecsbridge.dev/read-only: \"true\"",
    ))
    .await;
    let seen = env
        .wait_for::<EcsCluster>("main", WAIT, |c| {
            shows(c, "InSync", "False", "Drifted") && shows(c, "Ready", "True", "Active")
        })
        .await;
    assert!(shows(&seen, "Synced", "True", "Observed"));
    assert_eq!(
        drift_paths(&seen),
        ["spec.settings.containerInsights", "spec.tags.team"]
    );
    let drift = &seen.status.as_ref().unwrap().drift;
    assert_eq!(
        (drift[0].spec.as_str(), drift[0].ecs.as_str()),
        ("\"disabled\"", "\"enabled\"")
    );
    assert!(
        seen.status
            .as_ref()
            .unwrap()
            .arn
            .as_deref()
            .is_some_and(|a| a.ends_with(&ecs_name))
    );

    let insights = |cluster: aws_sdk_ecs::types::Cluster| {
        cluster
            .settings()
            .iter()
            .find_map(|s| s.value().map(str::to_owned))
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let still = insights(ecs_cluster(&env, &ecs_name).await.unwrap());
    assert_eq!(
        still.as_deref(),
        Some("enabled"),
        "the spec's setting is not applied"
    );

    // Out of band, ECS comes to the spec's setting: that drift goes, the tag's stays; nothing was written.
    env.ecs
        .update_cluster()
        .cluster(&ecs_name)
        .settings(
            ClusterSetting::builder()
                .name(ClusterSettingName::ContainerInsights)
                .value("disabled")
                .build(),
        )
        .send()
        .await
        .expect("update settings");
    env.patch::<EcsCluster>(
        "main",
        json!({"metadata": {"annotations": {"e2e/poke": "1"}}}),
    )
    .await;
    let later = env
        .wait_for::<EcsCluster>("main", WAIT, |c| drift_paths(c) == ["spec.tags.team"])
        .await;
    assert!(shows(&later, "InSync", "False", "Drifted"));
    let tags = tags_of(&ecs_cluster(&env, &ecs_name).await.unwrap());
    assert_eq!(
        tags.get("team").map(String::as_str),
        Some("ops"),
        "the spec's tag is not written"
    );
    assert!(
        !tags.contains_key("ecsbridge.dev/uid"),
        "no ownership tag on a read-only object: {tags:?}"
    );

    // Deleting it leaves ECS as it is.
    env.delete::<EcsCluster>("main").await;
    env.wait_gone::<EcsCluster>("main", WAIT).await;
    assert!(
        ecs_cluster(&env, &ecs_name).await.is_some(),
        "the ECS cluster stays"
    );
}

#[tokio::test]
async fn a_read_only_cluster_that_ecs_lacks_is_not_found_and_not_created() {
    let env = Env::new("read-only-missing").await;
    let ecs_name = unique("ro-missing");
    env.apply::<EcsCluster>(&read_only_yaml(
        &ecs_name,
        "ecsbridge.dev/read-only: \"true\"",
    ))
    .await;
    let missing = env
        .wait_for::<EcsCluster>("main", WAIT, |c| shows(c, "Synced", "False", "NotFound"))
        .await;
    assert!(shows(&missing, "Ready", "False", "NotFound"));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        ecs_cluster(&env, &ecs_name).await.is_none(),
        "nothing is created"
    );
}

#[tokio::test]
async fn dropping_read_only_hands_the_cluster_over_by_the_adoption_rules() {
    let env = Env::new("read-only-handover").await;
    let ecs_name = unique("ro-hand");
    env.ecs
        .create_cluster()
        .cluster_name(&ecs_name)
        .send()
        .await
        .expect("create");
    env.apply::<EcsCluster>(&read_only_yaml(
        &ecs_name,
        "ecsbridge.dev/read-only: \"true\"",
    ))
    .await;
    env.wait_for::<EcsCluster>("main", WAIT, |c| shows(c, "Synced", "True", "Observed"))
        .await;

    // Without the adopt annotation, a cluster that is not ours stays someone else's.
    env.apply::<EcsCluster>(&read_only_yaml(&ecs_name, ""))
        .await;
    env.wait_for::<EcsCluster>("main", WAIT, |c| {
        shows(c, "Synced", "False", "AlreadyExists")
    })
    .await;
    assert!(
        !tags_of(&ecs_cluster(&env, &ecs_name).await.unwrap()).contains_key("ecsbridge.dev/uid")
    );

    // With it, the cluster is adopted and brought to the spec.
    env.apply::<EcsCluster>(&read_only_yaml(&ecs_name, "ecsbridge.dev/adopt: \"true\""))
        .await;
    env.wait_for::<EcsCluster>("main", WAIT, |c| {
        shows(c, "Ready", "True", "Active") && shows(c, "Synced", "True", "Applied")
    })
    .await;
    let tags = tags_of(&ecs_cluster(&env, &ecs_name).await.unwrap());
    assert_eq!(tags.get("team").map(String::as_str), Some("web"));
    assert!(tags.contains_key("ecsbridge.dev/uid"));
}

#[tokio::test]
async fn a_read_only_task_definition_shows_the_latest_revision_and_its_drift() {
    let env = Env::new("read-only-td").await;
    let family = unique("ro-td");
    env.ecs
        .register_task_definition()
        .family(&family)
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("web")
                .image("nginx:1.27")
                .memory(256)
                .build(),
        )
        .send()
        .await
        .expect("a revision registered outside Kubernetes");
    let mut spec = crate::task_definition::web_spec("nginx:1.28", json!([]));
    spec["containerDefinitions"][0]["memory"] = json!(256);
    let mut manifest: serde_json::Value =
        serde_yaml::from_str(&crate::task_definition::manifest("web", &family, spec)).unwrap();
    manifest["metadata"]["annotations"] = json!({"ecsbridge.dev/read-only": "true"});
    env.apply::<ecs_bridge::api::TaskDefinition>(&serde_yaml::to_string(&manifest).unwrap())
        .await;
    let seen = env
        .wait_for::<ecs_bridge::api::TaskDefinition>("web", WAIT, |t| {
            t.status.as_ref().is_some_and(|s| {
                condition(&s.conditions, "InSync").is_some_and(|c| c.status == "False")
            })
        })
        .await;
    let status = seen.status.unwrap();
    assert_eq!(status.revision, Some(1));
    let paths: Vec<&str> = status.drift.iter().map(|d| d.path.as_str()).collect();
    assert!(paths.contains(&"spec.containerDefinitions"), "{paths:?}");
    let revisions = env
        .ecs
        .list_task_definitions()
        .family_prefix(&family)
        .send()
        .await
        .unwrap();
    assert_eq!(
        revisions.task_definition_arns().len(),
        1,
        "no revision registered"
    );
}
