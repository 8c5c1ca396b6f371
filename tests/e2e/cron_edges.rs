//! `EcsCronTask` at its edges, against the ECS test double: a run missed days ago (the cron task suspended, then
//! resumed) starts as a CronJob's would, the newest only, with an Event that says how many were missed; an
//! `EcsTask` of someone else under the name of the next run is reported and never counted as a run; with
//! `deletionPolicy: Retain`, `kubectl delete --cascade=orphan` leaves the runs and their tasks, and
//! `--cascade=foreground` deletes the runs and leaves their tasks running.

use std::time::Duration;

use ecs_bridge::api::{EcsCronTask, EcsTask};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Event;
use kube::ResourceExt;
use kube::api::{ListParams, Patch, PatchParams};

use crate::harness::{Env, eventually_some, unique};

const WAIT: Duration = Duration::from_secs(150);

fn cron_yaml(name: &str, schedule: &str, suspend: bool) -> String {
    format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCronTask\nmetadata: {{name: {name}}}\nspec:\n  \
         schedule: \"{schedule}\"\n  suspend: {suspend}\n  taskTemplate:\n    spec:\n      \
         clusterRef: {{name: main}}\n      taskDefinitionRef: {{name: job}}\n      launchType: EC2\n"
    )
}

/// The messages of the Events with `reason` about object `name`.
async fn event_messages(env: &Env, name: &str, reason: &str) -> Vec<String> {
    let events: kube::Api<Event> = env.api();
    events
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.involved_object.name.as_deref() == Some(name))
        .filter(|e| e.reason.as_deref() == Some(reason))
        .filter_map(|e| e.message)
        .collect()
}

#[tokio::test]
async fn a_run_missed_days_ago_starts_when_the_cron_task_is_resumed_and_an_event_counts_the_missed_runs()
 {
    let double = ecs_double::spawn(&["--speedup", "4", "--task-seconds", "4"]);
    let mut env = Env::against(&unique("cron-missed"), &double.url).await;
    // Weekly, at the minute 30 hours ago: the newest scheduled time is more than a day old.
    let newest =
        Timestamp::from_second((Timestamp::now().as_second() - 30 * 3600) / 60 * 60).unwrap();
    let utc = newest.to_zoned(jiff::tz::TimeZone::UTC);
    let schedule = format!(
        "{} {} * * {}",
        utc.minute(),
        utc.hour(),
        utc.weekday().to_sunday_zero_offset()
    );
    env.apply::<EcsCronTask>(&cron_yaml("weekly", &schedule, true))
        .await;
    env.wait_for::<EcsCronTask>("weekly", WAIT, |c| {
        c.status.as_ref().is_some_and(|s| {
            s.conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.message.starts_with("suspended"))
        })
    })
    .await;
    // While it was suspended (here: while the operator is stopped), two weekly times passed since the last run.
    env.stop_operator();
    let last_run = Timestamp::from_second(newest.as_second() - 7 * 24 * 3600 - 3600).unwrap();
    env.api::<EcsCronTask>()
        .patch_status(
            "weekly",
            &PatchParams::default(),
            &Patch::Merge(
                serde_json::json!({"status": {"lastScheduleTime": last_run.to_string()}}),
            ),
        )
        .await
        .unwrap();
    env.patch::<EcsCronTask>("weekly", serde_json::json!({"spec": {"suspend": false}}))
        .await;
    env.start_operator().await;
    let expected = format!("weekly-{}", newest.as_second() / 60);
    let run = eventually_some(WAIT, "the newest missed run", || async {
        env.api::<EcsTask>().get_opt(&expected).await.unwrap()
    })
    .await;
    assert_eq!(
        run.annotations()["ecsbridge.dev/scheduled-at"],
        newest.to_string()
    );
    let runs = env
        .api::<EcsTask>()
        .list(&ListParams::default().labels("ecsbridge.dev/cron-task=weekly"))
        .await
        .unwrap();
    assert_eq!(runs.items.len(), 1, "only the newest missed time runs");
    let told = eventually_some(WAIT, "the Event about the missed runs", || async {
        event_messages(&env, "weekly", "MissedSchedules")
            .await
            .pop()
    })
    .await;
    assert!(told.starts_with("2 scheduled times passed since"), "{told}");
}

#[tokio::test]
async fn an_ecstask_of_someone_else_under_the_next_runs_name_is_reported_and_not_counted() {
    let double = ecs_double::spawn(&["--speedup", "4", "--task-seconds", "4"]);
    let env = Env::against(&unique("cron-foreign"), &double.url).await;
    // EcsTasks that carry the cron task's label and the names of its next runs, but no ownerReference to it.
    let minute = Timestamp::now().as_second() / 60;
    let taken: Vec<String> = (1..=3)
        .map(|m| format!("squatted-{}", minute + m))
        .collect();
    for name in &taken {
        env.apply::<EcsTask>(&format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsTask\nmetadata:\n  name: {name}\n  labels: \
             {{ecsbridge.dev/cron-task: squatted}}\nspec:\n  clusterRef: {{name: elsewhere}}\n  \
             taskDefinitionRef: {{name: job}}\n  launchType: EC2\n"
        ))
        .await;
    }
    env.apply::<EcsCronTask>(&cron_yaml("squatted", "*/1 * * * *", false))
        .await;
    let refused = env
        .wait_for::<EcsCronTask>("squatted", WAIT, |c| {
            c.status.as_ref().is_some_and(|s| {
                s.conditions
                    .iter()
                    .any(|c| c.type_ == "Synced" && c.status == "False")
            })
        })
        .await;
    let status = refused.status.unwrap();
    let synced = status
        .conditions
        .iter()
        .find(|c| c.type_ == "Synced")
        .unwrap();
    assert_eq!(synced.reason, "AlreadyExists");
    assert!(
        taken
            .iter()
            .any(|t| synced.message.starts_with(&format!("EcsTask {t},"))),
        "{}",
        synced.message
    );
    assert!(
        status.active.is_empty(),
        "a foreign EcsTask is no run of ours: {:?}",
        status.active
    );
    assert!(status.last_schedule_time.is_none());
    env.wait_event("squatted", "Warning", "AlreadyExists", WAIT)
        .await;
    for name in &taken {
        let task = env.api::<EcsTask>().get(name).await.unwrap();
        assert!(task.owner_references().is_empty(), "{name} was left alone");
    }
}

#[tokio::test]
async fn with_deletion_policy_retain_orphan_deletion_leaves_the_runs_and_their_tasks() {
    let double = ecs_double::spawn(&["--speedup", "1", "--task-seconds", "600"]);
    let env = Env::against(&unique("cron-retain"), &double.url).await;
    crate::task::cluster_and_job(&env).await;
    let cascade = "orphan";
    let name = format!("retained-{cascade}");
    let run = crate::control_plane::long_cron(&env, &name).await;
    env.patch::<EcsCronTask>(
        &name,
        serde_json::json!({"spec": {"deletionPolicy": "Retain"}}),
    )
    .await;
    crate::harness::eventually(WAIT, "Retain observed", || async {
        let cron = env.api::<EcsCronTask>().get(&name).await.unwrap();
        cron.status.and_then(|s| s.observed_generation) == cron.metadata.generation
    })
    .await;
    let target = format!("ecscrontask/{name}");
    let flag = format!("--cascade={cascade}");
    let args = [
        "delete",
        &target,
        "-n",
        &env.namespace,
        &flag,
        "--wait=false",
    ];
    crate::tools::must("kubectl delete", crate::tools::kubectl(&args, None));
    env.wait_gone::<EcsCronTask>(&name, WAIT).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let kept = env.api::<EcsTask>().get_opt(&run.name_any()).await.unwrap();
    let kept = kept.unwrap_or_else(|| panic!("--cascade={cascade}: the run was deleted"));
    assert!(
        kept.metadata.deletion_timestamp.is_none(),
        "--cascade={cascade}: the run is being deleted"
    );
    assert!(
        kept.owner_references().is_empty(),
        "--cascade={cascade}: the run has no owner"
    );
    assert_eq!(
        crate::control_plane::ecs_task_states(&env, &kept).await,
        ["RUNNING"],
        "--cascade={cascade}: its task runs on"
    );
}

/// Item 14: `kubectl delete --cascade=foreground` of an EcsCronTask with `deletionPolicy: Retain` deletes its runs
/// first, as foreground deletion asks, and leaves their ECS tasks running, as the policy asks.
#[tokio::test]
async fn with_deletion_policy_retain_foreground_deletion_leaves_the_tasks_running() {
    let double = ecs_double::spawn(&["--speedup", "1", "--task-seconds", "600"]);
    let env = Env::against(&unique("cron-fg"), &double.url).await;
    crate::task::cluster_and_job(&env).await;
    let name = "retained-foreground";
    let run = crate::control_plane::long_cron(&env, name).await;
    env.patch::<EcsCronTask>(
        name,
        serde_json::json!({"spec": {"deletionPolicy": "Retain"}}),
    )
    .await;
    crate::harness::eventually(WAIT, "Retain observed", || async {
        let cron = env.api::<EcsCronTask>().get(name).await.unwrap();
        cron.status.and_then(|s| s.observed_generation) == cron.metadata.generation
    })
    .await;
    let target = format!("ecscrontask/{name}");
    let args = [
        "delete",
        &target,
        "-n",
        &env.namespace,
        "--cascade=foreground",
        "--wait=false",
    ];
    crate::tools::must("kubectl delete", crate::tools::kubectl(&args, None));
    env.wait_gone::<EcsCronTask>(name, WAIT).await;
    env.wait_gone::<EcsTask>(&run.name_any(), WAIT).await;
    let events = env.event_reasons(&run.name_any()).await;
    assert_eq!(
        crate::control_plane::ecs_task_states(&env, &run).await,
        ["RUNNING"],
        "the run's task runs on; the run's events: {events:?}"
    );
}
