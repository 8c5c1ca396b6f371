//! Call counters for `GET /_double/stats`.

use std::collections::BTreeMap;

use serde::Serialize;

/// Counts since start or the last reset.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Every call received, by operation (throttled and faulted ones included).
    pub calls: BTreeMap<String, u64>,
    /// Calls answered with `ThrottlingException`, by operation.
    pub throttled: BTreeMap<String, u64>,
    /// Calls answered with an injected fault.
    pub faults: u64,
}

impl Stats {
    pub fn call(&mut self, operation: &str) {
        *self.calls.entry(operation.to_owned()).or_default() += 1;
    }

    pub fn throttle(&mut self, operation: &str) {
        *self.throttled.entry(operation.to_owned()).or_default() += 1;
    }
}
