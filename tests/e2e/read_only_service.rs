//! `ecsbridge.dev/read-only: "true"` on EcsService, against the ECS test double (whose call counters show every
//! write): a service made by someone else (through the SDK), with a read-only cluster and task definition, is Ready
//! and InSync with its status filled and not one write call; an out-of-band change shows in `status.drift` and
//! stays; deleting the objects leaves ECS as it is; a missing one is NotFound; dropping the annotation (with adopt)
//! hands it over.

use std::time::Duration;

use aws_sdk_ecs::types::{ContainerDefinition, LaunchType, Tag};
use ecs_bridge::api::{EcsCluster, EcsService, TaskDefinition};
use kube::Resource;
use serde_json::Value;

use crate::harness::{Env, condition, eventually, unique};

pub(crate) const WAIT: Duration = Duration::from_secs(60);
pub(crate) const DRIFT_INTERVAL: Duration = Duration::from_secs(2);

/// Calls that change something in AWS (ECS and Application Auto Scaling), from the double's counters.
pub(crate) fn write_calls(double: &ecs_double::Running) -> u64 {
    let out = std::process::Command::new("curl")
        .args(["-sf", &format!("{}/_double/stats", double.url)])
        .output()
        .unwrap();
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    let writes = [
        "Create",
        "Update",
        "Delete",
        "Tag",
        "Untag",
        "Register",
        "Deregister",
        "Put",
        "Run",
        "Start",
        "Stop",
        "Submit",
    ];
    stats["calls"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(op, _)| writes.iter().any(|w| op.starts_with(w)))
        .map(|(_, n)| n.as_u64().unwrap_or(0))
        .sum()
}

pub(crate) fn annotated(annotations: &str) -> String {
    format!("  annotations: {{{annotations}}}\n")
}

pub(crate) const READ_ONLY: &str = "ecsbridge.dev/read-only: \"true\"";

/// A cluster, revisions 1 (`app:1`) and 2 (`app:2`) of a family, and a service of two tasks running revision 1,
/// all made through the SDK; returns once ECS reports the service's deployment completed.
async fn someone_elses_service(env: &Env, cluster: &str, family: &str, service: &str) {
    env.ecs
        .create_cluster()
        .cluster_name(cluster)
        .send()
        .await
        .expect("create cluster");
    for image in ["app:1", "app:2"] {
        env.ecs
            .register_task_definition()
            .family(family)
            .container_definitions(
                ContainerDefinition::builder()
                    .name("web")
                    .image(image)
                    .memory(256)
                    .build(),
            )
            .send()
            .await
            .expect("register a revision");
    }
    env.ecs
        .create_service()
        .cluster(cluster)
        .service_name(service)
        .task_definition(format!("{family}:1"))
        .desired_count(2)
        .launch_type(LaunchType::Ec2)
        .tags(Tag::builder().key("team").value("web").build())
        .send()
        .await
        .expect("create service");
    eventually(WAIT, "the service's deployment to complete", || async {
        let svc = ecs_service(env, cluster, service).await;
        svc.running_count() == 2
            && svc
                .deployments()
                .iter()
                .all(|d| d.rollout_state().is_some_and(|s| s.as_str() == "COMPLETED"))
    })
    .await;
}

async fn ecs_service(env: &Env, cluster: &str, service: &str) -> aws_sdk_ecs::types::Service {
    let out = env
        .ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .include(aws_sdk_ecs::types::ServiceField::Tags)
        .send()
        .await
        .expect("describe services");
    out.services()[0].clone()
}

/// The read-only cluster and task definition (revision 1's content) the services refer to.
async fn observe_cluster_and_revision_1(env: &Env, cluster: &str, family: &str) {
    env.apply::<EcsCluster>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata:\n  name: main\n{}spec: {{clusterName: {cluster}}}\n",
        annotated(READ_ONLY)
    ))
    .await;
    env.apply::<TaskDefinition>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata:\n  name: web\n{}spec:\n  family: {family}\n  \
         containerDefinitions:\n  - {{name: web, image: \"app:1\", memory: 256}}\n",
        annotated(READ_ONLY)
    ))
    .await;
}

fn service_yaml(object: &str, service: &str, annotations: &str, desired_count: i32) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata:\n  name: {object}\n{}spec:\n  serviceName: {service}\n  \
         clusterRef: {{name: main}}\n  taskDefinitionRef: {{name: web}}\n  desiredCount: {desired_count}\n  launchType: EC2\n  \
         tags: {{team: web}}\n",
        annotated(annotations)
    )
}

pub(crate) fn shows<K: Resource>(
    obj: &K,
    conditions: Option<&[ecs_bridge::api::Condition]>,
    type_: &str,
    status: &str,
    reason: &str,
) -> bool {
    conditions
        .and_then(|c| condition(c, type_))
        .is_some_and(|c| {
            c.status == status
                && c.reason == reason
                && c.observed_generation == obj.meta().generation
        })
}

fn svc_shows(svc: &EcsService, type_: &str, status: &str, reason: &str) -> bool {
    let conditions = svc.status.as_ref().map(|s| s.conditions.as_slice());
    shows(svc, conditions, type_, status, reason)
}

pub(crate) fn drift_of(drift: &[ecs_bridge::api::common::Drift]) -> Vec<(String, String, String)> {
    drift
        .iter()
        .map(|d| (d.path.clone(), d.spec.clone(), d.ecs.clone()))
        .collect()
}

#[tokio::test]
async fn a_read_only_service_of_someone_else_is_ready_in_sync_and_never_written() {
    let double = ecs_double::spawn(&["--rollout-seconds", "1"]);
    let env =
        Env::against_with_drift_interval(&unique("ro-svc"), &double.url, DRIFT_INTERVAL).await;
    let (cluster, family, service) = (unique("c"), unique("td"), unique("svc"));
    someone_elses_service(&env, &cluster, &family, &service).await;
    let writes = write_calls(&double);

    observe_cluster_and_revision_1(&env, &cluster, &family).await;
    env.apply::<EcsService>(&service_yaml("web", &service, READ_ONLY, 2))
        .await;
    let seen = env
        .wait_for::<EcsService>("web", WAIT, |s| {
            svc_shows(s, "Ready", "True", "RolloutComplete")
                && svc_shows(s, "InSync", "True", "InSync")
        })
        .await;
    assert!(svc_shows(&seen, "Synced", "True", "Observed"));
    let status = seen.status.as_ref().unwrap();
    assert_eq!(status.running_count, Some(2));
    assert_eq!(status.desired_count, Some(2));
    assert_eq!(
        status.task_definition_revision.as_deref(),
        Some(format!("{family}:1").as_str()),
        "the revision ECS runs, though the family has a newer one"
    );
    assert!(!status.deployments.is_empty());
    assert!(status.arn.as_deref().is_some_and(|a| a.ends_with(&service)));
    let td = env.api::<TaskDefinition>().get("web").await.unwrap();
    assert_eq!(
        td.status.unwrap().revision,
        Some(1),
        "the revision that holds the spec"
    );
    assert_eq!(write_calls(&double), writes, "not one write call");

    // Out of band, the service is scaled: drift, not reverted.
    env.ecs
        .update_service()
        .cluster(&cluster)
        .service(&service)
        .desired_count(3)
        .send()
        .await
        .expect("scale out of band");
    let writes = write_calls(&double);
    let drifted = env
        .wait_for::<EcsService>("web", WAIT, |s| svc_shows(s, "InSync", "False", "Drifted"))
        .await;
    assert_eq!(
        drift_of(&drifted.status.as_ref().unwrap().drift),
        [(
            "spec.desiredCount".to_owned(),
            "2".to_owned(),
            "3".to_owned()
        )]
    );
    tokio::time::sleep(DRIFT_INTERVAL * 3).await;
    assert_eq!(
        ecs_service(&env, &cluster, &service).await.desired_count(),
        3
    );
    assert_eq!(write_calls(&double), writes, "nothing reverted");

    // Deleting the objects leaves ECS as it is.
    env.delete::<EcsService>("web").await;
    env.delete::<TaskDefinition>("web").await;
    env.delete::<EcsCluster>("main").await;
    env.wait_gone::<EcsService>("web", WAIT).await;
    env.wait_gone::<TaskDefinition>("web", WAIT).await;
    env.wait_gone::<EcsCluster>("main", WAIT).await;
    let svc = ecs_service(&env, &cluster, &service).await;
    assert_eq!(
        (svc.status(), svc.desired_count()),
        (Some("ACTIVE"), 3),
        "the service stays"
    );
    assert_eq!(write_calls(&double), writes, "no write on deletion");
    drop(double);
}

#[tokio::test]
async fn a_missing_read_only_service_is_not_found_and_dropping_read_only_hands_one_over() {
    let double = ecs_double::spawn(&["--rollout-seconds", "1"]);
    let env =
        Env::against_with_drift_interval(&unique("ro-hand"), &double.url, DRIFT_INTERVAL).await;
    let (cluster, family, service) = (unique("c"), unique("td"), unique("svc"));
    someone_elses_service(&env, &cluster, &family, &service).await;
    let writes = write_calls(&double);
    observe_cluster_and_revision_1(&env, &cluster, &family).await;

    env.apply::<EcsService>(&service_yaml("ghost", &unique("none"), READ_ONLY, 1))
        .await;
    let ghost = env
        .wait_for::<EcsService>("ghost", WAIT, |s| {
            svc_shows(s, "Synced", "False", "NotFound")
        })
        .await;
    assert!(svc_shows(&ghost, "Ready", "False", "NotFound"));

    // The spec wants three tasks; read-only, that is drift.
    env.apply::<EcsService>(&service_yaml("web", &service, READ_ONLY, 3))
        .await;
    env.wait_for::<EcsService>("web", WAIT, |s| svc_shows(s, "InSync", "False", "Drifted"))
        .await;
    assert_eq!(
        write_calls(&double),
        writes,
        "nothing created, nothing written"
    );

    // Without the adopt annotation, the service stays someone else's.
    env.apply::<EcsService>(&service_yaml("web", &service, "", 3))
        .await;
    env.wait_for::<EcsService>("web", WAIT, |s| {
        svc_shows(s, "Synced", "False", "AlreadyExists")
    })
    .await;
    assert_eq!(
        ecs_service(&env, &cluster, &service).await.desired_count(),
        2
    );

    // With it, the operator manages the service: the spec's count reaches ECS.
    env.apply::<EcsService>(&service_yaml(
        "web",
        &service,
        "ecsbridge.dev/adopt: \"true\"",
        3,
    ))
    .await;
    env.wait_for::<EcsService>("web", WAIT, |s| {
        svc_shows(s, "Synced", "True", "Applied")
            && svc_shows(s, "Ready", "True", "RolloutComplete")
    })
    .await;
    let svc = ecs_service(&env, &cluster, &service).await;
    assert_eq!(svc.desired_count(), 3);
    assert_eq!(
        svc.task_definition().and_then(|t| t.rsplit('/').next()),
        Some(format!("{family}:1").as_str()),
        "still the revision the read-only task definition observes"
    );
    assert!(
        svc.tags()
            .iter()
            .any(|t| t.key() == Some("ecsbridge.dev/uid")),
        "adopted: the ownership tag"
    );
    drop(double);
}
