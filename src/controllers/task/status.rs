//! The status of an `EcsTask` from what ECS reports (pure): task records, how a stopped task is judged (once,
//! when it is first seen stopped), phase, exit code, console link, the bound on recorded tasks, and the
//! `Complete`, `Failed` and `Ready` conditions.

use k8s_openapi::jiff::Timestamp;

use super::plan::{self, Outcome, is_stopped};
use crate::api::task::{ContainerRecord, EcsTaskStatus, TaskPhase, TaskRecord};
use crate::ecs::task::ObservedTask;
use crate::reconcile::conditions::{ConditionUpdate, READY};

pub const COMPLETE: &str = "Complete";
pub const FAILED: &str = "Failed";

/// The ECS stop code of tasks whose essential container exited on its own.
const ESSENTIAL_CONTAINER_EXITED: &str = "EssentialContainerExited";

/// Failed tasks kept in status besides the open and the succeeded ones (at most `count`, 10, each).
const FAILED_TASKS_KEPT: usize = 10;

/// Epoch seconds as Kubernetes writes times.
pub fn rfc3339(epoch: f64) -> String {
    Timestamp::from_millisecond((epoch * 1000.0) as i64)
        .unwrap_or_default()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A Kubernetes time as epoch seconds.
pub fn epoch(time: &str) -> Option<f64> {
    time.parse::<Timestamp>()
        .ok()
        .map(|t| t.as_millisecond() as f64 / 1000.0)
}

/// Now, in epoch seconds.
pub fn now() -> f64 {
    Timestamp::now().as_millisecond() as f64 / 1000.0
}

/// The short ID of a task ARN.
pub fn task_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// A record of a task RunTask started for `attempt`.
pub fn record(observed: &ObservedTask, attempt: i32) -> TaskRecord {
    let mut record = TaskRecord {
        arn: observed.task_arn.clone(),
        attempt,
        ..Default::default()
    };
    update(&mut record, observed);
    record
}

/// Brings a record up to what ECS reports now (an answer without containers, such as a trimmed one, keeps the
/// containers already recorded).
pub fn update(record: &mut TaskRecord, observed: &ObservedTask) {
    record.last_status = observed.last_status.clone();
    record.desired_status = observed.desired_status.clone();
    record.stop_code = observed.stop_code.clone();
    record.stopped_reason = observed.stopped_reason.clone();
    record.created_at = observed
        .created_at
        .map(rfc3339)
        .or(record.created_at.take());
    record.started_at = observed.started_at.map(rfc3339);
    record.stopped_at = observed.stopped_at.map(rfc3339);
    if !observed.containers.is_empty() {
        record.containers = observed
            .containers
            .iter()
            .map(|c| ContainerRecord {
                name: c.name.clone(),
                last_status: c.last_status.clone(),
                exit_code: c.exit_code,
                reason: c.reason.clone(),
            })
            .collect();
    }
}

/// Why a stopped task failed, or `None` when it succeeded: its essential containers (all when `essential` is not
/// known) exited with code 0.
pub fn task_failure(task: &TaskRecord, essential: Option<&[String]>) -> Option<String> {
    let id = task_id(&task.arn);
    if task.stop_code.as_deref() != Some(ESSENTIAL_CONTAINER_EXITED) {
        return Some(format!(
            "task {id} stopped with {}: {}",
            task.stop_code.as_deref().unwrap_or("no stop code"),
            task.stopped_reason.as_deref().unwrap_or("no reason given")
        ));
    }
    let failed = task
        .containers
        .iter()
        .filter(|c| essential.is_none_or(|names| names.contains(&c.name)))
        .find(|c| c.exit_code != Some(0))?;
    let code = failed
        .exit_code
        .map_or_else(|| "no exit code".to_owned(), |c| format!("exit code {c}"));
    let reason = failed
        .reason
        .as_deref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    Some(format!(
        "container {} of task {id} exited with {code}{reason}",
        failed.name
    ))
}

/// Judges the task at `index`, which has just been seen stopped: counts it as succeeded or failed (once; a
/// failure starts the backoff before the next attempt). Returns why it failed.
pub fn judge(status: &mut EcsTaskStatus, index: usize, now: f64) -> Option<String> {
    let essential = status.essential_containers.clone();
    let task = &mut status.tasks[index];
    if task.succeeded.is_some() || !is_stopped(task) {
        return None;
    }
    let failure = task_failure(task, essential.as_deref());
    task.succeeded = Some(failure.is_none());
    match &failure {
        None => status.succeeded += 1,
        Some(why) => note_failure(status, 1, why.clone(), now),
    }
    failure
}

/// Counts `tasks` failed tasks (or tasks ECS could not start) and starts the backoff.
pub fn note_failure(status: &mut EcsTaskStatus, tasks: i32, why: String, now: f64) {
    status.failed_attempts += tasks;
    status.last_failure = Some(why);
    backoff(status, now);
}

/// No new attempt before the backoff after the attempts made so far has passed.
pub fn backoff(status: &mut EcsTaskStatus, now: f64) {
    status.retry_after = Some(rfc3339(now + plan::backoff_seconds(status.attempts)));
}

/// Keeps the open tasks, the succeeded ones and the newest failed ones (status stays small however many
/// attempts a run makes).
pub fn trim(status: &mut EcsTaskStatus) {
    let failed = status
        .tasks
        .iter()
        .filter(|t| t.succeeded == Some(false))
        .count();
    let mut drop = failed.saturating_sub(FAILED_TASKS_KEPT);
    status.tasks.retain(|t| {
        let old_failure = t.succeeded == Some(false) && drop > 0;
        drop -= usize::from(old_failure);
        !old_failure
    });
}

/// The console page of a task (`arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID`); a best-effort display hint, as AWS
/// documents no deep-link format (catalogue entry 68).
pub fn console_url(arn: &str) -> Option<String> {
    let mut parts = arn.split(':');
    let region = parts.nth(3)?;
    let resource = parts.nth(1)?;
    let mut path = resource.split('/');
    let (kind, cluster, id) = (path.next()?, path.next()?, path.next()?);
    (kind == "task").then(|| {
        format!("https://{region}.console.aws.amazon.com/ecs/v2/clusters/{cluster}/tasks/{id}")
    })
}

/// The exit code to show: that of the first essential container of the newest stopped task that exited
/// non-zero, else 0 once one exited.
fn exit_code(status: &EcsTaskStatus) -> Option<i32> {
    let essential = status.essential_containers.as_deref();
    let newest = status.tasks.iter().rev().find(|t| is_stopped(t))?;
    let codes: Vec<i32> = newest
        .containers
        .iter()
        .filter(|c| essential.is_none_or(|names| names.contains(&c.name)))
        .filter_map(|c| c.exit_code)
        .collect();
    codes
        .iter()
        .copied()
        .find(|c| *c != 0)
        .or(codes.first().copied())
}

/// Fills in what follows from the records of a run that is not over: phase, exit code and console link.
pub fn summarize(status: &mut EcsTaskStatus) {
    let running = status
        .tasks
        .iter()
        .any(|t| !is_stopped(t) && t.last_status.as_deref() == Some("RUNNING"));
    status.phase = if running {
        TaskPhase::Running
    } else {
        TaskPhase::Pending
    };
    status.exit_code = exit_code(status);
    status.console_url = status.tasks.last().and_then(|t| console_url(&t.arn));
}

/// Ends the run at `now` with `outcome`; nothing of the status changes after this.
pub fn finish(status: &mut EcsTaskStatus, outcome: &Outcome, now: f64) {
    status.phase = match outcome {
        Outcome::Succeeded => TaskPhase::Succeeded,
        Outcome::Failed { .. } => TaskPhase::Failed,
    };
    if let Outcome::Failed { message, .. } = outcome {
        status.last_failure = Some(message.clone());
    }
    status.ending = None;
    status.retry_after = None;
    status.completion_time = Some(rfc3339(now));
}

/// The conditions of a run that is not over at `now`, or that ends now with `outcome`.
pub fn conditions(
    status: &EcsTaskStatus,
    outcome: Option<&Outcome>,
    now: f64,
) -> Vec<ConditionUpdate> {
    let all = |complete: bool, failed: bool, reason: &str, message: &str| {
        vec![
            ConditionUpdate::new(COMPLETE, complete, reason, message),
            ConditionUpdate::new(FAILED, failed, reason, message),
            ConditionUpdate::new(READY, complete, reason, message),
        ]
    };
    match outcome {
        Some(Outcome::Succeeded) => {
            let message = format!(
                "all {} task(s) succeeded ({} attempt(s))",
                status.succeeded, status.attempts
            );
            all(true, false, "Completed", &message)
        }
        Some(Outcome::Failed { reason, message }) => all(false, true, reason, message),
        None => {
            let (reason, message) = progress(status, now);
            all(false, false, &reason, &message)
        }
    }
}

/// Why a run that is not over is not over yet.
fn progress(status: &EcsTaskStatus, now: f64) -> (String, String) {
    let open = status.tasks.iter().filter(|t| !is_stopped(t)).count();
    if let Some(ending) = &status.ending {
        let message = format!("stopping {open} task(s): {}", ending.message);
        return (ending.reason.clone(), message);
    }
    let counts = format!(
        "{} task(s) succeeded, {open} running, {} failed; attempt {}",
        status.succeeded,
        status.failed_attempts,
        status.attempts.max(1)
    );
    let waiting = status
        .retry_after
        .as_deref()
        .and_then(epoch)
        .filter(|after| *after > now);
    match (waiting, &status.last_failure) {
        (Some(after), Some(why)) => (
            "BackingOff".into(),
            format!(
                "{counts}; the next attempt in {:.0}s after: {why}",
                after - now
            ),
        ),
        _ => (format!("{:?}", status.phase), counts),
    }
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
