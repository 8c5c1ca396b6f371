//! Services published as Kubernetes endpoints (`--endpoint-services N`): N awsvpc EcsServices of 5 tasks over 10
//! clusters, against a double of their own at real speed (so ECS's task timestamps are wall-clock times). In one
//! run: a quiet minute without `kubernetesService` and one with it (DescribeTasks and ListTasks calls side by side,
//! and EndpointSlices whose resourceVersion moved), then tasks stopped with StopTask (ECS replaces them): the time
//! from ECS stopping a task to its endpoint terminating, and from a replacement's `startedAt` (RUNNING) to its
//! endpoint ready.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ecs_bridge::api::{EcsCluster, EcsService, TaskDefinition};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client, ResourceExt};
use serde_json::{Value, json};

use super::counters::EcsCalls;
use super::drift::percentile;
use super::objects::{self, CLUSTERS};
use super::processes::{free_port_pair, start_operator};

const TASKS: usize = 5;
/// The quiet windows.
const QUIET: Duration = Duration::from_secs(60);

/// What the phase measured.
pub struct EndpointRun {
    pub services: usize,
    pub replaced: usize,
    pub to_ready: Vec<Duration>,
    pub to_terminating: Vec<Duration>,
    /// DescribeTasks and ListTasks calls in the quiet minute without and with endpoints.
    pub describe_without: u64,
    pub describe_with: u64,
    pub list_without: u64,
    pub list_with: u64,
    pub tasks_per_describe: f64,
    /// EndpointSlices written in the quiet minute with endpoints.
    pub quiet_slice_writes: usize,
    /// ThrottlingExceptions from publishing the endpoints to the end of the replacements.
    pub throttled: u64,
}

fn epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

async fn create(client: &Client, namespace: &str, n: usize) {
    let clusters = (0..CLUSTERS).map(|c| {
        json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": format!("c{c}")},
               "spec": {"clusterName": format!("{namespace}-c{c}")}})
    });
    objects::create::<EcsCluster>(client, namespace, clusters.collect()).await;
    let tds = (0..n).map(|i| {
        json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": format!("td{i}")},
               "spec": {"family": format!("{namespace}-td{i}"), "networkMode": "awsvpc",
                        "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
                        "containerDefinitions": [{"name": "web", "image": "nginx",
                                                  "portMappings": [{"containerPort": 8080}]}]}})
    });
    objects::create::<TaskDefinition>(client, namespace, tds.collect()).await;
    let services = (0..n).map(|i| {
        json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "EcsService", "metadata": {"name": format!("svc{i}")},
               "spec": {"clusterRef": {"name": format!("c{}", i % CLUSTERS)}, "taskDefinitionRef": {"name": format!("td{i}")},
                        "desiredCount": TASKS, "launchType": "FARGATE",
                        "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-0a1", "subnet-0b2"]}}}})
    });
    objects::create::<EcsService>(client, namespace, services.collect()).await;
}

/// Every endpoint of the namespace's slices: task id → (ready, terminating), and each slice's resourceVersion.
async fn endpoints(
    api: &Api<EndpointSlice>,
) -> (HashMap<String, (bool, bool)>, BTreeMap<String, String>) {
    let slices = api.list(&ListParams::default()).await.unwrap().items;
    let mut out = HashMap::new();
    let mut versions = BTreeMap::new();
    for slice in slices {
        versions.insert(
            slice.name_any(),
            slice.resource_version().unwrap_or_default(),
        );
        for e in slice.endpoints.unwrap_or_default() {
            let c = e.conditions.unwrap_or_default();
            let id = e.target_ref.and_then(|r| r.name).unwrap_or_default();
            out.insert(id, (c.ready == Some(true), c.terminating == Some(true)));
        }
    }
    (out, versions)
}

/// The tasks of every cluster that ECS keeps running: (cluster, task ARN).
async fn running_tasks(ecs: &aws_sdk_ecs::Client, namespace: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for c in 0..CLUSTERS {
        let cluster = format!("{namespace}-c{c}");
        let mut next = None;
        loop {
            let page = ecs
                .list_tasks()
                .cluster(&cluster)
                .set_next_token(next)
                .send()
                .await
                .unwrap();
            out.extend(
                page.task_arns()
                    .iter()
                    .map(|a| (cluster.clone(), a.clone())),
            );
            next = page.next_token().map(str::to_owned);
            if next.is_none() {
                break;
            }
        }
    }
    out
}

fn task_id(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or_default().to_owned()
}

pub async fn measure(client: &Client, n: usize) -> EndpointRun {
    let double = ecs_double::spawn(&["--rollout-seconds", "10"]);
    let url = double.url.clone();
    let namespace = format!("endpoints-{n}-{}", std::process::id());
    super::new_namespace(client, &namespace).await;
    create(client, &namespace, n).await;
    let _operator = start_operator(&namespace, &url, &super::rate_limits(1.0), free_port_pair());
    objects::wait_all_ready(
        client,
        &namespace,
        CLUSTERS + 2 * n,
        Duration::from_secs(1800),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(20)).await;
    let before = EcsCalls::read(&url);
    tokio::time::sleep(QUIET).await;
    let without = EcsCalls::read(&url).since(&before);

    let services: Api<EcsService> = Api::namespaced(client.clone(), &namespace);
    let publish = json!({"spec": {"kubernetesService": {"ports": [{"name": "http", "port": 80, "containerPort": 8080}]}}});
    for i in 0..n {
        services
            .patch(
                &format!("svc{i}"),
                &PatchParams::default(),
                &Patch::Merge(&publish),
            )
            .await
            .unwrap();
    }
    let slices: Api<EndpointSlice> = Api::namespaced(client.clone(), &namespace);
    let published = EcsCalls::read(&url);
    let started = Instant::now();
    loop {
        let (all, _) = endpoints(&slices).await;
        if all.values().filter(|e| e.0).count() == n * TASKS {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "endpoints not ready: {}",
            all.len()
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // Past the first drift pass after publishing, then a quiet minute.
    tokio::time::sleep(Duration::from_secs(70)).await;
    let (_, versions_before) = endpoints(&slices).await;
    let before = EcsCalls::read(&url);
    tokio::time::sleep(QUIET).await;
    let with = EcsCalls::read(&url).since(&before);
    let (_, versions_after) = endpoints(&slices).await;
    let quiet_slice_writes = versions_after
        .iter()
        .filter(|(name, v)| versions_before.get(*name) != Some(v))
        .count();

    // Replacements: one task of each of `n / 2` services stopped, a few at a time.
    let ecs = super::ecs_client(&url).await;
    let (initial, _) = endpoints(&slices).await;
    let running = running_tasks(&ecs, &namespace).await;
    let victims: Vec<(String, String)> =
        running.into_iter().step_by(TASKS * 2).take(n / 2).collect();
    let mut stopped_at: HashMap<String, f64> = HashMap::new();
    let mut terminating_at: HashMap<String, f64> = HashMap::new();
    let mut ready_at: HashMap<String, f64> = HashMap::new();
    let began = Instant::now();
    let mut next = 0;
    while began.elapsed() < Duration::from_secs(240) {
        // One stop per sample, four a second.
        for (cluster, arn) in victims.iter().skip(next).take(1) {
            ecs.stop_task()
                .cluster(cluster)
                .task(arn)
                .reason("benchmark replacement")
                .send()
                .await
                .unwrap();
            stopped_at.insert(task_id(arn), epoch());
            next += 1;
        }
        let (now, _) = endpoints(&slices).await;
        let t = epoch();
        for (id, (ready, terminating)) in &now {
            if *terminating && stopped_at.contains_key(id) {
                terminating_at.entry(id.clone()).or_insert(t);
            }
            if *ready && !initial.contains_key(id) {
                ready_at.entry(id.clone()).or_insert(t);
            }
        }
        if next >= victims.len()
            && terminating_at.len() == victims.len()
            && ready_at.len() >= victims.len()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let to_terminating = stopped_at
        .iter()
        .filter_map(|(id, at)| {
            terminating_at
                .get(id)
                .map(|t| Duration::from_secs_f64((t - at).max(0.0)))
        })
        .collect();
    let throttled = EcsCalls::read(&url).since(&published).throttled;
    let to_ready = running_since(&ecs, &namespace, &ready_at).await;
    EndpointRun {
        services: n,
        replaced: victims.len(),
        to_ready,
        to_terminating,
        describe_without: without.of("DescribeTasks"),
        describe_with: with.of("DescribeTasks"),
        list_without: without.of("ListTasks"),
        list_with: with.of("ListTasks"),
        tasks_per_describe: with.per_call("DescribeTasks"),
        quiet_slice_writes,
        throttled,
    }
}

/// For each new task seen ready (task id → when), the time from its `startedAt` in ECS.
async fn running_since(
    ecs: &aws_sdk_ecs::Client,
    namespace: &str,
    ready_at: &HashMap<String, f64>,
) -> Vec<Duration> {
    let mut out = Vec::new();
    let running = running_tasks(ecs, namespace).await;
    for c in 0..CLUSTERS {
        let cluster = format!("{namespace}-c{c}");
        let arns: Vec<String> = running
            .iter()
            .filter(|(cl, a)| *cl == cluster && ready_at.contains_key(&task_id(a)))
            .map(|(_, a)| a.clone())
            .collect();
        for chunk in arns.chunks(100) {
            let described = ecs
                .describe_tasks()
                .cluster(&cluster)
                .set_tasks(Some(chunk.to_vec()))
                .send()
                .await
                .unwrap();
            for task in described.tasks() {
                let (Some(started), Some(ready)) = (
                    task.started_at(),
                    ready_at.get(&task_id(task.task_arn().unwrap_or_default())),
                ) else {
                    continue;
                };
                out.push(Duration::from_secs_f64(
                    (ready - started.as_secs_f64()).max(0.0),
                ));
            }
        }
    }
    out
}

pub fn markdown(e: &EndpointRun) -> String {
    let p = |v: &[Duration], q: f64| percentile(v, q).as_secs_f64();
    format!(
        "\nServices as Kubernetes endpoints: {} services x {TASKS} tasks over {CLUSTERS} clusters (double at real \
         speed). {} tasks stopped with StopTask and replaced by ECS: ECS stopping to endpoint terminating p50 {:.2} s, \
         p99 {:.2} s ({} seen); replacement RUNNING (startedAt) to endpoint ready p50 {:.2} s, p99 {:.2} s ({} seen). \
         Quiet minute without `kubernetesService`: {} DescribeTasks, {} ListTasks; with it: {} DescribeTasks \
         ({:.1} tasks per call, {:.2} calls per 100 followed tasks per round), {} ListTasks; EndpointSlices written in \
         the quiet minute with endpoints: {}; ThrottlingExceptions from publishing to the end of the replacements: \
         {}.\n",
        e.services,
        e.replaced,
        p(&e.to_terminating, 50.0),
        p(&e.to_terminating, 99.0),
        e.to_terminating.len(),
        p(&e.to_ready, 50.0),
        p(&e.to_ready, 99.0),
        e.to_ready.len(),
        e.describe_without,
        e.list_without,
        e.describe_with,
        e.tasks_per_describe,
        100.0 / e.tasks_per_describe.max(1.0),
        e.list_with,
        e.quiet_slice_writes,
        e.throttled
    )
}

pub fn json(e: &EndpointRun) -> Value {
    let s = |v: &[Duration], q: f64| percentile(v, q).as_secs_f64();
    json!({"services": e.services, "tasksPerService": TASKS, "replaced": e.replaced,
           "stoppingToTerminatingP50": s(&e.to_terminating, 50.0), "stoppingToTerminatingP99": s(&e.to_terminating, 99.0),
           "runningToReadyP50": s(&e.to_ready, 50.0), "runningToReadyP99": s(&e.to_ready, 99.0),
           "quietMinuteWithout": {"DescribeTasks": e.describe_without, "ListTasks": e.list_without},
           "quietMinuteWith": {"DescribeTasks": e.describe_with, "ListTasks": e.list_with,
                               "tasksPerDescribeTasks": e.tasks_per_describe},
           "endpointSliceWritesInQuietMinute": e.quiet_slice_writes, "throttled": e.throttled})
}
