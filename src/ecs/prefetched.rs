//! Answers read ahead of time (a drift pass's DescribeServices, the task loop's DescribeTasks) for the lookups that
//! follow: each serves one background lookup of its key until it expires; a lookup of a key still being read waits
//! for that read; and none is ever older than a write or a fresher (a user's) read of the same key.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::watch;
use tokio::time::Instant;

/// A group and a key in it.
type Key = (String, String);

/// The prefetched answers of one batcher.
pub struct Prefetched<V> {
    /// Each answer with the instant it expires.
    answers: Mutex<HashMap<Key, (Instant, Option<V>)>>,
    /// Keys a prefetch is reading now, with the signal that their answers are in (or will not come).
    in_flight: Mutex<HashMap<Key, watch::Receiver<bool>>>,
    /// When a key was last written or read fresh: a prefetch begun before then must not keep its older answer.
    fresher: Mutex<HashMap<Key, Instant>>,
}

impl<V> Default for Prefetched<V> {
    fn default() -> Self {
        Self {
            answers: Mutex::default(),
            in_flight: Mutex::default(),
            fresher: Mutex::default(),
        }
    }
}

impl<V: Clone> Prefetched<V> {
    /// A prefetch of `group` begins: expired answers go, and so do the marks of fresher reads before it (a group
    /// is prefetched by one loop, one prefetch at a time).
    pub fn begin(&self, group: &str, began: Instant) {
        lock(&self.answers).retain(|_, (until, _)| *until > began);
        lock(&self.fresher).retain(|(g, _), _| g != group);
    }

    /// Marks `keys` as being read until the returned batch is dropped.
    pub fn announce<'a>(&'a self, group: &str, keys: &[String]) -> InFlight<'a, V> {
        let (done, reading) = watch::channel(false);
        let mut in_flight = lock(&self.in_flight);
        for key in keys {
            in_flight.insert((group.to_owned(), key.clone()), reading.clone());
        }
        InFlight {
            store: self,
            group: group.to_owned(),
            keys: keys.to_vec(),
            done,
        }
    }

    /// Keeps the answers of a prefetch begun at `began` until `until`, but not those of keys written or read
    /// fresh since it began (its answer would be older).
    pub fn keep(
        &self,
        group: &str,
        keys: &[String],
        found: &HashMap<String, V>,
        began: Instant,
        until: Instant,
    ) {
        let fresher = lock(&self.fresher);
        let mut answers = lock(&self.answers);
        for key in keys {
            let key = (group.to_owned(), key.clone());
            if fresher.get(&key).is_some_and(|at| *at >= began) {
                continue;
            }
            let answer = found.get(&key.1).cloned();
            answers.insert(key, (until, answer));
        }
    }

    /// Drops the key's answer: a write or a fresher read made it stale (also the one a prefetch under way would
    /// keep).
    pub fn forget(&self, group: &str, key: &str) {
        let key = (group.to_owned(), key.to_owned());
        lock(&self.answers).remove(&key);
        lock(&self.fresher).insert(key, Instant::now());
    }

    /// The key's answer, once a prefetch reading it now has it; `None` when there is none or it expired.
    pub async fn take(&self, group: &str, key: &str) -> Option<Option<V>> {
        let key = (group.to_owned(), key.to_owned());
        let reading = lock(&self.in_flight).get(&key).cloned();
        if let Some(mut reading) = reading {
            // An error or a cancelled prefetch ends the wait too: the lookup then reads for itself.
            let _ = reading.wait_for(|done| *done).await;
        }
        let (until, answer) = lock(&self.answers).remove(&key)?;
        (Instant::now() < until).then_some(answer)
    }
}

/// Keys of one batch of a prefetch under way: lookups of them wait for its answers until it is dropped.
pub struct InFlight<'a, V> {
    store: &'a Prefetched<V>,
    group: String,
    keys: Vec<String>,
    done: watch::Sender<bool>,
}

impl<V> InFlight<'_, V> {
    pub fn keys(&self) -> &[String] {
        &self.keys
    }
}

impl<V> Drop for InFlight<'_, V> {
    fn drop(&mut self) {
        let mut in_flight = lock(&self.store.in_flight);
        let ours = self.done.subscribe();
        for key in &self.keys {
            let key = (self.group.clone(), key.clone());
            // A later prefetch of the same key may have announced itself since.
            if in_flight.get(&key).is_some_and(|r| r.same_channel(&ours)) {
                in_flight.remove(&key);
            }
        }
        let _ = self.done.send(true);
    }
}

pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use crate::ecs::batch::{Batcher, Fetch};
    use crate::ecs::priority::Priority;

    /// A batcher whose calls take a second each, counting the keys it reads.
    fn slow_batcher(reads: Arc<Mutex<Vec<String>>>) -> Arc<Batcher<String>> {
        let fetch: Fetch<String> = Arc::new(move |group, keys| {
            let reads = reads.clone();
            Box::pin(async move {
                let answer_of = tokio::time::Instant::now();
                tokio::time::sleep(Duration::from_secs(1)).await;
                reads.lock().unwrap().extend(keys.iter().cloned());
                Ok(keys
                    .into_iter()
                    .map(|k| (k.clone(), format!("{group}/{k}@{answer_of:?}")))
                    .collect())
            })
        });
        Batcher::new(Duration::from_millis(50), 10, fetch)
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("s{i}")).collect()
    }

    /// Issue 24: a drift pass of thousands of services runs its reconciles one after another for longer than 10 s;
    /// the answers read ahead of the pass serve its reconciles for as long as it lasts, one DescribeServices per
    /// 10 services, and expire with it.
    #[tokio::test(start_paused = true)]
    async fn a_pass_s_prefetched_answers_serve_its_lookups_however_long_it_lasts() {
        let reads = Arc::new(Mutex::new(Vec::new()));
        let batcher = slow_batcher(reads.clone());
        let pass = Duration::from_secs(54);
        batcher.prefetch_for("c1", names(20), pass).await.unwrap();
        tokio::time::sleep(Duration::from_secs(40)).await;
        batcher.lookup("c1", "s19").await.unwrap();
        assert_eq!(
            reads.lock().unwrap().len(),
            20,
            "answered from the prefetch 40 s on"
        );
        tokio::time::sleep(Duration::from_secs(20)).await;
        batcher.lookup("c1", "s18").await.unwrap();
        assert_eq!(
            reads.lock().unwrap().len(),
            21,
            "the next pass reads afresh"
        );
    }

    /// A lookup made while the prefetch is still reading its key waits for that read instead of making another.
    #[tokio::test(start_paused = true)]
    async fn a_lookup_of_a_key_being_prefetched_waits_for_its_batch() {
        let reads = Arc::new(Mutex::new(Vec::new()));
        let batcher = slow_batcher(reads.clone());
        let prefetching = {
            let batcher = batcher.clone();
            tokio::spawn(async move {
                batcher
                    .prefetch_for("c1", names(30), Duration::from_secs(54))
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let answer = batcher.lookup("c1", "s25").await.unwrap();
        prefetching.await.unwrap().unwrap();
        assert!(answer.is_some());
        assert_eq!(reads.lock().unwrap().len(), 30, "each service read once");
    }

    /// A user's change reads ECS now, not the pass's earlier answer; that answer then serves no later lookup of
    /// the service (it is older than what the user's reconcile saw), nor does one a write overtook mid-prefetch.
    #[tokio::test(start_paused = true)]
    async fn a_user_s_lookup_and_a_write_retire_the_prefetched_answer() {
        let reads = Arc::new(Mutex::new(Vec::new()));
        let batcher = slow_batcher(reads.clone());
        batcher
            .prefetch_for("c1", names(10), Duration::from_secs(54))
            .await
            .unwrap();
        let urgent = Priority::Urgent
            .scope(batcher.lookup("c1", "s1"))
            .await
            .unwrap();
        assert_eq!(
            reads.lock().unwrap().len(),
            11,
            "the user's lookup read ECS"
        );
        let later = batcher.lookup("c1", "s1").await.unwrap();
        assert_eq!(reads.lock().unwrap().len(), 12, "the older answer is gone");
        assert_ne!(urgent, later);
        let prefetching = {
            let batcher = batcher.clone();
            tokio::spawn(async move {
                batcher
                    .prefetch_for("c1", names(10), Duration::from_secs(54))
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        batcher.forget("c1", "s2");
        prefetching.await.unwrap().unwrap();
        batcher.lookup("c1", "s2").await.unwrap();
        assert_eq!(
            reads.lock().unwrap().len(),
            23,
            "a write during the prefetch: the service is read again"
        );
    }
}
