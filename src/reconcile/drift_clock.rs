//! The drift clock: ticks every 9/10 of the drift interval, the same instants for every object, at which drift
//! passes begin.

use std::time::Duration;

/// Time until the next drift check. Checks run every 9/10 of the interval at the same instants for all objects
/// (a drift pass begins at each such tick), so that every object is compared within the interval and their ECS
/// reads coalesce into batched calls.
pub fn next_drift_check(interval: Duration) -> Duration {
    let (period, now) = drift_clock(interval);
    Duration::from_millis(period - now % period)
}

/// Time since the current drift pass began (its tick): what a pass shares (a listing of ACTIVE revisions) is
/// shared if it began since then, however long the pass lasts.
pub fn since_drift_tick(interval: Duration) -> Duration {
    let (period, now) = drift_clock(interval);
    Duration::from_millis(now % period)
}

/// The time between drift ticks: how long a drift pass has before the next begins.
pub fn drift_period(interval: Duration) -> Duration {
    Duration::from_millis(drift_clock(interval).0)
}

/// The number of the current drift pass since the epoch: consecutive passes have consecutive numbers.
pub fn drift_pass(interval: Duration) -> u64 {
    let (period, now) = drift_clock(interval);
    now / period
}

/// The period of the drift ticks and the time now, in milliseconds.
fn drift_clock(interval: Duration) -> (u64, u64) {
    let period = u64::try_from(interval.mul_f64(0.9).as_millis())
        .unwrap_or(u64::MAX)
        .max(1000);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (period, u64::try_from(now.as_millis()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_checks_come_within_nine_tenths_of_the_interval() {
        for seconds in [10, 60, 300] {
            let delay = next_drift_check(Duration::from_secs(seconds));
            assert!(
                delay > Duration::ZERO && delay <= Duration::from_secs(seconds).mul_f64(0.9),
                "{delay:?}"
            );
        }
    }
}
