//! `EcsCronTask` end to end, against the ECS test double: every minute (`*/1 * * * *`) it creates one owned
//! `EcsTask` named after the scheduled minute, which runs to Complete; restarting the operator creates no second
//! run of the same minute; deleting the cron task deletes its runs. With `concurrencyPolicy: Forbid` the next
//! minute's run waits while one is active, and the history limit deletes finished runs; with `deletionPolicy:
//! Retain` the runs outlive the cron task.

use std::time::Duration;

use ecs_bridge::api::{EcsCronTask, EcsTask};
use kube::ResourceExt;
use kube::api::ListParams;

use crate::harness::{Env, eventually_some, unique};
use crate::task::cluster_and_job;

const WAIT: Duration = Duration::from_secs(150);

async fn runs(env: &Env) -> Vec<EcsTask> {
    runs_of(env, "every-minute").await
}

#[tokio::test]
async fn a_cron_task_runs_once_per_scheduled_minute() {
    let double = ecs_double::spawn(&["--speedup", "4", "--task-seconds", "4"]);
    let mut env = Env::against(&unique("cron"), &double.url).await;
    cluster_and_job(&env).await;
    env.apply::<EcsCronTask>(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCronTask\nmetadata: {name: every-minute}\nspec:\n  \
         schedule: \"*/1 * * * *\"\n  concurrencyPolicy: Forbid\n  taskTemplate:\n    metadata: {labels: {team: batch}}\n    \
         spec:\n      clusterRef: {name: main}\n      taskDefinitionRef: {name: job}\n      launchType: EC2\n",
    )
    .await;
    let scheduled = env
        .wait_for::<EcsCronTask>("every-minute", WAIT, |c| {
            c.status
                .as_ref()
                .is_some_and(|s| s.last_schedule_time.is_some())
        })
        .await;
    let status = scheduled.status.unwrap();
    assert!(status.next_schedule_time.is_some());
    let first = runs(&env).await;
    assert_eq!(first.len(), 1, "one run per scheduled minute");
    let name = first[0].name_any();
    assert_eq!(first[0].labels()["team"], "batch");
    env.wait_for::<EcsTask>(&name, WAIT, |t| {
        t.status
            .as_ref()
            .and_then(|s| s.conditions.iter().find(|c| c.type_ == "Complete"))
            .is_some_and(|c| c.status == "True")
    })
    .await;
    // A restart (or a new leader) finds the run of that minute instead of creating another.
    env.start_operator().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after_restart = runs(&env).await;
    assert!(after_restart.iter().any(|r| r.name_any() == name));
    for run in &after_restart {
        let scheduled: jiff::Timestamp = run.annotations()["ecsbridge.dev/scheduled-at"]
            .parse()
            .unwrap();
        assert_eq!(
            run.name_any(),
            format!("every-minute-{}", scheduled.as_second() / 60),
            "a run is named after its scheduled minute, so it cannot be created twice"
        );
    }
    env.delete::<EcsCronTask>("every-minute").await;
    env.wait_gone::<EcsCronTask>("every-minute", WAIT).await;
    env.wait_gone::<EcsTask>(&name, WAIT).await;
}

/// The runs of a cron task.
async fn runs_of(env: &Env, cron: &str) -> Vec<EcsTask> {
    env.api::<EcsTask>()
        .list(&ListParams::default().labels(&format!("ecsbridge.dev/cron-task={cron}")))
        .await
        .unwrap()
        .items
}

fn scheduled_second(run: &EcsTask) -> i64 {
    run.annotations()["ecsbridge.dev/scheduled-at"]
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_second()
}

#[tokio::test]
async fn forbid_holds_the_next_run_while_one_is_active_and_the_history_limit_trims_finished_runs() {
    // Tasks outlive the minute: each runs 65 s (plus ECS's 3 s of provisioning and stopping).
    let double = ecs_double::spawn(&["--speedup", "1", "--task-seconds", "65"]);
    let env = Env::against(&unique("forbid"), &double.url).await;
    cluster_and_job(&env).await;
    env.apply::<EcsCronTask>(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCronTask\nmetadata: {name: long}\nspec:\n  \
         schedule: \"*/1 * * * *\"\n  concurrencyPolicy: Forbid\n  successfulRunsHistoryLimit: 0\n  taskTemplate:\n    \
         spec:\n      clusterRef: {name: main}\n      taskDefinitionRef: {name: job}\n      launchType: EC2\n",
    )
    .await;
    let first = eventually_some(WAIT, "the first run", || async {
        runs_of(&env, "long").await.into_iter().next()
    })
    .await;
    let first_name = first.name_any();
    // Past the next scheduled minute, the first run is still active: no second run, and the cron task says why.
    let next_minute = scheduled_second(&first) + 60;
    let now = jiff::Timestamp::now().as_second();
    tokio::time::sleep(Duration::from_secs((next_minute + 4 - now).max(0) as u64)).await;
    let runs = runs_of(&env, "long").await;
    assert_eq!(
        runs.iter().map(|r| r.name_any()).collect::<Vec<_>>(),
        vec![first_name.clone()],
        "Forbid: no second run while the first is active"
    );
    let cron = env.api::<EcsCronTask>().get("long").await.unwrap();
    let status = cron.status.unwrap();
    assert_eq!(status.active, vec![first_name.clone()]);
    let ready = status
        .conditions
        .iter()
        .find(|c| c.type_ == "Ready")
        .unwrap();
    assert!(
        ready
            .message
            .contains("still active (concurrencyPolicy Forbid)"),
        "{}",
        ready.message
    );
    // Once the first run completes, a history limit of 0 deletes it, and the held run starts.
    env.wait_gone::<EcsTask>(&first_name, WAIT).await;
    let later = eventually_some(WAIT, "the held run to start", || async {
        let runs = runs_of(&env, "long").await;
        runs.into_iter().find(|r| r.name_any() != first_name)
    })
    .await;
    assert_eq!(
        scheduled_second(&later),
        next_minute,
        "the held run is the next minute's"
    );
    // deletionPolicy Retain: the runs outlive the cron task, no longer owned by it (so no garbage collector
    // deletes them after it).
    env.patch::<EcsCronTask>(
        "long",
        serde_json::json!({"spec": {"deletionPolicy": "Retain"}}),
    )
    .await;
    env.delete::<EcsCronTask>("long").await;
    env.wait_gone::<EcsCronTask>("long", WAIT).await;
    let kept = env.api::<EcsTask>().get(&later.name_any()).await.unwrap();
    assert!(kept.metadata.deletion_timestamp.is_none());
    assert!(kept.owner_references().is_empty(), "orphaned");
}
