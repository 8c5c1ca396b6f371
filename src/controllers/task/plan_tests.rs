//! Unit tests of the run planner: Job semantics at the edges.

use super::*;
use crate::api::task::InFlight;
use crate::controllers::task::status::rfc3339;

const START: f64 = 1_000_000.0;

fn stopped(arn: &str, attempt: i32, succeeded: bool, stopped_at: f64) -> TaskRecord {
    TaskRecord {
        arn: arn.into(),
        attempt,
        last_status: Some("STOPPED".into()),
        desired_status: Some("STOPPED".into()),
        succeeded: Some(succeeded),
        stopped_at: Some(rfc3339(stopped_at)),
        ..Default::default()
    }
}

fn running(arn: &str, attempt: i32) -> TaskRecord {
    TaskRecord {
        arn: arn.into(),
        attempt,
        last_status: Some("RUNNING".into()),
        desired_status: Some("RUNNING".into()),
        ..Default::default()
    }
}

fn spec(count: i32, backoff_limit: i32, deadline: Option<i64>) -> EcsTaskSpec {
    EcsTaskSpec {
        count,
        backoff_limit,
        active_deadline_seconds: deadline,
        ..Default::default()
    }
}

fn status(attempts: i32, tasks: Vec<TaskRecord>) -> EcsTaskStatus {
    let succeeded = tasks.iter().filter(|t| t.succeeded == Some(true)).count() as i32;
    let failed = tasks.iter().filter(|t| t.succeeded == Some(false)).count() as i32;
    EcsTaskStatus {
        attempts,
        succeeded,
        failed_attempts: failed,
        start_time: Some(rfc3339(START)),
        tasks,
        ..Default::default()
    }
}

fn run(attempt: i32, count: i32) -> Step {
    Step::Run {
        attempt,
        count,
        repeat: false,
    }
}

#[test]
fn starts_then_waits_then_completes() {
    let fresh = EcsTaskStatus::default();
    assert_eq!(next(&spec(1, 0, None), &fresh, START), run(1, 1));
    let mut sent = status(1, vec![]);
    sent.in_flight = Some(InFlight {
        attempt: 1,
        count: 1,
        ..Default::default()
    });
    let repeat = Step::Run {
        attempt: 1,
        count: 1,
        repeat: true,
    };
    assert_eq!(next(&spec(1, 0, None), &sent, START + 1.0), repeat);
    let going = status(1, vec![running("t1", 1)]);
    assert_eq!(
        next(&spec(1, 0, None), &going, START + 1.0),
        Step::Wait(None)
    );
    let done = status(1, vec![stopped("t1", 1, true, START + 5.0)]);
    assert_eq!(
        next(&spec(1, 0, None), &done, START + 9.0),
        Step::Finish(Outcome::Succeeded)
    );
}

/// Item 1: RunTask placed 1 of 3; the one placed succeeded: the run is not complete.
#[test]
fn a_partial_placement_is_not_a_success() {
    let mut placed_one = status(1, vec![stopped("t1", 1, true, START + 5.0)]);
    placed_one.retry_after = Some(rfc3339(START + 10.0));
    assert_eq!(
        next(&spec(3, 0, None), &placed_one, START + 6.0),
        Step::Wait(Some(4.0)),
        "waits out the backoff"
    );
    assert_eq!(
        next(&spec(3, 0, None), &placed_one, START + 10.0),
        run(2, 2),
        "then places the two missing tasks; a placement failure is no failed task, so backoffLimit 0 allows it"
    );
}

/// Item 7: a failure is retried after the backoff, not in the same reconcile, and only the failed task is replaced.
#[test]
fn only_failed_tasks_are_replaced_after_the_backoff() {
    let mut one_failed = status(
        1,
        vec![
            stopped("t1", 1, false, START + 5.0),
            running("t2", 1),
            stopped("t3", 1, true, START + 5.0),
        ],
    );
    one_failed.retry_after = Some(rfc3339(START + 15.0));
    assert_eq!(
        next(&spec(3, 2, None), &one_failed, START + 6.0),
        Step::Wait(Some(9.0))
    );
    assert_eq!(
        next(&spec(3, 2, None), &one_failed, START + 15.0),
        run(2, 1)
    );
}

#[test]
fn the_backoff_doubles_up_to_six_minutes() {
    let waits: Vec<f64> = (1..=8).map(backoff_seconds).collect();
    assert_eq!(waits, [10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 360.0, 360.0]);
    assert_eq!(backoff_seconds(1000), 360.0);
}

/// Items 7 and 12: at the backoff limit the running siblings are stopped, and the run fails once they stopped.
#[test]
fn past_the_backoff_limit_siblings_are_stopped_then_the_run_fails() {
    let over = status(
        2,
        vec![stopped("t1", 1, false, START + 5.0), running("t2", 1)],
    );
    let Step::End { ending, stop } = next(&spec(2, 0, None), &over, START + 6.0) else {
        panic!("the limit is passed");
    };
    assert_eq!(ending.reason, "BackoffLimitExceeded");
    assert_eq!(stop, ["t2"]);
    let mut stopping = over.clone();
    stopping.ending = Some(ending.clone());
    stopping.tasks[1].desired_status = Some("STOPPED".into());
    let Step::End { stop, .. } = next(&spec(2, 0, None), &stopping, START + 7.0) else {
        panic!("not terminal while a task still stops");
    };
    assert!(stop.is_empty(), "a stopping task is not stopped twice");
    stopping.tasks[1] = stopped("t2", 1, false, START + 8.0);
    let Step::Finish(Outcome::Failed { reason, .. }) =
        next(&spec(2, 0, None), &stopping, START + 9.0)
    else {
        panic!("failed once every task stopped");
    };
    assert_eq!(reason, "BackoffLimitExceeded");
}

#[test]
fn the_deadline_stops_running_tasks() {
    let going = status(1, vec![running("t1", 1)]);
    assert_eq!(
        next(&spec(1, 0, Some(10)), &going, START + 9.0),
        Step::Wait(None)
    );
    let Step::End { ending, stop } = next(&spec(1, 0, Some(10)), &going, START + 10.0) else {
        panic!("past the deadline");
    };
    assert_eq!(
        (ending.reason.as_str(), stop),
        ("DeadlineExceeded", vec!["t1".to_owned()])
    );
}

/// Item 9: a task that exited 0 before the deadline is a success, even when seen after it.
#[test]
fn a_success_before_the_deadline_counts_when_seen_late() {
    let early = status(1, vec![stopped("t1", 1, true, START + 8.0)]);
    assert_eq!(
        next(&spec(1, 0, Some(10)), &early, START + 60.0),
        Step::Finish(Outcome::Succeeded)
    );
    let late = status(1, vec![stopped("t1", 1, true, START + 12.0)]);
    assert!(matches!(
        next(&spec(1, 0, Some(10)), &late, START + 60.0),
        Step::Finish(Outcome::Failed { .. })
    ));
}

#[test]
fn a_run_that_is_over_does_nothing() {
    let mut over = status(1, vec![stopped("t1", 1, true, START + 1.0)]);
    over.phase = TaskPhase::Succeeded;
    assert_eq!(
        next(&spec(1, 0, Some(1)), &over, START + 100.0),
        Step::Wait(None)
    );
}

#[test]
fn the_run_count_is_the_recorded_one() {
    let mut started = status(1, vec![]);
    started.request = Some(r#"{"count":2,"tags":[]}"#.into());
    assert_eq!(run_count(&spec(5, 0, None), &started), 2);
    assert_eq!(run_count(&spec(5, 0, None), &status(0, vec![])), 5);
}
