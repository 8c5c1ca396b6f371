//! Rollout truth end to end, against the ECS test double (moto never rolls out): `Progressing` while the PRIMARY
//! deployment rolls out, `Ready` only once it completed with every task running, `Degraded` with ECS's reason when
//! the circuit breaker rolls a bad revision back; ECS's service events become Kubernetes Events exactly once.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ecs_bridge::api::{EcsCluster, EcsService, TaskDefinition};
use k8s_openapi::api::core::v1::Event;
use kube::Api;
use kube::api::ListParams;

use crate::harness::{Env, configure, unique};

pub(crate) const WAIT: Duration = Duration::from_secs(90);

pub(crate) fn manifests(cluster: &str, family: &str, image: &str) -> [String; 3] {
    [
        format!("apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: main}}\nspec: {{clusterName: {cluster}}}\n"),
        format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n  family: {family}\n  containerDefinitions:\n  - {{name: web, image: \"{image}\", memory: 256}}\n"
        ),
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {name: web}\nspec:\n  clusterRef: {name: main}\n  taskDefinitionRef: {name: web}\n  desiredCount: 2\n  launchType: EC2\n  deploymentConfiguration:\n    deploymentCircuitBreaker: {enable: true, rollback: true}\n".to_owned(),
    ]
}

/// The status and reason of each condition type.
pub(crate) fn conditions(svc: &EcsService) -> BTreeMap<String, (String, String, String)> {
    let status = svc.status.clone().unwrap_or_default();
    status
        .conditions
        .into_iter()
        .map(|c| (c.type_, (c.status, c.reason, c.message)))
        .collect()
}

pub(crate) fn is(svc: &EcsService, type_: &str, status: &str) -> bool {
    conditions(svc).get(type_).is_some_and(|c| c.0 == status)
}

/// Follows the service until `done`, returning whether `Progressing=True` (without `Ready=True`) was seen first.
pub(crate) async fn follow(env: &Env, done: impl Fn(&EcsService) -> bool) -> (EcsService, bool) {
    let api = env.api::<EcsService>();
    let started = Instant::now();
    let mut saw_progress = false;
    loop {
        let svc = api.get("web").await.unwrap();
        saw_progress |= is(&svc, "Progressing", "True") && is(&svc, "Ready", "False");
        if done(&svc) {
            return (svc, saw_progress);
        }
        assert!(
            started.elapsed() < WAIT,
            "timed out; last conditions: {:#?}",
            conditions(&svc)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn rollouts_are_reported_truthfully() {
    let double = ecs_double::spawn(&["--rollout-seconds", "4"]);
    let env = Env::against(&unique("rollout"), &double.url).await;
    let (cluster, family) = (unique("c"), unique("td"));
    for manifest in manifests(&cluster, &family, "app:1") {
        apply_any(&env, &manifest).await;
    }
    let (ready, progressed) = follow(&env, |s| is(s, "Ready", "True")).await;
    assert!(
        progressed,
        "Progressing=True while the first deployment rolled out"
    );
    let status = ready.status.clone().unwrap();
    assert_eq!(
        (status.running_count, status.desired_count),
        (Some(2), Some(2))
    );
    assert_eq!(
        status.task_definition_revision.as_deref(),
        Some(format!("{family}:1").as_str())
    );

    apply_any(&env, &manifests(&cluster, &family, "app:2")[1]).await;
    let (ready, progressed) = follow(&env, |s| {
        is(s, "Ready", "True")
            && s.status
                .as_ref()
                .and_then(|st| st.task_definition_revision.as_deref())
                == Some(&format!("{family}:2"))
    })
    .await;
    assert!(progressed, "Progressing=True while revision 2 rolled out");
    assert!(is(&ready, "Degraded", "False"));

    configure(&double, r#"{"rolloutFailureRate": 1.0}"#);
    apply_any(&env, &manifests(&cluster, &family, "app:3-broken")[1]).await;
    let (degraded, _) = follow(&env, |s| is(s, "Degraded", "True")).await;
    let (_, reason, message) = conditions(&degraded)["Degraded"].clone();
    assert!(
        message.to_lowercase().contains("circuit breaker") || message.contains("failed"),
        "{reason}: {message}"
    );
    assert!(
        is(&degraded, "Ready", "False"),
        "a failed rollout is not Ready"
    );

    // Every ECS service event reported as a Kubernetes Event, none of them twice.
    let described = env
        .ecs
        .describe_services()
        .cluster(&cluster)
        .services("web")
        .send()
        .await
        .unwrap();
    let mut in_ecs = BTreeMap::<String, usize>::new();
    for event in described.services()[0].events() {
        *in_ecs
            .entry(event.message().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    let events: Api<Event> = Api::namespaced(env.client.clone(), &env.namespace);
    let list = events.list(&ListParams::default()).await.unwrap();
    let mut in_kubernetes = BTreeMap::<String, usize>::new();
    for event in list
        .items
        .iter()
        .filter(|e| e.reason.as_deref() == Some("EcsServiceEvent"))
    {
        let count = usize::try_from(event.count.unwrap_or(1).max(1)).unwrap();
        *in_kubernetes
            .entry(event.message.clone().unwrap_or_default())
            .or_default() += count;
    }
    assert!(
        !in_kubernetes.is_empty(),
        "ECS service events became Kubernetes Events"
    );
    for (message, count) in &in_kubernetes {
        assert!(
            in_ecs.get(message).is_some_and(|n| count <= n),
            "{message:?} reported {count} times; ECS has {in_ecs:#?}"
        );
    }
}

/// Issue 24: a rolling deployment is followed by the operator's rollout loop, which reads the service every
/// tenth of the rollout's age (4 s at 40 s), so a rollout that takes long is Ready within seconds of ECS completing
/// it, not at the next of polls spaced by a quarter of the rollout's age (10 s at 40 s, up to 15 s apart).
#[tokio::test]
async fn a_long_rollout_is_ready_within_seconds_of_ecs_completing_it() {
    let double = ecs_double::spawn(&["--rollout-seconds", "40"]);
    let env = Env::against(&unique("rollout-long"), &double.url).await;
    let (cluster, family) = (unique("c"), unique("td"));
    for manifest in manifests(&cluster, &family, "app:1") {
        apply_any(&env, &manifest).await;
    }
    let api = env.api::<EcsService>();
    let started = Instant::now();
    let mut completed_at: Option<Instant> = None;
    loop {
        assert!(started.elapsed() < WAIT, "the rollout did not end in time");
        let svc = api.get("web").await.unwrap();
        if is(&svc, "Ready", "True") {
            let completed = completed_at.expect("Ready only once ECS completed the deployment");
            let late = completed.elapsed();
            assert!(
                late <= Duration::from_secs(6),
                "Ready {late:?} after ECS completed the deployment"
            );
            return;
        }
        if completed_at.is_none() {
            // Until the operator created the cluster, ECS answers ClusterNotFoundException.
            let described = env
                .ecs
                .describe_services()
                .cluster(&cluster)
                .services("web")
                .send()
                .await
                .ok();
            let services = described.as_ref().map(|d| d.services()).unwrap_or_default();
            let complete = services.first().is_some_and(|s| {
                s.deployments().iter().any(|d| {
                    d.status() == Some("PRIMARY")
                        && d.rollout_state()
                            == Some(&aws_sdk_ecs::types::DeploymentRolloutState::Completed)
                })
            });
            completed_at = complete.then(Instant::now);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Applies a manifest of any of the three kinds.
pub(crate) async fn apply_any(env: &Env, yaml: &str) {
    match yaml.lines().nth(1) {
        Some("kind: EcsCluster") => drop(env.apply::<EcsCluster>(yaml).await),
        Some("kind: TaskDefinition") => drop(env.apply::<TaskDefinition>(yaml).await),
        _ => drop(env.apply::<EcsService>(yaml).await),
    }
}
