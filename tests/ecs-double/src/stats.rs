//! Call counters for `GET /_double/stats`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::request::Request;

/// Counts since start or the last reset.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Every call received, by operation (throttled and faulted ones included).
    pub calls: BTreeMap<String, u64>,
    /// Calls answered with `ThrottlingException`, by operation.
    pub throttled: BTreeMap<String, u64>,
    /// Calls answered with an injected fault.
    pub faults: u64,
    /// Objects named by the batched reads (DescribeServices, DescribeTasks, DescribeClusters,
    /// DescribeScalableTargets), by operation: with `calls`, how full the batches were.
    pub named: BTreeMap<String, u64>,
}

/// The batched reads and the request field that names their objects.
const BATCHED: [(&str, &str); 4] = [
    ("DescribeServices", "services"),
    ("DescribeTasks", "tasks"),
    ("DescribeClusters", "clusters"),
    ("DescribeScalableTargets", "ResourceIds"),
];

impl Stats {
    pub fn call(&mut self, operation: &str) {
        *self.calls.entry(operation.to_owned()).or_default() += 1;
    }

    /// Counts the objects a batched read names (its admitted calls only).
    pub fn named(&mut self, operation: &str, request: &Request) {
        let Some((_, field)) = BATCHED.iter().find(|(op, _)| *op == operation) else {
            return;
        };
        let count = request
            .value(field)
            .and_then(|v| v.as_array())
            .map_or(0, |a| a.len() as u64);
        *self.named.entry(operation.to_owned()).or_default() += count;
    }

    pub fn throttle(&mut self, operation: &str) {
        *self.throttled.entry(operation.to_owned()).or_default() += 1;
    }
}
