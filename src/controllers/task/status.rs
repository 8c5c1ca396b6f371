//! The status of an `EcsTask` from what ECS reports (pure): task records, phase, exit code, duration, console link
//! and the `Complete`, `Failed` and `Ready` conditions.

use k8s_openapi::jiff::Timestamp;

use super::plan::{self, Attempt, Outcome, is_stopped};
use crate::api::task::{ContainerRecord, EcsTaskStatus, TaskPhase, TaskRecord};
use crate::ecs::task::ObservedTask;
use crate::reconcile::conditions::{ConditionUpdate, READY};

pub const COMPLETE: &str = "Complete";
pub const FAILED: &str = "Failed";

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

/// Brings a record up to what ECS reports now.
pub fn update(record: &mut TaskRecord, observed: &ObservedTask) {
    record.last_status = observed.last_status.clone();
    record.desired_status = observed.desired_status.clone();
    record.stop_code = observed.stop_code.clone();
    record.stopped_reason = observed.stopped_reason.clone();
    record.started_at = observed.started_at.map(rfc3339);
    record.stopped_at = observed.stopped_at.map(rfc3339);
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

/// `1h2m`, `3m4s` or `5s`.
pub fn duration(seconds: f64) -> String {
    let total = seconds.max(0.0) as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m"),
    }
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

/// The exit code to show: that of the first essential container of the newest attempt that exited non-zero,
/// else 0 once one exited.
fn exit_code(status: &EcsTaskStatus, essential: Option<&[String]>) -> Option<i32> {
    let codes: Vec<i32> = status
        .tasks
        .iter()
        .filter(|t| t.attempt == status.attempts)
        .flat_map(|t| &t.containers)
        .filter(|c| essential.is_none_or(|names| names.contains(&c.name)))
        .filter_map(|c| c.exit_code)
        .collect();
    codes
        .iter()
        .copied()
        .find(|c| *c != 0)
        .or(codes.first().copied())
}

/// Fills in what follows from the records at `now`: failed attempts, phase (until the run is over), exit code,
/// duration and console link.
pub fn summarize(status: &mut EcsTaskStatus, essential: Option<&[String]>, now: f64) {
    let current = plan::attempt(status, status.attempts, essential);
    if let Attempt::Failed(why) = &current {
        status.failed_attempts = status.attempts;
        status.last_failure = Some(why.clone());
    } else {
        status.failed_attempts = status.attempts.saturating_sub(1).max(0);
    }
    if !matches!(status.phase, TaskPhase::Succeeded | TaskPhase::Failed) {
        let running = status
            .tasks
            .iter()
            .any(|t| !is_stopped(t) && t.last_status.as_deref() == Some("RUNNING"));
        status.phase = if running {
            TaskPhase::Running
        } else {
            TaskPhase::Pending
        };
    }
    status.exit_code = exit_code(status, essential);
    let start = status.start_time.as_deref().and_then(epoch);
    let end = status
        .completion_time
        .as_deref()
        .and_then(epoch)
        .unwrap_or(now);
    status.duration = start.map(|s| duration(end - s));
    status.console_url = status.tasks.last().and_then(|t| console_url(&t.arn));
}

/// Ends the run at `now` with `outcome`.
pub fn finish(status: &mut EcsTaskStatus, outcome: &Outcome, now: f64) {
    status.phase = match outcome {
        Outcome::Succeeded => TaskPhase::Succeeded,
        Outcome::Failed { .. } => TaskPhase::Failed,
    };
    if let Outcome::Failed { message, .. } = outcome {
        status.last_failure = Some(message.clone());
    }
    status.completion_time = Some(rfc3339(now));
}

/// The conditions of a run that is not over, or that ends now with `outcome`; none for a run that ended before
/// (its conditions stay as they were written).
pub fn conditions(status: &EcsTaskStatus, outcome: Option<&Outcome>) -> Vec<ConditionUpdate> {
    let (complete, failed, ready) = match outcome {
        Some(Outcome::Succeeded) => {
            let message = format!("all tasks succeeded (attempt {})", status.attempts);
            (
                ConditionUpdate::new(COMPLETE, true, "Completed", &message),
                ConditionUpdate::new(FAILED, false, "Completed", &message),
                ConditionUpdate::new(READY, true, "Completed", &message),
            )
        }
        Some(Outcome::Failed { reason, message }) => (
            ConditionUpdate::new(COMPLETE, false, *reason, message),
            ConditionUpdate::new(FAILED, true, *reason, message),
            ConditionUpdate::new(READY, false, *reason, message),
        ),
        None if matches!(status.phase, TaskPhase::Succeeded | TaskPhase::Failed) => {
            return Vec::new();
        }
        None => {
            let reason = format!("{:?}", status.phase);
            let message = format!(
                "attempt {} ({} failed before it): {reason}",
                status.attempts.max(1),
                status.failed_attempts
            );
            (
                ConditionUpdate::new(COMPLETE, false, &reason, &message),
                ConditionUpdate::new(FAILED, false, &reason, &message),
                ConditionUpdate::new(READY, false, &reason, &message),
            )
        }
    };
    vec![complete, failed, ready]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::task::ObservedContainer;

    #[test]
    fn formats_times_durations_and_links() {
        assert_eq!(rfc3339(1_700_000_000.4), "2023-11-14T22:13:20Z");
        assert_eq!(epoch("2023-11-14T22:13:20Z"), Some(1_700_000_000.0));
        assert_eq!(duration(5.9), "5s");
        assert_eq!(duration(184.0), "3m4s");
        assert_eq!(duration(3720.0), "1h2m");
        assert_eq!(
            console_url("arn:aws:ecs:eu-west-1:123456789012:task/main/abc").as_deref(),
            Some("https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/main/tasks/abc")
        );
        assert_eq!(console_url("arn:aws:ecs:eu-west-1:1:task/abc"), None);
    }

    #[test]
    fn summarizes_a_failed_attempt() {
        let observed = ObservedTask {
            task_arn: "arn:aws:ecs:us-east-1:1:task/main/t1".into(),
            last_status: Some("STOPPED".into()),
            stop_code: Some("EssentialContainerExited".into()),
            containers: vec![ObservedContainer {
                name: "app".into(),
                exit_code: Some(2),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut status = EcsTaskStatus {
            attempts: 1,
            tasks: vec![record(&observed, 1)],
            start_time: Some("2023-11-14T22:13:20Z".into()),
            ..Default::default()
        };
        summarize(&mut status, None, 1_700_000_065.0);
        assert_eq!(status.exit_code, Some(2));
        assert_eq!(status.failed_attempts, 1);
        assert_eq!(status.duration.as_deref(), Some("1m5s"));
        assert_eq!(status.phase, TaskPhase::Pending);
        let outcome = Outcome::Failed {
            reason: "BackoffLimitExceeded",
            message: "no".into(),
        };
        finish(&mut status, &outcome, 1_700_000_070.0);
        let updates = conditions(&status, Some(&outcome));
        assert!(updates.iter().any(|c| c.type_ == FAILED && c.status));
        assert!(conditions(&status, None).is_empty());
    }
}
