//! `EcsCronTask` end to end, against the ECS test double: every minute (`*/1 * * * *`) it creates one owned
//! `EcsTask` named after the scheduled minute, which runs to Complete; restarting the operator creates no second
//! run of the same minute; deleting the cron task deletes its runs.

use std::time::Duration;

use ecs_bridge::api::{EcsCluster, EcsCronTask, EcsTask, TaskDefinition};
use kube::ResourceExt;
use kube::api::ListParams;

use crate::harness::{Env, unique};

const WAIT: Duration = Duration::from_secs(150);

async fn runs(env: &Env) -> Vec<EcsTask> {
    env.api::<EcsTask>()
        .list(&ListParams::default().labels("ecsbridge.dev/cron-task=every-minute"))
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn a_cron_task_runs_once_per_scheduled_minute() {
    let double = ecs_double::spawn(&["--speedup", "4", "--task-seconds", "4"]);
    let mut env = Env::against(&unique("cron"), &double.url).await;
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
