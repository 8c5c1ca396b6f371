//! What an `EcsTask` does next, decided from its status alone (pure), with a Job's semantics: every one of
//! `count` tasks must succeed; a failed task is replaced after a backoff while `backoffLimit` allows; tasks ECS
//! could not place are placed again after a backoff; past `activeDeadlineSeconds` or the backoff limit the
//! remaining tasks are stopped, and the run is Failed once they have stopped.

use crate::api::task::{EcsTaskSpec, EcsTaskStatus, Ending, TaskPhase, TaskRecord};

use super::status::epoch;

/// The first backoff after a failure; each further attempt doubles it.
const FIRST_BACKOFF_SECONDS: f64 = 10.0;
/// The longest backoff between two attempts (as a Job's).
const MAX_BACKOFF_SECONDS: f64 = 360.0;

/// The next step of a run.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Send RunTask for `attempt` (1-based) asking for `count` tasks. `repeat`: that call was sent before and its
    /// answer was never recorded; it is sent again with the same token and request, which returns its tasks.
    Run {
        attempt: i32,
        count: i32,
        repeat: bool,
    },
    /// The run ends this way: stop these tasks (Failed or Complete is set once no task is left running).
    End { ending: Ending, stop: Vec<String> },
    /// Nothing to do now; look again within this many seconds when given (a backoff ends).
    Wait(Option<f64>),
    /// The run is over now.
    Finish(Outcome),
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Succeeded,
    Failed { reason: String, message: String },
}

/// Whether ECS reports the task STOPPED (or the operator gave up on it: expired, cluster gone).
pub fn is_stopped(task: &TaskRecord) -> bool {
    task.last_status.as_deref() == Some("STOPPED")
}

/// Whether the run is over (Succeeded or Failed).
pub fn is_over(status: &EcsTaskStatus) -> bool {
    matches!(status.phase, TaskPhase::Succeeded | TaskPhase::Failed)
}

/// The backoff after `attempts` attempts: 10 s, 20 s, 40 s ... up to 6 minutes.
pub fn backoff_seconds(attempts: i32) -> f64 {
    let doublings = attempts.saturating_sub(1).clamp(0, 16);
    (FIRST_BACKOFF_SECONDS * f64::from(1u32 << doublings)).min(MAX_BACKOFF_SECONDS)
}

/// How many tasks the run needs: the `count` it was started with (recorded in its request), else the spec's.
pub fn run_count(spec: &EcsTaskSpec, status: &EcsTaskStatus) -> i32 {
    status
        .request
        .as_deref()
        .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
        .and_then(|r| r.get("count").and_then(serde_json::Value::as_i64))
        .and_then(|c| i32::try_from(c).ok())
        .unwrap_or(spec.count)
}

/// The next step at `now` (epoch seconds).
pub fn next(spec: &EcsTaskSpec, status: &EcsTaskStatus, now: f64) -> Step {
    if is_over(status) {
        return Step::Wait(None);
    }
    let open: Vec<&TaskRecord> = status.tasks.iter().filter(|t| !is_stopped(t)).collect();
    if let Some(ending) = &status.ending {
        return end(ending.clone(), &open);
    }
    if let Some(flight) = &status.in_flight {
        return Step::Run {
            attempt: flight.attempt,
            count: flight.count,
            repeat: true,
        };
    }
    let count = run_count(spec, status);
    if status.attempts == 0 {
        return Step::Run {
            attempt: 1,
            count,
            repeat: false,
        };
    }
    let start = status.start_time.as_deref().and_then(epoch);
    if let (Some(deadline), Some(start)) = (spec.active_deadline_seconds, start) {
        let due = start + deadline as f64;
        if now >= due {
            // Judged by ECS's stoppedAt: tasks that succeeded before the deadline count, however late they are seen.
            if succeeded_by(status, due) >= count && open.is_empty() {
                return Step::Finish(Outcome::Succeeded);
            }
            let message = format!(
                "the run passed activeDeadlineSeconds ({deadline}s) with {} of {count} task(s) succeeded",
                status.succeeded
            );
            return end(ending("DeadlineExceeded", message), &open);
        }
    }
    if status.succeeded >= count {
        return if open.is_empty() {
            Step::Finish(Outcome::Succeeded)
        } else {
            Step::Wait(None)
        };
    }
    if status.failed_attempts > spec.backoff_limit {
        let message = format!(
            "{} task(s) failed (backoffLimit {}); the last: {}",
            status.failed_attempts,
            spec.backoff_limit,
            status
                .last_failure
                .as_deref()
                .unwrap_or("no reason recorded")
        );
        return end(ending("BackoffLimitExceeded", message), &open);
    }
    let missing = count - status.succeeded - open.len() as i32;
    if missing <= 0 {
        return Step::Wait(None);
    }
    match status.retry_after.as_deref().and_then(epoch) {
        Some(after) if now < after => Step::Wait(Some(after - now)),
        _ => Step::Run {
            attempt: status.attempts + 1,
            count: missing,
            repeat: false,
        },
    }
}

fn ending(reason: &str, message: String) -> Ending {
    Ending {
        reason: reason.to_owned(),
        message,
    }
}

/// Ends the run: at once when no task is left running, else after stopping the ones not stopping yet.
fn end(ending: Ending, open: &[&TaskRecord]) -> Step {
    if open.is_empty() {
        return Step::Finish(Outcome::Failed {
            reason: ending.reason,
            message: ending.message,
        });
    }
    let stop = open
        .iter()
        .filter(|t| t.desired_status.as_deref() != Some("STOPPED"))
        .map(|t| t.arn.clone())
        .collect();
    Step::End { ending, stop }
}

/// Tasks that succeeded and stopped no later than `due`.
fn succeeded_by(status: &EcsTaskStatus, due: f64) -> i32 {
    let in_time = status.tasks.iter().filter(|t| {
        t.succeeded == Some(true)
            && t.stopped_at
                .as_deref()
                .and_then(epoch)
                .is_some_and(|at| at <= due)
    });
    in_time.count() as i32
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
