//! Issue 24's one-account line: `--one-account-services` services (10,000) over `--one-account-families` task
//! definition families (3,000) in one account, against the double with AWS's buckets. Measures convergence
//! against the token-bucket floor, DescribeServices and task definition reads per drift pass against what one
//! pass needs, throttling, the first pass after a restart (it must write nothing), then a repair of task
//! definitions with users' changes meanwhile (`urgent_repair.rs`), and the peak RSS of both operators. Prints the
//! figures and writes them to target/bench/one-account.{md,json}.

use std::time::{Duration, Instant};

use ecs_bridge::api::EcsService;
use ecs_bridge::ecs::limits::Category;
use serde_json::json;

use super::counters::{EcsCalls, apiserver_writes};
use super::objects::{CLUSTERS, count_ready, create, create_task_definitions};
use super::processes::{
    Process, cpu_seconds, free_port_pair, http, peak_rss_mib, rss_mib, start_double, start_operator,
};
use super::urgent_repair::{self, UrgentRepair};
use super::{BUDGET, DRIFT_PERIOD, bucket_seconds, drift_window, rate_limits};

/// Task definition reads: what a drift pass of task definitions costs.
const TD_READS: [&str; 2] = ["ListTaskDefinitions", "DescribeTaskDefinition"];

/// The options of the phase, from the benchmark's arguments; `None` when it is not asked for.
struct Options {
    services: usize,
    families: usize,
    speedup: f64,
    /// Task definitions deregistered behind the operator's back, and users' new task definitions meanwhile.
    repaired: usize,
    users: usize,
}

fn options() -> Option<Options> {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str, default: f64| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().expect(flag))
    };
    let services = value("--one-account-services", 0.0) as usize;
    (services > 0).then(|| Options {
        services,
        families: value("--one-account-families", 3000.0) as usize,
        speedup: value("--speedup", 5.0),
        repaired: value("--td-repair", 150.0) as usize,
        users: value("--td-users", 5.0) as usize,
    })
}

/// ECS writes: every operation but reads.
fn writes(calls: &EcsCalls) -> u64 {
    calls
        .calls
        .iter()
        .filter(|(op, _)| !op.starts_with("Describe") && !op.starts_with("List"))
        .map(|(_, n)| n)
        .sum()
}

fn td_reads(calls: &EcsCalls) -> u64 {
    TD_READS.iter().map(|op| calls.of(op)).sum()
}

/// Creates the clusters, `families` task definitions and `services` services (service i runs td{i % families}).
async fn create_objects(client: &kube::Client, run: &str, services: usize, families: usize) {
    let clusters = (0..CLUSTERS).map(|c| {
        json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": format!("c{c}")},
               "spec": {"clusterName": format!("{run}-c{c}")}})
    });
    create::<ecs_bridge::api::EcsCluster>(client, run, clusters.collect()).await;
    create_task_definitions(client, run, run, families).await;
    let services = (0..services).map(|i| {
        json!({"apiVersion": "ecsbridge.dev/v1alpha1", "kind": "EcsService", "metadata": {"name": format!("svc{i}")},
               "spec": {"serviceName": format!("svc{i}"), "clusterRef": {"name": format!("c{}", i % CLUSTERS)},
                        "taskDefinitionRef": {"name": format!("td{}", i % families)}, "desiredCount": 1,
                        "launchType": "EC2"}})
    });
    create::<EcsService>(client, run, services.collect()).await;
}

/// Waits until all `expected` objects are Ready, looking every 5 s (a list of 13,000 objects is not free), and
/// prints every 30 s how far it is: objects Ready, registrations and creations made, the operator's memory.
async fn wait_ready(
    client: &kube::Client,
    run: &str,
    expected: usize,
    timeout: Duration,
    (double_url, operator): (&str, u32),
) -> Duration {
    let started = Instant::now();
    let mut reported = Instant::now();
    loop {
        let (ready, total) = count_ready(client, run).await;
        if ready == expected && total == expected {
            return started.elapsed();
        }
        if reported.elapsed() >= Duration::from_secs(30) {
            reported = Instant::now();
            let calls = EcsCalls::read(double_url);
            eprintln!(
                "benchmark: {ready} of {expected} Ready at {:.0} s; RegisterTaskDefinition {}, CreateService {}, \
                 DescribeServices {}; operator RSS {:.0} MiB (peak {:.0}), CPU {:.0} s; load {}",
                started.elapsed().as_secs_f64(),
                calls.of("RegisterTaskDefinition"),
                calls.of("CreateService"),
                calls.of("DescribeServices"),
                rss_mib(operator),
                peak_rss_mib(operator),
                cpu_seconds(operator),
                std::fs::read_to_string("/proc/loadavg")
                    .unwrap_or_default()
                    .trim(),
            );
        }
        assert!(
            started.elapsed() < timeout,
            "only {ready} of {expected} objects Ready after {timeout:?}"
        );
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

/// The operator's `EcsService` reconciles so far: put back for want of a background place, and the others.
struct Reconciles {
    deferred: u64,
    others: u64,
}

impl Reconciles {
    fn read(metrics_port: u16) -> Self {
        let text = http(
            "GET",
            &format!("http://127.0.0.1:{metrics_port}/metrics"),
            None,
        );
        let mut reconciles = Self {
            deferred: 0,
            others: 0,
        };
        let services = text
            .lines()
            .filter(|l| l.starts_with(r#"ecsbridge_reconciles_total{kind="EcsService""#));
        for line in services {
            let count = line
                .rsplit(' ')
                .next()
                .and_then(|n| n.parse::<f64>().ok())
                .unwrap_or_default() as u64;
            match line.contains(r#"result="Deferred""#) {
                true => reconciles.deferred += count,
                false => reconciles.others += count,
            }
        }
        reconciles
    }
}

/// The first pass after a restart: from the new operator's start until it has read every service once (and 15 s
/// more), its ECS writes and Kubernetes writes.
struct Restart {
    took: Duration,
    ecs_writes: u64,
    k8s_writes: u64,
    describe_services: u64,
}

async fn restart(
    client: &kube::Client,
    url: &str,
    run: &str,
    services: usize,
    limits: &str,
) -> (Process, Restart) {
    let (calls, k8s) = (EcsCalls::read(url), apiserver_writes(client).await);
    let started = Instant::now();
    let operator = start_operator(run, url, limits, free_port_pair());
    let needed = services.div_ceil(10) as u64;
    while EcsCalls::read(url).since(&calls).of("DescribeServices") < needed {
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "no first pass after the restart"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_secs(15)).await;
    let made = EcsCalls::read(url).since(&calls);
    let restart = Restart {
        took,
        ecs_writes: writes(&made),
        k8s_writes: apiserver_writes(client).await - k8s,
        describe_services: made.of("DescribeServices"),
    };
    (operator, restart)
}

/// Runs the phase when `--one-account-services` asks for it.
pub async fn run_if_asked(client: &kube::Client) {
    let Some(options) = options() else {
        return;
    };
    let (n, families, speedup) = (options.services, options.families, options.speedup);
    eprintln!(
        "benchmark: {n} services over {families} task definition families in one account ..."
    );
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let double = start_double(speedup);
    let url = double.url.clone();
    let run = format!("one-account-{}", std::process::id());
    super::new_namespace(client, &run).await;
    create_objects(client, &run, n, families).await;
    let limits = rate_limits(speedup);
    let metrics_port = free_port_pair();
    let operator = start_operator(&run, &url, &limits, metrics_port);
    let floor = [
        (Category::TaskDefinitionModify, families),
        (Category::ServiceModify, n),
        (Category::ClusterModify, CLUSTERS),
    ]
    .iter()
    .map(|(category, calls)| bucket_seconds(*category, *calls, BUDGET, speedup))
    .fold(0.0, f64::max);
    let expected = CLUSTERS + families + n;
    let took = wait_ready(
        client,
        &run,
        expected,
        Duration::from_secs_f64(floor * 3.0 + 600.0),
        (&url, operator.child.id()),
    )
    .await;
    let converged = EcsCalls::read(&url);
    let reconciles = Reconciles::read(metrics_port);
    eprintln!(
        "benchmark: all Ready in {took:?} (floor {floor:.1} s); EcsService reconciles put back {}, others {}; \
         steady state ...",
        reconciles.deferred, reconciles.others
    );
    tokio::time::sleep(Duration::from_secs(60)).await;
    let (window, passes) = drift_window(DRIFT_PERIOD * 2).await;
    let (before, k8s_before) = (EcsCalls::read(&url), apiserver_writes(client).await);
    tokio::time::sleep(window).await;
    let steady = EcsCalls::read(&url).since(&before);
    let steady_k8s = apiserver_writes(client).await - k8s_before;
    let first_rss = peak_rss_mib(operator.child.id());
    drop(operator);
    eprintln!("benchmark: peak RSS {first_rss:.1} MiB; restart ...");
    let (operator, restarted) = restart(client, &url, &run, n, &limits).await;
    let throttled_before_repair = EcsCalls::read(&url).throttled;
    let ecs = super::ecs_client(&url).await;
    let repair = (options.repaired > 0).then_some(());
    let repair = match repair {
        Some(()) => Some(
            urgent_repair::measure(client, &ecs, &url, &run, options.repaired, options.users).await,
        ),
        None => None,
    };
    let second_rss = peak_rss_mib(operator.child.id());
    eprintln!("benchmark: the restarted operator's peak RSS {second_rss:.1} MiB");
    let figures = Figures {
        n,
        families,
        speedup,
        took,
        floor,
        calls: converged.total(),
        reconciles,
        throttled: throttled_before_repair,
        describe_services_per_pass: steady.of("DescribeServices") as f64 / f64::from(passes),
        pass_needs: n.div_ceil(10) as f64,
        td_reads_per_pass: td_reads(&steady) as f64 / f64::from(passes),
        td_pass_needs: families.div_ceil(100) as f64,
        steady_ecs_writes: writes(&steady),
        steady_k8s,
        window,
        restarted,
        rss: first_rss.max(second_rss),
        load_before,
        load_after: std::fs::read_to_string("/proc/loadavg").unwrap_or_default(),
        repair,
    };
    figures.write();
}

struct Figures {
    n: usize,
    families: usize,
    speedup: f64,
    took: Duration,
    floor: f64,
    calls: u64,
    reconciles: Reconciles,
    throttled: u64,
    describe_services_per_pass: f64,
    pass_needs: f64,
    td_reads_per_pass: f64,
    td_pass_needs: f64,
    steady_ecs_writes: u64,
    steady_k8s: u64,
    window: Duration,
    restarted: Restart,
    rss: f64,
    load_before: String,
    load_after: String,
    repair: Option<UrgentRepair>,
}

impl Figures {
    fn write(&self) {
        let took = self.took.as_secs_f64();
        let r = &self.restarted;
        let mut md = format!(
            "| services / families | all Ready (s) | floor (s) | ratio | throttled / calls | DescribeServices per \
             drift pass (one pass needs) | task definition reads per pass (ACTIVE/100) | steady ECS / k8s writes in \
             {:.0} s | first pass after restart: s, ECS writes, k8s writes | peak RSS (MiB) |\n|---|---|---|---|---|---|---|---|---|---|\n\
             | {} / {} | {took:.1} | {:.1} | {:.2} | {} / {} | {:.1} ({:.0}) | {:.1} ({:.0}) | {} / {} | {:.1}, {}, {} | {:.1} |\n\n\
             Speed-up {}x; load average before: {}; after: {}; the restart's first pass read {} DescribeServices; \
             until all were Ready, {} EcsService reconciles were put back (`Deferred`) and {} ran.\n",
            self.window.as_secs_f64(),
            self.n,
            self.families,
            self.floor,
            took / self.floor,
            self.throttled,
            self.calls,
            self.describe_services_per_pass,
            self.pass_needs,
            self.td_reads_per_pass,
            self.td_pass_needs,
            self.steady_ecs_writes,
            self.steady_k8s,
            r.took.as_secs_f64(),
            r.ecs_writes,
            r.k8s_writes,
            self.rss,
            self.speedup,
            self.load_before.trim(),
            self.load_after.trim(),
            r.describe_services,
            self.reconciles.deferred,
            self.reconciles.others,
        );
        if let Some(repair) = &self.repair {
            md.push_str(&repair.line());
        }
        println!("{md}");
        let json = json!({
            "services": self.n, "families": self.families, "speedup": self.speedup,
            "all_ready_seconds": took, "floor_seconds": self.floor, "ratio": took / self.floor,
            "throttled": self.throttled, "calls": self.calls,
            "service_reconciles_deferred": self.reconciles.deferred,
            "service_reconciles_run": self.reconciles.others,
            "describe_services_per_pass": self.describe_services_per_pass, "pass_needs": self.pass_needs,
            "task_definition_reads_per_pass": self.td_reads_per_pass, "task_definition_pass_needs": self.td_pass_needs,
            "steady_ecs_writes": self.steady_ecs_writes, "steady_k8s_writes": self.steady_k8s,
            "restart_first_pass_seconds": r.took.as_secs_f64(), "restart_ecs_writes": r.ecs_writes,
            "restart_k8s_writes": r.k8s_writes, "peak_rss_mib": self.rss,
            "load_before": self.load_before.trim(), "load_after": self.load_after.trim(),
            "urgent_repair": self.repair.as_ref().map(UrgentRepair::json),
        });
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
        std::fs::create_dir_all(&dir).expect("target/bench");
        std::fs::write(dir.join("one-account.md"), md).expect("write one-account.md");
        std::fs::write(
            dir.join("one-account.json"),
            serde_json::to_string_pretty(&json).unwrap(),
        )
        .expect("write one-account.json");
    }
}
