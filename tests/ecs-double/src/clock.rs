//! Time for the double: wall-clock epoch seconds that never go backwards (a monotonic clock anchored at start).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The server's clock.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: Instant,
    start_epoch: f64,
}

impl Clock {
    pub fn new() -> Self {
        let start_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        Self {
            start: Instant::now(),
            start_epoch,
        }
    }

    /// Now, in epoch seconds (the unit of ECS timestamps).
    pub fn now(&self) -> f64 {
        self.start_epoch + self.start.elapsed().as_secs_f64()
    }
}
