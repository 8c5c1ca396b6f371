//! What the loops that follow many objects in rounds share (`task_watch` for tasks, `rollout_watch` for
//! rollouts): rounds paced by their calls in each account and region, at most a share of what each account's
//! bucket sustains and at least a second apart, so one account's many objects do not slow the rounds of the others
//! and a slow answer does not slow the next round down; and wakes that spare objects waiting out their error
//! backoff.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::time::{Duration, Instant};

use futures::Stream;

use kube::Resource;
use kube::runtime::reflector::ObjectRef;

use crate::reconcile::backoff;

/// The shortest pause between two rounds.
pub const MIN_PAUSE: Duration = Duration::from_secs(1);
/// The share of a bucket's sustained rate the rounds may take.
pub const BUCKET_SHARE: f64 = 0.5;
/// Clusters read at the same time in a round.
pub const CLUSTERS_AT_ONCE: usize = 8;

/// Each account and region's calls in a round, by (account, region).
pub type Loads = HashMap<(String, String), Load>;

/// A loop that reads many objects in rounds and tells which to wake.
pub trait Rounds: Send + Sync + 'static {
    type Woken: Send + 'static;
    /// What the rounds read, for the log.
    const READS: &'static str;
    /// Reads once; returns the objects to wake and the calls made in each account and region.
    fn round(&self) -> impl Future<Output = (Vec<Self::Woken>, Loads)> + Send;
}

/// The objects `rounds` wakes, round after round, each round followed by the pause [`pause`] gives; runs as long as
/// it is polled.
pub fn woken<R: Rounds>(rounds: R) -> impl Stream<Item = R::Woken> + Send + 'static {
    let start = (rounds, VecDeque::new(), MIN_PAUSE);
    futures::stream::unfold(start, |(rounds, mut due, mut paused)| async move {
        loop {
            if let Some(next) = due.pop_front() {
                return Some((next, (rounds, due, paused)));
            }
            tokio::time::sleep(paused).await;
            let started = Instant::now();
            let (woken, loads) = rounds.round().await;
            due.extend(woken);
            let took = started.elapsed();
            paused = pause(loads.values(), took);
            tracing::debug!(
                reads = R::READS,
                accounts = loads.len(),
                took_ms = took.as_millis(),
                pause_ms = paused.as_millis(),
                "round"
            );
        }
    })
}

/// One account and region's calls in a round, and the calls a second its bucket sustains (None when calls are not
/// limited).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Load {
    pub calls: usize,
    pub sustained: Option<f64>,
}

/// The pause after a round that took `took`, with each account's `loads`: long enough that the rounds take at
/// most [`BUCKET_SHARE`] of what each account's bucket sustains, and at least [`MIN_PAUSE`].
pub fn pause<'a>(loads: impl IntoIterator<Item = &'a Load>, took: Duration) -> Duration {
    let paced = loads
        .into_iter()
        .filter_map(|load| {
            let rate = load.sustained.filter(|rate| *rate > 0.0)?;
            Some(Duration::from_secs_f64(
                load.calls as f64 / (rate * BUCKET_SHARE),
            ))
        })
        .max()
        .unwrap_or_default();
    paced.saturating_sub(took).max(MIN_PAUSE)
}

/// The key of an object in the per-object error backoff.
pub fn backoff_key<K: Resource<DynamicType = ()>>(owner: &ObjectRef<K>) -> String {
    let namespace = owner.namespace.as_deref().unwrap_or_default();
    backoff::key(&K::kind(&()), namespace, &owner.name)
}

/// The objects to wake: each once, and none that waits out its error backoff.
pub fn due<K: Resource<DynamicType = ()>>(
    mut woken: Vec<ObjectRef<K>>,
    backing_off: impl Fn(&ObjectRef<K>) -> bool,
) -> Vec<ObjectRef<K>> {
    let mut seen = HashSet::new();
    woken.retain(|o| seen.insert(o.clone()) && !backing_off(o));
    woken
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 21, item 8: an object whose reconciles fail is not woken by its tasks' changes before its backoff
    /// ends (no wake storm of a failing EcsTask).
    #[test]
    fn objects_in_error_backoff_are_not_woken() {
        let backoff = crate::reconcile::backoff::Backoff::default();
        let (a, b): (
            ObjectRef<crate::api::EcsTask>,
            ObjectRef<crate::api::EcsTask>,
        ) = (
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
}
