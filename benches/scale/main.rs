//! The scale benchmark: for N services (each with its own task definition, over 10 clusters) against the ECS
//! test double with AWS's token buckets, it measures convergence against the token-bucket floor, throttling, AWS
//! calls per object, steady-state calls and Kubernetes writes, drift detection latency, and the operator's memory
//! and CPU; then a fault run with 10% of ECS calls failing. Prints a table and writes target/bench/scale.{md,json}.
//! A phase of autoscaled services counts Application Auto Scaling calls per drift pass against what one pass needs.
//! A phase of one-off EcsTasks (`benches/scale/tasks.rs`) runs them at the edges (expired tasks, refused
//! placements) and checks its claims: the benchmark exits with status 1, after writing its figures, when one fails.
//! `--one-account-services 10000 --one-account-families 3000 --td-repair 150 --td-users 5` runs issue 24's
//! one-account line (`benches/scale/ten_thousand.rs`) first, after the accounts phase if asked for.
//! A phase of services published as Kubernetes endpoints (`--endpoint-services`, 0 by default: it runs at real
//! speed) is in `benches/scale/endpoints.rs`.
//! A phase of two shards (`benches/scale/shards.rs`, `--shards N` services each) kills one shard's leader.
//!
//! Run it with `bash tests/bench.sh` (starts the local control plane), or
//! `cargo bench --bench scale -- --sizes 100,1000 --speedup 5 --steady-seconds 300 --drift-samples 20
//! --fault-services 100 --repair 500 --users 5 --families 20 --other-revisions 2000 --tasks 500 --task-seconds 30
//! --autoscaled 300 --shards 1000`
//! (0 skips a phase, `--sizes ''` the sizes: `--sizes '' --fault-services 0 --repair 0 --users 0 --families 0
//! --autoscaled 0 --shards 0 --tasks 500` runs the task phase alone). `--accounts 3 --account-services 1000` adds
//! the accounts phase (`benches/scale/accounts.rs`).

mod accounts;
mod counters;
mod drift;
mod endpoints;
mod families;
mod objects;
mod processes;
mod repair;
mod report;
mod scaling;
mod shards;
mod task_checks;
mod task_floor;
mod tasks;
mod tasks_report;
mod ten_thousand;
mod urgent_repair;

use std::time::Duration;

use ecs_bridge::ecs::limits::Category;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;

use counters::{EcsCalls, apiserver_writes};
use processes::{
    Process, cpu_seconds, free_port_pair, http, peak_rss_mib, start_double, start_operator,
};
use report::{FaultRun, Run};

/// The operator's default share of each ECS bucket.
const BUDGET: f64 = 0.8;

/// The operator's drift checks run every 9/10 of its 60 s interval, at the same instants for all objects.
const DRIFT_PERIOD: Duration = Duration::from_secs(54);

/// Waits until halfway between two drift passes and returns a window of whole drift periods at least `at_least`
/// long: a window that starts there holds exactly that many passes, none of them cut in two.
async fn drift_window(at_least: Duration) -> (Duration, u32) {
    let period = DRIFT_PERIOD.as_millis() as u64;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let until_half = (period / 2 + period - now % period) % period;
    tokio::time::sleep(Duration::from_millis(until_half)).await;
    let passes = (at_least.as_secs_f64() / DRIFT_PERIOD.as_secs_f64())
        .ceil()
        .max(1.0) as u32;
    (DRIFT_PERIOD * passes, passes)
}

struct Options {
    sizes: Vec<usize>,
    speedup: f64,
    steady: Duration,
    drift_samples: usize,
    fault_services: usize,
    /// Services changed behind the operator's back at once, and users' changes measured meanwhile.
    repair: usize,
    users: usize,
    /// Managed task definition families, and revisions of other families registered beside them.
    families: usize,
    other_revisions: usize,
    /// One-off EcsTasks started at once, and how long each task runs.
    tasks: usize,
    task_seconds: f64,
    /// Services with `spec.autoScaling`.
    autoscaled: usize,
    /// Accounts of the accounts phase, and services in each.
    accounts: usize,
    account_services: usize,
    /// Services of 5 tasks published as Kubernetes endpoints (`spec.kubernetesService`).
    endpoint_services: usize,
    /// Services of each of two shards whose leader change is measured (`benches/scale/shards.rs`).
    shards: usize,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    Options {
        sizes: value("--sizes")
            .unwrap_or_else(|| "100,1000".into())
            .split(',')
            .filter(|n| !n.trim().is_empty())
            .map(|n| n.trim().parse().expect("size"))
            .collect(),
        speedup: value("--speedup").map_or(5.0, |v| v.parse().expect("speedup")),
        steady: Duration::from_secs(
            value("--steady-seconds").map_or(120, |v| v.parse().expect("seconds")),
        ),
        drift_samples: value("--drift-samples").map_or(20, |v| v.parse().expect("samples")),
        fault_services: value("--fault-services").map_or(100, |v| v.parse().expect("services")),
        repair: value("--repair").map_or(500, |v| v.parse().expect("services")),
        users: value("--users").map_or(5, |v| v.parse().expect("services")),
        families: value("--families").map_or(20, |v| v.parse().expect("families")),
        other_revisions: value("--other-revisions").map_or(2000, |v| v.parse().expect("revisions")),
        tasks: value("--tasks").map_or(500, |v| v.parse().expect("tasks")),
        task_seconds: value("--task-seconds").map_or(30.0, |v| v.parse().expect("seconds")),
        autoscaled: value("--autoscaled").map_or(300, |v| v.parse().expect("services")),
        accounts: value("--accounts").map_or(0, |v| v.parse().expect("accounts")),
        account_services: value("--account-services")
            .map_or(1000, |v| v.parse().expect("services")),
        endpoint_services: value("--endpoint-services").map_or(0, |v| v.parse().expect("services")),
        shards: value("--shards").map_or(1000, |v| v.parse().expect("services")),
    }
}

/// The operator's rate limits: AWS's bucket sizes with the refill sped up like the double's.
fn rate_limits(speedup: f64) -> String {
    Category::ALL
        .iter()
        .map(|c| {
            let (burst, refill) = c.aws_default();
            format!("{}={burst}/{}", c.name(), refill * speedup)
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Seconds one category's bucket needs for `calls` at `budget` of AWS's bucket, its refill sped up by `speedup`.
fn bucket_seconds(category: Category, calls: usize, budget: f64, speedup: f64) -> f64 {
    let (burst, refill) = category.aws_default();
    (calls as f64 - burst * budget).max(0.0) / (refill * budget * speedup)
}

/// The token-bucket floor: the slowest category's time to make its calls at `budget` of AWS's buckets.
fn floor(n: usize, budget: f64, speedup: f64) -> Duration {
    let needs = [
        (Category::TaskDefinitionModify, n),
        (Category::ServiceModify, n),
        (Category::ClusterModify, objects::CLUSTERS),
    ];
    let seconds = needs
        .iter()
        .map(|(category, calls)| bucket_seconds(*category, *calls, budget, speedup))
        .fold(0.0, f64::max);
    Duration::from_secs_f64(seconds)
}

async fn new_namespace(client: &Client, name: &str) {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    namespaces
        .create(&PostParams::default(), &ns)
        .await
        .expect("create namespace");
}

async fn install_crds(client: &Client) {
    let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
        Api::all(client.clone());
    for crd in ecs_bridge::crdgen::all() {
        crds.patch(
            &crd.name_any(),
            &PatchParams::apply("bench").force(),
            &Patch::Apply(&crd),
        )
        .await
        .expect("apply CRD");
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
}

async fn ecs_client(url: &str) -> aws_sdk_ecs::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(url)
        .load()
        .await;
    aws_sdk_ecs::Client::new(&config)
}

/// Creates everything, starts the operator and waits for convergence; returns the operator and the time.
async fn converge(
    client: &Client,
    double_url: &str,
    run: &str,
    n: usize,
    speedup: f64,
) -> (Process, Duration, usize) {
    new_namespace(client, run).await;
    objects::create_all(client, run, run, n).await;
    let operator = start_operator(run, double_url, &rate_limits(speedup), free_port_pair());
    let timeout = floor(n, BUDGET, speedup) * 10 + Duration::from_secs(300);
    let (took, retrying) =
        objects::wait_all_ready(client, run, objects::CLUSTERS + 2 * n, timeout).await;
    (operator, took, retrying)
}

async fn measure_size(client: &Client, n: usize, options: &Options) -> Run {
    let double = start_double(options.speedup);
    let url = double.url.clone();
    let run = format!("bench-{n}-{}", std::process::id());
    let (operator, took, _) = converge(client, &url, &run, n, options.speedup).await;
    let converged = EcsCalls::read(&url);
    // Steady state: after one drift tick, count ECS calls and Kubernetes writes over whole drift periods.
    tokio::time::sleep(Duration::from_secs(60)).await;
    let (window, passes) = drift_window(options.steady).await;
    let (calls_before, writes_before) = (EcsCalls::read(&url), apiserver_writes(client).await);
    tokio::time::sleep(window).await;
    let steady = EcsCalls::read(&url).since(&calls_before);
    let writes = apiserver_writes(client).await - writes_before;
    let steady = report::Steady {
        calls: steady,
        writes,
        window,
        passes,
    };
    let ecs = ecs_client(&url).await;
    let samples = options.drift_samples.min(n);
    let latencies =
        drift::measure(client, &ecs, &run, &run, samples, Duration::from_secs(54)).await;
    let repair = (options.repair > 0 && n >= options.repair + options.users).then_some(());
    let repair = match repair {
        Some(()) => {
            eprintln!(
                "benchmark: {} services repaired while {} users change theirs ...",
                options.repair, options.users
            );
            Some(repair::measure(client, &ecs, &url, &run, n, options.repair, options.users).await)
        }
        None => None,
    };
    let pid = operator.child.id();
    Run::new(
        n,
        options,
        took,
        &converged,
        &steady,
        &latencies,
        peak_rss_mib(pid),
        cpu_seconds(pid),
        repair,
    )
}

async fn fault_run(client: &Client, n: usize, options: &Options) -> FaultRun {
    let double = start_double(options.speedup);
    let url = double.url.clone();
    http(
        "POST",
        &format!("{url}/_double/config"),
        Some(r#"{"faultRate": 0.1, "timeoutSeconds": 3}"#),
    );
    let run = format!("faults-{n}-{}", std::process::id());
    let (_operator, took, retrying) = converge(client, &url, &run, n, options.speedup).await;
    let calls = EcsCalls::read(&url);
    http(
        "POST",
        &format!("{url}/_double/config"),
        Some(r#"{"faultRate": 0}"#),
    );
    let ecs = ecs_client(&url).await;
    let mut services = 0;
    for c in 0..objects::CLUSTERS {
        let listed = ecs
            .list_services()
            .cluster(format!("{run}-c{c}"))
            .max_results(100)
            .send()
            .await
            .expect("list services");
        services += listed.service_arns().len();
    }
    let listed = ecs
        .list_task_definitions()
        .max_results(100)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    let revisions: Vec<String> = listed
        .into_iter()
        .map(|arn| arn.expect("list task definitions"))
        .filter(|arn| arn.contains(&run))
        .collect();
    FaultRun {
        n,
        took,
        faults: calls.faults,
        calls: calls.total(),
        services,
        revisions: revisions.len(),
        most_retrying: retrying,
    }
}

#[tokio::main]
async fn main() {
    let options = options();
    let client = Client::try_default()
        .await
        .expect("KUBECONFIG of the local control plane (source target/control-plane/env)");
    install_crds(&client).await;
    // The accounts phase first: issue 24's two lines side by side, the shorter one before the 10,000.
    if options.accounts > 0 {
        eprintln!(
            "benchmark: {} accounts × {} services ...",
            options.accounts, options.account_services
        );
        let run = accounts::measure(
            &client,
            options.accounts,
            options.account_services,
            options.speedup,
        )
        .await;
        accounts::write(&run, options.speedup);
    }
    ten_thousand::run_if_asked(&client).await;
    let mut runs = Vec::new();
    for &n in &options.sizes {
        eprintln!("benchmark: {n} services ...");
        runs.push(measure_size(&client, n, &options).await);
    }
    let families = match options.families {
        0 => None,
        f => {
            eprintln!(
                "benchmark: drift cost of {f} task definition families beside {} other revisions ...",
                options.other_revisions
            );
            Some(
                families::measure(
                    &client,
                    &rate_limits(options.speedup),
                    f,
                    options.other_revisions,
                    options.steady.min(DRIFT_PERIOD * 2),
                )
                .await,
            )
        }
    };
    let tasks = match options.tasks {
        0 => None,
        n => {
            eprintln!(
                "benchmark: {n} EcsTasks of {} s at once ...",
                options.task_seconds
            );
            Some(tasks::measure(&client, n, options.task_seconds).await)
        }
    };
    let autoscaling = match options.autoscaled {
        0 => None,
        n => {
            eprintln!("benchmark: {n} autoscaled services ...");
            Some(scaling::measure(&client, n, options.speedup, options.steady).await)
        }
    };
    let endpoints = match options.endpoint_services {
        0 => None,
        n => {
            eprintln!("benchmark: {n} services published as Kubernetes endpoints ...");
            Some(endpoints::measure(&client, n).await)
        }
    };
    let shards = match options.shards {
        0 => None,
        n => {
            eprintln!("benchmark: two shards of {n} services, a leader killed ...");
            let speedup = options.speedup;
            Some(shards::measure(&client, n, &rate_limits(speedup), speedup).await)
        }
    };
    let faults = match options.fault_services {
        0 => None,
        n => {
            eprintln!("benchmark: fault run with {n} services ...");
            Some(fault_run(&client, n, &options).await)
        }
    };
    report::write(
        &runs,
        &report::Phases {
            faults: faults.as_ref(),
            families: families.as_ref(),
            tasks: tasks.as_ref(),
            autoscaling: autoscaling.as_ref(),
            endpoints: endpoints.as_ref(),
        },
        options.speedup,
    );
    let failed: Vec<&str> = tasks
        .iter()
        .flat_map(|t| &t.claims)
        .filter(|c| !c.holds)
        .map(|c| c.what.as_str())
        .chain(
            shards
                .iter()
                .flat_map(|s| &s.claims)
                .filter(|c| !c.1)
                .map(|c| c.0.as_str()),
        )
        .collect();
    if !failed.is_empty() {
        eprintln!(
            "benchmark: claims that do not hold:\n- {}",
            failed.join("\n- ")
        );
        std::process::exit(1);
    }
}
