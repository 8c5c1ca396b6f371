//! The benchmark's objects: 10 clusters, and N task definitions and N services (each with its own task
//! definition), created through the real kube-apiserver; and waiting for them to be Ready.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ecs_bridge::api::{Condition, EcsCluster, EcsService, TaskDefinition};
use futures::{StreamExt, stream};
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
use serde::de::DeserializeOwned;
use serde_json::json;

pub const CLUSTERS: usize = 10;

/// Creates the clusters, task definitions and services of a run in `namespace` (family names prefixed by `run`).
pub async fn create_all(client: &Client, namespace: &str, run: &str, n: usize) {
    let clusters = (0..CLUSTERS).map(|c| {
        json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": format!("c{c}")},
               "spec": {"clusterName": format!("{run}-c{c}")}})
    });
    create::<EcsCluster>(client, namespace, clusters.collect()).await;
    create_task_definitions(client, namespace, run, n).await;
    let services = (0..n).map(|i| {
        json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "EcsService", "metadata": {"name": format!("svc{i}")},
               "spec": {"serviceName": format!("svc{i}"), "clusterRef": {"name": format!("c{}", i % CLUSTERS)},
                        "taskDefinitionRef": {"name": format!("td{i}")}, "desiredCount": 1, "launchType": "EC2"}})
    });
    create::<EcsService>(client, namespace, services.collect()).await;
}

/// Creates N task definitions `td0..` (families `{run}-td{i}`) in `namespace`.
pub async fn create_task_definitions(client: &Client, namespace: &str, run: &str, n: usize) {
    let task_definitions = (0..n).map(|i| {
        json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": format!("td{i}")},
               "spec": {"family": format!("{run}-td{i}"), "containerDefinitions": [
                   {"name": "app", "image": format!("registry.example/app:{i}"), "memory": 128,
                    "portMappings": [{"containerPort": 8080}], "environment": [{"name": "INDEX", "value": i.to_string()}]}]}})
    });
    create::<TaskDefinition>(client, namespace, task_definitions.collect()).await;
}

pub async fn create<K>(client: &Client, namespace: &str, objects: Vec<serde_json::Value>)
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    stream::iter(objects)
        .map(|value| {
            let api = api.clone();
            async move {
                let object: K = serde_json::from_value(value).expect("a valid object");
                api.create(&PostParams::default(), &object)
                    .await
                    .expect("create object");
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
}

fn ready(conditions: &[Condition]) -> bool {
    conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// Objects of the three kinds that are Ready, and how many exist.
pub async fn count_ready(client: &Client, namespace: &str) -> (usize, usize) {
    let mut counted = (0, 0);
    for plural in ["ecsclusters", "taskdefinitions", "ecsservices"] {
        let (ready, total) = ready_in_table(client, namespace, plural).await;
        counted = (counted.0 + ready, counted.1 + total);
    }
    counted
}

/// How many objects of `plural` in `namespace` show `Ready` True, and how many there are: read as a table of
/// their printer columns, which costs the API server and the benchmark (which runs the double, whose CPU time
/// the run measures too) a fraction of a list of whole objects when there are thousands.
async fn ready_in_table(client: &Client, namespace: &str, plural: &str) -> (usize, usize) {
    let request = http::Request::get(format!(
        "/apis/ecsbridge.dev/v1alpha1/namespaces/{namespace}/{plural}?includeObject=None"
    ))
    .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
    .body(Vec::new())
    .unwrap();
    let table: serde_json::Value = client.request(request).await.expect("list as a table");
    let ready_column = table["columnDefinitions"]
        .as_array()
        .and_then(|columns| columns.iter().position(|c| c["name"] == "Ready"))
        .expect("a Ready column");
    let rows = table["rows"].as_array().map_or(&[][..], Vec::as_slice);
    let ready = rows
        .iter()
        .filter(|row| row["cells"][ready_column] == "True")
        .count();
    (ready, rows.len())
}

/// How often [`wait_all_ready`] looks for `expected` objects: each look lists every object of the namespace, which
/// costs the API server (and the double, which runs in the benchmark's process) CPU by the object, so a look every
/// 500 ms at thousands of objects would slow down what it measures: every 500 ms up to 1,000 objects, then half a
/// millisecond per object, at most every 2 s (under 1 % of the time such a run takes).
fn ready_poll(expected: usize) -> Duration {
    Duration::from_micros(expected as u64 * 500)
        .clamp(Duration::from_millis(500), Duration::from_secs(2))
}

/// How often [`wait_all_ready`] prints how far it is.
const PROGRESS_EVERY: Duration = Duration::from_secs(30);

/// The services not Ready, counted by the reason of their Ready condition (`Created` for those ECS has, by the
/// ARN in their status, whatever the reason).
async fn services_not_ready(client: &Client, namespace: &str) -> BTreeMap<String, usize> {
    let services = Api::<EcsService>::namespaced(client.clone(), namespace)
        .list(&ListParams::default())
        .await
        .expect("list");
    let mut reasons = BTreeMap::new();
    for service in &services.items {
        let Some(status) = &service.status else {
            *reasons.entry("NoStatus".to_owned()).or_default() += 1;
            continue;
        };
        if ready(&status.conditions) {
            continue;
        }
        let reason = status
            .conditions
            .iter()
            .find(|c| c.type_ == "Ready")
            .map_or("NoReadyCondition", |c| c.reason.as_str());
        let created = if status.arn.is_some() { "created " } else { "" };
        *reasons.entry(format!("{created}{reason}")).or_default() += 1;
    }
    reasons
}

/// How many services show `Synced=False` with a retryable ECS reason right now.
pub async fn count_retrying(client: &Client, namespace: &str) -> usize {
    let services = Api::<EcsService>::namespaced(client.clone(), namespace)
        .list(&ListParams::default())
        .await
        .expect("list");
    let tds = Api::<TaskDefinition>::namespaced(client.clone(), namespace)
        .list(&ListParams::default())
        .await
        .expect("list");
    let retrying = |conditions: &[Condition]| {
        conditions
            .iter()
            .any(|c| c.type_ == "Synced" && c.status == "False" && c.reason == "EcsUnavailable")
    };
    services
        .items
        .iter()
        .filter(|s| s.status.as_ref().is_some_and(|st| retrying(&st.conditions)))
        .count()
        + tds
            .items
            .iter()
            .filter(|t| t.status.as_ref().is_some_and(|st| retrying(&st.conditions)))
            .count()
}

/// Waits until every object is Ready; returns the time it took and the most objects seen retrying at once.
pub async fn wait_all_ready(
    client: &Client,
    namespace: &str,
    expected: usize,
    timeout: Duration,
) -> (Duration, usize) {
    let started = Instant::now();
    let mut most_retrying = 0;
    let mut reported = Instant::now();
    loop {
        let (ready, total) = count_ready(client, namespace).await;
        if ready == expected && total == expected {
            return (started.elapsed(), most_retrying);
        }
        if reported.elapsed() >= PROGRESS_EVERY {
            reported = Instant::now();
            let waiting = services_not_ready(client, namespace).await;
            eprintln!(
                "benchmark: {namespace}: {ready} of {expected} Ready at {:.0} s; services not Ready by reason: {waiting:?}",
                started.elapsed().as_secs_f64()
            );
        }
        most_retrying = most_retrying.max(count_retrying(client, namespace).await);
        assert!(
            started.elapsed() < timeout,
            "only {ready} of {expected} objects Ready after {timeout:?}"
        );
        tokio::time::sleep(ready_poll(expected)).await;
    }
}
