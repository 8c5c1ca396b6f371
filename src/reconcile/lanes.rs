//! Two lanes for reconciles of one kind in one account (each account has lanes of its own, as it has ECS buckets
//! of its own). A user's change (a new object, a new generation of the spec, a deletion) runs in the urgent lane;
//! drift checks, their repairs and followed rollouts and tasks, which can come by the hundred at once (an ECS cluster deleted outside Kubernetes, a restart after an outage, many tasks that stopped
//! together), run in the background lane, which has half as many places. Each lane queues its reconciles in
//! order; the background lane queues at most a waiting room's worth and puts the rest back a moment later,
//! before any AWS call. The controller runs enough reconciles at once for both lanes and the waiting room, so a
//! mass repair never queues a user's change behind it, neither for a place nor for a token of ECS's buckets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Reconciles of one kind that run at once in the urgent lane: enough to keep ECS's buckets busy, few enough to
/// bound memory (each holds objects, ECS answers and connections). The background lane has half as many.
pub const RECONCILE_SLOTS: usize = 16;

/// Background reconciles that may wait for a place; more are put back.
const WAITING_ROOM: usize = 2 * RECONCILE_SLOTS;

/// Reconciles of one kind the controller runs at once: both lanes, the waiting room, and as many again for users'
/// changes waiting in the urgent lane.
pub const CONTROLLER_SLOTS: u16 = (2 * RECONCILE_SLOTS + RECONCILE_SLOTS / 2 + WAITING_ROOM) as u16;

/// The lanes of every kind.
#[derive(Default)]
pub struct Lanes {
    kinds: Mutex<HashMap<String, KindLanes>>,
}

#[derive(Clone)]
struct KindLanes {
    urgent: Arc<Semaphore>,
    background: Arc<Semaphore>,
    waiting_room: Arc<Semaphore>,
}

impl Lanes {
    fn of(&self, kind: &str) -> KindLanes {
        self.kinds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(kind.to_owned())
            .or_insert_with(|| KindLanes {
                urgent: Arc::new(Semaphore::new(RECONCILE_SLOTS)),
                background: Arc::new(Semaphore::new(RECONCILE_SLOTS / 2)),
                waiting_room: Arc::new(Semaphore::new(WAITING_ROOM)),
            })
            .clone()
    }

    /// A place in the urgent lane of `kind`, in turn.
    pub async fn urgent(&self, kind: &str) -> Option<OwnedSemaphorePermit> {
        self.of(kind).urgent.acquire_owned().await.ok()
    }

    /// A place in the background lane of `kind`, in turn, or `None` at once when the waiting room is full.
    pub async fn background(&self, kind: &str) -> Option<OwnedSemaphorePermit> {
        let lanes = self.of(kind);
        if let Ok(place) = lanes.background.clone().try_acquire_owned() {
            return Some(place);
        }
        let _waiting = lanes.waiting_room.try_acquire_owned().ok()?;
        lanes.background.acquire_owned().await.ok()
    }
}

/// When a background reconcile that found the waiting room full tries again: soon, spread over a second or two
/// by the object's `key` so that the put-back ones do not come back all at once.
pub fn retry_background(key: &str) -> Duration {
    let seed = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) ^ u64::from(std::process::id());
    Duration::from_millis(500 + seed % 1500)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn background_work_takes_half_the_places_of_each_kind_and_queues_in_a_waiting_room() {
        let lanes = Arc::new(Lanes::default());
        let mut held = Vec::new();
        for _ in 0..RECONCILE_SLOTS / 2 {
            held.push(lanes.background("EcsService").await.expect("a free place"));
        }
        let waiters: Vec<_> = (0..WAITING_ROOM)
            .map(|_| {
                let lanes = lanes.clone();
                tokio::spawn(async move { lanes.background("EcsService").await.is_some() })
            })
            .collect();
        tokio::task::yield_now().await;
        assert!(
            lanes.background("EcsService").await.is_none(),
            "the waiting room is full: put back at once"
        );
        assert!(
            lanes.background("TaskDefinition").await.is_some(),
            "kinds have lanes of their own"
        );
        let mut urgent = Vec::new();
        for _ in 0..RECONCILE_SLOTS {
            urgent.push(
                lanes
                    .urgent("EcsService")
                    .await
                    .expect("users' changes pass"),
            );
        }
        drop(held);
        for waiter in waiters {
            assert!(waiter.await.unwrap(), "the waiting ones run in turn");
        }
    }

    #[test]
    fn the_controller_runs_both_lanes_and_the_waiting_room_with_room_for_users() {
        let lanes_and_room = RECONCILE_SLOTS + RECONCILE_SLOTS / 2 + WAITING_ROOM;
        assert!(usize::from(CONTROLLER_SLOTS) >= lanes_and_room + RECONCILE_SLOTS);
    }

    #[test]
    fn put_back_reconciles_come_back_spread_out() {
        let delays: std::collections::BTreeSet<Duration> = (0..20)
            .map(|i| retry_background(&format!("EcsTask/ns/job{i}")))
            .collect();
        assert!(delays.len() > 15, "{delays:?}");
        assert!(
            delays
                .iter()
                .all(|d| *d >= Duration::from_millis(500) && *d < Duration::from_secs(2))
        );
    }
}
