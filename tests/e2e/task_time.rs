//! `EcsTask` while time passes, against the ECS test double: a task ECS no longer shows after the operator was
//! stopped for a while, a task that succeeded before the deadline but is seen after it, a cluster gone meanwhile,
//! Failed set only once the tasks stopped, and the backoff between a failure and the next attempt.

use std::time::Duration;

use ecs_bridge::api::EcsTask;
use serde_json::Value;

use crate::harness::{Env, configure, unique};
use crate::task::{WAIT, double, double_stats, is, reason, setup};

fn status(task: &EcsTask) -> Value {
    serde_json::to_value(&task.status).unwrap_or_default()
}

fn over(task: &EcsTask) -> bool {
    is(task, "Complete", "True") || is(task, "Failed", "True")
}

fn running(task: &EcsTask) -> bool {
    status(task)["phase"] == "Running"
}

/// DescribeTasks calls the double answered so far.
fn describes(double: &ecs_double::Running) -> u64 {
    double_stats(&double.url)["calls"]["DescribeTasks"]
        .as_u64()
        .unwrap_or_default()
}

/// After a run ended, DescribeTasks is not called for it any more (at most one late call in flight).
async fn not_polled_after_the_end(double: &ecs_double::Running) {
    let before = describes(double);
    tokio::time::sleep(Duration::from_secs(8)).await;
    let after = describes(double);
    assert!(
        after <= before + 1,
        "DescribeTasks went from {before} to {after} after the run ended"
    );
}

/// Item 2 (catalogue entry 62): the operator is stopped while the task runs; the task stops and ECS no longer shows
/// it when the operator comes back. The run ends (its outcome unknown: a failed task), and polling stops.
#[tokio::test]
async fn a_task_ecs_no_longer_shows_ends_the_run() {
    let double = double("exit:0");
    // Stopped tasks are shown for 2 s at this speed-up instead of an hour.
    configure(&double, r#"{"stoppedTaskSeconds": 8}"#);
    let mut env = Env::against(&unique("task-expired"), &double.url).await;
    setup(&env, "  launchType: EC2\n").await;
    env.wait_for::<EcsTask>("job", WAIT, running).await;
    env.stop_operator();
    tokio::time::sleep(Duration::from_secs(6)).await;
    env.start_operator().await;
    let failed = env.wait_for::<EcsTask>("job", WAIT, over).await;
    let why = reason(&failed, "Failed");
    assert!(
        is(&failed, "Failed", "True") && why.contains("TaskExpired"),
        "{why}"
    );
    not_polled_after_the_end(&double).await;
}

/// Item 9: the task exits 0 before the deadline while the operator is stopped, and the operator sees it only after
/// the deadline: judged by ECS's stoppedAt, the run is Complete.
#[tokio::test]
async fn a_success_before_the_deadline_seen_after_it_is_complete() {
    let double = ecs_double::spawn(&[
        "--speedup",
        "4",
        "--task-seconds",
        "8",
        "--task-outcome",
        "exit:0",
    ]);
    let mut env = Env::against(&unique("task-late"), &double.url).await;
    setup(&env, "  launchType: EC2\n  activeDeadlineSeconds: 5\n").await;
    env.wait_for::<EcsTask>("job", WAIT, running).await;
    env.stop_operator();
    tokio::time::sleep(Duration::from_secs(8)).await;
    env.start_operator().await;
    let done = env.wait_for::<EcsTask>("job", WAIT, over).await;
    assert!(is(&done, "Complete", "True"), "{}", reason(&done, "Failed"));
}

/// Item 8: the task stopped and its cluster was deleted while the operator was stopped; DescribeTasks answers
/// ClusterNotFoundException. The run ends instead of being polled forever.
#[tokio::test]
async fn a_run_whose_cluster_is_gone_ends() {
    let double = double("exit:0");
    let mut env = Env::against(&unique("task-no-cluster"), &double.url).await;
    let cluster = unique("gone");
    env.ecs
        .create_cluster()
        .cluster_name(&cluster)
        .send()
        .await
        .unwrap();
    crate::task::cluster_and_job(&env).await;
    env.apply::<EcsTask>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsTask\nmetadata: {{name: job}}\nspec:\n  cluster: {cluster}\n  \
         taskDefinitionRef: {{name: job}}\n  launchType: EC2\n"
    ))
    .await;
    env.wait_for::<EcsTask>("job", WAIT, running).await;
    env.stop_operator();
    tokio::time::sleep(Duration::from_secs(4)).await;
    env.ecs
        .delete_cluster()
        .cluster(&cluster)
        .send()
        .await
        .unwrap();
    env.start_operator().await;
    let ended = env.wait_for::<EcsTask>("job", WAIT, over).await;
    let why = reason(&ended, "Failed");
    assert!(
        is(&ended, "Failed", "True") && why.contains("ClusterNotFound"),
        "{why}"
    );
    not_polled_after_the_end(&double).await;
}

/// Item 12: Failed is set only once ECS shows the stopped task STOPPED, so a Forbid or Replace cron never
/// overlaps a run that is still stopping.
#[tokio::test]
async fn failed_is_set_only_once_the_tasks_stopped() {
    let double = double("hang");
    let env = Env::against(&unique("task-stopping"), &double.url).await;
    setup(&env, "  launchType: EC2\n  activeDeadlineSeconds: 3\n").await;
    let failed = env.wait_for::<EcsTask>("job", WAIT, over).await;
    let tasks = status(&failed)["tasks"].clone();
    assert!(
        tasks
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["lastStatus"] == "STOPPED"),
        "Failed while a task was still stopping: {tasks}"
    );
}

/// Item 7: a failed task is replaced after a backoff (10 s after the first failure), not in the same reconcile.
#[tokio::test]
async fn a_failed_task_is_replaced_after_the_backoff() {
    let double = double("exit:1");
    let env = Env::against(&unique("task-backoff"), &double.url).await;
    setup(&env, "  launchType: EC2\n  backoffLimit: 1\n").await;
    let failed = env.wait_for::<EcsTask>("job", WAIT, over).await;
    assert!(is(&failed, "Failed", "True"));
    let tasks = status(&failed)["tasks"].as_array().unwrap().clone();
    let arns: Vec<&str> = tasks.iter().map(|t| t["arn"].as_str().unwrap()).collect();
    let cluster = arns[0].split('/').nth(1).unwrap();
    let out = env
        .ecs
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(arns.iter().map(|a| a.to_string()).collect()))
        .send()
        .await
        .unwrap();
    let mut described = out.tasks().to_vec();
    described.sort_by(|a, b| {
        a.created_at()
            .unwrap()
            .secs()
            .cmp(&b.created_at().unwrap().secs())
    });
    let first_stopped = described[0].stopped_at().unwrap().as_secs_f64();
    let second_created = described[1].created_at().unwrap().as_secs_f64();
    assert!(
        second_created - first_stopped >= 9.0,
        "the second attempt started {:.1}s after the first task stopped",
        second_created - first_stopped
    );
}
