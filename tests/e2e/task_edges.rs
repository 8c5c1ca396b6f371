//! `EcsTask` at the edges of a run, against the ECS test double (issue: Job truth at the edges): a RunTask that
//! places only some tasks, non-essential containers, references and the spec changing while a run is active, and
//! a RunTask that ECS refuses. Status is read as JSON so that each test states ECS's and Kubernetes' documented
//! behaviour, not our status types.

use std::time::Duration;

use ecs_bridge::api::{EcsCluster, EcsTask, TaskDefinition};
use serde_json::{Value, json};

use crate::harness::{Env, configure, unique};
use crate::task::{
    WAIT, cluster_and_job, described, double, double_losing_run_task_answers, double_stats, is,
    reason, setup,
};

/// The status of `task` as JSON.
fn status(task: &EcsTask) -> Value {
    serde_json::to_value(&task.status).unwrap_or_default()
}

fn over(task: &EcsTask) -> bool {
    is(task, "Complete", "True") || is(task, "Failed", "True")
}

/// Item 1 (catalogue entry 59): RunTask places 1 of `count: 3`. The run is not Complete when that one exits 0:
/// the two missing tasks are placed later (not counted as failed tasks), and the placement failure stays recorded.
#[tokio::test]
async fn a_partial_placement_is_placed_again_and_stays_recorded() {
    let double = double("exit:0");
    configure(&double, r#"{"unplaceableTasks": 2}"#);
    let env = Env::against(&unique("task-placement"), &double.url).await;
    setup(&env, "  launchType: EC2\n  count: 3\n").await;
    let done = env.wait_for::<EcsTask>("job", WAIT, over).await;
    assert!(
        is(&done, "Complete", "True"),
        "{}",
        reason(&done, "Complete")
    );
    let status = status(&done);
    let attempts: Vec<i64> = status["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["attempt"].as_i64().unwrap())
        .collect();
    assert_eq!(
        attempts,
        [1, 2, 2],
        "only the two missing tasks were placed again"
    );
    assert_eq!(status["failedAttempts"], 0, "{status}");
    let placement = &status["placementFailures"][0];
    assert_eq!(
        (
            placement["requested"].as_i64(),
            placement["placed"].as_i64()
        ),
        (Some(3), Some(1))
    );
    assert!(
        placement["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("RESOURCE:"),
        "{placement}"
    );
    assert_eq!(double_stats(&double.url)["calls"]["RunTask"], 2);
    let events = env.event_reasons("job").await;
    assert!(
        events.iter().any(|(_, r)| r == "PlacementFailed"),
        "{events:?}"
    );
}

/// A TaskDefinition `sidecar` (family `family`): an essential `app` and a non-essential `logs` container.
fn with_sidecar(family: &str) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: sidecar}}\nspec:\n  family: {family}\n  \
         containerDefinitions:\n  - {{name: app, image: \"busybox:1\", memory: 128}}\n  \
         - {{name: logs, image: \"busybox:1\", memory: 64, essential: false}}\n"
    )
}

/// Item 4 (catalogue entry 79): the essential container exits 0, the sidecar ECS stops shows 137: the run
/// succeeds, with a `taskDefinitionRef` and with a `taskDefinition` family name alike; once over, its status does
/// not change at later reconciles.
#[tokio::test]
async fn only_essential_containers_decide_and_a_finished_status_is_frozen() {
    let double = double("exit:0");
    configure(&double, r#"{"sidecarExitCode": 137}"#);
    let env = Env::against(&unique("task-sidecar"), &double.url).await;
    cluster_and_job(&env).await;
    let family = unique("sidecar");
    env.apply::<TaskDefinition>(&with_sidecar(&family)).await;
    env.apply::<EcsTask>(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsTask\nmetadata: {name: by-ref}\nspec:\n  clusterRef: {name: main}\n  \
         taskDefinitionRef: {name: sidecar}\n  launchType: EC2\n",
    )
    .await;
    let by_ref = env.wait_for::<EcsTask>("by-ref", WAIT, over).await;
    assert!(
        is(&by_ref, "Complete", "True"),
        "{}",
        reason(&by_ref, "Failed")
    );
    let cluster = status(&by_ref)["clusterArn"].as_str().unwrap().to_owned();
    env.apply::<EcsTask>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsTask\nmetadata: {{name: by-name}}\nspec:\n  cluster: {cluster}\n  \
         taskDefinition: {family}\n  launchType: EC2\n"
    ))
    .await;
    let by_name = env.wait_for::<EcsTask>("by-name", WAIT, over).await;
    assert!(
        is(&by_name, "Complete", "True"),
        "{}",
        reason(&by_name, "Failed")
    );
    let sidecar_exit = &status(&by_name)["tasks"][0]["containers"];
    assert!(
        sidecar_exit.to_string().contains("137"),
        "the sidecar exited 137: {sidecar_exit}"
    );
    assert_eq!(status(&by_name)["exitCode"], 0);
    // Later reconciles (a label change wakes the object) leave the finished status as it was.
    let before = status(&by_ref);
    env.patch::<EcsTask>("by-ref", json!({"metadata": {"labels": {"poke": "1"}}}))
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = status(&env.api::<EcsTask>().get("by-ref").await.unwrap());
    assert_eq!(before, after);
}

/// Item 3: once the run started, its deadline stops its task even though the TaskDefinition object it referred
/// to is gone; the run does not wait for the reference.
#[tokio::test]
async fn a_started_run_does_not_depend_on_its_references() {
    let double = double("hang");
    let env = Env::against(&unique("task-refs"), &double.url).await;
    setup(&env, "  launchType: EC2\n  activeDeadlineSeconds: 10\n").await;
    env.wait_for::<EcsTask>("job", WAIT, |t| status(t)["phase"] == "Running")
        .await;
    env.delete::<TaskDefinition>("job").await;
    env.wait_gone::<TaskDefinition>("job", WAIT).await;
    let failed = env.wait_for::<EcsTask>("job", WAIT, over).await;
    let why = reason(&failed, "Failed");
    assert!(why.starts_with("DeadlineExceeded"), "{why}");
    let arn = status(&failed)["tasks"][0]["arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = described(&env, &arn).await;
    assert_eq!(task.last_status(), Some("STOPPED"));
}

/// Items 5 and 6: the RunTask answer is lost, then the spec is edited (another cluster, another group) before the
/// repeat: the repeat runs what the run started with (no second task, no ConflictException, the recorded cluster),
/// and a Warning says the edit does not change the started run.
#[tokio::test]
async fn an_edit_while_a_run_is_active_does_not_change_what_it_runs() {
    let double = double_losing_run_task_answers("4");
    let env = Env::against(&unique("task-edit"), &double.url).await;
    setup(&env, "  launchType: EC2\n  group: first\n").await;
    let other = unique("other");
    env.apply::<EcsCluster>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: other}}\nspec: {{clusterName: {other}}}\n"
    ))
    .await;
    let unanswered = env
        .wait_for::<EcsTask>("job", WAIT, |t| {
            is(t, "Synced", "False") && status(t)["attempts"] == 1
        })
        .await;
    let cluster = status(&unanswered)["clusterArn"]
        .as_str()
        .unwrap()
        .to_owned();
    env.patch::<EcsTask>(
        "job",
        json!({"spec": {"clusterRef": {"name": "other"}, "group": "edited"}}),
    )
    .await;
    env.wait_event("job", "Warning", "SpecChangedWhileActive", WAIT)
        .await;
    configure(&double, r#"{"faultRate": 0}"#);
    let done = env.wait_for::<EcsTask>("job", WAIT, over).await;
    assert!(is(&done, "Complete", "True"), "{}", reason(&done, "Failed"));
    let status = status(&done);
    assert_eq!(status["clusterArn"], cluster.as_str());
    assert_eq!(status["tasks"].as_array().unwrap().len(), 1);
    let task = described(&env, status["tasks"][0]["arn"].as_str().unwrap()).await;
    assert_eq!(
        (task.cluster_arn(), task.group()),
        (Some(cluster.as_str()), Some("first"))
    );
    assert_eq!(double_stats(&double.url)["objects"]["tasks"], 1);
}

/// Item 15: ECS refuses the RunTask (a task definition without awsvpc on Fargate, named by family so no check
/// before the call can see it): Synced=False carries ECS's error and message, the run has not started, and once
/// the spec is fixed the run starts from the fixed spec.
#[tokio::test]
async fn a_refused_run_task_says_why_and_a_fixed_spec_runs() {
    let double = double("exit:0");
    let env = Env::against(&unique("task-refused"), &double.url).await;
    cluster_and_job(&env).await;
    let td = env
        .wait_for::<TaskDefinition>("job", WAIT, |t| {
            t.status.as_ref().is_some_and(|s| s.latest_arn.is_some())
        })
        .await;
    let family = td.spec.family.clone().unwrap_or_default();
    let manifest = |launch: &str| {
        format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsTask\nmetadata: {{name: job}}\nspec:\n  clusterRef: {{name: main}}\n  \
             taskDefinition: {family}\n{launch}"
        )
    };
    env.apply::<EcsTask>(&manifest(
        "  launchType: FARGATE\n  networkConfiguration: {awsvpcConfiguration: {subnets: [subnet-1]}}\n",
    ))
    .await;
    let refused = env
        .wait_for::<EcsTask>("job", WAIT, |t| {
            reason(t, "Synced").contains("ClientException")
        })
        .await;
    let why = reason(&refused, "Synced");
    assert!(
        why.contains("ClientException") && why.contains("FARGATE"),
        "{why}"
    );
    assert_eq!(status(&refused)["phase"], "Pending");
    env.apply::<EcsTask>(&manifest("  launchType: EC2\n")).await;
    let done = env.wait_for::<EcsTask>("job", WAIT, over).await;
    assert!(is(&done, "Complete", "True"), "{}", reason(&done, "Failed"));
}

/// Item 5 (catalogue entry 58): the RunTask answer is lost and the client token's lifetime passes before the
/// repeat: the repeat first looks for the task by `startedBy`, so no second task is started.
#[tokio::test]
async fn a_repeat_after_the_tokens_lifetime_starts_no_second_task() {
    let double = double_losing_run_task_answers("4");
    // A token lives 4 s at this speed-up: 1 s.
    configure(&double, r#"{"clientTokenSeconds": 4}"#);
    let env = Env::against(&unique("task-token-gone"), &double.url).await;
    setup(&env, "  launchType: EC2\n").await;
    env.wait_for::<EcsTask>("job", WAIT, |t| {
        is(t, "Synced", "False") && status(t)["attempts"] == 1
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    configure(&double, r#"{"faultRate": 0}"#);
    let done = env.wait_for::<EcsTask>("job", WAIT, over).await;
    assert!(is(&done, "Complete", "True"), "{}", reason(&done, "Failed"));
    assert_eq!(status(&done)["tasks"].as_array().unwrap().len(), 1);
    let stats = double_stats(&double.url);
    assert_eq!(stats["objects"]["tasks"], 1, "one task in ECS: {stats}");
}
