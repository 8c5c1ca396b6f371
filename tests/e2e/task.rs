//! `EcsTask` end to end, against the ECS test double (moto cannot run tasks the way ECS does): a task that exits 0
//! completes (and `kubectl wait --for=condition=Complete` sees it) and deletes itself after its TTL, a failing one is
//! retried up to its backoffLimit, the deadline stops a hanging task, deleting a running EcsTask stops its task, a
//! RunTask whose answer is lost starts no second task (and reads the outcome of a task that stopped meanwhile), and
//! invalid specs make no ECS call.

use std::process::Command;
use std::time::Duration;

use ecs_bridge::api::task::TaskPhase;
use ecs_bridge::api::{EcsCluster, EcsTask, TaskDefinition};

use crate::harness::{Env, condition, configure, unique};

pub(crate) const WAIT: Duration = Duration::from_secs(90);

/// A double whose tasks end as `outcome` (`exit:N`, `hang`), with lives sped up four times.
pub(crate) fn double(outcome: &str) -> ecs_double::Running {
    ecs_double::spawn(&[
        "--speedup",
        "4",
        "--task-seconds",
        "4",
        "--task-outcome",
        outcome,
    ])
}

/// A double whose RunTask starts the tasks and then answers HTTP 500 (the answer is lost), with tasks of
/// `task_seconds` sped up four times; `{"faultRate": 0}` through `configure` lets answers through again.
pub(crate) fn double_losing_run_task_answers(task_seconds: &str) -> ecs_double::Running {
    ecs_double::spawn(&[
        "--speedup",
        "4",
        "--task-seconds",
        task_seconds,
        "--fault-rate",
        "1",
        "--fault-after-effect",
        "--fault-operations",
        "RunTask",
        "--timeout-seconds",
        "1",
    ])
}

/// An EcsCluster `main` and a TaskDefinition `job` (one container `app`), of unique ECS names.
pub(crate) async fn cluster_and_job(env: &Env) {
    let (cluster, family) = (unique("c"), unique("job"));
    env.apply::<EcsCluster>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: main}}\nspec: {{clusterName: {cluster}}}\n"
    ))
    .await;
    env.apply::<TaskDefinition>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: job}}\nspec:\n  family: {family}\n  \
         containerDefinitions:\n  - {{name: app, image: \"busybox:1\", memory: 128}}\n"
    ))
    .await;
}

/// A cluster, a task definition and an EcsTask `job` with `extra` spec lines.
pub(crate) async fn setup(env: &Env, extra: &str) {
    cluster_and_job(env).await;
    env.apply::<EcsTask>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsTask\nmetadata: {{name: job}}\nspec:\n  clusterRef: {{name: main}}\n  \
         taskDefinitionRef: {{name: job}}\n{extra}"
    ))
    .await;
}

pub(crate) fn is(task: &EcsTask, type_: &str, status: &str) -> bool {
    task.status
        .as_ref()
        .and_then(|s| condition(&s.conditions, type_))
        .is_some_and(|c| c.status == status)
}

pub(crate) fn reason(task: &EcsTask, type_: &str) -> String {
    task.status
        .as_ref()
        .and_then(|s| condition(&s.conditions, type_))
        .map(|c| format!("{}: {}", c.reason, c.message))
        .unwrap_or_default()
}

/// DescribeTasks of one task, straight from the double.
pub(crate) async fn described(env: &Env, arn: &str) -> aws_sdk_ecs::types::Task {
    let cluster = arn.split('/').nth(1).unwrap();
    let out = env
        .ecs
        .describe_tasks()
        .cluster(cluster)
        .tasks(arn)
        .send()
        .await
        .unwrap();
    out.tasks()[0].clone()
}

#[tokio::test]
async fn a_task_that_exits_0_completes() {
    let double = double("exit:0");
    let env = Env::against(&unique("task-ok"), &double.url).await;
    setup(&env, "  launchType: EC2\n  ttlSecondsAfterFinished: 300\n").await;
    let namespace = env.namespace.clone();
    let kubectl = tokio::task::spawn_blocking(move || {
        let home = std::env::var("HOME").unwrap_or_default();
        Command::new(format!("{home}/.cache/ecs-bridge/bin/kubectl"))
            .args(["wait", "--for=condition=Complete", "ecst/job", "-n"])
            .args([&namespace, "--timeout=90s"])
            .output()
            .expect("run kubectl")
    });
    let done = env
        .wait_for::<EcsTask>("job", WAIT, |t| is(t, "Complete", "True"))
        .await;
    let status = done.status.clone().unwrap();
    assert_eq!(status.phase, TaskPhase::Succeeded);
    assert_eq!((status.attempts, status.exit_code), (1, Some(0)));
    assert!(is(&done, "Ready", "True") && is(&done, "Failed", "False"));
    let task = &status.tasks[0];
    assert_eq!(task.stop_code.as_deref(), Some("EssentialContainerExited"));
    assert_eq!(task.containers[0].exit_code, Some(0));
    assert!(status.start_time.is_some() && status.completion_time.is_some());
    assert!(
        status
            .console_url
            .as_deref()
            .is_some_and(|u| u.contains("/tasks/"))
    );
    let waited = kubectl.await.unwrap();
    assert!(
        waited.status.success(),
        "kubectl wait: {}",
        String::from_utf8_lossy(&waited.stderr)
    );
}

#[tokio::test]
async fn a_failing_task_is_retried_up_to_the_backoff_limit() {
    let double = double("exit:1");
    let env = Env::against(&unique("task-retry"), &double.url).await;
    setup(&env, "  launchType: EC2\n  backoffLimit: 2\n").await;
    let failed = env
        .wait_for::<EcsTask>("job", WAIT, |t| is(t, "Failed", "True"))
        .await;
    let status = failed.status.clone().unwrap();
    assert_eq!(
        (status.attempts, status.failed_attempts, status.tasks.len()),
        (3, 3, 3)
    );
    assert_eq!(status.exit_code, Some(1));
    assert_eq!(status.phase, TaskPhase::Failed);
    let why = reason(&failed, "Failed");
    assert!(
        why.starts_with("BackoffLimitExceeded") && why.contains("exit code 1"),
        "{why}"
    );
    assert!(is(&failed, "Complete", "False") && is(&failed, "Ready", "False"));
    let attempts: Vec<i32> = status.tasks.iter().map(|t| t.attempt).collect();
    assert_eq!(attempts, [1, 2, 3]);
}

#[tokio::test]
async fn the_deadline_stops_a_hanging_task() {
    let double = double("hang");
    let env = Env::against(&unique("task-deadline"), &double.url).await;
    setup(&env, "  launchType: EC2\n  activeDeadlineSeconds: 4\n").await;
    let failed = env
        .wait_for::<EcsTask>("job", WAIT, |t| is(t, "Failed", "True"))
        .await;
    assert!(
        reason(&failed, "Failed").starts_with("DeadlineExceeded"),
        "{}",
        reason(&failed, "Failed")
    );
    let arn = failed.status.unwrap().tasks[0].arn.clone();
    let task = described(&env, &arn).await;
    assert_eq!(task.desired_status(), Some("STOPPED"));
    assert_eq!(task.stop_code().map(|c| c.as_str()), Some("UserInitiated"));
    assert!(
        task.stopped_reason()
            .unwrap_or_default()
            .contains("DeadlineExceeded")
    );
    // The operator keeps reading the stopped task until ECS shows it STOPPED.
    let stopped = env
        .wait_for::<EcsTask>("job", WAIT, |t| {
            t.status
                .as_ref()
                .is_some_and(|s| s.tasks[0].last_status.as_deref() == Some("STOPPED"))
        })
        .await;
    assert_eq!(
        stopped.status.unwrap().tasks[0].containers[0].exit_code,
        Some(143)
    );
}

#[tokio::test]
async fn deleting_a_running_task_stops_it() {
    let double = double("hang");
    let env = Env::against(&unique("task-delete"), &double.url).await;
    setup(&env, "  launchType: EC2\n").await;
    let running = env
        .wait_for::<EcsTask>("job", WAIT, |t| {
            t.status
                .as_ref()
                .is_some_and(|s| s.phase == TaskPhase::Running)
        })
        .await;
    let arn = running.status.unwrap().tasks[0].arn.clone();
    env.delete::<EcsTask>("job").await;
    env.wait_gone::<EcsTask>("job", WAIT).await;
    let task = described(&env, &arn).await;
    assert_eq!(task.desired_status(), Some("STOPPED"));
    assert!(
        task.stopped_reason()
            .unwrap_or_default()
            .contains("was deleted"),
        "{:?}",
        task.stopped_reason()
    );
}

#[tokio::test]
async fn a_finished_run_deletes_itself_after_its_ttl() {
    let double = double("exit:0");
    let env = Env::against(&unique("task-ttl"), &double.url).await;
    setup(&env, "  launchType: EC2\n  ttlSecondsAfterFinished: 2\n").await;
    env.wait_for::<EcsTask>("job", WAIT, |t| is(t, "Complete", "True"))
        .await;
    env.wait_gone::<EcsTask>("job", WAIT).await;
}

/// RunTask starts the task and then answers HTTP 500 (like a crash of the operator between the call and its status
/// write): the repeat with the recorded client token returns the same task, and no second one is started.
#[tokio::test]
async fn a_lost_run_task_answer_starts_no_second_task() {
    let double = double_losing_run_task_answers("4");
    let env = Env::against(&unique("task-lost"), &double.url).await;
    setup(&env, "  launchType: EC2\n").await;
    let unanswered = env
        .wait_for::<EcsTask>("job", WAIT, |t| {
            is(t, "Synced", "False") && t.status.as_ref().is_some_and(|s| s.attempts == 1)
        })
        .await;
    let status = unanswered.status.unwrap();
    assert!(status.in_flight.is_some() && status.tasks.is_empty());
    assert_eq!(double_stats(&double.url)["objects"]["tasks"], 1);
    configure(&double, r#"{"faultRate": 0}"#);
    let done = env
        .wait_for::<EcsTask>("job", WAIT, |t| is(t, "Complete", "True"))
        .await;
    let status = done.status.unwrap();
    assert_eq!((status.attempts, status.tasks.len()), (1, 1), "{status:?}");
    let stats = double_stats(&double.url);
    assert_eq!(stats["objects"]["tasks"], 1, "one task in ECS: {stats}");
    assert!(stats["calls"]["RunTask"].as_u64() >= Some(1), "{stats}");
}

/// Catalogue entry 58: a RunTask repeated after its task stopped answers the task with its ARN and statuses only;
/// the operator reads the outcome with DescribeTasks instead of judging the trimmed answer (which has no stop code
/// and no exit code), so the run completes with its one task.
#[tokio::test]
async fn a_repeated_run_task_after_the_task_stopped_reads_its_outcome() {
    let double = double_losing_run_task_answers("2");
    let env = Env::against(&unique("task-trimmed"), &double.url).await;
    setup(&env, "  launchType: EC2\n").await;
    env.wait_for::<EcsTask>("job", WAIT, |t| {
        is(t, "Synced", "False") && t.status.as_ref().is_some_and(|s| s.attempts == 1)
    })
    .await;
    // The task runs about 1.5 s at this speed: it has stopped before the answers come back.
    tokio::time::sleep(Duration::from_secs(4)).await;
    configure(&double, r#"{"faultRate": 0}"#);
    let done = env
        .wait_for::<EcsTask>("job", WAIT, |t| {
            is(t, "Complete", "True") || is(t, "Failed", "True")
        })
        .await;
    assert!(is(&done, "Complete", "True"), "{:?}", done.status);
    let status = done.status.unwrap();
    assert_eq!((status.attempts, status.tasks.len()), (1, 1));
    assert_eq!(status.exit_code, Some(0));
    let stats = double_stats(&double.url);
    assert_eq!(stats["objects"]["tasks"], 1, "one task in ECS: {stats}");
}

#[tokio::test]
async fn invalid_specs_make_no_ecs_call() {
    let double = double("exit:0");
    let env = Env::against(&unique("task-invalid"), &double.url).await;
    setup(
        &env,
        "  launchType: EC2\n  overrides: {containerOverrides: [{name: missing, command: [\"true\"]}]}\n",
    )
    .await;
    let refused = env
        .wait_for::<EcsTask>("job", WAIT, |t| {
            reason(t, "Synced").starts_with("InvalidSpec")
        })
        .await;
    let why = reason(&refused, "Synced");
    assert!(
        why.starts_with("InvalidSpec: spec.overrides.containerOverrides[0].name"),
        "{why}"
    );
    env.apply::<EcsTask>(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsTask\nmetadata: {name: fargate}\nspec:\n  cluster: main\n  \
         taskDefinition: job\n  launchType: FARGATE\n",
    )
    .await;
    let refused = env
        .wait_for::<EcsTask>("fargate", WAIT, |t| {
            reason(t, "Synced").starts_with("InvalidSpec")
        })
        .await;
    let why = reason(&refused, "Synced");
    assert!(
        why.starts_with("InvalidSpec: spec.networkConfiguration.awsvpcConfiguration"),
        "{why}"
    );
    let stats = double_stats(&double.url);
    assert!(
        stats["calls"].get("RunTask").is_none(),
        "no RunTask was sent: {stats}"
    );
}

/// The double's call counters and object counts (`GET /_double/stats`).
pub(crate) fn double_stats(url: &str) -> serde_json::Value {
    let out = Command::new("curl")
        .args(["-sf", &format!("{url}/_double/stats")])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).expect("the double's stats")
}
