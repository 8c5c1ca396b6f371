//! Many one-off tasks at once: `n` EcsTasks (one task each, `task_seconds` of run time) are created, then the
//! operator is started against a double with AWS's buckets at real speed; measures the time until all are
//! Complete against the floor that the RunTask bucket and the tasks' own life set, DescribeTasks calls per 100
//! running tasks per poll, throttling and the operator's peak memory.

use std::time::{Duration, Instant};

use ecs_bridge::api::EcsTask;
use ecs_bridge::ecs::limits::Category;
use kube::api::ListParams;
use kube::{Api, Client};
use serde_json::json;

use super::counters::EcsCalls;
use super::processes::{free_port_pair, peak_rss_mib, start_operator};
use super::{BUDGET, rate_limits};

/// Seconds each of PROVISIONING, PENDING and DEPROVISIONING lasts in the double at real speed.
const TASK_STEP_SECONDS: f64 = 1.0;

/// What the task phase measured.
pub struct TaskRun {
    pub tasks: usize,
    pub task_seconds: f64,
    pub took: Duration,
    /// Until the last RunTask call, and the RunTask bucket's share of the floor.
    pub all_started: Duration,
    pub start_floor: Duration,
    pub floor: Duration,
    pub floor_full: Duration,
    pub run_task_calls: u64,
    pub describe_tasks_calls: u64,
    pub tasks_per_describe: f64,
    pub throttled: u64,
    pub rss_mib: f64,
    /// From a task's stop in ECS to its EcsTask showing Complete (the condition's transition time, whole seconds).
    pub seen_after: Vec<Duration>,
}

/// The RunTask bucket's time to start `n` tasks at `budget` of AWS's bucket.
fn start_floor(n: usize, budget: f64) -> Duration {
    Duration::from_secs_f64(super::bucket_seconds(Category::TaskModify, n, budget, 1.0))
}

/// The floor: the time to start `n` tasks, plus one task's life.
pub fn floor(n: usize, budget: f64, task_seconds: f64) -> Duration {
    start_floor(n, budget) + Duration::from_secs_f64(3.0 * TASK_STEP_SECONDS + task_seconds)
}

/// When the EcsTask turned Complete, if it did.
fn completed_at(task: &EcsTask) -> Option<jiff::Timestamp> {
    let status = task.status.as_ref()?;
    let complete = status
        .conditions
        .iter()
        .find(|c| c.type_ == "Complete" && c.status == "True")?;
    complete.last_transition_time.parse().ok()
}

/// How long after its task stopped each EcsTask turned Complete.
fn seen_after(tasks: &[EcsTask]) -> Vec<Duration> {
    tasks
        .iter()
        .filter_map(|t| {
            let stopped: jiff::Timestamp = t
                .status
                .as_ref()?
                .tasks
                .first()?
                .stopped_at
                .as_deref()?
                .parse()
                .ok()?;
            let lag = completed_at(t)?.duration_since(stopped);
            Some(Duration::from_secs_f64(lag.as_secs_f64().max(0.0)))
        })
        .collect()
}

/// Runs the phase on a double of its own at real speed (AWS's buckets as they are).
pub async fn measure(client: &Client, n: usize, task_seconds: f64) -> TaskRun {
    let double = ecs_double::spawn(&[
        "--speedup",
        "1",
        "--task-seconds",
        &task_seconds.to_string(),
    ]);
    let url = double.url.as_str();
    let ecs = super::ecs_client(url).await;
    let run = format!("tasks-{}", std::process::id());
    ecs.create_cluster()
        .cluster_name(&run)
        .send()
        .await
        .expect("create the cluster");
    let registered = ecs
        .register_task_definition()
        .family(format!("{run}-job"))
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("job")
                .image("registry.example/job:1")
                .memory(128)
                .build(),
        )
        .send()
        .await
        .expect("register the task definition");
    let task_definition = registered
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .expect("a revision ARN")
        .to_owned();
    super::new_namespace(client, &run).await;
    let tasks = (0..n).map(|i| {
        json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "EcsTask", "metadata": {"name": format!("job{i}")},
               "spec": {"cluster": run, "taskDefinition": task_definition, "launchType": "EC2"}})
    });
    super::objects::create::<EcsTask>(client, &run, tasks.collect()).await;
    let before = EcsCalls::read(url);
    let operator = start_operator(&run, url, &rate_limits(1.0), free_port_pair());
    let started = Instant::now();
    let api: Api<EcsTask> = Api::namespaced(client.clone(), &run);
    let limit = floor(n, BUDGET, task_seconds) * 5 + Duration::from_secs(120);
    let mut all_started = None;
    let finished = loop {
        if all_started.is_none() && EcsCalls::read(url).since(&before).of("RunTask") >= n as u64 {
            all_started = Some(started.elapsed());
        }
        let listed = api
            .list(&ListParams::default())
            .await
            .expect("list EcsTasks")
            .items;
        let done = listed.iter().filter(|t| completed_at(t).is_some()).count();
        if done == n {
            break listed;
        }
        assert!(
            started.elapsed() < limit,
            "only {done} of {n} EcsTasks Complete after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let took = started.elapsed();
    let calls = EcsCalls::read(url).since(&before);
    TaskRun {
        tasks: n,
        task_seconds,
        took,
        all_started: all_started.unwrap_or(took),
        start_floor: start_floor(n, BUDGET),
        floor: floor(n, BUDGET, task_seconds),
        floor_full: floor(n, 1.0, task_seconds),
        run_task_calls: calls.of("RunTask"),
        describe_tasks_calls: calls.of("DescribeTasks"),
        tasks_per_describe: calls.per_call("DescribeTasks"),
        throttled: calls.throttled,
        rss_mib: peak_rss_mib(operator.child.id()),
        seen_after: seen_after(&finished),
    }
}
