//! Unit tests of the run's status: judging tasks once, only essential containers deciding, the bound on records.

use super::*;
use crate::ecs::task::ObservedContainer;

fn stopped_task(arn: &str, code: &str, exits: &[(&str, i32)]) -> ObservedTask {
    ObservedTask {
        task_arn: arn.into(),
        last_status: Some("STOPPED".into()),
        stop_code: Some(code.into()),
        stopped_reason: Some("why".into()),
        stopped_at: Some(1_700_000_060.0),
        containers: exits
            .iter()
            .map(|(name, code)| ObservedContainer {
                name: (*name).into(),
                exit_code: Some(*code),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

#[test]
fn formats_times_and_links() {
    assert_eq!(rfc3339(1_700_000_000.4), "2023-11-14T22:13:20Z");
    assert_eq!(epoch("2023-11-14T22:13:20Z"), Some(1_700_000_000.0));
    assert_eq!(
        console_url("arn:aws:ecs:eu-west-1:123456789012:task/main/abc").as_deref(),
        Some("https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/main/tasks/abc")
    );
    assert_eq!(console_url("arn:aws:ecs:eu-west-1:1:task/abc"), None);
}

/// Item 4: an essential container exits 0 and a non-essential sidecar 137: the task succeeded.
#[test]
fn only_essential_containers_decide() {
    let observed = stopped_task(
        "t1",
        "EssentialContainerExited",
        &[("app", 0), ("sidecar", 137)],
    );
    let mut status = EcsTaskStatus {
        attempts: 1,
        essential_containers: Some(vec!["app".into()]),
        tasks: vec![record(&observed, 1)],
        ..Default::default()
    };
    assert_eq!(judge(&mut status, 0, 1_700_000_061.0), None);
    assert_eq!((status.succeeded, status.failed_attempts), (1, 0));
    summarize(&mut status);
    assert_eq!(
        status.exit_code,
        Some(0),
        "the sidecar's code is not the run's"
    );
    let unknown = record(&observed, 1);
    assert!(task_failure(&unknown, None).unwrap().contains("sidecar"));
    let failed = stopped_task("t2", "TaskFailedToStart", &[]);
    assert!(
        task_failure(&record(&failed, 1), None)
            .unwrap()
            .contains("TaskFailedToStart: why")
    );
}

#[test]
fn a_task_is_judged_once_and_a_failure_starts_the_backoff() {
    let observed = stopped_task("t1", "EssentialContainerExited", &[("app", 2)]);
    let mut status = EcsTaskStatus {
        attempts: 2,
        tasks: vec![record(&observed, 2)],
        ..Default::default()
    };
    let why = judge(&mut status, 0, 1000.0).unwrap();
    assert!(why.contains("exit code 2"), "{why}");
    assert_eq!(judge(&mut status, 0, 1001.0), None, "judged once");
    assert_eq!(status.failed_attempts, 1);
    assert_eq!(
        status.retry_after.as_deref(),
        Some(rfc3339(1020.0).as_str())
    );
}

/// Item 13: however many attempts fail, status keeps the open, the succeeded and the ten newest failed tasks.
#[test]
fn status_keeps_a_bounded_number_of_tasks() {
    let mut status = EcsTaskStatus::default();
    for attempt in 1..=40 {
        for i in 0..10 {
            let mut task = record(
                &stopped_task(
                    &format!("t{attempt}-{i}"),
                    "EssentialContainerExited",
                    &[("app", 1)],
                ),
                attempt,
            );
            task.succeeded = Some(i < 2 && attempt == 1);
            status.tasks.push(task);
        }
    }
    trim(&mut status);
    assert_eq!(status.tasks.len(), 12);
    assert_eq!(status.tasks.last().unwrap().arn, "t40-9");
    assert!(
        status
            .tasks
            .iter()
            .filter(|t| t.succeeded == Some(true))
            .count()
            == 2
    );
    let size = serde_json::to_string(&status).unwrap().len();
    assert!(size < 16_000, "{size} bytes");
}

#[test]
fn a_finished_run_keeps_its_conditions_and_says_why() {
    let mut status = EcsTaskStatus {
        attempts: 1,
        succeeded: 0,
        failed_attempts: 1,
        ..Default::default()
    };
    let outcome = Outcome::Failed {
        reason: "BackoffLimitExceeded".into(),
        message: "no".into(),
    };
    finish(&mut status, &outcome, 1_700_000_070.0);
    assert_eq!(status.phase, TaskPhase::Failed);
    let updates = conditions(&status, Some(&outcome), 1_700_000_070.0);
    assert!(updates.iter().any(|c| c.type_ == FAILED && c.status));
}

#[test]
fn a_run_waiting_out_its_backoff_says_so() {
    let status = EcsTaskStatus {
        attempts: 1,
        failed_attempts: 1,
        last_failure: Some("container app exited with exit code 1".into()),
        retry_after: Some(rfc3339(1010.0)),
        ..Default::default()
    };
    let updates = conditions(&status, None, 1000.0);
    let complete = updates.iter().find(|c| c.type_ == COMPLETE).unwrap();
    assert_eq!(complete.reason, "BackingOff");
    assert!(complete.message.contains("in 10s"), "{}", complete.message);
}
