//! Per-object exponential backoff with jitter: each failure in a row doubles the wait before the next attempt
//! (from the error's own base delay, up to a ceiling); a success starts over.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::ecs::call::backoff;

/// The longest wait between two attempts of one object.
pub const CEILING: Duration = Duration::from_secs(300);

/// Failures in a row, and when the next attempt is due, per object.
#[derive(Default)]
pub struct Backoff {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

/// The key of an object of `kind` in the backoff.
pub fn key(kind: &str, namespace: &str, name: &str) -> String {
    format!("{kind}/{namespace}/{name}")
}

impl Backoff {
    /// Counts one more failure of `key` and returns how long to wait before trying again.
    pub fn failed(&self, key: &str, base: Duration) -> Duration {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let (count, due) = failures
            .entry(key.to_owned())
            .or_insert((0, Instant::now()));
        *count = count.saturating_add(1);
        let wait = delay(base, *count);
        *due = Instant::now() + wait;
        wait
    }

    /// Whether `key` failed and its next attempt is not due yet: wake-ups from elsewhere (such as the task watch)
    /// wait for it too, so a failing object is not reconciled more often than its backoff allows.
    pub fn waiting(&self, key: &str) -> bool {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .is_some_and(|(_, due)| Instant::now() < *due)
    }

    /// Forgets the failures of `key`.
    pub fn succeeded(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

/// The wait after `failures` failures in a row (1-based) of an error whose first retry comes after `base`.
pub fn delay(base: Duration, failures: u32) -> Duration {
    backoff(base, failures.saturating_sub(1)).min(CEILING)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_with_failures_in_a_row_and_stay_under_the_ceiling() {
        let base = Duration::from_secs(5);
        let first = delay(base, 1);
        assert!(
            first >= base.mul_f64(0.5) && first < base.mul_f64(1.5),
            "{first:?}"
        );
        let fourth = delay(base, 4);
        assert!(
            fourth >= base.mul_f64(4.0) && fourth < base.mul_f64(12.0),
            "{fourth:?}"
        );
        assert!(delay(base, 30) <= CEILING);
    }

    #[test]
    fn waits_are_jittered() {
        let waits: std::collections::BTreeSet<_> =
            (0..20).map(|_| delay(Duration::from_secs(60), 2)).collect();
        assert!(waits.len() > 1, "{waits:?}");
    }

    #[test]
    fn a_success_starts_over() {
        let backoff = Backoff::default();
        let base = Duration::from_secs(10);
        for _ in 0..5 {
            backoff.failed("a", base);
        }
        assert!(backoff.failed("a", base) > base.mul_f64(8.0));
        assert!(backoff.failed("b", base) < base.mul_f64(1.5), "per object");
        backoff.succeeded("a");
        assert!(backoff.failed("a", base) < base.mul_f64(1.5));
    }

    #[test]
    fn a_failed_object_is_waiting_until_its_next_attempt_is_due() {
        let backoff = Backoff::default();
        assert!(!backoff.waiting("a"));
        backoff.failed("a", Duration::from_secs(60));
        assert!(backoff.waiting("a"));
        assert!(!backoff.waiting("b"));
        backoff.succeeded("a");
        assert!(!backoff.waiting("a"));
        backoff.failed("a", Duration::from_millis(1));
        std::thread::sleep(Duration::from_millis(5));
        assert!(!backoff.waiting("a"), "due again");
    }
}
