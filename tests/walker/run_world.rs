//! Running a run walk (run_walk.rs) against its own ECS double, and its invariants: the run's tasks are exactly
//! those ECS shows for its `startedBy`, without duplicates, each with what the run started with; the status tells
//! the truth; a started run's spec edit gives a Warning; nothing of someone else's is stopped; quiet once ended;
//! after deletion nothing of ours runs unless Retain keeps it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_ecs::types::{LaunchType, TaskField};
use ecs_bridge::api::{EcsCluster, EcsTask, TaskDefinition};
use serde_json::{Value, json};

use crate::check::{self, calls, writes};
use crate::coverage::Covered;
use crate::harness::{Env, unique};
use crate::run_walk::{RunStep, RunWalk, manifest};
use crate::walk::DRIFT;

/// The run walk's double: tasks live 6 s (120 s sped up 20 times).
const DOUBLE: [&str; 6] = [
    "--throttle",
    "off",
    "--speedup",
    "20",
    "--task-seconds",
    "120",
];
const WAIT: Duration = Duration::from_secs(60);
const FOREIGN: &str = "someone-else";

struct RunWorld {
    env: Env,
    _double: ecs_double::Running,
    url: String,
    cluster: String,
    family: String,
    covered: Covered,
    checks: u64,
}

async fn object(env: &Env) -> Option<Value> {
    let found = env.api::<EcsTask>().get_opt("run").await.expect("get run");
    found.map(|o| serde_json::to_value(o).unwrap())
}

fn phase(run: &Value) -> &str {
    run["status"]["phase"].as_str().unwrap_or("Pending")
}

impl RunWorld {
    async fn new() -> Result<Self, String> {
        let double = ecs_double::spawn(&DOUBLE);
        let env = Env::against_with_drift_interval(&unique("run-walk"), &double.url, DRIFT).await;
        let (cluster, family) = stack(&env).await?;
        let url = double.url.clone();
        Ok(RunWorld {
            env,
            _double: double,
            url,
            cluster,
            family,
            covered: Covered::new(),
            checks: 0,
        })
    }

    async fn apply(&self, fields: &BTreeMap<String, Value>, retain: bool) -> Result<(), String> {
        let yaml = serde_yaml::to_string(&manifest(fields, retain)).unwrap();
        self.env
            .try_apply::<EcsTask>(&yaml)
            .await
            .map(drop)
            .map_err(|e| format!("apply the run: {e}"))
    }

    /// Waits until `done` holds of the run; the run then.
    async fn until(&self, what: &str, done: impl Fn(&Value) -> bool) -> Result<Value, String> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let run = object(&self.env).await.unwrap_or(Value::Null);
            if done(&run) {
                return Ok(run);
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!(
                    "the run is not {what} within {WAIT:?}: {}",
                    run["status"]
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The ECS tasks of `started_by` (RUNNING and STOPPED), described with their tags; none once ECS no longer
    /// knows the cluster (deleted with the run).
    async fn tasks(&self, started_by: &str) -> Vec<aws_sdk_ecs::types::Task> {
        let mut arns = Vec::new();
        for status in [
            aws_sdk_ecs::types::DesiredStatus::Running,
            aws_sdk_ecs::types::DesiredStatus::Stopped,
        ] {
            let listed = self
                .env
                .ecs
                .list_tasks()
                .cluster(&self.cluster)
                .started_by(started_by)
                .desired_status(status)
                .send()
                .await;
            match listed {
                Ok(out) => arns.extend(out.task_arns().iter().cloned()),
                Err(err) => {
                    eprintln!(
                        "ListTasks: {}",
                        aws_sdk_ecs::error::DisplayErrorContext(err)
                    );
                    return Vec::new();
                }
            }
        }
        if arns.is_empty() {
            return Vec::new();
        }
        let described = self
            .env
            .ecs
            .describe_tasks()
            .cluster(&self.cluster)
            .set_tasks(Some(arns))
            .include(TaskField::Tags)
            .send()
            .await;
        described
            .map(|out| out.tasks().to_vec())
            .unwrap_or_default()
    }

    async fn foreign_task(&self) {
        self.env
            .ecs
            .run_task()
            .cluster(&self.cluster)
            .task_definition(&self.family)
            .launch_type(LaunchType::Ec2)
            .started_by(FOREIGN)
            .send()
            .await
            .expect("RunTask as someone else");
    }

    /// Nothing of someone else's stopped by the operator.
    async fn foreign_untouched(&mut self) -> Vec<String> {
        self.checks += 1;
        self.tasks(FOREIGN)
            .await
            .iter()
            .filter(|t| t.stop_code().map(|c| c.as_str()) == Some("UserInitiated"))
            .map(|t| {
                format!(
                    "someone else's task {} was stopped: {:?}",
                    t.task_arn().unwrap_or_default(),
                    t.stopped_reason()
                )
            })
            .collect()
    }
}

/// The walk's cluster `main` and task definition `job` (busybox, 128 MiB), under new ECS names; those names.
pub async fn stack(env: &Env) -> Result<(String, String), String> {
    let (cluster, family) = (unique("rc"), unique("rjob"));
    let yaml = format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: main}}\nspec: {{clusterName: {cluster}}}\n"
    );
    env.try_apply::<EcsCluster>(&yaml)
        .await
        .map_err(|e| format!("cluster: {e}"))?;
    let yaml = format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: job}}\nspec:\n  family: {family}\n  \
         containerDefinitions:\n  - {{name: app, image: \"busybox:1\", memory: 128}}\n"
    );
    env.try_apply::<TaskDefinition>(&yaml)
        .await
        .map_err(|e| format!("task definition: {e}"))?;
    Ok((cluster, family))
}

/// The run's tasks as ECS shows them and as status records them, and each with what the run started with.
async fn tasks_match(
    world: &mut RunWorld,
    run: &Value,
    start: &BTreeMap<String, Value>,
) -> Vec<String> {
    let mut wrong = Vec::new();
    let started_by = format!(
        "ecsb-{}",
        run["metadata"]["uid"].as_str().unwrap_or_default()
    );
    let ecs = world.tasks(&started_by).await;
    let recorded: Vec<&str> = run["status"]["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["arn"].as_str())
        .collect();
    let distinct: BTreeSet<&str> = recorded.iter().copied().collect();
    let shown: BTreeSet<&str> = ecs.iter().filter_map(|t| t.task_arn()).collect();
    world.checks += 2 + ecs.len() as u64;
    if distinct.len() != recorded.len() {
        wrong.push(format!("status records a task twice: {recorded:?}"));
    }
    if distinct != shown {
        wrong.push(format!(
            "status records {distinct:?}, ECS shows {shown:?} for the run's startedBy"
        ));
    }
    for task in &ecs {
        let tags: serde_json::Map<String, Value> = task
            .tags()
            .iter()
            .filter(|t| !t.key().unwrap_or_default().starts_with("ecsbridge.dev/"))
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_owned(),
                    json!(t.value().unwrap_or_default()),
                )
            })
            .collect();
        let view = json!({"group": task.group(), "enableExecuteCommand": task.enable_execute_command(),
            "tags": tags});
        for field in ["group", "enableExecuteCommand", "tags"] {
            if !check::covers(&view[field], &start[field]) {
                wrong.push(format!(
                    "EcsTask.{field}: a task of the run shows {}, it started with {}",
                    view[field], start[field]
                ));
            }
        }
    }
    wrong
}

/// Walks one run; the failures found (empty: the walk held) and what it covered.
pub async fn run(walk: &RunWalk) -> (Covered, u64, Vec<String>) {
    let mut world = match RunWorld::new().await {
        Ok(w) => w,
        Err(e) => return (Covered::new(), 0, vec![e]),
    };
    let outcome = walk_in(&mut world, walk).await;
    let mut failures: Vec<String> = match outcome {
        Ok(wrong) => wrong,
        Err(e) => vec![e],
    };
    failures.extend(world.foreign_untouched().await);
    (world.covered, world.checks, failures)
}

async fn walk_in(world: &mut RunWorld, walk: &RunWalk) -> Result<Vec<String>, String> {
    let retain = walk.deletion.retain;
    let mut spec = walk.start.clone();
    for path in walk.start.keys() {
        world
            .covered
            .insert(("EcsTask".into(), path.clone(), "add".into()));
    }
    world.apply(&spec, retain).await?;
    world
        .until("running", |r| {
            !r["status"]["tasks"].as_array().is_none_or(Vec::is_empty)
        })
        .await?;
    let (mut edited_while_active, mut stopped_in_ecs) = (false, false);
    for step in &walk.steps {
        match step {
            RunStep::Pause { .. } if walk.deletion.active => continue,
            RunStep::Edit { field, value } => {
                let run = object(&world.env).await.unwrap_or(Value::Null);
                edited_while_active |= phase(&run) == "Running";
                spec.insert(field.clone(), value.clone());
                world.apply(&spec, retain).await?;
                world
                    .covered
                    .insert(("EcsTask".into(), field.clone(), "change".into()));
            }
            RunStep::StopInEcs => {
                let run = object(&world.env).await.unwrap_or(Value::Null);
                if let Some(arn) = run["status"]["tasks"][0]["arn"].as_str() {
                    world
                        .env
                        .ecs
                        .stop_task()
                        .cluster(&world.cluster)
                        .task(arn)
                        .reason("stopped by someone else")
                        .send()
                        .await
                        .expect("StopTask out of band");
                    stopped_in_ecs = true;
                }
            }
            RunStep::ForeignTask => world.foreign_task().await,
            RunStep::Pause { seconds } => {
                world.env.stop_operator();
                tokio::time::sleep(Duration::from_secs(*seconds)).await;
                world.env.start_operator().await;
            }
        }
    }
    let mut wrong = Vec::new();
    if !walk.deletion.active {
        let run = world
            .until("ended", |r| matches!(phase(r), "Succeeded" | "Failed"))
            .await?;
        wrong.extend(tasks_match(world, &run, &walk.start).await);
        let backoff = walk
            .start
            .get("backoffLimit")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let expected = if stopped_in_ecs && backoff == 0 {
            "Failed"
        } else {
            "Succeeded"
        };
        world.checks += 3;
        if phase(&run) != expected {
            wrong.push(format!(
                "the run is {}, expected {expected}: {}",
                phase(&run),
                run["status"]["conditions"]
            ));
        }
        let count = walk.start.get("count").and_then(Value::as_i64).unwrap_or(1);
        if expected == "Succeeded" && run["status"]["succeeded"].as_i64() != Some(count) {
            wrong.push(format!(
                "status.succeeded is {}, count {count}",
                run["status"]["succeeded"]
            ));
        }
        let reasons = world.env.event_reasons("run").await;
        let warned = reasons
            .iter()
            .any(|(t, r)| t == "Warning" && r == "SpecChangedWhileActive");
        if edited_while_active && !warned {
            wrong.push(
                "a spec edit while the run was active gave no Warning SpecChangedWhileActive"
                    .into(),
            );
        }
        wrong.extend(quiet_once_ended(world).await);
    }
    wrong.extend(delete(world, walk).await?);
    Ok(wrong)
}

/// Once ended: no AWS write and no task read, and the EcsTask not written, for two drift intervals.
async fn quiet_once_ended(world: &mut RunWorld) -> Vec<String> {
    let task_calls = |c: BTreeMap<String, u64>| {
        let mut w = writes(&c);
        for op in ["DescribeTasks", "ListTasks"] {
            w.insert(op.into(), c.get(op).copied().unwrap_or(0));
        }
        w
    };
    let version = |run: Option<Value>| run.map(|r| r["metadata"]["resourceVersion"].clone());
    // The status write that ends the run may still be landing.
    tokio::time::sleep(DRIFT).await;
    let (before, rv) = (
        task_calls(calls(&world.url)),
        version(object(&world.env).await),
    );
    tokio::time::sleep(DRIFT * 2).await;
    let (after, rv_after) = (
        task_calls(calls(&world.url)),
        version(object(&world.env).await),
    );
    world.checks += 2;
    let mut wrong = Vec::new();
    if before != after {
        wrong.push(format!(
            "not quiet once ended: calls {before:?} became {after:?}"
        ));
    }
    if rv != rv_after {
        wrong.push("not quiet once ended: the EcsTask was written".into());
    }
    wrong
}

async fn delete(world: &mut RunWorld, walk: &RunWalk) -> Result<Vec<String>, String> {
    let run = object(&world.env)
        .await
        .ok_or("the run is gone before its deletion")?;
    for path in walk.start.keys() {
        world
            .covered
            .insert(("EcsTask".into(), path.clone(), "delete".into()));
    }
    let env = &world.env;
    if walk.deletion.with_stack {
        env.delete::<EcsCluster>("main").await;
        env.delete::<TaskDefinition>("job").await;
    }
    env.delete::<EcsTask>("run").await;
    world
        .until("deleted", Value::is_null)
        .await
        .map_err(|e| format!("stuck in deletion: {e}"))?;
    let started_by = format!(
        "ecsb-{}",
        run["metadata"]["uid"].as_str().unwrap_or_default()
    );
    let mut wrong = Vec::new();
    for task in world.tasks(&started_by).await {
        world.checks += 1;
        let by_us = task.stop_code().map(|c| c.as_str()) == Some("UserInitiated")
            && task.stopped_reason().is_some_and(|r| r.contains("deleted"));
        let running = task.desired_status() == Some("RUNNING");
        if walk.deletion.retain && by_us {
            wrong.push(format!(
                "Retain: the run's task {:?} was stopped on deletion",
                task.task_arn()
            ));
        }
        if !walk.deletion.retain && running {
            wrong.push(format!(
                "Delete: the run's task {:?} still runs after deletion",
                task.task_arn()
            ));
        }
    }
    Ok(wrong)
}
