//! Two lanes for reconciles of one kind. A user's change (a new object, a new generation of the spec, a deletion)
//! always gets a reconcile slot; drift checks and their repairs, which can come by the hundred at once (an ECS
//! cluster deleted outside Kubernetes, a restart after an outage), may take only half the slots. A reconcile of the
//! background lane that finds no room is put back a moment later, before any AWS call, so a mass repair never
//! queues a user's change behind it, neither for a slot nor for a token of ECS's buckets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Reconciles of one kind that run at once: enough to keep ECS's buckets busy, few enough to bound memory (each
/// holds objects, ECS answers and connections).
pub const RECONCILE_SLOTS: u16 = 16;

/// The background lane of every kind.
pub struct Lanes {
    slots: usize,
    background: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Lanes {
    /// Lanes for kinds that reconcile up to `slots` objects at once.
    pub fn new(slots: usize) -> Self {
        Self {
            slots,
            background: Mutex::new(HashMap::new()),
        }
    }

    /// A place in the background lane of `kind`, if there is one free.
    pub fn try_background(&self, kind: &str) -> Option<OwnedSemaphorePermit> {
        let lane = self
            .background
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(kind.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new((self.slots / 2).max(1))))
            .clone();
        lane.try_acquire_owned().ok()
    }
}

/// When a background reconcile that found no room tries again: soon, spread over a second or two so that the
/// waiting ones do not come back all at once.
pub fn retry_background(seed: u64) -> Duration {
    Duration::from_millis(500 + seed % 1500)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_work_takes_half_the_slots_of_each_kind() {
        let lanes = Lanes::new(16);
        let held: Vec<_> = (0..8)
            .map(|_| lanes.try_background("EcsService").expect("a free place"))
            .collect();
        assert!(lanes.try_background("EcsService").is_none());
        assert!(
            lanes.try_background("TaskDefinition").is_some(),
            "kinds have lanes of their own"
        );
        drop(held);
        assert!(lanes.try_background("EcsService").is_some());
        let delay = retry_background(12_345);
        assert!(delay >= Duration::from_millis(500) && delay < Duration::from_secs(2));
    }
}
