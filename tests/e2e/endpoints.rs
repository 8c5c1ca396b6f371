//! `EcsService.spec.kubernetesService` end to end, against the ECS test double (whose service tasks have ENI
//! addresses, zones and health over time): a Service and EndpointSlices that follow the tasks, scaling to 0,
//! removal with the field and with the object, and a Service of the name that the operator does not own.

use std::time::Duration;

use ecs_bridge::api::{EcsCluster, EcsService, TaskDefinition};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::ListParams;
use serde_json::json;

use crate::harness::{Env, eventually_some, unique};
use crate::service::condition_of;

const WAIT: Duration = Duration::from_secs(90);

fn manifests(cluster: &str, family: &str, service_extra: &str) -> [String; 3] {
    [
        format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: main}}\nspec: {{clusterName: {cluster}}}\n"
        ),
        format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n  family: {family}\n  networkMode: awsvpc\n  requiresCompatibilities: [FARGATE]\n  cpu: \"256\"\n  memory: \"512\"\n  containerDefinitions:\n  - {{name: web, image: nginx, portMappings: [{{containerPort: 8080}}]}}\n"
        ),
        format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: web}}\nspec:\n  clusterRef: {{name: main}}\n  taskDefinitionRef: {{name: web}}\n  desiredCount: 3\n  launchType: FARGATE\n  networkConfiguration:\n    awsvpcConfiguration: {{subnets: [subnet-0a1, subnet-0b2, subnet-0c3]}}\n{service_extra}"
        ),
    ]
}

const PUBLISHED: &str =
    "  kubernetesService:\n    ports: [{name: http, port: 80, containerPort: 8080}]\n";

async fn start(env: &Env, extra: &str) {
    let [cluster, td, svc] = manifests(&unique("c"), &unique("td"), extra);
    env.apply::<EcsCluster>(&cluster).await;
    env.apply::<TaskDefinition>(&td).await;
    env.apply::<EcsService>(&svc).await;
}

async fn slices(env: &Env, service: &str) -> Vec<EndpointSlice> {
    let params = ListParams::default().labels(&format!("kubernetes.io/service-name={service}"));
    env.api::<EndpointSlice>()
        .list(&params)
        .await
        .unwrap()
        .items
}

/// (address, zone, ready, serving, terminating) of every endpoint of the Service's slices.
async fn endpoints(env: &Env, service: &str) -> Vec<(String, String, bool, bool, bool)> {
    let mut out = Vec::new();
    for slice in slices(env, service).await {
        for e in slice.endpoints.unwrap_or_default() {
            let c = e.conditions.unwrap_or_default();
            out.push((
                e.addresses[0].clone(),
                e.zone.unwrap_or_default(),
                c.ready == Some(true),
                c.serving == Some(true),
                c.terminating == Some(true),
            ));
        }
    }
    out
}

/// The addresses and zones of the service's running tasks, as ECS shows them.
async fn task_addresses(env: &Env, cluster: &str, service: &str) -> Vec<(String, String)> {
    let listed = env
        .ecs
        .list_tasks()
        .cluster(cluster)
        .service_name(service)
        .send()
        .await
        .unwrap();
    if listed.task_arns().is_empty() {
        return Vec::new();
    }
    let described = env
        .ecs
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(listed.task_arns().to_vec()))
        .send()
        .await
        .unwrap();
    let mut out: Vec<(String, String)> = described
        .tasks()
        .iter()
        .filter(|t| t.last_status() == Some("RUNNING"))
        .map(|t| {
            let ip = t.attachments()[0]
                .details()
                .iter()
                .find(|d| d.name() == Some("privateIPv4Address"))
                .and_then(|d| d.value())
                .unwrap()
                .to_owned();
            (ip, t.availability_zone().unwrap().to_owned())
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn three_tasks_become_three_ready_endpoints_and_scaling_to_zero_empties_the_slice() {
    let double = ecs_double::spawn(&["--rollout-seconds", "3"]);
    let env = Env::against(&unique("endpoints"), &double.url).await;
    start(&env, PUBLISHED).await;
    let ready = env
        .wait_for::<EcsService>("web", WAIT, |s| {
            s.status
                .as_ref()
                .and_then(|s| s.kubernetes_service.as_ref())
                .is_some_and(|k| k.ready_endpoints == 3)
        })
        .await;
    let status = ready.status.unwrap();
    let cluster = status.cluster_arn.clone().unwrap();
    let ecs_name = status.service_name.clone().unwrap();
    assert_eq!(status.kubernetes_service.unwrap().name, "web");
    let service = env.api::<Service>().get("web").await.unwrap();
    let spec = service.spec.unwrap();
    assert!(spec.selector.is_none_or(|s| s.is_empty()), "selector-less");
    assert_eq!(spec.ports.unwrap()[0].port, 80);
    let made = slices(&env, "web").await;
    assert_eq!(made.len(), 1);
    let labels = made[0].metadata.labels.clone().unwrap();
    assert_eq!(
        labels["endpointslice.kubernetes.io/managed-by"],
        "endpoints.ecs-bridge.dev"
    );
    assert_eq!(
        made[0].metadata.owner_references.as_ref().unwrap()[0].kind,
        "EcsService"
    );
    let mut published: Vec<(String, String)> = endpoints(&env, "web")
        .await
        .into_iter()
        .filter(|e| e.2)
        .map(|e| (e.0, e.1))
        .collect();
    published.sort();
    assert_eq!(
        published,
        task_addresses(&env, &cluster, &ecs_name).await,
        "the tasks' IPs and zones"
    );
    assert_eq!(published.len(), 3);

    env.patch::<EcsService>("web", json!({"spec": {"desiredCount": 0}}))
        .await;
    eventually_some(WAIT, "an empty EndpointSlice", || async {
        let all = slices(&env, "web").await;
        (all.len() == 1 && all[0].endpoints.as_ref().is_none_or(Vec::is_empty)).then_some(())
    })
    .await;

    env.delete::<EcsService>("web").await;
    env.wait_gone::<EcsService>("web", WAIT).await;
    env.wait_gone::<Service>("web", WAIT).await;
    eventually_some(WAIT, "the slices to go with the EcsService", || async {
        slices(&env, "web").await.is_empty().then_some(())
    })
    .await;
}

#[tokio::test]
async fn removing_the_field_removes_the_service_and_its_slices() {
    let double = ecs_double::spawn(&["--rollout-seconds", "2"]);
    let env = Env::against(&unique("endpoints-off"), &double.url).await;
    start(&env, PUBLISHED).await;
    env.wait_for::<EcsService>("web", WAIT, |s| {
        s.status
            .as_ref()
            .and_then(|s| s.kubernetes_service.as_ref())
            .is_some_and(|k| k.ready_endpoints == 3)
    })
    .await;
    env.patch::<EcsService>("web", json!({"spec": {"kubernetesService": null}}))
        .await;
    env.wait_gone::<Service>("web", WAIT).await;
    eventually_some(WAIT, "the slices to go with the field", || async {
        slices(&env, "web").await.is_empty().then_some(())
    })
    .await;
    let after = env
        .wait_for::<EcsService>("web", WAIT, |s| {
            s.status
                .as_ref()
                .is_some_and(|s| s.kubernetes_service.is_none())
        })
        .await;
    assert!(
        after.status.unwrap().running_count.is_some(),
        "the ECS service itself stays"
    );
}

#[tokio::test]
async fn a_service_of_the_name_that_we_do_not_own_is_left_alone_and_reported() {
    let double = ecs_double::spawn(&["--rollout-seconds", "2"]);
    let env = Env::against(&unique("endpoints-taken"), &double.url).await;
    let theirs = "apiVersion: v1\nkind: Service\nmetadata: {name: web, labels: {team: theirs}}\nspec:\n  selector: {app: theirs}\n  ports: [{name: web, port: 8000}]\n";
    let before = env.apply::<Service>(theirs).await;
    start(&env, PUBLISHED).await;
    let reported = env
        .wait_for::<EcsService>("web", WAIT, |s| {
            condition_of(s, "Synced").is_some_and(|c| c.0 == "False" && c.1 == "AlreadyExists")
        })
        .await;
    let message = condition_of(&reported, "Synced").unwrap().2;
    assert!(
        message.contains("spec.kubernetesService") && message.contains("does not own"),
        "{message}"
    );
    let after = env.api::<Service>().get("web").await.unwrap();
    assert_eq!(
        after.metadata.resource_version, before.metadata.resource_version,
        "not written"
    );
    assert!(after.metadata.owner_references.is_none());
    assert!(
        slices(&env, "web").await.is_empty(),
        "no slices for a Service we do not own"
    );
    env.delete::<EcsService>("web").await;
    env.wait_gone::<EcsService>("web", WAIT).await;
    assert!(
        env.api::<Service>().get_opt("web").await.unwrap().is_some(),
        "theirs stays"
    );
}

/// (task id, ready, terminating) of every endpoint of the Service's slices.
async fn task_states(env: &Env, service: &str) -> Vec<(String, bool, bool)> {
    let mut out = Vec::new();
    for slice in slices(env, service).await {
        for e in slice.endpoints.unwrap_or_default() {
            let c = e.conditions.unwrap_or_default();
            let id = e.target_ref.and_then(|r| r.name).unwrap_or_default();
            out.push((id, c.ready == Some(true), c.terminating == Some(true)));
        }
    }
    out
}

/// Entry 97 and ECS's rolling update: old tasks turn terminating and new ones ready, and the slices never show
/// fewer ready endpoints than ECS's minimum healthy count (minimumHealthyPercent 100 of 3 tasks: 3).
#[tokio::test]
async fn a_rolling_deployment_turns_old_tasks_terminating_and_new_ones_ready_above_the_minimum() {
    let double = ecs_double::spawn(&["--rollout-seconds", "6"]);
    let env = Env::against(&unique("endpoints-roll"), &double.url).await;
    let config = "  deploymentConfiguration: {minimumHealthyPercent: 100, maximumPercent: 200}\n";
    start(&env, &format!("{config}{PUBLISHED}")).await;
    env.wait_for::<EcsService>("web", WAIT, |s| {
        s.status
            .as_ref()
            .and_then(|s| s.kubernetes_service.as_ref())
            .is_some_and(|k| k.ready_endpoints == 3)
    })
    .await;
    // ECS: the minimum healthy count is desiredCount * minimumHealthyPercent / 100, rounded up.
    let min_healthy = (3 * 100_usize).div_ceil(100);
    let old: Vec<String> = task_states(&env, "web")
        .await
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(old.len(), 3);
    env.patch::<TaskDefinition>(
        "web",
        json!({"spec": {"containerDefinitions": [
            {"name": "web", "image": "nginx:1.27", "portMappings": [{"containerPort": 8080}]}]}}),
    )
    .await;
    // Sampled every 250 ms while the deployment runs: the fewest ready endpoints and the tasks seen terminating.
    let sampled = std::sync::Mutex::new((usize::MAX, Vec::<String>::new()));
    eventually_some(WAIT, "3 new tasks ready and the old ones gone", || async {
        let states = task_states(&env, "web").await;
        let mut seen = sampled.lock().unwrap();
        seen.0 = seen.0.min(states.iter().filter(|e| e.1).count());
        seen.1
            .extend(states.iter().filter(|e| e.2).map(|e| e.0.clone()));
        let new_ready = states.iter().filter(|e| e.1 && !old.contains(&e.0)).count();
        (new_ready == 3 && states.iter().all(|e| !old.contains(&e.0))).then_some(())
    })
    .await;
    let (fewest, seen_terminating) = sampled.into_inner().unwrap();
    assert!(
        fewest >= min_healthy,
        "{fewest} ready endpoints during the deployment, below ECS's minimum of {min_healthy}"
    );
    assert!(
        seen_terminating.iter().any(|id| old.contains(id)),
        "an old task shown terminating while ECS stopped it"
    );
}
