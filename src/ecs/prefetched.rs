//! Answers read ahead of time (a drift pass's DescribeServices, the rollout loop's, the task loop's DescribeTasks)
//! for the lookups that follow: each serves one background lookup of its key until it expires; a lookup of a key
//! still being read waits for that read; and none is ever older than a write, a fresher (a user's) read of the same
//! key, or the answer of a prefetch begun later (two loops may read the same key at about the same time).

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::watch;
use tokio::time::Instant;

/// A group and a key in it.
type Key = (String, String);

/// The prefetched answers of one batcher.
pub struct Prefetched<V> {
    /// Each answer, until when it serves and when it was read.
    answers: Mutex<HashMap<Key, Answer<V>>>,
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
    /// A prefetch begins: expired answers go, and so do the marks of fresher reads of keys no prefetch is
    /// reading (a mark matters only to a prefetch of its key begun before it and still under way).
    pub fn begin(&self, began: Instant) {
        lock(&self.answers).retain(|_, answer| answer.until > began);
        let in_flight = lock(&self.in_flight);
        lock(&self.fresher).retain(|key, _| in_flight.contains_key(key));
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

    /// Keeps the answers of one batch read by `reading`, but not those of keys written or read fresh since its
    /// prefetch began, nor those a call made later already answered (its answer would be older).
    pub fn keep(&self, group: &str, keys: &[String], found: &HashMap<String, V>, reading: Reading) {
        let fresher = lock(&self.fresher);
        let mut answers = lock(&self.answers);
        for key in keys {
            let key = (group.to_owned(), key.clone());
            if fresher.get(&key).is_some_and(|at| *at >= reading.began) {
                continue;
            }
            if answers.get(&key).is_some_and(|a| a.asked > reading.asked) {
                continue;
            }
            let found = found.get(&key.1).cloned();
            let (until, asked) = (reading.until, reading.asked);
            answers.insert(
                key,
                Answer {
                    until,
                    asked,
                    found,
                },
            );
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
        let answer = lock(&self.answers).remove(&key)?;
        (Instant::now() < answer.until).then_some(answer.found)
    }
}

/// One prefetched answer: the value found (None: not found), until when it serves, and when its call was made.
struct Answer<V> {
    until: Instant,
    asked: Instant,
    found: Option<V>,
}

/// How one batch of a prefetch was read: when its prefetch began, when its call was made, and until when its
/// answers serve.
#[derive(Clone, Copy)]
pub struct Reading {
    pub began: Instant,
    pub asked: Instant,
    pub until: Instant,
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

    /// A batcher whose calls take 100 ms per key, each answer naming the size of its batch, counting the keys it
    /// reads.
    fn sized_batcher(reads: Arc<Mutex<Vec<String>>>) -> Arc<Batcher<String>> {
        let fetch: Fetch<String> = Arc::new(move |_group, keys| {
            let reads = reads.clone();
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(100) * keys.len() as u32).await;
                reads.lock().unwrap().extend(keys.iter().cloned());
                let size = keys.len();
                Ok(keys
                    .into_iter()
                    .map(|k| (k.clone(), format!("{k} of a batch of {size}")))
                    .collect())
            })
        });
        Batcher::new(Duration::from_millis(50), 10, fetch)
    }

    /// Starts a prefetch of `keys` of cluster c1 that serves for a drift pass.
    fn prefetching(
        batcher: &Arc<Batcher<String>>,
        keys: Vec<String>,
    ) -> tokio::task::JoinHandle<()> {
        let batcher = batcher.clone();
        tokio::spawn(async move {
            batcher
                .prefetch_for("c1", keys, Duration::from_secs(54))
                .await
                .unwrap();
        })
    }

    /// Issue 24: the drift pass and the rollout loop read the same clusters. A write made while one loop reads a
    /// service keeps that read's older answer out, even when the other loop begins reading the cluster meanwhile.
    #[tokio::test(start_paused = true)]
    async fn a_write_during_one_loop_s_read_is_not_undone_by_another_loop_s_read() {
        let reads = Arc::new(Mutex::new(Vec::new()));
        let batcher = sized_batcher(reads.clone());
        let pass = prefetching(&batcher, names(10));
        tokio::time::sleep(Duration::from_millis(100)).await;
        batcher.forget("c1", "s1");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let rollouts = prefetching(&batcher, vec!["s20".into()]);
        pass.await.unwrap();
        rollouts.await.unwrap();
        assert_eq!(reads.lock().unwrap().len(), 11);
        batcher.lookup("c1", "s1").await.unwrap();
        assert_eq!(
            reads.lock().unwrap().len(),
            12,
            "the service written during the read is read again"
        );
    }

    /// Issue 24: of two loops' reads of the same service, the answer of the call made later is kept, whichever
    /// call ends last.
    #[tokio::test(start_paused = true)]
    async fn the_answer_of_the_later_call_is_kept_whichever_ends_last() {
        let reads = Arc::new(Mutex::new(Vec::new()));
        let batcher = sized_batcher(reads.clone());
        let pass = prefetching(&batcher, names(10));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let rollouts = prefetching(&batcher, vec!["s5".into()]);
        rollouts.await.unwrap();
        pass.await.unwrap();
        let answer = batcher.lookup("c1", "s5").await.unwrap();
        assert_eq!(answer.as_deref(), Some("s5 of a batch of 1"));
        assert_eq!(
            reads.lock().unwrap().len(),
            11,
            "answered from the later read"
        );
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
