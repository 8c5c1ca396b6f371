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
