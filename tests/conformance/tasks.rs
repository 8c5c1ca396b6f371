//! Task behaviours of `docs/ecs-behaviour.md` (entries 58-64): a task runs and stops with its containers' exit
//! code, RunTask's clientToken returns the same tasks (a stopped one with its ARN and statuses only), StopTask is UserInitiated with the reason given, and
//! DescribeTasks reports unknown tasks as MISSING. moto cannot run tasks the way ECS does, and a real account needs
//! capacity for EC2 tasks, so the scenarios that run tasks hold on the double only.

use aws_sdk_ecs::types::{LaunchType, Task};

use crate::harness::{Outcome, Run, describe, ensure};
use crate::services::register;

const IMAGE: &str = "public.ecr.aws/docker/library/busybox:1";

/// Runs one task of `td` on `cluster` (EC2) with `token`, returning its ARN.
async fn run_task(run: &Run, cluster: &str, td: &str, token: &str) -> Result<String, String> {
    let out = run
        .ecs()
        .run_task()
        .cluster(cluster)
        .task_definition(td)
        .count(1)
        .launch_type(LaunchType::Ec2)
        .client_token(token)
        .started_by("ecsb-conformance")
        .send()
        .await
        .map_err(|e| format!("RunTask: {}", describe(&e)))?;
    ensure(out.failures().is_empty(), || {
        format!("RunTask failures: {:?}", out.failures())
    })?;
    out.tasks()
        .first()
        .and_then(|t| t.task_arn())
        .map(str::to_owned)
        .ok_or_else(|| "RunTask started no task".into())
}

/// The task once DescribeTasks shows it STOPPED.
async fn stopped(run: &Run, cluster: &str, arn: &str) -> Result<Task, String> {
    run.eventually("the task to stop", || async {
        let out = run
            .ecs()
            .describe_tasks()
            .cluster(cluster)
            .tasks(arn)
            .send()
            .await
            .map_err(|e| format!("DescribeTasks: {}", describe(&e)))?;
        Ok(out
            .tasks()
            .first()
            .filter(|t| t.last_status() == Some("STOPPED"))
            .cloned())
    })
    .await
}

/// A task goes through its life to STOPPED; its essential container exited 0, so the stop code is
/// EssentialContainerExited with "Essential container in task exited".
pub async fn a_task_runs_and_stops_with_exit_code_0(run: &Run) -> Outcome {
    let cluster = run.cluster("task").await?;
    let td = register(run, "job", IMAGE).await?;
    let arn = run_task(run, &cluster, &td, "conformance-run-1").await?;
    let task = stopped(run, &cluster, &arn).await?;
    let exit = task.containers().first().and_then(|c| c.exit_code());
    ensure(
        task.stop_code().map(|c| c.as_str()) == Some("EssentialContainerExited")
            && task.stopped_reason() == Some("Essential container in task exited")
            && exit == Some(0)
            && task.desired_status() == Some("STOPPED"),
        || format!("the stopped task shows {task:?}"),
    )
}

/// RunTask again with the same clientToken and parameters returns the task it started, and starts no other.
pub async fn run_task_with_the_same_client_token_returns_the_same_task(run: &Run) -> Outcome {
    let cluster = run.cluster("token").await?;
    let td = register(run, "job", IMAGE).await?;
    let first = run_task(run, &cluster, &td, "conformance-token-1").await?;
    let again = run_task(run, &cluster, &td, "conformance-token-1").await?;
    ensure(first == again, || {
        format!("the same token started another task: {first} then {again}")
    })?;
    let listed = run
        .ecs()
        .list_tasks()
        .cluster(&cluster)
        .started_by("ecsb-conformance")
        .send()
        .await
        .map_err(|e| format!("ListTasks: {}", describe(&e)))?;
    ensure(listed.task_arns() == [first], || {
        format!("ListTasks shows {:?}", listed.task_arns())
    })
}

/// Entry 58: RunTask repeated with the same token after the task stopped answers that task with its ARN, last status
/// and desired status only ("Tasks that have been stopped for under an hour only include the task ARN, last status,
/// and desired status"), and starts nothing; DescribeTasks still tells its outcome.
pub async fn a_repeated_run_task_answers_a_stopped_task_trimmed(run: &Run) -> Outcome {
    let cluster = run.cluster("trimmed").await?;
    let td = register(run, "job", IMAGE).await?;
    let repeat = || {
        run.ecs()
            .run_task()
            .cluster(&cluster)
            .task_definition(&td)
            .count(1)
            .launch_type(LaunchType::Ec2)
            .client_token("conformance-trimmed-1")
            .started_by("ecsb-conformance")
            .send()
    };
    let arn = run_task(run, &cluster, &td, "conformance-trimmed-1").await?;
    let described = stopped(run, &cluster, &arn).await?;
    let out = repeat()
        .await
        .map_err(|e| format!("RunTask again: {}", describe(&e)))?;
    let task = out.tasks().first().ok_or("the repeat answered no task")?;
    ensure(
        out.tasks().len() == 1
            && task.task_arn() == Some(arn.as_str())
            && task.last_status() == Some("STOPPED")
            && task.desired_status() == Some("STOPPED"),
        || format!("the repeat answered {:?}", out.tasks()),
    )?;
    ensure(
        task.containers().is_empty() && task.stop_code().is_none() && task.started_at().is_none(),
        || format!("the repeat answered more than the ARN and statuses: {task:?}"),
    )?;
    ensure(!described.containers().is_empty(), || {
        format!("DescribeTasks shows no containers: {described:?}")
    })
}

/// StopTask sets the desired status STOPPED at once; the task then stops with stop code UserInitiated and the
/// reason given as stoppedReason.
pub async fn stop_task_gives_user_initiated_with_the_reason(run: &Run) -> Outcome {
    let cluster = run.cluster("stop").await?;
    let td = register(run, "job", IMAGE).await?;
    let arn = run_task(run, &cluster, &td, "conformance-stop-1").await?;
    let out = run
        .ecs()
        .stop_task()
        .cluster(&cluster)
        .task(&arn)
        .reason("conformance says stop")
        .send()
        .await
        .map_err(|e| format!("StopTask: {}", describe(&e)))?;
    ensure(
        out.task().and_then(|t| t.desired_status()) == Some("STOPPED"),
        || format!("StopTask answered {:?}", out.task()),
    )?;
    let task = stopped(run, &cluster, &arn).await?;
    ensure(
        task.stop_code().map(|c| c.as_str()) == Some("UserInitiated")
            && task.stopped_reason() == Some("conformance says stop"),
        || format!("the stopped task shows {task:?}"),
    )
}

/// DescribeTasks answers an unknown task as a failure with reason MISSING, not as an error (moto 5.2 answers
/// neither a task nor a failure, so it is not a backend here).
pub async fn describe_tasks_reports_unknown_tasks_as_missing(run: &Run) -> Outcome {
    let cluster = run.cluster("missing").await?;
    let out = run
        .ecs()
        .describe_tasks()
        .cluster(&cluster)
        .tasks("0123456789abcdef0123456789abcdef")
        .send()
        .await
        .map_err(|e| format!("DescribeTasks: {}", describe(&e)))?;
    let reasons: Vec<_> = out.failures().iter().map(|f| f.reason()).collect();
    ensure(
        out.tasks().is_empty() && reasons == [Some("MISSING")],
        || format!("DescribeTasks of an unknown task: {out:?}"),
    )
}

crate::conformance! {
    tasks;
    a_task_runs_and_stops_with_exit_code_0 on [Double];
    run_task_with_the_same_client_token_returns_the_same_task on [Double];
    a_repeated_run_task_answers_a_stopped_task_trimmed on [Double];
    stop_task_gives_user_initiated_with_the_reason on [Double];
    describe_tasks_reports_unknown_tasks_as_missing on [Double, Aws];
}
