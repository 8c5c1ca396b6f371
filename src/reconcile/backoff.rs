//! Per-object exponential backoff with jitter: each failure in a row doubles the wait before the next attempt
//! (from the error's own base delay, up to a ceiling); a success starts over.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::ecs::call::backoff;

/// The longest wait between two attempts of one object.
pub const CEILING: Duration = Duration::from_secs(300);

/// Failures in a row, per object.
#[derive(Default)]
pub struct Backoff {
    failures: Mutex<HashMap<String, u32>>,
}

impl Backoff {
    /// Counts one more failure of `key` and returns how long to wait before trying again.
    pub fn failed(&self, key: &str, base: Duration) -> Duration {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let count = failures.entry(key.to_owned()).or_default();
        *count = count.saturating_add(1);
        delay(base, *count)
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
}
