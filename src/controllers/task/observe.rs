//! Brings the records of a run's open tasks up to what ECS reports, in the cluster the run recorded, and judges
//! each task seen stopped once (by its essential containers); a task ECS no longer shows (stopped tasks are described for about an hour, catalogue
//! entry 62) ends with an unknown outcome; a cluster that is gone ends the run, its tasks gone with it.

use futures::future::try_join_all;

use super::plan::is_stopped;
use super::status::{self, epoch, rfc3339, task_id};
use crate::api::task::{EcsTaskStatus, Ending, TaskRecord};
use crate::ecs::AwsErrorKind;
use crate::reconcile::{Context, Error, Note};

/// How long after RunTask created a task a MISSING answer may still mean "not visible yet" (DescribeTasks is
/// eventually consistent right after RunTask, catalogue entry 63).
const MISSING_GRACE_SECONDS: f64 = 60.0;

/// The stop code the operator records for a task ECS no longer shows before its end was seen.
pub const TASK_EXPIRED: &str = "TaskExpired";
/// The stop code the operator records for a task whose cluster is gone.
pub const CLUSTER_NOT_FOUND: &str = "ClusterNotFound";

/// Observes the open tasks of the run at `now`; returns what happened worth an event.
pub async fn observe(
    ctx: &Context,
    status: &mut EcsTaskStatus,
    now: f64,
) -> Result<Vec<Note>, Error> {
    let Some(cluster) = status.cluster_arn.clone() else {
        return Ok(Vec::new());
    };
    let open: Vec<String> = status
        .tasks
        .iter()
        .filter(|t| !is_stopped(t))
        .map(|t| t.arn.clone())
        .collect();
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let lookups = open.iter().map(|arn| ctx.ecs.describe_task(&cluster, arn));
    let found = match try_join_all(lookups).await {
        Ok(found) => found,
        Err(err) if err.kind == AwsErrorKind::NotFound => {
            return Ok(cluster_gone(status, &cluster, now));
        }
        Err(err) => return Err(err.into()),
    };
    let mut notes = Vec::new();
    for (arn, observed) in open.iter().zip(found) {
        let Some(index) = status.tasks.iter().position(|t| &t.arn == arn) else {
            continue;
        };
        match observed {
            Some(observed) => status::update(&mut status.tasks[index], &observed),
            None if missing_for_good(status, index, now) => {
                let task = &mut status.tasks[index];
                task.last_status = Some("STOPPED".into());
                task.stop_code = Some(TASK_EXPIRED.into());
                task.stopped_reason = Some(
                    "ECS no longer shows this task (stopped tasks are shown for about an hour): its outcome \
                     is unknown"
                        .into(),
                );
                notes.push(Note::warning(
                    TASK_EXPIRED,
                    format!(
                        "task {} expired in ECS before its end was seen; it counts as failed",
                        task_id(arn)
                    ),
                ));
            }
            None => {}
        }
    }
    Ok(notes)
}

/// Judges every task seen stopped and not judged yet (once each). When the outcome depends on which containers
/// are essential and the run does not know yet (a task definition named by family or ARN), the revision the run
/// ran is read first.
pub async fn settle(
    ctx: &Context,
    status: &mut EcsTaskStatus,
    now: f64,
) -> Result<Vec<Note>, Error> {
    let unjudged = |t: &&TaskRecord| is_stopped(t) && t.succeeded.is_none();
    let needs_essential = status.essential_containers.is_none()
        && status
            .tasks
            .iter()
            .filter(unjudged)
            .any(|t| t.containers.iter().any(|c| c.exit_code != Some(0)));
    if needs_essential && let Some(revision) = status.task_definition_arn.clone() {
        let found = ctx.ecs.describe_task_definition(&revision).await?;
        status.essential_containers = found.map(|r| essential_of(&r.content));
    }
    let mut notes = Vec::new();
    for index in 0..status.tasks.len() {
        if let Some(why) = status::judge(status, index, now) {
            notes.push(Note::warning("TaskFailed", why));
        }
    }
    Ok(notes)
}

/// The essential containers of a task definition as ECS JSON (`essential` defaults to true).
fn essential_of(content: &serde_json::Value) -> Vec<String> {
    let containers = content["containerDefinitions"]
        .as_array()
        .into_iter()
        .flatten();
    containers
        .filter(|c| c["essential"].as_bool() != Some(false))
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect()
}

/// Whether a task ECS answered MISSING for is gone for good rather than not visible yet: ECS showed it started
/// before, or it was created (or, if ECS never showed it, the run started) more than a minute ago.
fn missing_for_good(status: &EcsTaskStatus, index: usize, now: f64) -> bool {
    let task = &status.tasks[index];
    if task.started_at.is_some() {
        return true;
    }
    let since = task
        .created_at
        .as_deref()
        .or(status.start_time.as_deref())
        .and_then(epoch);
    since.is_none_or(|since| now - since > MISSING_GRACE_SECONDS)
}

/// The run's cluster is gone: its open tasks are gone with it and the run ends.
fn cluster_gone(status: &mut EcsTaskStatus, cluster: &str, now: f64) -> Vec<Note> {
    let message = format!("the cluster {cluster} no longer exists; its tasks are gone with it");
    for task in status.tasks.iter_mut().filter(|t| !is_stopped(t)) {
        task.last_status = Some("STOPPED".into());
        task.desired_status = Some("STOPPED".into());
        task.stop_code = Some(CLUSTER_NOT_FOUND.into());
        task.stopped_reason = Some(message.clone());
        task.stopped_at.get_or_insert_with(|| rfc3339(now));
    }
    status.ending = Some(Ending {
        reason: CLUSTER_NOT_FOUND.into(),
        message: message.clone(),
    });
    vec![Note::warning(CLUSTER_NOT_FOUND, message)]
}
