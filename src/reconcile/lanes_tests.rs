//! Tests of the reconcile lanes.

use std::time::Duration;

use super::*;

fn service(name: &str) -> PutBack {
    PutBack {
        kind: "EcsService".into(),
        namespace: Some("team".into()),
        name: name.into(),
    }
}

/// Lets the spawned waiters run until the background waiting room of `kind` is full (one yield is not always
/// enough: the runtime may come back to the test before every spawned task ran).
async fn background_room_filled(lanes: &Lanes, kind: &str) {
    while lanes.of(kind).background.waiting_room.available_permits() > 0 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn background_work_takes_half_the_places_of_each_kind_and_queues_in_a_waiting_room() {
    let lanes = Arc::new(Lanes::default());
    let mut held = Vec::new();
    for _ in 0..RECONCILE_SLOTS / 2 {
        held.push(
            lanes
                .background("EcsService", &service("held"))
                .await
                .expect("a free place"),
        );
    }
    let waiters: Vec<_> = (0..WAITING_ROOM)
        .map(|i| {
            let lanes = lanes.clone();
            tokio::spawn(async move {
                let waiter = service(&format!("waiter{i}"));
                lanes.background("EcsService", &waiter).await.is_some()
            })
        })
        .collect();
    background_room_filled(&lanes, "EcsService").await;
    assert!(
        lanes
            .background("EcsService", &service("late"))
            .await
            .is_none(),
        "the waiting room is full: put back at once"
    );
    assert!(
        lanes
            .background("TaskDefinition", &service("other"))
            .await
            .is_some(),
        "kinds have lanes of their own"
    );
    let mut urgent = Vec::new();
    for _ in 0..RECONCILE_SLOTS {
        urgent.push(
            lanes
                .urgent("EcsService", &service("user"))
                .await
                .expect("users' changes pass"),
        );
    }
    drop(held);
    for waiter in waiters {
        assert!(waiter.await.unwrap(), "the waiting ones run in turn");
    }
}

/// A put-back reconcile does not come back on a timer (thousands of them would spin through the controller's
/// places meanwhile): it is woken when a background place frees, one per freed place, in order, each object
/// once however often it was put back; a user's change meanwhile gets its place at once.
#[tokio::test(start_paused = true)]
async fn a_put_back_reconcile_waits_for_a_freed_place_not_a_timer() {
    let lanes = Arc::new(Lanes::default());
    let mut wakes = lanes.wakes.subscribe();
    let mut held = Vec::new();
    for _ in 0..RECONCILE_SLOTS / 2 {
        held.push(lanes.background("EcsService", &service("held")).await);
    }
    let waiters: Vec<_> = (0..WAITING_ROOM)
        .map(|i| {
            let lanes = lanes.clone();
            tokio::spawn(async move {
                let waiter = service(&format!("waiter{i}"));
                drop(lanes.background("EcsService", &waiter).await);
                std::future::pending::<()>().await;
            })
        })
        .collect();
    background_room_filled(&lanes, "EcsService").await;
    for name in ["first", "second", "first", "second", "first"] {
        assert!(
            lanes
                .background("EcsService", &service(name))
                .await
                .is_none()
        );
    }
    assert!(
        tokio::time::timeout(Duration::from_secs(60), wakes.recv())
            .await
            .is_err(),
        "nothing freed a place: no put-back comes back"
    );
    assert!(
        tokio::time::timeout(
            Duration::from_millis(1),
            lanes.urgent("EcsService", &service("user"))
        )
        .await
        .is_ok(),
        "a user's change takes its place meanwhile"
    );
    // Each waiter that takes a freed place frees it at once: every freed place wakes one put-back object.
    drop(held.pop());
    let mut woken = Vec::new();
    for _ in 0..2 {
        let wake = tokio::time::timeout(Duration::from_secs(60), wakes.recv()).await;
        woken.push(
            wake.expect("a freed place wakes a put-back object")
                .unwrap()
                .name,
        );
    }
    assert_eq!(woken, ["first", "second"]);
    for waiter in waiters {
        waiter.abort();
    }
    drop(held);
    assert!(
        tokio::time::timeout(Duration::from_secs(60), wakes.recv())
            .await
            .is_err(),
        "each put-back object is woken once"
    );
}

/// Issue 24: three accounts' thousand new objects each. One account's users' changes (urgent) hold at most its
/// lanes' places and waiting room, the rest are put back, so every account gets its places at once and
/// proceeds at its own pace, not behind the account whose objects the controller happened to start first.
#[tokio::test(start_paused = true)]
async fn one_account_s_backlog_leaves_the_controller_s_places_to_the_others() {
    let lanes = Arc::new(Lanes::default());
    let controller = Arc::new(Semaphore::new(usize::from(CONTROLLER_SLOTS)));
    let mut started = Vec::new();
    for account in ["a", "b", "c"] {
        for i in 0..1000 {
            let (lanes, controller) = (lanes.clone(), controller.clone());
            let Ok(slot) = controller.try_acquire_owned() else {
                break;
            };
            let lane = format!("EcsTaskDefinition in {account}");
            started.push(tokio::spawn(async move {
                let place = lanes
                    .urgent(&lane, &service(&format!("{account}{i}")))
                    .await;
                // A put-back reconcile returns and frees its controller place; one with a place holds it.
                match place {
                    None => drop(slot),
                    Some(place) => {
                        std::future::pending::<()>().await;
                        drop((place, slot));
                    }
                }
            }));
            tokio::task::yield_now().await;
        }
    }
    tokio::task::yield_now().await;
    let running: usize = ["a", "b", "c"]
        .iter()
        .map(|a| {
            let lanes = lanes.of(&format!("EcsTaskDefinition in {a}"));
            RECONCILE_SLOTS - lanes.urgent.places.available_permits()
        })
        .sum();
    assert_eq!(
        running,
        3 * RECONCILE_SLOTS,
        "every account runs a full lane"
    );
    for task in started {
        task.abort();
    }
}

/// A service created beside its task definition first waits for it (`DependencyNotReady`, recorded for its
/// generation); once the task definition is Ready, creating the service is still the user's change, so it takes
/// the urgent lane, not the background one behind drift checks and put-backs. An applied spec, or a failure of
/// another kind, is background work.
#[test]
fn a_change_that_waited_for_its_references_is_still_the_user_s() {
    use crate::api::EcsServiceStatus;
    use crate::api::common::Condition;
    let synced = |status: &str, reason: &str| EcsServiceStatus {
        observed_generation: Some(1),
        conditions: vec![Condition {
            type_: "Synced".into(),
            status: status.into(),
            reason: reason.into(),
            observed_generation: Some(1),
            ..Default::default()
        }],
        ..Default::default()
    };
    let waited = synced("False", "DependencyNotReady");
    assert!(is_users_change(None::<&EcsServiceStatus>, Some(1)));
    assert!(is_users_change(Some(&waited), Some(1)));
    assert!(is_users_change(Some(&synced("True", "Applied")), Some(2)));
    assert!(!is_users_change(Some(&synced("True", "Applied")), Some(1)));
    assert!(!is_users_change(
        Some(&synced("False", "Throttled")),
        Some(1)
    ));
}

/// Issue 24: following the rollout a change started is still the user's change (they wait for Ready), so a rollout
/// the loop wakes takes the urgent lane rather than queueing behind a drift pass of thousands; a settled rollout
/// is background work.
#[test]
fn following_the_rollout_of_a_change_is_still_the_user_s() {
    use crate::api::EcsServiceStatus;
    use crate::api::common::Condition;
    let progressing = |status: &str, generation: i64| EcsServiceStatus {
        observed_generation: Some(generation),
        conditions: vec![Condition {
            type_: "Progressing".into(),
            status: status.into(),
            reason: "RollingOut".into(),
            observed_generation: Some(generation),
            ..Default::default()
        }],
        ..Default::default()
    };
    assert!(is_users_change(Some(&progressing("True", 3)), Some(3)));
    assert!(!is_users_change(Some(&progressing("False", 3)), Some(3)));
}
