//! What an `EcsTask` does next, decided from its status alone (pure): start an attempt (or repeat the RunTask of
//! the current one with the same client token), stop tasks past the deadline, wait, or finish — Job semantics.

use crate::api::task::{EcsTaskSpec, EcsTaskStatus, TaskPhase, TaskRecord};

/// The ECS stop code of tasks whose essential container exited on its own.
const ESSENTIAL_CONTAINER_EXITED: &str = "EssentialContainerExited";

/// The next step of a run.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Send RunTask for `attempt` (1-based). `repeat`: the RunTask of the current attempt may have started tasks
    /// that were never recorded; it is sent again with the same token and task definition, which returns them.
    Run { attempt: i32, repeat: bool },
    /// `activeDeadlineSeconds` passed: stop these tasks; the run has Failed.
    Deadline(Vec<String>),
    /// Tasks are running, or the run is over.
    Wait,
    /// The run is over now.
    Finish(Outcome),
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Succeeded,
    Failed {
        reason: &'static str,
        message: String,
    },
}

/// Where one attempt stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Attempt {
    /// No task of it is recorded: its RunTask has not answered yet.
    NotStarted,
    Running,
    Succeeded,
    /// Why it failed.
    Failed(String),
}

/// The short ID of a task ARN.
pub fn task_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Whether ECS reports the task STOPPED.
pub fn is_stopped(task: &TaskRecord) -> bool {
    task.last_status.as_deref() == Some("STOPPED")
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

/// The state of attempt `attempt`. An attempt whose RunTask could not place every task counts as failed
/// (`failedAttempts` already counts it) once its placed tasks stopped.
pub fn attempt(status: &EcsTaskStatus, attempt: i32, essential: Option<&[String]>) -> Attempt {
    let tasks: Vec<&TaskRecord> = status
        .tasks
        .iter()
        .filter(|t| t.attempt == attempt)
        .collect();
    let placement_failed = status.failed_attempts >= attempt;
    if tasks.iter().any(|t| !is_stopped(t)) {
        return Attempt::Running;
    }
    if placement_failed {
        return Attempt::Failed(status.last_failure.clone().unwrap_or_default());
    }
    if tasks.is_empty() {
        return Attempt::NotStarted;
    }
    match tasks.iter().find_map(|t| task_failure(t, essential)) {
        Some(why) => Attempt::Failed(why),
        None => Attempt::Succeeded,
    }
}

/// The next step. `elapsed`: seconds since the first attempt started; `essential`: the essential containers when
/// the task definition is known.
pub fn next(
    spec: &EcsTaskSpec,
    status: &EcsTaskStatus,
    elapsed: Option<f64>,
    essential: Option<&[String]>,
) -> Step {
    if matches!(status.phase, TaskPhase::Succeeded | TaskPhase::Failed) {
        return Step::Wait;
    }
    let current = status.attempts;
    if current == 0 {
        return Step::Run {
            attempt: 1,
            repeat: false,
        };
    }
    let deadline = spec.active_deadline_seconds.map(|s| s as f64);
    if let (Some(deadline), Some(elapsed)) = (deadline, elapsed)
        && elapsed >= deadline
    {
        let running = status.tasks.iter().filter(|t| !is_stopped(t));
        return Step::Deadline(running.map(|t| t.arn.clone()).collect());
    }
    match attempt(status, current, essential) {
        Attempt::NotStarted => Step::Run {
            attempt: current,
            repeat: true,
        },
        Attempt::Running => Step::Wait,
        Attempt::Succeeded => Step::Finish(Outcome::Succeeded),
        Attempt::Failed(why) if current > spec.backoff_limit => Step::Finish(Outcome::Failed {
            reason: "BackoffLimitExceeded",
            message: format!(
                "{current} attempt(s) failed (backoffLimit {}); the last: {why}",
                spec.backoff_limit
            ),
        }),
        Attempt::Failed(_) => Step::Run {
            attempt: current + 1,
            repeat: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::task::ContainerRecord;

    fn stopped(attempt: i32, stop_code: &str, exit: Option<i32>) -> TaskRecord {
        TaskRecord {
            arn: format!("arn:aws:ecs:us-east-1:1:task/main/t{attempt}"),
            attempt,
            last_status: Some("STOPPED".into()),
            stop_code: Some(stop_code.into()),
            stopped_reason: Some("why".into()),
            containers: vec![ContainerRecord {
                name: "app".into(),
                exit_code: exit,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn running(attempt: i32) -> TaskRecord {
        TaskRecord {
            arn: format!("arn:aws:ecs:us-east-1:1:task/main/r{attempt}"),
            attempt,
            last_status: Some("RUNNING".into()),
            ..Default::default()
        }
    }

    fn spec(backoff_limit: i32, deadline: Option<i64>) -> EcsTaskSpec {
        EcsTaskSpec {
            count: 1,
            backoff_limit,
            active_deadline_seconds: deadline,
            ..Default::default()
        }
    }

    fn status(attempts: i32, tasks: Vec<TaskRecord>) -> EcsTaskStatus {
        EcsTaskStatus {
            attempts,
            tasks,
            ..Default::default()
        }
    }

    #[test]
    fn starts_then_waits_then_completes() {
        let first = Step::Run {
            attempt: 1,
            repeat: false,
        };
        assert_eq!(next(&spec(0, None), &status(0, vec![]), None, None), first);
        let repeat = Step::Run {
            attempt: 1,
            repeat: true,
        };
        assert_eq!(
            next(&spec(0, None), &status(1, vec![]), Some(1.0), None),
            repeat
        );
        let run = status(1, vec![running(1)]);
        assert_eq!(next(&spec(0, None), &run, Some(1.0), None), Step::Wait);
        let done = status(1, vec![stopped(1, "EssentialContainerExited", Some(0))]);
        assert_eq!(
            next(&spec(0, None), &done, Some(9.0), None),
            Step::Finish(Outcome::Succeeded)
        );
    }

    #[test]
    fn retries_failures_up_to_the_backoff_limit() {
        let failed = status(1, vec![stopped(1, "EssentialContainerExited", Some(1))]);
        assert_eq!(
            next(&spec(2, None), &failed, Some(5.0), None),
            Step::Run {
                attempt: 2,
                repeat: false
            }
        );
        let third = status(
            3,
            vec![
                stopped(1, "EssentialContainerExited", Some(1)),
                stopped(2, "TaskFailedToStart", None),
                stopped(3, "EssentialContainerExited", Some(1)),
            ],
        );
        let Step::Finish(Outcome::Failed { reason, message }) =
            next(&spec(2, None), &third, Some(30.0), None)
        else {
            panic!("the third failure is final");
        };
        assert_eq!(reason, "BackoffLimitExceeded");
        assert!(message.contains("exit code 1"), "{message}");
    }

    #[test]
    fn only_essential_containers_decide() {
        let mut task = stopped(1, "EssentialContainerExited", Some(0));
        task.containers.push(ContainerRecord {
            name: "sidecar".into(),
            exit_code: Some(137),
            ..Default::default()
        });
        assert!(task_failure(&task, Some(&["app".to_owned()])).is_none());
        assert!(task_failure(&task, None).unwrap().contains("sidecar"));
        let failed = stopped(1, "TaskFailedToStart", None);
        assert!(
            task_failure(&failed, None)
                .unwrap()
                .contains("TaskFailedToStart: why")
        );
    }

    #[test]
    fn the_deadline_stops_running_tasks() {
        let run = status(1, vec![running(1)]);
        assert_eq!(
            next(&spec(0, Some(10)), &run, Some(10.0), None),
            Step::Deadline(vec![running(1).arn])
        );
        assert_eq!(next(&spec(0, Some(10)), &run, Some(9.0), None), Step::Wait);
    }

    #[test]
    fn a_placement_failure_fails_the_attempt() {
        let mut placed_none = status(1, vec![]);
        placed_none.failed_attempts = 1;
        placed_none.last_failure = Some("RESOURCE:CPU".into());
        let Step::Finish(Outcome::Failed { message, .. }) =
            next(&spec(0, None), &placed_none, Some(1.0), None)
        else {
            panic!("a placement failure with backoffLimit 0 is final");
        };
        assert!(message.contains("RESOURCE:CPU"));
    }
}
