//! Two lanes for reconciles of one kind in one account (each account has lanes of its own, as it has ECS buckets
//! of its own). A user's change (a new object, a new generation of the spec and the rollout it started, a
//! deletion) runs in the urgent lane; drift checks, their repairs and followed tasks, which can come by the hundred
//! at once (an ECS cluster deleted outside Kubernetes, a restart after an outage, many tasks that stopped together),
//! run in the background lane, which has half as many places. Each lane queues its reconciles in order in a waiting room and
//! puts the rest back, before any AWS call: a put-back object waits, holding nothing, until a place of its lane
//! frees and wakes it (one wake per freed place, in the order they were put back), so put-backs never spin through
//! the controller's places. One account's lanes thus hold a bounded share of the controller's places, and the
//! controller runs enough reconciles at once for the lanes of several accounts: a mass repair never queues a user's
//! change behind it, neither for a place nor for a token of ECS's buckets, and one account's thousand new objects
//! never hold another account's back.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use futures::{Stream, StreamExt};
use kube::runtime::reflector::{ObjectRef, Store};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast};

use super::Managed;
use super::conditions::{PROGRESSING, SYNCED};
use crate::api::common::ConditionedStatus;

/// Reconciles of one kind that run at once in the urgent lane: enough to keep ECS's buckets busy, few enough to
/// bound memory (each holds objects, ECS answers and connections). The background lane has half as many.
pub const RECONCILE_SLOTS: usize = 16;

/// Urgent reconciles that may wait for a place; more are put back.
const URGENT_WAITING_ROOM: usize = RECONCILE_SLOTS;

/// Background reconciles that may wait for a place; more are put back.
const WAITING_ROOM: usize = 2 * RECONCILE_SLOTS;

/// The controller's places one account's lanes of a kind can hold: both lanes and their waiting rooms.
const ACCOUNT_SLOTS: usize =
    RECONCILE_SLOTS + URGENT_WAITING_ROOM + RECONCILE_SLOTS / 2 + WAITING_ROOM;

/// Accounts whose lanes are all full at once before they share the controller's places.
const ACCOUNTS_AT_FULL_PACE: usize = 4;

/// Reconciles of one kind the controller runs at once: the lanes of [`ACCOUNTS_AT_FULL_PACE`] accounts.
pub const CONTROLLER_SLOTS: u16 = (ACCOUNT_SLOTS * ACCOUNTS_AT_FULL_PACE) as u16;

/// Wakes that may wait for a slow controller before it misses some (a missed one is checked at its next drift
/// check instead).
const PENDING_WAKES: usize = 4096;

/// An object whose reconcile was put back.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PutBack {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl PutBack {
    pub fn of<K: Managed>(obj: &K) -> Self {
        Self {
            kind: K::kind(&()).into_owned(),
            namespace: obj.meta().namespace.clone(),
            name: obj.meta().name.clone().unwrap_or_default(),
        }
    }
}

/// The lanes of every kind.
pub struct Lanes {
    kinds: Mutex<HashMap<String, KindLanes>>,
    wakes: broadcast::Sender<PutBack>,
}

impl Default for Lanes {
    fn default() -> Self {
        Self {
            kinds: Mutex::default(),
            wakes: broadcast::channel(PENDING_WAKES).0,
        }
    }
}

#[derive(Clone)]
struct KindLanes {
    urgent: Lane,
    background: Lane,
}

/// One lane: its places, the room where reconciles wait for one, and the objects put back.
#[derive(Clone)]
struct Lane {
    places: Arc<Semaphore>,
    waiting_room: Arc<Semaphore>,
    put_back: Arc<Mutex<PutBackQueue>>,
}

impl Lane {
    fn new(places: usize, waiting_room: usize) -> Self {
        Self {
            places: Arc::new(Semaphore::new(places)),
            waiting_room: Arc::new(Semaphore::new(waiting_room)),
            put_back: Arc::default(),
        }
    }

    /// A place, in turn; or, when the waiting room is full, `None` at once and `object` is put back, to be woken
    /// (`wakes`) when a place frees.
    async fn enter(&self, object: &PutBack, wakes: &broadcast::Sender<PutBack>) -> Option<Place> {
        let place = |permit| Place {
            permit: Some(permit),
            wakes_next: (self.put_back.clone(), wakes.clone()),
        };
        let waiting = {
            // Under the queue's lock: a place freed after this look wakes the object put back here.
            let mut put_back = locked(&self.put_back);
            if let Ok(permit) = self.places.clone().try_acquire_owned() {
                return Some(place(permit));
            }
            match self.waiting_room.clone().try_acquire_owned() {
                Ok(waiting) => waiting,
                Err(_) => {
                    put_back.push(object);
                    return None;
                }
            }
        };
        let permit = self.places.clone().acquire_owned().await.ok()?;
        drop(waiting);
        Some(place(permit))
    }
}

/// The objects put back, in order, each once.
#[derive(Default)]
struct PutBackQueue {
    order: VecDeque<PutBack>,
    queued: HashSet<PutBack>,
}

impl PutBackQueue {
    fn push(&mut self, object: &PutBack) {
        if self.queued.insert(object.clone()) {
            self.order.push_back(object.clone());
        }
    }

    fn pop(&mut self) -> Option<PutBack> {
        let next = self.order.pop_front()?;
        self.queued.remove(&next);
        Some(next)
    }
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A place in a lane, held while the reconcile runs; freeing it wakes the next object put back from its lane.
pub struct Place {
    permit: Option<OwnedSemaphorePermit>,
    wakes_next: (Arc<Mutex<PutBackQueue>>, broadcast::Sender<PutBack>),
}

impl Drop for Place {
    fn drop(&mut self) {
        drop(self.permit.take());
        let (put_back, wakes) = &self.wakes_next;
        if let Some(next) = locked(put_back).pop() {
            // No receiver (no controller running) leaves the object to its next drift check.
            let _ = wakes.send(next);
        }
    }
}

impl Lanes {
    fn of(&self, kind: &str) -> KindLanes {
        locked(&self.kinds)
            .entry(kind.to_owned())
            .or_insert_with(|| KindLanes {
                urgent: Lane::new(RECONCILE_SLOTS, URGENT_WAITING_ROOM),
                background: Lane::new(RECONCILE_SLOTS / 2, WAITING_ROOM),
            })
            .clone()
    }

    /// A place in the urgent lane of `kind`, in turn; or, when its waiting room is full, `None` at once and
    /// `object` is put back, to be woken (`woken`) when an urgent place frees.
    pub async fn urgent(&self, kind: &str, object: &PutBack) -> Option<Place> {
        self.of(kind).urgent.enter(object, &self.wakes).await
    }

    /// A place in the background lane of `kind`, in turn; or, when the waiting room is full, `None` at once and
    /// `object` is put back, to be woken (`woken`) when a background place frees.
    pub async fn background(&self, kind: &str, object: &PutBack) -> Option<Place> {
        self.of(kind).background.enter(object, &self.wakes).await
    }

    /// The objects of `store` put back and now woken, as they are woken.
    pub fn woken<K: Managed>(
        &self,
        store: Store<K>,
    ) -> impl Stream<Item = ObjectRef<K>> + Send + 'static {
        let kind = K::kind(&()).into_owned();
        let wakes = futures::stream::unfold(self.wakes.subscribe(), |mut receiver| async {
            loop {
                match receiver.recv().await {
                    Ok(object) => return Some((object, receiver)),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        wakes.filter_map(move |object| {
            let reference = (object.kind == kind).then(|| {
                let reference = ObjectRef::<K>::new(&object.name);
                match object.namespace {
                    Some(namespace) => reference.within(&namespace),
                    None => reference,
                }
            });
            let known = reference.filter(|r| store.get(r).is_some());
            std::future::ready(known)
        })
    }
}

/// Whether a reconcile is a user's change, for the urgent lane: a new object, a new spec, one that waited for
/// what it references and has never been applied (its Synced condition for this generation says
/// `DependencyNotReady`): a service created beside its task definition is a user's change when the task definition
/// turns Ready, not a retry; or the rollout such a change started, until it settles (`Progressing=True` for this
/// generation): the user waits for Ready, so a rollout woken by the rollout loop does not queue behind a drift pass.
/// The rest (drift checks, repairs, retries, settled objects and tasks followed) is background.
pub fn is_users_change<S: ConditionedStatus>(status: Option<&S>, generation: Option<i64>) -> bool {
    let Some(status) = status else {
        return true;
    };
    let waiting_for_references = status.conditions().iter().any(|c| {
        c.type_ == SYNCED
            && c.status == "False"
            && c.reason == "DependencyNotReady"
            && c.observed_generation == generation
    });
    let rolling_out = status.conditions().iter().any(|c| {
        c.type_ == PROGRESSING && c.status == "True" && c.observed_generation == generation
    });
    status.observed_generation() != generation || waiting_for_references || rolling_out
}

#[cfg(test)]
#[path = "lanes_tests.rs"]
mod tests;
