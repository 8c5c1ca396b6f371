//! Counters read during a run: the double's calls by operation, and the kube-apiserver's write requests.

use std::collections::BTreeMap;

use serde_json::Value;

use super::processes::http;

/// The double's call counters.
#[derive(Clone, Debug, Default)]
pub struct EcsCalls {
    pub calls: BTreeMap<String, u64>,
    pub throttled: u64,
    /// ThrottlingExceptions by operation.
    pub throttled_by: BTreeMap<String, u64>,
    pub faults: u64,
    /// Objects named by batched reads (DescribeServices, DescribeTasks, DescribeClusters), by operation.
    pub named: BTreeMap<String, u64>,
}

impl EcsCalls {
    pub fn read(double_url: &str) -> Self {
        let stats: Value =
            serde_json::from_str(&http("GET", &format!("{double_url}/_double/stats"), None))
                .unwrap();
        let counts = |key: &str| -> BTreeMap<String, u64> {
            stats[key]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                        .collect()
                })
                .unwrap_or_default()
        };
        Self {
            calls: counts("calls"),
            throttled: counts("throttled").values().sum(),
            throttled_by: counts("throttled"),
            faults: stats["faults"].as_u64().unwrap_or(0),
            named: counts("named"),
        }
    }

    pub fn total(&self) -> u64 {
        self.calls.values().sum()
    }

    /// Calls of one operation.
    pub fn of(&self, operation: &str) -> u64 {
        self.calls.get(operation).copied().unwrap_or(0)
    }

    /// ThrottlingExceptions of one operation.
    pub fn throttled_of(&self, operation: &str) -> u64 {
        self.throttled_by.get(operation).copied().unwrap_or(0)
    }

    /// Objects one batched read operation named, per call.
    pub fn per_call(&self, operation: &str) -> f64 {
        let named = self.named.get(operation).copied().unwrap_or(0);
        named as f64 / self.of(operation).max(1) as f64
    }

    /// The calls made since `earlier`.
    pub fn since(&self, earlier: &EcsCalls) -> EcsCalls {
        let minus = |now: &BTreeMap<String, u64>, then: &BTreeMap<String, u64>| {
            now.iter()
                .map(|(op, n)| (op.clone(), n - then.get(op).copied().unwrap_or(0)))
                .collect()
        };
        EcsCalls {
            calls: minus(&self.calls, &earlier.calls),
            throttled: self.throttled - earlier.throttled,
            throttled_by: minus(&self.throttled_by, &earlier.throttled_by),
            faults: self.faults - earlier.faults,
            named: minus(&self.named, &earlier.named),
        }
    }
}

/// How many objects of one kind (`clusters`, `services`, `taskDefinitions`, `tasks`) the double holds.
pub fn ecs_objects(double_url: &str, kind: &str) -> u64 {
    let stats: Value =
        serde_json::from_str(&http("GET", &format!("{double_url}/_double/stats"), None)).unwrap();
    stats["objects"][kind]
        .as_u64()
        .unwrap_or_else(|| panic!("the double's stats count no objects {kind:?}"))
}

/// Write requests (POST, PUT, PATCH, DELETE, APPLY) the kube-apiserver has served for ecs-bridge's kinds, their
/// status and Events, from its own `apiserver_request_total` metric. Leases are not counted: the benchmark's
/// operators run without leader election, and the API server renews a Lease of its own in kube-system every 10 s
/// (its identity heartbeat), which the metric cannot tell apart and which had been counted as the operator's (11
/// writes in a quiet 108 s window, 2-3 in the first pass after a restart).
pub async fn apiserver_writes(client: &kube::Client) -> u64 {
    let request = ::http::Request::get("/metrics").body(Vec::new()).unwrap();
    let text = client
        .request_text(request)
        .await
        .expect("apiserver /metrics");
    text.lines()
        .filter(|l| l.starts_with("apiserver_request_total{"))
        .filter(|l| {
            [
                "verb=\"POST\"",
                "verb=\"PUT\"",
                "verb=\"PATCH\"",
                "verb=\"DELETE\"",
                "verb=\"APPLY\"",
            ]
            .iter()
            .any(|v| l.contains(v))
        })
        .filter(|l| {
            [
                "resource=\"ecsclusters\"",
                "resource=\"taskdefinitions\"",
                "resource=\"ecsservices\"",
                "resource=\"events\"",
            ]
            .iter()
            .any(|r| l.contains(r))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}
