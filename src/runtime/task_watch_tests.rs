//! Tests of the task loop.

use super::*;

fn open(arn: &str, status: &str, owner: &str) -> Open {
    Open {
        arn: arn.into(),
        last_status: Some(status.into()),
        owner: ObjectRef::new(owner).within("ns"),
    }
}

fn observed(arn: &str, status: &str) -> (String, ObservedTask) {
    let task = ObservedTask {
        task_arn: arn.into(),
        last_status: Some(status.into()),
        ..Default::default()
    };
    (arn.into(), task)
}

/// Issue 21, item 8: an object whose reconciles fail is not woken by its tasks' changes before its backoff
/// ends (no wake storm of a failing EcsTask).
#[test]
fn objects_in_error_backoff_are_not_woken() {
    let backoff = crate::reconcile::backoff::Backoff::default();
    let (a, b): (ObjectRef<EcsTask>, ObjectRef<EcsTask>) = (
        ObjectRef::new("a").within("ns"),
        ObjectRef::new("b").within("ns"),
    );
    backoff.failed(&backoff_key(&a), std::time::Duration::from_secs(60));
    let woken = due(vec![a.clone(), b.clone(), b.clone()], |o| {
        backoff.waiting(&backoff_key(o))
    });
    assert_eq!(woken, vec![b.clone()]);
    backoff.succeeded(&backoff_key(&a));
    assert_eq!(
        due(vec![a.clone()], |o| backoff.waiting(&backoff_key(o))),
        vec![a]
    );
}

/// Issue 27: a round slowed down by slow answers (not by the bucket) is not followed by an equally long pause;
/// the rounds still take at most half of what the task-read bucket sustains.
#[test]
fn rounds_are_paced_by_their_calls_not_by_how_long_they_took() {
    let secs = |s: f64| Duration::from_secs_f64(s);
    let load = |calls, sustained| [Load { calls, sustained }];
    // 20 calls against a bucket sustaining 16 a second: at most 8 a second, one round per 2.5 s.
    assert_eq!(pause(&load(20, Some(16.0)), secs(30.0)), MIN_PAUSE);
    assert_eq!(pause(&load(20, Some(16.0)), secs(0.5)), secs(2.0));
    // A throttled bucket (pace halved) stretches the rounds apart.
    assert_eq!(pause(&load(20, Some(8.0)), secs(0.5)), secs(4.5));
    assert_eq!(pause(&load(2, Some(16.0)), secs(0.1)), MIN_PAUSE);
    assert_eq!(pause(&load(20, None), secs(0.1)), MIN_PAUSE);
}

/// Issue 24: each account and region has a task-read bucket of its own. Three accounts of 20 calls a round
/// each are paced as one account of 20 (one round per 2.5 s at 16 a second), not as 60 calls against one
/// bucket (7.5 s), and a throttled account (pace halved) sets the pace for all.
#[test]
fn rounds_are_paced_by_each_account_s_own_bucket() {
    let secs = |s: f64| Duration::from_secs_f64(s);
    let three = [Load {
        calls: 20,
        sustained: Some(16.0),
    }; 3];
    assert_eq!(pause(&three, secs(0.5)), secs(2.0));
    let mut throttled = three;
    throttled[1].sustained = Some(8.0);
    assert_eq!(pause(&throttled, secs(0.5)), secs(4.5));
}

#[test]
fn only_the_owners_of_tasks_that_started_running_or_stopped_are_woken() {
    let open = vec![
        open("t1", "RUNNING", "a"),
        open("t2", "PENDING", "b"),
        open("t3", "PROVISIONING", "c"),
        open("t4", "PROVISIONING", "d"),
        open("t5", "DEPROVISIONING", "e"),
    ];
    let found: HashMap<_, _> = [
        observed("t1", "DEPROVISIONING"),
        observed("t2", "RUNNING"),
        observed("t4", "PENDING"),
        observed("t5", "STOPPED"),
    ]
    .into_iter()
    .collect();
    let woken: Vec<_> = changed(&open, &found).collect();
    assert_eq!(
        woken,
        vec![
            ObjectRef::new("b").within("ns"),
            ObjectRef::new("e").within("ns")
        ]
    );
}
