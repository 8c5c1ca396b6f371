//! `EcsService` end to end: one manifest converges in any order, rollouts follow the task definition, scaling,
//! IgnoreChanges, restarts, deletion, and a cluster that waits for its services.

use std::time::Duration;

use ecs_bridge::api::common::FINALIZER;
use ecs_bridge::api::{EcsCluster, EcsService, TaskDefinition};
use kube::ResourceExt;
use kube::api::{Patch, PatchParams};
use serde_json::json;

use crate::harness::{Env, condition, eventually, unique};

const WAIT: Duration = Duration::from_secs(60);

fn cluster_yaml(ecs_name: &str) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: main}}\nspec: {{clusterName: {ecs_name}}}\n"
    )
}

pub(crate) fn task_definition_yaml(family: &str, image: &str) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n  family: {family}\n  containerDefinitions:\n  - {{name: web, image: \"{image}\", memory: 256, portMappings: [{{containerPort: 80}}]}}\n"
    )
}

fn service_yaml(ecs_name: &str, extra: &str) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: web}}\nspec:\n  serviceName: {ecs_name}\n  clusterRef: {{name: main}}\n  taskDefinitionRef: {{name: web}}\n  desiredCount: 2\n  launchType: EC2\n{extra}"
    )
}

pub(crate) fn condition_of(svc: &EcsService, type_: &str) -> Option<(String, String, String)> {
    let status = svc.status.as_ref()?;
    condition(&status.conditions, type_)
        .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
}

fn is_ready(svc: &EcsService) -> bool {
    svc.status.as_ref().is_some_and(|s| {
        condition(&s.conditions, "Ready")
            .is_some_and(|c| c.status == "True" && c.observed_generation == svc.metadata.generation)
    })
}

/// The service as ECS reports it.
pub(crate) async fn ecs_service(
    env: &Env,
    cluster: &str,
    name: &str,
) -> Option<aws_sdk_ecs::types::Service> {
    let include = aws_sdk_ecs::types::ServiceField::Tags;
    let out = env
        .ecs
        .describe_services()
        .cluster(cluster)
        .services(name)
        .include(include)
        .send()
        .await
        .ok()?;
    out.services()
        .iter()
        .find(|s| s.status() == Some("ACTIVE"))
        .cloned()
}

/// Applies the three kinds service-first, so the service has to wait for what it refers to.
pub(crate) async fn converge(
    env: &Env,
    cluster: &str,
    family: &str,
    service: &str,
    extra: &str,
) -> EcsService {
    env.apply::<EcsService>(&service_yaml(service, extra)).await;
    let waiting = env
        .wait_for::<EcsService>("web", WAIT, |s| {
            condition_of(s, "Synced").is_some_and(|c| c.1 == "DependencyNotReady")
        })
        .await;
    let message = condition_of(&waiting, "Synced").unwrap().2;
    assert!(
        message.contains("main") || message.contains("web"),
        "names what it waits for: {message}"
    );
    let status = waiting.status.as_ref().unwrap();
    assert!(
        status.account.is_some() && status.region.is_some(),
        "the wait shows where the service will live: {status:?}"
    );
    assert!(
        !waiting.finalizers().contains(&FINALIZER.to_owned()),
        "nothing exists in ECS yet, so nothing holds the object's deletion: {:?}",
        waiting.finalizers()
    );
    env.apply::<TaskDefinition>(&task_definition_yaml(family, "nginx:1.27"))
        .await;
    env.apply::<EcsCluster>(&cluster_yaml(cluster)).await;
    env.wait_for::<EcsService>("web", WAIT, is_ready).await
}

#[tokio::test]
async fn a_service_converges_and_follows_its_task_definition() {
    let env = Env::new("svc-life").await;
    let (cluster, family, service) = (unique("c"), unique("td"), unique("svc"));
    let ready = converge(&env, &cluster, &family, &service, "  tags: {team: web}\n").await;
    let status = ready.status.clone().unwrap();
    assert_eq!(status.desired_count, Some(2));
    assert_eq!(status.running_count, Some(2));
    assert_eq!(
        status.task_definition_revision.as_deref(),
        Some(format!("{family}:1").as_str())
    );
    let ecs = ecs_service(&env, &cluster, &service)
        .await
        .expect("service in ECS");
    assert!(
        ecs.task_definition()
            .unwrap()
            .ends_with(&format!("{family}:1"))
    );
    let tags: Vec<_> = ecs.tags().iter().filter_map(|t| t.key()).collect();
    assert!(
        tags.contains(&"ecsbridge.dev/uid") && tags.contains(&"team"),
        "{tags:?}"
    );
    env.wait_event("web", "Normal", "Created", WAIT).await;

    env.apply::<TaskDefinition>(&task_definition_yaml(&family, "nginx:1.28"))
        .await;
    eventually(WAIT, "the service to roll out revision 2", || async {
        let ecs = ecs_service(&env, &cluster, &service).await.unwrap();
        ecs.task_definition()
            .is_some_and(|t| t.ends_with(&format!("{family}:2")))
    })
    .await;
    env.wait_event("web", "Normal", "RolloutStarted", WAIT)
        .await;
    let unchanged = env.api::<EcsService>().get("web").await.unwrap();
    assert_eq!(
        unchanged.metadata.generation, ready.metadata.generation,
        "the service manifest was not edited"
    );

    env.delete::<EcsService>("web").await;
    env.wait_gone::<EcsService>("web", WAIT).await;
    assert!(
        ecs_service(&env, &cluster, &service).await.is_none(),
        "delete leaves no ACTIVE service in ECS"
    );
}

/// `kubectl apply -f dir/` with a cluster, a task definition and a service: the service is woken as soon as what
/// it refers to is Ready, well before its fallback retry (5 minutes after `DependencyNotReady`).
#[tokio::test]
async fn a_cluster_task_definition_and_service_applied_at_once_are_ready_at_once() {
    let env = Env::new("svc-at-once").await;
    let (cluster, family, service) = (unique("c"), unique("td"), unique("svc"));
    let started = std::time::Instant::now();
    let (cluster, td, svc) = (
        cluster_yaml(&cluster),
        task_definition_yaml(&family, "nginx:1.27"),
        service_yaml(&service, ""),
    );
    futures::join!(
        env.apply::<EcsCluster>(&cluster),
        env.apply::<TaskDefinition>(&td),
        env.apply::<EcsService>(&svc),
    );
    env.wait_for::<EcsService>("web", Duration::from_secs(20), is_ready)
        .await;
    println!("applied at once: Ready after {:?}", started.elapsed());
}

#[tokio::test]
async fn scale_subresource_reaches_ecs() {
    let env = Env::new("svc-scale").await;
    let (cluster, family, service) = (unique("c"), unique("td"), unique("svc"));
    converge(&env, &cluster, &family, &service, "").await;
    let scale = json!({"spec": {"replicas": 3}});
    env.api::<EcsService>()
        .patch_scale("web", &PatchParams::default(), &Patch::Merge(&scale))
        .await
        .expect("kubectl scale works through the scale subresource");
    eventually(WAIT, "ECS desired count 3", || async {
        ecs_service(&env, &cluster, &service)
            .await
            .is_some_and(|s| s.desired_count() == 3)
    })
    .await;
    env.wait_for::<EcsService>("web", WAIT, |s| {
        s.status.as_ref().and_then(|st| st.desired_count) == Some(3)
    })
    .await;
}

#[tokio::test]
async fn ignore_changes_leaves_an_out_of_band_count_alone_while_enforce_reverts_it() {
    let env = Env::new("svc-count").await;
    let (cluster, family, service) = (unique("c"), unique("td"), unique("svc"));
    converge(
        &env,
        &cluster,
        &family,
        &service,
        "  desiredCountPolicy: IgnoreChanges\n",
    )
    .await;
    env.ecs
        .update_service()
        .cluster(&cluster)
        .service(&service)
        .desired_count(5)
        .send()
        .await
        .unwrap();
    env.patch::<EcsService>(
        "web",
        json!({"metadata": {"annotations": {"e2e/nudge": "1"}}}),
    )
    .await;
    env.wait_for::<EcsService>("web", WAIT, |s| {
        s.status.as_ref().and_then(|st| st.desired_count) == Some(5)
    })
    .await;
    assert_eq!(
        ecs_service(&env, &cluster, &service)
            .await
            .unwrap()
            .desired_count(),
        5,
        "IgnoreChanges leaves 5"
    );

    env.patch::<EcsService>("web", json!({"spec": {"desiredCountPolicy": "Enforce"}}))
        .await;
    eventually(WAIT, "Enforce to restore the spec's count", || async {
        ecs_service(&env, &cluster, &service)
            .await
            .is_some_and(|s| s.desired_count() == 2)
    })
    .await;
}

#[tokio::test]
async fn restarted_at_makes_exactly_one_new_deployment() {
    let mut env = Env::new("svc-restart").await;
    let (cluster, family, service) = (unique("c"), unique("td"), unique("svc"));
    converge(&env, &cluster, &family, &service, "").await;
    let deployment = |s: aws_sdk_ecs::types::Service| s.deployments()[0].id().unwrap().to_owned();
    let before = deployment(ecs_service(&env, &cluster, &service).await.unwrap());

    env.patch::<EcsService>(
        "web",
        json!({"metadata": {"annotations": {"ecsbridge.dev/restartedAt": "2026-11-22T10:00:00Z"}}}),
    )
    .await;
    env.wait_for::<EcsService>("web", WAIT, |s| {
        s.status.as_ref().and_then(|st| st.restarted_at.as_deref()) == Some("2026-11-22T10:00:00Z")
    })
    .await;
    let after = deployment(ecs_service(&env, &cluster, &service).await.unwrap());
    assert_ne!(before, after, "a new deployment was started");
    env.wait_event("web", "Normal", "Restarted", WAIT).await;

    env.stop_operator();
    env.start_operator().await;
    env.patch::<EcsService>(
        "web",
        json!({"metadata": {"annotations": {"e2e/nudge": "1"}}}),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let later = deployment(ecs_service(&env, &cluster, &service).await.unwrap());
    assert_eq!(
        after, later,
        "the same annotation value never starts another deployment"
    );
}

#[tokio::test]
async fn a_cluster_waits_for_its_services_before_deletion() {
    let env = Env::new("svc-cluster-delete").await;
    let (cluster, family, service) = (unique("c"), unique("td"), unique("svc"));
    converge(&env, &cluster, &family, &service, "").await;
    env.delete::<EcsCluster>("main").await;
    let waiting = env
        .wait_for::<EcsCluster>("main", WAIT, |c| {
            c.status
                .as_ref()
                .and_then(|s| condition(&s.conditions, "Ready"))
                .is_some_and(|r| r.reason == "Deleting")
        })
        .await;
    let message = condition(&waiting.status.unwrap().conditions, "Ready")
        .unwrap()
        .message
        .clone();
    assert!(
        message.contains("web"),
        "names the services it waits for: {message}"
    );
    env.delete::<EcsService>("web").await;
    env.wait_gone::<EcsService>("web", WAIT).await;
    env.wait_gone::<EcsCluster>("main", WAIT).await;
    env.delete::<TaskDefinition>("web").await;
    env.wait_gone::<TaskDefinition>("web", WAIT).await;
}

#[tokio::test]
async fn bad_service_specs_are_refused_without_aws_calls() {
    let env = Env::new("svc-invalid").await;
    let service = unique("svc");
    // What the CRD's CEL rules express is refused at admission, with the rule's message.
    let both = format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: both}}\nspec:\n  serviceName: {service}\n  clusterRef: {{name: main}}\n  cluster: other\n  taskDefinition: web:1\n"
    );
    let refused = env
        .try_apply::<EcsService>(&both)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("set exactly one of spec.clusterRef and spec.cluster"),
        "{refused}"
    );
    // What only the operator checks is reported in Synced and a Warning event, before any AWS call.
    let balancers = format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: balancers}}\nspec:\n  serviceName: {service}\n  cluster: other\n  taskDefinition: web:1\n  loadBalancers: [{{targetGroupArn: tg, loadBalancerName: clb, containerName: app, containerPort: 80}}]\n"
    );
    env.apply::<EcsService>(&balancers).await;
    let refused = env
        .wait_for::<EcsService>("balancers", WAIT, |s| {
            condition_of(s, "Synced").is_some_and(|c| c.1 == "InvalidSpec")
        })
        .await;
    let message = condition_of(&refused, "Synced").unwrap().2;
    assert!(
        message.contains("spec.loadBalancers[0]: set exactly one of targetGroupArn"),
        "{message}"
    );
    env.wait_event("balancers", "Warning", "InvalidSpec", WAIT)
        .await;

    let negative = env
        .try_apply::<EcsService>("apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {name: neg}\nspec:\n  cluster: other\n  taskDefinition: web:1\n  desiredCount: -1\n")
        .await;
    assert!(negative.is_err(), "the schema refuses a negative count");
}
