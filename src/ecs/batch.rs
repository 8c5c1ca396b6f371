//! Coalesces single-object lookups made at about the same time into one batched ECS call (DescribeServices takes
//! 10 services of one cluster, DescribeClusters 100 clusters), so that a drift check of many objects costs a
//! tenth or a hundredth of the calls; answers fetched ahead of time are kept in [`super::prefetched`].

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::AwsError;
use super::prefetched::{Prefetched, Reading, lock};
use super::priority::Priority;

/// Answers of one batched call: the found objects by key (absent keys were not found).
pub type Found<V> = Result<HashMap<String, V>, AwsError>;
/// Makes one batched call for a group (such as a cluster) and its keys.
pub type Fetch<V> = Arc<
    dyn Fn(String, Vec<String>) -> Pin<Box<dyn Future<Output = Found<V>> + Send>> + Send + Sync,
>;

/// How long a user's lookup (the urgent lane) waits for others to share its call, when the batch's own window is
/// longer: a new service's reconcile holds one of its lane's places while it waits, and a 300 ms wait per lookup
/// cost a third of the lane's pace at 10,000 services. Lookups made together (a user's many objects applied at
/// once) still share calls.
const URGENT_WINDOW: Duration = Duration::from_millis(50);

struct Waiter<V> {
    key: String,
    /// The priority of the lookup's caller: a batch holding a user's lookup is sent at urgent priority.
    priority: Priority,
    reply: oneshot::Sender<Result<Option<V>, AwsError>>,
}

/// Lookups waiting to be sent, per group, and answers fetched ahead of time.
pub struct Batcher<V> {
    window: Duration,
    max: usize,
    fetch: Fetch<V>,
    pending: Mutex<HashMap<String, Vec<Waiter<V>>>>,
    prefetched: Prefetched<V>,
}

/// How long a prefetched answer may be used unless the prefetch says otherwise.
const PREFETCH_MAX_AGE: Duration = Duration::from_secs(10);

impl<V: Clone + Send + 'static> Batcher<V> {
    /// Batches of at most `max` keys, sent `window` after the first lookup of a group ([`URGENT_WINDOW`] after its
    /// first user's lookup, if that is sooner) or as soon as `max` wait.
    pub fn new(window: Duration, max: usize, fetch: Fetch<V>) -> Arc<Self> {
        Arc::new(Self {
            window,
            max,
            fetch,
            pending: Mutex::default(),
            prefetched: Prefetched::default(),
        })
    }

    /// Fetches all `keys` of a group now, in batches of `max`, for the lookups that will follow shortly (each
    /// answer serves one lookup for 10 s). Returns what was found.
    pub async fn prefetch(&self, group: &str, keys: Vec<String>) -> Found<V> {
        self.prefetch_for(group, keys, PREFETCH_MAX_AGE).await
    }

    /// Fetches all `keys` of a group now, in batches of `max`, for the lookups of the next `valid_for` (a drift
    /// pass of many objects whose reconciles run one after another, however long that takes): each answer serves
    /// one background lookup of its key; a lookup of a key still being read waits for its batch rather than
    /// reading it twice. Returns what was found.
    pub async fn prefetch_for(
        &self,
        group: &str,
        keys: Vec<String>,
        valid_for: Duration,
    ) -> Found<V> {
        let mut all = HashMap::new();
        self.prefetch_each(group, keys, valid_for, |found| all.extend(found))
            .await?;
        Ok(all)
    }

    /// As [`Self::prefetch_for`], but hands each batch's answers to `found_in_batch` as they come instead of
    /// gathering them all: a drift pass reads thousands of keys, and their answers are kept once, for the lookups.
    pub async fn prefetch_each(
        &self,
        group: &str,
        keys: Vec<String>,
        valid_for: Duration,
        mut found_in_batch: impl FnMut(HashMap<String, V>),
    ) -> Result<(), AwsError> {
        let began = Instant::now();
        self.prefetched.begin(began);
        let chunks: Vec<_> = keys
            .chunks(self.max)
            .map(|chunk| self.prefetched.announce(group, chunk))
            .collect();
        for chunk in chunks {
            let asked = Instant::now();
            let found = (self.fetch)(group.to_owned(), chunk.keys().to_vec()).await?;
            let until = began + valid_for;
            let reading = Reading {
                began,
                asked,
                until,
            };
            self.prefetched.keep(group, chunk.keys(), &found, reading);
            found_in_batch(found);
        }
        Ok(())
    }

    /// Drops a prefetched answer that a write has made stale (also one a prefetch under way would keep).
    pub fn forget(&self, group: &str, key: &str) {
        self.prefetched.forget(group, key);
    }

    /// Looks up one key of a group, batched with the other lookups of that group. A background lookup takes the
    /// key's prefetched answer; a user's (urgent) lookup reads ECS now, and its fresher answer retires the
    /// prefetched one.
    pub async fn lookup(self: &Arc<Self>, group: &str, key: &str) -> Result<Option<V>, AwsError> {
        match Priority::current() {
            Priority::Background => {
                if let Some(answer) = self.prefetched.take(group, key).await {
                    return Ok(answer);
                }
            }
            Priority::Urgent => self.forget(group, key),
        }
        let (reply, answer) = oneshot::channel();
        let priority = Priority::current();
        let (timer, full) = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            let waiting = pending.entry(group.to_owned()).or_default();
            // The batch's first lookup starts its window; its first user's lookup, a shorter one.
            let timer = match priority {
                Priority::Urgent if !waiting.iter().any(|w| w.priority == Priority::Urgent) => {
                    Some(self.window.min(URGENT_WINDOW))
                }
                _ => waiting.is_empty().then_some(self.window),
            };
            waiting.push(Waiter {
                key: key.to_owned(),
                priority,
                reply,
            });
            let full = (waiting.len() >= self.max).then(|| std::mem::take(waiting));
            (timer, full)
        };
        if let Some(batch) = full {
            tokio::spawn(self.clone().send(group.to_owned(), batch));
        } else if let Some(window) = timer {
            // A timer that finds its batch sent already sends whatever waits then, earlier than its own window.
            let batcher = self.clone();
            let group = group.to_owned();
            tokio::spawn(async move {
                tokio::time::sleep(window).await;
                let batch = batcher.take(&group);
                if !batch.is_empty() {
                    batcher.send(group, batch).await;
                }
            });
        }
        answer.await.unwrap_or_else(|_| {
            Err(AwsError::conversion(
                "a batched ECS call was dropped".into(),
            ))
        })
    }

    fn take(&self, group: &str) -> Vec<Waiter<V>> {
        lock(&self.pending).remove(group).unwrap_or_default()
    }

    /// Sends the waiters' keys in batches of `max` and answers each waiter.
    async fn send(self: Arc<Self>, group: String, mut waiters: Vec<Waiter<V>>) {
        while !waiters.is_empty() {
            let rest = waiters.split_off(waiters.len().min(self.max));
            let chunk = std::mem::replace(&mut waiters, rest);
            let mut keys: Vec<String> = chunk.iter().map(|w| w.key.clone()).collect();
            keys.sort();
            keys.dedup();
            let priority = match chunk.iter().any(|w| w.priority == Priority::Urgent) {
                true => Priority::Urgent,
                false => Priority::Background,
            };
            let found = priority.scope((self.fetch)(group.clone(), keys)).await;
            for waiter in chunk {
                let answer = match &found {
                    Ok(objects) => Ok(objects.get(&waiter.key).cloned()),
                    Err(err) => Err(err.clone()),
                };
                let _ = waiter.reply.send(answer);
            }
        }
    }
}

/// The first failure of a batched Describe call other than MISSING (an object that does not exist, which the
/// caller answers with `None`), as the error of the whole call.
pub fn refuse_failures(
    operation: &'static str,
    cluster: &str,
    what: &str,
    failures: &[aws_sdk_ecs::types::Failure],
    request_id: Option<&str>,
) -> Result<(), super::AwsError> {
    match failures.iter().find(|f| f.reason() != Some("MISSING")) {
        None => Ok(()),
        Some(failure) => Err(super::AwsError::from_code(
            operation,
            failure.reason(),
            format!(
                "{} on cluster {cluster}: {}",
                failure.arn().unwrap_or(what),
                failure.detail().unwrap_or("no detail")
            ),
            request_id.map(str::to_owned),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counting_batcher(calls: Arc<AtomicUsize>, max: usize) -> Arc<Batcher<String>> {
        let fetch: Fetch<String> = Arc::new(move |group, keys| {
            calls.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                assert!(keys.len() <= 10, "a batch holds at most 10 keys");
                Ok(keys
                    .into_iter()
                    .filter(|k| k != "missing")
                    .map(|k| (k.clone(), format!("{group}/{k}")))
                    .collect())
            })
        });
        Batcher::new(Duration::from_millis(50), max, fetch)
    }

    #[tokio::test]
    async fn lookups_of_one_group_share_calls_of_at_most_max_keys() {
        let calls = Arc::new(AtomicUsize::new(0));
        let batcher = counting_batcher(calls.clone(), 10);
        let lookups = (0..25).map(|i| {
            let batcher = batcher.clone();
            async move { batcher.lookup("c1", &format!("s{i}")).await }
        });
        let answers = futures::future::join_all(lookups).await;
        assert_eq!(answers[7].as_ref().unwrap().as_deref(), Some("c1/s7"));
        assert_eq!(calls.load(Ordering::SeqCst), 3, "25 lookups in 3 calls");
    }

    #[tokio::test]
    async fn groups_are_batched_apart_and_missing_keys_answer_none() {
        let calls = Arc::new(AtomicUsize::new(0));
        let batcher = counting_batcher(calls.clone(), 10);
        let (a, b, missing) = tokio::join!(
            batcher.lookup("c1", "x"),
            batcher.lookup("c2", "x"),
            batcher.lookup("c1", "missing")
        );
        assert_eq!(a.unwrap().as_deref(), Some("c1/x"));
        assert_eq!(b.unwrap().as_deref(), Some("c2/x"));
        assert_eq!(missing.unwrap(), None);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn prefetched_answers_serve_one_lookup_each_and_a_write_drops_them() {
        let calls = Arc::new(AtomicUsize::new(0));
        let batcher = counting_batcher(calls.clone(), 10);
        let keys: Vec<String> = (0..25).map(|i| format!("s{i}")).collect();
        batcher.prefetch("c1", keys).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(
            batcher.lookup("c1", "s3").await.unwrap().as_deref(),
            Some("c1/s3")
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "answered from the prefetch"
        );
        batcher.lookup("c1", "s3").await.unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            4,
            "a prefetched answer is used once"
        );
        batcher.forget("c1", "s4");
        batcher.lookup("c1", "s4").await.unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            5,
            "a write drops the prefetched answer"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_users_lookup_waits_the_short_window_and_takes_the_waiting_batch_along() {
        let calls = Arc::new(AtomicUsize::new(0));
        let fetch: Fetch<String> = {
            let calls = calls.clone();
            Arc::new(move |_, keys| {
                calls.fetch_add(1, Ordering::SeqCst);
                Box::pin(async move { Ok(keys.into_iter().map(|k| (k.clone(), k)).collect()) })
            })
        };
        let batcher = Batcher::new(Duration::from_secs(1), 10, fetch);
        let started = Instant::now();
        let background = batcher.lookup("c", "drift");
        let users = Priority::Urgent.scope(batcher.lookup("c", "new"));
        let (background, users) = tokio::join!(background, users);
        assert_eq!(users.unwrap().as_deref(), Some("new"));
        assert_eq!(background.unwrap().as_deref(), Some("drift"));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one call for both");
        assert!(
            started.elapsed() <= URGENT_WINDOW,
            "answered after {:?}, not within the urgent window",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn an_error_reaches_every_waiter_of_the_batch() {
        let fetch: Fetch<String> = Arc::new(|_, _| {
            Box::pin(async {
                Err(AwsError::from_code(
                    "DescribeServices",
                    Some("ServerException"),
                    "down".into(),
                    None,
                ))
            })
        });
        let batcher = Batcher::new(Duration::from_millis(10), 10, fetch);
        let (a, b) = tokio::join!(batcher.lookup("c", "a"), batcher.lookup("c", "b"));
        assert!(a.is_err() && b.is_err());
    }
}
