//! Many one-off tasks against AWS's buckets at real speed, at the edges: `n` EcsTasks of one task each, of which
//! 5 % have their task expire in ECS while the operator is stopped and 10 % of the RunTask placements fail.
//!
//! Part A: the first 5 % of the EcsTasks (backoffLimit 0) are created and run; once the operator has recorded each
//! task RUNNING it is stopped (killed), the tasks stop and expire in the double (DescribeTasks answers MISSING).
//! Part B: ECS places 10 % of the tasks asked for nowhere (`RESOURCE:MEMORY`), the other 95 % of the EcsTasks
//! (tasks of `task_seconds`) are created and the operator is started again; measured from its start until all `n`
//! runs have ended. The expired runs must end Failed with `TaskExpired`, the others Complete; the time stays within
//! [`TARGET_RATIO`] of the floor of [`super::task_floor`] (RunTask bucket, documented backoff, the run's own
//! placements); then over a quiet window no task is polled or run, ECS holds exactly the tasks the runs recorded,
//! and no run counts more successes than its count. A claim that does not hold fails the benchmark.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use ecs_bridge::api::EcsTask;
use kube::api::ListParams;
use kube::{Api, Client};
use serde_json::json;

use super::counters::{EcsCalls, ecs_objects};
use super::processes::{free_port_pair, http, peak_rss_mib, start_operator};
use super::task_checks::{self, Claim, Outcomes, has_ended};
use super::task_floor::{self, SEED, Schedule};
use super::{BUDGET, rate_limits};

/// Seconds each of PROVISIONING, PENDING and DEPROVISIONING lasts in the double at real speed.
const TASK_STEP_SECONDS: f64 = 1.0;
/// The share of tasks the double cannot place, and of EcsTasks whose task expires while the operator is away.
pub const PLACEMENT_FAILURE_RATE: f64 = 0.1;
const EXPIRING_SHARE: f64 = 0.05;
/// How long the expiring tasks run, and how long the double shows them stopped (AWS: at least an hour).
const EXPIRING_TASK_SECONDS: f64 = 15.0;
const EXPIRING_STOPPED_SECONDS: f64 = 5.0;
/// After every run ended, ECS calls are counted this long: a finished run is polled no more.
pub const QUIET_WINDOW: Duration = Duration::from_secs(15);
/// The phase's time may be at most this multiple of its floor.
pub const TARGET_RATIO: f64 = 1.1;
/// The operations a run's polls and attempts use.
const TASK_OPERATIONS: [&str; 4] = ["RunTask", "DescribeTasks", "ListTasks", "StopTask"];

/// What the task phase measured.
pub struct TaskRun {
    pub tasks: usize,
    pub expiring: usize,
    pub task_seconds: f64,
    /// From the operator's restart until every run ended, and until the last RunTask call.
    pub took: Duration,
    pub last_run_task: Duration,
    /// How long the operator was stopped (from its kill in part A to its start in part B).
    pub operator_away: Duration,
    /// The floor's schedule at budget 0.8 and at full buckets, and the closed form at 0.8.
    pub floor: Schedule,
    pub floor_full: Schedule,
    pub closed_form: f64,
    pub run_task_calls: u64,
    pub describe_tasks_calls: u64,
    pub tasks_per_describe: f64,
    pub throttled: u64,
    pub rss_mib: f64,
    /// From a task's stop in ECS to its EcsTask showing Complete (the condition's transition time, whole seconds).
    pub seen_after: Vec<Duration>,
    pub outcomes: Outcomes,
    /// Tasks ECS started in part A and in both parts (the double's count), and ECS calls in the quiet window
    /// after the end.
    pub ecs_tasks_expired: u64,
    pub ecs_tasks: u64,
    pub quiet: EcsCalls,
    pub claims: Vec<Claim>,
}

impl TaskRun {
    pub fn ratio(&self) -> f64 {
        self.took.as_secs_f64() / self.floor.end
    }

    /// Task operations (RunTask, DescribeTasks, ListTasks, StopTask) in the quiet window.
    pub fn polls_after_end(&self) -> u64 {
        TASK_OPERATIONS.iter().map(|op| self.quiet.of(op)).sum()
    }
}

/// One task's life in the double from RunTask to STOPPED.
fn life(task_seconds: f64) -> f64 {
    3.0 * TASK_STEP_SECONDS + task_seconds
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
                .iter()
                .find(|r| r.succeeded == Some(true))?
                .stopped_at
                .as_deref()?
                .parse()
                .ok()?;
            let lag = completed_at(t)?.duration_since(stopped);
            Some(Duration::from_secs_f64(lag.as_secs_f64().max(0.0)))
        })
        .collect()
}

/// The cluster and task definition revision of the phase, created in ECS directly; returns the revision's ARN.
async fn prepare_ecs(ecs: &aws_sdk_ecs::Client, run: &str) -> String {
    ecs.create_cluster()
        .cluster_name(run)
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
    registered
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .expect("a revision ARN")
        .to_owned()
}

/// Creates the EcsTasks `job{i}` for `indices`, one task each, backoffLimit 0.
async fn create_runs(
    client: &Client,
    run: &str,
    task_definition: &str,
    indices: std::ops::Range<usize>,
) {
    let tasks = indices.map(|i| {
        json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "EcsTask", "metadata": {"name": format!("job{i}")},
               "spec": {"cluster": run, "taskDefinition": task_definition, "launchType": "EC2", "backoffLimit": 0}})
    });
    super::objects::create::<EcsTask>(client, run, tasks.collect()).await;
}

async fn list(api: &Api<EcsTask>) -> Vec<EcsTask> {
    api.list(&ListParams::default())
        .await
        .expect("list EcsTasks")
        .items
}

/// Changes the double's settings.
fn configure(url: &str, settings: serde_json::Value) {
    http(
        "POST",
        &format!("{url}/_double/config"),
        Some(&settings.to_string()),
    );
}

/// Part A: runs the expiring EcsTasks until the operator has recorded each task RUNNING, stops the operator and
/// waits until ECS no longer shows the tasks. Returns the tasks ECS started and when the operator was stopped.
async fn expire_while_away(
    client: &Client,
    url: &str,
    ecs: &aws_sdk_ecs::Client,
    run: &str,
    expiring: usize,
) -> (u64, Instant) {
    let api: Api<EcsTask> = Api::namespaced(client.clone(), run);
    let operator = start_operator(run, url, &rate_limits(1.0), free_port_pair());
    let limit = Instant::now() + Duration::from_secs(120);
    let arns = loop {
        let listed = list(&api).await;
        let running: Vec<String> = listed
            .iter()
            .filter_map(|t| {
                let record = t.status.as_ref()?.tasks.first()?;
                let seen =
                    record.started_at.is_some() && record.last_status.as_deref() == Some("RUNNING");
                seen.then(|| record.arn.clone())
            })
            .collect();
        if running.len() == expiring {
            break running;
        }
        assert!(
            Instant::now() < limit,
            "only {} of {expiring} expiring tasks recorded RUNNING",
            running.len()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    drop(operator);
    let away = Instant::now();
    let started = ecs_objects(url, "tasks");
    configure(url, json!({"stoppedTaskSeconds": EXPIRING_STOPPED_SECONDS}));
    let limit = Instant::now() + Duration::from_secs(120);
    loop {
        let described = ecs
            .describe_tasks()
            .cluster(run)
            .set_tasks(Some(arns.clone()))
            .send()
            .await
            .expect("describe the expiring tasks");
        let missing = described
            .failures()
            .iter()
            .filter(|f| f.reason() == Some("MISSING"))
            .count();
        if missing == expiring {
            break;
        }
        assert!(
            Instant::now() < limit,
            "only {missing} of {expiring} tasks expired"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert_eq!(
        ecs_objects(url, "tasks"),
        0,
        "the double still holds tasks after they expired"
    );
    (started, away)
}

/// Runs the phase on a double of its own at real speed (AWS's buckets as they are).
pub async fn measure(client: &Client, n: usize, task_seconds: f64) -> TaskRun {
    let expiring = ((n as f64 * EXPIRING_SHARE).round() as usize).max(1);
    let double = ecs_double::spawn(&[
        "--speedup",
        "1",
        "--seed",
        SEED,
        "--task-seconds",
        &EXPIRING_TASK_SECONDS.to_string(),
    ]);
    let url = double.url.as_str();
    let ecs = super::ecs_client(url).await;
    let run = format!("tasks-{}", std::process::id());
    let task_definition = prepare_ecs(&ecs, &run).await;
    super::new_namespace(client, &run).await;
    create_runs(client, &run, &task_definition, 0..expiring).await;
    let (started_in_a, away) = expire_while_away(client, url, &ecs, &run, expiring).await;
    configure(
        url,
        json!({"taskSeconds": task_seconds, "placementFailureRate": PLACEMENT_FAILURE_RATE, "stoppedTaskSeconds": 3600}),
    );
    create_runs(client, &run, &task_definition, expiring..n).await;
    let before = EcsCalls::read(url);
    let operator = start_operator(&run, url, &rate_limits(1.0), free_port_pair());
    let started = Instant::now();
    let operator_away = away.elapsed();
    let api: Api<EcsTask> = Api::namespaced(client.clone(), &run);
    let life = life(task_seconds);
    let limit = Duration::from_secs_f64(task_floor::closed_form(2 * n, BUDGET, life) * 5.0 + 120.0);
    let (mut run_tasks, mut last_run_task) = (0, Duration::ZERO);
    let finished = loop {
        let now = EcsCalls::read(url).since(&before).of("RunTask");
        if now > run_tasks {
            (run_tasks, last_run_task) = (now, started.elapsed());
        }
        let listed = list(&api).await;
        if listed.iter().all(has_ended) || started.elapsed() > limit {
            break listed;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let took = started.elapsed();
    let calls = EcsCalls::read(url).since(&before);
    let quiet_from = EcsCalls::read(url);
    tokio::time::sleep(QUIET_WINDOW).await;
    let quiet = EcsCalls::read(url).since(&quiet_from);
    let rss_mib = peak_rss_mib(operator.child.id());
    drop(operator);
    let ecs_tasks = started_in_a + ecs_objects(url, "tasks");
    let expiring_names: BTreeSet<String> = (0..expiring).map(|i| format!("job{i}")).collect();
    let outcomes = task_checks::outcomes(&finished, &expiring_names);
    let placements = task_floor::probe(n - expiring, PLACEMENT_FAILURE_RATE).await;
    let floor = task_floor::schedule(n - expiring, &placements, BUDGET, life);
    let mut measured = TaskRun {
        tasks: n,
        expiring,
        task_seconds,
        took,
        last_run_task,
        operator_away,
        floor_full: task_floor::schedule(n - expiring, &placements, 1.0, life),
        closed_form: task_floor::closed_form(floor.calls, BUDGET, life),
        floor,
        run_task_calls: calls.of("RunTask"),
        describe_tasks_calls: calls.of("DescribeTasks"),
        tasks_per_describe: calls.per_call("DescribeTasks"),
        throttled: calls.throttled,
        rss_mib,
        seen_after: seen_after(&finished),
        outcomes,
        ecs_tasks_expired: started_in_a,
        ecs_tasks,
        quiet,
        claims: Vec::new(),
    };
    measured.claims = claims(&measured, n);
    measured
}

/// The phase's claims, each checked.
fn claims(t: &TaskRun, n: usize) -> Vec<Claim> {
    let o = &t.outcomes;
    let draws = (t.ecs_tasks - t.ecs_tasks_expired) as usize + o.refusals;
    vec![
        Claim::new(
            format!(
                "all {n} runs ended within {TARGET_RATIO}x of the floor (ratio {:.2})",
                t.ratio()
            ),
            t.ratio() <= TARGET_RATIO && o.complete + o.expired == n,
        ),
        Claim::new(
            format!(
                "the {} expired runs ended Failed with {} ({}), the other {} Complete ({}){}",
                t.expiring,
                task_checks::TASK_EXPIRED,
                o.expired,
                n - t.expiring,
                o.complete,
                if o.unexpected.is_empty() {
                    String::new()
                } else {
                    format!("; not so: {}", o.unexpected.join(", "))
                }
            ),
            o.expired == t.expiring && o.complete == n - t.expiring,
        ),
        Claim::new(
            format!(
                "no run polled or run after all ended: {} task calls (RunTask, DescribeTasks, ListTasks, StopTask) in {} s",
                t.polls_after_end(),
                QUIET_WINDOW.as_secs()
            ),
            t.polls_after_end() == 0,
        ),
        Claim::new(
            format!(
                "no duplicate task: ECS started {} tasks, the runs recorded {}; {} runs counted more successes than their count",
                t.ecs_tasks, o.recorded_tasks, o.over_succeeded
            ),
            t.ecs_tasks as usize == o.recorded_tasks && o.over_succeeded == 0,
        ),
        Claim::new(
            format!(
                "the floor's placements are the run's: {} tasks asked for and {} refused in the run, {} and {} in the floor",
                draws, o.refusals, t.floor.calls, t.floor.refused
            ),
            draws == t.floor.calls && o.refusals == t.floor.refused,
        ),
    ]
}
