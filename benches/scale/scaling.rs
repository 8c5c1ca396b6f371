//! Autoscaled services: `n` EcsServices with `spec.autoScaling` (one target tracking policy and one scheduled
//! action each), over 10 clusters, against a double of their own that serves Application Auto Scaling with AWS's
//! page sizes and the operator's cautious buckets (AWS publishes none), sped up like the other phases. After
//! convergence, counts Application Auto Scaling calls over whole drift passes and compares them with what one
//! pass needs: the targets in DescribeScalableTargets calls of 50, the policies in pages of 10, the scheduled
//! actions in pages of 50, one page of scaling activities.

use std::collections::BTreeMap;
use std::time::Duration;

use ecs_bridge::api::EcsService;
use kube::Client;
use serde_json::json;

use super::counters::EcsCalls;
use super::objects::{self, CLUSTERS};
use super::processes::{free_port_pair, peak_rss_mib, start_double, start_operator};
use super::{BUDGET, bucket_seconds, drift_window, rate_limits};
use ecs_bridge::ecs::limits::Category;

/// Policies and scheduled actions per service.
const POLICIES: usize = 1;
const SCHEDULED: usize = 1;

/// Application Auto Scaling's operations.
pub const SCALING_OPERATIONS: [&str; 10] = [
    "RegisterScalableTarget",
    "DeregisterScalableTarget",
    "PutScalingPolicy",
    "DeleteScalingPolicy",
    "PutScheduledAction",
    "DeleteScheduledAction",
    "DescribeScalableTargets",
    "DescribeScalingPolicies",
    "DescribeScheduledActions",
    "DescribeScalingActivities",
];

/// What the phase measured.
pub struct ScalingRun {
    pub services: usize,
    pub ready: Duration,
    /// The scaling-modify bucket's time for the registrations, policies and actions at the budget.
    pub floor: Duration,
    /// ThrottlingExceptions of Application Auto Scaling calls until Ready and in the steady window.
    pub throttled_until_ready: u64,
    pub throttled_steady: u64,
    /// Application Auto Scaling calls per drift pass in the steady window, by operation.
    pub per_pass: BTreeMap<String, f64>,
    pub per_pass_total: f64,
    /// The calls one drift pass needs.
    pub one_pass: u64,
    pub targets_per_call: f64,
    pub window: Duration,
    pub passes: u32,
    pub rss_mib: f64,
}

/// Application Auto Scaling calls one drift pass of `n` services needs.
pub fn one_pass(n: usize) -> u64 {
    (n.div_ceil(50) + (n * POLICIES).div_ceil(10) + (n * SCHEDULED).div_ceil(50) + 1) as u64
}

fn scaling_throttles(calls: &EcsCalls) -> u64 {
    SCALING_OPERATIONS
        .iter()
        .map(|op| calls.throttled_of(op))
        .sum()
}

async fn create(client: &Client, namespace: &str, n: usize) {
    let clusters = (0..CLUSTERS).map(|c| {
        json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": format!("c{c}")},
               "spec": {"clusterName": format!("{namespace}-c{c}")}})
    });
    objects::create::<ecs_bridge::api::EcsCluster>(client, namespace, clusters.collect()).await;
    objects::create_task_definitions(client, namespace, namespace, n).await;
    let services = (0..n).map(|i| {
        json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "EcsService", "metadata": {"name": format!("svc{i}")},
               "spec": {"serviceName": format!("svc{i}"), "clusterRef": {"name": format!("c{}", i % CLUSTERS)},
                        "taskDefinitionRef": {"name": format!("td{i}")}, "launchType": "EC2",
                        "autoScaling": {"minCapacity": 1, "maxCapacity": 4,
                            "targetTracking": [{"name": "cpu", "predefinedMetric": "ECSServiceAverageCPUUtilization",
                                                "targetValue": 60}],
                            "scheduled": [{"name": "night", "schedule": "cron(0 22 * * ? *)", "maxCapacity": 2}]}}})
    });
    objects::create::<EcsService>(client, namespace, services.collect()).await;
}

pub async fn measure(client: &Client, n: usize, speedup: f64, steady: Duration) -> ScalingRun {
    let double = start_double(speedup);
    let url = double.url.clone();
    let namespace = format!("scaling-{n}-{}", std::process::id());
    super::new_namespace(client, &namespace).await;
    create(client, &namespace, n).await;
    let operator = start_operator(&namespace, &url, &rate_limits(speedup), free_port_pair());
    let writes = n * (1 + POLICIES + SCHEDULED);
    let floor = Duration::from_secs_f64(bucket_seconds(
        Category::ScalingModify,
        writes,
        BUDGET,
        speedup,
    ));
    let timeout = floor * 10 + Duration::from_secs(600);
    let (ready, _) = objects::wait_all_ready(client, &namespace, CLUSTERS + 2 * n, timeout).await;
    let converged = EcsCalls::read(&url);
    // After one drift tick, count over whole drift passes.
    tokio::time::sleep(Duration::from_secs(60)).await;
    let (window, passes) = drift_window(steady).await;
    let before = EcsCalls::read(&url);
    tokio::time::sleep(window).await;
    let counted = EcsCalls::read(&url).since(&before);
    let per_pass: BTreeMap<String, f64> = SCALING_OPERATIONS
        .iter()
        .filter(|op| counted.of(op) > 0)
        .map(|op| (op.to_string(), counted.of(op) as f64 / f64::from(passes)))
        .collect();
    ScalingRun {
        services: n,
        ready,
        floor,
        throttled_until_ready: scaling_throttles(&converged),
        throttled_steady: scaling_throttles(&counted),
        per_pass_total: per_pass.values().sum(),
        per_pass,
        one_pass: one_pass(n),
        targets_per_call: counted.per_call("DescribeScalableTargets"),
        window,
        passes,
        rss_mib: peak_rss_mib(operator.child.id()),
    }
}
