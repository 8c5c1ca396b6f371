//! Users first at the token buckets: a call made for a user's change (the urgent reconcile lane) takes the next
//! token of its bucket ahead of background calls (drift checks and their repairs) already waiting for it.

use std::future::Future;
use std::sync::Mutex;

use super::limits::Bucket;

/// Whose call waits for a token: a user's change goes before background work (drift checks and their repairs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priority {
    Urgent,
    Background,
}

tokio::task_local! {
    static PRIORITY: Priority;
}

impl Priority {
    /// The priority of the calls made by the current task: background unless it runs inside [`Priority::scope`].
    pub fn current() -> Priority {
        PRIORITY.try_with(|p| *p).unwrap_or(Priority::Background)
    }

    /// Runs `work` with its ECS calls at this priority.
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        PRIORITY.scope(self, work).await
    }
}

/// Counts an urgent call as waiting for its bucket while it lives (also when the call is dropped while waiting).
pub(super) struct UrgentWaiter<'a>(&'a Mutex<Bucket>);

impl<'a> UrgentWaiter<'a> {
    pub(super) fn enter(bucket: &'a Mutex<Bucket>) -> Self {
        bucket
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .urgent_waiting += 1;
        Self(bucket)
    }
}

impl Drop for UrgentWaiter<'_> {
    fn drop(&mut self) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .urgent_waiting -= 1;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::Priority;
    use crate::ecs::limits::{Category, LimitSettings, RateLimits};

    /// AWS's registration bucket (burst 20, refill 1/s) at full budget, drained.
    async fn drained_registration_bucket() -> Arc<RateLimits> {
        let limits = Arc::new(RateLimits::new(&LimitSettings {
            budget: 1.0,
            ..Default::default()
        }));
        for _ in 0..20 {
            limits
                .acquire(Category::TaskDefinitionModify, Priority::Background)
                .await;
        }
        limits
    }

    /// Issue 24 item 5: background calls already waiting for the registration bucket (a mass repair: 8
    /// reconciles, each taking token after token) do not delay a user's change: each of its calls is granted at
    /// the next refill, one token interval at most, and the background calls get all the other tokens.
    #[tokio::test(start_paused = true)]
    async fn an_urgent_call_takes_the_next_token_ahead_of_waiting_background_calls() {
        let limits = drained_registration_bucket().await;
        let repair = tokio::time::Instant::now();
        let background: Vec<_> = (0..8)
            .map(|_| {
                let limits = limits.clone();
                tokio::spawn(async move {
                    let mut granted = 0;
                    while repair.elapsed() < Duration::from_secs(30) {
                        limits
                            .acquire(Category::TaskDefinitionModify, Priority::Background)
                            .await;
                        granted += 1;
                    }
                    granted
                })
            })
            .collect();
        // A task of its own like the background ones (the test's own task would be woken first).
        let user = limits.clone();
        let users = tokio::spawn(async move {
            let mut waits = Vec::new();
            for pause in [500, 2300, 3700, 1100, 4900] {
                tokio::time::sleep(Duration::from_millis(pause)).await;
                let waited = user
                    .acquire(Category::TaskDefinitionModify, Priority::Urgent)
                    .await;
                waits.push(waited);
            }
            waits
        });
        let waits = users.await.unwrap();
        assert!(
            waits.iter().all(|w| *w <= Duration::from_secs(1)),
            "{waits:?}"
        );
        let mut granted = 0;
        for waiter in background {
            granted += waiter.await.unwrap();
        }
        // 30 s of refills at 1/s, 5 of them to the urgent calls; the last loop round ends a little after 30 s.
        assert!((25..=33).contains(&granted), "{granted}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_urgent_call_given_up_while_waiting_leaves_its_token_to_the_others() {
        let limits = drained_registration_bucket().await;
        let given_up = tokio::time::timeout(
            Duration::from_millis(500),
            limits.acquire(Category::TaskDefinitionModify, Priority::Urgent),
        )
        .await;
        assert!(given_up.is_err());
        let waited = limits
            .acquire(Category::TaskDefinitionModify, Priority::Background)
            .await;
        assert!(waited <= Duration::from_millis(600), "{waited:?}");
    }
}
