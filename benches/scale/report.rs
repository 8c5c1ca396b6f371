//! The benchmark's figures: one row per size plus the fault run, printed as a table and written as Markdown and
//! JSON under target/bench/.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use super::counters::EcsCalls;
use super::families::FamilyCost;
use super::repair::Repair;
use super::scaling::ScalingRun;
use super::tasks::TaskRun;
use super::{BUDGET, Options, drift, floor};

/// What the steady-state window counted.
pub struct Steady {
    pub calls: EcsCalls,
    /// Kubernetes writes of ecs-bridge's kinds, Events and Leases.
    pub writes: u64,
    pub window: Duration,
    /// Drift passes in the window.
    pub passes: u32,
}

/// DescribeServices calls one drift pass needs: every cluster's services in calls of 10.
fn one_pass_describe_services(n: usize) -> u64 {
    let clusters = super::objects::CLUSTERS;
    (0..clusters)
        .map(|c| (n / clusters + usize::from(c < n % clusters)).div_ceil(10) as u64)
        .sum()
}

/// The figures of one size.
pub struct Run {
    n: usize,
    ready: Duration,
    floor: Duration,
    floor_full: Duration,
    throttled: u64,
    calls: u64,
    calls_per_object: BTreeMap<String, f64>,
    steady_per_minute: f64,
    steady_by_operation_per_pass: BTreeMap<String, f64>,
    describe_services_per_second: f64,
    describe_services_per_pass: f64,
    one_pass: u64,
    services_per_call: f64,
    writes: u64,
    writes_per_hour: f64,
    window: Duration,
    passes: u32,
    drift_p50: Duration,
    drift_p99: Duration,
    rss_mib: f64,
    cpu_seconds: f64,
    repair: Option<Repair>,
}

impl Run {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        n: usize,
        options: &Options,
        ready: Duration,
        converged: &EcsCalls,
        steady: &Steady,
        drift: &[Duration],
        rss_mib: f64,
        cpu_seconds: f64,
        repair: Option<Repair>,
    ) -> Self {
        let window = steady.window.as_secs_f64();
        let passes = f64::from(steady.passes);
        let objects = (n * 2 + super::objects::CLUSTERS) as f64;
        Self {
            n,
            ready,
            floor: floor(n, BUDGET, options.speedup),
            floor_full: floor(n, 1.0, options.speedup),
            throttled: converged.throttled,
            calls: converged.total(),
            calls_per_object: converged
                .calls
                .iter()
                .map(|(op, c)| (op.clone(), *c as f64 / objects))
                .collect(),
            steady_per_minute: steady.calls.total() as f64 / window * 60.0,
            steady_by_operation_per_pass: steady
                .calls
                .calls
                .iter()
                .map(|(op, c)| (op.clone(), *c as f64 / passes))
                .collect(),
            describe_services_per_second: steady.calls.of("DescribeServices") as f64 / window,
            describe_services_per_pass: steady.calls.of("DescribeServices") as f64 / passes,
            one_pass: one_pass_describe_services(n),
            services_per_call: steady.calls.per_call("DescribeServices"),
            writes: steady.writes,
            writes_per_hour: steady.writes as f64 / window * 3600.0,
            window: steady.window,
            passes: steady.passes,
            drift_p50: drift::percentile(drift, 50.0),
            drift_p99: drift::percentile(drift, 99.0),
            rss_mib,
            cpu_seconds,
            repair,
        }
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "services": self.n, "taskDefinitions": self.n, "clusters": super::objects::CLUSTERS,
            "secondsUntilAllReady": self.ready.as_secs_f64(),
            "tokenBucketFloorSeconds": self.floor.as_secs_f64(),
            "ratioToFloor": self.ready.as_secs_f64() / self.floor.as_secs_f64(),
            "tokenBucketFloorAtFullBucketsSeconds": self.floor_full.as_secs_f64(),
            "throttlingExceptions": self.throttled, "awsCallsUntilReady": self.calls,
            "throttledShare": self.throttled as f64 / self.calls as f64,
            "awsCallsPerObjectByOperation": self.calls_per_object,
            "steadyStateAwsCallsPerMinute": self.steady_per_minute,
            "steadyStateAwsCallsPerDriftPassByOperation": self.steady_by_operation_per_pass,
            "steadyStateDescribeServicesPerSecond": self.describe_services_per_second,
            "steadyStateDescribeServicesPerDriftPass": self.describe_services_per_pass,
            "describeServicesOfOneDriftPass": self.one_pass,
            "ratioToOneDriftPass": self.describe_services_per_pass / self.one_pass as f64,
            "steadyStateServicesPerDescribeServicesCall": self.services_per_call,
            "kubernetesWritesInSteadyWindow": self.writes,
            "kubernetesWritesPerSteadyHour": self.writes_per_hour,
            "steadyWindowSeconds": self.window.as_secs_f64(),
            "steadyWindowDriftPasses": self.passes,
            "driftRepairP50Seconds": self.drift_p50.as_secs_f64(),
            "driftRepairP99Seconds": self.drift_p99.as_secs_f64(),
            "operatorPeakRssMiB": self.rss_mib, "operatorCpuSeconds": self.cpu_seconds,
            "repair": self.repair.as_ref().map(|r| json!({
                "servicesRepaired": r.repaired, "repairSeconds": r.repair_took.as_secs_f64(),
                "userChanges": r.users.len(),
                "userChangeP50Seconds": drift::percentile(&r.users, 50.0).as_secs_f64(),
                "userChangeP99Seconds": drift::percentile(&r.users, 99.0).as_secs_f64(),
                "userChangeMaxSeconds": r.users.iter().max().copied().unwrap_or_default().as_secs_f64(),
            })),
        })
    }
}

/// The figures of the run with injected faults.
pub struct FaultRun {
    pub n: usize,
    pub took: Duration,
    pub faults: u64,
    pub calls: u64,
    pub services: usize,
    pub revisions: usize,
    pub most_retrying: usize,
}

/// The phases beside the sizes, each when it ran.
pub struct Phases<'a> {
    pub faults: Option<&'a FaultRun>,
    pub families: Option<&'a FamilyCost>,
    pub tasks: Option<&'a TaskRun>,
    pub autoscaling: Option<&'a ScalingRun>,
    pub endpoints: Option<&'a super::endpoints::EndpointRun>,
}

/// The table of the sizes: one row each.
fn sizes_table(runs: &[Run]) -> String {
    let mut md = String::new();
    md.push_str("| services | all Ready (s) | floor (s) | ratio | floor at 100% (s) | throttled / calls | steady calls/min | DescribeServices/s | DescribeServices per pass (one pass) | services per call | k8s writes in window | drift p50 / p99 (s) | peak RSS (MiB) | CPU (s) |\n");
    md.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for r in runs {
        md.push_str(&format!(
            "| {} | {:.1} | {:.1} | {:.2} | {:.1} | {} / {} | {:.1} | {:.2} | {:.1} ({}; {:.2}x) | {:.1} | {} | {:.1} / {:.1} | {:.1} | {:.1} |\n",
            r.n,
            r.ready.as_secs_f64(),
            r.floor.as_secs_f64(),
            r.ready.as_secs_f64() / r.floor.as_secs_f64(),
            r.floor_full.as_secs_f64(),
            r.throttled,
            r.calls,
            r.steady_per_minute,
            r.describe_services_per_second,
            r.describe_services_per_pass,
            r.one_pass,
            r.describe_services_per_pass / r.one_pass as f64,
            r.services_per_call,
            r.writes,
            r.drift_p50.as_secs_f64(),
            r.drift_p99.as_secs_f64(),
            r.rss_mib,
            r.cpu_seconds
        ));
    }
    md
}

/// Prints the table and writes target/bench/scale.md and scale.json.
pub fn write(runs: &[Run], phases: &Phases<'_>, speedup: f64) {
    let Phases {
        faults,
        families,
        tasks,
        autoscaling,
        endpoints,
    } = *phases;
    let mut md = String::from("# ecs-bridge scale benchmark\n");
    if let Some(first) = runs.first() {
        md.push_str(&format!(
            "\nAgainst the ECS test double with AWS's token buckets sped up {speedup}x (the operator's limits scaled \
             alike, budget {BUDGET}), the real kube-apiserver, drift interval 60 s. Steady-state figures are measured \
             over a window of {} whole drift passes ({} s), starting halfway between two passes.\n\n",
            first.passes,
            first.window.as_secs()
        ));
        md.push_str(&sizes_table(runs));
    }
    for r in runs {
        let per_object: Vec<String> = r
            .calls_per_object
            .iter()
            .map(|(op, v)| format!("{op} {v:.2}"))
            .collect();
        let per_pass: Vec<String> = r
            .steady_by_operation_per_pass
            .iter()
            .map(|(op, v)| format!("{op} {v:.1}"))
            .collect();
        md.push_str(&format!(
            "\nAWS calls per object until Ready, {} services: {}\n\nSteady-state AWS calls per drift pass, {} \
             services: {}\n",
            r.n,
            per_object.join(", "),
            r.n,
            per_pass.join(", ")
        ));
    }
    for (n, r) in runs
        .iter()
        .filter_map(|r| r.repair.as_ref().map(|x| (r.n, x)))
    {
        md.push_str(&format!(
            "\nMass repair ({n} services): {} services changed in ECS behind the operator's back were repaired in \
             {:.1} s; meanwhile {} users' changes reached ECS after p50 {:.2} s, p99 {:.2} s, max {:.2} s.\n",
            r.repaired,
            r.repair_took.as_secs_f64(),
            r.users.len(),
            drift::percentile(&r.users, 50.0).as_secs_f64(),
            drift::percentile(&r.users, 99.0).as_secs_f64(),
            r.users.iter().max().copied().unwrap_or_default().as_secs_f64()
        ));
    }
    if let Some(f) = families {
        md.push_str(&format!(
            "\nTask definition drift checks: {:.2} reads per family per drift pass with {} managed families alone, \
             {:.2} beside {} revisions of other families in the account (ratio {:.2}).\n",
            f.alone,
            f.families,
            f.among_others,
            f.others,
            f.among_others / f.alone.max(f64::MIN_POSITIVE)
        ));
    }
    if let Some(t) = tasks {
        md.push_str(&super::tasks_report::markdown(t));
    }
    if let Some(a) = autoscaling {
        let per_op: Vec<String> = a
            .per_pass
            .iter()
            .map(|(op, v)| format!("{op} {v:.1}"))
            .collect();
        md.push_str(&format!(
            "\nAutoscaled services: {} EcsServices with `autoScaling` (one policy, one scheduled action each) all Ready \
             in {:.1} s (Application Auto Scaling's modify bucket alone needs {:.1} s at budget {BUDGET}); \
             {:.1} Application Auto Scaling calls per drift pass over {} passes ({} s) against {} that one pass \
             needs (ratio {:.2}): {}; {:.1} targets per DescribeScalableTargets call; ThrottlingExceptions: {} until \
             Ready, {} in the window; peak RSS {:.1} MiB.\n",
            a.services,
            a.ready.as_secs_f64(),
            a.floor.as_secs_f64(),
            a.per_pass_total,
            a.passes,
            a.window.as_secs(),
            a.one_pass,
            a.per_pass_total / a.one_pass as f64,
            per_op.join(", "),
            a.targets_per_call,
            a.throttled_until_ready,
            a.throttled_steady,
            a.rss_mib
        ));
    }
    if let Some(e) = endpoints {
        md.push_str(&super::endpoints::markdown(e));
    }
    if let Some(faults) = faults {
        md.push_str(&format!(
            "\nFault run ({} services, 10% of ECS calls answered 5xx or hung): all Ready in {:.1} s; {} faults in {} \
             calls; {} services and {} task definition revisions in ECS (no duplicates when both equal {}); up to {} \
             objects showed Synced=False/EcsUnavailable at once while retrying.\n",
            faults.n,
            faults.took.as_secs_f64(),
            faults.faults,
            faults.calls,
            faults.services,
            faults.revisions,
            faults.n,
            faults.most_retrying
        ));
    }
    println!("{md}");
    let json = json!({
        "speedup": speedup, "budget": BUDGET, "runs": runs.iter().map(Run::json).collect::<Vec<_>>(),
        "faultRun": faults.map(|f| json!({"services": f.n, "secondsUntilAllReady": f.took.as_secs_f64(),
            "faults": f.faults, "calls": f.calls, "servicesInEcs": f.services, "revisionsInEcs": f.revisions,
            "mostObjectsRetryingAtOnce": f.most_retrying})),
        "taskDefinitionDriftCost": families.map(|f| json!({"families": f.families, "otherRevisions": f.others,
            "readsPerFamilyPerPassAlone": f.alone, "readsPerFamilyPerPassAmongOthers": f.among_others})),
        "autoscaling": autoscaling.map(|a| json!({"services": a.services,
            "secondsUntilAllReady": a.ready.as_secs_f64(), "scalingModifyFloorSeconds": a.floor.as_secs_f64(),
            "scalingCallsPerDriftPass": a.per_pass_total, "scalingCallsPerDriftPassByOperation": a.per_pass,
            "scalingCallsOfOneDriftPass": a.one_pass, "ratioToOneDriftPass": a.per_pass_total / a.one_pass as f64,
            "targetsPerDescribeScalableTargetsCall": a.targets_per_call,
            "throttlingExceptionsUntilReady": a.throttled_until_ready,
            "throttlingExceptionsInWindow": a.throttled_steady,
            "steadyWindowSeconds": a.window.as_secs_f64(), "steadyWindowDriftPasses": a.passes,
            "operatorPeakRssMiB": a.rss_mib})),
        "tasks": tasks.map(super::tasks_report::json),
        "endpoints": endpoints.map(super::endpoints::json),
    });
    std::fs::create_dir_all("target/bench").expect("create target/bench");
    std::fs::write("target/bench/scale.md", &md).expect("write scale.md");
    std::fs::write(
        "target/bench/scale.json",
        serde_json::to_string_pretty(&json).unwrap(),
    )
    .expect("write scale.json");
}
